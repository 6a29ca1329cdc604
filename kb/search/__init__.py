"""The search service: request → parse → compile → the ranking stages (stages.py: one walk of the
query, the corrected retry, fusion with meaning) → the page's collectors, over kb/storage's backend
protocol; `search()` runs it for every face."""

from kb.search.pipeline import MAX_EXPORT, matching_passages, search
from kb.search.parse import MAX_QUERY_CHARS
from kb.search.request import MAX_LIMIT, MAX_OFFSET, SearchRequest
from kb.search.results import SearchResponse

__all__ = ["MAX_EXPORT", "MAX_LIMIT", "MAX_OFFSET", "MAX_QUERY_CHARS", "SearchRequest", "SearchResponse", "matching_passages", "search"]

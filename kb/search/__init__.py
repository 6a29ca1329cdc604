"""The search pipeline, one module per stage in call order: request → parse → compile → match →
score → page, with suggest, facets, snippets and related beside them; `search()` runs it."""

from kb.search.pipeline import MAX_EXPORT, matching_passages, search
from kb.search.parse import MAX_QUERY_CHARS
from kb.search.request import MAX_LIMIT, MAX_OFFSET, SearchRequest
from kb.search.results import SearchResponse

__all__ = ["MAX_EXPORT", "MAX_LIMIT", "MAX_OFFSET", "MAX_QUERY_CHARS", "SearchRequest", "SearchResponse", "matching_passages", "search"]

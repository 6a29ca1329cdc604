"""The search pipeline, one module per stage in call order: parse → compile → match → score →
page, with suggest, facets, snippets and related beside them; `search()` runs it."""

from kb.search.pipeline import MAX_LIMIT, MAX_OFFSET, SearchRequest, matching_passages, search

__all__ = ["MAX_LIMIT", "MAX_OFFSET", "SearchRequest", "matching_passages", "search"]

"""What a caller may ask of search(), and the checks of it every face relies on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kb.categories.taxonomy import load_taxonomy
from kb.errors import InvalidParameterError

MAX_LIMIT = 100
MAX_OFFSET = 10_000
HYBRID, LEXICAL = "hybrid", "lexical"
MODES = (HYBRID, LEXICAL)


@dataclass
class SearchRequest:
    """What a caller may ask: query text, filters (any of each), page."""

    query: str = ""
    categories: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    limit: int = 10
    offset: int = 0
    explain: bool = False
    correct: bool = True  # search the suggestion when the literal query finds nothing
    mode: str | None = None  # HYBRID (words and meaning) or LEXICAL; None: hybrid when the build has vectors
    public_url: str = ""  # the site's address, for the absolute reader URL of each result ("" keeps paths)


def check_request(request: SearchRequest) -> None:
    """Raise InvalidParameterError naming the parameter that is out of range or unknown (the
    document filter aside: check_documents() checks it against the build the request reads)."""
    if not 1 <= request.limit <= MAX_LIMIT:
        raise InvalidParameterError("limit", f"limit must be between 1 and {MAX_LIMIT} (got {request.limit})")
    if not 0 <= request.offset <= MAX_OFFSET:
        raise InvalidParameterError("offset", f"offset must be between 0 and {MAX_OFFSET} (got {request.offset})")
    if request.mode is not None and request.mode not in MODES:
        raise InvalidParameterError("mode", f"mode must be one of {', '.join(MODES)} (got '{request.mode}')")
    slugs = {c.slug for c in load_taxonomy()}
    for slug in request.categories:
        if slug not in slugs:
            raise InvalidParameterError("category", f"unknown category '{slug}'; valid: {', '.join(sorted(slugs))}")


def check_documents(request: SearchRequest, documents: Mapping[str, Any]) -> None:
    """Every document of the filter is one of `documents` (the build the request reads)."""
    for doc in request.documents:
        if doc not in documents:
            raise InvalidParameterError("document", f"unknown document '{doc}'")

"""A request's postings, each term's read once per segment, a block at a time.

Scoring and every match set of a request (provenance, exclusions, filters, facets) share them."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from whoosh.matching.wrappers import FilterMatcher

Postings = tuple[list[int], list[float]]


class TermReads:
    """The postings of one request: each term's document numbers (deleted ones included, as
    stored) and weights, per segment; and what the matchers of phrases stepped."""

    def __init__(self) -> None:
        self._read: dict[tuple[int, str, bytes], Postings | None] = {}
        self._matched: dict[tuple[int, Hashable], list[int]] = {}

    def remember(self, segment: Any, query: Hashable, docnums: list[int]) -> None:
        """What Whoosh's matcher of `query` matched in `segment` (a reader), while it scored them."""
        self._matched[(id(segment), query)] = docnums

    def stepped(self, segment: Any, query: Hashable) -> list[int] | None:
        """What a matcher of `query` stepped in `segment`, None if none did yet."""
        return self._matched.get((id(segment), query))

    def of(self, segment: Any, fieldname: str, text: bytes) -> Postings | None:
        """The postings of (fieldname, text) in `segment` (a reader), None when its matcher does
        not read by blocks (then the caller steps Whoosh's own matcher)."""
        key = (id(segment), fieldname, text)
        if key not in self._read:
            self._read[key] = _read_postings(segment.postings(fieldname, text))
        return self._read[key]


def _read_postings(matcher: Any) -> Postings | None:
    """(document numbers, weights) of a segment's leaf matcher, a block at a time."""
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child  # deletions are dropped by the callers, once
    if not hasattr(matcher, "_read_weights"):
        return None
    ids: list[int] = []
    weights: list[float] = []
    while matcher.is_active():
        if matcher._ids is None:
            matcher._read_ids()
        if matcher._weights is None:
            matcher._read_weights()
        start = matcher._i
        ids += matcher._ids[start:]
        weights += matcher._weights[start:]
        matcher._next_block()
    return ids, weights


def term_bytes(schema: Any, fieldname: str, text: str) -> bytes | None:
    """The indexed form of a term's text, None when the field or the text cannot be indexed."""
    if fieldname not in schema:
        return None
    try:
        return schema[fieldname].to_bytes(text)  # type: ignore[no-any-return]
    except ValueError:
        return None


def deleted_in(segment: Any) -> Any:
    """The segment's deleted document numbers (an empty tuple when it has none)."""
    return segment.deleted_docs_set if segment.has_deletions() else ()

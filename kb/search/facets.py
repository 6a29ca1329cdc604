"""Facet counts over the matching passages (each dimension ignores its own filter)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from whoosh.query import Or, Term

from kb.search.match import TermReads, matching_docnums
from kb.storage.derived import derived

MAX_DOCUMENT_FACETS = 50


def _read_columns(reader: Any) -> tuple[list[str], list[str]]:
    """(category_set, doc_id) of every passage by document number."""
    return list(reader.column_reader("category_set")), list(reader.column_reader("doc_id"))


def _columns(reader: Any) -> tuple[list[str], list[str]]:
    return derived(reader, "facet-columns", _read_columns)


def document_ids(searcher: Any, docnums: set[int]) -> set[str]:
    """The documents of these passages, from the doc_id column (read once per build and reader)."""
    docs = _columns(searcher.reader())[1]
    return {docs[n] for n in docnums}


def filtered_docnums(searcher: Any, matched: set[int], categories: tuple[str, ...], documents: tuple[str, ...],
                     reads: TermReads | None = None) -> set[int]:
    """The matched passages in any of `categories` (if given) and of `documents` (if given)."""
    allowed = matched
    if categories:
        allowed = allowed & matching_docnums(searcher, Or([Term("categories", c) for c in categories]), reads)
    if documents:
        allowed = allowed & matching_docnums(searcher, Or([Term("doc_id", d) for d in documents]), reads)
    return allowed


def facet_counts(
    searcher: Any, matched: set[int], categories: tuple[str, ...], documents: tuple[str, ...], reads: TermReads | None = None
) -> tuple[dict[str, dict[str, int]], set[int]]:
    """({'category': {...}, 'document': {...}}, matched passages that pass both filters).

    Category counts apply the document filter only, document counts the category filter only,
    so that a user sees what choosing another value would give (disjunctive facets)."""
    in_categories = matching_docnums(searcher, Or([Term("categories", c) for c in categories]), reads) if categories else None
    in_documents = matching_docnums(searcher, Or([Term("doc_id", d) for d in documents]), reads) if documents else None
    by_doc = matched if in_documents is None else matched & in_documents
    by_cat = matched if in_categories is None else matched & in_categories
    allowed = by_doc if in_categories is None else by_doc & in_categories
    category_counts: Counter[str] = Counter()
    document_counts: Counter[str] = Counter()
    if by_doc or by_cat:
        cats, docs = _columns(searcher.reader())
        for value, count in Counter(cats[n] for n in by_doc).items():
            if value:
                for slug in value.split(","):
                    category_counts[slug] += count
        document_counts.update(docs[n] for n in by_cat)
    return (
        {
            "category": dict(category_counts.most_common()),
            "document": dict(document_counts.most_common(MAX_DOCUMENT_FACETS)),
        },
        allowed,
    )

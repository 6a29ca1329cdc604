"""Facet counts over the matching passages (each dimension ignores its own filter)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from whoosh import sorting
from whoosh.query import Term

MAX_DOCUMENT_FACETS = 50
# Facets Whoosh counts while it ranks (one pass when no filter is applied).
FACETS = sorting.Facets({"document": sorting.FieldFacet("doc_id"), "category": sorting.FieldFacet("category_set")})


def grouped_facets(results: Any) -> dict[str, dict[str, int]]:
    """Facet counts from a search run with groupedby=FACETS and maptype=Count."""
    categories: Counter[str] = Counter()
    for value, count in results.groups("category").items():
        if value:
            categories.update({slug: count for slug in value.split(",")})
    documents = Counter(results.groups("document"))
    return {"category": dict(categories.most_common()), "document": dict(documents.most_common(MAX_DOCUMENT_FACETS))}


def _postings(searcher: Any, field: str, value: str) -> set[int]:
    return set(searcher.docs_for_query(Term(field, value)))


def facet_counts(
    searcher: Any, matched: set[int], categories: tuple[str, ...], documents: tuple[str, ...]
) -> tuple[dict[str, dict[str, int]], set[int]]:
    """({'category': {...}, 'document': {...}}, matched passages that pass both filters).

    Category counts apply the document filter only, document counts the category filter only,
    so that a user sees what choosing another value would give (disjunctive facets)."""
    in_categories = set().union(*(_postings(searcher, "categories", c) for c in categories)) if categories else None
    in_documents = set().union(*(_postings(searcher, "doc_id", d) for d in documents)) if documents else None
    by_doc = matched if in_documents is None else matched & in_documents
    by_cat = matched if in_categories is None else matched & in_categories
    allowed = by_doc if in_categories is None else by_doc & in_categories
    category_counts: Counter[str] = Counter()
    document_counts: Counter[str] = Counter()
    if by_doc or by_cat:
        reader = searcher.reader()
        cats = reader.column_reader("category_set") if by_doc else None
        docs = reader.column_reader("doc_id") if by_cat else None
        for n in by_doc:
            value = cats[n]
            if value:
                category_counts.update(value.split(","))
        for n in by_cat:
            document_counts[docs[n]] += 1
    return (
        {
            "category": dict(category_counts.most_common()),
            "document": dict(document_counts.most_common(MAX_DOCUMENT_FACETS)),
        },
        allowed,
    )

"""The Whoosh schema of the fields of kb/storage/fields.py: analysed text (lemmas and stems),
filters, stored display data."""

from __future__ import annotations

from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from kb.analysis import lemma_analyzer, stem_analyzer, word_analyzer


def build_schema() -> Schema:
    """One schema for building and searching, so both sides analyse text the same way."""
    lemma, stem = lemma_analyzer(), stem_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        doc_id=ID(stored=True, sortable=True),
        position=NUMERIC(stored=True, sortable=True),
        text=TEXT(analyzer=lemma, phrase=True),
        heading=TEXT(analyzer=lemma, phrase=False),
        title=TEXT(analyzer=lemma, phrase=False),
        text_stem=TEXT(analyzer=stem, phrase=True),  # phrases match by stem when lemmas differ
        heading_stem=TEXT(analyzer=stem, phrase=False),
        title_stem=TEXT(analyzer=stem, phrase=False),
        context_stem=TEXT(analyzer=stem, phrase=False),  # a list item's lead-in (« il convient : »)
        description_stem=TEXT(analyzer=stem, phrase=False),  # its document's description
        words=TEXT(analyzer=word_analyzer(), phrase=False),
        categories=KEYWORD(stored=True, commas=True, scorable=False),
        category_set=ID(sortable=True),  # the same slugs as one column value, for fast facets
        kind=ID(sortable=True),  # "" for content, else what the passage is instead (Passage.kind)
        payload=STORED(),
    )

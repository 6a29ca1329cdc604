"""Writing passages into a build's Whoosh index (the indexer's side of the adapter)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from kb.storage.whoosh_adapter.schema import build_schema


def open_for_writing(build: Path, *, fresh: bool) -> Any:
    """The index of `build`: created empty (`fresh`) or the copy of a previous build's, opened."""
    if fresh:
        return whoosh_index.create_in(str(build), build_schema())
    return whoosh_index.open_dir(str(build), schema=build_schema())


def write_passages(ix: Any, delete_documents: Iterable[str], rows: Iterable[dict[str, Any]]) -> None:
    """Delete the passages of `delete_documents`, add `rows` (one dict of fields per passage), and
    commit; on any failure nothing is committed."""
    writer = ix.writer(limitmb=256)
    try:
        for doc_id in delete_documents:
            writer.delete_by_term("doc_id", doc_id)
        for row in rows:
            writer.add_document(**row)
        writer.commit()
    except BaseException:
        if not writer.is_closed:  # a failed commit has closed it already; the error is what matters
            writer.cancel()
        raise


def stored_payloads(ix: Any) -> list[dict[str, Any]]:
    """Every passage's stored payload, in document-number order."""
    with ix.searcher() as searcher:
        return [fields["payload"] for fields in searcher.all_stored_fields()]

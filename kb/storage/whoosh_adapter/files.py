"""A build's Whoosh files: opened from memory for serving, and checked by reading them back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import BufferFile
from whoosh.index import FileIndex
from whoosh.query import Term

from kb.storage.whoosh_adapter.schema import build_schema

Damaged = Callable[[str], Exception]


class _InMemoryStorage(FileStorage):
    """A build's files read whole into memory when opened: a file truncated or overwritten
    afterwards cannot touch what is served (a memory-mapped one kills the process with SIGBUS),
    reads are as fast as from a mapping, and forked workers share the pages."""

    supports_mmap = False

    def open_file(self, name: str, **kwargs: Any) -> BufferFile:
        with open(self._fpath(name), "rb") as fh:
            return BufferFile(fh.read(), name=name, **kwargs)


def open_build(build: Path) -> FileIndex:
    """Open a build for reading, from memory (see _InMemoryStorage)."""
    return FileIndex(_InMemoryStorage(str(build), supports_mmap=False, readonly=True), schema=build_schema())


def check_index(ix: FileIndex, expected: int, deep: bool, damaged: Damaged) -> tuple[list[str], int]:
    """The fields a query found passages in, and the stored passages read (`deep`), after checking
    that the index holds `expected` passages; raises damaged(problem) at the first problem."""
    queried: list[str] = []
    stored_read = 0
    with ix.searcher() as searcher:
        reader = searcher.reader()
        if reader.doc_count() != expected:
            raise damaged(f"the index holds {reader.doc_count()} passages, its manifest {expected}")
        for fname in sorted(ix.schema.scorable_names() + ["id", "doc_id"]):
            if fname in reader.indexed_field_names() and _query_field(searcher, fname, damaged):
                queried.append(fname)
        if deep:
            for stored in reader.all_stored_fields():
                if "payload" not in stored:
                    raise damaged("a passage has no stored payload")
                stored_read += 1
    return queried, stored_read


def _query_field(searcher: Any, fname: str, damaged: Damaged, tries: int = 200) -> bool:
    """Search one of the field's first terms: a term of deleted passages only (kept by Whoosh
    until a merge) finds nothing, so a few are tried; a field with none is not counted."""
    reader = searcher.reader()
    tried = 0
    for term in reader.lexicon(fname):
        if searcher.search(Term(fname, term), limit=1):
            return True
        tried += 1
        if tried >= tries:
            break
    if tried and not reader.has_deletions():
        raise damaged(f"field '{fname}' finds no passage for the terms its lexicon lists")
    return False

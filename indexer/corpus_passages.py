"""Passages of every file under corpus paths, without building an index (for evaluations)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalogue import Catalogue, load_catalogue
from indexer.discover import discover
from indexer.loaders import load_document
from indexer.passages import make_passages
from kb.errors import DocumentError
from kb.models import Passage


@dataclass
class CorpusPassages:
    """Each file's passages and document title, by path, and the files skipped with the reason."""

    passages: dict[Path, list[Passage]] = field(default_factory=dict)
    titles: dict[Path, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def read_passages(paths: list[Path], *, strict: bool = True) -> CorpusPassages:
    """The passages of every file under `paths`, cut the way the index cuts them. A file the build
    would skip (unsupported type, unreadable PDF) raises DocumentError when `strict`, else is
    listed in `skipped`, as the build lists it in its warnings."""
    found = discover(paths)
    catalogues: dict[Path, Catalogue] = {}
    out = CorpusPassages()
    for path, cat_dir in found.files:
        catalogues.setdefault(cat_dir, load_catalogue(cat_dir))
        try:
            doc = load_document(path, catalogues[cat_dir].get(path.name), name=found.names.get(path))
        except DocumentError as exc:
            if strict:
                raise
            out.skipped.append(str(exc).splitlines()[0])
            continue
        out.passages[path] = make_passages(doc)
        out.titles[path] = doc.meta.title
    return out


def passages_by_source(paths: list[Path]) -> tuple[dict[str, list[Passage]], dict[str, str]]:
    """(file stem → passages, file stem → document title): how the labelled set names documents."""
    read = read_passages(paths)
    return {p.stem: v for p, v in read.passages.items()}, {p.stem: v for p, v in read.titles.items()}

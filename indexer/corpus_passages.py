"""Passages of every file under corpus paths, without building an index (for evaluations)."""

from __future__ import annotations

from pathlib import Path

from indexer.catalogue import Catalogue, load_catalogue
from indexer.discover import discover
from indexer.loaders import load_document
from indexer.passages import make_passages
from kb.models import Passage


def passages_by_source(paths: list[Path]) -> tuple[dict[str, list[Passage]], dict[str, str]]:
    """(file stem → passages, file stem → document title), cut the way the index cuts them."""
    found = discover(paths)
    catalogues: dict[Path, Catalogue] = {}
    passages: dict[str, list[Passage]] = {}
    titles: dict[str, str] = {}
    for path, cat_dir in found.files:
        catalogues.setdefault(cat_dir, load_catalogue(cat_dir))
        doc = load_document(path, catalogues[cat_dir].get(path.name), name=found.names.get(path))
        passages[path.stem] = make_passages(doc)
        titles[path.stem] = doc.meta.title
    return passages, titles

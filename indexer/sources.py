"""The corpus as one build sees it: each file read once, hashed from the bytes that were read,
and compared with the previous build to decide what must be loaded again."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from indexer.catalogue import Catalogue, load_catalogue
from indexer.discover import Discovery, discover
from indexer.loaders.source import read_file_once
from kb.errors import DocumentError


@dataclass
class Source:
    """One corpus file: its catalogue entry, the hash of what was read, and the bytes when the
    build must load them (None when unchanged); `error` when it could not be read or loaded."""

    path: Path
    name: str
    entry: dict[str, Any] | None
    hash: str
    raw: bytes | None = None
    error: str | None = None


@dataclass
class Corpus:
    """Every source file by key (its normalised path), and the warnings of discovery."""

    sources: dict[str, Source] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    bytes: int = 0


def read_corpus(
    paths: list[Path], old_files: dict[str, dict[str, Any]], max_bytes: int, follow_symlinks: bool = False
) -> Corpus:
    """Discover, read and hash every file; keep the bytes of those that differ from `old_files`."""
    found = discover(paths, follow_symlinks=follow_symlinks)
    corpus = Corpus(warnings=list(found.warnings))
    catalogues = _catalogues(found, corpus)
    for path, cat_dir in found.files:
        key = str(path)
        entry = catalogues[cat_dir].get(path.name) if cat_dir in catalogues else None
        source = Source(path, found.names[path], entry, "")
        try:
            raw = read_file_once(path, max_bytes, follow=path in found.links)
        except DocumentError as exc:
            source.error = str(exc)
            source.hash = "unreadable:" + hashlib.sha256(source.error.encode()).hexdigest()
        else:
            source.hash = content_hash(raw, entry)
            corpus.bytes += len(raw)
            if not known_hash(old_files.get(key), source.hash):
                source.raw = raw
        corpus.sources[key] = source
    return corpus


def _catalogues(found: Discovery, corpus: Corpus) -> dict[Path, Catalogue]:
    """The catalogue of each folder holding files, with its duplicate keys and orphan entries."""
    catalogues: dict[Path, Catalogue] = {}
    for cat_dir in dict.fromkeys([d for _, d in found.files] + found.folders):
        catalogue = catalogues[cat_dir] = load_catalogue(cat_dir)  # unreadable: the build stops
        corpus.warnings.extend(catalogue.warnings)
        if cat_dir in found.folders:
            corpus.warnings.extend(catalogue.orphans(cat_dir))
    return catalogues


def known_hash(old: dict[str, Any] | None, digest: str) -> bool:
    """Whether the previous build saw these very bytes: as indexed, or as failing to load."""
    return bool(old) and digest in (old.get("hash"), (old.get("failed") or {}).get("hash"))  # type: ignore[union-attr]


def content_hash(raw: bytes, entry: dict[str, Any] | None) -> str:
    """Changes when the file's bytes or its catalogue entry change."""
    h = hashlib.sha256(raw)
    h.update(json.dumps(entry or {}, sort_keys=True, default=str).encode())
    return h.hexdigest()

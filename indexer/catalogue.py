"""The corpus catalogue: citation metadata per file, merged with what the file gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kb.errors import DocumentError
from kb.models import DocumentMeta
from kb.text import slugify

CATALOGUE_NAME = "catalogue.yaml"
FIELDS = ("title", "publisher", "date", "kind", "language", "licence", "url", "base_url", "description")


def load_catalogue(directory: Path) -> dict[str, dict[str, Any]]:
    """Entries of `directory/catalogue.yaml` keyed by file name ({} when absent)."""
    path = directory / CATALOGUE_NAME
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DocumentError(str(path), f"cannot read the catalogue: {exc}") from exc
    documents = data.get("documents", {}) if isinstance(data, dict) else {}
    if not isinstance(documents, dict):
        raise DocumentError(str(path), "'documents' must map file names to metadata")
    return {str(k): v for k, v in documents.items() if isinstance(v, dict)}


def build_meta(
    path: Path, entry: dict[str, Any] | None, front: dict[str, str], extracted_title: str | None, name: str | None = None
) -> DocumentMeta:
    """Catalogue first, then front matter, then what the text gives; unknown stays None."""
    entry = entry or {}
    merged: dict[str, Any] = {}
    for key in FIELDS:
        value = entry.get(key)
        if value is None:
            value = front.get(key)
        merged[key] = None if value is None else str(value)
    title = merged["title"] or extracted_title or path.stem.replace("-", " ").replace("_", " ").strip()
    doc_id = str(entry.get("id") or front.get("slug") or slugify(name or path.stem)) or "document"
    return DocumentMeta(
        id=slugify(doc_id, max_length=80) or "document",
        title=title,
        publisher=merged["publisher"],
        date=merged["date"],
        kind=merged["kind"],
        language=merged["language"] or "fr",
        licence=merged["licence"],
        url=merged["url"],
        base_url=merged["base_url"],
        description=merged["description"],
        source_file=path.name,
    )

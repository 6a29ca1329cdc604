"""The corpus catalogue: citation metadata per file, merged with what the file gives."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.errors import DocumentError
from kb.models import DocumentMeta
from indexer.isolation import run_isolated
from indexer.limits import Limits
from indexer.text import slugify
from indexer.yamlbounds import AliasBombError, children, compose_bounded, construct

CATALOGUE_NAME = "catalogue.yaml"
FIELDS = ("title", "publisher", "date", "kind", "language", "licence", "url", "url_note", "base_url", "description")


@dataclass
class Catalogue:
    """One folder's catalogue: entries by file name, the line of each, and what is wrong in it."""

    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def get(self, name: str) -> dict[str, Any] | None:
        """The entry for a file name, or None."""
        return self.entries.get(name)

    def orphans(self, directory: Path) -> list[str]:
        """Warnings for entries that name no file of `directory` (a typo, or a file removed)."""
        return [
            f"{self.path}:{self.lines.get(name, 1)}: entry '{name}' names no file in {directory}"
            for name in self.entries
            if not os.path.lexists(directory / name)
        ]


def load_catalogue(directory: Path, limits: Limits = Limits()) -> Catalogue:
    """`directory/catalogue.yaml` (empty when absent); duplicate keys are reported, not merged.
    Parsed in a child process under `limits`, as documents are: PyYAML slows down with every
    open flow collection ('[[[[…' of 1,200 levels took 6.5 s before a RecursionError)."""
    path = directory / CATALOGUE_NAME
    if not path.is_file():
        return Catalogue(path)
    return run_isolated(lambda: read_catalogue(path), str(path), limits)


def read_catalogue(path: Path) -> Catalogue:
    """load_catalogue's work, in the calling process."""
    catalogue = Catalogue(path)
    try:
        text = path.read_text(encoding="utf-8")
        root = compose_bounded(text)
        data = construct(root) or {}
    except AliasBombError as exc:
        raise DocumentError(str(path), f"cannot read the catalogue: {exc.problem}", line=exc.line,
                            hint="write the repeated values out instead of nesting aliases") from exc
    except RecursionError as exc:
        raise DocumentError(str(path), "cannot read the catalogue: it is nested too deeply",
                            hint="a catalogue maps file names to flat entries") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DocumentError(str(path), f"cannot read the catalogue: {exc}") from exc
    documents = data.get("documents", {}) if isinstance(data, dict) else {}
    if not isinstance(documents, dict):
        raise DocumentError(str(path), "'documents' must map file names to metadata")
    catalogue.entries = {str(k): v for k, v in documents.items() if isinstance(v, dict)}
    _check_keys(root, catalogue)
    return catalogue


def _check_keys(root: yaml.Node | None, catalogue: Catalogue) -> None:
    """Record each entry's line, and report every key given twice in one mapping."""
    _report_duplicates(root, catalogue)
    if not isinstance(root, yaml.MappingNode):
        return
    for key_node, value_node in root.value:
        if key_node.value == "documents" and isinstance(value_node, yaml.MappingNode):
            for entry_key, _ in value_node.value:
                catalogue.lines.setdefault(str(entry_key.value), entry_key.start_mark.line + 1)


def _report_duplicates(root: yaml.Node | None, catalogue: Catalogue) -> None:
    """YAML keeps the last of two equal keys silently; a catalogue says so instead, once per
    mapping as written (a mapping repeated through aliases is visited once)."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key_node, _ in node.value:
                key, line = str(key_node.value), key_node.start_mark.line + 1
                if key in first:
                    catalogue.warnings.append(f"{catalogue.path}:{line}: key '{key}' is given twice "
                                              f"(first on line {first[key]}); only the last one is used")
                first.setdefault(key, line)
        stack.extend(reversed(children(node)))


def document_id(path: Path, entry: dict[str, Any] | None, front: dict[str, str], name: str | None = None) -> str:
    """A document's id: the catalogue's, else its front matter's slug, else its file name's."""
    doc_id = str((entry or {}).get("id") or front.get("slug") or slugify(name or path.stem)) or "document"
    return slugify(doc_id, max_length=80) or "document"


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
    return DocumentMeta(
        id=document_id(path, entry, front, name),
        title=title,
        publisher=merged["publisher"],
        date=merged["date"],
        kind=merged["kind"],
        language=merged["language"] or "fr",
        licence=merged["licence"],
        url=merged["url"],
        url_note=merged["url_note"],
        base_url=merged["base_url"],
        description=merged["description"],
        source_file=path.name,
    )

"""Changing a folder's catalogue.yaml in place of an operator: round-trip YAML (comments, order
and quoting kept), written through a unique temporary file, synced, and renamed over the old one,
so a reader sees the old catalogue or the new one, never half of one. Callers hold the folder's
writer lock (indexer/writers.py): read, change and write happen as one step."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from indexer.catalogue import CATALOGUE_NAME
from kb.errors import DocumentError

# The catalogue fields `kb add` sets, in the order they are written.
ENTRY_FIELDS = ("id", "title", "publisher", "kind", "language", "licence", "date", "url")
TEMP_PREFIX = ".kb-tmp-"  # every temporary file a writer leaves in a corpus folder starts so


def fsync_dir(folder: Path) -> None:
    """Make the names just created, renamed or removed in `folder` survive a power cut."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_replacing(path: Path, write: Callable[[Any], None], *, suffix: str) -> None:
    """Write `path` whole or not at all: `write(fh)` fills a unique hidden temporary file beside
    it, which is synced and renamed over `path` (keeping its permissions)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{path.stem}-", suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            os.fchmod(fh.fileno(), mode)
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def set_entry(folder: Path, name: str, entry: dict[str, str]) -> None:
    """Give file `name` the catalogue entry `entry` (written in ENTRY_FIELDS order)."""
    edit_catalogue(folder, lambda docs: docs.__setitem__(name, _entry_map(entry)))


def drop_entry(folder: Path, name: str) -> None:
    """Take file `name`'s entry out of the catalogue, if it has one."""
    edit_catalogue(folder, lambda docs: docs.pop(name, None), only_if=lambda docs: name in docs)


def catalogue_entry(folder: Path, name: str) -> dict[str, Any] | None:
    """The entry of file `name` as the catalogue holds it now (plain values), or None."""
    data = _load(folder / CATALOGUE_NAME)
    docs = (data or {}).get("documents") or {}
    entry = docs.get(name)
    return {str(k): v for k, v in entry.items()} if isinstance(entry, dict) else None


def _entry_map(entry: dict[str, str]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    ordered = CommentedMap()
    for key in ENTRY_FIELDS:
        if entry.get(key):
            ordered[key] = entry[key]
    for key, value in entry.items():
        if key not in ordered:
            ordered[key] = value
    return ordered


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments, key order and quoting are kept
    yaml.preserve_quotes = True
    yaml.width = 4096
    # Unknown stays written as `null`, as the catalogue's own convention has it (ruamel would
    # write an empty value).
    yaml.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _load(path: Path, yaml: Any = None) -> Any:
    from ruamel.yaml.error import YAMLError

    try:
        return (yaml or _yaml()).load(path.read_text(encoding="utf-8")) if path.exists() else None
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise DocumentError(str(path), f"cannot read the catalogue: {exc}", hint="fix the YAML, then run the command again") from exc


def edit_catalogue(corpus: Path, change: Callable[[Any], Any], only_if: Callable[[Any], bool] | None = None) -> None:
    """Load `corpus/catalogue.yaml` round-trip, apply `change` to its `documents` mapping and
    write it back whole (skipped when `only_if` says there is nothing to change)."""
    from ruamel.yaml.comments import CommentedMap

    path = corpus / CATALOGUE_NAME
    yaml = _yaml()
    data = _load(path, yaml)
    if data is None:
        data = CommentedMap()
    if "documents" not in data or data["documents"] is None:
        data["documents"] = CommentedMap()
    if only_if is not None and not only_if(data["documents"]):
        return
    change(data["documents"])
    write_replacing(path, lambda fh: yaml.dump(data, fh), suffix=".yaml")

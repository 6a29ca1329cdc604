"""Reading a source file safely: size limit, binary detection, decoding with a fallback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import DocumentError

MAX_FILE_BYTES = 5 * 1024 * 1024
FALLBACK_ENCODING = "cp1252"

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdx", ".svx"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
TEXT_SUFFIXES = {".txt", ".text"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | HTML_SUFFIXES | TEXT_SUFFIXES


@dataclass
class SourceText:
    """The decoded text of a file and the warnings raised while reading it."""

    path: Path
    text: str
    raw: bytes
    warnings: list[str] = field(default_factory=list)


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES) -> SourceText:
    """Read and decode `path`; raise DocumentError for what cannot be indexed at all."""
    name = str(path)
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(
            name,
            f"unsupported file type '{path.suffix or '(none)'}'",
            hint="supported: " + ", ".join(sorted(SUPPORTED_SUFFIXES)),
        )
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise DocumentError(
                name,
                f"file is too large ({size:,} bytes; the limit is {max_bytes:,})",
                hint="split the document or raise the limit with --max-bytes",
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(name, f"cannot read file: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise DocumentError(name, "file is empty")
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
    """'markdown', 'html' or 'pdftext': by extension, and by content for .txt files."""
    suffix = source.path.suffix.lower()
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

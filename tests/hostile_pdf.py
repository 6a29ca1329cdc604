"""Hostile PDFs written object by object (no PDF library in the way): reference cycles,
decompression bombs, and plain text pages, so that tests build them in milliseconds instead of
committing binaries."""

from __future__ import annotations

import zlib
from pathlib import Path

FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def pdf_file(objects: dict[int, bytes], root: int = 1) -> bytes:
    """A complete PDF of `objects` (number → body) with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        out += b"%010d 00000 n \n" % offsets[number] if number in offsets else b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, xref)
    return bytes(out)


def text_stream(text: str, top: float = 100.0, height: float = 792.0) -> bytes:
    """A page's content: `text` set in 12-point Helvetica, its top `top` points from the top edge."""
    escaped = text.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    return b"BT /F1 12 Tf 72 %.1f Td (%s) Tj ET" % (height - top - 9, escaped)


def stream(data: bytes, compress: bool = False) -> bytes:
    """A stream object's body, deflated when `compress`."""
    if compress:
        data = zlib.compress(data, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pages_pdf(contents: list[bytes], extra: dict[int, bytes] | None = None, catalogue_extra: bytes = b"") -> bytes:
    """One page per content-stream body (already written as a stream object, or a reference);
    pages are objects 10 and up, `extra` objects 4 to 9."""
    objects: dict[int, bytes] = {3: FONT}
    kids = []
    for n, body in enumerate(contents):
        page, content = 10 + 2 * n, 11 + 2 * n
        kids.append(b"%d 0 R" % page)
        objects[page] = (b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                         b"/Contents %d 0 R >>" % content)
        objects[content] = body
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R " + catalogue_extra + b">>"
    objects[2] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(contents)
    objects.update(extra or {})
    return pdf_file(objects)


def self_referencing_contents() -> bytes:
    """Page 1's /Contents is object 11, whose value is `11 0 R` (itself); page 2 holds text."""
    return pages_pdf([b"11 0 R", stream(text_stream("La deuxième page se lit normalement, elle."))])


def self_referencing_outline() -> bytes:
    """A bookmark whose /Dest is object 5, whose value is `5 0 R`."""
    outline = {
        4: b"<< /Type /Outlines /First 6 0 R /Last 6 0 R /Count 1 >>",
        5: b"5 0 R",
        6: b"<< /Title (Chapitre un) /Parent 4 0 R /Dest 5 0 R >>",
    }
    page = stream(text_stream("Le texte de la page unique se lit malgré le signet."))
    return pages_pdf([page], outline, b"/Outlines 4 0 R ")


def inflating_stream(size: int, chunk: bytes) -> bytes:
    """A FlateDecode stream object inflating to `size` bytes of `chunk` repeated, built from one
    deflated chunk repeated (a full flush makes each chunk's compressed form identical)."""
    block = chunk * max(1, (1 << 20) // len(chunk))
    size -= size % len(block)
    compressor = zlib.compressobj(9)
    head = compressor.compress(b"") + compressor.flush(zlib.Z_NO_FLUSH)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    adler = 1
    for _ in range(size // len(block)):
        adler = zlib.adler32(block, adler)
    body = head + first + repeated * (size // len(block) - 1)
    body = body + tail[:-4] + adler.to_bytes(4, "big")
    return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"


def bomb(size: int, chunk: bytes = b" ") -> bytes:
    """A one-page PDF whose content stream inflates to `size` bytes of `chunk`, then a second
    page with text."""
    return pages_pdf([inflating_stream(size, chunk), stream(text_stream("Après la bombe, une page de texte normal."))])


def one_line_per_page(sentences: list[str], top: float = 40.0) -> bytes:
    """One page per sentence, each set at the same height (`top` points from the top edge)."""
    return pages_pdf([stream(text_stream(s, top)) for s in sentences])


def write(path: Path, data: bytes) -> Path:
    """Write `data` to `path` and return the path."""
    path.write_bytes(data)
    return path

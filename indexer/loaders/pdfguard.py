"""Defences against PDFs built to hang or exhaust the reader, applied before pdfminer meets them:
objects that are only a reference to themselves (pdfminer's resolve1 follows them forever), and
page contents that inflate past a size no real page has (a decompression bomb)."""

from __future__ import annotations

import re
import zlib
from typing import Any

MAX_PAGE_CONTENT_BYTES = 16 * 1024 * 1024  # inflated content of one page; the Debian manual's largest is 0.1 MB
MAX_FORM_DEPTH = 8  # form XObjects drawn inside form XObjects

# « 12 0 obj 12 0 R endobj »: an object whose whole value is a reference.
_BARE_REFERENCE = re.compile(rb"(?<![0-9])(\d{1,10})\s+(\d{1,5})\s+obj\s*((\d{1,10})\s+\d{1,5}\s+R)\s*endobj")


class PageTooLarge(Exception):
    """A page's content streams inflate past MAX_PAGE_CONTENT_BYTES."""


def break_reference_cycles(raw: bytes, name: str) -> tuple[bytes, list[str]]:
    """`raw` with every object that is only a reference in a cycle of references (« 5 0 obj
    5 0 R ») rewritten as an empty array of the same length (offsets stay valid), and one warning per
    cycle naming its objects."""
    refs: dict[int, tuple[int, tuple[int, int]]] = {}
    for match in _BARE_REFERENCE.finditer(raw):
        refs[int(match.group(1))] = (int(match.group(4)), match.span(3))
    cyclic: list[list[int]] = []
    done: set[int] = set()
    for start in refs:
        path: list[int] = []
        node = start
        while node in refs and node not in done and node not in path:
            path.append(node)
            node = refs[node][0]
        if node in path:
            cyclic.append(path[path.index(node):])
        done.update(path)
    if not cyclic:
        return raw, []
    out = bytearray(raw)
    warnings = []
    for cycle in cyclic:
        for objid in cycle:
            begin, end = refs[objid][1]
            out[begin:end] = b"[]".ljust(end - begin)
        chain = " → ".join(f"{n} 0 R" for n in [*cycle, cycle[0]])
        warnings.append(f"{name}: object {cycle[0]} refers only to itself ({chain}); it is read as empty "
                        "(a damaged or hostile file: what points to it is skipped, the rest is read)")
    return bytes(out), warnings


def check_page_content(page_obj: Any, limit: int = MAX_PAGE_CONTENT_BYTES) -> None:
    """Raise PageTooLarge when the page's content streams and the forms it draws inflate to more
    than `limit` bytes, measured without ever holding more than `limit` bytes of one stream."""
    from pdfminer.pdftypes import resolve1

    total = 0
    seen: set[int] = set()
    todo: list[tuple[Any, int]] = [(s, 0) for s in page_obj.contents]
    todo.extend((form, 1) for form in _forms(resolve1(page_obj.resources)))
    while todo:
        stream, depth = todo.pop()
        stream = resolve1(stream)
        if id(stream) in seen or not hasattr(stream, "rawdata") or depth > MAX_FORM_DEPTH:
            continue
        seen.add(id(stream))
        total += _inflated_size(stream, limit - total)
        if total > limit:
            raise PageTooLarge(f"its content inflates to more than {limit // (1024 * 1024)} MB")
        todo.extend((form, depth + 1) for form in _forms(resolve1(stream.get("Resources"))))


def _forms(resources: Any) -> list[Any]:
    """The form XObjects a resource dictionary names (images are not decoded by the reader)."""
    from pdfminer.pdftypes import resolve1

    xobjects = resolve1(resources.get("XObject")) if isinstance(resources, dict) else None
    if not isinstance(xobjects, dict):
        return []
    forms = []
    for ref in xobjects.values():
        stream = resolve1(ref)
        subtype = resolve1(stream.get("Subtype")) if hasattr(stream, "rawdata") else None
        if getattr(subtype, "name", None) == "Form":
            forms.append(stream)
    return forms


def _inflated_size(stream: Any, budget: int) -> int:
    """The inflated size of a stream (FlateDecode measured, at most `budget` + 1 bytes inflated;
    other filters at their stored size: the process limits bound them)."""
    from pdfminer.pdftypes import LITERALS_FLATE_DECODE

    data = stream.rawdata
    if data is None:
        return len(stream.data or b"")
    filters = stream.get_filters()
    if not filters or filters[0][0] not in LITERALS_FLATE_DECODE:
        return len(data)
    if stream.decipher:
        data = stream.decipher(stream.objid, stream.genno, data, stream.attrs)
    inflater = zlib.decompressobj()
    try:
        return len(inflater.decompress(data, max(budget, 0) + 1))
    except zlib.error:
        return len(data)  # damaged: pdfminer reports it its own way

"""Text and addresses that come from documents (front matter, catalogue, PDF metadata, passage
text), made safe to write into line-based formats: whatever a document says stays data, it can
neither start a new line of a file nor become a link that runs a script."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

WEB_SCHEMES = ("http", "https")
# Controls (C0, DEL, C1) and the Unicode line and paragraph separators: each one can end a line
# or a record somewhere (RIS, BibTeX, a terminal, a spreadsheet cell).
_BREAKING = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPACES = re.compile(r"\s+")
# What one_line() changes: a breaking character, any whitespace but a space, or two in a row.
_NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]|[^\S ]|\s\s")
# Characters a URL may not hold as such (RFC 3986): written percent-encoded, the address is the
# same one (browsers send them so) and no format's delimiter ({ } " < > \ |) appears in it.
_NOT_IN_URL = re.compile(r'[ "<>\\^`{|}]')


def one_line(text: str | None) -> str:
    """`text` on one line: control characters and line breaks as spaces, runs of spaces as one."""
    if not text:
        return ""
    if not _NOT_ONE_LINE.search(text):  # most text is on one line already: one scan, no copy
        return text.strip()
    return _SPACES.sub(" ", _BREAKING.sub(" ", text)).strip()


def web_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) address with a host, else None: a `javascript:`,
    `data:` or `file:` address, a relative one or garbage is not exported as a link. Tabs and
    line breaks are removed first, as browsers' URL parsers do (WHATWG URL standard); characters
    a URL may not hold are percent-encoded."""
    if not url:
        return None
    url = re.sub(r"[\t\n\r]", "", url).strip()
    if _BREAKING.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.netloc:
        return None
    return _NOT_IN_URL.sub(lambda m: f"%{ord(m.group(0)):02X}", url)


def link_url(url: str | None) -> str | None:
    """A passage link's target as an export may show it: an http(s) address, or a relative one
    (a page of the document's own site, which carries no scheme to run); None otherwise."""
    if not url:
        return None
    absolute = web_url(url)
    if absolute is not None:
        return absolute
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if not parts.scheme and not parts.netloc and not _BREAKING.search(url) and not url.startswith("//") else None

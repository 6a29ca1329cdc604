"""Presentation helpers shared by pages and API: citations, safe links, reader layout, pagination."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from markupsafe import Markup, escape

from kb.citations.formats import MONTHS
from kb.models import Link, Passage
from kb.untrusted import WEB_SCHEMES
from kb.categories.cues import cue_spans, cue_words, strength
from kb.categories.taxonomy import Category, load_taxonomy

SAFE_SCHEMES = {*WEB_SCHEMES, "mailto"}


def categories_by_slug() -> dict[str, Category]:
    """Taxonomy categories keyed by slug (core ones first, in file order)."""
    return {c.slug: c for c in load_taxonomy()}


def french_date(value: str | None) -> str:
    """'2024-10-10' → '10 octobre 2024'; '2025' stays; unknown → 's. d.' (sans date)."""
    if not value:
        return "s. d."
    match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
    if not match:
        return value
    year, month, day = match.groups()
    if not month or not 1 <= int(month) <= 12:
        return year
    text = f"{MONTHS[int(month) - 1]} {year}"
    return f"{int(day)} {text}" if day else text


def french_datetime(value: str | None) -> str:
    """'2026-11-23T09:34:12Z' → '23 novembre 2026 à 09 h 34 (UTC)'."""
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}).*", value or "")
    if not match:
        return value or "date inconnue"
    day, hour, minute = match.groups()
    return f"{french_date(day)} à {hour} h {minute} (UTC)"


def safe_url(url: str, base_url: str | None = None) -> str | None:
    """An absolute http(s)/mailto URL, resolved against the document's base URL; else None."""
    url = (url or "").strip()
    if base_url:
        url = urljoin(base_url, url)
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in SAFE_SCHEMES else None


def link_view(link: Link | dict[str, str], base_url: str | None = None) -> dict[str, Any]:
    """A source link ready for a template: text, raw URL and its safe absolute form (or None)."""
    text, url = (link.text, link.url) if isinstance(link, Link) else (link["text"], link["url"])
    return {"text": text, "url": url, "href": safe_url(url, base_url)}


def _marked(text: str, offset: int, marks: list[tuple[int, int]]) -> Markup:
    """`text` (which starts at `offset` in its passage) escaped, the marks inside it in <mark>."""
    out: list[Markup] = []
    pos = 0
    for s, e in marks:
        s, e = s - offset, e - offset
        if s < pos or e > len(text):
            continue
        out += [escape(text[pos:s]), Markup("<mark>{}</mark>").format(text[s:e])]
        pos = e
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def linkify(text: str, links: list[Link], base_url: str | None = None,
            marks: list[tuple[int, int]] | None = None) -> tuple[Markup, list[Link]]:
    """The passage text, escaped, with source links inline where safe and the search's words in
    <mark> (`marks`: their spans); plus the links left out."""
    out: list[Markup] = []
    left: list[Link] = []
    marks = marks or []
    pos = 0
    for link in links:
        href = safe_url(link.url, base_url)
        start = text.find(link.text, pos) if link.text else -1
        if href is None or start < 0:
            left.append(link)
            continue
        end = start + len(link.text)
        out.append(_marked(text[pos:start], pos, marks))
        out.append(Markup('<a href="{}" rel="noopener noreferrer">{}</a>').format(href, _marked(text[start:end], start, marks)))
        pos = end
    out.append(_marked(text[pos:], pos, marks))
    return Markup("").join(out), left


def merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping spans joined, in text order (« surveillance » within « surveillance de masse »)."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def explanation_view(explanation: dict[str, Any], text: str) -> dict[str, Any]:
    """An explanation as the passage page says it: how strongly the passage is linked (in
    words), and each cue as the passage or the heading writes it, with its spans in the text."""
    spans = cue_spans(text, [ev["pattern"] for ev in explanation["evidence"]])
    cues = [{"words": list(dict.fromkeys(text[s:e] for s, e in spans[ev["pattern"]])) or [ev["pattern"]],
             "count": ev["count"], "spans": spans[ev["pattern"]]} for ev in explanation["evidence"]]
    section = explanation.get("section")
    heading_cue = cue_words(section["heading"], section["pattern"]) if section else []
    return dict(explanation, strength=strength(explanation), cues=cues, heading_cue=heading_cue)


def excerpt(text: str, size: int = 240) -> str:
    """The start of a text cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= size:
        return text
    return text[:size].rsplit(" ", 1)[0] + "…"


@dataclass
class ReaderItem:
    """One block of the reader: a heading (level, id, title) or a passage."""

    kind: str
    title: str = ""
    level: int = 2
    anchor: str = ""
    passage: Passage | None = None


def reader_items(doc: dict[str, Any], passages: list[Passage]) -> list[ReaderItem]:
    """Headings interleaved with passages in reading order; heading ids never clash with passages."""
    sections = list(doc.get("sections", []))
    top = min((s["level"] for s in sections), default=1)
    taken = {p.anchor for p in passages}

    def heading(s: dict[str, Any]) -> ReaderItem:
        anchor = s["anchor"] if s["anchor"] not in taken else f"section-{s['anchor']}"
        return ReaderItem("heading", s["title"], min(s["level"] - top + 2, 6), anchor)

    items: list[ReaderItem] = []
    nxt = 0
    current: tuple[str, ...] = ()
    for p in passages:
        if p.section != current:
            common = 0
            while common < min(len(current), len(p.section)) and current[common] == p.section[common]:
                common += 1
            for depth, title in enumerate(p.section[common:], start=common):
                found = next((j for j in range(nxt, len(sections)) if sections[j]["title"] == title), None)
                if found is None:
                    items.append(ReaderItem("heading", title, min(depth + 2, 6)))
                    continue
                items.extend(heading(s) for s in sections[nxt : found + 1])
                nxt = found + 1
            current = p.section
        items.append(ReaderItem("passage", passage=p))
    items.extend(heading(s) for s in sections[nxt:])
    return items


@dataclass
class Pagination:
    """Page links for a result list: numbers with gaps (None) around the current page."""

    page: int
    pages: int

    @classmethod
    def of(cls, total: int, page: int, size: int, max_offset: int) -> "Pagination":
        last = max(1, math.ceil(min(total, max_offset + size) / size))
        return cls(page, last)

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.pages else None

    def window(self, around: int = 2) -> list[int | None]:
        """1 … p-2 p-1 p p+1 p+2 … last."""
        shown = {1, self.pages, *range(self.page - around, self.page + around + 1)}
        numbers = sorted(n for n in shown if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in numbers:
            if out and n - (out[-1] or 0) > 1:
                out.append(None)
            out.append(n)
        return out

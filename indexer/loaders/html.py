"""HTML pages → sections (h1–h6) and blocks from the main content; chrome and code dropped."""

from __future__ import annotations

import soupsieve
from bs4 import Comment, NavigableString, Tag

from indexer.loaders.htmltext import DROPPED_TAGS, parse_fragment, text_and_links
from indexer.loaders.structure import StructureBuilder

CHROME_TAGS = frozenset(("nav", "header", "footer", "aside", "form", "button", "select", "head", "noscript"))
SKIPPED = CHROME_TAGS | frozenset(DROPPED_TAGS)
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
BLOCK_TAGS = frozenset(("p", "li", "table", "dt", "dd", "blockquote", "pre", "figcaption", "caption"))
MAIN_SELECTORS = ("main", "[role=main]", "article", "#DisplayArea", "body")
# Compiled here, at import, in the build's process: soupsieve compiles its own parser's patterns
# on first use (0.2 s), and each file is read in a fresh forked child that would pay it again
# (measured: 197 ms a file on the scale corpus, 12 ms once compiled before the fork).
MAIN_PATTERNS = tuple(soupsieve.compile(selector) for selector in MAIN_SELECTORS)


def _main(soup: Tag) -> Tag:
    for pattern in MAIN_PATTERNS:
        found = pattern.select_one(soup)
        if found is not None:
            return found
    return soup


def _table(el: Tag, language: str) -> str:
    rows = []
    for tr in el.find_all("tr"):
        cells = [text_and_links(c, language)[0] for c in tr.find_all(["th", "td"])]
        rows.append(" : ".join(c for c in cells if c))
    return "\n".join(r for r in rows if r)


def _walk(node: Tag, builder: StructureBuilder, language: str, loose: list[str]) -> None:
    """One pass in document order: headings open sections, blocks are read whole (their nested
    blocks with them), loose text between blocks becomes a paragraph."""
    for child in node.children:
        if isinstance(child, Comment):
            continue
        if isinstance(child, NavigableString):
            if child.strip():
                loose.append(str(child))
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name
        if name in SKIPPED:
            continue
        if name in HEADINGS or name in BLOCK_TAGS:
            _flush(builder, loose)
            if name in HEADINGS:
                builder.open_section(text_and_links(child, language)[0], int(name[1]))
            elif name == "table":
                builder.add_block("table", _table(child, language), text_and_links(child, language)[1])
            elif name != "pre":
                text, links = text_and_links(child, language)
                builder.add_block("item" if name == "li" else "paragraph", text, links)
            continue
        if name in ("br", "hr", "div", "section", "ul", "ol", "dl"):
            _flush(builder, loose)
        _walk(child, builder, language, loose)
        if name in ("div", "section"):
            _flush(builder, loose)


def _flush(builder: StructureBuilder, loose: list[str]) -> None:
    if loose:
        builder.add_block("paragraph", " ".join(" ".join(loose).split()), [])
        loose.clear()


def load_html(html: str, builder: StructureBuilder, language: str) -> str | None:
    """Fill `builder` from an HTML page; returns the page's <title> or first heading."""
    soup = parse_fragment(html, strip=False)
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    loose: list[str] = []
    _walk(_main(soup), builder, language, loose)
    _flush(builder, loose)
    if not title and builder.sections:
        title = builder.sections[0].title
    return title or None

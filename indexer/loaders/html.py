"""HTML pages → sections (h1–h6) and blocks from the main content; chrome and code dropped."""

from __future__ import annotations

from bs4 import Tag

from indexer.loaders.htmltext import parse_fragment, text_and_links
from indexer.loaders.structure import StructureBuilder

CHROME_TAGS = ("nav", "header", "footer", "aside", "form", "button", "select", "head")
BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table", "dt", "dd", "blockquote")
MAX_DEPTH = 200


def _main(soup: Tag) -> Tag:
    for selector in ("main", "[role=main]", "article", "body"):
        found = soup.select_one(selector)
        if found is not None:
            return found
    return soup


def load_html(html: str, builder: StructureBuilder, language: str) -> str | None:
    """Fill `builder` from an HTML page; returns the page's <title> or first h1."""
    soup = parse_fragment(html)
    title_tag = soup.find("title")
    title = title_tag.get_text(" ", strip=True) if title_tag else None
    for tag in soup.find_all(CHROME_TAGS):
        tag.decompose()
    main = _main(soup)
    for el in main.find_all(BLOCK_TAGS):
        if el.find_parent(BLOCK_TAGS) is not None:
            continue  # nested blocks are read with their outermost block
        name = el.name or ""
        if name[0] == "h" and name[1:].isdigit():
            text, _ = text_and_links(el, language)
            builder.open_section(text, int(name[1:]))
            title = title or text
        elif name == "table":
            rows = []
            for tr in el.find_all("tr"):
                cells = [text_and_links(c, language)[0] for c in tr.find_all(["th", "td"])]
                rows.append(" : ".join(c for c in cells if c))
            builder.add_block("table", "\n".join(r for r in rows if r), text_and_links(el, language)[1])
        else:
            text, links = text_and_links(el, language)
            builder.add_block("item" if name == "li" else "paragraph", text, links)
    return title

"""Markdown (with YAML front matter and Svelte/HTML islands) → sections and blocks."""

from __future__ import annotations

import re
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from indexer.loaders.htmltext import clean_url, parse_fragment, text_and_links
from indexer.loaders.structure import StructureBuilder
from kb.models import Link

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
# Footnote call markers of the site's articles: ((1)), {(1)}.
_FOOTNOTE_CALL = re.compile(r"\s?(?:\(\(\d+\)\)|\{\(\d+\)\})")
_FOOTNOTE_DEF = re.compile(r"^(?:\{(\d+)\}|\((\d+)\)):\s*")
_TEMPLATE_EXPR = re.compile(r"\{[^{}\n]{0,200}\}")
_ENTITY_LEFTOVER = re.compile(r"&(?:nbsp|amp|lt|gt|quot);?")
# Remains of malformed Markdown: a link target without its "[" ("Near](https://…)"),
# escaped emphasis markers rendered literally ("\*\*").
_BROKEN_LINK_TARGET = re.compile(r"\]\((?:https?://|/)[^)\s]*\)")
_LITERAL_EMPHASIS = re.compile(r"\*{2,}|(?<!\w)_{2,}(?!\w)")
_A_OPEN = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']([^"']*)["']""", re.I)
_SPACES = re.compile(r"[ \t]+")


def clean_inline_text(text: str) -> str:
    """Remove footnote calls, template expressions and stray entities from rendered text."""
    text = _FOOTNOTE_CALL.sub("", text)
    match = _FOOTNOTE_DEF.match(text)
    if match:
        text = f"[{match.group(1) or match.group(2)}] " + text[match.end() :]
    text = _TEMPLATE_EXPR.sub("", text)
    text = _ENTITY_LEFTOVER.sub(" ", text)
    text = _BROKEN_LINK_TARGET.sub("", text)
    text = _LITERAL_EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip()


class InlineRenderer:
    """Renders a markdown-it inline token to plain text, collecting its links."""

    def __init__(self, language: str) -> None:
        self.language = language

    def render(self, inline: Token) -> tuple[str, list[Link]]:
        parts: list[str] = []
        links: list[Link] = []
        stack: list[tuple[str | None, int]] = []  # (url, start index in parts)
        skip_depth = 0
        for child in inline.children or []:
            kind = child.type
            if kind == "html_inline":
                skip_depth = self._html_inline(child.content, parts, links, stack, skip_depth)
                continue
            if skip_depth:
                continue
            if kind in ("text", "code_inline"):
                parts.append(child.content if kind == "text" else "")
            elif kind in ("softbreak", "hardbreak"):
                parts.append(" ")
            elif kind == "link_open":
                stack.append((clean_url(str(child.attrs.get("href", "")), self.language), len(parts)))
            elif kind == "link_close" and stack:
                self._close_link(parts, links, stack)
            elif kind == "image":
                continue
        text = clean_inline_text("".join(parts))
        return text, [Link(clean_inline_text(l.text), l.url) for l in links if clean_inline_text(l.text)]

    def _close_link(self, parts: list[str], links: list[Link], stack: list[tuple[str | None, int]]) -> None:
        url, start = stack.pop()
        label = "".join(parts[start:]).strip()
        if url and label:
            links.append(Link(label, url))

    def _html_inline(self, html: str, parts: list[str], links: list[Link], stack: list[tuple[str | None, int]], skip: int) -> int:
        lowered = html.lower()
        if lowered.startswith(("<sup", "<script", "<style", "<code")):
            return skip + 1
        if lowered.startswith(("</sup", "</script", "</style", "</code")):
            return max(0, skip - 1)
        if skip:
            return skip
        match = _A_OPEN.match(html)
        if match:
            stack.append((clean_url(match.group(1), self.language), len(parts)))
        elif lowered.startswith("</a") and stack:
            self._close_link(parts, links, stack)
        elif lowered.startswith("<br"):
            parts.append(" ")
        return skip


def _html_block(builder: StructureBuilder, token: Token, language: str, line: int) -> None:
    soup = parse_fragment(token.content)
    items = soup.find_all("li")
    if items:
        for li in items:
            text, links = text_and_links(li, language)
            builder.add_block("item", clean_inline_text(text), links, line)
        return
    text, links = text_and_links(soup, language)
    text = clean_inline_text(text)
    if text:
        builder.add_block("paragraph", text, links, line)


def load_markdown_body(body: str, builder: StructureBuilder, language: str, line_offset: int) -> None:
    """Walk the token stream: headings open sections, paragraphs and list items become blocks."""
    tokens = _MD.parse(body)
    renderer = InlineRenderer(language)
    list_depth = 0
    item: dict[str, Any] | None = None  # the top-level list item being collected
    ordinal: list[int] = []
    table: list[list[str]] | None = None
    table_links: list[Link] = []
    table_line = 0
    heading_level = 0
    for i, tok in enumerate(tokens):
        line = (tok.map[0] if tok.map else 0) + line_offset
        kind = tok.type
        if kind == "heading_open":
            heading_level = int(tok.tag[1])
        elif kind == "inline" and heading_level:
            text, _ = renderer.render(tok)
            builder.open_section(text, heading_level, line)
            heading_level = 0
        elif kind in ("bullet_list_open", "ordered_list_open"):
            list_depth += 1
            start = int(tok.attrs.get("start", 1) or 1) if kind == "ordered_list_open" else 0
            ordinal.append(start)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            list_depth -= 1
            ordinal.pop()
        elif kind == "list_item_open":
            number = ordinal[-1] if ordinal else 0
            if ordinal and number:
                ordinal[-1] += 1
            prefix = f"{number}. " if number else ""
            if list_depth == 1:
                item = {"lines": [], "links": [], "line": line, "prefix": prefix, "fresh": False}
            elif item is not None:
                item["lines"].append(("  " * (list_depth - 2)) + "– " + prefix)
                item["fresh"] = True
        elif kind == "list_item_close" and list_depth == 1 and item is not None:
            text = item["prefix"] + "\n".join(s for s in item["lines"] if s.strip(" –"))
            builder.add_block("item", text.strip(), item["links"], item["line"])
            item = None
        elif kind == "table_open":
            table, table_links, table_line = [], [], line
        elif kind == "tr_open" and table is not None:
            table.append([])
        elif kind == "table_close" and table is not None:
            rows = [" : ".join(c for c in row if c) for row in table if any(row)]
            builder.add_block("table", "\n".join(rows), table_links, table_line)
            table = None
        elif kind == "inline":
            text, links = renderer.render(tok)
            if table is not None:
                if table:
                    table[-1].append(text)
                table_links.extend(links)
            elif item is not None:
                # The first paragraph of a sub-item completes its "– " line; later paragraphs
                # of the same item continue the current line.
                if item["fresh"] or not item["lines"]:
                    if item["lines"]:
                        item["lines"][-1] += text
                    else:
                        item["lines"].append(text)
                    item["fresh"] = False
                else:
                    item["lines"][-1] += " " + text
                item["links"].extend(links)
            elif text:
                builder.add_block("paragraph", text, links, line)
        elif kind == "html_block":
            if item is None and table is None:
                _html_block(builder, tok, language, line)
        # fences, code blocks, images and rules carry no quotable text: dropped on purpose.

"""Markdown (with YAML front matter and Svelte/HTML islands) → sections and blocks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.token import Token

from indexer.loaders.htmltext import clean_url, parse_fragment, strip_template_markup, text_and_links
from indexer.loaders.structure import StructureBuilder
from kb.models import Link

_MD = MarkdownIt("commonmark", {"html": True}).enable("table")
# Footnote call markers of the site's articles: ((1)), {(1)}.
_FOOTNOTE_CALL = re.compile(r"\s?(?:\(\(\d+\)\)|\{\(\d+\)\})")
_FOOTNOTE_DEF = re.compile(r"^(?:\{(\d+)\}|\((\d+)\)):\s*")
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
    text = strip_template_markup(text)
    text = _ENTITY_LEFTOVER.sub(" ", text)
    text = _BROKEN_LINK_TARGET.sub("", text)
    text = _LITERAL_EMPHASIS.sub("", text)
    return _SPACES.sub(" ", text).strip()


class InlineRenderer:
    """Renders a markdown-it inline token to plain text, collecting its links."""

    def __init__(self, language: str) -> None:
        self.language = language

    def render(self, inline: Token) -> tuple[str, list[Link]]:
        """Plain text for indexing and quoting, links kept apart so citations can point at them."""
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
        """A link's label is the text rendered since it opened; links without one are dropped."""
        url, start = stack.pop()
        label = "".join(parts[start:]).strip()
        if url and label:
            links.append(Link(label, url))

    def _html_inline(self, html: str, parts: list[str], links: list[Link], stack: list[tuple[str | None, int]], skip: int) -> int:
        """Inline HTML: skip note calls, scripts and code; keep <a> links and <br> spaces."""
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


@dataclass
class _Item:
    """A top-level list item being collected: its nested items become "– " lines of one block."""

    line: int
    prefix: str  # "3. " in an ordered list, "" in a bullet list
    lines: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    fresh: bool = False  # a sub-item's "– " line still waits for its first paragraph

    def open_sub_item(self, depth: int, prefix: str) -> None:
        """Start a "– " line indented by nesting depth, so the hierarchy survives in plain text."""
        self.lines.append(("  " * (depth - 2)) + "– " + prefix)
        self.fresh = True

    def add_text(self, text: str, links: list[Link]) -> None:
        """A sub-item's first paragraph completes its "– " line; later paragraphs continue the line."""
        if self.fresh or not self.lines:
            if self.lines:
                self.lines[-1] += text
            else:
                self.lines.append(text)
            self.fresh = False
        else:
            self.lines[-1] += " " + text
        self.links.extend(links)

    def text(self) -> str:
        """The block text, skipping sub-items that rendered no text."""
        return (self.prefix + "\n".join(s for s in self.lines if s.strip(" –"))).strip()


@dataclass
class _Table:
    """A table being collected: one block of "cell : cell" rows, whose links it keeps."""

    line: int
    rows: list[list[str]] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)

    def text(self) -> str:
        """Rows with their empty cells dropped, so a reader sees "header : value" lines."""
        return "\n".join(" : ".join(c for c in row if c) for row in self.rows if any(row))


class MarkdownParser:
    """Token handlers in the spirit of MkDocs' search ContentParser: headings open sections,
    paragraphs, top-level list items and tables become blocks."""

    def __init__(self, builder: StructureBuilder, language: str, line_offset: int) -> None:
        self.builder = builder
        self.language = language
        self.line_offset = line_offset
        self.renderer = InlineRenderer(language)
        self.ordinals: list[int] = []  # one per open list: next number, 0 in a bullet list
        self.item: _Item | None = None
        self.table: _Table | None = None
        self.heading_level = 0  # set between heading_open and its inline token
        # fences, code blocks, images and rules carry no quotable text: dropped on purpose.
        self.handlers: dict[str, Callable[[Token, int], None]] = {
            "heading_open": self.heading_open,
            "bullet_list_open": self.list_open,
            "ordered_list_open": self.list_open,
            "bullet_list_close": self.list_close,
            "ordered_list_close": self.list_close,
            "list_item_open": self.list_item_open,
            "list_item_close": self.list_item_close,
            "table_open": self.table_open,
            "tr_open": self.table_row,
            "table_close": self.table_close,
            "inline": self.inline,
            "html_block": self.html_block,
        }

    def feed(self, tokens: list[Token]) -> None:
        """Dispatch each token, with its source line, to the handler of its type."""
        for token in tokens:
            handler = self.handlers.get(token.type)
            if handler is not None:
                handler(token, (token.map[0] if token.map else 0) + self.line_offset)

    def heading_open(self, token: Token, line: int) -> None:
        """Remember the level: the heading's text comes in the next inline token."""
        self.heading_level = int(token.tag[1])

    def list_open(self, token: Token, line: int) -> None:
        """Push the list's first number, so items can carry their visible "3. " prefix."""
        start = int(token.attrs.get("start", 1) or 1) if token.type == "ordered_list_open" else 0
        self.ordinals.append(start)

    def list_close(self, token: Token, line: int) -> None:
        """Pop the list's numbering."""
        self.ordinals.pop()

    def list_item_open(self, token: Token, line: int) -> None:
        """A top-level item starts a block; a nested one starts a "– " line of that block."""
        number = self.ordinals[-1] if self.ordinals else 0
        if self.ordinals and number:
            self.ordinals[-1] += 1
        prefix = f"{number}. " if number else ""
        depth = len(self.ordinals)
        if depth == 1:
            self.item = _Item(line, prefix)
        elif self.item is not None:
            self.item.open_sub_item(depth, prefix)

    def list_item_close(self, token: Token, line: int) -> None:
        """Closing a top-level item emits its block, sub-items included."""
        if len(self.ordinals) == 1 and self.item is not None:
            self.builder.add_block("item", self.item.text(), self.item.links, self.item.line)
            self.item = None

    def table_open(self, token: Token, line: int) -> None:
        """Collect the whole table into one block, placed at its first line."""
        self.table = _Table(line)

    def table_row(self, token: Token, line: int) -> None:
        """Start a row: the cells come as inline tokens."""
        if self.table is not None:
            self.table.rows.append([])

    def table_close(self, token: Token, line: int) -> None:
        """Emit the table block."""
        if self.table is not None:
            self.builder.add_block("table", self.table.text(), self.table.links, self.table.line)
            self.table = None

    def inline(self, token: Token, line: int) -> None:
        """Text goes to the heading, table cell or list item being collected, else is a paragraph."""
        if self.heading_level:
            text, _ = self.renderer.render(token)
            self.builder.open_section(text, self.heading_level, line)
            self.heading_level = 0
            return
        text, links = self.renderer.render(token)
        if self.table is not None:
            if self.table.rows:
                self.table.rows[-1].append(text)
            self.table.links.extend(links)
        elif self.item is not None:
            self.item.add_text(text, links)
        elif text:
            self.builder.add_block("paragraph", text, links, line)

    def html_block(self, token: Token, line: int) -> None:
        """Svelte/HTML islands outside lists and tables: each <li> is an item, else one paragraph."""
        if self.item is not None or self.table is not None:
            return
        soup = parse_fragment(token.content)
        items = soup.find_all("li")
        if items:
            for li in items:
                text, links = text_and_links(li, self.language)
                self.builder.add_block("item", clean_inline_text(text), links, line)
            return
        text, links = text_and_links(soup, self.language)
        text = clean_inline_text(text)
        if text:
            self.builder.add_block("paragraph", text, links, line)


def load_markdown_body(body: str, builder: StructureBuilder, language: str, line_offset: int) -> None:
    """Parse a Markdown body into the builder's sections and blocks; lines shift by line_offset."""
    MarkdownParser(builder, language, line_offset).feed(_MD.parse(body))

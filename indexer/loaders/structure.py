"""Collects a document's sections (with unique anchors) and blocks while a loader walks it."""

from __future__ import annotations

from kb.models import Block, Link, Section
from indexer.text import slugify


class StructureBuilder:
    """Heading stack → breadcrumb for each block; anchors unique per document (MkDocs-style)."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.sections: list[Section] = []
        self._stack: list[tuple[int, str, str]] = []  # (level, title, anchor)
        self._anchors: set[str] = set()

    def open_section(self, title: str, level: int, line: int = 0, page: int | None = None) -> None:
        """Start a section at `level` (1 = outermost); deeper open sections close."""
        title = " ".join(title.split())
        if not title:
            return
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        anchor = self._unique_anchor(slugify(title) or "section")
        self._stack.append((level, title, anchor))
        self.sections.append(Section(anchor, title, level, page))

    def add_block(self, kind: str, text: str, links: list[Link], line: int = 0, page: int | None = None) -> None:
        """Append a block under the current breadcrumb (empty text is ignored)."""
        text = text.strip()
        if not text:
            return
        section = tuple(title for _, title, _ in self._stack)
        anchor = self._stack[-1][2] if self._stack else ""
        self.blocks.append(Block(kind, text, section, list(links), line, anchor, page))

    def _unique_anchor(self, base: str) -> str:
        anchor, n = base, 1
        while anchor in self._anchors:
            anchor = f"{base}-{n}"
            n += 1
        self._anchors.add(anchor)
        return anchor

"""PDF lines → sections and blocks: running headers, footers and page numbers dropped, headings
from the outline (or, without one, from type size and weight), paragraphs rejoined across lines
and pages, end-of-line hyphens undone, bullet items kept, footnotes kept apart."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from indexer.loaders.pdf import OutlineEntry, PdfContent, PdfLine
from indexer.loaders.structure import StructureBuilder
from kb.analysis.lexicon import is_french_word

MARGIN = 0.09  # share of the page height at its top and bottom where running heads and feet sit
FURNITURE_SHARE = 0.3  # a margin line repeated on this share of the pages (digits aside) is furniture
MAX_HEADING_CHARS = 160
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s*(?:/|sur|of)\s*\d{1,4})?$|^[ivxlc]{1,6}$", re.I)
# A bullet glyph, a dash, or a glyph the PDF maps to no character (pdfminer writes « (cid:127) »).
_BULLET = re.compile(r"^(?:[•◦▪▫■□●○‣⁃∙·]|[-–—](?=\s)|\(cid:\d+\))\s*")
_UNMAPPED = re.compile(r"\(cid:\d+\)")
_LEADER = re.compile(r"(?:\.\s*){4,}\s*[\divxlc]+$", re.I)  # a table-of-contents line: « Titre . . . . 139 »
_FOOTNOTE = re.compile(r"^(?:\d{1,3}|[¹²³⁴⁵⁶⁷⁸⁹⁰]+|\*)\s*\S")
_FINAL = tuple(".!?…:;»)")


def _key(text: str) -> str:
    """A margin line without its page number (arabic or roman, « 3 / 237 », « xi »)."""
    return " ".join(re.sub(r"\b[ivxlcdm]+\b|\d+|[/|–-]", " ", text.casefold()).split())


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def furniture(content: PdfContent) -> set[int]:
    """Indexes of the lines that are running headers, footers, page numbers, or entries of a
    printed table of contents (the outline gives the structure; its dot leaders are not text).
    A running head accompanies body text: margin lines repeated on pages that hold nothing else
    (one line per page, as slides or generated reports set them) are the text itself."""
    margin = content.page_height * MARGIN
    in_margin = [i for i, ln in enumerate(content.lines)
                 if ln.top < margin or ln.bottom > content.page_height - margin]
    margin_set = set(in_margin)
    with_body = {ln.page for i, ln in enumerate(content.lines) if i not in margin_set}
    pages_of: dict[str, set[int]] = {}
    for i in in_margin:
        if content.lines[i].page in with_body:
            pages_of.setdefault(_key(content.lines[i].text), set()).add(content.lines[i].page)
    needed = max(3, FURNITURE_SHARE * len({ln.page for ln in content.lines}))  # of the pages read
    running = {i for i in in_margin
               if _PAGE_NUMBER.match(content.lines[i].text) or len(pages_of.get(_key(content.lines[i].text), ())) >= needed}
    return running | {i for i, ln in enumerate(content.lines) if _LEADER.search(ln.text)}


def body_size(lines: Iterable[PdfLine]) -> float:
    """The type size most characters are set in."""
    sizes: Counter[float] = Counter()
    for ln in lines:
        sizes[ln.size] += len(ln.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


class PdfLayout:
    """Walks a PDF's lines in reading order, one method per kind of line, into `builder`."""

    def __init__(self, content: PdfContent, builder: StructureBuilder) -> None:
        self.content = content
        self.builder = builder
        self.dropped = furniture(content)
        self.title_lines: set[int] = set()
        self.body = body_size(ln for i, ln in enumerate(content.lines) if i not in self.dropped)
        self.headings = self._outline_headings() if content.outline else self._typeset_headings()
        self._para: list[PdfLine] = []
        self._kind = "paragraph"

    # Headings ---------------------------------------------------------------------------

    def _outline_headings(self) -> dict[int, tuple[int, str]]:
        """Line index → (level, title) for each bookmark found on its page, at or below its height."""
        self._squashed = [_squash(ln.text) for ln in self.content.lines]
        by_page: dict[int, list[int]] = {}
        for i, ln in enumerate(self.content.lines):
            if i not in self.dropped:
                by_page.setdefault(ln.page, []).append(i)
        out: dict[int, tuple[int, str]] = {}
        for entry in self.content.outline:
            found = self._find_heading(entry, by_page.get(entry.page or 0, []))
            if found is not None and found not in out:
                out[found] = (entry.level, entry.title)
        return out

    def _find_heading(self, entry: OutlineEntry, candidates: list[int]) -> int | None:
        title = _squash(entry.title)
        if not title:
            return None
        for i in candidates:
            ln = self.content.lines[i]
            if entry.top is not None and ln.bottom < entry.top - 2:
                continue
            text = self._squashed[i]
            if text and (title in text or (len(text) >= 8 and title.startswith(text))):
                return i
        return None

    def _typeset_headings(self) -> dict[int, tuple[int, str]]:
        """Without an outline: short lines set larger than the body, or bold at its size; the
        largest type, when only the first page uses it, is the document's title, not a heading."""
        lines = self.content.lines
        candidates = [i for i, ln in enumerate(lines) if i not in self.dropped and self._looks_like_heading(ln)]
        self.title_lines = self._title_lines(candidates)
        candidates = [i for i in candidates if i not in self.title_lines]
        sizes = sorted({lines[i].size for i in candidates}, reverse=True)
        return {i: (sizes.index(lines[i].size) + 1, lines[i].text) for i in candidates}

    def _title_lines(self, candidates: list[int]) -> set[int]:
        lines = self.content.lines
        if not candidates:
            return set()
        biggest = max(lines[i].size for i in candidates)
        chosen = {i for i in candidates if lines[i].size == biggest}
        return chosen if all(lines[i].page == 1 for i in chosen) and biggest >= self.body + 4 else set()

    def _looks_like_heading(self, ln: PdfLine) -> bool:
        display = ln.size >= self.body + 4  # display type: a title may wrap at a comma
        if len(ln.text) > MAX_HEADING_CHARS or ln.text.endswith((".", ";") if display else (".", ",", ";")) or _BULLET.match(ln.text):
            return False
        return ln.size >= self.body + 1.0 or (ln.bold and ln.size >= self.body - 0.1 and len(ln.text) <= 100)

    # Walk -------------------------------------------------------------------------------

    def run(self) -> str | None:
        """Fill the builder; returns the document's title as typeset on its first page, if any."""
        lines = self.content.lines
        skip_until = -1
        for i, ln in enumerate(lines):
            if i in self.dropped or i in self.title_lines or i <= skip_until:
                continue
            if i in self.headings:
                skip_until = self.on_heading(i)
            elif self._is_footnote(ln):
                self.on_footnote(ln)
            elif _BULLET.match(ln.text):
                self.on_bullet(ln)
            else:
                self.on_text(ln)
        self._flush()
        return self._first_page_title()

    def on_heading(self, i: int) -> int:
        """Open the section; a heading wrapped over the next lines takes them too."""
        self._flush()
        level, title = self.headings[i]
        lines, last = self.content.lines, i
        if not self.content.outline:
            while (last + 1 < len(lines) and self.headings.get(last + 1, (0,))[0] in (0, level)
                   and lines[last + 1].page == lines[i].page and lines[last + 1].size == lines[i].size
                   and lines[last + 1].bold == lines[i].bold and last + 1 not in self.dropped
                   and lines[last + 1].top - lines[last].bottom < 0.5 * (lines[i].bottom - lines[i].top)):
                last += 1
                title = f"{title} {lines[last].text}"
        else:
            while last + 1 < len(lines) and last + 1 not in self.headings and _squash(lines[last + 1].text) \
                    and _squash(lines[last + 1].text) in _squash(title) and lines[last + 1].page == lines[i].page:
                last += 1
        self.builder.open_section(title, level, i, page=lines[i].page)
        return last

    def on_footnote(self, ln: PdfLine) -> None:
        self._flush()
        self.builder.add_block("footnote", ln.text, [], 0, page=ln.page)

    def on_bullet(self, ln: PdfLine) -> None:
        self._flush()
        self._kind = "item"
        self._para = [PdfLine(_BULLET.sub("", ln.text), ln.page, ln.top, ln.bottom, ln.x0, ln.size, ln.bold)]

    def on_text(self, ln: PdfLine) -> None:
        if self._para and not self._continues(self._para[-1], ln):
            self._flush()
        self._para.append(ln)

    def _continues(self, prev: PdfLine, ln: PdfLine) -> bool:
        """`ln` goes on the paragraph `prev` ends: close below it, or at the top of the next page
        when the paragraph has not ended (no final punctuation) and `ln` is body text."""
        if abs(ln.size - prev.size) > 0.6:
            return False
        if ln.page == prev.page:
            height = max(prev.bottom - prev.top, 1.0)
            return 0 <= ln.top - prev.bottom < 0.8 * height
        return ln.page == prev.page + 1 and not prev.text.endswith(_FINAL) and not self._looks_like_heading(ln)

    def _is_footnote(self, ln: PdfLine) -> bool:
        low = ln.top > self.content.page_height * 0.7
        return low and ln.size <= self.body - 1.0 and bool(_FOOTNOTE.match(ln.text))

    def _flush(self) -> None:
        if self._para:
            self.builder.add_block(self._kind, join_lines([ln.text for ln in self._para]), [], 0, page=self._para[0].page)
        self._para, self._kind = [], "paragraph"

    def _first_page_title(self) -> str | None:
        """The title lines set apart on the first page (typeset headings only), joined."""
        return " ".join(self.content.lines[i].text for i in sorted(self.title_lines))[:300] or None


def join_lines(lines: list[str]) -> str:
    """Lines of one paragraph as one text: a word cut by an end-of-line hyphen is rejoined when the
    rejoined word is French (« informa- / tion »), kept hyphenated otherwise (« peut- / être »)."""
    out = ""
    for line in (_UNMAPPED.sub("", ln).strip() for ln in lines):
        if not line:
            continue
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            head = re.findall(r"(\w+)-$", out)
            tail = re.findall(r"^(\w+)", line)
            if head and tail and is_french_word((head[0] + tail[0]).lower()):
                out = out[:-1] + line
            else:
                out += line
        else:
            out = f"{out} {line}" if out else line
    return out

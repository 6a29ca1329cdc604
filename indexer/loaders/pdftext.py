"""Plain text extracted from a PDF → structure recovered from typography-free lines."""

from __future__ import annotations

import re

from indexer.loaders.structure import StructureBuilder
from kb.models import Link

_ROMAN_PART = re.compile(r"^([IVXLC]{1,5})\.\s+(\S.*)$")
_NUMBERED = re.compile(r"^(\d{1,2})\.\s+(\S.*)$")
_BULLET = re.compile(r"^\s*[-•▪◦*]\s+")
_ARTEFACT = re.compile(r"^(?:©\s*\S.*|\d{1,3}|page \d+(?: sur \d+)?)$", re.I)
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_EMPHASIS = re.compile(r"(?<!\w)[*_]{1,2}(\S(?:.*?\S)?)[*_]{1,2}(?!\w)")
_FINAL_PUNCT = tuple(".:;!?…,")
MAX_HEADING_CHARS = 150


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _inline(text: str, language: str) -> tuple[str, list[Link]]:
    """`[text](#)` keeps its text (an empty target is no link); emphasis markers go."""
    links: list[Link] = []

    def repl(m: re.Match[str]) -> str:
        label, url = m.group(1), m.group(2)
        if url and url != "#":
            links.append(Link(label, url))
        return label

    text = _MD_LINK.sub(repl, text)
    text = _EMPHASIS.sub(r"\1", text)
    return " ".join(text.split()), links


def _groups(text: str) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines with the line number where each starts."""
    groups: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if line and not _ARTEFACT.match(line):
            if not current:
                start = n
            current.append(line)
        elif current:
            groups.append((start, current))
            current = []
    if current:
        groups.append((start, current))
    return groups


def _is_heading(line: str) -> bool:
    return len(line) <= MAX_HEADING_CHARS and not line.endswith(_FINAL_PUNCT) and (line[:1].isupper() or line[:1] in "«\"")


def load_pdf_text(text: str, builder: StructureBuilder, language: str) -> str | None:
    """Fill `builder` from extracted text; returns the title block's text, if any."""
    groups = _groups(text)
    title_lines: list[str] = []
    subtitle: str | None = None
    body_started = False
    numbered_level = 0
    i = 0
    while i < len(groups):
        line_no, lines = groups[i]
        first = lines[0]
        single = len(lines) == 1
        if not body_started and all(_is_caps(ln) for ln in lines):
            title_lines.extend(lines)
            i += 1
            continue
        if not body_started and title_lines and single and _is_heading(first) and not _ROMAN_PART.match(first) and not _NUMBERED.match(first):
            subtitle = first  # the line right under the title block is the document's subtitle
            body_started = True
            i += 1
            continue
        body_started = True
        roman = _ROMAN_PART.match(first) if single else None
        numbered = _NUMBERED.match(first) if single else None
        if roman and _is_caps(roman.group(2)):
            builder.open_section(first, 1, line_no)
            numbered_level = 1
        elif numbered and _is_heading(numbered.group(2)):
            builder.open_section(first, 2, line_no)
            numbered_level = 2
        elif single and _is_caps(first) and len(first) <= 60 and first.rstrip(" —-–").strip() and not first.endswith((".", "!")):
            builder.open_section(first.rstrip(" —-–"), 1, line_no)
            numbered_level = 1
        elif single and first.endswith(":") and len(first) <= 40 and i + 1 < len(groups):
            # A short label followed by short lines (a contact or address block).
            block, j = [first], i + 1
            while j < len(groups) and all(len(ln) <= 80 for ln in groups[j][1]) and not groups[j][1][-1].endswith("."):
                block.extend(groups[j][1])
                j += 1
            text_, links = _inline("\n".join(block), language)
            builder.add_block("contact", "\n".join(_inline(b, language)[0] for b in block), links, line_no)
            i = j
            continue
        elif single and _is_heading(first) and not _BULLET.match(first):
            builder.open_section(first, numbered_level + 1 if numbered_level else 1, line_no)
        elif any(_BULLET.match(ln) for ln in lines):
            _add_bullets(builder, lines, line_no, language)
        else:
            para, links = _inline(" ".join(lines), language)
            builder.add_block("paragraph", para, links, line_no)
        i += 1
    title = " ".join(title_lines)
    if subtitle:
        title = f"{title} — {subtitle}" if title else subtitle
    return title or None


def _add_bullets(builder: StructureBuilder, lines: list[str], line_no: int, language: str) -> None:
    items: list[tuple[int, list[str]]] = []
    for offset, ln in enumerate(lines):
        if _BULLET.match(ln) or not items:
            items.append((line_no + offset, [_BULLET.sub("", ln)]))
        else:
            items[-1][1].append(ln)
    for n, parts in items:
        text, links = _inline(" ".join(parts), language)
        builder.add_block("item", text, links, n)

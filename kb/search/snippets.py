"""Snippets centred on the best match, matched words in <mark> even via lemma, stem or folding."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from kb.analysis import lemma_analyzer, stem_analyzer

WINDOW_CHARS = 260
_stem = stem_analyzer()
_lemma = lemma_analyzer()


def term_spans(text: str, analyzer=_lemma) -> list[tuple[int, int, str]]:
    """(start, end, term) of every analysed token of `text` (stored at index time for lemmas)."""
    return [(t.startchar, t.endchar, t.text) for t in analyzer(text, chars=True)]


def _matches(text: str, lemma_spans: Iterable[tuple[int, int, str]], lemmas: set[str], stems: set[str]) -> list[tuple[int, int, str]]:
    found: dict[tuple[int, int], str] = {}
    for start, end, term in lemma_spans:
        if term in lemmas:
            found[(start, end)] = term
    if stems:
        for start, end, term in term_spans(text, _stem):
            if term in stems and (start, end) not in found:
                found[(start, end)] = term
    # Compound parts share the compound's span: keep each span once, in text order.
    return sorted((s, e, t) for (s, e), t in found.items())


def match_spans(text: str, stems: set[str]) -> list[tuple[int, int]]:
    """(start, end) of the words of `text` whose stem is one of `stems` (the reader's marks:
    stems alone, so that a whole document is marked without running the lemmatiser)."""
    return [(s, e) for s, e, _ in _matches(text, (), set(), stems)]


def _window(text: str, matches: list[tuple[int, int, str]], size: int) -> tuple[int, int]:
    if len(text) <= size:
        return 0, len(text)
    best, best_start = -1, 0
    for s, _, _ in matches:
        start = max(0, s - size // 4)
        inside = {t for ms, me, t in matches if ms >= start and me <= start + size}
        if len(inside) > best:
            best, best_start = len(inside), start
    start = best_start
    if start:
        space = text.rfind(" ", 0, start + 1)
        start = space + 1 if space != -1 and start - space < 30 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + size // 2 else end
    return start, end


def make_snippet(text: str, lemma_spans: Iterable[tuple[int, int, str]], lemmas: set[str], stems: set[str], size: int = WINDOW_CHARS) -> str:
    """HTML-escaped excerpt around the densest group of matches, with <mark> around them."""
    matches = _matches(text, lemma_spans, lemmas, stems)
    start, end = _window(text, matches, size)
    out: list[str] = ["…" if start > 0 else ""]
    pos = start
    for s, e, _ in matches:
        if s < pos or e > end:
            continue
        out.append(escape(text[pos:s], quote=False))
        out.append(f"<mark>{escape(text[s:e], quote=False)}</mark>")
        pos = e
    out.append(escape(text[pos:end], quote=False))
    if end < len(text):
        out.append("…")
    return "".join(out).replace("\n", " ")

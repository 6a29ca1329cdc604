"""Snippets centred on the best match, matched words in <mark> even via lemma, stem or folding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from html import escape

from kb.analysis import lemma_analyzer, stem_analyzer

WINDOW_CHARS = 260
_stem = stem_analyzer()
_lemma = lemma_analyzer()


def term_spans(text: str, analyzer=_lemma) -> list[tuple[int, int, str]]:
    """(start, end, term) of every analysed token of `text` (stored at index time for lemmas)."""
    return [(t.startchar, t.endchar, t.text) for t in analyzer(text, chars=True)]


Expression = tuple[tuple[str, ...], tuple[str, ...]]  # a thesaurus expression's (lemmas, stems)


@dataclass(frozen=True)
class Marks:
    """What the reader marks for a search: its words' stems, and expressions (stem sequences)
    marked only where their words follow each other."""

    stems: frozenset[str] = frozenset()
    expressions: frozenset[tuple[str, ...]] = field(default_factory=frozenset)

    def __bool__(self) -> bool:
        return bool(self.stems or self.expressions)


def _sequences(spans: Sequence[tuple[int, int, str]], sequences: Iterable[tuple[str, ...]]) -> list[tuple[int, int, str]]:
    """One span from the first word to the last of each place where a sequence's terms follow each other."""
    found = []
    terms = [t for _, _, t in spans]
    for seq in sequences:
        n = len(seq)
        for i in range(len(terms) - n + 1) if n else ():
            if tuple(terms[i : i + n]) == seq:
                found.append((spans[i][0], spans[i + n - 1][1], " ".join(seq)))
    return found


def _matches(text: str, lemma_spans: Iterable[tuple[int, int, str]], lemmas: set[str], stems: set[str],
             expressions: Iterable[Expression] = ()) -> list[tuple[int, int, str]]:
    found: dict[tuple[int, int], str] = {}
    lemma_spans = list(lemma_spans)
    for start, end, term in lemma_spans:
        if term in lemmas:
            found[(start, end)] = term
    expressions = list(expressions)
    stem_spans = term_spans(text, _stem) if stems or expressions else []
    for start, end, term in stem_spans:
        if term in stems and (start, end) not in found:
            found[(start, end)] = term
    for start, end, term in _sequences(lemma_spans, [e[0] for e in expressions]) + _sequences(stem_spans, [e[1] for e in expressions]):
        found[(start, end)] = term
    # Compound parts share the compound's span; an expression covers its words: keep spans
    # that no longer one contains, once each, in text order.
    spans = sorted(found.items(), key=lambda item: (item[0][0], -item[0][1]))
    kept: list[tuple[int, int, str]] = []
    for (s, e), t in spans:
        if kept and s < kept[-1][1]:
            continue
        kept.append((s, e, t))
    return kept


def match_spans(text: str, marks: Marks) -> list[tuple[int, int]]:
    """(start, end) of the words of `text` whose stem is one of the marks' stems, and of its
    expressions (the reader's marks: stems alone, so that a whole document is marked without
    running the lemmatiser)."""
    return [(s, e) for s, e, _ in _matches(text, (), set(), set(marks.stems), [((), stems) for stems in marks.expressions])]


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


def make_snippet(text: str, lemma_spans: Iterable[tuple[int, int, str]], lemmas: set[str], stems: set[str],
                 expressions: Iterable[Expression] = (), size: int = WINDOW_CHARS) -> str:
    """HTML-escaped excerpt around the densest group of matches, with <mark> around them."""
    matches = _matches(text, lemma_spans, lemmas, stems, expressions)
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

"""Token filters of the French chain: elision, compounds, acronyms, stop words, folding."""

from __future__ import annotations

import re
from collections.abc import Iterator

from whoosh.analysis import Filter, Token

from kb.analysis.normalize import fold_accents
from kb.analysis.stopwords import FRENCH_STOP_WORDS, UNACCENTED_STOP_WORDS

_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu|quelqu)'", re.I)
_INCLUSIVE_DOT = re.compile(r"[·‧•]")
_ACRONYM = re.compile(r"^[A-ZÀ-Ý]{2,6}$")
# Pronouns that follow a verb with a hyphen in questions and imperatives: such a pair is two
# words, never one (« veutelle » is in no passage).
CLITICS = frozenset("je tu il elle on nous vous ils elles ce moi toi lui leur le la les en y".split())


def _surface(token: Token) -> str:
    return getattr(token, "surface", token.text)


class ElisionFilter(Filter):
    """Drops elided articles and conjunctions glued to a word: l'IA → IA, qu'elles → elles."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            stripped = _ELISION.sub("", t.text)
            if stripped != t.text:
                if not stripped:
                    # spaCy split the elided word off on its own ("l'" → lemma "le").
                    t.stopped = True
                    if t.removestops:
                        continue
                else:
                    if hasattr(t, "surface"):
                        t.surface = _ELISION.sub("", t.surface)
                    t.text = stripped
            yield t


class AcronymFilter(Filter):
    """Keeps all-capital acronyms (IA, IAG, UE, AI) as their lowercase form, never stopped."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            surface = _surface(t)
            t.acronym = bool(_ACRONYM.match(surface))
            if t.acronym:
                t.text = surface.lower()
            yield t


class CompoundFilter(Filter):
    """Inclusive writing keeps its base (opposant·e·s → opposant); hyphenated words
    (États-Unis, super-intelligence) yield the joined form and each part at one position."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            surface = _surface(t)
            if _INCLUSIVE_DOT.search(surface):
                t.text = _INCLUSIVE_DOT.split(surface)[0]
                yield t
                continue
            if "-" not in surface:
                yield t
                continue
            parts = [p for p in surface.split("-") if p]
            if len(parts) < 2:
                t.text = "".join(parts) or t.text
                yield t
                continue
            original = t.text
            inverted = parts[-1].lower() in CLITICS  # « veut-elle », « peut-on », « dites-moi »: a verb and its pronoun
            if not inverted:
                t.text = "".join(parts)
                yield t
            for part in parts:
                if part.lower() in FRENCH_STOP_WORDS or part.lower() in {"t", "en", "y"}:
                    continue
                t.text = part
                yield t
            t.text = original


class FrenchStopFilter(Filter):
    """Removes French function words, judged on the lemma or the surface (with or without its
    accents: « etre » is « être »); acronyms stay."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            surface = _surface(t).lower()
            stop = not getattr(t, "acronym", False) and (
                t.text in FRENCH_STOP_WORDS or surface in FRENCH_STOP_WORDS or surface in UNACCENTED_STOP_WORDS
            )
            if stop or not t.text:
                t.stopped = True
                if t.removestops:
                    continue
            else:
                t.stopped = False
            yield t


class AccentFoldFilter(Filter):
    """Folds accents after stemming/lemmatising, so that 'securite' meets 'sécurité'."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for t in tokens:
            t.text = fold_accents(t.text)
            yield t


class CompactPositionsFilter(Filter):
    """Renumbers positions after stop words are gone, so "ajouté pendant le test" is a phrase
    of three consecutive words in the text and in the query alike (compound parts keep sharing
    their compound's position)."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        last_original: int | None = None
        current = -1
        for t in tokens:
            if t.positions:
                if t.pos != last_original:
                    last_original = t.pos
                    current += 1
                t.pos = current
            yield t

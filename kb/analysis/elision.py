"""Elisions typed without their apostrophe (« jai », « cest », « quest-ce », « lavenir »): the
word is read as the elided form it stands for (« j'ai », « c'est », « qu'est-ce », « l'avenir »),
so its parts are analysed as French words instead of one unknown word.

The rule is French grammar, not a word list. An elidable word (the closed set ElisionFilter
strips) is glued to a word starting with a vowel or an h, and that word is one the elided word
can precede: the articles l' and d' and the conjunction qu' (and jusqu', lorsqu'...) any word;
the pronouns j', m', t', s' and the negation n' a verb (« jai », « mappelle », « nimporte »), en
or y (« jen », « jy »), and s' also il(s) (« sil »); c' a form of être (« cest ») or en. Spoken
French also elides « je » before a consonant (« j'peux », « j'sais »): no French word starts
with j and a consonant, so « jpeux » is « j'peux » when « peux » is a verb form. A word is
repaired only when it is no French word itself: « dune », « laura », « taux », « date » stay.

"""

from __future__ import annotations

import re
from typing import NamedTuple

from kb.analysis.lexicon import conjugated_verb, is_french_word, like_number
from kb.analysis.stopwords import FRENCH_STOP_WORDS

_VOWEL = "aeiouyhàâäéèêëîïôöûüœæ"
# Longest heads first, so « lorsquil » is « lorsqu'il », not « l'orsquil ».
_HEADS = "jusqu|lorsqu|puisqu|quoiqu|presqu|quelqu|qu|[cdjlmnst]"
# A word not glued to an apostrophe already (« l'avenir » is left alone, and so is « aujourd'hui »),
# nor part of an address or a compound (« mind-lego-robot », « www.lego.com »).
_CANDIDATE = re.compile(
    rf"(?<![\w'\-/.@])(?:(?P<head>{_HEADS})(?P<rest>[{_VOWEL}]\w*)|(?P<je>j)(?P<after>[^\W\d_{_VOWEL}]\w*))(?![\w'])",
    re.IGNORECASE,
)
_CAPITALISED_HEADS = frozenset({"j", "c", "qu"})
MIN_REST = 3  # after l', d', qu': a stop word (« dun ») or a French word of 3 letters or more
_PRONOUN_HEADS = frozenset({"j", "m", "t", "s", "n"})
_PRONOUN_OBJECTS = frozenset({"en", "y"})


class Repaired(NamedTuple):
    """Text with apostrophes put back, and where they were inserted (indexes into the new text)."""

    text: str
    inserted: tuple[int, ...]

    def original_offset(self, offset: int) -> int:
        """The offset in the text as written of `offset` in the repaired text."""
        return offset - sum(1 for i in self.inserted if i < offset)


def _is_word(word: str) -> bool:
    """A French word as it stands: a stop word, a number word (« deux »), a form the lemmatiser
    lists, or the plural of one (« mentions », « tas »: the lemmatiser's tables omit many plurals)."""
    lower = word.lower()
    if lower in FRENCH_STOP_WORDS or is_french_word(lower) or like_number(lower):
        return True
    return lower[-1:] in ("s", "x") and (lower[:-1] in FRENCH_STOP_WORDS or is_french_word(lower[:-1]))


def _can_follow(head: str, word: str) -> bool:
    """Whether the elided `head` (lower case) can precede `word` (lower case)."""
    if head in _PRONOUN_HEADS:
        return word in _PRONOUN_OBJECTS or (head == "s" and word in {"il", "ils"}) or conjugated_verb(word) is not None
    if head == "c":
        return word == "en" or conjugated_verb(word) == "être"
    return word in FRENCH_STOP_WORDS or (len(word) >= MIN_REST and is_french_word(word))


_SENTENCE_END = re.compile(r"(?:^|[.!?…]\s+)$")


def _elided_word(match: re.Match[str]) -> tuple[str, str] | None:
    """(elided head, following word) when the match stands for an elision, else None."""
    word = match.group(0)
    head = match.group("head") or match.group("je")
    rest = match.group("rest") or match.group("after")
    if _acronym_after_article(head, rest):
        return head, rest  # « lIA », « lUE »: l'IA, l'UE
    starts_sentence = bool(_SENTENCE_END.search(match.string, 0, match.start()))
    if not (word.islower() or (starts_sentence and _typed_sentence_start(word, head.lower(), rest.lower()))):
        return None
    if _is_word(word) or not _can_follow(head.lower(), rest.lower()):
        return None
    return head, rest


def _acronym_after_article(head: str, rest: str) -> bool:
    """An acronym glued to a lower-case article: « lIA », « dUE » (no word is written so)."""
    return head in ("l", "d") and len(rest) >= 2 and rest.isupper() and rest.isalpha()


def _typed_sentence_start(word: str, head: str, rest: str) -> bool:
    """« Jai », « Cest », « Quest-ce », « Quil », « Jpeux » at the start of a typed sentence; other
    capitalised words may be names (« José », « Dan ») and are left alone."""
    if not (word[:1].isupper() and word[1:].islower() and head in _CAPITALISED_HEADS):
        return False
    return head == "j" and not rest[:1] in _VOWEL or rest in FRENCH_STOP_WORDS or conjugated_verb(rest) in ("être", "avoir")


def restore_elisions(text: str) -> Repaired:
    """`text` with the apostrophe of each elision typed without one put back."""
    parts: list[str] = []
    inserted: list[int] = []
    last = 0
    length = 0
    for match in _CANDIDATE.finditer(text):
        elided = _elided_word(match)
        if elided is None:
            continue
        head, rest = elided
        before = text[last : match.start()]
        parts += [before, head, "'", rest]
        length += len(before) + len(head)
        inserted.append(length)
        length += 1 + len(rest)
        last = match.end()
    if not inserted:
        return Repaired(text, ())
    parts.append(text[last:])
    return Repaired("".join(parts), tuple(inserted))

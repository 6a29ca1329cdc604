"""Passages that are not quotable content: contact blocks, link lists, credits, reference lists
and table-of-contents lines, told apart from prose by measurable features of their text (the
share of characters in e-mail addresses and phone numbers, the words left outside links, URLs
and contact details, whether the text reads as a sentence), never by matching given passages.

Why: search by meaning pads answers with the passages nearest to "nothing in particular", and a
press-contact block or a « Pour en savoir plus : … » pointer is near to every query. The kind is
stored with the passage (Passage.kind, None for content) so the search service can rank such
passages down and the faces can mark them."""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb.analysis.stopwords import FRENCH_STOP_WORDS
from kb.models import Link

# A passage whose e-mail addresses and phone numbers make up this share of its non-space
# characters is a contact block: the press contact « Contact presse : <name> <e-mail> / <phone> »
# is about one half; a sentence of prose citing one address stays well under a fifth.
CONTACT_SHARE = 0.25
# "Little prose": at most this many words outside links, URLs and contact details (« Pour en
# savoir plus », « Télécharger le rapport »). A sentence that says something has more.
LITTLE_PROSE = 4
# The lead-in of a pointer (« Pour découvrir toutes les actions possibles : <link>. ») is
# shorter than a passage that stands alone (indexer.passages.MIN_WORDS, 8 words).
LEAD_WORDS = 8
# A credits line (byline, version, copyright) or one bibliographic reference is short.
SHORT_WORDS = 15
SHORT_CHARS = 300  # ... and bounded in characters too, so matching it costs little whatever it holds

# Starting only where a run of such characters starts keeps the scan linear in the text.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# French numbers (06 60 62 51 18, 01.53.38.65.65, 0153386565) and international ones (+33 1 53…);
# a range of years (« 2024-2025 ») or a page span (« 1500-1576 ») is not a phone number.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}(?:[ .-]?\(0\))?(?:[ .-]?\d{1,4}){3,6}|0\d(?:[ .-]?\d{2}){4})(?!\w)")
_URL = re.compile(r"(?:https?://|www\.)[^\s<>«»\"]+[^\s<>«»\".,;:!?)\]]")
_WORD = re.compile(r"[^\W\d_]{2,}")
# A sentence ends (final punctuation, maybe closing quotes) before a space or the end of the text.
_SENTENCE_END = re.compile(r"[.!?…][»\"'’)\]_*]*(?:\s|$)")
_NOTE = re.compile(r"\[\d{1,3}\]")
# « Kurzweil, The Singularity is Near, 39. » / « Bostrom, Superintelligence, loc. 1500-1576 »:
# an author, a title, a locator (page, location), as notes and bibliographies write them.
_REFERENCE = re.compile(r"^[^\W\d_][^,]{0,60},\s.+,\s*(?:(?:p|pp|loc|ch|chap)\.\s*)?\d+(?:\s?[-–]\s?\d+)?\.?$", re.S)
_COPYRIGHT = re.compile(r"©|\(c\)\s*\d{4}|tous droits réservés|all rights reserved", re.I)
_MONTHS = "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre"
_DATE = re.compile(rf"\b(?:(?:\d{{1,2}}(?:er)?\s+)?(?:{_MONTHS})\s+\d{{4}}|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}})\b", re.I)
# Words that introduce who made a text and when (a byline, a version, a translation credit).
_COLOPHON = re.compile(r"\b(?:par|by|version|mise à jour|mis à jour|publié|publiée|publication|traduction|"
                       r"traduit|traduite|rédigé|rédigée|auteur|autrice|crédits?|photos?)\b", re.I)

KINDS = ("contact", "links", "references", "credits", "toc")
_MASK = "\x00"  # stands for a character of a link, a URL or a contact detail in the masked text


def passage_kind(text: str, links: Sequence[Link] = ()) -> str | None:
    """The kind of non-content `text` is (one of KINDS), or None when it is content."""
    contact = _spans(text, [_EMAIL, _PHONE])
    if contact and _share(text, contact) >= CONTACT_SHARE:
        return "contact"
    if _is_toc(text):
        return "toc"
    if _is_references(text):
        return "references"
    linked = _spans(text, [_URL]) + _link_spans(text, links)
    masked = _masked(text, contact + linked)
    if linked and _is_link_list(text, masked):
        return "links"
    if _is_credits(text, masked):
        return "credits"
    return None


def _spans(text: str, patterns: Sequence[re.Pattern[str]]) -> list[tuple[int, int]]:
    return [m.span() for pattern in patterns for m in pattern.finditer(text)]


def _link_spans(text: str, links: Sequence[Link]) -> list[tuple[int, int]]:
    """Where each link's visible text stands in `text` (every occurrence)."""
    spans = []
    for link in links:
        needle = link.text.strip()
        if needle:
            spans.extend(m.span() for m in re.finditer(re.escape(needle), text))
    return spans


def _masked(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """`text` with the characters of `spans` replaced by _MASK (same length, same positions)."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = _MASK * (end - start)
    return "".join(chars)


def _share(text: str, spans: Sequence[tuple[int, int]]) -> float:
    """The share of `text`'s non-space characters that fall in `spans`."""
    masked = _masked(text, spans)
    total = sum(not c.isspace() for c in text)
    return sum(c == _MASK for c in masked) / total if total else 0.0


def _words(text: str) -> list[str]:
    return _WORD.findall(text.replace(_MASK, " "))


def _has_sentence(text: str) -> bool:
    """True when a sentence ends in `text` (« Aidez à rédiger des lois. (exemples) » has one;
    « Télécharger le rapport 2024-2025 (PDF) » and « Version 3.4 du 10 octobre » have none)."""
    return bool(_SENTENCE_END.search(text))


def _is_link_list(text: str, masked: str) -> bool:
    """Links with little prose around them: a label or list of links that is no sentence
    (« Télécharger le rapport (PDF) », five URLs), or a pointer: a short lead-in, a colon, and
    nothing after it but links and the words that join them (« Pour en savoir plus : Les
    dangers de l'IA. », « Sources : <URL>, <URL> et <URL>. »)."""
    if not _has_sentence(text) and len(_words(masked)) <= LITTLE_PROSE:
        return True
    lead, colon, rest = masked.partition(":")
    joined_only = all(word.lower() in FRENCH_STOP_WORDS for word in _words(rest))
    return bool(colon) and _MASK in rest and joined_only and len(_words(lead)) < LEAD_WORDS


def _is_references(text: str) -> bool:
    """Notes that are only bibliographic references: « [4] Vardi, Artificial Intelligence, 5. »."""
    stripped = text.strip()
    if not _NOTE.match(stripped):
        return False
    notes = [note.strip() for note in _NOTE.split(stripped) if note.strip()]
    return bool(notes) and all(len(n) <= SHORT_CHARS and len(_words(n)) <= SHORT_WORDS and _REFERENCE.match(n) for n in notes)


def _is_credits(text: str, masked: str) -> bool:
    """A short line saying who made the text and when, not what it says: a copyright line, or
    a byline or version line (a date and a word such as « par », « version », « traduction »)
    that is no sentence (« 22 janvier 2015 Par Tim Urban – traduction de mai 2025 »)."""
    words = len(_words(masked))
    if words > SHORT_WORDS:
        return False
    if _COPYRIGHT.search(text):
        return True
    return words < LEAD_WORDS and not _has_sentence(text) and bool(_DATE.search(text)) and bool(_COLOPHON.search(text))


def _is_toc(text: str) -> bool:
    """Most lines are table-of-contents entries (title, dot leaders, page number)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and sum(_is_toc_line(line) for line in lines) * 2 > len(lines)


def _is_toc_line(line: str) -> bool:
    """A title, dot leaders (« …… » or « .... »), a page number: « Introduction ........ 3 »."""
    numbered = line.rstrip()
    head = numbered.rstrip("0123456789").rstrip()
    title = head.rstrip(". …")
    leader = head[len(title):]
    return head != numbered and (leader.count(".") >= 4 or leader.count("…") >= 2) and bool(_WORD.search(title))

"""Lenient parsing of what people type: never raises, keeps "phrases", -exclusions and OR."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb.analysis.stopwords import INTERROGATIVES

# The one bound on query length: the parser reads this much of a longer query (and says so), and
# the web face refuses longer ones with a 400 (webui/params.py).
MAX_QUERY_CHARS = 1000
MAX_UNITS = 32

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")
_QUOTES = str.maketrans({"«": '"', "»": '"', "“": '"', "”": '"', "„": '"'})
# A token of the query language: optional '-', then a "phrase" or a bare word.
_TOKEN = re.compile(r'(-?)"([^"]*)"|(\S+)')
_WORDCHARS = re.compile(r"[^\w'’\-·*]+")


@dataclass
class Unit:
    """One thing the user asked for: a word, or an exact phrase (several words)."""

    text: str
    phrase: bool = False
    prefix: bool = False  # ended with '*': a bounded prefix search


@dataclass
class ParsedQuery:
    """Groups of alternatives (OR within a group), exclusions, and notes for the user."""

    groups: list[list[Unit]] = field(default_factory=list)
    excluded: list[Unit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cleaned: str = ""

    @property
    def empty(self) -> bool:
        return not self.groups

    def units(self) -> list[Unit]:
        return [u for g in self.groups for u in g]


def _clean_word(raw: str) -> tuple[str, bool]:
    """Strip operators and field syntax from a bare word; report a trailing '*'."""
    prefix = raw.endswith("*") and len(raw.strip("*")) >= 3
    word = raw.replace(":", " ").replace("*", " ").replace("?", " ").replace("~", " ").replace("^", " ")
    word = _WORDCHARS.sub(" ", word)
    word = " ".join(w.strip("-'’·") for w in word.split())
    return word.strip(), prefix and " " not in word.strip()


def parse_query(text: str) -> ParsedQuery:
    """Parse free text into units; anything unparseable degrades to plain words."""
    parsed = ParsedQuery()
    if not isinstance(text, str):
        text = str(text or "")
    text = unicodedata.normalize("NFC", _CONTROL.sub(" ", text)).translate(_QUOTES)
    if len(text) > MAX_QUERY_CHARS:
        text = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0]
        parsed.notes.append(f"La requête a été tronquée à {MAX_QUERY_CHARS} caractères.")
    if text.count('"') % 2:
        text = text.replace('"', " ")  # unbalanced quote: read as plain words
    pending_or = False
    for match in _TOKEN.finditer(text):
        negative, phrase, bare = match.group(1), match.group(2), match.group(3)
        if bare is not None and bare.upper() == "OR" and parsed.groups:
            pending_or = True
            continue
        if bare is not None and bare.upper() in ("AND", "ET", "NOT", "&&", "||"):
            continue
        if phrase is not None:
            words, _ = _clean_word(phrase)
            unit = Unit(words, phrase=len(words.split()) > 1) if words else None
        else:
            if bare.startswith("-") and len(bare) > 1:
                negative, bare = "-", bare[1:]
            words, prefix = _clean_word(bare)
            unit = Unit(words, prefix=prefix) if words else None
        if unit is None:
            continue
        if negative:
            parsed.excluded.append(unit)
        elif pending_or:
            parsed.groups[-1].append(unit)
        else:
            parsed.groups.append([unit])
        pending_or = False
    content = [g for g in parsed.groups if not (len(g) == 1 and not g[0].phrase and g[0].text.lower().replace("’", "'") in INTERROGATIVES)]
    if content and len(content) < len(parsed.groups):
        parsed.groups = content
    if len(parsed.groups) > MAX_UNITS:
        parsed.groups = parsed.groups[:MAX_UNITS]
        parsed.notes.append(f"Seuls les {MAX_UNITS} premiers termes de la requête ont été pris en compte.")
    parsed.cleaned = " ".join(u.text for u in parsed.units())
    return parsed

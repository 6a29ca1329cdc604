"""Headings in normal case: a source's ALL-CAPS headings (« I. LES ATTEINTES AUX DROITS HUMAINS
LIÉES À L'IA ») cited as « I. Les atteintes aux droits humains liées à l'IA »."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+")
_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|\d+)(?:\.\d+)*[.)]\s+")  # « I. », « 2. », « 1.3) »


def acronyms(texts: Iterable[str]) -> frozenset[str]:
    """Words a text only ever writes in capitals (two letters or more), such as « IA » or
    « IAG »: they stay in capitals when a heading is put in normal case. A word also written
    otherwise (« ENSEMBLE » in a slogan, « ensemble » elsewhere) is an ordinary word."""
    capitals: set[str] = set()
    otherwise: set[str] = set()
    for text in texts:
        for word in _WORD.findall(text):
            (capitals if len(word) > 1 and word.isupper() else otherwise).add(word if word.isupper() else word.upper())
    return frozenset(capitals - otherwise)


def normal_case(heading: str, keep: frozenset[str] = frozenset()) -> str:
    """`heading` unchanged unless it is all in capitals; then in lower case but for its
    numbering, its first letter and the words of `keep`."""
    letters = [c for c in heading if c.isalpha()]
    if len(letters) < 2 or not all(c.isupper() for c in letters):
        return heading
    numbering = _NUMBERING.match(heading)
    head, body = (heading[: numbering.end()], heading[numbering.end() :]) if numbering else ("", heading)
    body = _WORD.sub(lambda m: m.group(0) if m.group(0) in keep else m.group(0).lower(), body)
    first = next((i for i, c in enumerate(body) if c.isalpha()), None)
    if first is not None:
        body = body[:first] + body[first].upper() + body[first + 1 :]
    return head + body


# A heading's own closing punctuation before a list (« Voici ce que vous pouvez faire: »), not
# part of its title: « ? », « ! » and « … » (or « ... ») say something and stay.
_TRAILING = re.compile(r"(?<!\.)[\s\u00a0\u202f]*[:;,.]+[\s\u00a0\u202f]*$")


def cited_heading(heading: str, keep: frozenset[str] = frozenset()) -> str:
    """`heading` as a citation quotes it: in normal case, without a trailing colon, semicolon,
    comma or single full stop."""
    text = normal_case(heading, keep).strip()
    if text.endswith(("...", "…")) or _NUMBERING.fullmatch(text + " "):  # « Si... », a bare « I. »
        return text
    return _TRAILING.sub("", text) or text

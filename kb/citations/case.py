"""Headings in normal case: a source's ALL-CAPS headings (« I. LES ATTEINTES AUX DROITS HUMAINS
LIÉES À L'IA ») cited as « I. Les atteintes aux droits humains liées à l'IA »."""

from __future__ import annotations

import re
from collections.abc import Iterable

_WORD = re.compile(r"[^\W\d_]+")
_NUMBERING = re.compile(r"^\s*(?:[IVXLC]+|\d+)(?:\.\d+)*[.)]\s+")  # « I. », « 2. », « 1.3) »


def acronyms(texts: Iterable[str]) -> frozenset[str]:
    """Words written in capitals (two letters or more) in running text, such as « IA » or
    « IAG »: they stay in capitals when a heading is put in normal case."""
    found: set[str] = set()
    for text in texts:
        found.update(w for w in _WORD.findall(text) if len(w) > 1 and w.isupper())
    return frozenset(found)


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

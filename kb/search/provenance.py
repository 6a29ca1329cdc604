"""Provenance: how each result was found (its words, a thesaurus expression, a spelling
correction, its meaning), so a reader knows why a passage is there."""

from __future__ import annotations

from dataclasses import dataclass

from kb.search.collectors import Matches
from kb.search.compile import CompiledQuery
from kb.storage import query as tags

WORDS, THESAURUS, CORRECTION, MEANING = "words", "thesaurus", "correction", "meaning"
# How the faces say it (« trouvé par … »); a passage found by MEANING alone is « sens proche ».
FRENCH = {WORDS: "les mots", THESAURUS: "le thésaurus", CORRECTION: "une correction d'orthographe", MEANING: "le sens"}


@dataclass(frozen=True)
class Provenance:
    """The match sets each way of being found stands for."""

    literal: frozenset[int]  # the query's own words
    corrected: frozenset[int]  # its words or their spelling corrections
    lexical: frozenset[int]  # any of those, or a thesaurus expression
    by_meaning: frozenset[int]  # among the best of the semantic ranking
    all_corrected: bool = False  # the results are the corrected query's

    def of(self, docnum: int) -> tuple[str, ...]:
        """The ways `docnum` was found, in a fixed order."""
        out = []
        if docnum in self.literal and not self.all_corrected:
            out.append(WORDS)
        elif docnum in self.corrected or (self.all_corrected and docnum in self.literal):
            out.append(CORRECTION)
        elif docnum in self.lexical:
            out.append(THESAURUS)
        if docnum in self.by_meaning:
            out.append(MEANING)
        return tuple(out)


def provenance(matches: Matches, corrected_query: str | None, by_meaning: frozenset[int]) -> Provenance:
    """Which passages each kind of evidence matched: set arithmetic over what the walk of the
    query reported for its tagged clauses (no second match of any query)."""
    literal = _tagged(matches, tags.LITERAL)
    corrected = literal | _tagged(matches, tags.CORRECTION)
    if corrected_query:  # the results are the corrected query's: its words are the corrections
        literal = corrected
    excluded = excluded_by(matches)
    return Provenance(frozenset(literal - excluded), frozenset(corrected - excluded), frozenset(matches.scores), by_meaning,
                      bool(corrected_query))


def owed_to_corrections(compiled: CompiledQuery, matches: Matches) -> bool:
    """No match of the query would remain without its spelling corrections: none holds every typed
    word of a concept (a thesaurus span's typed words together) or a thesaurus expression of one."""
    in_span = {g for start, end in compiled.spans for g in range(start, end)}
    found: set[int] = set()
    for group in compiled.typed_groups - in_span:
        found |= matches.of((tags.LITERAL, group))
    for start, end in compiled.spans:
        typed = [matches.of((tags.LITERAL, g)) for g in range(start, end) if g in compiled.typed_groups]
        if typed:
            found |= set.intersection(*typed)
        found |= matches.of((tags.THESAURUS, start))
    return not (found & matches.scores.keys())


def excluded_by(matches: Matches) -> set[int]:
    """The passages the query's -excluded words match (never shown)."""
    return matches.of((tags.EXCLUSION, 0))


def _tagged(matches: Matches, origin: str) -> set[int]:
    """What every clause of this origin matched."""
    out: set[int] = set()
    for (tag, _group), found in matches.tagged.items():
        if tag == origin:
            out |= found
    return out

"""Provenance: how each result was found (its words, a thesaurus expression, a spelling
correction, its meaning), so a reader knows why a passage is there."""

from __future__ import annotations

from dataclasses import dataclass

from whoosh.searching import Searcher

from kb.search.compile import CompiledQuery
from kb.search.match import TermReads, matching_docnums
from kb.search.score import Scores

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


def provenance(searcher: Searcher, compiled: CompiledQuery, corrected_query: str | None,
               lexical: Scores, by_meaning: frozenset[int], reads: TermReads | None = None) -> Provenance:
    """Which passages each kind of evidence matches (set algebra over posting lists), from the
    match queries by origin that compile_query() made beside the ranked query."""
    if corrected_query:  # the results are the corrected query's: its words are the corrections
        literal = corrected = matching_docnums(searcher, compiled.literal_or_corrected, reads)
    else:
        literal = matching_docnums(searcher, compiled.literal, reads)
        corrected = literal if compiled.literal_or_corrected is compiled.literal else matching_docnums(searcher, compiled.literal_or_corrected, reads)
    return Provenance(frozenset(literal), frozenset(corrected), frozenset(lexical), by_meaning, bool(corrected_query))

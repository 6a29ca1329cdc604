"""Ranking parameters in one place; set by measurement (see `make eval`), not by feel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RankingParams:
    """Field boosts, BM25F constants and query-shaping weights."""

    k1: float = 1.2
    b: float = 0.75
    text: float = 1.0
    heading: float = 0.6
    title: float = 0.3
    text_stem: float = 0.6
    heading_stem: float = 0.3
    title_stem: float = 0.15
    coverage: float = 0.6  # Whoosh Or(scale=...): bonus for covering more query concepts
    phrase: float = 1.5  # bonus when the query's words appear together (slop below)
    phrase_slop: int = 3
    thesaurus: float = 0.4  # expansions weigh less than the user's own words
    max_prefix_terms: int = 50
    fuzzy_maxdist: int = 1

    def field_boosts(self) -> dict[str, float]:
        return {
            "text": self.text,
            "heading": self.heading,
            "title": self.title,
            "text_stem": self.text_stem,
            "heading_stem": self.heading_stem,
            "title_stem": self.title_stem,
        }


DEFAULT_PARAMS = RankingParams()

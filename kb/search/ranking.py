"""Ranking parameters in one place; set by measurement (see `make eval`), not by feel."""

from __future__ import annotations

from dataclasses import dataclass

from kb.storage.backend import Weighting


@dataclass(frozen=True)
class RankingParams:
    """Field boosts, BM25F constants and query-shaping weights."""

    k1: float = 0.9
    b: float = 0.5
    text: float = 1.0
    # Measured at 0 (a field of weight 0 is left out of the query): the tuner had put them at
    # its lowest value, 0.05; without them judged nDCG@10 is 0.815 (0.816), PIAF R@1 0.733
    # (0.734), MRR@10 0.804 (0.805), and each query word is 4 field terms instead of 7.
    heading: float = 0.0
    title: float = 0.0
    text_stem: float = 1.0
    heading_stem: float = 0.3
    title_stem: float = 0.0
    # A list item's lead-in (« …, il convient : ») counts as its headings do (0.3). Measured with
    # bench/evaluation/tune.py on the judged queries (PIAF-dev has no lead-ins): 0 to 0.3 the same
    # (0.879, MRR 0.924; no judged query targets those items), 0.6 and more cost MRR 0.001.
    context_stem: float = 0.3
    # The document's description: measured at 0. At any weight from 0.005 to 0.6 its words make
    # every passage of its document match (« pause ia » → all of the charter's), and the judged
    # question type fell from 0.701 to 0.683.
    description_stem: float = 0.0
    words: float = 0.5  # the unstemmed, unfolded word field: the word exactly as written
    # Measured at 0 (bench/evaluation/tune.py, judged queries + PIAF-dev): the sum over concepts already
    # ranks passages covering more of the query first; a constant bonus cost PIAF R@1.
    coverage: float = 0.0  # constant bonus per distinct query concept a passage contains
    # Measured at 0 too: pair proximity helped no judged type and cost PIAF R@1 0.026.
    phrase: float = 0.0  # bonus per pair of consecutive query words found within `phrase_slop`
    phrase_slop: int = 3
    # An expansion competes with the literal words of its concept (max, not sum), scaled to their
    # number of words. Re-measured with the exact scorer (kb/search/score.py): judged nDCG@10 0.853 at
    # both 0.4 and 0.7 (0.841 at 0.2, 0.844 at 1.0), PIAF unchanged; the lower end of the plateau
    # keeps expansions clearly below the literal words.
    thesaurus: float = 0.4
    correction: float = 1.0  # weight of the known word searched beside an unknown (misspelt) one; 0 = off
    # Semantic fusion (kb/search/fuse.py): the first `semantic_candidates` passages by meaning
    # join the lexical matches (shown even when no word of the query is in them); `fusion` is
    # "zscore" (both signals standardised over those candidates) or "rrf" (reciprocal ranks
    # 1/(rrf_k + rank), the semantic ranking's over its first `semantic_depth` passages). The
    # semantic signal weighs `semantic` for a query of keywords, `semantic_question` for a
    # question (ending in "?" or of `question_groups` terms or more), where words alone fail
    # most. Set by bench/evaluation/tune.py (judged queries + PIAF-dev, docs/search-quality.md):
    # judged nDCG@10 0.879, question 0.703, PIAF R@1 0.781, MRR@10 0.847. `semantic` 0.0 scored
    # 0.880, but at 0 the passages found by meaning alone tie and fall in index order; at 0.1
    # they follow their closeness.
    fusion: str = "zscore"
    semantic: float = 0.1
    # 3.5 since passages are scored with their best sentence and meaning-only ones need to clear
    # the floor (issue 28; fusion trials with search()'s own stages, floor 0.85): judged nDCG@10 /
    # its questions / people answerable / PIAF R@1, MRR@10: at 2.0 0.874 / 0.695 / 0.669 / 0.794,
    # 0.855; 2.5 0.875 / 0.696 / 0.666 / 0.792, 0.854; 3.0 0.875 / 0.700 / 0.668 / 0.796, 0.856;
    # 3.5 0.876 / 0.705 / 0.667; 4.0 0.876 / 0.703 / 0.665.
    semantic_question: float = 3.5
    question_groups: int = 5
    rrf_k: int = 60
    semantic_depth: int = 100
    semantic_candidates: int = 20
    max_prefix_terms: int = 50
    # Meaning always consulted, trusted as far as it earns (kb/search/fuse.py, meaning_floor): a
    # passage whose words do not match is shown when its cosine stands `meaning_z` standard
    # deviations above the query's mean over the index, and at least at `meaning_floor`.
    # Calibrated on the people set's 135 answerable and 25 off-topic queries (docs/search-quality.md):
    # answerable nDCG@10 / off-topic queries padded by meaning / judged nDCG@10 / PIAF R@1, MRR@10:
    # no floor 0.670 / 24 of 25 / 0.881 / 0.780, 0.847; cosine 0.83: 0.666 / 7 / 0.880 / 0.780, 0.846;
    # 0.84: 0.666 / 1 / 0.877; 0.85: 0.669 / 0 / 0.876 / 0.781, 0.846; 0.86: 0.668 / 0 / 0.871.
    # Relative floors did worse (z 2.5: 0.665 / 7 / 0.869; z 3: 0.653 / 5 / 0.869 / 0.778): e5's
    # cosines of on- and off-topic queries overlap in z, less in absolute terms.
    meaning_z: float = 0.0
    meaning_floor: float = 0.85
    meaning_floor_question: float = 0.85  # the floor of a question (see `semantic_question`)
    # Passages that are not content (contact blocks, link lists…: Passage.kind) keep this share
    # of their words' score, and are never shown by meaning alone.
    noncontent_weight: float = 0.5

    def weighting(self) -> Weighting:
        """BM25F with these constants (the usual defaults are k1 1.2, b 0.75)."""
        return Weighting(k1=self.k1, b=self.b)

    def field_boosts(self) -> dict[str, float]:
        return {
            "text": self.text,
            "heading": self.heading,
            "title": self.title,
            "text_stem": self.text_stem,
            "heading_stem": self.heading_stem,
            "title_stem": self.title_stem,
            "context_stem": self.context_stem,
            "description_stem": self.description_stem,
        }


DEFAULT_PARAMS = RankingParams()
# The fields only the fusion stage reads (kb/search/fuse.py): varying them needs no new lexical search.
FUSION_FIELDS = frozenset({"fusion", "semantic", "semantic_question", "question_groups", "rrf_k", "semantic_depth",
                           "semantic_candidates", "meaning_z", "meaning_floor", "meaning_floor_question"})

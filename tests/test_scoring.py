"""kb.search.score against Whoosh's own matchers on real indexes: same match sets, same scores."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import collectors, scoring
from whoosh.query import And, AndMaybe, AndNot, DisjunctionMax, Or, Phrase, Query, Term

from indexer.build import build_index
from kb.search.compile import compile_query
from kb.search.match import matching_docnums
from kb.search.parse import parse_query
from kb.search.ranking import DEFAULT_PARAMS
from kb.search.score import score_matches, top_ranked
from kb.search.thesaurus import thesaurus_for
from kb.storage.store import KnowledgeBase


def _whoosh_scores(searcher, query: Query) -> dict[int, float]:
    """Every match scored by Whoosh's matcher tree (no matcher replacement)."""
    collector = collectors.TopCollector(limit=10**6, usequality=False, replace=0)
    searcher.search_with_collector(query, collector)
    return {hit.docnum: hit.score for hit in collector.results()}


def _assert_same(got: dict[int, float], expected: dict[int, float]) -> None:
    assert set(got) == set(expected)
    for docnum, score in expected.items():
        assert got[docnum] == pytest.approx(score, rel=1e-9), docnum


QUERIES = [
    Term("text", "surveillance"),
    Term("text_stem", "surveil", boost=0.3),
    Or([Term("text", "arme"), Term("text_stem", "arm"), Term("words", "armes", boost=0.5)]),
    And([Or([Term("text", "reconnaissance"), Term("text_stem", "reconnaiss")]), Term("text", "facial")], boost=0.4),
    AndMaybe(Or([Term("text", "droit"), Term("text", "humain")]), Or([Term("words", "les"), Term("words", "de")])),
    AndNot(Or([Term("text", "ia"), Term("text_stem", "ia")]), Term("text", "pause")),
    Or([Phrase("text", ["reconnaissance", "facial"], slop=1, boost=2.0), Term("text", "biometrie")]),
    Or([Term("text", "mot-absent-de-l-index"), Term("nope", "x")]),
    Or([Term("text", "droit"), Term("text", "humain"), Term("text", "ia")], minmatch=2),  # left to Whoosh
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: type(q).__name__)
def test_scores_equal_whooshs_for_every_query_shape(kb: KnowledgeBase, query: Query) -> None:
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        _assert_same(score_matches(searcher, query), _whoosh_scores(searcher, query))


@pytest.mark.parametrize("text", ['"services publics" danemark', "discord serveur", "comment les gouvernements utilisent -espions ?"])
def test_compiled_queries_without_thesaurus_alternatives_score_as_whoosh(kb: KnowledgeBase, text: str) -> None:
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        query = compile_query(parse_query(text), searcher.reader(), thesaurus_for(kb.snapshot().path)).query
        assert "DisjunctionMax" not in repr(query)  # see the next test for those
        _assert_same(score_matches(searcher, query), _whoosh_scores(searcher, query))


def test_a_thesaurus_alternative_scores_the_best_of_its_options(kb: KnowledgeBase) -> None:
    # Whoosh's DisjunctionMaxMatcher takes max(a.score(), b.score()) while one of them may sit
    # on another passage, so a passage could score more than any of its alternatives.
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        query = compile_query(parse_query("technologies interdire"), searcher.reader(), thesaurus_for(kb.snapshot().path)).query
        assert "DisjunctionMax" in repr(query)
        dismax = next(q for q in query.subqueries if isinstance(q, DisjunctionMax))
        options = [score_matches(searcher, sub) for sub in dismax.subqueries]
        got = score_matches(searcher, dismax)
        assert got and set(got) == set().union(*options)
        for docnum, score in got.items():
            assert score == max(o[docnum] for o in options if docnum in o)


def test_several_segments_and_deletions_score_as_one(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    guide = corpus_copy / "passez-a-l-action.md"
    guide.write_text(guide.read_text(encoding="utf-8") + "\n\nManifestez devant les laboratoires d'IA.\n", encoding="utf-8")
    build_index([corpus_copy], root)  # incremental: a new segment, the old passages deleted
    kb = KnowledgeBase(root)
    query = Or([Term("text", "manifester"), Term("text_stem", "manifest"), Term("text", "laboratoire")])
    with kb.reading(DEFAULT_PARAMS.weighting()) as searcher:
        assert len(searcher.leaf_searchers()) > 1 or searcher.reader().has_deletions()
        got, expected = score_matches(searcher, query), _whoosh_scores(searcher, query)
        _assert_same(got, expected)
        assert matching_docnums(searcher, query) == set(expected)  # deleted passages left out
        ids = [searcher.stored_fields(d)["id"] for d, _ in top_ranked(got, 5)]
    assert any(i.startswith("passez-a-l-action/") for i in ids)


def test_top_ranked_breaks_ties_by_document_order_and_honours_the_filter() -> None:
    scores = {7: 1.0, 3: 2.0, 5: 1.0, 9: 0.5}
    assert top_ranked(scores, 3) == [(3, 2.0), (5, 1.0), (7, 1.0)]
    assert top_ranked(scores, 10, allowed={9, 7, 42}) == [(7, 1.0), (9, 0.5)]


def test_each_weighting_scores_with_its_own_constants_over_one_shared_reader(kb: KnowledgeBase) -> None:
    query = Or([Term("text", "surveillance"), Term("text_stem", "droit")])
    with kb.reading(scoring.BM25F(B=0.75, K1=1.2)) as whoosh_default:
        default_scores, reader = score_matches(whoosh_default, query), whoosh_default.reader()
    with kb.reading(DEFAULT_PARAMS.weighting()) as ours:
        our_scores = score_matches(ours, query)
        assert ours.reader() is reader  # one reader (and its caches) per build, whatever the weighting
        _assert_same(our_scores, _whoosh_scores(ours, query))
    assert set(our_scores) == set(default_scores) and our_scores != default_scores
    with kb.reading(DEFAULT_PARAMS.weighting()) as again:
        assert again is ours  # an equal weighting gets the same searcher back


def test_a_nested_reading_is_refused_rather_than_deadlocked(kb: KnowledgeBase) -> None:
    with kb.reading():
        with pytest.raises(RuntimeError, match="does not nest"):
            with kb.reading():
                pass
    with kb.reading() as searcher:  # the outer reading released the lock
        assert searcher.doc_count() > 0

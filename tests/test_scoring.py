"""The Whoosh adapter's block scorer (kb/storage/whoosh_adapter/scoring.py) against Whoosh's own
matchers on real indexes: same match sets, same scores, for every shape of the query language."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import collectors

from indexer.build import build_index
from kb.search.collectors import Matches, top_ranked
from kb.search.compile import compile_query
from kb.search.parse import parse_query
from kb.search.ranking import DEFAULT_PARAMS
from kb.search.thesaurus import thesaurus_for
from kb.storage.backend import Weighting
from kb.storage.query import AllOf, AnyOf, BestOf, Constant, Phrase, Query, Tagged, Term, WithBonus, Without
from kb.storage.store import KnowledgeBase
from kb.storage.whoosh_adapter.translate import to_whoosh


def _whoosh_scores(view, query: Query) -> dict[int, float]:
    """Every match scored by Whoosh's matcher tree (no matcher replacement)."""
    collector = collectors.TopCollector(limit=10**6, usequality=False, replace=0)
    view.searcher.search_with_collector(to_whoosh(query), collector)
    return {hit.docnum: hit.score for hit in collector.results()}


def _ours(view, query: Query) -> Matches:
    matches = Matches()
    view.evaluate(query, [matches])
    return matches


def _assert_same(got: dict[int, float], expected: dict[int, float]) -> None:
    assert set(got) == set(expected)
    for docnum, score in expected.items():
        assert got[docnum] == pytest.approx(score, rel=1e-9), docnum


QUERIES = [
    Term("text", "surveillance"),
    Term("text_stem", "surveil", boost=0.3),
    AnyOf((Term("text", "arme"), Term("text_stem", "arm"), Term("words", "armes", boost=0.5))),
    AllOf((AnyOf((Term("text", "reconnaissance"), Term("text_stem", "reconnaiss"))), Term("text", "facial")), boost=0.4),
    WithBonus(AnyOf((Term("text", "droit"), Term("text", "humain"))), AnyOf((Term("words", "les"), Term("words", "de")))),
    Without(AnyOf((Term("text", "ia"), Term("text_stem", "ia"))), Term("text", "pause")),
    AnyOf((Phrase("text", ("reconnaissance", "facial"), slop=1, boost=2.0), Term("text", "biometrie"))),
    AnyOf((Term("text", "mot-absent-de-l-index"), Term("nope", "x"))),
    WithBonus(Term("text", "droit"), Constant(Term("text", "humain"), 0.6)),
    Tagged("literal", 0, AnyOf((Term("text", "droit"), Term("text_stem", "droit")))),
]


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: type(q).__name__)
def test_scores_equal_whooshs_for_every_query_shape(kb: KnowledgeBase, query: Query) -> None:
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        expected = _whoosh_scores(held.view, query)
        _assert_same(_ours(held.view, query).scores, expected)
        assert held.view.matches(query) == set(expected)


@pytest.mark.parametrize("text", ['"services publics" danemark', "discord serveur", "comment les gouvernements utilisent -espions ?"])
def test_compiled_queries_without_thesaurus_alternatives_score_as_whoosh(kb: KnowledgeBase, text: str) -> None:
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        query = compile_query(parse_query(text), held.view, thesaurus_for(kb.snapshot().path)).query
        assert "BestOf" not in repr(query)  # see the next test for those
        _assert_same(_ours(held.view, query).scores, _whoosh_scores(held.view, query))


def test_a_thesaurus_alternative_scores_the_best_of_its_options(kb: KnowledgeBase) -> None:
    # Whoosh's DisjunctionMaxMatcher takes max(a.score(), b.score()) while one of them may sit
    # on another passage, so a passage could score more than any of its alternatives.
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        query = compile_query(parse_query("technologies interdire"), held.view, thesaurus_for(kb.snapshot().path)).query
        assert isinstance(query, AnyOf)
        dismax = next(q for q in query.clauses if isinstance(q, BestOf))
        options = [_ours(held.view, sub).scores for sub in dismax.clauses]
        got = _ours(held.view, dismax).scores
        assert got and set(got) == set().union(*options)
        for docnum, score in got.items():
            assert score == max(o[docnum] for o in options if docnum in o)


def test_the_walk_reports_what_each_tagged_clause_matched(kb: KnowledgeBase) -> None:
    droit, humain = AnyOf((Term("text", "droit"), Term("text_stem", "droit"))), Term("text", "humain")
    pause = Term("text", "pause")
    query = Without(AnyOf((Tagged("literal", 0, droit), Tagged("literal", 1, humain))), Tagged("exclusion", 0, pause))
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        got = _ours(held.view, query)
        assert got.of(("literal", 0)) == held.view.matches(droit) and got.of(("literal", 1)) == held.view.matches(humain)
        assert got.of(("exclusion", 0)) == held.view.matches(pause) != set()
        assert set(got.scores) == (held.view.matches(droit) | held.view.matches(humain)) - held.view.matches(pause)


def test_several_segments_and_deletions_score_as_one(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    guide = corpus_copy / "passez-a-l-action.md"
    guide.write_text(guide.read_text(encoding="utf-8") + "\n\nManifestez devant les laboratoires d'IA.\n", encoding="utf-8")
    build_index([corpus_copy], root)  # incremental: a new segment, the old passages deleted
    kb = KnowledgeBase(root)
    query = AnyOf((Term("text", "manifester"), Term("text_stem", "manifest"), Term("text", "laboratoire")))
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        searcher = held.view.searcher
        assert len(searcher.leaf_searchers()) > 1 or searcher.reader().has_deletions()
        got, expected = _ours(held.view, query).scores, _whoosh_scores(held.view, query)
        _assert_same(got, expected)
        assert held.view.matches(query) == set(expected)  # deleted passages left out
        ids = [held.view.stored(d)["id"] for d, _ in top_ranked(got, 5)]
    assert any(i.startswith("passez-a-l-action/") for i in ids)


def test_top_ranked_breaks_ties_by_document_order_and_honours_the_filter() -> None:
    scores = {7: 1.0, 3: 2.0, 5: 1.0, 9: 0.5}
    assert top_ranked(scores, 3) == [(3, 2.0), (5, 1.0), (7, 1.0)]
    assert top_ranked(scores, 10, allowed={9, 7, 42}) == [(7, 1.0), (9, 0.5)]


def test_each_weighting_scores_with_its_own_constants_over_one_shared_reader(kb: KnowledgeBase) -> None:
    query = AnyOf((Term("text", "surveillance"), Term("text_stem", "droit")))
    with kb.session(Weighting(k1=1.2, b=0.75)) as whoosh_default:
        default_scores, reader = _ours(whoosh_default.view, query).scores, whoosh_default.view.searcher.reader()
    with kb.session(DEFAULT_PARAMS.weighting()) as held:
        ours = held.view.searcher
        our_scores = _ours(held.view, query).scores
        assert ours.reader() is reader  # one reader (and its caches) per build, whatever the weighting
        _assert_same(our_scores, _whoosh_scores(held.view, query))
    assert set(our_scores) == set(default_scores) and our_scores != default_scores
    with kb.session(DEFAULT_PARAMS.weighting()) as again:
        assert again.view.searcher is ours  # an equal weighting gets the same searcher back


def test_a_nested_reading_is_refused_rather_than_deadlocked(kb: KnowledgeBase) -> None:
    with kb.session():
        with pytest.raises(RuntimeError, match="does not nest"):
            with kb.session():
                pass
    with kb.session() as held:  # the outer session released the lock
        assert held.view.count() > 0

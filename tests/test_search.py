"""The search service on a real index of corpus/: ranking, filters, facets, snippets, leniency."""

from __future__ import annotations

import pytest

from kb.analysis import analyze, lemma_analyzer
from kb.errors import InvalidParameterError
from kb.search.related import related_passages
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase
from kb.search.thesaurus import COMPILED_NAME, default_thesaurus, thesaurus_for

FACIAL = {
    "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3",
    "amnesty-ia-droits-humains/2-des-mesures-essentielles-a-adopter-2",
}


def _ids(kb: KnowledgeBase, query: str, **kw) -> list[str]:
    return [r["id"] for r in search(kb, SearchRequest(query, **kw)).to_json()["results"]]


def test_facial_recognition_passages_come_first(kb: KnowledgeBase) -> None:
    assert set(_ids(kb, "reconnaissance faciale")[:2]) == FACIAL


def test_manifester_finds_the_call_to_demonstrate(kb: KnowledgeBase) -> None:
    assert _ids(kb, "manifester")[0] == "passez-a-l-action/voici-ce-que-vous-pouvez-faire-7"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # No accents: either passage that says "sécurité de l'IA" will do.
        ("securite de l'ia", {"passez-a-l-action/vous-etes-un-bon-orateur-2", "passez-a-l-action/vous-travaillez-dans-le-secteur-de-l-ia-3"}),
        ("logiciel espion", {"amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-4"}),  # singular
        ("pacifiste", {"charte-des-valeurs/nos-valeurs-3"}),
        ('"armes autonomes"', {"amnesty-ia-droits-humains/4-l-autonomisation-des-armes-1"}),
    ],
)
def test_french_morphology_and_folding(kb: KnowledgeBase, query: str, expected: set[str]) -> None:
    assert expected & set(_ids(kb, query)[:3])


def test_phrase_exclusion_and_or(kb: KnowledgeBase) -> None:
    phrase = _ids(kb, '"reconnaissance faciale"', limit=50)
    assert set(phrase) == FACIAL
    excluded = _ids(kb, '"reconnaissance faciale" -migration', limit=50)
    assert excluded == ["amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3"]
    either = set(_ids(kb, "pétitions OR tracts", limit=50))
    assert {"passez-a-l-action/voici-ce-que-vous-pouvez-faire-10", "passez-a-l-action/voici-ce-que-vous-pouvez-faire-13"} <= either


def test_coverage_ranks_passages_with_more_query_words_first(kb: KnowledgeBase) -> None:
    top = search(kb, SearchRequest("logiciels espions journalistes activistes", limit=3)).to_json()["results"][0]
    assert top["id"] == "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-4"


@pytest.mark.parametrize(
    "query",
    [
        "que faire si je travaille dans une entreprise d'ia ?",  # stop-word bonus + thesaurus DisMax
        "quels sont les risques de l'intelligence artificielle pour les droits humains ?",
        "reconnaissance faciale -migration",
    ],
)
def test_a_short_page_is_the_head_of_the_full_ranking(kb: KnowledgeBase, query: str) -> None:
    # Whoosh's top-k collector, left to replace sub-matchers, dropped passages that belonged in
    # the first three (a window of 4 and one of 10 disagreed); every window must agree.
    full = search(kb, SearchRequest(query, limit=100)).to_json()
    for limit in (1, 3, 4, 10):
        page = search(kb, SearchRequest(query, limit=limit)).to_json()
        assert [r["id"] for r in page["results"]] == [r["id"] for r in full["results"][:limit]]
        assert page["total"] == full["total"]


def test_stop_words_rank_but_do_not_match_on_their_own(kb: KnowledgeBase) -> None:
    # "les" and "de" are in nearly every passage: with content words beside them they only add
    # to the score of passages that match the content words. (By words alone: in hybrid mode the
    # passages found by meaning depend on the whole text, stop words included.)
    with_stop_words = search(kb, SearchRequest("les risques de la surveillance", limit=100, mode="lexical")).to_json()
    content_only = search(kb, SearchRequest("risques surveillance", limit=100, mode="lexical")).to_json()
    assert with_stop_words["total"] == content_only["total"] > 0
    assert search(kb, SearchRequest("les", limit=1)).to_json()["total"] > 0  # alone, a stop word is still searched


def test_question_words_rank_but_do_not_match_on_their_own(kb: KnowledgeBase) -> None:
    # "comment", "peut", "faire" give the query its form: « faire » alone is in many passages.
    question = search(kb, SearchRequest("comment peut-on faire interdire la surveillance ?", limit=100, mode="lexical")).to_json()
    topic = search(kb, SearchRequest("interdire surveillance", limit=100, mode="lexical")).to_json()
    assert question["total"] == topic["total"] > 0
    assert search(kb, SearchRequest("faire", limit=1, mode="lexical")).to_json()["total"] > topic["total"]  # alone, still searched


@pytest.mark.parametrize(
    "query",
    ['"unbalanced', "(((", "AND OR NOT", "title:surveillance", "surv*", "??", "~~", "😀 🤖", "\x00\x07ia\x1b", "a" * 10_000, "- - -", ":", '""', "ia " * 2000],
)
def test_no_query_ever_raises(kb: KnowledgeBase, query: str) -> None:
    response = search(kb, SearchRequest(query)).to_json()
    assert isinstance(response["total"], int)


def test_prefix_search_is_bounded_and_works(kb: KnowledgeBase) -> None:
    from kb.search.compile import compile_query
    from kb.search.parse import parse_query
    from kb.search.ranking import DEFAULT_PARAMS, RankingParams
    from kb.search.thesaurus import Thesaurus

    assert "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-1" in _ids(kb, "surveil*", limit=20)
    # « con* » begins 31 of the corpus's stems: all are searched under the bound, and no more
    # than the bound when it is lower (a three-letter prefix of a larger corpus begins thousands).
    from kb.storage.query import field_terms

    with kb.session() as held:
        begins = sum(1 for _ in held.view.expand_prefix("text_stem", "con"))
        searched = set(field_terms(compile_query(parse_query("con*"), held.view, Thesaurus([]), DEFAULT_PARAMS).query, "text_stem"))
        narrow = set(field_terms(compile_query(parse_query("con*"), held.view, Thesaurus([]), RankingParams(max_prefix_terms=5)).query, "text_stem"))
    assert 5 < begins <= DEFAULT_PARAMS.max_prefix_terms and len(searched) == begins and len(narrow) == 5


def test_typo_gets_a_suggestion_and_an_automatic_correction(kb: KnowledgeBase) -> None:
    response = search(kb, SearchRequest("survaillance")).to_json()
    assert response["suggestion"] == "surveillance"
    assert response["corrected_query"] == "surveillance" and response["total"] > 5
    assert search(kb, SearchRequest("surveillance")).to_json()["suggestion"] is None
    assert search(kb, SearchRequest("securite")).to_json()["suggestion"] is None  # unaccented is not a typo


def test_a_correct_word_the_corpus_lacks_is_not_corrected_into_another_word(kb: KnowledgeBase) -> None:
    response = search(kb, SearchRequest("juriste")).to_json()  # a French word; « juste » is one letter pair away
    assert response["suggestion"] is None and response["corrected_query"] is None and response["by_words"] == 0
    assert response["notes"] == ["Le mot « juriste » n'apparaît dans aucun passage du corpus."]
    # No word found, but meaning is consulted: what it finds close enough is there, said so.
    assert response["by_meaning"] == response["total"] and all(r["found_by"] == ["meaning"] for r in response["results"])
    question = search(kb, SearchRequest("que peut faire un juriste pour la pause ?")).to_json()
    assert question["total"] > 0 and any("« juriste »" in note for note in question["notes"])
    assert search(kb, SearchRequest("survaillance")).to_json()["notes"] == []  # corrected: the suggestion says it
    # ... but a word of the same root still bridges to the corpus's closest form of it (one edit
    # away: « violences », not « violence », two edits away).
    response = search(kb, SearchRequest("actions violentes")).to_json()
    assert {"matched": "violentes", "entry": "orthographe", "added": ["violences"]} in response["expansions"]


def test_spelling_corrections_are_bounded(kb: KnowledgeBase) -> None:
    from kb.search.parse import parse_query
    from kb.search.suggest import MAX_CORRECTIONS, Vocabulary, corrections, unknown_words

    typos = "survaillance manifestaton reconaissance logicels algoritmes gouvernemnts technologis discrimnation petitoin"
    with kb.session() as held:
        vocabulary = Vocabulary(held.view)
        fixes = corrections(vocabulary, unknown_words(held.view, parse_query(typos)))
        assert len(fixes) == MAX_CORRECTIONS and fixes["survaillance"] == "surveillance"
        assert corrections(vocabulary, unknown_words(held.view, parse_query("survaillance" + "x" * 30))) == {}  # no French word is that long


def test_a_misspelt_word_is_corrected_even_when_other_words_match(kb: KnowledgeBase) -> None:
    call = "passez-a-l-action/voici-ce-que-vous-pouvez-faire-7"  # « Manifestez : rejoignez une des manifestations… »
    response = search(kb, SearchRequest("manifestaton pause ia", mode="lexical")).to_json()
    assert response["suggestion"] == "manifestations pause ia" and response["corrected_query"] is None
    assert call in [r["id"] for r in response["results"][:5]]
    assert {"matched": "manifestaton", "entry": "orthographe", "added": ["manifestations"]} in response["expansions"]
    exact = search(kb, SearchRequest("manifestaton pause ia", correct=False, mode="lexical")).to_json()  # "search exactly what I typed"
    assert call not in [r["id"] for r in exact["results"]] and exact["total"] > 0
    assert not [e for e in exact["expansions"] if e["entry"] == "orthographe"]


def test_filters_and_disjunctive_facets(kb: KnowledgeBase) -> None:
    all_hits = search(kb, SearchRequest("droits humains")).to_json()
    surveillance = search(kb, SearchRequest("droits humains", categories=("surveillance",))).to_json()
    assert 0 < surveillance["total"] < all_hits["total"]
    assert surveillance["total"] == all_hits["facets"]["category"]["surveillance"]
    assert all("surveillance" in r["categories"] for r in surveillance["results"])
    # The category facet ignores the category filter, so other choices keep their counts.
    assert surveillance["facets"]["category"] == all_hits["facets"]["category"]
    assert set(surveillance["facets"]["document"]) == {"amnesty-ia-droits-humains"}
    both = search(kb, SearchRequest("droits humains", categories=("surveillance", "armes"), limit=100)).to_json()
    armes = search(kb, SearchRequest("droits humains", categories=("armes",), limit=100)).to_json()
    every = search(kb, SearchRequest("droits humains", limit=100)).to_json()["results"]
    either = {r["id"] for r in every if {"surveillance", "armes"} & set(r["categories"])}
    assert armes["total"] > 0 and len(every) == all_hits["total"]  # every match seen
    assert {r["id"] for r in both["results"]} == either and both["total"] == len(either) > surveillance["total"]
    by_doc = search(kb, SearchRequest("action", documents=("charte-des-valeurs",))).to_json()
    assert by_doc["total"] and all(r["document"]["id"] == "charte-des-valeurs" for r in by_doc["results"])


def test_empty_query_with_a_filter_browses_in_reading_order(kb: KnowledgeBase) -> None:
    response = search(kb, SearchRequest("", categories=("armes",), limit=100)).to_json()
    assert response["total"] >= 3
    ids = [r["id"] for r in response["results"]]
    assert ids == [r["id"] for r in search(kb, SearchRequest("", categories=("armes",), limit=100)).to_json()["results"]]
    reading_order = [p.id for doc in sorted(kb.snapshot().documents) for p in kb.document_passages(doc) if "armes" in p.categories]
    assert ids == reading_order and len(ids) == response["total"]
    assert search(kb, SearchRequest("")).to_json()["total"] == 0


def test_pagination(kb: KnowledgeBase) -> None:
    first = _ids(kb, "droits", limit=5)
    second = _ids(kb, "droits", limit=5, offset=5)
    assert len(first) == len(second) == 5 and not set(first) & set(second)
    assert first + second == _ids(kb, "droits", limit=10)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"offset": -1}, "offset"), ({"categories": ("x",)}, "category"), ({"documents": ("x",)}, "document")],
)
def test_invalid_parameters_name_themselves(kb: KnowledgeBase, kwargs: dict, parameter: str) -> None:
    with pytest.raises(InvalidParameterError) as err:
        search(kb, SearchRequest("ia", **kwargs))
    assert err.value.parameter == parameter


def test_snippet_marks_matches_through_lemmas_and_escapes_html(kb: KnowledgeBase) -> None:
    result = search(kb, SearchRequest("surveiller")).to_json()["results"][0]
    assert "<mark>" in result["snippet"]
    lowered = result["snippet"].lower()
    assert "<mark>surveillance</mark>" in lowered or "<mark>surveiller</mark>" in lowered
    results = search(kb, SearchRequest("contact presse", mode="lexical")).to_json()["results"]
    assert results
    for r in results:
        assert "<" not in r["snippet"].replace("<mark>", "").replace("</mark>", "")
    # A passage's own markup is shown as text, never as HTML.
    from kb.search.snippets import make_snippet

    snippet = make_snippet('<img src=x onerror="alert(1)"> & surveillance', [], set(), {"surveil"})
    assert snippet == '&lt;img src=x onerror="alert(1)"&gt; &amp; <mark>surveillance</mark>'


def test_a_thesaurus_expression_is_marked_where_it_stands_not_word_by_word(kb: KnowledgeBase) -> None:
    """« CAF » finds « Caisse nationale des allocations familiales »: that is marked, whole, and
    « nationalité » (whose stem is that of « nationale ») is not."""
    result = next(r for r in search(kb, SearchRequest("CAF")).to_json()["results"] if "nationalité" in r["snippet"])
    assert "<mark>Caisse nationale des allocations familiales</mark>" in result["snippet"]
    assert "<mark>nationalité</mark>" not in result["snippet"] and result["snippet"].count("<mark>") == 1


def test_related_passages(kb: KnowledgeBase) -> None:
    related = [r.to_json() for r in related_passages(kb, "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-4", limit=3)]
    assert len(related) == 3
    assert all(r["id"] != "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-4" for r in related)
    assert any("surveillance" in r["categories"] for r in related)


def test_each_build_carries_the_analysed_thesaurus(kb: KnowledgeBase, tmp_path) -> None:
    build = kb.snapshot().path
    assert (build / COMPILED_NAME).is_file()
    saved, analysed = thesaurus_for(build), default_thesaurus()
    assert saved is not analysed and saved.size == analysed.size >= 60
    words = ["reconnaissance", "faciale", "ia"]
    keys = [tuple(analyze(lemma_analyzer(), w)) for w in words]
    assert saved.expand(keys, words) == analysed.expand(keys, words) != []
    # A saved thesaurus that no longer matches thesaurus.yaml is ignored, not trusted.
    (tmp_path / COMPILED_NAME).write_text((build / COMPILED_NAME).read_text(encoding="utf-8").replace('"source": "', '"source": "x'), encoding="utf-8")
    assert thesaurus_for(tmp_path) is analysed


def test_thesaurus_expansions_name_only_the_words_they_stand_for(kb: KnowledgeBase) -> None:
    response = search(kb, SearchRequest("quels sont les risques de l'IA pour les droits humains ?")).to_json()
    matched = {e["matched"]: e["added"] for e in response["expansions"]}
    assert set(matched) == {"l'IA", "droits humains"}  # not « de l'IA pour les »
    assert "intelligence artificielle" in matched["l'IA"]


def test_a_longer_expansion_counts_as_many_words_as_the_literal(kb: KnowledgeBase) -> None:
    from kb.search.compile import compile_query
    from kb.storage.query import AllOf, BestOf, Tagged
    from kb.search.parse import parse_query
    from kb.search.ranking import DEFAULT_PARAMS

    from kb.search.thesaurus import thesaurus_for

    with kb.session() as held:
        query = compile_query(parse_query("surveiller"), held.view, thesaurus_for(kb.snapshot().path)).query
    assert isinstance(query, BestOf)
    expressions = [q.child for q in query.clauses if isinstance(q, Tagged) and q.origin == "thesaurus"]
    two_words = [q for q in expressions if isinstance(q, AllOf) and len(q.clauses) == 2]
    assert two_words and all(q.boost == pytest.approx(DEFAULT_PARAMS.thesaurus / 2) for q in two_words)


def test_one_query_length_bound_for_the_parser_and_the_web_face(kb: KnowledgeBase) -> None:
    from kb.search import MAX_QUERY_CHARS
    from kb.search.parse import parse_query

    words = "reconnaissance faciale " * 20  # 40 words (past the 32 terms searched), 460 characters
    text = words + "x" * (MAX_QUERY_CHARS - len(words))
    assert "tronquée" not in " ".join(parse_query(text).notes)  # up to the bound, read whole
    assert f"La requête a été tronquée à {MAX_QUERY_CHARS} caractères." in parse_query(text + "y").notes
    # The web face refuses exactly what the parser would truncate: one bound, not two.
    from webui import create_app

    client = create_app({"TESTING": True, "KB_INDEX": str(kb.root)}).test_client()
    assert client.get("/api/search", query_string={"q": text}).status_code == 200
    refused = client.get("/api/search", query_string={"q": text + "y"})
    assert refused.status_code == 400 and refused.get_json()["error"]["parameter"] == "q"


def test_questions_as_people_type_them_find_no_phantom_words(kb: KnowledgeBase) -> None:
    inverted = search(kb, SearchRequest("quelles technologies amnesty veut-elle interdire ?", mode="lexical"))
    assert not any("veutelle" in n for n in inverted.notes) and inverted.total > 0
    heading_word = search(kb, SearchRequest("technosolutionnisme", mode="lexical"))  # a heading's word, in no passage text
    assert heading_word.notes == () and heading_word.suggestion is None


def test_a_list_items_lead_in_is_searched_with_it(kb: KnowledgeBase) -> None:
    """« …il convient : » belongs to each item it introduces: its words find the items too."""
    base = "amnesty-ia-droits-humains/une-approche-critique-du-technosolutionnisme"
    found = search(kb, SearchRequest("pertinence recours technologie", limit=100, mode="lexical")).to_json()
    ids = [r["id"] for r in found["results"]]
    assert {f"{base}-2", f"{base}-3", f"{base}-4"} <= set(ids)
    item = next(r for r in found["results"] if r["id"] == f"{base}-2")
    assert item["context"].endswith("il convient :")
    assert ids.index(f"{base}-1") < ids.index(f"{base}-2")  # the paragraph that says it, first


def test_a_documents_description_finds_the_document(kb: KnowledgeBase) -> None:
    """« IAG » is in the guide's description (« …l'IA générale (IAG) »): the document is found as
    a document, and its description ranks none of its passages."""
    found = search(kb, SearchRequest("IAG")).to_json()
    assert [d["id"] for d in found["documents"]] == ["passez-a-l-action"]
    assert found["documents"][0]["description"].startswith("Guide de Pause IA")
    assert search(kb, SearchRequest("reconnaissance faciale")).to_json()["documents"] == []


@pytest.mark.parametrize("query", ["quest ce que je peux faire", "qu est ce que je peux faire", "je peux faire quoi", "agissons"])
def test_conjugated_and_unapostrophed_words_find_the_action_list_by_words(kb: KnowledgeBase, query: str) -> None:
    # The guide's « Voici ce que vous pouvez faire » section answers them: « peux » reaches
    # pouvoir (« pouvez »), « agissons » agir, « quest » is « qu'est ».
    response = search(kb, SearchRequest(query, limit=20, mode="lexical")).to_json()
    assert any(r["id"].startswith("passez-a-l-action/voici-ce-que-vous-pouvez-faire") for r in response["results"])
    assert not any("« peux »" in note or "« quest »" in note or "« agissons »" in note for note in response["notes"])

"""The French analysis chain, compared token list by token list (real spaCy model)."""

from __future__ import annotations

import pytest

from kb.analysis import analyze, lemma_analyzer, normalize_text, stem_analyzer, word_analyzer
from kb.analysis.normalize import fold_accents

LEMMA = lemma_analyzer()
STEM = stem_analyzer()


@pytest.mark.parametrize(
    ("text", "lemmas"),
    [
        # A sentence-initial imperative tagged as a noun still gets its verb lemma.
        ("Manifestez : rejoignez une des manifestations", ["manifester", "rejoindre", "manifestation"]),
        ("manifester", ["manifester"]),
        # Typographic apostrophe, elision, inclusive writing, hyphenated proper name.
        (
            "L’IA menace les opposant·e·s politiques aux États-Unis.",
            ["ia", "menacer", "opposant", "politique", "etatsunis", "etats", "unis"],
        ),
        # Elided conjunctions and stop words vanish; the verb is lemmatised.
        ("jusqu’à ce qu’elles surveillent", ["surveiller"]),
        # Acronyms survive as acronyms (AI is not the verb form "ai").
        ("L'IAG, l'UE, l'IA et AI", ["iag", "ue", "ia", "ai"]),
        # Accent folding after lemmatisation: unaccented queries meet accented text.
        ("la sécurité de l’IA", ["securite", "ia"]),
        ("la securite de l'ia", ["securite", "ia"]),
        ("reconnaissance faciale", ["reconnaissance", "facial"]),
        ("super-intelligence", ["superintelligence", "super", "intelligence"]),
        ("d’œuvrer pour un moratoire", ["oeuvrer", "moratoire"]),
    ],
)
def test_lemma_chain(text: str, lemmas: list[str]) -> None:
    assert analyze(LEMMA, text) == lemmas


@pytest.mark.parametrize(
    ("text", "stems"),
    [
        # Stems catch what lemmas keep apart: surveillance / surveiller.
        ("surveillance surveiller", ["surveil", "surveil"]),
        ("manifestez manifestations", ["manifest", "manifest"]),
        ("Les militant·e·s d'Amnesty", ["milit", "amnesty"]),
        ("**reconnaissance** faciale", ["reconnaiss", "facial"]),
    ],
)
def test_stem_chain(text: str, stems: list[str]) -> None:
    assert analyze(STEM, text) == stems


def test_word_field_keeps_unstemmed_lowercase_words() -> None:
    assert analyze(word_analyzer(), "L’Intelligence artificielle") == ["intelligence", "artificielle"]


def test_positions_and_offsets_point_into_the_original_text() -> None:
    text = "Les États utilisent des logiciels espions."
    tokens = [(t.text, t.pos, text[t.startchar : t.endchar]) for t in LEMMA(text, positions=True, chars=True)]
    # Positions count the words that remain, so phrases skip stop words the same way everywhere.
    assert tokens == [("etat", 0, "États"), ("utiliser", 1, "utilisent"), ("logiciel", 2, "logiciels"), ("espion", 3, "espions")]


def test_normalisation_keeps_length_for_nfc_input() -> None:
    text = "l’IA\u00a0: d’abord"
    assert normalize_text(text) == "l'IA : d'abord"
    assert len(normalize_text(text)) == len(text)


def test_fold_accents() -> None:
    assert fold_accents("Écrire œuvre À Noël") == "Ecrire oeuvre A Noel"


@pytest.mark.parametrize(("word", "known"), [("juriste", True), ("proches", True), ("Bienveillance", True), ("élus", True),
                                             ("manifestaton", False), ("survaillance", False), ("elus", False)])
def test_french_words_are_told_from_typos(word: str, known: bool) -> None:
    from kb.analysis.lexicon import is_french_word

    assert is_french_word(word) is known


def test_an_inverted_verb_and_pronoun_are_two_words_not_one() -> None:
    words = word_analyzer()
    assert analyze(words, "veut-elle") == ["veut"] and analyze(words, "va-t-il") == ["va"]
    assert analyze(words, "dites-moi") == ["dites"] and analyze(stem_analyzer(), "pensez-vous") == ["pens"]
    assert analyze(words, "peut-être") == ["peutêtre", "peut"]  # a compound word keeps its joined form
    assert "etatsunis" in analyze(lemma_analyzer(), "les États-Unis")


def test_texts_analysed_in_workers_replay_exactly_what_the_chains_give(kb, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build analyses in worker processes; the writer's replayed tokens must be the chains' own."""
    from whoosh.analysis.analyzers import CompositeAnalyzer

    import kb.analysis.batch as batch
    from kb.analysis import LEMMAS, clear_memo
    import kb.analysis.tokenizers as tokenizers

    passages = kb.all_passages()
    texts = [p.text for p in passages] + [" / ".join(p.section) for p in passages] + ["Manifestez l’IA, c’est-à-dire…"]

    def chain(analyzer, text):  # type: ignore[no-untyped-def]
        tokens = CompositeAnalyzer.__call__(analyzer, text, positions=True, chars=True)
        return [(t.text, t.pos, t.startchar, t.endchar) for t in tokens]

    expected = {t: (chain(LEMMA, t), chain(STEM, t)) for t in texts}
    clear_memo()
    LEMMAS.clear()
    monkeypatch.setattr(batch, "CHUNK", 40)  # several chunks, so both workers take some
    assert batch.analyse_texts(texts, n_process=2) == len(set(texts))

    class NoSpacy:
        def words(self, text: str) -> None:
            raise AssertionError(f"spaCy called again for {text[:40]!r}")

    monkeypatch.setattr(tokenizers, "LEMMAS", NoSpacy())
    try:
        for text, (lemmas, stems) in expected.items():
            replayed = [(t.text, t.pos, t.startchar, t.endchar) for t in LEMMA(text, positions=True, chars=True)]
            assert replayed == lemmas, text[:60]
            assert [(t.text, t.pos, t.startchar, t.endchar) for t in STEM(text, positions=True, chars=True)] == stems
    finally:
        clear_memo()


def test_groups_are_ready_in_order_once_all_their_texts_are_analysed(kb, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build writes document k while the workers analyse the next ones: a group is yielded
    only once every one of its texts is remembered, texts shared between groups are analysed once."""
    import kb.analysis.batch as batch
    from kb.analysis import LEMMAS, clear_memo
    from kb.analysis.normalize import normalize_text

    texts = [p.text for p in kb.all_passages()]
    groups = [texts[i : i + 7] for i in range(0, len(texts), 7)] + [texts[:3], []]  # the last two: nothing new
    clear_memo()
    LEMMAS.clear()
    monkeypatch.setattr(batch, "CHUNK", 10)  # chunks that cut groups in two, over both workers
    analysed: list[str] = []
    monkeypatch.setattr(LEMMAS, "store", lambda text, words, _store=LEMMAS.store: (analysed.append(text), _store(text, words)))
    yielded: list[int] = []
    try:
        for index in batch.analyse_groups(groups, n_process=2):
            assert all(normalize_text(t) in analysed for t in groups[index]), index
            yielded.append(index)
        assert yielded == list(range(len(groups)))
        assert len(analysed) == len(set(texts))
    finally:
        clear_memo()
        LEMMAS.clear()


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("quest ce que je peux faire", "qu'est ce que je peux faire"),
        ("quest-ce que", "qu'est-ce que"),
        ("jai peur, cest grave", "j'ai peur, c'est grave"),
        ("Jai peur. Cest quoi lavenir ?", "J'ai peur. C'est quoi l'avenir ?"),
        ("lorsquil nimporte jusquau dun", "lorsqu'il n'importe jusqu'au d'un"),
        ("jpeux faire quoi, jsuis lycéen", "j'peux faire quoi, j'suis lycéen"),  # spoken « je » before a consonant
        ("est ce que lIA peut etre raciste, lUE", "est ce que l'IA peut etre raciste, l'UE"),
        # Words that stand as they are: French words, plurals and numbers the tables omit, names,
        # English, addresses, an elision already written, missing accents (« sante » is no « s'ante »).
        ("une dune, deux mois, le taux, un tas, des mentions", "une dune, deux mois, le taux, un tas, des mentions"),
        ("José et Dan lisent The Quest for AI", "José et Dan lisent The Quest for AI"),
        ("mind-lego-robot www.lavenir.fr l'avenir aujourd'hui sante qu est ce", "mind-lego-robot www.lavenir.fr l'avenir aujourd'hui sante qu est ce"),
    ],
)
def test_elisions_typed_without_apostrophe_are_read_as_elisions(typed: str, read: str) -> None:
    from kb.analysis.elision import restore_elisions

    assert restore_elisions(typed).text == read


def test_a_repaired_elision_is_analysed_as_the_elided_form_at_its_place_in_the_text() -> None:
    assert analyze(LEMMA, "jai peur") == analyze(LEMMA, "j'ai peur") == ["peur"]
    assert analyze(LEMMA, "quest-ce que") == analyze(STEM, "quest-ce que") == []
    assert analyze(word_analyzer(), "cest lavenir") == ["est", "avenir"]
    text = "cest quoi lavenir"
    # Offsets point into the text as typed: spaCy's word « avenir », the regex's whole « lavenir »
    # (as « l'avenir » written is one regex token).
    assert [text[t.startchar:t.endchar] for t in LEMMA(text, positions=True, chars=True)] == ["quoi", "avenir"]
    assert [text[t.startchar:t.endchar] for t in STEM(text, positions=True, chars=True)] == ["quoi", "lavenir"]


@pytest.mark.parametrize(
    ("word", "lemma"),
    [("peux", "pouvoir"), ("veux", "vouloir"), ("agissons", "agir"), ("vais", "aller"), ("fais", "faire"),
     ("dois", "devoir"), ("fait", "faire"), ("jpeux", "pouvoir"),
     ("manif", "manifestation"), ("labo", "laboratoire"), ("travaux", "travail")],
)
def test_a_form_alone_reaches_its_lemma_by_the_lemmatiser_tables(word: str, lemma: str) -> None:
    # Out of context the model tags « peux » as an adjective « peux » and « agissons » as a noun
    # « agisson »; the lemmatiser's tables know them as forms of pouvoir and agir, and know the
    # clipping « manif » and the plural « travaux » (the model alone: « manif », « traval »).
    from kb.analysis import lemma_alternatives

    assert lemma in lemma_alternatives(word)


def test_an_acronym_is_no_verb_form() -> None:
    from kb.analysis import lemma_alternatives

    assert lemma_alternatives("AGI") == ["agi"] and lemma_alternatives("AI") == ["ai"]


def test_a_form_of_etre_alone_is_a_stop_word() -> None:
    from kb.analysis import LEMMAS

    assert [w.lemma for w in LEMMAS.words("sont")] == ["être"] and analyze(LEMMA, "sont") == []


def test_stop_words_typed_without_accents_are_stop_words() -> None:
    for chain in (LEMMA, STEM):
        assert analyze(chain, "est ce que l'IA peut etre raciste") == analyze(chain, "est-ce que l'IA peut être raciste")
        assert analyze(chain, "quelle etait la mission, ca") == analyze(chain, "quelle était la mission, ça")
    # « a » is avoir's as much as an unaccented « à »: the stem chain keeps indexing it as before.
    assert analyze(STEM, "il a raison") == ["a", "raison"]

"""Query compilation: parsed units → one query of kb/storage/query.py (fields, stop-word bonus,
thesaurus, spelling corrections), each clause tagged with its origin (the typed words of a group,
its spelling correction, a thesaurus expression, an exclusion), plus what snippets must mark and
what the JSON reports."""

from __future__ import annotations

from dataclasses import dataclass, field


from kb.analysis import LEMMAS, analyze, lemma_alternatives, lemma_analyzer, stem_analyzer, word_analyzer
from kb.analysis.stopwords import QUESTION_WORDS
from kb.search.parse import ParsedQuery, Unit
from kb.search.ranking import DEFAULT_PARAMS, RankingParams
from kb.search.thesaurus import Expansion, Thesaurus
from kb.storage.backend import IndexView
from kb.storage.query import (CORRECTION, EXCLUSION, LITERAL, NOTHING, THESAURUS, AllOf, AnyOf, BestOf, Constant, Phrase,
                              Query, Tagged, Term, WithBonus, Without)

_lemma = lemma_analyzer()
_stem = stem_analyzer()
_words = word_analyzer()


@dataclass
class CompiledQuery:
    """The query plus what snippets need to mark and what the JSON reports."""

    query: Query
    lemmas: set[str] = field(default_factory=set)
    stems: set[str] = field(default_factory=set)
    expansions: list[Expansion] = field(default_factory=list)
    # Thesaurus expressions (lemmas, stems), marked only where their words follow each other:
    # « CAF » marks « Caisse nationale des allocations familiales », not « nationalité » alone.
    expressions: set[tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=set)
    excluded: Query = NOTHING  # what -excluded words match: no passage of it may be shown
    # How the tags of `query` combine into concepts (kb/search/provenance.py): the groups with typed
    # words, and the thesaurus spans [start, end) whose typed words count together.
    typed_groups: frozenset[int] = frozenset()
    spans: tuple[tuple[int, int], ...] = ()


def _word_query(text: str, p: RankingParams, boost: float = 1.0, fields: tuple[str, ...] | None = None) -> tuple[Query, set[str], set[str]]:
    lemmas = lemma_alternatives(text)
    stems = analyze(_stem, text)
    boosts = p.field_boosts()
    clauses: list[Query] = []
    for name, weight in boosts.items():
        if (fields and name not in fields) or not weight:
            continue
        for term in dict.fromkeys(stems if name.endswith("_stem") else lemmas):
            clauses.append(Term(name, term, boost=weight * boost))
    if p.words and (not fields or "words" in fields):
        # The word as written (unstemmed, accents kept) is the most precise evidence of all.
        clauses += [Term("words", w, boost=p.words * boost) for w in dict.fromkeys(analyze(_words, text))]
    return (AnyOf(tuple(clauses)) if clauses else NOTHING), set(lemmas), set(stems)


def _has_content(unit: Unit) -> bool:
    """A unit with something to search beyond stop words and question words."""
    if unit.phrase or unit.prefix:
        return True
    lemmas = analyze(_lemma, unit.text)
    if lemmas:
        return any(lemma not in QUESTION_WORDS for lemma in lemmas)
    return bool(analyze(_stem, unit.text))


def _unit_query(unit: Unit, p: RankingParams, view: IndexView, boost: float = 1.0) -> tuple[Query, set[str], set[str]]:
    if unit.phrase:
        lemmas, stems = analyze(_lemma, unit.text), analyze(_stem, unit.text)
        if len(lemmas) > 1 and len(stems) > 1:
            # A lemma depends on context ("ajouté" alone is an adjective): the stem phrase is the net.
            query = AnyOf((Phrase("text", tuple(lemmas), slop=1, boost=p.text * 2 * boost),
                           Phrase("text_stem", tuple(stems), slop=1, boost=p.text_stem * 2 * boost)))
            return query, set(lemmas), set(stems)
    if unit.prefix:
        prefix = analyze(_stem, unit.text)
        if prefix:
            terms = []
            for term in view.expand_prefix("text_stem", prefix[0]):
                terms.append(term)
                if len(terms) >= p.max_prefix_terms:
                    break
            q = AnyOf(tuple(Term("text_stem", t, boost=p.text * boost) for t in terms)) if terms else NOTHING
            return q, set(), set(terms)
    return _word_query(unit.text, p, boost)


def _expansion_query(terms: tuple[tuple[str, ...], tuple[str, ...]], p: RankingParams, literal_words: int) -> tuple[Query, set[str], set[str]]:
    """All words of a thesaurus expression (its lemmas and stems), each by lemma or stem, weighted
    below literal words.

    Scores add up over words, so an expression is scaled to the literal's number of words: a
    two-word expansion of one word ("logiciel espion" for "surveiller") would otherwise count
    twice and outrank the literal word it stands in for."""
    lemmas, stems = terms
    words = [AnyOf((Term("text", l), Term("text_stem", s))) for l, s in zip(lemmas, stems)]
    if not words:
        return NOTHING, set(), set()
    boost = p.thesaurus * max(1, literal_words) / len(words)
    query: Query = AllOf(tuple(words), boost=boost) if len(words) > 1 else AnyOf(words[0].clauses, boost=boost)
    return query, set(lemmas), set(stems)


def _corrected(unit: Unit, fixes: dict[str, str]) -> str | None:
    """The known word to search beside a one-word unit the index does not know."""
    if unit.phrase or unit.prefix or not fixes:
        return None
    words = analyze(_words, unit.text)
    return fixes.get(words[0]) if len(words) == 1 else None


def compile_query(parsed: ParsedQuery, view: IndexView, thesaurus: Thesaurus, p: RankingParams = DEFAULT_PARAMS,
                  fixes: dict[str, str] | None = None) -> CompiledQuery:
    """Concepts (OR groups) with optional bonuses, thesaurus expansions and spelling corrections
    (`fixes`: unknown word → closest known word, searched beside it with weight p.correction);
    `view` expands prefixes."""
    compiled = CompiledQuery(NOTHING)
    LEMMAS.prime([u.text for u in parsed.units()] + [u.text for u in parsed.excluded])  # one spaCy batch, not one call per word
    per_group, function_words, spelling = _group_queries(parsed, view, p, fixes or {}, compiled)
    groups = parsed.groups
    keys = [tuple(analyze(_lemma, g[0].text)) if len(g) == 1 and not g[0].phrase else ("\0",) for g in groups]
    compiled.expansions = thesaurus.expand(keys, [g[0].text for g in groups])
    concepts = _concepts(len(groups), per_group, compiled.expansions, thesaurus, p, compiled)
    compiled.expansions += spelling
    compiled.excluded = _excluded(parsed.excluded, view, p)
    if not concepts:
        return compiled
    main = _with_bonuses(AnyOf(tuple(concepts)) if len(concepts) > 1 else concepts[0], concepts, function_words, groups, p)
    compiled.query = Without(main, Tagged(EXCLUSION, 0, compiled.excluded)) if compiled.excluded != NOTHING else main
    return compiled


def _group_queries(parsed: ParsedQuery, view: IndexView, p: RankingParams, fixes: dict[str, str],
                   compiled: CompiledQuery) -> tuple[list[Query | None], list[Query], list[Expansion]]:
    """One query per group of alternatives (None for a group of function words only), its typed
    words tagged LITERAL and its spelling corrections CORRECTION; the function words' queries as
    bonuses; the spelling corrections searched beside unknown words."""
    # Stop words ("les", "de") only reach the unstemmed `words` field, where they match nearly
    # every passage; question words ("comment", "peut") say what form the query takes, not what
    # it is about. Beside content words they only add to the score of passages already
    # matched (a bonus, not a match of their own), which spares a scan of most of the index.
    content = [any(_has_content(u) for u in group) for group in parsed.groups]
    per_group: list[Query | None] = []
    function_words: list[Query] = []
    spelling: list[Expansion] = []
    typed_groups: set[int] = set()
    for index, (group, has_content) in enumerate(zip(parsed.groups, content)):
        if any(content) and not has_content:
            per_group.append(None)
            function_words += [_unit_query(u, p, view)[0] for u in group]
            continue
        options = []
        for unit in group:
            q, lemmas, stems = _unit_query(unit, p, view)
            q = Tagged(LITERAL, index, q) if q != NOTHING else q
            typed_groups.update([index] if q != NOTHING else [])
            fixed = _corrected(unit, fixes) if p.correction else None
            if fixed:
                # The typed word is unknown to the index, so it matches nothing: its correction
                # is searched beside it, even when other words of the query match.
                fq, flemmas, fstems = _word_query(fixed, p, boost=p.correction)
                fq = Tagged(CORRECTION, index, fq)
                q = AnyOf((q, fq)) if q != NOTHING else fq
                lemmas, stems = lemmas | flemmas, stems | fstems
                spelling.append(Expansion(index, index + 1, unit.text, "orthographe", (fixed,)))
            compiled.lemmas |= lemmas
            compiled.stems |= stems
            if q != NOTHING:
                options.append(q)
        per_group.append((AnyOf(tuple(options)) if len(options) > 1 else options[0]) if options else None)
    compiled.typed_groups = frozenset(typed_groups)
    return per_group, function_words, spelling


def _concepts(n_groups: int, per_group: list[Query | None], expansions: list[Expansion], thesaurus: Thesaurus,
              p: RankingParams, compiled: CompiledQuery) -> list[Query]:
    """The groups' queries, where a thesaurus span is one concept: its literal words or an
    expansion, whichever scores best (so the concept is not credited twice)."""
    spans = {e.start: e for e in expansions}
    concepts: list[Query] = []
    used: list[tuple[int, int]] = []
    i = 0
    while i < n_groups:
        exp = spans.get(i)
        if exp is None:
            if per_group[i] is not None:
                concepts.append(per_group[i])  # type: ignore[arg-type]
            i += 1
            continue
        literal = [q for q in per_group[exp.start : exp.end] if q is not None]
        alternatives: list[Query] = [AllOf(tuple(literal)) if len(literal) > 1 else literal[0]] if literal else []
        for expression in exp.added:
            terms = thesaurus.terms(expression)
            q, _, _ = _expansion_query(terms, p, len(literal))
            if q != NOTHING:
                compiled.expressions.add((tuple(terms[0]), tuple(terms[1])))
                alternatives.append(Tagged(THESAURUS, exp.start, q))
        if alternatives:
            concepts.append(BestOf(tuple(alternatives)) if len(alternatives) > 1 else alternatives[0])
            used.append((exp.start, exp.end))
        i = exp.end
    compiled.spans = tuple(used)
    return concepts


def _with_bonuses(main: Query, concepts: list[Query], function_words: list[Query], groups: list[list[Unit]],
                  p: RankingParams) -> Query:
    """`main` with what only adds to a match's score: function words, coverage, proximity."""
    bonuses: list[Query] = [q for q in function_words if q != NOTHING]
    if len(concepts) > 1 and p.coverage:
        # Coverage: each distinct concept a passage contains adds the same bonus, so passages
        # that cover more of the query rank above those that repeat one word often.
        bonuses += [Constant(c, p.coverage) for c in concepts]
    words = [analyze(_stem, g[0].text) for g in groups if len(g) == 1 and not g[0].phrase and not g[0].prefix]
    firsts = [w[0] for w in words if w]
    if p.phrase:
        # Proximity: consecutive query words found close together in the text.
        bonuses += [Phrase("text_stem", pair, slop=p.phrase_slop, boost=p.phrase) for pair in zip(firsts, firsts[1:]) if pair[0] != pair[1]]
    return WithBonus(main, AnyOf(tuple(bonuses))) if bonuses else main


def _excluded(excluded_units: list[Unit], view: IndexView, p: RankingParams) -> Query:
    """What the -excluded words match (by lemma or stem of the text only): shown nowhere."""
    excluded = [_word_query(u.text, p, fields=("text", "text_stem"))[0] if not u.phrase else _unit_query(u, p, view)[0]
                for u in excluded_units]
    excluded = [q for q in excluded if q != NOTHING]
    return AnyOf(tuple(excluded)) if excluded else NOTHING

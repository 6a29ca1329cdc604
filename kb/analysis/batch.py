"""Build-time analysis in worker processes: spaCy and both analysis chains (lemma, stem) run
there, and the index writer replays the tokens they send back (kb.analysis.memo), so the
writer's process only writes, and writes while the workers analyse what comes next."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from kb.analysis.memo import MemoAnalyzer, Tokens, remember
from kb.analysis.nlp import LEMMAS, Word, get_nlp
from kb.analysis.normalize import normalize_text

CHUNK = 400  # texts per worker task: small enough to share out, large enough for spaCy's batches
Analysed = tuple[str, tuple[Word, ...], Tokens, Tokens]  # text, spaCy words, lemma-chain and stem-chain tokens


def _chains() -> tuple[MemoAnalyzer, MemoAnalyzer]:
    from kb.analysis import lemma_analyzer, stem_analyzer

    return lemma_analyzer(), stem_analyzer()  # type: ignore[return-value]


def analyse_chunk(texts: list[str], batch_size: int = 256) -> list[Analysed]:
    """Lemmatise `texts` in one spaCy batch, then run both chains over each (in a worker)."""
    lemma, stem = _chains()
    LEMMAS.prime([normalize_text(t) for t in texts], batch_size=batch_size)
    return [(t, LEMMAS.words(normalize_text(t)), lemma.tokens(t), stem.tokens(t)) for t in texts]


def _results(chunks: list[list[str]], n_process: int, batch_size: int) -> Iterator[list[Analysed]]:
    if n_process <= 1 or len(chunks) < 2:
        for chunk in chunks:
            yield analyse_chunk(chunk, batch_size)
        return
    get_nlp()  # loaded once here, shared copy-on-write by the forked workers
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=n_process, mp_context=context) as pool:
        yield from pool.map(analyse_chunk, chunks, [batch_size] * len(chunks))


def _chunked(groups: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[int], int]:
    """The groups' distinct texts in chunks of CHUNK, how many chunks must be done before each
    group is complete, and how many texts there are."""
    seen: set[str] = set()
    chunks: list[list[str]] = []
    current: list[str] = []
    needed: list[int] = []
    for group in groups:
        for text in group:
            if text not in seen:
                seen.add(text)
                current.append(text)
                if len(current) == CHUNK:
                    chunks.append(current)
                    current = []
        needed.append(len(chunks) + (1 if current else 0))
    if current:
        chunks.append(current)
    return chunks, needed, len(seen)


def analyse_groups(groups: Sequence[Sequence[str]], n_process: int = 1, batch_size: int = 256) -> Iterator[int]:
    """Analyse every distinct text of `groups` (in `n_process` workers, in chunks), remember the
    results in this process, and yield each group's index, in order, as soon as all its texts
    are remembered: the index writer adds group k while the workers analyse the next ones."""
    chunks, needed, total = _chunked(groups)
    lemma, stem = _chains()
    LEMMAS.reserve(total * 2)
    ready = 0
    for done, results in enumerate(_results(chunks, n_process, batch_size), start=1):
        for text, words, lemma_tokens, stem_tokens in results:
            LEMMAS.store(normalize_text(text), words)
            remember(lemma.name, text, lemma_tokens, reserve=2 * total)
            remember(stem.name, text, stem_tokens, reserve=2 * total)
        while ready < len(needed) and needed[ready] <= done:
            yield ready
            ready += 1
    yield from range(ready, len(needed))  # groups with no new text (all seen before, or empty)


def analyse_texts(texts: Iterable[str], n_process: int = 1, batch_size: int = 256) -> int:
    """Analyse every distinct text and remember the results in this process (analyse_groups() with
    one group): the index writer, the classifier and snippet spans then replay them. Returns how
    many texts were analysed."""
    todo = list(dict.fromkeys(texts))
    for _ in analyse_groups([todo], n_process, batch_size):
        pass
    return len(todo)

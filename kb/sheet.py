"""The debate sheet (« fiche »): passages a user picked, in their order, each with its citation,
and the sources they come from. A sheet is its list of ids (it lives in a URL): nothing is stored."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from kb.citations.formats import reference_line, source_line
from kb.citations.lookup import Citer, facts_of
from kb.citations.model import Citation
from kb.errors import InvalidParameterError, NotFoundError
from kb.untrusted import one_line
from kb.views import HIDDEN, DocumentSummary, JsonView, PassageRecord

MAX_PASSAGES = 100
MAX_ID_CHARS = 300
ORDERS = ("document", "choix")  # grouped by document, or the user's own order
DEFAULT_TITLE = "Fiche de débat"
# What Markdown reads as markup inside a line (CommonMark: any ASCII punctuation may be escaped
# with a backslash), and at the start of a line (headings, lists, setext underlines).
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
_MD_LINE_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")


@dataclass(frozen=True)
class SheetGroup(JsonView):
    """The sheet's passages of one document, in the sheet's order."""

    document: DocumentSummary
    passages: tuple[PassageRecord, ...]


@dataclass(frozen=True)
class SheetSource(JsonView):
    """A document the sheet quotes, with its reference line (for the list of sources)."""

    document: DocumentSummary
    reference: str


@dataclass(frozen=True)
class Sheet(JsonView):
    """The sheet: title, order, passages in the user's order, the same grouped by document
    (documents in order of first appearance), ids found nowhere, and the sources quoted."""

    title: str
    order: str
    ids: tuple[str, ...]
    passages: tuple[PassageRecord, ...]
    groups: tuple[SheetGroup, ...]
    missing: tuple[str, ...]
    sources: tuple[SheetSource, ...]
    references: dict[str, str]  # passage id → its reference line without the extract (under its quotation)
    citations: dict[str, Citation] = field(default_factory=dict, metadata=HIDDEN)  # for the exports


def sheet_ids(values: Iterable[str]) -> list[str]:
    """The ids of a sheet URL in order, blanks and repeats dropped; more than MAX_PASSAGES values
    is refused (counted as given, so that a URL's limit does not depend on what it repeats)."""
    given = list(values)
    if len(given) > MAX_PASSAGES:
        raise InvalidParameterError("p", f"a sheet holds at most {MAX_PASSAGES} passages (got {len(given)}): split it in two")
    return list(dict.fromkeys(v.strip() for v in given if v and v.strip()))


def build_sheet(citer: Citer, ids: list[str], title: str = "", order: str = "document") -> Sheet:
    """The sheet of `ids` (from sheet_ids), cited by `citer`."""
    if order not in ORDERS:
        raise InvalidParameterError("ordre", f"ordre must be one of {', '.join(ORDERS)} (got '{order[:40]}')")
    kb, found, missing, references, citations = citer.kb, [], [], {}, {}
    documents = kb.snapshot().documents
    for pid in ids:
        try:
            passage = kb.passage(pid) if len(pid) <= MAX_ID_CHARS else None
        except NotFoundError:
            passage = None
        if passage is None:
            missing.append(pid)
            continue
        summary, citation = DocumentSummary.of(passage.doc_id, documents.get(passage.doc_id, {})), citer.citation(passage)
        found.append(PassageRecord.of(passage, summary, **facts_of(citation)))
        references[pid], citations[pid] = reference_line(citation), citation
    groups: dict[str, list[PassageRecord]] = {}
    for record in found:
        groups.setdefault(record.document.id, []).append(record)
    sources = tuple(SheetSource(records[0].document, source_line(citer.document_citation(doc_id))) for doc_id, records in groups.items())
    return Sheet(
        title=" ".join(title.split())[:200] or DEFAULT_TITLE, order=order, ids=tuple(r.id for r in found),
        passages=tuple(found), groups=tuple(SheetGroup(rs[0].document, tuple(rs)) for rs in groups.values()),
        missing=tuple(missing), sources=sources, references=references, citations=citations,
    )


def sheet_citations(sheet: Sheet) -> list[Citation]:
    """The citation of each passage of the sheet, in the order it is shown."""
    return [sheet.citations[r.id] for r in shown_passages(sheet)]


def shown_passages(sheet: Sheet) -> list[PassageRecord]:
    """The passages in the order the sheet shows them (by document, or the user's)."""
    if sheet.order == "choix":
        return list(sheet.passages)
    return [r for g in sheet.groups for r in g.passages]


def markdown_text(text: str) -> str:
    """One line of document text as Markdown that shows it as written: HTML written as entities
    (so `<script>` is text, not a tag), Markdown's markup characters escaped."""
    text = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_INLINE.sub(r"\\\1", text)
    return _MD_LINE_START.sub(lambda m: m.group(0) + "\\" if m.group(0).isdigit() else "\\" + m.group(0), text)


def markdown_code(text: str) -> str:
    """`text` as a Markdown code span (shown verbatim, HTML inert) whatever backticks it holds."""
    text = one_line(text)
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def sheet_markdown(sheet: Sheet) -> str:
    """The sheet as Markdown: title, passages as quotes with their citation, then the sources;
    every text from a document or the URL escaped (markdown_text)."""
    lines = [f"# {markdown_text(sheet.title)}", ""]
    current = None
    for record in shown_passages(sheet):
        if sheet.order == "document" and record.document.id != current:
            current = record.document.id
            lines += [f"## {markdown_text(record.document.title or current)}", ""]
        where = record.citation.csl.get("section") or record.document.title or record.document.id
        quoted = [f"> {markdown_text(line)}" for line in record.text.splitlines() or [""]]
        lines += [f"### {markdown_text(where)}", "", *quoted, "", f"Citation : {markdown_text(record.citation.text)}", ""]
    if sheet.sources:
        lines += ["## Sources", ""] + [f"- {markdown_text(s.reference)}" for s in sheet.sources] + [""]
    if sheet.missing:
        lines += ["## Passages introuvables", ""] + [f"- {markdown_code(pid)}" for pid in sheet.missing] + [""]
    return "\n".join(lines)

"""The formats of a citation: a French reference line, CSL-JSON (what citeproc and Zotero read),
BibTeX (written by bibtexparser) and RIS (written by rispy).

Every value comes from a document (front matter, catalogue, PDF metadata, its text): each format
receives it escaped for that format, so that no value can end a field, start a record or a line
(`ER  - ` in RIS, `}` then `@misc{` in BibTeX), and only http(s) addresses are written as URLs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import bibtexparser
import rispy
from bibtexparser.model import Entry, Field

from kb.citations.model import Citation
from kb.untrusted import one_line, web_url

MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre"]
# LaTeX's special characters in a BibTeX value. Braces and the backslash become commands in braces
# (as Zotero writes them): the value's braces stay balanced whatever it holds, so no "}" can end
# the field, and a backslash is not "\\\\" (a line break for LaTeX).
_BIBTEX_SPECIAL = {"\\": r"{\textbackslash}", "{": r"{\textbraceleft}", "}": r"{\textbraceright}",
                   "%": r"\%", "&": r"\&", "$": r"\$", "#": r"\#", "_": r"\_",
                   "~": r"{\textasciitilde}", "^": r"{\textasciicircum}"}
_BIBTEX_SPECIAL_RE = re.compile("|".join(re.escape(c) for c in _BIBTEX_SPECIAL))
_KEY = re.compile(r"[^A-Za-z0-9:-]+")


def french_date(parts: Sequence[int]) -> str:
    """(2024, 10, 10) → « 10 octobre 2024 »; (2025,) → « 2025 »; () → « s. d. » (sans date)."""
    if not parts:
        return "s. d."
    if len(parts) == 1:
        return str(parts[0])
    text = f"{MONTHS[parts[1] - 1]} {parts[0]}"
    if len(parts) < 3:
        return text
    return ("1er" if parts[2] == 1 else str(parts[2])) + " " + text


def as_data(c: Citation) -> Citation:
    """`c` with every value from the document on one line (no control character, no line break)
    and its source address kept only when it is an http(s) URL (its note goes with it): what
    every format renders, whatever the document's metadata held."""
    source_url = web_url(c.source_url)
    return replace(
        c, title=one_line(c.title), publisher=one_line(c.publisher) or None, kind=one_line(c.kind) or None,
        section=tuple(one_line(h) for h in c.section), extract=one_line(c.extract), source_url=source_url,
        source_note=one_line(c.source_note) or None if source_url else None, language=one_line(c.language) or "fr",
        licence=one_line(c.licence) or None,
    )


def _reference(c: Citation, with_section: bool) -> str:
    """Publisher, title, kind, date[, section « … »]. URL (note), consulté le …"""
    c = as_data(c)
    parts = [p for p in (c.publisher, c.title, c.kind) if p] + [french_date(c.issued)]
    if with_section and c.section:
        parts.append("section « " + " › ".join(c.section) + " »")
    if with_section and c.page:
        parts.append(f"p. {c.page}")
    line = ", ".join(parts) + f". {c.url}"
    if c.source_url and c.source_note:
        line += f" ({c.source_note})"
    return line + f", consulté le {french_date((c.accessed.year, c.accessed.month, c.accessed.day))}."


def to_text(c: Citation) -> str:
    """« extrait » — publisher, title, kind, date, section « … ». URL (note), consulté le …"""
    return f"« {one_line(c.extract)} » — " + _reference(c, with_section=True)


def reference_line(c: Citation) -> str:
    """The reference without the extract (under a quotation that already shows it)."""
    return _reference(c, with_section=True)


def source_line(c: Citation) -> str:
    """A document as a source (the list at the end of a sheet): the reference without extract or section."""
    return _reference(c, with_section=False)


def _date_parts(parts: Sequence[int]) -> dict[str, Any]:
    return {"date-parts": [list(parts)]}


def to_csl(c: Citation) -> dict[str, Any]:
    """One CSL-JSON item (valid against the CSL 1.0 input schema); unknown fields left out."""
    c = as_data(c)
    item: dict[str, Any] = {"id": c.id, "type": c.type, "title": c.title}
    if c.publisher:
        item["author"] = [{"literal": c.publisher}]
        item["publisher"] = c.publisher
    if c.kind:
        item["genre"] = c.kind
    if c.issued:
        item["issued"] = _date_parts(c.issued)
    item["accessed"] = _date_parts((c.accessed.year, c.accessed.month, c.accessed.day))
    item["URL"] = c.url
    if c.section:
        item["section"] = " › ".join(c.section)
    if c.page:
        item["page"] = str(c.page)
    item["language"] = c.language  # (no licence: CSL 1.0 has no such variable; pages carry it as DC.rights)
    notes = [f"Extrait : « {c.extract} »"] + ([c.source_note[0].upper() + c.source_note[1:] + "."] if c.source_url and c.source_note else [])
    item["note"] = " ".join(notes)
    return item


def bibtex_key(c: Citation) -> str:
    """A citation key BibTeX and biber accept: the passage id, '/' as ':'."""
    return _KEY.sub("-", c.id.replace("/", ":")).strip("-") or "passage"


def _bibtex(value: str) -> str:
    """A value (already on one line) with LaTeX's special characters escaped."""
    return _BIBTEX_SPECIAL_RE.sub(lambda m: _BIBTEX_SPECIAL[m.group(0)], value)


def _bibtex_entry(c: Citation) -> Entry:
    c = as_data(c)
    kind = "techreport" if c.type == "report" else "misc"
    fields = [("title", _bibtex(c.title))]
    if c.publisher:  # a corporate author: braced so it is one name, not first and last names
        fields += [("author", "{" + _bibtex(c.publisher) + "}"), ("institution" if kind == "techreport" else "publisher", _bibtex(c.publisher))]
    if c.kind:
        fields.append(("type", _bibtex(c.kind)))
    if c.issued:
        fields.append(("year", str(c.issued[0])))
        fields.append(("date", "-".join(f"{n:02d}" if i else str(n) for i, n in enumerate(c.issued))))
    if c.page:
        fields.append(("pages", str(c.page)))
    # `url` is a verbatim field (biblatex, and \url in BibTeX styles): LaTeX escapes would become part
    # of the address. It is the source's http(s) URL with braces, backslashes and spaces
    # percent-encoded (web_url), or our reader's (path quoted), so it cannot end the field; `%`,
    # `#`, `&`, `_` stay as they are.
    fields += [("url", c.url), ("urldate", c.accessed.isoformat()), ("language", "french")]
    note = ("Section « " + " › ".join(c.section) + " ». ") if c.section else ""
    note += f"Extrait : « {c.extract} »"
    fields.append(("note", _bibtex(note)))
    return Entry(kind, bibtex_key(c), [Field(k, v) for k, v in fields])


def to_bibtex(citations: Sequence[Citation]) -> str:
    """A BibTeX file of `citations` (UTF-8; special characters escaped)."""
    library = bibtexparser.Library()
    for c in citations:
        library.add(_bibtex_entry(c))
    return bibtexparser.write_string(library)


def _ris_entry(c: Citation) -> dict[str, Any]:
    """An RIS record's fields: each value on one line (as_data), so that none starts a tag line."""
    c = as_data(c)
    entry: dict[str, Any] = {"type_of_reference": "RPRT" if c.type == "report" else "ELEC" if c.type == "webpage" else "GEN",
                             "id": c.id, "title": c.title, "urls": [c.url], "language": c.language,
                             "access_date": c.accessed.strftime("%Y/%m/%d")}
    if c.publisher:
        entry.update(authors=[c.publisher], publisher=c.publisher)
    if c.issued:
        entry["year"] = str(c.issued[0])
        padded = [f"{n:02d}" for n in c.issued[1:]] + [""] * (2 - len(c.issued[1:]))
        entry["date"] = "/".join([str(c.issued[0]), *padded]) + "/"  # YYYY/MM/DD/other, parts may be empty
    if c.kind:
        entry["type_of_work"] = c.kind
    if c.section:
        entry["section"] = " › ".join(c.section)
    if c.page:
        entry["start_page"] = str(c.page)
    entry["notes"] = [f"Extrait : « {c.extract} »"] + ([c.source_note] if c.source_url and c.source_note else [])
    return entry


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its « 1. » line before each record (not part of RIS)."""

    def set_header(self, count: int) -> str:
        return ""


def to_ris(citations: Sequence[Citation]) -> str:
    """An RIS file of `citations`, one record each."""
    return rispy.dumps([_ris_entry(c) for c in citations], implementation=_RisWriter)


def to_meta(c: Citation, page_url: str, passage: bool) -> list[tuple[str, str]]:
    """(name, content) of the <meta> tags reference managers read from a page: Highwire Press
    `citation_*` (Zotero's "Embedded Metadata", Google Scholar) and Dublin Core `DC.*`.

    As Zotero's Embedded Metadata translator reads them: `citation_title` alone makes the item a
    journal article, so a web page leaves it out (its title comes from DC.title and the item stays
    a web page); a report says `citation_technical_report_institution`, which makes it a report.
    An author without a comma is split into first and last names ("Pause" "Ia"): the corporate
    author is written "Pause IA," (last name only)."""
    c = as_data(c)
    date = "/".join([str(c.issued[0]), *(f"{n:02d}" for n in c.issued[1:])]) if c.issued else ""
    iso = "-".join([str(c.issued[0]), *(f"{n:02d}" for n in c.issued[1:])]) if c.issued else ""
    tags = [] if c.type == "webpage" else [("citation_title", c.title)]
    if c.publisher:
        tags += [("citation_author", f"{c.publisher},"), ("citation_publisher", c.publisher)]
        if c.type == "report":
            tags.append(("citation_technical_report_institution", c.publisher))
    if date:
        tags.append(("citation_publication_date", date))
    tags += [("citation_language", c.language), ("citation_public_url", c.url), ("citation_fulltext_html_url", page_url)]
    if c.kind:
        tags.append(("citation_keywords", c.kind))
    tags += [("DC.title", c.title), ("DC.type", {"webpage": "Text", "report": "Text"}.get(c.type, "Text")), ("DC.language", c.language),
             ("DC.identifier", c.url), ("DC.source", c.url)]
    if c.publisher:
        tags += [("DC.creator", c.publisher), ("DC.publisher", c.publisher)]
    if iso:
        tags.append(("DC.date", iso))
    if c.licence:
        tags.append(("DC.rights", c.licence))
    if passage:
        tags.append(("DC.description", c.extract))
        if c.section:
            tags.append(("DC.relation", " › ".join(c.section)))
    return tags


@dataclass(frozen=True)
class CitationFormat:
    """A downloadable format: how to render citations, its media type and file extension."""

    render: Callable[[Sequence[Citation]], str]
    mimetype: str
    extension: str


FORMATS: dict[str, CitationFormat] = {
    "text": CitationFormat(lambda cs: "\n\n".join(to_text(c) for c in cs) + "\n", "text/plain", "txt"),
    "csl-json": CitationFormat(lambda cs: json.dumps([to_csl(c) for c in cs], ensure_ascii=False, indent=2) + "\n", "application/vnd.citationstyles.csl+json", "json"),
    "bibtex": CitationFormat(to_bibtex, "application/x-bibtex", "bib"),
    "ris": CitationFormat(to_ris, "application/x-research-info-systems", "ris"),
}


def render(name: str, citations: Sequence[Citation]) -> str:
    """`citations` in the format called `name` (a key of FORMATS)."""
    return FORMATS[name].render(citations)

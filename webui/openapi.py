"""The OpenAPI 3.1 description of /api/: what clients and the schema fuzzer rely on."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from kb.export import EXPORTS
from kb.models import Explanation, Link
from kb.search import MAX_EXPORT, MAX_LIMIT, MAX_OFFSET, SearchResponse
from kb.search.results import DocumentMatch
from kb.search.request import MODES
from kb.sheet import Sheet, SheetGroup, SheetSource
from kb.views import CSL_ITEM, PassageRecord, CitationView, DocumentPassage, DocumentSummary, PassageDetail, RelatedPassage, SearchResult
from webui.jsonschema import INT, NULLABLE_STR, STR, array, obj, ref, view_schema

# The views whose schema is read from their types (webui/jsonschema.py), each a named component.
VIEWS: tuple[type, ...] = (Link, DocumentSummary, DocumentMatch, CitationView, Sheet, SheetGroup, SheetSource, PassageRecord, Explanation, SearchResult, SearchResponse, RelatedPassage,
                           PassageDetail, DocumentPassage)


def _schemas() -> dict[str, Any]:
    """Every component: the typed views of kb, then the shapes the API builds itself."""
    views = {v.__name__: view_schema(v, VIEWS) for v in VIEWS}
    service = _service_schemas()
    listed = ("Document", "DocumentList")  # before the passages of a document, as the API reads
    return {"Error": _error_schema(), **{k: v for k, v in views.items() if k != "DocumentPassage"},
            **{k: service.pop(k) for k in listed}, "DocumentPassage": views["DocumentPassage"], **service}


def _error_schema() -> dict[str, Any]:
    return obj({"error": obj({"code": STR, "message": STR, "parameter": STR, "hint": STR}, optional=("parameter", "hint"))})


def _service_schemas() -> dict[str, Any]:
    """Documents (the manifest's metadata), categories (the taxonomy), health, the API index."""
    return {
        "Document": obj({
            "id": STR, "title": STR, "publisher": NULLABLE_STR, "date": NULLABLE_STR, "kind": NULLABLE_STR,
            "language": NULLABLE_STR, "licence": NULLABLE_STR, "url": NULLABLE_STR, "url_note": NULLABLE_STR,
            "base_url": NULLABLE_STR, "description": NULLABLE_STR, "source_file": STR,
            "sections": array(obj({"anchor": STR, "title": STR, "level": {"type": "integer", "minimum": 1}})),
            "passages": INT, "words": INT,
            "capitals": {**array(STR), "description": "Words the document writes in capitals (« IA »): kept so in citations."},
        }, optional=("url_note", "capitals")),  # indexes built before schema 6 lack them
        "DocumentList": obj({"total": INT, "documents": array(ref("Document"))}),
        "DocumentDetail": obj({"document": ref("Document"), "passages": array(ref("DocumentPassage"))}),
        "Category": obj({
            "slug": STR, "label": STR, "definition": STR, "core": {"type": "boolean"},
            "mit_domains": array(obj({"id": STR, "name": STR})), "passages": INT,
        }),
        "CategoryList": obj({"categories": array(ref("Category"))}),
        "Health": obj({
            "status": {"enum": ["ok", "degraded"], "description": "degraded: the last good build stands in for a damaged one, "
                                                                   "or search by meaning is broken (see `hybrid`)."},
            "build": STR, "documents": INT, "passages": INT, "words": INT, "built_at": NULLABLE_STR,
            "checked": obj({
                "build": STR, "files": INT, "bytes": INT,
                "checksums": {"type": "boolean", "description": "Every file's size and SHA-256 matched the manifest."},
                "documents": INT, "passages": INT, "fields_queried": array(STR), "stored_read": INT,
            }),
            "damaged": obj({"build": STR, "problem": STR, "hint": STR}),
            "hybrid": obj({
                "status": {"enum": ["ok", "off", "broken"], "description": "off: the index has no vectors (words alone, as built); "
                           "broken: its vectors do not match its passages, or the model cannot be loaded."},
                "problem": STR, "hint": STR,
            }, optional=("problem", "hint")),
        }, optional=("damaged",)),
        "ApiIndex": obj({"name": STR, "openapi": STR, "endpoints": {"type": "object", "additionalProperties": STR}}),
    }


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref("Error")}}}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ref(schema)}}}


def _responses(ok: dict[str, Any], *, bad: bool = False, missing: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"200": ok}
    if bad:
        out["400"] = _error("A parameter is malformed or out of range; `error.parameter` names it.")
    if missing:
        out["404"] = _error("No such passage or document.")
    out["414"] = _error("The query string or path is too long.")
    out["503"] = _error("No index has been built yet (`index_missing`), or it is damaged and no good build can stand in (`index_damaged`).")
    out["default"] = _error("Any other error, in the same JSON shape.")
    return out


def _search_params(doc_ids: list[str], slugs: list[str], max_q: int) -> list[dict[str, Any]]:
    """/api/search's parameters; the exports take the same ones (see _export_params)."""
    document = {"type": "string", "enum": doc_ids} if doc_ids else STR
    return [
        {"name": "q", "in": "query", "description": "Free text: words, \"exact phrases\", -excluded, prefix*, OR.",
         "schema": {"type": "string", "maxLength": max_q}},
        {"name": "category", "in": "query", "style": "form", "explode": True,
         "description": "Only passages of any of these categories (repeatable).",
         "schema": array({"type": "string", "enum": slugs})},
        {"name": "document", "in": "query", "style": "form", "explode": True,
         "description": "Only passages of any of these documents (repeatable).", "schema": array(document)},
        {"name": "mode", "in": "query", "description": "hybrid: words and meaning (the default when the index has vectors); lexical: words alone.",
         "schema": {"type": "string", "enum": list(MODES)}},
        {"name": "limit", "in": "query", "description": "Results per page.",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 10}},
        {"name": "offset", "in": "query", "description": "Results to skip.",
         "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}},
        {"name": "exact", "in": "query", "description": "1: the words as typed, without spelling corrections.",
         "schema": {"type": "string", "enum": ["0", "1"], "default": "0"}},
    ]


EXPORT_LIMIT = {"name": "limit", "in": "query", "description": "At most this many passages, in the search's order, from `offset` on (default: all).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_EXPORT}}


def _export_params(search: list[dict[str, Any]], dialects: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every parameter of the search (a search's query string pasted onto an export URL is the
    same search), `limit` counting passages instead of a page; for CSV, the `dialect`."""
    out = [EXPORT_LIMIT if p["name"] == "limit" else p for p in search]
    if dialects:
        out.append({"name": "dialect", "in": "query",
                    "description": "rfc4180: UTF-8, commas; excel: what a French spreadsheet opens as is (UTF-8 with BOM, semicolons).",
                    "schema": {"type": "string", "enum": list(dialects), "default": dialects[0]}})
    return out


def _export(media: str, description: str, params: list[dict[str, Any]]) -> dict[str, Any]:
    return {"get": {
        "operationId": f"export_{media.split('/')[-1].replace('x-', '')}",
        "summary": description,
        "description": "The passages the search's pages show, in their order (those found by meaning alone included), "
                       "from `offset` on, up to `limit`; without q and filters, the whole base in reading order.",
        "parameters": params,
        "responses": _responses({
            "description": "The passages, as an attachment.",
            "headers": {
                "Content-Disposition": {"required": True, "description": "attachment; filename=...", "schema": STR},
                "X-Total-Count": {"required": True, "description": "Number of passages exported.",
                                  "schema": {"type": "integer", "minimum": 0}},
            },
            "content": {media: {"schema": STR}},
        }, bad=True),
    }}


def _get(operation_id: str, summary: str, responses: dict[str, Any], parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "summary": summary, "responses": responses}
    if parameters:
        op["parameters"] = parameters
    return {"get": op}


def _citation() -> dict[str, Any]:
    """GET /api/passages/{id}/citation: one passage's citation in one format."""
    from kb.citations import FORMATS

    content = {fmt.mimetype: {"schema": {"type": "array", "items": CSL_ITEM} if name == "csl-json" else STR}
               for name, fmt in FORMATS.items()}
    ok = {"description": "The citation, in the media type of its format.", "content": content,
          "headers": {"Content-Disposition": {"required": True, "description": 'inline; filename="<id>.<ext>"', "schema": STR}}}
    fmt = {"name": "format", "in": "query", "required": False, "description": "csl-json (default), bibtex, ris or text.",
           "schema": {"type": "string", "enum": list(FORMATS), "default": "csl-json"}}
    return _get("get_passage_citation", "One passage's citation as CSL-JSON, BibTeX, RIS or a French reference line.",
                _responses(ok, bad=True, missing=True), [*_path_id("Passage id, '<document>/<anchor>'."), fmt])


def _sheet_params() -> list[dict[str, Any]]:
    """p (repeated, in order, at most 100), titre, ordre."""
    from kb.sheet import MAX_PASSAGES, ORDERS

    return [
        {"name": "p", "in": "query", "required": False, "style": "form", "explode": True,
         "description": f"Passage ids in the sheet's order (repeated; duplicates dropped; at most {MAX_PASSAGES}).",
         "schema": {"type": "array", "items": STR, "maxItems": MAX_PASSAGES}},
        {"name": "titre", "in": "query", "required": False, "description": "The sheet's title.", "schema": {"type": "string", "maxLength": 200}},
        {"name": "ordre", "in": "query", "required": False, "description": "document (grouped by document) or choix (the order of p).",
         "schema": {"type": "string", "enum": list(ORDERS), "default": "document"}},
    ]


def _path_id(description: str) -> list[dict[str, Any]]:
    return [{"name": "id", "in": "path", "required": True, "description": description, "schema": {"type": "string", "minLength": 1}}]


@lru_cache(maxsize=None)
def parameters_of(rule: str) -> frozenset[str]:
    """The query parameters this description lists for a Flask route (`/api/passages/<path:passage_id>`)."""
    path = re.sub(r"<[^>]+>", "{id}", rule)
    operation = openapi_spec([], []).get("paths", {}).get(path, {}).get("get", {})
    return frozenset(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")


def openapi_spec(doc_ids: list[str], slugs: list[str], max_q: int = 1000) -> dict[str, Any]:
    """The whole OpenAPI document; document ids come from the index being served."""
    search_params = _search_params(doc_ids, slugs, max_q)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Base de connaissances « risques de l'IA et droits humains »",
            "version": "1.0.0",
            "description": "Read-only JSON API over French passages on AI risks and human rights. "
                           "Every error is {\"error\": {\"code\", \"message\"}}. CORS is open for GET.",
        },
        "paths": {
            "/api/": _get("api_index", "Endpoints of this API.", _responses(_ok("ApiIndex", "Links."))),
            "/api/search": _get("search", "Search passages (same object as `kb search --json`).",
                                _responses(_ok("SearchResponse", "Ranked passages."), bad=True), search_params),
            "/api/passages/{id}": _get("get_passage", "One passage with explanation, citation and related passages.",
                                       _responses(_ok("PassageDetail", "The passage."), missing=True),
                                       _path_id("Passage id, '<document>/<anchor>' (the slash is part of the id).")),
            "/api/passages/{id}/citation": _citation(),
            "/api/fiche": _get("get_sheet", "A debate sheet: the passages of `p` with citations, grouped by document, and their sources.",
                               _responses(_ok("Sheet", "The sheet; unknown ids are listed in `missing`."), bad=True), _sheet_params()),
            "/api/documents": _get("list_documents", "All documents with citation metadata.",
                                   _responses(_ok("DocumentList", "The documents."))),
            "/api/documents/{id}": _get("get_document", "One document and its passages in reading order.",
                                        _responses(_ok("DocumentDetail", "The document."), missing=True),
                                        _path_id("Document id.")),
            "/api/categories": _get("list_categories", "The risk categories with passage counts.",
                                    _responses(_ok("CategoryList", "The categories."))),
            "/api/health": _get("health", "Service status and index summary.", _responses(_ok("Health", "Serving."))),
            "/api/openapi.json": _get("openapi", "This document.", {"200": {
                "description": "OpenAPI 3.1 document.", "content": {"application/json": {"schema": {"type": "object"}}}},
                "default": _error("Any error.")}),
            **{f"/api/export.{name}": _export(f.media_type, f.summary, _export_params(search_params, f.dialects)) for name, f in EXPORTS.items()},
        },
        "components": {"schemas": _schemas()},
    }

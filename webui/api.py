"""The JSON face under /api/: the same search service as the pages and `kb search --json`."""

from __future__ import annotations

import io
from dataclasses import replace
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request, url_for

from kb.export import EXPORTS
from kb.models import Passage
from kb.search import MAX_EXPORT, MAX_QUERY_CHARS, SearchRequest, matching_passages, search
from kb.search.health import hybrid_health
from kb.categories.taxonomy import load_taxonomy
from kb.sheet import build_sheet
from kb.views import DocumentPassage, document_metadata
from webui import params
from webui.openapi import openapi_spec, parameters_of
from webui.sheet_view import SheetState
from webui.service import absolute, citation_download, citer, get_kb, passage_detail, site_url

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def _known_parameters() -> None:
    """Every API endpoint takes the parameters its OpenAPI description lists, and no others."""
    params.check_known(request.args, parameters_of(request.url_rule.rule if request.url_rule else ""))


@bp.get("/")
def index() -> Response:
    """Where to start: the endpoints and the OpenAPI description."""
    endpoints = {
        "search": url_for("api.search_passages"),
        "passage": "/api/passages/{id}",
        "passage_citation": "/api/passages/{id}/citation?format=csl-json|bibtex|ris|text",
        "sheet": url_for("api.sheet") + "?p={id}&p={id}",
        "documents": url_for("api.documents"),
        "document": "/api/documents/{id}",
        "categories": url_for("api.categories"),
        "health": url_for("api.health"),
        **{f"export_{name}": url_for(f"api.export_{name}") for name in EXPORTS},
    }
    return jsonify({
        "name": "Base de connaissances « risques de l'IA et droits humains »",
        "openapi": absolute(url_for("api.openapi")),
        "endpoints": {name: absolute(path) for name, path in endpoints.items()},
    })


@bp.get("/search")
def search_passages() -> Response:
    """Ranked passages with snippets and facets: exactly the object of `kb search --json`."""
    return jsonify(search(get_kb(), replace(params.api_search(request.args), public_url=site_url())).to_json())


@bp.get("/passages/<path:passage_id>")
def passage(passage_id: str) -> Response:
    """One passage, its categories with the explanation, its citation and related passages."""
    return jsonify(passage_detail(passage_id).to_json())


@bp.get("/passages/<path:passage_id>/citation")
def passage_citation(passage_id: str) -> Response:
    """One passage's citation in one format (`format=csl-json|bibtex|ris|text`), as a download."""
    name = params.citation_format(request.args)
    kb = get_kb()
    return citation_download(name, [citer().citation(kb.passage(passage_id))], passage_id.replace("/", "_"))


@bp.get("/fiche")
def sheet() -> Response:
    """The debate sheet of `p` (repeated, in order; at most 100): its passages with citations,
    grouped by document, the ids found nowhere, the sources; the JSON twin of /fiche."""
    state = SheetState.of(request.args)
    return jsonify(build_sheet(citer(), list(state.ids), state.title, state.order).to_json())


@bp.get("/documents")
def documents() -> Response:
    """Every document's citation metadata, sections and counts."""
    docs = [document_metadata(doc) for doc in get_kb().documents()]
    return jsonify({"total": len(docs), "documents": docs})


@bp.get("/documents/<doc_id>")
def document(doc_id: str) -> Response:
    """One document's metadata and all its passages in reading order."""
    kb = get_kb()
    doc = kb.document(doc_id)
    cite = citer()
    passages = [DocumentPassage.of(p, **cite.facts(p)).to_json() for p in kb.document_passages(doc_id)]
    return jsonify({"document": document_metadata(doc), "passages": passages})


@bp.get("/categories")
def categories() -> Response:
    """The risk taxonomy with definitions, MIT mapping and passage counts."""
    counts = get_kb().stats()["per_category"]
    return jsonify({"categories": [{**c.to_dict(), "passages": counts.get(c.slug, 0)} for c in load_taxonomy()]})


@bp.get("/health")
def health() -> Response:
    """What is served and what was checked of it: 200 "ok", 200 "degraded" while the last good
    build stands in for a damaged one or search by meaning is broken (`hybrid` says why),
    503 `index_damaged` or `index_missing` otherwise."""
    kb = get_kb()
    snap = kb.snapshot()
    stats = kb.stats()
    body: dict[str, Any] = {
        "status": "degraded" if snap.damage else "ok",
        "build": snap.path.name,
        "documents": stats["documents"],
        "passages": stats["passages"],
        "words": stats["words"],
        "built_at": stats["built_at"],
        "checked": snap.verification.to_dict(),
    }
    if snap.damage:
        body["damaged"] = {"build": snap.damage.build, "problem": snap.damage.problem, "hint": snap.damage.hint}
    hybrid = hybrid_health(kb)
    body["hybrid"] = hybrid.to_dict()
    if hybrid.status == "broken":
        body["status"] = "degraded"  # words still answer; search by meaning does not
    return jsonify(body)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (document ids listed from the current index)."""
    try:
        doc_ids = [d["id"] for d in get_kb().documents()]
    except Exception:  # no index yet: the description stays valid, ids unconstrained
        doc_ids = []
    return jsonify(openapi_spec(doc_ids, [c.slug for c in load_taxonomy()], MAX_QUERY_CHARS))


def _export_rows(req: SearchRequest, limit: int | None) -> list[Passage]:
    """The passages the search's pages show, in their order, from `req.offset` on, at most `limit`;
    no query and no filter means the whole base in reading order."""
    kb = get_kb()
    end = req.offset + (limit or MAX_EXPORT)
    if not req.query.strip() and not req.categories and not req.documents:
        return kb.all_passages()[req.offset:end]
    return matching_passages(kb, req, max_results=end)[req.offset:]


def _export(name: str) -> Response:
    """The passages of the search in the format called `name`, as a download."""
    export = EXPORTS[name]
    req, limit = params.api_export(request.args)
    dialect = params.csv_dialect(request.args) if export.dialects else ""
    rows = _export_rows(req, limit)
    out = io.StringIO()
    export.write(rows, citer(), out, dialect)
    response = Response(out.getvalue(), mimetype=export.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="passages.{name}"'
    response.headers["X-Total-Count"] = str(len(rows))
    return response


def _export_view(name: str) -> Callable[[], Response]:
    def view() -> Response:
        return _export(name)

    view.__doc__ = f"{EXPORTS[name].summary[:-1]} (one per passage), as a download."
    return view


for _name in EXPORTS:  # /api/export.csv, /api/export.ndjson: one route per format of the registry
    bp.add_url_rule(f"/export.{_name}", f"export_{_name}", _export_view(_name), methods=["GET"])

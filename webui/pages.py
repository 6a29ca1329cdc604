"""The HTML face: French pages (home, search, reader, passage, categories, about) over kb."""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for

from kb.citations.formats import to_meta
from kb.errors import InvalidParameterError
from kb.sheet import build_sheet, sheet_citations, sheet_markdown
from kb.export import EXPORTS
from kb.search import MAX_OFFSET, MAX_QUERY_CHARS, SearchRequest, search
from kb.search.pipeline import query_marks
from kb.search.snippets import match_spans
from kb.search.provenance import FRENCH as FOUND_BY_FRENCH
from kb.categories.context import describe_context
from kb.categories.taxonomy import get_category, load_taxonomy
from webui import params
from webui.present import (Pagination, categories_by_slug, excerpt, explanation_view, french_date, french_datetime, link_view, linkify,
                           merged, reader_items, safe_url)
from webui.search_view import SearchState, result_cards
from webui.service import absolute, citation_download, citer, get_kb, passage_detail, site_url
from webui.sheet_view import SHEET_EXPORTS, SheetState

bp = Blueprint("pages", __name__)
EXAMPLES = ["reconnaissance faciale", "armes autonomes", "droits humains", "services publics", "désinformation"]
CATEGORY_PAGE = 100


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    """Helpers every template may use."""
    labels = {c.slug: c.label for c in load_taxonomy()}
    return {"french_date": french_date, "french_datetime": french_datetime, "excerpt": excerpt, "safe_url": safe_url,
            "category_labels": labels, "max_query_chars": MAX_QUERY_CHARS,
            "sheet_ids": list(dict.fromkeys(p for p in request.args.getlist("p") if p))[:100]}


@bp.app_template_filter("short_title")
def _short_title(title: str | None) -> str:
    """A document's title up to its subtitle (« Sommet … sur l'IA — Face aux … » → « Sommet … sur l'IA »)."""
    head = (title or "").split(" — ")[0].split(" : ")[0].strip()
    return head if len(head) <= 80 else head[:80].rsplit(" ", 1)[0] + "…"


@bp.app_template_filter("found_by_fr")
def _found_by_fr(way: str) -> str:
    """How a result was found, in the page's words."""
    return FOUND_BY_FRENCH.get(way, way)


def _run(req: SearchRequest) -> dict[str, Any]:
    """The search's JSON object (what the API returns), for the templates."""
    try:
        return search(get_kb(), replace(req, public_url=site_url())).to_json()
    except InvalidParameterError as exc:
        raise params.french(exc) from exc


@bp.get("/")
def home() -> str:
    """What the base holds, the search box, the four core risk types."""
    kb = get_kb()
    stats = kb.stats()
    counts = stats["per_category"]
    taxonomy = load_taxonomy()
    return render_template(
        "home.html", stats=stats, documents=kb.documents(), examples=EXAMPLES, counts=counts,
        core=[c for c in taxonomy if c.core], others=[c for c in taxonomy if not c.core],
    )


@bp.get("/recherche")
def search_page() -> str:
    """Passages matching the query, with facets, active filters, pagination, suggestion."""
    size = current_app.config["PAGE_SIZE"]
    req, page = params.html_search(request.args, size)
    state = SearchState(req.query, req.categories, req.documents, SheetState.of(request.args).ids, req.mode, not req.correct)
    response = _run(req) if (req.query.strip() or req.categories or req.documents) else None
    documents = {d["id"]: d for d in get_kb().documents()}
    suggestion = response["suggestion"] if response else None
    return render_template(
        "search.html", q=req.query, response=response, page=page,
        results=result_cards(response, documents) if response else [],
        facets=state.facets(response, documents) if response else {"category": [], "document": []},
        active=state.active(documents),
        pagination=Pagination.of(response["total"], page, size, MAX_OFFSET) if response else None,
        page_url=state.url,
        clear_url=state.url(categories=(), documents=()),
        exact_url=state.url(exact=True),
        suggestion_url=state.url(q=suggestion) if suggestion else None,
        json_url=url_for("api.search_passages", **state.api_args(), limit=req.limit, offset=req.offset or None),
        export_args=state.api_args(), export_names=list(EXPORTS),
        hidden_filters=state.hidden_inputs(),
        taxonomy=load_taxonomy(), examples=EXAMPLES,
    )


@bp.get("/documents")
def documents_page() -> str:
    """Every document of the base with its citation metadata."""
    return render_template("documents.html", documents=get_kb().documents())


@bp.get("/documents/<doc_id>")
def document_page(doc_id: str) -> str:
    """The whole document: headings with ids, every passage with id=<anchor>, the target highlighted."""
    kb = get_kb()
    doc = kb.document(doc_id)
    passages = kb.document_passages(doc_id)
    target = request.args.get("passage", "")
    query = params.query_text(request.args, strict=False)  # opened from a search: its words are marked
    marks = query_marks(kb, query) if query.strip() else None
    base = doc.get("base_url")
    items, cite = [], citer()
    for item in reader_items(doc, passages):
        view: dict[str, Any] = {"item": item}
        if item.passage is not None:
            p = item.passage
            html, left_out = linkify(p.text, p.links, base, match_spans(p.text, marks) if marks else None)
            view.update(html=html, citation=cite.facts(p)["citation"].text, highlighted=p.id == target,
                        extra_links=[link_view(link, base) for link in left_out])
        items.append(view)
    document_citation = cite.document_citation(doc_id)
    return render_template("document.html", doc=doc, items=items, source_url=safe_url(doc.get("url") or ""),
                           meta_tags=to_meta(document_citation, document_citation.reader_url, passage=False))


@bp.get("/passages/<path:passage_id>")
def passage_page(passage_id: str) -> str:
    """One passage: citation, categories with their explanation, related passages."""
    detail = passage_detail(passage_id, related=8).to_json()
    kb = get_kb()
    passage = kb.passage(passage_id)
    doc = kb.snapshot().documents.get(passage.doc_id, {})
    labels = categories_by_slug()
    explained = [explanation_view(e, passage.text) | {"context_note": describe_context(e)}
                 for e in sorted(detail["explanation"], key=lambda e: (not e["assigned"], -e["score"]))]
    cues = merged([span for e in explained for cue in e["cues"] for span in cue["spans"]])
    return render_template(
        "passage.html", p=detail, doc=doc, html=linkify(passage.text, passage.links, doc.get("base_url"), cues)[0],
        links=[link_view(link, doc.get("base_url")) for link in passage.links],
        explained=explained, labels=labels, reader_url=url_for("pages.document_page", doc_id=passage.doc_id, passage=passage.id) + "#" + passage.anchor,
        meta_tags=to_meta(citer().citation(passage), absolute(url_for("pages.passage_page", passage_id=passage.id)), passage=True),
    )


@bp.get("/fiche")
def sheet_page() -> str:
    """The debate sheet of the URL's passages: reorder, remove, rename, print, export."""
    state = SheetState.of(request.args)
    sheet = build_sheet(citer(), list(state.ids), state.title, state.order).to_json()
    return render_template("sheet.html", sheet=sheet, state=state, exports=SHEET_EXPORTS,
                           clean_url=state.url(ids=tuple(sheet["ids"])), json_url=url_for("api.sheet", **state.args()))


@bp.get("/fiche/export")
def sheet_export() -> Response:
    """The sheet as Markdown, or its passages' citations as CSL-JSON, BibTeX or RIS, to download."""
    state = SheetState.of(request.args)
    name = params.single(request.args, "format") or "markdown"
    if name not in SHEET_EXPORTS:
        raise params.invalid("format", f"format must be one of {', '.join(SHEET_EXPORTS)} (got '{name[:40]}')")
    cite = citer()
    sheet = build_sheet(cite, list(state.ids), state.title, state.order)
    if name == "markdown":
        response = Response(sheet_markdown(sheet), mimetype="text/markdown")
        response.headers["Content-Disposition"] = 'attachment; filename="fiche.md"'
        return response
    response = citation_download(name, sheet_citations(sheet), "fiche")
    response.headers["Content-Disposition"] = response.headers["Content-Disposition"].replace("inline", "attachment")
    return response


@bp.get("/categories")
def categories_page() -> str:
    """The risk taxonomy: every category with its definition and passage count."""
    counts = get_kb().stats()["per_category"]
    return render_template("categories.html", taxonomy=load_taxonomy(), counts=counts)


@bp.get("/categories/<slug>")
def category_page(slug: str) -> str:
    """A category: definition, MIT mapping, its passages grouped by document (100 per page)."""
    category = get_category(slug)
    page = params.integer(request.args, "page", 1)
    if not 1 <= page <= MAX_OFFSET // CATEGORY_PAGE + 1:
        raise params.invalid("page", f"page must be between 1 and {MAX_OFFSET // CATEGORY_PAGE + 1} (got {page})")
    response = _run(SearchRequest("", categories=(slug,), limit=CATEGORY_PAGE, offset=(page - 1) * CATEGORY_PAGE))
    groups = [(doc_id, list(rows)) for doc_id, rows in groupby(response["results"], key=lambda r: r["document"]["id"])]
    return render_template(
        "category.html", category=category, response=response, groups=groups, page=page,
        pagination=Pagination.of(response["total"], page, CATEGORY_PAGE, MAX_OFFSET),
        page_url=lambda n: url_for("pages.category_page", slug=slug, page=n if n > 1 else None),
        json_url=url_for("api.search_passages", category=slug, limit=CATEGORY_PAGE, offset=(page - 1) * CATEGORY_PAGE or None),
    )


@bp.get("/a-propos")
def about_page() -> str:
    """Sources and licences, how categories are assigned, how to use the API."""
    kb = get_kb()
    return render_template("about.html", documents=kb.documents(), taxonomy=load_taxonomy(),
                           stats=kb.stats(), base=request.host_url.rstrip("/"))

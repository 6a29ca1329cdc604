"""Access to the app's one KnowledgeBase and shared lookups both faces need."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Response, current_app, request

from kb.citations import FORMATS, Citation
from kb.citations.lookup import Citer
from kb.search.related import related_passages
from kb.storage.store import KnowledgeBase
from kb.views import DocumentSummary, PassageDetail


def get_kb() -> KnowledgeBase:
    """The KnowledgeBase created by create_app (reopens by itself after a rebuild)."""
    return current_app.extensions["kb"]  # type: ignore[no-any-return]


def site_url() -> str:
    """The site's public address: KB_PUBLIC_URL when configured, else this request's host."""
    return str(current_app.config.get("PUBLIC_URL") or request.host_url).rstrip("/")


def absolute(path: str) -> str:
    """An absolute URL on this site for a path."""
    return site_url() + path


def citer() -> Citer:
    """Cites passages as read on this site today."""
    return Citer(get_kb(), site_url())


def citation_download(name: str, citations: Sequence[Citation], stem: str) -> Response:
    """`citations` in format `name` with its media type, named `stem`.<extension> when saved."""
    fmt = FORMATS[name]
    response = Response(fmt.render(citations), mimetype=fmt.mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{stem}.{fmt.extension}"'
    return response


def passage_detail(passage_id: str, related: int = 5) -> PassageDetail:
    """A passage with its document, explanation, citation and related passages."""
    kb, cite = get_kb(), citer()
    passage = kb.passage(passage_id)
    doc = kb.snapshot().documents.get(passage.doc_id, {})
    return PassageDetail.of(passage, DocumentSummary.of(passage.doc_id, doc), **cite.facts(passage),
                            related=related_passages(kb, passage_id, limit=related, citer=cite))

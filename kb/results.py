"""The JSON shape of a passage in search results, shared by the CLI and the API."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote


def passage_url(doc_id: str, anchor: str) -> str:
    """Path of a passage in the web reader: the document page, scrolled to the passage."""
    return f"/documents/{quote(doc_id)}#{quote(anchor)}"


def document_summary(doc: dict[str, Any], doc_id: str) -> dict[str, Any]:
    """The citation fields of a document."""
    return {
        "id": doc_id,
        "title": doc.get("title"),
        "publisher": doc.get("publisher"),
        "date": doc.get("date"),
        "url": doc.get("url"),
    }


def passage_json(payload: dict[str, Any], doc: dict[str, Any], score: float, snippet: str, explain: bool = False) -> dict[str, Any]:
    """One result: full text, escaped snippet, citation data, categories, links, reader URL."""
    out: dict[str, Any] = {
        "id": payload["id"],
        "score": round(score, 4),
        "text": payload["text"],
        "snippet": snippet,
        "document": document_summary(doc, payload["doc_id"]),
        "section": list(payload["section"]),
        "categories": list(payload.get("categories", [])),
        "links": [{"text": l["text"], "url": l["url"]} for l in payload.get("links", [])],
        "url": passage_url(payload["doc_id"], payload["anchor"]),
    }
    if explain:
        out["explanation"] = payload.get("explanation", [])
    return out

"""What the results page shows, built from a search response: facets, active filters, result cards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import url_for

from webui.present import categories_by_slug, link_view


def _toggle(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return tuple(v for v in values if v != value) if value in values else (*values, value)


@dataclass(frozen=True)
class SearchState:
    """The query and filters of a results page; every link of the page is a variation of it."""

    q: str
    categories: tuple[str, ...]
    documents: tuple[str, ...]
    sheet: tuple[str, ...] = ()  # the passages of the sheet being built (`p`), carried by every link
    mode: str | None = None  # as asked (`mode=`); None: the default
    exact: bool = False  # `exact=1`: the words as typed, without spelling corrections

    def url(self, page: int | None = None, *, q: str | None = None, categories: tuple[str, ...] | None = None,
            documents: tuple[str, ...] | None = None, exact: bool | None = None) -> str:
        """/recherche for this state, with some parts changed (its pages, facets and filters are the same search)."""
        args = {
            "q": (self.q if q is None else q) or None,
            "category": list(self.categories if categories is None else categories),
            "document": list(self.documents if documents is None else documents),
            "mode": self.mode,
            "exact": "1" if (self.exact if exact is None else exact) else None,
            "page": page if page and page > 1 else None,
            "p": list(self.sheet),
        }
        return url_for("pages.search_page", **args)

    def api_args(self) -> dict[str, Any]:
        """The same search in the API's parameter names (its JSON and its exports are the page's set)."""
        return {"q": self.q or None, "category": list(self.categories), "document": list(self.documents),
                "mode": self.mode, "exact": "1" if self.exact else None}

    def hidden_inputs(self) -> list[tuple[str, str]]:
        """Filters the search form carries over to a new query."""
        filters = [("category", c) for c in self.categories] + [("document", d) for d in self.documents]
        return filters + [("p", pid) for pid in self.sheet]

    def facets(self, response: dict[str, Any], documents: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Facet values with counts and the link that adds or removes each one."""
        labels = categories_by_slug()
        out: dict[str, list[dict[str, Any]]] = {"category": [], "document": []}
        for slug, count in response["facets"]["category"].items():
            out["category"].append({
                "value": slug, "label": labels[slug].label if slug in labels else slug, "count": count,
                "active": slug in self.categories, "url": self.url(categories=_toggle(self.categories, slug)),
            })
        for doc_id, count in response["facets"]["document"].items():
            out["document"].append({
                "value": doc_id, "label": documents.get(doc_id, {}).get("title", doc_id), "count": count,
                "active": doc_id in self.documents, "url": self.url(documents=_toggle(self.documents, doc_id)),
            })
        return out

    def active(self, documents: dict[str, Any]) -> list[dict[str, str]]:
        """Active filters, each with the link that removes it."""
        labels = categories_by_slug()
        out = [{"kind": "Catégorie", "label": labels[c].label if c in labels else c,
                "url": self.url(categories=_toggle(self.categories, c))} for c in self.categories]
        out += [{"kind": "Document", "label": documents.get(d, {}).get("title", d),
                 "url": self.url(documents=_toggle(self.documents, d))} for d in self.documents]
        return out


def result_cards(response: dict[str, Any], documents: dict[str, Any]) -> list[dict[str, Any]]:
    """Search results plus their reader link (highlighting the passage), citation and safe source links."""
    cards = []
    for r in response["results"]:
        doc = documents.get(r["document"]["id"], {})
        anchor = r["id"].split("/", 1)[-1]
        cards.append({
            **r,
            "reader_url": url_for("pages.document_page", doc_id=r["document"]["id"], passage=r["id"], q=response["query"] or None) + "#" + anchor,
            "citation": r["citation"]["text"],
            "link_views": [link_view(link, doc.get("base_url")) for link in r["links"]],
        })
    return cards

"""The debate sheet (« fiche »): the page, its exports and its JSON twin, through the Flask client."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import bibtexparser
import pytest
import rispy
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from kb.sheet import MAX_PASSAGES

pytest_plugins = ["tests.conftest_web"]

A = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3"
B = "charte-des-valeurs/la-mission-1"
C = "amnesty-ia-droits-humains/conclusion-2"


def _sheet_url(*ids: str, **extra: str) -> str:
    args = "&".join([f"p={i}" for i in ids] + [f"{k}={v}" for k, v in extra.items()])
    return f"/fiche?{args}"


def _soup(client: FlaskClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return BeautifulSoup(response.get_data(as_text=True), "lxml")


def test_the_sheet_keeps_the_users_order_drops_repeats_and_lists_the_missing(client: FlaskClient) -> None:
    body = client.get("/api" + _sheet_url(A, B, "nope/x-1", A, C, ordre="choix", titre="Débat")).get_json()
    assert body["title"] == "Débat" and body["order"] == "choix"
    assert body["ids"] == [A, B, C] and [p["id"] for p in body["passages"]] == [A, B, C]
    assert body["missing"] == ["nope/x-1"]
    assert [g["document"]["id"] for g in body["groups"]] == ["amnesty-ia-droits-humains", "charte-des-valeurs"]
    assert [p["id"] for p in body["groups"][0]["passages"]] == [A, C]
    assert [s["document"]["id"] for s in body["sources"]] == ["amnesty-ia-droits-humains", "charte-des-valeurs"]
    assert all(p["citation"]["text"] and p["citation"]["csl"]["id"] == p["id"] for p in body["passages"])


def test_the_page_groups_by_document_or_follows_the_users_order(client: FlaskClient) -> None:
    grouped = _soup(client, _sheet_url(A, B, C))
    assert [h.get_text() for h in grouped.select(".sheet-group > h2")] == [
        "Sommet mondial pour l'action sur l'IA — Face aux menaces posées par l'intelligence artificielle sur nos droits fondamentaux, l'urgence de réglementations efficaces",
        "Charte des valeurs (version 3.4)"]
    assert [q.get_text(strip=True)[:20] for q in grouped.select(".sheet-item blockquote")] == ["Les recherches menée", "La technologie peut ", "La priorité de Pause"]
    mine = _soup(client, _sheet_url(A, B, C, ordre="choix"))
    assert [q.get_text(strip=True)[:20] for q in mine.select(".sheet-item blockquote")] == ["Les recherches menée", "La priorité de Pause", "La technologie peut "]
    sources = [li.get_text() for li in mine.select(".sheet-sources li")]
    assert len(sources) == 2 and sources[1].startswith("Pause IA, Charte des valeurs (version 3.4)") and "https://pauseia.fr/charte-des-valeurs" in sources[1]
    assert "Score" not in mine.get_text()


def _control(item: BeautifulSoup, label: str) -> dict[str, list[str]] | None:
    """The arguments of the item's control link whose text starts with `label`."""
    link = next((a for a in item.select(".sheet-controls a") if a.get_text().startswith(label)), None)
    return parse_qs(urlsplit(link["href"]).query) if link else None


def test_reorder_remove_and_rename_are_links_and_a_form(client: FlaskClient) -> None:
    soup = _soup(client, _sheet_url(A, B, C, ordre="choix", titre="Soir"))
    first, second = soup.select(".sheet-item")[:2]
    down = _control(second, "Descendre")
    assert down and down["p"] == [A, C, B] and down["titre"] == ["Soir"] and down["ordre"] == ["choix"]
    assert _control(second, "Monter")["p"] == [B, A, C]  # type: ignore[index]
    assert _control(second, "Retirer")["p"] == [A, C]  # type: ignore[index]
    assert _control(first, "Monter") is None  # the first goes nowhere up
    form = soup.select_one("form.sheet-title-form")
    assert [i["value"] for i in form.select('input[name="p"]')] == [A, B, C] and form.select_one('input[name="titre"]')["value"] == "Soir"


def test_the_results_form_adds_ticked_passages_to_the_carried_sheet(client: FlaskClient) -> None:
    soup = _soup(client, f"/recherche?q=reconnaissance+faciale&p={B}")
    form = soup.select_one("form#ajout-fiche")
    assert form["action"] == "/fiche" and form["method"] == "get"
    assert [i["value"] for i in form.select('input[type="hidden"][name="p"]')] == [B]
    boxes = soup.select('input[type="checkbox"][name="p"][form="ajout-fiche"]')
    assert len(boxes) == len(soup.select("ol.results > li")) > 1
    assert all(parse_qs(urlsplit(a["href"]).query).get("p") == [B] for a in soup.select(".facets a.facet"))  # filters keep the sheet
    assert [i["value"] for i in soup.select('form[role="search"] input[name="p"]')] == [B]  # so does a new query


def test_passage_pages_offer_to_add_the_passage_and_its_related_ones(client: FlaskClient) -> None:
    soup = _soup(client, f"/passages/{A}?p={B}")
    adds = [a for a in soup.select("a[data-sheet-add]")]
    assert adds[0]["data-sheet-add"] == A and parse_qs(urlsplit(adds[0]["href"]).query)["p"] == [B, A]
    assert len(adds) > 1  # related passages too


@pytest.mark.parametrize(("fmt", "mimetype"), [("markdown", "text/markdown"), ("csl-json", "application/vnd.citationstyles.csl+json"),
                                                ("bibtex", "application/x-bibtex"), ("ris", "application/x-research-info-systems")])
def test_exports(client: FlaskClient, fmt: str, mimetype: str) -> None:
    response = client.get(_sheet_url(A, B, C, titre="Soir").replace("/fiche?", "/fiche/export?") + f"&format={fmt}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert response.headers["Content-Disposition"].startswith("attachment; filename=\"fiche.")
    text = response.get_data(as_text=True)
    if fmt == "markdown":
        assert text.startswith("# Soir\n") and "> Les recherches menées" in text and "## Sources" in text
    elif fmt == "csl-json":
        assert [item["id"] for item in response.get_json()] == [A, C, B]  # grouped by document, as shown
    elif fmt == "bibtex":
        library = bibtexparser.parse_string(text)
        assert not library.failed_blocks and len(library.entries) == 3
    else:
        assert [r["id"] for r in rispy.loads(text)] == [A, C, B]


def test_bad_sheets_are_messages_not_errors(client: FlaskClient) -> None:
    too_many = "&".join(f"p=x{i}" for i in range(MAX_PASSAGES + 1))
    api = client.get(f"/api/fiche?{too_many}")
    assert api.status_code == 400 and api.get_json()["error"]["parameter"] == "p"
    page = _soup(client, f"/fiche?{too_many}", 400)
    assert "au plus 100 passages" in page.get_text()
    assert client.get(_sheet_url(A, ordre="hasard")).status_code == 400
    assert client.get(_sheet_url(A).replace("/fiche?", "/fiche/export?") + "&format=docx").status_code == 400
    hundred = "&".join(f"p=x{i}" for i in range(MAX_PASSAGES))
    assert client.get(f"/api/fiche?{hundred}").get_json()["missing"][-1] == "x99"  # 100 is allowed
    empty = _soup(client, "/fiche")
    assert "Cette fiche est vide" in empty.get_text()


def test_the_sheet_sets_no_cookie_and_stores_nothing(client: FlaskClient) -> None:
    for url in (_sheet_url(A, B), f"/recherche?q=ia&p={A}", f"/passages/{A}"):
        assert "Set-Cookie" not in client.get(url).headers

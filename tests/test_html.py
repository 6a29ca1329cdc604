"""The HTML face: every page and its errors, checked structurally with BeautifulSoup."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask.testing import FlaskClient

from kb.models import Link
from kb.storage.store import KnowledgeBase
from webui import create_app
from webui.present import Pagination, french_date, linkify, safe_url

pytest_plugins = ["tests.conftest_web"]

DOC = "amnesty-ia-droits-humains"
ANCHOR = "1-surveillance-generalisee-et-discriminatoire-3"
PASSAGE = f"{DOC}/{ANCHOR}"
PAGES = ["/", "/recherche", "/recherche?q=reconnaissance+faciale", "/recherche?q=zzzqqq", f"/documents/{DOC}",
         "/documents", f"/passages/{PASSAGE}", "/categories", "/categories/surveillance", "/a-propos"]


def page(client: FlaskClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    # French typography puts no-break spaces before « : ; ? » and inside guillemets; compare plain text.
    return BeautifulSoup(response.get_data(as_text=True).replace("&nbsp;", " "), "html.parser")


def tag(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert found is not None, f"{selector} not found"
    return found


# Every page -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", PAGES)
def test_page_structure(client: FlaskClient, url: str) -> None:
    """lang, landmarks, one h1, skip link, labelled fields; no inline script, style or event handler (CSP)."""
    soup = page(client, url)
    assert tag(soup, "html")["lang"] == "fr"
    for landmark in ("header", "nav", "main", "footer"):
        assert soup.find(landmark) is not None, landmark
    assert len(soup.find_all("main")) == 1 and len(soup.find_all("h1")) == 1
    assert tag(soup, "a.skip-link")["href"] == "#contenu" and tag(soup, "main")["id"] == "contenu"
    assert soup.title and soup.title.string and "Risques de l’IA" in soup.title.string and tag(soup, 'meta[name="viewport"]')
    for field in soup.select("input:not([type=hidden]), select, textarea"):
        assert soup.find("label", attrs={"for": field["id"]}), field
    assert all(script.get("src") and not script.string for script in soup.find_all("script"))
    assert not soup.find_all("style")
    for element in soup.find_all(True):
        assert "style" not in element.attrs and not [a for a in element.attrs if a.startswith("on")], element
        href = element.get("href")
        assert not (isinstance(href, str) and href.lower().startswith("javascript:"))


@pytest.mark.parametrize("url", [u for u in PAGES if u not in ("/", "/a-propos")])
def test_pages_link_their_json_twin(client: FlaskClient, url: str) -> None:
    soup = page(client, url)
    alternate = tag(soup, 'link[rel="alternate"][type="application/json"]')
    assert alternate["href"].startswith("/api/")
    assert client.get(alternate["href"]).status_code == 200
    if url.startswith("/recherche?"):
        assert soup.find("a", class_="json-link", href=alternate["href"])


def test_home(client: FlaskClient, kb: KnowledgeBase) -> None:
    soup = page(client, "/")
    stats = kb.stats()
    text = tag(soup, ".stats").get_text(" ", strip=True)
    assert f"{stats['documents']} documents" in text and f"{stats['passages']} passages" in text
    cards = soup.select(".cards .card")
    assert [c.h3.a["href"] for c in cards] == [f"/categories/{s}" for s in ("surveillance", "services-publics", "algorithmes", "armes")]
    assert f"{stats['per_category']['surveillance']} passages" in cards[0].get_text()
    assert "reconnaissance faciale" in cards[0].get_text()  # the definition
    form = tag(soup, "form[role=search]")
    assert form["action"] == "/recherche" and form["method"] == "get"
    assert len(soup.select(".doc-list li")) == stats["documents"]


# Search ---------------------------------------------------------------------------------------

def test_search_results(client: FlaskClient) -> None:
    soup = page(client, "/recherche?q=reconnaissance+faciale&mode=lexical")
    assert tag(soup, "#q")["value"] == "reconnaissance faciale"
    assert "2 passages" in tag(soup, ".total").get_text(" ", strip=True)
    alternate = tag(soup, 'link[rel="alternate"]')["href"]
    assert parse_qs(urlsplit(alternate).query) == {"q": ["reconnaissance faciale"], "mode": ["lexical"], "limit": ["10"]}  # the page's own search
    results = soup.select("article.result")
    assert len(results) == 2
    mine = next(r for r in results if ANCHOR in str(r))
    meta = tag(mine, ".result-meta").get_text()
    assert "Amnesty International France" in meta and "2025" in meta
    assert "Sommet mondial pour l'action sur l'IA ·" in meta and "Face aux menaces" not in meta  # the title, short, once
    # The informative part first: the passage's own section as its heading, the path above it.
    assert tag(mine, ".result-title a").get_text() == "1. Surveillance généralisée et discriminatoire"
    assert [li.get_text() for li in mine.select("ol.breadcrumb li")] == ["I. LES ATTEINTES AUX DROITS HUMAINS LIÉES À L'IA"]
    assert mine.select_one(".result-title").find_next_sibling("p", class_="snippet") is not None
    assert [m.get_text() for m in mine.select(".snippet mark")][:2] == ["reconnaissance", "faciale"]
    assert [a["href"] for a in mine.select(".badges a")] == ["/categories/surveillance"]
    reader = mine.find("a", string="Lire dans le document")
    assert reader["href"] == f"/documents/{DOC}?passage={PASSAGE}&q=reconnaissance+faciale#{ANCHOR}"
    opened = page(client, reader["href"].split("#")[0])
    marked = opened.select(f'[id="{ANCHOR}"] .passage-text mark')
    assert [m.get_text().lower() for m in marked] == ["reconnaissance", "faciale"]  # the search's words, marked in the reader
    assert len(opened.select(".passage-text mark")) > 2  # in every passage that has them
    assert mine.find("a", string="Passages liés")["href"] == f"/passages/{PASSAGE}#lies"
    cite = tag(mine, "details.cite")
    assert tag(cite, "summary").get_text() == "Citer"
    text = tag(cite, ".citation").get_text()
    assert text.startswith("« Les recherches menées") and "» — Amnesty International France, Sommet mondial" in text
    assert "section « I. Les atteintes aux droits humains liées à l'IA › 1. Surveillance" in text  # normal case
    assert "https://www.amnesty.fr/communiques/" in text and ", consulté le " in text
    assert tag(cite, "button[data-copy]").has_attr("hidden")  # shown by the script only


def test_search_facets_and_active_filters(client: FlaskClient) -> None:
    soup = page(client, "/recherche?q=droits")
    facet = next(a for a in soup.select("#facette-category ~ ul a.facet") if "Surveillance" in a.get_text())
    count = int(tag(facet, ".count").contents[0])
    assert count > 0 and parse_qs(urlsplit(facet["href"]).query)["category"] == ["surveillance"]
    filtered = page(client, facet["href"])
    assert f"{count} passage" in tag(filtered, ".total").get_text()
    chip = tag(filtered, ".active-filters a.chip")
    assert "Surveillance" in chip.get_text() and "Retirer le filtre" in chip.get_text()
    assert "category" not in parse_qs(urlsplit(chip["href"]).query)
    active = tag(filtered, "a.facet--active")
    assert active["aria-current"] == "true" and "category" not in parse_qs(urlsplit(active["href"]).query)
    hidden = filtered.select('form[role=search] input[type=hidden][name="category"]')
    assert [h["value"] for h in hidden] == ["surveillance"]
    for result in filtered.select("article.result"):
        assert result.find("a", href="/categories/surveillance")
    assert "category=surveillance" in tag(filtered, 'link[rel="alternate"]')["href"]


def test_search_pagination(client: FlaskClient) -> None:
    soup = page(client, "/recherche?q=droits")
    nav = tag(soup, 'nav.pagination[aria-label="Pages de résultats"]')
    assert tag(nav, 'a[aria-current="page"]').get_text(strip=True).endswith("1")
    nxt = tag(nav, 'a[rel="next"]')
    second = page(client, nxt["href"])
    assert tag(second, "ol.results")["start"] == "11"
    assert tag(second, 'nav.pagination a[aria-current="page"]').get_text(strip=True).endswith("2")
    assert tag(second, 'a[rel="prev"]')
    assert "offset=10" in tag(second, 'link[rel="alternate"]')["href"]
    first_ids = {a["href"] for a in soup.select("article.result .result-title a")}
    assert not first_ids & {a["href"] for a in second.select("article.result .result-title a")}


def test_did_you_mean_and_correction(client: FlaskClient) -> None:
    soup = page(client, "/recherche?q=droits+survelance")
    link = tag(soup, "a.suggestion")
    assert link.get_text() == "droits surveillance" and "q=droits+surveillance" in link["href"]
    corrected = page(client, "/recherche?q=survelance")
    notice = corrected.find("p", class_="notice").get_text(" ", strip=True)
    assert "Aucun résultat pour « survelance »" in notice and "surveillance" in notice
    assert corrected.select("article.result")
    exact = page(client, corrected.find("a", string=lambda s: s and "exactement" in s)["href"])
    assert not exact.select("article.result") and exact.select_one("section.empty")
    absent = [p.get_text(" ", strip=True) for p in exact.select("p.notice")]
    assert "Le mot « survelance » n'apparaît dans aucun passage du corpus." in absent


def test_no_results_no_query_and_browsing(client: FlaskClient, kb: KnowledgeBase) -> None:
    soup = page(client, "/recherche?q=zzzqqq")
    empty = tag(soup, "section.empty")
    assert "Aucun passage ne correspond à « zzzqqq »" in empty.get_text() and len(empty.select(".tips li")) >= 3
    assert empty.find("a", href="/categories/surveillance") and not soup.select("aside.facets")
    blank = page(client, "/recherche")
    assert tag(blank, "#aide") and blank.find("a", href="/recherche?q=reconnaissance+faciale")
    browse = page(client, "/recherche?categorie=armes")
    assert f"{kb.stats()['per_category']['armes']} passages" in tag(browse, ".total").get_text()


def test_user_input_is_escaped(client: FlaskClient) -> None:
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
    response = client.get("/recherche", query_string={"q": evil})
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html
    soup = BeautifulSoup(html, "html.parser")
    assert [s["src"] for s in soup.find_all("script")] == ["/static/app.js"]


@pytest.mark.parametrize(("url", "status", "words"), [
    ("/recherche?q=x&categorie=nope", 400, "Ce filtre de catégorie n'existe pas."),
    ("/recherche?q=x&document=nope", 400, "Ce filtre de document ne correspond à aucun document de la base."),
    ("/recherche?q=x&page=abc", 400, "Le numéro de page doit être un nombre entier positif."),
    ("/recherche?q=x&page=0", 400, "Le numéro de page doit être un nombre entier positif."),
    ("/recherche?q=x&page=99999", 400, "Le numéro de page doit être un nombre entier positif."),
    ("/recherche?q=" + "a" * 1001, 400, "La recherche est trop longue : 1 000 caractères au plus."),
    ("/recherche?q=" + "a" * 17000, 414, "L'adresse demandée est trop longue"),
    ("/documents/nope", 404, "unknown document 'nope'"),
    ("/passages/nope/x-1", 404, "unknown passage 'nope/x-1'"),
    ("/categories/nope", 404, "unknown category 'nope'"),
    ("/categories/surveillance?page=0", 400, "Le numéro de page doit être un nombre entier positif."),
    ("/nope", 404, "Cette adresse ne correspond à aucune page de la base de connaissances."),
])
def test_errors_are_french_pages(client: FlaskClient, url: str, status: int, words: str) -> None:
    soup = page(client, url, status)
    assert words in " ".join(soup.find("main").get_text(" ").split())  # the message of this error, not words every page has
    assert tag(soup, "html")["lang"] == "fr" and soup.find("main")


def test_wrong_method_and_missing_index_pages(client: FlaskClient, tmp_path: Path) -> None:
    response = client.post("/recherche")
    assert response.status_code == 405 and response.mimetype == "text/html" and "GET" in response.headers["Allow"]
    response = create_app({"TESTING": True, "KB_INDEX": str(tmp_path)}).test_client().get("/")
    assert response.status_code == 503 and "make index" in response.get_data(as_text=True)


def test_document_reader(client: FlaskClient, kb: KnowledgeBase) -> None:
    soup = page(client, f"/documents/{DOC}")
    doc = kb.document(DOC)
    assert tag(soup, "h1").get_text() == doc["title"]
    assert {d["id"] for d in soup.select("div.passage")} == {p.anchor for p in kb.document_passages(DOC)}
    headings = {h.get("id") for h in soup.select(".doc-body h2, .doc-body h3, .doc-body h4")}
    assert {s["anchor"] for s in doc["sections"]} <= headings
    assert [a["href"] for a in soup.select("nav.toc a")] == [f"#{s['anchor']}" for s in doc["sections"]]
    assert "Amnesty International France" in tag(soup, "dl.meta").get_text()
    assert not soup.select(".is-highlighted")


def test_reader_highlights_the_requested_passage(client: FlaskClient) -> None:
    soup = page(client, f"/documents/{DOC}?passage={PASSAGE}")
    target = tag(soup, ".passage.is-highlighted")
    assert target["id"] == ANCHOR and len(soup.select(".is-highlighted")) == 1
    assert tag(target, "details.cite").has_attr("open")


def test_reader_links_are_safe(client: FlaskClient) -> None:
    soup = page(client, "/documents/passez-a-l-action")
    hrefs = [a["href"] for a in soup.select(".passage-text a")]
    assert "https://discord.gg/vyXGd7AeGc" in hrefs
    assert all(h.startswith(("http://", "https://", "mailto:")) for h in hrefs)
    assert "https://pauseia.fr/dons" in hrefs  # relative links resolved against the publisher's site (catalogue base_url)


def test_reader_marks_a_thesaurus_expression_only_where_it_stands(client: FlaskClient) -> None:
    """Opened from a search for « CAF », the reader marks « Caisse nationale des allocations familiales », not « nationalité »."""
    marks = [m.get_text() for m in page(client, f"/documents/{DOC}?q=CAF").select(".passage-text mark")]
    assert "Caisse nationale des allocations familiales" in marks and "nationalité" not in marks


def test_results_at_a_documents_start_are_headed_by_its_short_title(client: FlaskClient) -> None:
    soup = page(client, "/recherche?q=services+publics")
    titles = [h.get_text(strip=True) for h in soup.select("article.result .result-title")]
    assert "Sommet mondial pour l'action sur l'IA" in titles and all(len(t) <= 80 for t in titles)


def test_passage_page(client: FlaskClient) -> None:
    soup = page(client, f"/passages/{PASSAGE}")
    crumbs = [li.get_text(strip=True) for li in soup.select("nav.crumbs li")]
    assert crumbs[0] == "Documents" and crumbs[-1] == "1. Surveillance généralisée et discriminatoire"
    assert tag(soup, "blockquote").get_text(strip=True).startswith("Les recherches menées")
    assert tag(soup, "#citation").get_text().startswith("« Les recherches menées")
    explain = tag(soup, ".explain--assigned")
    assert "Surveillance" in explain.h3.get_text() and "attribuée" in explain.h3.get_text()
    assert tag(explain, ".explain-context").get_text(strip=True) == "Contexte IA\u00a0: le passage parle d’IA."
    # In a volunteer's words: how strongly, and the cues as the passage writes them, marked in it.
    assert tag(explain, ".explain-score").get_text(" ", strip=True) == "Ce passage est fortement lié à cette catégorie."
    cues = tag(explain, ".explain-cues").get_text(" ", strip=True)
    assert "« surveillance numérisée »" in cues and "« reconnaissance faciale »" in cues
    assert "numeriser" not in explain.get_text() and "facial »" not in explain.get_text() and "seuil" not in explain.get_text()
    assert {"surveillance numérisée", "reconnaissance faciale"} <= {m.get_text() for m in soup.select("blockquote mark")}
    # The source's address is a link on the passage page itself.
    source = tag(soup, ".passage-source a")
    assert source["href"].startswith("https://www.amnesty.fr/communiques/") and source.get_text() == source["href"]
    related = soup.select("ol.related > li")
    assert related and all(li.find("a", string="Voir le passage") for li in related)
    assert tag(soup, "#lies")
    assert soup.find("a", string="Lire dans le document")["href"].endswith(f"#{ANCHOR}")


def test_category_page(client: FlaskClient, kb: KnowledgeBase) -> None:
    soup = page(client, "/categories/surveillance")
    assert tag(soup, "h1").get_text() == "Surveillance généralisée et discriminatoire"
    assert "reconnaissance faciale" in tag(soup, ".lead").get_text()
    assert [s.get_text() for s in soup.select(".mit-id")][:1] == ["2.1"]
    count = kb.stats()["per_category"]["surveillance"]
    assert tag(soup, "#passages").get_text().startswith(f"{count} passages")
    assert len(soup.select(".compact-results > li")) == count
    assert tag(soup, ".doc-group h3 a")["href"] == f"/documents/{DOC}"
    assert soup.select('form[role=search] input[name="category"][value="surveillance"]')
    assert len(page(client, "/categories").select(".cards .card")) == 7
    assert len(page(client, "/documents").select(".doc-cards .card")) == 3


def test_about_page(client: FlaskClient, kb: KnowledgeBase) -> None:
    soup = page(client, "/a-propos")
    rows = soup.select("#sources ~ .table-wrap tbody tr")
    assert len(rows) == len(kb.documents())
    amnesty = next(r for r in rows if "Amnesty" in r.get_text())
    assert "non précisée" in amnesty.get_text()  # licences are not invented
    assert "CC-BY-4.0" in rows[0].get_text()  # the charter's, as pauseia.fr states it
    assert "fortement, assez ou faiblement lié" in tag(soup, "#categories").find_parent("section").get_text()
    examples = tag(soup, "pre.code").get_text()
    assert "curl 'http://localhost/api/search?q=" in examples and "/api/export.csv" in examples
    with client.get("/static/style.css") as css:
        assert all(rule in css.get_data(as_text=True) for rule in ("@media print", ":focus-visible", ":target"))
    with client.get("/static/app.js") as js:
        assert "clipboard" in js.get_data(as_text=True)


def test_presentation_helpers() -> None:
    assert safe_url("javascript:alert(1)") is None and safe_url("/dons") is None
    assert safe_url("/dons", "https://pauseia.fr/") == "https://pauseia.fr/dons"
    html, left = linkify("Voir <b>ici</b> et là", [Link("ici", "javascript:x"), Link("là", "https://e.org/?a=1&b=\"2\"")])
    assert left == [Link("ici", "javascript:x")]
    assert str(html) == 'Voir &lt;b&gt;ici&lt;/b&gt; et <a href="https://e.org/?a=1&amp;b=&#34;2&#34;" rel="noopener noreferrer">là</a>'
    assert french_date(None) == "s. d." and french_date("2025") == "2025" and french_date("2025-02") == "février 2025"
    assert Pagination.of(95, 5, 10, 10_000).window() == [1, None, 3, 4, 5, 6, 7, None, 10]
    assert Pagination.of(5, 1, 10, 10_000).pages == 1


def test_every_page_of_the_full_corpus_renders(full_index: Path) -> None:
    client, kb = create_app({"TESTING": True, "KB_INDEX": str(full_index)}).test_client(), KnowledgeBase(full_index)
    for doc in kb.documents():
        reader = page(client, f"/documents/{doc['id']}")
        assert all(a["href"].startswith(("http", "mailto:", "/", "#")) for a in reader.select("main a[href]"))
        for p in kb.document_passages(doc["id"]):
            assert client.get(f"/passages/{p.id}").status_code == 200, p.id


def test_documents_whose_description_matches_are_listed(client: FlaskClient) -> None:
    soup = page(client, "/recherche?q=IAG")
    box = tag(soup, "section.described")
    assert [a["href"] for a in box.select("a")] == ["/documents/passez-a-l-action"]
    assert "Guide de Pause IA" in box.get_text()
    assert page(client, "/recherche?q=reconnaissance+faciale").select_one("section.described") is None

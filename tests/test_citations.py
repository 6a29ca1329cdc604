"""Citations: the one model (kb/citations) and every face that gives it, parsed back by the
libraries reference managers rely on, CSL-JSON checked against the official CSL 1.0 schema."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from datetime import date
from pathlib import Path
from typing import Any

import bibtexparser
import jsonschema_rs
import pytest
import rispy
from bs4 import BeautifulSoup
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from kb.citations import FORMATS, cite, render
from kb.citations.case import acronyms, cited_heading, normal_case
from kb.citations.formats import bibtex_key, to_text
from kb.citations.lookup import Citer
from kb.models import Passage
from kb.storage.store import KnowledgeBase
from kbcli import main
from webui import create_app

pytest_plugins = ["tests.conftest_web"]

PASSAGE = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3"
CHARTER = "charte-des-valeurs/la-mission-1"
CSL_SCHEMA_SHA256 = "23b2c062d7526060f4631bb04b4b3ba237e488484253e327bd00fa691861b811"  # commonmeta-py 0.312


@pytest.fixture(scope="module")
def csl_validator() -> Any:
    """The official CSL-JSON input schema (csl-data.json, CSL 1.0), as commonmeta-py ships it."""
    path = Path(str(importlib.metadata.distribution("commonmeta-py").locate_file("commonmeta/resources/csl-data.json")))
    raw = path.read_bytes()
    assert hashlib.sha256(raw).hexdigest() == CSL_SCHEMA_SHA256, "not the schema file these tests were written against"
    schema = json.loads(raw)
    assert schema["$id"] == "https://resource.citationstyles.org/schema/v1.0/input/json/csl-data.json"
    return jsonschema_rs.Draft7Validator(schema)


def _passage(**changes: Any) -> Passage:
    base = {"id": "d/a-1", "doc_id": "d", "anchor": "a-1", "section": ["I. LES RISQUES DE L'IA", "1. Surveillance"],
            "position": 0, "text": "Un  texte\nsur deux lignes."}
    return Passage.from_dict({**base, **changes})


DOC = {"title": "Titre", "publisher": "Éditeur & fils", "date": "2024-10-01", "kind": "dossier de presse",
       "url": "https://ex.org/communique", "url_note": "communiqué annonçant le dossier", "licence": None, "language": "fr"}


# The model ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("heading", "expected"), [
    ("I. LES ATTEINTES AUX DROITS HUMAINS LIÉES À L'IA", "I. Les atteintes aux droits humains liées à l'IA"),
    ("II. L'URGENCE DE RÉGLEMENTER L'IA", "II. L'urgence de réglementer l'IA"),
    ("CONCLUSION", "Conclusion"),
    ("UNE APPROCHE CRITIQUE DU « TECHNOSOLUTIONNISME »", "Une approche critique du « technosolutionnisme »"),
    ("1. Surveillance généralisée et discriminatoire", "1. Surveillance généralisée et discriminatoire"),  # already normal
    ("IA", "IA"),
])
def test_all_caps_headings_are_cited_in_normal_case(heading: str, expected: str) -> None:
    assert normal_case(heading, acronyms(["l'IA et l'UE", "Pause IA"])) == expected


@pytest.mark.parametrize(("heading", "expected"), [
    ("Voici ce que vous pouvez faire:", "Voici ce que vous pouvez faire"),  # the colon introduced a list
    ("Nos valeurs :", "Nos valeurs"),
    ("Conclusion.", "Conclusion"),
    ("Si...", "Si..."), ("Et après…", "Et après…"), ("Pourquoi agir ?", "Pourquoi agir ?"), ("Agissez !", "Agissez !"),
    ("I.", "I."),  # a bare numbering keeps its point
    ("II. L'URGENCE DE RÉGLEMENTER L'IA :", "II. L'urgence de réglementer l'IA"),
])
def test_headings_are_cited_without_trailing_punctuation(heading: str, expected: str) -> None:
    assert cited_heading(heading, frozenset({"IA"})) == expected


def test_a_passage_under_a_heading_with_a_colon_cites_it_without(kb: KnowledgeBase) -> None:
    text = Citer(kb, public_url="https://kb.example.org").citation(kb.passage("passez-a-l-action/voici-ce-que-vous-pouvez-faire-1")).section
    assert text == ("Voici ce que vous pouvez faire",)


def test_the_dossier_is_dated_to_the_month_its_sources_allow(kb: KnowledgeBase) -> None:
    citation = Citer(kb, public_url="https://kb.example.org").citation(kb.passage(PASSAGE))
    assert citation.issued == (2025, 2) and ", dossier de presse, février 2025, section" in to_text(citation)


def test_capitals_are_read_from_running_text() -> None:
    assert acronyms(["L'IA, l'IAG et la CNIL", "Un A seul, 2024"]) == {"IA", "IAG", "CNIL"}


def test_the_reference_line_names_everything_known_and_nothing_invented() -> None:
    c = cite(_passage(), DOC, "https://kb.example/documents/d#a-1", date(2026, 12, 2), frozenset({"IA"}))
    assert to_text(c) == (
        "« Un texte sur deux lignes. » — Éditeur & fils, Titre, dossier de presse, 1er octobre 2024, "
        "section « I. Les risques de l'IA › 1. Surveillance ». https://ex.org/communique "
        "(communiqué annonçant le dossier), consulté le 2 décembre 2026.")
    unknown = cite(_passage(), {"title": "T"}, "https://kb.example/documents/d#a-1", date(2026, 1, 5))
    assert to_text(unknown) == ("« Un texte sur deux lignes. » — T, s. d., section « I. Les risques de l'ia › 1. Surveillance ». "
                                "https://kb.example/documents/d#a-1, consulté le 5 janvier 2026.")  # our reader when no source URL


def test_formats_parse_back_with_their_libraries(csl_validator: Any) -> None:
    c = cite(_passage(), DOC, "https://kb.example/documents/d#a-1", date(2026, 12, 2))
    items = json.loads(render("csl-json", [c]))
    csl_validator.validate(items)
    assert items[0]["issued"] == {"date-parts": [[2024, 10, 1]]} and items[0]["type"] == "report"
    library = bibtexparser.parse_string(render("bibtex", [c]))
    assert not library.failed_blocks and [e.key for e in library.entries] == [bibtex_key(c)] == ["d:a-1"]
    fields = library.entries[0].fields_dict
    assert library.entries[0].entry_type == "techreport"
    assert fields["author"].value == "{Éditeur \\& fils}" and fields["urldate"].value == "2026-12-02"
    assert fields["url"].value == "https://ex.org/communique" and fields["date"].value == "2024-10-01"
    (ris,) = rispy.loads(render("ris", [c]))
    assert ris["type_of_reference"] == "RPRT" and ris["title"] == "Titre" and ris["urls"] == ["https://ex.org/communique"]
    assert ris["date"] == "2024/10/01/" and ris["access_date"] == "2026/12/02" and ris["authors"] == ["Éditeur & fils"]


# The faces ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def public_client(corpus_index: Path) -> FlaskClient:
    """The app with a configured public address (KB_PUBLIC_URL)."""
    app: Flask = create_app({"TESTING": True, "KB_INDEX": str(corpus_index), "PUBLIC_URL": "https://kb.example.org"})
    return app.test_client()


def _passages_of(body: Any) -> list[dict[str, Any]]:
    """Every passage object in an API answer."""
    if isinstance(body, dict):
        found = [body] if {"id", "text", "citation"} <= set(body) else []
        return found + [p for v in body.values() for p in _passages_of(v)]
    if isinstance(body, list):
        return [p for v in body for p in _passages_of(v)]
    return []


def test_every_passage_in_the_json_carries_its_citation(public_client: FlaskClient, csl_validator: Any) -> None:
    bodies = [public_client.get(path).get_json() for path in (
        "/api/search?q=reconnaissance+faciale", f"/api/passages/{PASSAGE}", "/api/documents/charte-des-valeurs")]
    bodies += [json.loads(line) for line in public_client.get("/api/export.ndjson?q=manifester").get_data(as_text=True).splitlines()]
    passages = [p for b in bodies for p in _passages_of(b)]
    assert len(passages) > 20
    for p in passages:
        assert p["url"].startswith("https://kb.example.org/documents/"), p["url"]
        assert set(p["citation"]) == {"text", "csl"} and p["citation"]["csl"]["id"] == p["id"]
        csl_validator.validate([p["citation"]["csl"]])
    charter = public_client.get(f"/api/passages/{CHARTER}").get_json()
    assert charter["document"]["url"] == "https://pauseia.fr/charte-des-valeurs"  # the source's published address
    assert charter["citation"]["csl"]["URL"] == "https://pauseia.fr/charte-des-valeurs"
    assert charter["citation"]["csl"]["issued"] == {"date-parts": [[2024, 10, 10]]}


def test_the_request_host_stands_in_for_an_unset_public_url(client: FlaskClient) -> None:
    body = client.get(f"/api/passages/{PASSAGE}", base_url="http://journaliste.local:8080").get_json()
    assert body["url"].startswith("http://journaliste.local:8080/documents/amnesty-ia-droits-humains#")


@pytest.mark.parametrize(("fmt", "mimetype"), [(name, f.mimetype) for name, f in FORMATS.items()])
def test_citation_route_gives_each_format_with_its_type(public_client: FlaskClient, fmt: str, mimetype: str, csl_validator: Any) -> None:
    response = public_client.get(f"/api/passages/{PASSAGE}/citation?format={fmt}")
    assert response.status_code == 200 and response.mimetype == mimetype
    text = response.get_data(as_text=True)
    if fmt == "csl-json":
        csl_validator.validate(json.loads(text))
    elif fmt == "bibtex":
        assert not bibtexparser.parse_string(text).failed_blocks and len(bibtexparser.parse_string(text).entries) == 1
    elif fmt == "ris":
        assert rispy.loads(text)[0]["urls"] == ["https://www.amnesty.fr/communiques/sommet-de-ia-paris-des-droits-humains-en-danger-intelligence-artificielle"]
    else:
        assert text.startswith("« Les recherches menées") and "consulté le" in text
    assert response.headers["Content-Disposition"].endswith(f'.{FORMATS[fmt].extension}"')


def test_citation_route_errors(public_client: FlaskClient) -> None:
    bad = public_client.get(f"/api/passages/{PASSAGE}/citation?format=docx")
    assert bad.status_code == 400 and bad.get_json()["error"]["parameter"] == "format"
    missing = public_client.get("/api/passages/charte-des-valeurs/nope-9/citation?format=ris")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_cli_json_carries_citations(corpus_index: Path, csl_validator: Any) -> None:
    result = CliRunner().invoke(main, ["search", "--index", str(corpus_index), "--json", "reconnaissance", "faciale"],
                                env={"KB_PUBLIC_URL": "https://kb.example.org"})
    results = json.loads(result.output)["results"]
    assert results and all(r["url"].startswith("https://kb.example.org/") for r in results)
    csl_validator.validate([r["citation"]["csl"] for r in results])


def _meta(soup: BeautifulSoup) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for tag in soup.select("head meta[name]"):
        out.setdefault(tag["name"], []).append(tag["content"])
    return out


def test_pages_carry_the_metadata_reference_managers_read(public_client: FlaskClient) -> None:
    passage = _meta(BeautifulSoup(public_client.get(f"/passages/{PASSAGE}").get_data(as_text=True), "lxml"))
    assert passage["citation_title"][0].startswith("Sommet mondial pour l'action sur l'IA")
    assert passage["citation_author"] == ["Amnesty International France,"]  # one corporate name, not first + last
    assert passage["DC.creator"] == ["Amnesty International France"]
    assert passage["citation_technical_report_institution"] == ["Amnesty International France"]  # a report
    assert passage["citation_publication_date"] == ["2025/02"] and passage["DC.date"] == ["2025-02"]  # the month it was released
    assert passage["citation_fulltext_html_url"] == [f"https://kb.example.org/passages/{PASSAGE}"]
    assert passage["DC.description"][0].startswith("Les recherches menées")
    charter = _meta(BeautifulSoup(public_client.get("/documents/charte-des-valeurs").get_data(as_text=True), "lxml"))
    assert charter["citation_publication_date"] == ["2024/10/10"] and charter["DC.date"] == ["2024-10-10"]
    assert "citation_title" not in charter and charter["DC.title"] == ["Charte des valeurs (version 3.4)"]  # a web page, not an article
    assert charter["DC.identifier"] == ["https://pauseia.fr/charte-des-valeurs"] and charter["DC.rights"] == ["CC-BY-4.0"]


def test_a_citer_without_public_url_keeps_reader_paths(kb: KnowledgeBase) -> None:
    assert Citer(kb).reader_url(kb.passage(CHARTER)) == "/documents/charte-des-valeurs#la-mission-1"


def test_a_list_items_citation_quotes_its_lead_in(kb: KnowledgeBase) -> None:
    passage = kb.passage("amnesty-ia-droits-humains/une-approche-critique-du-technosolutionnisme-3")
    text = to_text(Citer(kb).citation(passage))
    assert text.startswith("« Dans le cadre de l'évaluation de la pertinence du recours à une technologie donnée, il convient : […] de veiller")

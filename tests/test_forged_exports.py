"""Untrusted bytes stay data (issue 26): hostile front matter, catalogue values and passage text,
built by the real indexer, exported through the real API, site and `kb export`, read back by the
real parsers (csv, bibtexparser, rispy, markdown-it): no formula cell, no forged record, no
script address, no live HTML."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import bibtexparser
import pytest
import rispy
from bs4 import BeautifulSoup
from flask import Flask
from click.testing import CliRunner
from flask.testing import FlaskClient
from markdown_it import MarkdownIt

from indexer.build import build_index
from kbcli import main
from webui import create_app

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TITLE_FORMULA = '=HYPERLINK("http://evil","x")'
PUBLISHER_FORMULA = "+cmd|' /C calc'!A0"
FORGED_URL = "https://ok.example/}\n@misc{x,"
FORGED_TITLE = "Vrai titre\nER  - \nTY  - JOUR\nTI  - Article forgé\nER  - "
SCRIPT_URLS = ("javascript:", "data:text")

FORMULAS = """---
title: "=HYPERLINK(\\"http://evil\\",\\"x\\")"
publisher: "+cmd|' /C calc'!A0"
url: "javascript:alert(document.cookie)"
date: "2025-01-02"
---

## Égal

=1+1 ouvre ce passage sur la surveillance algorithmique des personnes dans l'espace public.

## Plus

+33 1 23 45 67 89 est le numéro donné pour signaler un usage abusif de la reconnaissance faciale.

## Moins

-2+3 est écrit au début de ce passage sur les biais des systèmes de recrutement automatisés.

## Arobase

@SUM(A1:A9) commence ce passage sur la désinformation produite par les modèles génératifs.
"""

REFERENCES = """---
title: "Vrai titre\\nER  - \\nTY  - JOUR\\nTI  - Article forgé\\nER  - "
publisher: "Éditeur {ouvert 50 % & $ # _ ~ ^ \\\\ fin"
url: "https://ok.example/}\\n@misc{x,"
---

## Une section

Ce passage cite un lien <a href="data:text/html,<b>x</b>">piégé</a> et un [bon lien](https://bon.example/page) sur l'IA.
"""

CATALOGUE = """documents:
  catalogue.txt:
    id: catalogue-hostile
    title: "<script>alert('titre')</script> Rapport\\nER  - \\e[2J"
    publisher: "Catalogue } @misc{y,"
    kind: rapport
    url: "data:text/html,<script>alert(1)</script>"
    url_note: "note\\nTY  - JOUR"
"""

CATALOGUE_TEXT = """Rapport sur l'intelligence artificielle

Ce rapport écrit <script>alert("x")</script> en clair au milieu de son texte sur les risques.
"""


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus of hostile documents, built by the real indexer (no vectors: not needed here)."""
    corpus = tmp_path_factory.mktemp("hostile-corpus")
    (corpus / "formules.md").write_text(FORMULAS, encoding="utf-8")
    (corpus / "references.md").write_text(REFERENCES, encoding="utf-8")
    (corpus / "catalogue.txt").write_text(CATALOGUE_TEXT, encoding="utf-8")
    (corpus / "catalogue.yaml").write_text(CATALOGUE, encoding="utf-8")
    root = tmp_path_factory.mktemp("hostile-index")
    report = build_index([corpus], root, semantic=False)
    assert report.documents == 3
    return root


@pytest.fixture(scope="module")
def client(hostile_index: Path) -> FlaskClient:
    app: Flask = create_app({"TESTING": True, "KB_INDEX": str(hostile_index)})
    return app.test_client()


def _passages(client: FlaskClient) -> list[dict]:
    lines = client.get("/api/export.ndjson").get_data(as_text=True).splitlines()
    return [json.loads(line) for line in lines]


def _passage_of(client: FlaskClient, doc_id: str) -> str:
    return next(p["id"] for p in _passages(client) if p["document"]["id"] == doc_id)


def _rows(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), delimiter=delimiter))


def _assert_all_quoted(text: str, rows: list[list[str]], dialect: type[csv.Dialect]) -> None:
    """Written back with every cell quoted, the rows give the same bytes: every cell was quoted."""
    out = io.StringIO()
    csv.writer(out, dialect, quoting=csv.QUOTE_ALL).writerows(rows)
    assert out.getvalue() == text.removeprefix("\ufeff")


def _assert_no_formula(rows: list[list[str]]) -> None:
    header, *body = rows
    assert header[:3] == ["id", "document_id", "document_title"] and len(body) >= 6
    cells = [cell for row in body for cell in row]
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)]
    # The data is intact but for the quote that makes a spreadsheet read it as text.
    assert "'" + TITLE_FORMULA in cells and "'" + PUBLISHER_FORMULA in cells
    texts = [row[header.index("text")] for row in body]
    for start in ("'=1+1 ouvre", "'+33 1 23", "'-2+3 est", "'@SUM(A1:A9)"):
        assert any(t.startswith(start) for t in texts), start


@pytest.mark.parametrize(("query", "delimiter"), [("", ","), ("?dialect=rfc4180", ","), ("?dialect=excel", ";")])
def test_api_csv_export_has_no_formula_cell(client: FlaskClient, query: str, delimiter: str) -> None:
    response = client.get("/api/export.csv" + query)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    rows = _rows(text, delimiter)
    _assert_no_formula(rows)
    _assert_all_quoted(text, rows, csv.excel if delimiter == "," else type("semicolons", (csv.excel,), {"delimiter": ";"}))
    assert not any(bad in text for bad in SCRIPT_URLS)


def test_kb_export_csv_has_no_formula_cell(hostile_index: Path, tmp_path: Path) -> None:
    kb = Path(sys.executable).with_name("kb")
    env = {**os.environ, "KB_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([str(kb), "export", "--index", str(hostile_index), "--format", "csv"],
                          capture_output=True, env=env, timeout=120, check=True)
    text = done.stdout.decode("utf-8")  # as written (CRLF line ends: RFC 4180)
    rows = _rows(text, ",")
    _assert_no_formula(rows)
    _assert_all_quoted(text, rows, csv.excel)
    assert not any(bad in text for bad in SCRIPT_URLS)


def test_bibtex_cannot_be_forged_by_a_documents_metadata(client: FlaskClient) -> None:
    pid = _passage_of(client, "references")
    bib = client.get(f"/api/passages/{quote(pid)}/citation?format=bibtex").get_data(as_text=True)
    library = bibtexparser.parse_string(bib)
    assert not library.failed_blocks and len(library.entries) == 1
    entry = library.entries[0]
    assert entry.key == pid.replace("/", ":")
    assert entry["url"] == "https://ok.example/%7D@misc%7Bx,"  # the same address, its braces percent-encoded
    assert entry["title"].startswith("Vrai titre ER - TY - JOUR")  # one line: data, not RIS tags
    publisher = entry["publisher"]
    assert "{\\textbraceleft}ouvert 50 \\% \\& \\$ \\# \\_ {\\textasciitilde} {\\textasciicircum} {\\textbackslash} fin" in publisher
    assert "\\\\" not in bib  # a backslash is never LaTeX's line break


def test_ris_and_the_text_line_cannot_be_forged_by_a_documents_metadata(client: FlaskClient) -> None:
    pid = _passage_of(client, "references")
    ris = client.get(f"/api/passages/{quote(pid)}/citation?format=ris").get_data(as_text=True)
    records = rispy.loads(ris)
    assert len(records) == 1 and records[0]["id"] == pid
    assert records[0]["title"].startswith("Vrai titre ER - TY - JOUR TI - Article forgé")
    text = client.get(f"/api/passages/{quote(pid)}/citation?format=text").get_data(as_text=True)
    assert text.count("\n") == 1 and text.endswith(".\n") and not any(ord(c) < 32 for c in text.rstrip("\n"))


def test_sheet_exports_hold_one_record_per_passage(client: FlaskClient) -> None:
    ids = [p["id"] for p in _passages(client)]
    sheet = "/fiche/export?" + "&".join(f"p={quote(i)}" for i in ids)
    library = bibtexparser.parse_string(client.get(sheet + "&format=bibtex").get_data(as_text=True))
    assert not library.failed_blocks and len(library.entries) == len(ids)
    records = rispy.loads(client.get(sheet + "&format=ris").get_data(as_text=True))
    assert sorted(r["id"] for r in records) == sorted(ids)
    csl = json.loads(client.get(sheet + "&format=csl-json").get_data(as_text=True))
    assert sorted(item["id"] for item in csl) == sorted(ids)


def test_the_markdown_sheet_shows_html_as_text(client: FlaskClient) -> None:
    ids = [p["id"] for p in _passages(client)]
    title = quote("<img src=x onerror=alert(1)> [lien](javascript:alert(2))")
    markdown = client.get("/fiche/export?format=markdown&titre=" + title + "".join(f"&p={quote(i)}" for i in ids)
                          + "&p=" + quote("x`<b>y")).get_data(as_text=True)
    html = MarkdownIt("commonmark", {"html": True}).render(markdown)
    soup = BeautifulSoup(html, "lxml")
    assert not soup.find_all(["script", "img", "b"]) and not soup.select("a[href^=javascript]")
    shown = soup.get_text()
    assert "<script>alert(\"x\")</script>" in shown  # the passage's text, as written
    assert "<script>alert('titre')</script> Rapport" in shown  # the catalogue title
    assert "<img src=x onerror=alert(1)> [lien](javascript:alert(2))" in shown and "x`<b>y" in shown


def test_script_addresses_are_exported_nowhere(client: FlaskClient) -> None:
    ids = [p["id"] for p in _passages(client)]
    sheet = "/fiche/export?" + "&".join(f"p={quote(i)}" for i in ids)
    bodies = {"ndjson": client.get("/api/export.ndjson").get_data(as_text=True),
              "documents": client.get("/api/documents").get_data(as_text=True)}
    for doc_id in ("formules", "catalogue-hostile"):
        bodies[doc_id] = client.get(f"/api/documents/{doc_id}").get_data(as_text=True)
    for fmt in ("markdown", "csl-json", "bibtex", "ris"):
        bodies[fmt] = client.get(sheet + f"&format={fmt}").get_data(as_text=True)
    for pid in ids:
        for fmt in ("csl-json", "bibtex", "ris", "text"):
            bodies[f"{pid} {fmt}"] = client.get(f"/api/passages/{quote(pid)}/citation?format={fmt}").get_data(as_text=True)
        page = BeautifulSoup(client.get(f"/passages/{quote(pid)}").get_data(as_text=True), "lxml")
        bodies[f"{pid} meta"] = " ".join(str(m.get("content", "")) for m in page.find_all("meta"))
    leaks = [name for name, body in bodies.items() if any(bad in body for bad in SCRIPT_URLS)]
    assert leaks == []
    records = [json.loads(line) for line in bodies["ndjson"].splitlines()]
    links = [link["url"] for r in records for link in r["links"]]
    assert "https://bon.example/page" in links  # a good link is kept
    pid = _passage_of(client, "references")
    shown = client.get(f"/api/passages/{quote(pid)}").get_json()["links"]
    assert [link["url"] for link in shown] == ["https://bon.example/page"]  # the JSON API too
    assert {r["document"]["url"] for r in records} == {None, "https://ok.example/%7D@misc%7Bx,"}


def test_kb_search_prints_each_title_on_one_line_without_control_characters(hostile_index: Path) -> None:
    result = CliRunner().invoke(main, ["search", "--index", str(hostile_index), "--mode", "lexical", "rapport"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\nER  - " not in result.output
    assert "<script>alert('titre')</script> Rapport ER -" in result.output

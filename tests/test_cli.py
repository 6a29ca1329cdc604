"""The `kb` command: index, search, export, stats, explain; errors as messages, not tracebacks."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase
from kbcli import main

from .conftest import CORPUS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_index_prints_a_summary_and_is_fast_when_nothing_changed(runner: CliRunner, tmp_path: Path) -> None:
    index = tmp_path / "idx"
    first = runner.invoke(main, ["index", "--corpus", str(CORPUS), "--index", str(index)])
    assert first.exit_code == 0, first.output
    assert "Index construit : 3 documents, 106 passages" in first.output
    second = runner.invoke(main, ["index", "--corpus", str(CORPUS), "--index", str(index)])
    assert "Index à jour (rien n'a changé)" in second.output
    quiet = runner.invoke(main, ["index", "--corpus", str(CORPUS), "--index", str(index), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""  # `make serve` runs it: silent on success


def test_quiet_still_prints_what_was_skipped(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "vide.md").write_bytes(b"")
    result = runner.invoke(main, ["index", "--corpus", str(corpus_copy), "--index", str(tmp_path / "i"), "--quiet", "--no-semantic"])
    assert result.exit_code == 0 and result.output.strip() == f"skipped: {corpus_copy / 'vide.md'}: file is empty"


def test_environment_variables_choose_corpus_and_index(runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KB_CORPUS", str(CORPUS / "charte-des-valeurs.md"))
    monkeypatch.setenv("KB_INDEX", str(tmp_path / "env-idx"))
    result = runner.invoke(main, ["index"])
    assert result.exit_code == 0 and "1 documents" in result.output
    assert (tmp_path / "env-idx" / "current").is_symlink()


def test_strict_exits_non_zero_on_warnings(runner: CliRunner, corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "vide.md").write_bytes(b"")
    result = runner.invoke(main, ["index", "--corpus", str(corpus_copy), "--index", str(tmp_path / "i"), "--strict"])
    assert result.exit_code == 1
    assert "vide.md: file is empty" in result.output and "strict mode" in result.output
    assert "Traceback" not in result.output


def test_search_text_output(runner: CliRunner, corpus_index: Path) -> None:
    result = runner.invoke(main, ["search", "reconnaissance", "faciale", "--index", str(corpus_index), "--limit", "2"])
    assert result.exit_code == 0
    expected = search(KnowledgeBase(corpus_index), SearchRequest("reconnaissance faciale", limit=2))
    assert result.output.startswith(f"{expected.total} passage(s), 1–2 :\n")
    shown = re.findall(r"^   id: (\S+) ", result.output, flags=re.M)
    assert len(expected.results) == 2 and shown == [r.id for r in expected.results]  # the service's two best, in its order
    assert "1. Sommet mondial pour l'action sur l'IA" in result.output
    assert "[reconnaissance] [faciale]" in result.output


def test_search_json_is_the_api_object(runner: CliRunner, corpus_index: Path) -> None:
    result = runner.invoke(main, ["search", "manifester", "--index", str(corpus_index), "--json", "--limit", "3"])
    data = json.loads(result.output)
    assert set(data) >= {"query", "total", "limit", "offset", "results", "facets", "suggestion"}
    top = data["results"][0]
    assert set(top) >= {"id", "score", "text", "snippet", "document", "section", "categories", "links", "url"}
    assert set(top["document"]) == {"id", "title", "publisher", "date", "url"}
    assert top["id"] == "passez-a-l-action/voici-ce-que-vous-pouvez-faire-7"
    assert top["url"] == "http://127.0.0.1:5000/documents/passez-a-l-action#voici-ce-que-vous-pouvez-faire-7"  # no KB_PUBLIC_URL: make serve's address
    assert top["citation"]["csl"]["URL"] == "https://pauseia.fr/agir" and top["citation"]["text"].startswith("« Manifestez")
    assert "<mark>Manifestez</mark>" in top["snippet"]


def test_public_url_makes_passage_urls_absolute(runner: CliRunner, corpus_index: Path) -> None:
    result = runner.invoke(main, ["search", "manifester", "--index", str(corpus_index), "--json", "--limit", "1"],
                           env={"KB_PUBLIC_URL": "https://kb.example.org/"})
    assert json.loads(result.output)["results"][0]["url"].startswith("https://kb.example.org/documents/passez-a-l-action#")


def test_search_bad_parameters_give_a_message(runner: CliRunner, corpus_index: Path) -> None:
    result = runner.invoke(main, ["search", "ia", "--index", str(corpus_index), "--limit", "0"])
    assert result.exit_code == 1 and "limit must be between 1 and 100" in result.output
    result = runner.invoke(main, ["search", "ia", "--index", str(corpus_index), "--category", "nucléaire"])
    assert result.exit_code == 1 and "unknown category 'nucléaire'" in result.output


def test_missing_index_gives_a_hint(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["search", "ia", "--index", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "no index found" in result.output and "kb index" in result.output


def test_export_lists_every_passage_once(runner: CliRunner, corpus_index: Path) -> None:
    nd = runner.invoke(main, ["export", "--index", str(corpus_index)])
    rows = [json.loads(line) for line in nd.output.splitlines()]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 106
    assert {"id", "document", "section", "text", "categories", "links", "url", "explanation"} <= set(rows[0])
    out = runner.invoke(main, ["export", "--index", str(corpus_index), "--format", "csv"])
    table = list(csv.DictReader(io.StringIO(out.output)))
    assert [r["id"] for r in table] == ids
    assert table[0]["publisher"] and table[0]["document_title"]


def test_stats_and_explain(runner: CliRunner, corpus_index: Path) -> None:
    stats = runner.invoke(main, ["stats", "--index", str(corpus_index)])
    assert "106 passages" in stats.output and "surveillance" in stats.output and "amnesty-ia-droits-humains" in stats.output
    pid = "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3"
    explain = runner.invoke(main, ["explain", pid, "--index", str(corpus_index)])
    assert explain.exit_code == 0 and "surveillance" in explain.output and "ATTRIBUÉE" in explain.output
    assert "surveillance: fortement lié → ATTRIBUÉE" in explain.output
    assert "indice « reconnaissance faciale » ×1 (motif « reconnaissance facial »" in explain.output
    missing = runner.invoke(main, ["explain", "nope/nope-1", "--index", str(corpus_index)])
    assert missing.exit_code == 1 and "unknown passage 'nope/nope-1'" in missing.output


def test_installed_console_script_runs(corpus_index: Path) -> None:
    kb = Path(sys.executable).parent / "kb"
    result = subprocess.run([str(kb), "search", "logiciels espions", "--index", str(corpus_index), "--json", "--limit", "1"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"][0]["id"] == "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-4"

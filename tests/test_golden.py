"""Golden outputs: the JSON API, the exports and `kb search --json`, byte for byte, over a set of
searches, passages and documents. A refactor must leave every byte as it was; a change of
behaviour regenerates them on purpose (KB_GOLDEN_UPDATE=1 pytest tests/test_golden.py) and the
diff shows what changed.

The index is built by words alone (`--no-semantic`): the model's vectors differ in their last
digits from one CPU to another (AVX2 and AVX-512 kernels), enough to reorder near ties among
passages found by meaning, so bytes could not be compared across machines. The semantic stage
has its own tests (tests/test_semantic.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from indexer.build import build_index
from kbcli import main
from webui import create_app

from .conftest import CORPUS
from .golden_files import check_golden


GOLDEN = Path(__file__).parent / "data" / "golden.json"
SEARCHES = [
    "reconnaissance faciale", "surveillance biométrique", '"reconnaissance faciale"', "surveillance -migration",
    "pétition OR tract", "surveil*", "reconnaisance faciale", "moratoir sur l'ia", "que peut faire un juriste pour la pause ?",
    "services publics", "armes autonomes", "IA", "AGI", "facial recognition", "spyware", "juriste", "ornithorynque", "",
    "le la les", "manifester contre l'IA", "réglementer l'intelligence artificielle", "désinformation réseaux sociaux",
]
FILTERED = [
    "q=ia&category=surveillance", "q=droits&document=amnesty-ia-droits-humains", "q=ia&limit=3&offset=2",
    "category=armes", "document=charte-des-valeurs&limit=50", "q=ia&category=algorithmes&category=armes",
    "q=ia&limit=0", "q=ia&offset=-1", "q=ia&category=inconnue", "q=ia&limit=abc",
]
PAGES = ["/api/", "/api/documents", "/api/categories", "/api/export.csv", "/api/export.ndjson",
         "/api/export.csv?q=reconnaissance+faciale", "/api/export.ndjson?category=surveillance", "/api/passages/nope",
         "/api/documents/nope", "/api/openapi.json", "/api/search?q=" + "surveillance " * 50]
CLI_SEARCHES = ["reconnaissance faciale", "pétition OR tract", "reconnaisance", "ornithorynque", "--explain armes autonomes"]


@pytest.fixture(scope="module")
def lexical_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """corpus/ indexed without vectors: outputs that are the same bytes on every machine."""
    root = tmp_path_factory.mktemp("index-golden")
    build_index([CORPUS], root, semantic=False)
    return root


def _outputs(client: FlaskClient, corpus_index: Path) -> dict[str, str]:
    out: dict[str, str] = {}

    def get(path: str) -> str:
        response = client.get(path)
        body = f"{response.status_code} {response.mimetype}\n{response.get_data(as_text=True)}"
        out[path] = body
        return body

    for q in SEARCHES:
        get(f"/api/search?q={q}&limit=20")
    for query in FILTERED:
        get(f"/api/search?{query}")
    for path in PAGES:
        get(path)
    passage_ids = sorted({r["id"] for path, body in list(out.items()) if path.startswith("/api/search")
                          for r in json.loads(body.split("\n", 1)[1]).get("results", [])})
    for pid in passage_ids[:40]:
        get(f"/api/passages/{pid}")
    for doc in json.loads(get("/api/documents").split("\n", 1)[1])["documents"]:
        get(f"/api/documents/{doc['id']}")
    runner = CliRunner()
    for q in CLI_SEARCHES:
        result = runner.invoke(main, ["search", "--index", str(corpus_index), "--json", *q.split()])
        out[f"kb search --json {q}"] = f"{result.exit_code}\n{result.output}"
    return out


def test_api_exports_and_cli_json_are_byte_for_byte_the_golden_ones(lexical_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796169600")  # citations' « consulté le » day: 2026-12-02
    monkeypatch.delenv("KB_PUBLIC_URL", raising=False)
    client = create_app({"TESTING": True, "KB_INDEX": str(lexical_index)}).test_client()
    outputs = _outputs(client, lexical_index)
    check_golden(outputs, GOLDEN)

"""Golden outputs of hybrid search: /api/search, the exports and search() with RRF fusion, byte for
byte, over an index whose vectors come from a deterministic embedder (tests/hashing_embedder.py:
exact dot products, the same bits on every CPU) injected for the passages and the queries. The
lexical golden file (tests/test_golden.py) cannot see the dense, fusion and provenance stages;
this one does. Regenerate on purpose with KB_GOLDEN_UPDATE=1 pytest tests/test_golden_hybrid.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from kb.search import SearchRequest, search
from kb.search.ranking import DEFAULT_PARAMS
from kb.storage.store import KnowledgeBase
from webui import create_app

from .hashing_embedder import HashingEmbedder
from .test_golden import SEARCHES
from .golden_files import check_golden

GOLDEN = Path(__file__).parent / "data" / "golden_hybrid.json"
EMBEDDER = HashingEmbedder()
FILTERED = ["q=ia&category=surveillance", "q=ia&limit=3&offset=2", "q=ia&limit=5&offset=5&document=amnesty-ia-droits-humains",
            "q=surveillance&mode=lexical", "q=survaillance", "q=manifestaton+pause+ia&limit=100&offset=0",
            "q=reconnaisance+faciale&category=surveillance&category=armes", "q=police+-migration"]
EXPORTS = ["/api/export.csv?q=reconnaissance+faciale", "/api/export.ndjson?q=survaillance&category=surveillance",
           "/api/export.csv?q=que+peut+faire+un+juriste+pour+la+pause+%3F", "/api/export.ndjson?q=armes+autonomes&limit=7"]
RRF_SEARCHES = ["reconnaissance faciale", "que peut faire un juriste pour la pause ?", "surveillance -migration", "reconnaisance"]


def _outputs(client: FlaskClient, root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for path in [f"/api/search?q={q}&limit=20" for q in SEARCHES] + [f"/api/search?{q}" for q in FILTERED] + EXPORTS:
        response = client.get(path)
        out[path] = f"{response.status_code} {response.mimetype}\n{response.get_data(as_text=True)}"
    kb = KnowledgeBase(root, embedder=EMBEDDER)  # type: ignore[arg-type]
    rrf = DEFAULT_PARAMS.__class__(**{**vars(DEFAULT_PARAMS), "fusion": "rrf"})
    for q in RRF_SEARCHES:
        response = search(kb, SearchRequest(q, limit=20), rrf)
        out[f"search(fusion=rrf) {q}"] = json.dumps(response.to_json(), ensure_ascii=False)
    return out


def test_hybrid_search_and_exports_are_byte_for_byte_the_golden_ones(hashed_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796169600")
    monkeypatch.delenv("KB_PUBLIC_URL", raising=False)
    client = create_app({"TESTING": True, "KB_INDEX": str(hashed_index), "QUERY_EMBEDDER": EMBEDDER}).test_client()
    outputs = _outputs(client, hashed_index)
    searched = [json.loads(body.split("\n", 1)[1]) for key, body in outputs.items() if key.startswith("/api/search?q=")]
    assert {s.get("mode") for s in searched if "mode" in s} >= {"hybrid"}, "the embedder was not used: nothing searched by meaning"
    assert any("meaning" in r["found_by"] for s in searched for r in s.get("results", [])), "no passage found by meaning"
    check_golden(outputs, GOLDEN)

"""Documentation that cannot drift (after Datasette's tests/test_docs.py): every parameter the
README and « À propos » document exists, every existing one is documented, every `kb` option is in
the README's table, and every `console` example of the README is run, its output compared with
what the README shows once the volatile parts (timings, build names, dates, cache counts) are masked."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click
import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from kbcli import main
from webui.openapi import openapi_spec

if TYPE_CHECKING:
    from tests.conftest_web import LiveServer

pytest_plugins = ["tests.conftest_web"]

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
AMNESTY = ROOT / "corpus" / "amnesty-dossier-de-presse-ia-droits-humains.txt"
SKIP_MARK = re.compile(r"<!-- docs-test: skip \((?P<reason>[^)]+)\) -->\s*$")


def _api_parameters() -> dict[str, set[str]]:
    """Each API path with query parameters, from the OpenAPI description the API enforces."""
    spec = openapi_spec([], [])
    found = {path: {p["name"] for p in op["get"].get("parameters", []) if p["in"] == "query"} for path, op in spec["paths"].items()}
    return {path: names for path, names in found.items() if names}


def _readme_parameter_table(text: str) -> dict[str, set[str]]:
    """README rows « | `/api/...` | `a`, `b` | … | »: the path and the parameters of its second cell."""
    rows = {}
    for path, cell in re.findall(r"^\| `(/api/[^`]+)` \| ([^|]*) \|", text, re.M):
        rows[path.replace("<id>", "{id}")] = set(re.findall(r"`([a-z_]+)`", cell))
    return rows


def test_readme_documents_every_api_parameter_and_no_other() -> None:
    assert _readme_parameter_table(README.read_text(encoding="utf-8")) == _api_parameters()


def test_about_page_documents_every_api_parameter_and_no_other(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/a-propos").get_data(as_text=True), "html.parser")
    documented = {block["data-endpoint"]: {code.get_text() for dt in block.select("dt") for code in dt.select("code")}
                  for block in soup.select("[data-endpoint]")}
    assert documented == _api_parameters()


def test_about_page_examples_answer(client: FlaskClient) -> None:
    """Every curl line of « À propos » is a request the API answers with 200."""
    soup = BeautifulSoup(client.get("/a-propos").get_data(as_text=True), "html.parser")
    urls = [re.search(r"'([^']+)'", line).group(1) for line in soup.select_one("pre.code").get_text().splitlines()]  # type: ignore[union-attr]
    assert len(urls) >= 8
    for url in urls:
        assert client.get(url.split("localhost", 1)[-1]).status_code == 200, url


def _commands(group: click.Group, prefix: str = "kb") -> Iterator[tuple[str, click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from _commands(command, f"{prefix} {name}")
        elif command is not None:
            yield f"{prefix} {name}", command


def test_readme_lists_every_kb_command_and_option() -> None:
    """The README's command table: each `kb` command, with every long option it takes and no other."""
    text = README.read_text(encoding="utf-8")
    listed: dict[str, set[str]] = {}
    for cell in re.findall(r"^\| `(kb [^`]+)` \|", text, re.M):
        words = cell.split()
        name = " ".join(words[:3] if words[1] == "eval" else words[:2])
        listed.setdefault(name, set()).update(re.findall(r"--[a-z][a-z-]*", cell))
    actual = {name: {o for p in cmd.params for o in p.opts if o.startswith("--")} for name, cmd in _commands(main)}
    assert listed == actual


# --- console examples ---------------------------------------------------------------------

@dataclass
class Example:
    line: int
    command: str
    expected: str
    skip: str | None


def console_examples(text: str) -> list[Example]:
    """Each `$ command` of the README's ```console blocks (with `\\` continuations) and the lines
    it shows after it; a block preceded by `<!-- docs-test: skip (reason) -->` is listed as skipped."""
    examples: list[Example] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        before = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        skip = m.group("reason") if (m := SKIP_MARK.search(before)) else None
        i += 1
        current: Example | None = None
        while lines[i].strip() != "```":
            line = lines[i]
            if line.startswith("$ "):
                command, start = line[2:], i
                while command.endswith("\\"):
                    i += 1
                    command = command[:-1] + " " + lines[i].strip()
                current = Example(start + 1, command, "", skip)
                examples.append(current)
            elif current is not None:
                current.expected += line + "\n"
            i += 1
        i += 1
    for example in examples:
        example.expected = example.expected.strip("\n")
    return examples


VOLATILE = [
    (re.compile(r"\b\d+(?:\.\d+)? s\b"), "<secondes> s"),  # durations
    (re.compile(r"\d{8}T\d{6}-\d+-\d+"), "<construction>"),  # build names
    (re.compile(r"(vecteurs \(sens\) : )\d+ calculés, \d+ repris"), r"\1<n> calculés, <n> repris"),  # the cache's content
    (re.compile(r"(date : )\d{4}-\d{2}-\d{2}"), r"\1<date>"),  # a PDF's creation date
    (re.compile(r"(score: )-?\d+\.\d+"), r"\1<score>"),  # float noise of the embeddings across machines
]


def masked(text: str) -> str:
    """`text` with its volatile parts replaced, and the narrow no-break spaces of French numbers
    (« 4\u202f564 ») written as the README's plain spaces."""
    text = text.replace("\u202f", " ").replace("\u00a0", " ")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def matches(expected: str, actual: str) -> bool:
    """`actual` is `expected` once both are masked; a line « … » stands for any lines."""
    parts = [re.escape(line) for line in masked(expected).splitlines()]
    if not parts:  # the command prints nothing
        return masked(actual) == ""
    pattern = "".join("(?:.*\n)*?" if part == "…" else part + "\n" for part in parts)
    return re.fullmatch(pattern, masked(actual) + "\n") is not None


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh folder as a new user has after cloning: corpus/ (a copy), and the PDF the
    README's `kb add` example adds (the Amnesty dossier, rendered as its publisher would)."""
    from indexer.loaders import load_document
    from tests.pdf_render import render_pdf

    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "corpus", folder / "corpus")
    title = ("Sommet mondial pour l'action sur l'IA — Face aux menaces posées par l'intelligence artificielle sur nos "
             "droits fondamentaux, l'urgence de réglementations efficaces")
    render_pdf(load_document(AMNESTY, None), folder / "Dossier de presse IA.pdf", title, "Amnesty International France")
    return folder


def run_example(command: str, workdir: Path, server: LiveServer) -> str:
    """`command` in bash, in `workdir`, with this checkout's `kb` first on the PATH and the
    README's server address replaced by the test server's."""
    env = {k: v for k, v in os.environ.items() if k not in ("KB_INDEX", "KB_CORPUS", "KB_PUBLIC_URL")}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}", PYTHONPATH=str(ROOT), NO_COLOR="1")
    command = command.replace("http://127.0.0.1:5000", server.url)
    done = subprocess.run(["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=300)
    return done.stdout + done.stderr


def test_readme_console_examples(workdir: Path, live_server: LiveServer) -> None:
    """Run in order, as a reader would, against a fresh index of corpus/ built by the first example."""
    if shutil.which("curl") is None:
        pytest.skip("curl is needed to run the README's HTTP examples: apt-get install curl")
    examples = console_examples(README.read_text(encoding="utf-8"))
    assert len(examples) >= 6
    failures = []
    for example in examples:
        if example.skip:
            continue
        actual = run_example(example.command, workdir, live_server)
        if not matches(example.expected, actual):
            failures.append(f"README.md:{example.line}: $ {example.command}\n--- README shows\n{masked(example.expected)}\n"
                            f"--- the command prints (masked)\n{masked(actual)}")
    assert not failures, "\n\n".join(failures)


def test_a_changed_example_fails() -> None:
    """The comparison is strict where it must be: one changed count, id or word is a mismatch."""
    shown = "20 passage(s), 1–1 :\n\n   id: a/b-2  catégories: surveillance  score: 3.2503\n…\nfin"
    printed = "20 passage(s), 1–1 :\n\n   id: a/b-2  catégories: surveillance  score: 3.1\nx\ny\nfin"
    assert matches(shown, printed)
    assert not matches(shown.replace("20 passage", "10 passage"), printed)
    assert not matches(shown.replace("a/b-2", "a/b-3"), printed)
    assert not matches(shown.replace("fin", "début"), printed)
    assert matches("", "") and not matches("", "Index à jour (rien n'a changé)")


def test_skipped_tests_are_listed_loudly_with_the_install_command(tmp_path: Path) -> None:
    """A run that skips tests ends with their names, their reasons and the command to install
    what they need (tests/conftest.py's terminal summary)."""
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_terminal_summary  # noqa: F401\n", encoding="utf-8")
    (tmp_path / "test_x.py").write_text(
        "import pytest\n\ndef test_runs():\n    pass\n\n"
        "def test_needs_chromium():\n    pytest.skip('Chromium not found at /usr/bin/chromium')\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(tmp_path)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=120)
    tail = done.stdout.strip().splitlines()
    summary = "\n".join(tail[-6:])
    assert "1 TEST(S) SKIPPED" in done.stdout and "test_x.py::test_needs_chromium: Chromium not found" in done.stdout
    assert "sudo apt-get install -y chromium chromium-driver wrk npm" in summary

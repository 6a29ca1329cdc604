"""Dependencies run one way: kb ← indexer, kb ← webui, the `kb` command (kbcli) on top of both,
and only kbcli imports click; inside kb, no package imports one that imports it back, and no
module imports one that imports it back, however far round. Read from the source's import
statements (lazy imports inside functions included), so a new shortcut fails here."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KB_PACKAGES = ("analysis", "categories", "search", "semantic", "storage")


def _unit(module: str) -> str | None:
    """The architectural unit of a module: kb's sub-packages, kb's own modules, or a top package."""
    parts = module.split(".")
    if parts[0] == "kb":
        return f"kb.{parts[1]}" if len(parts) > 1 and parts[1] in KB_PACKAGES else "kb"
    return parts[0] if parts[0] in ("indexer", "webui", "kbcli", "flask", "werkzeug", "waitress") else None


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _edges() -> dict[str, set[str]]:
    """Unit → the units its modules import (itself left out)."""
    edges: dict[str, set[str]] = {}
    for top in ("kb", "indexer", "webui", "kbcli"):
        for path in (ROOT / top).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            source = _unit(module)
            assert source is not None
            targets = {_unit(name) for name in _imports(path)} - {None, source}
            edges.setdefault(source, set()).update(t for t in targets if t)
    return edges


ALLOWED = {
    "kb": {"kb.analysis", "kb.categories", "kb.search", "kb.storage"},
    "kb.analysis": {"kb"},
    "kb.semantic": {"kb"},
    "kb.storage": {"kb", "kb.analysis", "kb.semantic"},
    "kb.categories": {"kb", "kb.analysis"},
    "kb.search": {"kb", "kb.analysis", "kb.categories", "kb.semantic", "kb.storage"},
    "indexer": {"kb", "kb.analysis", "kb.categories", "kb.search", "kb.semantic", "kb.storage"},
    "webui": {"kb", "kb.categories", "kb.search", "kb.storage", "flask", "werkzeug", "waitress"},
    "kbcli": {"kb", "kb.categories", "kb.search", "kb.storage", "indexer", "webui"},
}


def test_packages_import_only_downwards() -> None:
    edges = _edges()
    extra = {unit: sorted(targets - ALLOWED.get(unit, set())) for unit, targets in edges.items()}
    assert not {u: t for u, t in extra.items() if t}, "imports against the direction of the architecture"


def test_kb_modules_import_neither_the_faces_nor_each_other_circularly() -> None:
    edges = _edges()
    # kb's own modules (models, errors, views, config, export...) sit below its packages.
    for path in (ROOT / "kb").glob("*.py"):
        imported = {_unit(name) for name in _imports(path)}
        assert not imported & {"kb.search", "kb.storage", "kb.categories"}, path.name
    for unit, targets in edges.items():
        for target in targets:
            if unit.startswith("kb.") and target.startswith("kb.") and target != "kb":
                assert unit not in edges.get(target, set()), f"{unit} and {target} import each other"


def test_only_the_kb_command_imports_click() -> None:
    # The command line is one face among others: its click code lives in kbcli/, each command
    # calling plain functions of kb, indexer or webui that return data or text.
    importing = sorted(str(path.relative_to(ROOT)) for top in ("kb", "indexer", "webui") for path in (ROOT / top).rglob("*.py")
                       if any(name.split(".")[0] == "click" for name in _imports(path)))
    assert not importing, f"modules outside kbcli/ that import click: {importing}"


@pytest.mark.parametrize("module, absent", [
    ("kb.search", ("flask", "indexer", "webui")),
    ("indexer.build", ("flask", "webui")),
    ("kbcli", ("flask", "whoosh", "spacy")),  # `kb --help`, `kb index` start without the web stack
])
def test_importing_a_package_loads_nothing_above_it(module: str, absent: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print(' '.join(m for m in {absent!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == ""


def _module_imports(path: Path, module: str, modules: set[str]) -> set[str]:
    """The project's modules `module` imports when it runs (imports for type checkers left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for n in ast.walk(block)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            out.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names)
    return (out & modules) - {module}


def test_no_module_imports_one_that_imports_it_back() -> None:
    paths = {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
             for top in ("kb", "indexer", "webui", "kbcli") for p in (ROOT / top).rglob("*.py")}
    graph = {module: _module_imports(path, module, set(paths)) for module, path in paths.items()}
    def reachable(start: str) -> set[str]:
        seen, todo = set(), list(graph[start])
        while todo:
            module = todo.pop()
            if module not in seen:
                seen.add(module)
                todo.extend(graph[module])
        return seen

    reach = {module: reachable(module) for module in graph}
    circles = sorted({tuple(sorted({m, n})) for m in graph for n in graph[m] if m in reach[n]})
    assert not circles, f"modules that import each other (directly or round others): {circles}"


# The backend seam (kb/storage/backend.py): the search stages speak its protocol and query language;
# Whoosh is one adapter, and only it and the analysis chain (Whoosh analysers) import whoosh.
WHOOSH_ALLOWED = ("kb/storage/whoosh_adapter/", "kb/analysis/")


def test_only_the_whoosh_adapter_and_the_analysis_chain_import_whoosh() -> None:
    importers = sorted(str(path.relative_to(ROOT)) for top in ("kb", "indexer", "webui", "kbcli") for path in (ROOT / top).rglob("*.py")
                       if any(name == "whoosh" or name.startswith("whoosh.") for name in _imports(path)))
    assert importers and all(i.startswith(WHOOSH_ALLOWED) for i in importers), \
        f"whoosh imported past the seam: {[i for i in importers if not i.startswith(WHOOSH_ALLOWED)]}"


def test_the_search_stages_reach_the_adapter_only_through_the_store() -> None:
    """kb/search names no adapter module: it gets an IndexView from KnowledgeBase.session()."""
    reaching = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "kb" / "search").rglob("*.py")
                      if any(name.startswith("kb.storage.whoosh_adapter") for name in _imports(p)))
    assert not reaching, f"search modules that import the Whoosh adapter directly: {reaching}"

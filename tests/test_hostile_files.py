"""Files built to hang or exhaust the build (issue 26, items 6, 7, 8, 12): each is read by a real
`load_document` in a separate Python process under a 30 s guard, so that a regression fails
instead of hanging the suite, and that process reports its peak memory and its reader's."""

from __future__ import annotations

import binascii
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from indexer.writers import writer_lock
from indexer.catalogue import load_catalogue
from indexer.limits import Limits
from indexer.loaders import load_document
from kb.errors import DocumentError, IndexLockedError

from .hostile_pdf import bomb, inflating_stream, one_line_per_page, pages_pdf, self_referencing_contents, \
    self_referencing_outline, stream, text_stream, write

ROOT = Path(__file__).resolve().parents[1]
GUARD = 30.0  # seconds: only against a hang; the limits themselves are measured by the benchmark
MB = 1024 * 1024

# Loads one file and prints what came of it as JSON, with the peak RSS of this process (VmHWM:
# ru_maxrss would include pytest's own, kept across exec) and of its reader process.
LOAD = """
import json, resource, sys
from pathlib import Path
from indexer.loaders import load_document
from indexer.limits import Limits
from kb.errors import DocumentError
seconds, memory = float(sys.argv[2]), int(sys.argv[3])
out = {}
try:
    doc = load_document(Path(sys.argv[1]), None, limits=Limits(seconds=seconds, memory=memory))
    out = {"texts": [b.text for b in doc.blocks], "warnings": doc.warnings}
except DocumentError as exc:
    out = {"error": str(exc)}
status = Path("/proc/self/status").read_text().split("VmHWM:")[1]
out["peak_mb"] = int(status.split()[0]) / 1024
out["reader_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def load_guarded(path: Path, seconds: float = 120.0, memory: int = 512 * MB) -> dict[str, Any]:
    """What load_document makes of `path`, read in a fresh process killed after GUARD seconds."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-c", LOAD, str(path), str(seconds), str(memory)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=GUARD)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path.name} still ran after {GUARD:.0f} s")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_page_whose_contents_refer_to_themselves_is_skipped_and_the_rest_is_read(tmp_path: Path) -> None:
    path = write(tmp_path / "cycle-contents.pdf", self_referencing_contents())
    assert len(path.read_bytes()) < 1200
    out = load_guarded(path)
    assert out.get("texts") == ["La deuxième page se lit normalement, elle."], out
    assert any("cycle-contents.pdf" in w and "object 11 refers only to itself" in w for w in out["warnings"]), out


def test_a_bookmark_pointing_at_a_self_reference_does_not_hang(tmp_path: Path) -> None:
    path = write(tmp_path / "cycle-outline.pdf", self_referencing_outline())
    out = load_guarded(path)
    assert out.get("texts") == ["Le texte de la page unique se lit malgré le signet."], out
    assert any("object 5 refers only to itself" in w for w in out["warnings"]), out


def test_a_2_mb_pdf_inflating_to_2_gb_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = write(tmp_path / "bombe.pdf", bomb(2 << 30))
    assert 1.5 * MB < path.stat().st_size < 2.5 * MB
    out = load_guarded(path)
    assert out.get("texts") == ["Après la bombe, une page de texte normal."], out
    assert any("bombe.pdf: page 1 skipped: its content inflates to more than 16 MB" in w for w in out["warnings"]), out
    assert out["peak_mb"] < 400 and out["reader_peak_mb"] < 400, out  # was 4.2 GB


def test_a_bomb_the_page_check_cannot_measure_stops_at_the_memory_limit(tmp_path: Path) -> None:
    """Hex-encoded before deflated: only the reader's memory limit stops it (here 128 MB)."""
    deflated = inflating_stream(1 << 30, b" ")
    body = binascii.hexlify(deflated[deflated.index(b"stream\n") + 7:deflated.rindex(b"\nendstream")]) + b">"
    hexed = b"<< /Length %d /Filter [/ASCIIHexDecode /FlateDecode] >>\nstream\n" % len(body) + body + b"\nendstream"
    first = stream(text_stream("Une première page se lit avant la bombe."))
    out = load_guarded(write(tmp_path / "hex.pdf", pages_pdf([first, hexed])), memory=128 * MB)
    assert out.get("texts") == ["Une première page se lit avant la bombe."], out
    assert any("hex.pdf: reading stopped inside page 2 of 2: it needs more memory than the limit of 128 MB per file"
               in w for w in out["warnings"]), out
    alone = load_guarded(write(tmp_path / "hex-seul.pdf", pages_pdf([hexed])), memory=128 * MB)
    assert "hex-seul.pdf: reading stopped: page 1: it needs more memory than the limit of 128 MB" in alone["error"], alone
    assert "hint:" in alone["error"] and alone["reader_peak_mb"] < 128 + alone["peak_mb"] + 50, alone


def test_a_page_that_takes_too_long_is_stopped_inside_the_page(tmp_path: Path) -> None:
    """12 MB of drawing operators (under the page check): pdfminer would parse them for half a minute."""
    path = write(tmp_path / "lent.pdf", pages_pdf([inflating_stream(12 * MB, b"0 0 m 1 1 l S\n")]))
    started = time.monotonic()
    out = load_guarded(path, seconds=2)
    assert "lent.pdf: reading stopped: page 1: it takes longer than the limit of 2 s per file" in out["error"], out
    assert time.monotonic() - started < 20


def test_markdown_that_makes_the_parser_quadratic_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    """5 MB of '[' kept markdown-it-py busy for over two minutes."""
    out = load_guarded(write(tmp_path / "crochets.md", b"[" * (5 * MB - 1)), seconds=2)
    assert "crochets.md: reading stopped: it takes longer than the limit of 2 s per file" in out["error"], out


def test_a_killed_build_leaves_no_reader_holding_the_build_lock(tmp_path: Path) -> None:
    """A build killed while its reader is busy: the lock is free at once (the reader closed its
    copy of the lock's descriptor, and dies with its parent)."""
    slow = write(tmp_path / "crochets.md", b"[" * (5 * MB - 1))
    script = ("import sys; from pathlib import Path; from indexer.writers import writer_lock; from indexer.loaders import load_document\n"
              "with writer_lock([], Path(sys.argv[1])):\n    print('locked', flush=True)\n    load_document(Path(sys.argv[2]))\n")
    build = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "index"), str(slow)], cwd=ROOT,
                             env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, text=True)
    try:
        assert build.stdout is not None and build.stdout.readline().strip() == "locked"
        time.sleep(1.0)  # the reader is now parsing
        with pytest.raises(IndexLockedError):
            with writer_lock([], tmp_path / "index"):
                pass
        build.send_signal(signal.SIGKILL)
        build.wait(timeout=GUARD)
        with writer_lock([], tmp_path / "index"):
            pass
    finally:
        build.kill()
        build.wait()
        build.stdout.close()  # type: ignore[union-attr]


def test_pages_of_a_single_line_are_text_not_running_heads(tmp_path: Path) -> None:
    sentences = [f"Phrase numéro {n} : le rapport avance d'un pas." for n in range(1, 51)]
    doc = load_document(write(tmp_path / "une-ligne.pdf", one_line_per_page(sentences)))
    assert [b.text for b in doc.blocks] == sentences and [b.page for b in doc.blocks] == list(range(1, 51))


def test_a_pdf_over_2000_pages_keeps_its_page_limit_warning(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path / "long.pdf", one_line_per_page([f"Ligne {n}." for n in range(1, 2002)])))
    assert len(doc.blocks) == 2000 and doc.blocks[-1].text == "Ligne 2000."
    assert doc.warnings == [f"{tmp_path / 'long.pdf'}: 2,001 pages; only the first 2,000 are indexed (the limit per file)"]


def _alias_bomb(levels: int = 7, bottom: str = "{clé: 1, clé: 2}") -> str:
    lines = [f"a0: &a0 {bottom}"]
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_a_catalogue_alias_bomb_is_refused_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "catalogue.yaml").write_text("documents: {}\n" + _alias_bomb(), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(DocumentError) as caught:
        load_catalogue(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'catalogue.yaml'}:7: cannot read the catalogue: aliases (*name) repeat "
                              "the node on line 7"), message
    assert "the limit is 100,000" in message and "hint: write the repeated values out" in message
    assert time.monotonic() - started < GUARD  # was 43 s and 903 MB for 5,380,840 warnings


def test_aliases_within_the_bound_still_work_and_duplicates_are_reported_once(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x", encoding="utf-8")
    (tmp_path / "catalogue.yaml").write_text(
        "defaut: &defaut {kind: rapport, licence: CC-BY}\n" + _alias_bomb(levels=3) +
        "documents:\n  a.md:\n    <<: *defaut\n    title: A\n", encoding="utf-8")
    catalogue = load_catalogue(tmp_path)
    assert catalogue.get("a.md") == {"kind": "rapport", "licence": "CC-BY", "title": "A"}
    assert catalogue.warnings == [f"{tmp_path / 'catalogue.yaml'}:2: key 'clé' is given twice (first on line 2); "
                                  "only the last one is used"]


def test_a_front_matter_alias_bomb_is_ignored_with_a_warning(tmp_path: Path) -> None:
    """Merge keys (<<) are expanded by PyYAML itself: 7 levels took 12.5 s per file."""
    lines = ["a0: &a0 {k: 1}"] + [f"a{n}: &a{n} {{<<: [" + ", ".join([f"*a{n - 1}"] * 9) + "]}" for n in range(1, 8)]
    text = "---\ntitle: Bombe\n" + "\n".join(lines) + "\n---\n\nUn paragraphe de texte ordinaire.\n"
    path = tmp_path / "bombe.md"
    path.write_text(text, encoding="utf-8")
    doc = load_document(path)
    assert doc.meta.title == "bombe" and [b.text for b in doc.blocks] == ["Un paragraphe de texte ordinaire."]
    assert doc.warnings == [f"{path}:8: front matter ignored: aliases (*name) repeat the node on line 8 until the "
                            "document stands for 18,160,343 nodes; the limit is 100,000 (write the values out instead "
                            "of nesting aliases)"]


def test_a_catalogue_nested_too_deeply_is_a_message_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "catalogue.yaml").write_text("documents: " + "[" * 500 + "]" * 500, encoding="utf-8")
    with pytest.raises(DocumentError, match="cannot read the catalogue: it is nested too deeply"):
        load_catalogue(tmp_path)  # was a RecursionError


def test_a_catalogue_too_slow_to_parse_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    """The catalogue is read under the same time limit as documents: 3.6 MB of flat entries take
    PyYAML well over 2 s on any machine, without the nesting that fails faster on a fast one."""
    entries = "".join(f"  f{n}.md: {{title: t}}\n" for n in range(150_000))
    (tmp_path / "catalogue.yaml").write_text("documents:\n" + entries, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(DocumentError) as caught:
        load_catalogue(tmp_path, Limits(seconds=2))
    # The alarm inside the reader says it (« reading stopped »); once, in the full suite, the
    # reader did not answer its alarm and the parent's kill 15 s later stopped it: bounded too.
    assert str(caught.value).startswith((f"{tmp_path / 'catalogue.yaml'}: reading stopped: it takes longer than the "
                                         "limit of 2 s per file", f"{tmp_path / 'catalogue.yaml'}: reading did not finish "
                                         "within 17 s")), str(caught.value)
    assert time.monotonic() - started < GUARD


def test_yaml_written_out_in_full_is_never_taken_for_an_alias_bomb() -> None:
    """Only what aliases add counts against the bound: 100,500 values written out load (a large
    catalogue is not a bomb), while the same count reached through one alias is refused."""
    from indexer.yamlbounds import AliasBombError, load_bounded

    assert len(load_bounded("[" + "a, " * 100_500 + "]")) == 100_500
    with pytest.raises(AliasBombError, match="the limit is 100,000"):
        load_bounded("x: &big [" + "a, " * 1_000 + "]\ny: [" + ", ".join(["*big"] * 101) + "]")

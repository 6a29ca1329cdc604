"""Operating the indexer as an operator would: files caught mid-save, symlinks and special
files, read-only and full disks, colliding names, catalogue mistakes, --verify and --force."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import indexer.build as build_module
from indexer.build import build_index
from kb.errors import KBError
from kb.storage.layout import current_build
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase

KB = str(Path(sys.executable).parent / "kb")
CHARTER = "charte-des-valeurs.md"


def _kb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KB, *args], capture_output=True, text=True, timeout=300)


def _doc_ids(root: Path) -> set[str]:
    return {d["id"] for d in KnowledgeBase(root).documents()}


def _ids_by_source(root: Path) -> dict[str, str]:
    return {d["source_file"]: d["id"] for d in KnowledgeBase(root).documents()}


# A file rewritten while the build reads it --------------------------------------------------


@pytest.mark.slow
def test_a_file_rewritten_during_builds_is_never_silently_lost(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    charter = corpus_copy / CHARTER
    text = charter.read_bytes()
    stop = threading.Event()

    def rewrite_in_a_loop() -> None:  # what an editor's save looks like: truncate, then write
        n = 0
        while not stop.is_set():
            with open(charter, "r+b") as fh:
                fh.truncate(0)
                fh.flush()
                time.sleep(0.002)
                fh.write(text + f"\nRévision {n % 3}.\n".encode())
            n += 1
            time.sleep(0.01)

    writer = threading.Thread(target=rewrite_in_a_loop)
    writer.start()
    try:
        for _ in range(6):
            report = build_index([corpus_copy], root)
            assert "charte-des-valeurs" in _doc_ids(root), (report.skipped, report.warnings)
            assert report.removed == []
    finally:
        stop.set()
        writer.join()
    charter.write_bytes(text + "\nRévision finale, après les sauvegardes.\n".encode())
    final = build_index([corpus_copy], root)
    assert not final.up_to_date
    assert search(KnowledgeBase(root), SearchRequest('"révision finale"')).to_json()["total"] == 1


def test_a_file_that_fails_now_keeps_its_indexed_version_with_a_warning(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    (corpus_copy / CHARTER).write_bytes(b"\x00binary now")
    report = build_index([corpus_copy], root)
    assert report.removed == [] and "charte-des-valeurs" in _doc_ids(root)
    assert any(CHARTER in w and "version indexed before is kept" in w for w in report.warnings)
    with pytest.raises(KBError, match="strict mode"):
        build_index([corpus_copy], root, strict=True)
    (corpus_copy / CHARTER).unlink()
    gone = build_index([corpus_copy], root)
    assert gone.removed == ["charte-des-valeurs"] and "charte-des-valeurs" not in _doc_ids(root)


def test_the_summary_names_removed_documents(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    assert _kb("index", "--corpus", str(corpus_copy), "--index", str(root), "-q").returncode == 0
    (corpus_copy / CHARTER).unlink()
    out = _kb("index", "--corpus", str(corpus_copy), "--index", str(root))  # not --quiet: its summary is read
    assert out.returncode == 0 and "retirés : 1" in out.stdout
    assert "documents retirés : charte-des-valeurs" in out.stdout


# Corpus boundaries ----------------------------------------------------------------------------


def test_a_symlink_out_of_the_corpus_is_not_followed(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "leak.txt").symlink_to("/etc/passwd")
    root = tmp_path / "idx"
    report = build_index([corpus_copy], root)
    assert any("leak.txt: symbolic link to /etc/passwd, outside the corpus folders" in w for w in report.warnings)
    assert "leak" not in _doc_ids(root)
    kb = KnowledgeBase(root)
    assert not any("root:x:0" in r["text"] for r in search(kb, SearchRequest("root bash")).to_json()["results"])
    followed = build_index([corpus_copy], tmp_path / "idx-follow", follow_symlinks=True)
    assert "leak" in _doc_ids(tmp_path / "idx-follow") and followed.documents == 4


def test_links_inside_the_corpus_and_special_files(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "alias.md").symlink_to(corpus_copy / CHARTER)  # same file twice: indexed once
    (corpus_copy / "ailleurs").symlink_to("/etc", target_is_directory=True)
    os.mkfifo(corpus_copy / "tube.md")  # reading a FIFO would block the build forever
    report = build_index([corpus_copy], tmp_path / "idx")
    assert report.documents == 3
    assert any("tube.md: not a regular file (a FIFO); skipped" in w for w in report.warnings)
    assert any("ailleurs: symbolic link to a folder (/etc); not followed" in w for w in report.warnings)


# Disks that refuse ----------------------------------------------------------------------------


@contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_read_only_index_gives_a_message_and_keeps_the_old_index(corpus_copy: Path, tmp_path: Path) -> None:
    with _tmpfs(tmp_path / "ro", "20m") as mount:
        root = mount / "idx"
        build_index([corpus_copy], root)
        good = current_build(root)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        (corpus_copy / "nouveau.md").write_text("# Nouveau\n\nUn passage de plus.\n", encoding="utf-8")
        out = _kb("index", "--corpus", str(corpus_copy), "--index", str(root), "-q")
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
        assert "cannot write the index under" in out.stderr and "read-only file system" in out.stderr
        assert "hint: build into a writable folder with --index" in out.stderr
        assert current_build(root) == good and search(KnowledgeBase(root), SearchRequest("surveillance")).to_json()["total"] > 0


def test_a_full_disk_says_how_much_space_a_build_needs(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with _tmpfs(tmp_path / "small", "20m") as mount:
        root = mount / "idx"
        build_index([corpus_copy], root)  # 1.03 MB
        good = current_build(root)
        with open(mount / "filler", "wb") as fh:  # leave 300 kB free: less than one copy of the index
            fh.write(b"\0" * (shutil.disk_usage(mount).free - 300_000))
        monkeypatch.setattr(build_module, "check_free_space", lambda *a: None)
        (corpus_copy / "nouveau.md").write_text("# Nouveau\n\nUn passage de plus.\n", encoding="utf-8")
        with pytest.raises(KBError, match="no space left on the device") as failed:  # the write itself fails
            build_index([corpus_copy], root)
        assert "twice the index size" in str(failed.value)
        monkeypatch.undo()
        out = _kb("index", "--corpus", str(corpus_copy), "--index", str(root), "-q")  # refused before any work
        assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
        needed = 2 * sum(f.stat().st_size for f in good.iterdir()) / 1e6
        assert "not enough free space under" in out.stderr and f"a build needs about {needed:.1f} MB (twice the current index)" in out.stderr
        assert current_build(root) == good and not any(p.name.endswith(".tmp") for p in (root / "builds").iterdir())
        assert search(KnowledgeBase(root), SearchRequest("surveillance")).to_json()["total"] > 0


# Stable ids and paths -------------------------------------------------------------------------


def test_colliding_names_keep_their_ids_across_fresh_and_incremental_builds(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "rapport-ete.md").write_text("# Rapport\n\nLe rapport de l'été, en minuscules.\n", encoding="utf-8")
    incremental = tmp_path / "incremental"
    build_index([corpus], incremental)
    (corpus / "Rapport Été.md").write_text("# Rapport\n\nLe rapport de l'été, avec accents.\n", encoding="utf-8")
    report = build_index([corpus], incremental)
    assert any("document id 'rapport-ete' is already used" in w for w in report.warnings)
    fresh = tmp_path / "fresh"
    build_index([corpus], fresh)
    assert _ids_by_source(incremental) == _ids_by_source(fresh) == {"Rapport Été.md": "rapport-ete", "rapport-ete.md": "rapport-ete-2"}
    assert build_index([corpus], incremental).up_to_date


def test_the_same_corpus_spelled_differently_is_not_reindexed(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    monkeypatch.chdir(corpus_copy.parent)
    assert build_index([Path("corpus")], root).up_to_date
    assert build_index([Path("./corpus/")], root).up_to_date
    assert build_index([Path("../" + corpus_copy.parent.name + "/corpus")], root).up_to_date


# Catalogue mistakes ---------------------------------------------------------------------------


def test_orphan_entries_and_duplicate_keys_are_warnings_that_fail_strict(corpus_copy: Path, tmp_path: Path) -> None:
    catalogue = corpus_copy / "catalogue.yaml"
    catalogue.write_text(
        catalogue.read_text(encoding="utf-8")
        + "\n  rapport-inexistant.md:\n    title: Nulle part\n"
        + "\n  charte-des-valeurs.md:\n    title: Deuxième entrée\n",
        encoding="utf-8",
    )
    report = build_index([corpus_copy], tmp_path / "idx")
    assert any("entry 'rapport-inexistant.md' names no file in" in w for w in report.warnings)
    assert any("key 'charte-des-valeurs.md' is given twice (first on line" in w for w in report.warnings)
    with pytest.raises(KBError, match="strict mode"):
        build_index([corpus_copy], tmp_path / "idx-strict", strict=True)
    assert current_build(tmp_path / "idx-strict") is None


# --verify and --force -------------------------------------------------------------------------


def test_verify_and_force(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    ok = _kb("index", "--index", str(root), "--verify")
    assert ok.returncode == 0 and "Index intact" in ok.stdout and "sommes de contrôle SHA-256 conformes" in ok.stdout
    segment = next(current_build(root).glob("*.seg"))  # type: ignore[union-attr]
    with open(segment, "r+b") as fh:  # same size, other bytes
        fh.seek(segment.stat().st_size // 2)
        fh.write(uuid.uuid4().bytes * 4)
    bad = _kb("index", "--index", str(root), "--verify")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert f"the index build {current_build(root).name} is damaged: {segment.name} does not match its checksum" in bad.stderr  # type: ignore[union-attr]
    repaired = build_index([corpus_copy], root)
    assert not repaired.up_to_date and any("damaged" in w and "rebuilding from scratch" in w for w in repaired.warnings)
    assert len(repaired.reindexed) == 3
    forced = build_index([corpus_copy], root, force=True)
    assert not forced.up_to_date and forced.reindexed == repaired.reindexed
    shutil.rmtree(current_build(root))  # type: ignore[arg-type]
    gone = _kb("index", "--index", str(root), "--verify")
    assert gone.returncode == 1 and "no index found" in gone.stderr


def test_a_file_restored_to_its_indexed_version_is_no_longer_reported(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    charter = corpus_copy / CHARTER
    good = charter.read_bytes()
    charter.write_bytes(b"")  # saved empty by mistake
    assert any("file is empty; the version indexed before is kept" in w for w in build_index([corpus_copy], root).warnings)
    charter.write_bytes(good)
    again = build_index([corpus_copy], root)
    assert not any(CHARTER in w for w in again.warnings + again.skipped) and "charte-des-valeurs" in _doc_ids(root)

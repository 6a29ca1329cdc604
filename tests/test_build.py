"""Index builds on disk: atomic switch, incremental rebuilds, lock, failures, bad files."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from indexer import writer as writer_module
from indexer.build import build_index
from indexer.writers import writer_lock
from kb.errors import IndexLockedError, KBError
from kb.storage.layout import BUILDS, current_build, read_manifest
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase


def _ids(root: Path, query: str) -> list[str]:
    return [r["id"] for r in search(KnowledgeBase(root), SearchRequest(query, limit=100, mode="lexical")).to_json()["results"]]


def test_build_writes_a_build_dir_and_points_current_at_it(corpus_index: Path) -> None:
    build = current_build(corpus_index)
    assert build is not None and build.parent.name == BUILDS
    assert os.path.islink(corpus_index / "current")
    manifest = read_manifest(build)
    docs = {f["doc_id"]: f["document"] for f in manifest["files"].values()}
    assert set(docs) == {"passez-a-l-action", "charte-des-valeurs", "amnesty-ia-droits-humains"}
    assert docs["amnesty-ia-droits-humains"]["publisher"] == "Amnesty International France"
    assert docs["amnesty-ia-droits-humains"]["title"].startswith("Sommet mondial pour l'action sur l'IA")
    assert sum(d["passages"] for d in docs.values()) == KnowledgeBase(corpus_index).stats()["passages"]


def test_unchanged_rebuild_is_a_no_op(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    first = build_index([corpus_copy], root)
    again = build_index([corpus_copy], root)
    assert again.up_to_date and not first.up_to_date
    assert current_build(root) == first.index_path
    assert (again.documents, again.passages, again.words) == (first.documents, first.passages, first.words)


def test_incremental_rebuild_reindexes_only_the_changed_file(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    first = build_index([corpus_copy], root)
    charter = corpus_copy / "charte-des-valeurs.md"
    charter.write_text(charter.read_text(encoding="utf-8") + "\n9. Pause IA défend la permaculture numérique.\n", encoding="utf-8")
    second = build_index([corpus_copy], root)
    assert second.reindexed == ["charte-des-valeurs"]
    assert second.passages == first.passages + 1
    assert _ids(root, "permaculture") == ["charte-des-valeurs/nos-valeurs-10"]
    assert "amnesty-ia-droits-humains/1-surveillance-generalisee-et-discriminatoire-3" in _ids(root, "reconnaissance faciale")
    # The previous build stays on disk for readers that still hold it; older ones are removed.
    assert first.index_path.exists() and len(list((root / BUILDS).iterdir())) == 2
    (corpus_copy / "charte-des-valeurs.md").unlink()
    third = build_index([corpus_copy], root)
    assert third.removed == ["charte-des-valeurs"] and _ids(root, "permaculture") == []
    assert not first.index_path.exists()


def test_failed_build_leaves_the_current_index_intact(corpus_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "idx"
    good = build_index([corpus_copy], root)
    (corpus_copy / "nouveau.md").write_text("# Nouveau\n\nUn passage sur la biométrie des foules.\n", encoding="utf-8")

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer_module, "_fields", explode)
    with pytest.raises(RuntimeError):
        build_index([corpus_copy], root)
    assert current_build(root) == good.index_path
    assert [p.name for p in (root / BUILDS).iterdir()] == [good.index_path.name]  # no half-built directory left
    assert _ids(root, "reconnaissance faciale")
    monkeypatch.undo()
    fixed = build_index([corpus_copy], root)
    assert fixed.reindexed == ["nouveau"] and _ids(root, "biométrie foules")


def test_interrupted_build_leftovers_are_cleaned(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    build_index([corpus_copy], root)
    leftover = root / BUILDS / "20000101T000000-1-1.tmp"
    leftover.mkdir()
    (leftover / "junk").write_text("half a segment")
    (corpus_copy / "charte-des-valeurs.md").write_text("# Charte\n\nUne charte toute neuve et complète.\n", encoding="utf-8")
    build_index([corpus_copy], root)
    assert not leftover.exists()


def test_a_build_refused_by_another_writer_changes_nothing_and_one_under_our_own_lock_runs(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:  # another writer: flock excludes another thread's open file as well
        with writer_lock([corpus_copy], root):
            taken.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert taken.wait(60)
        with pytest.raises(IndexLockedError, match=r"another writer \(pid \d+ : .*\) is working on .*nothing was changed"):
            build_index([corpus_copy], root, wait=0.3)
        assert current_build(root) is None
    finally:
        release.set()
        holder.join()
    with writer_lock([corpus_copy], root):  # what `kb add` does: hold the locks, then build
        assert build_index([corpus_copy], root).documents == 3


def test_bad_files_are_skipped_counted_and_remembered(corpus_copy: Path, tmp_path: Path) -> None:
    (corpus_copy / "vide.md").write_bytes(b"")
    (corpus_copy / "binaire.txt").write_bytes(b"\x00\x01\x02")
    (corpus_copy / "image.png").write_bytes(b"\x89PNG")
    (corpus_copy / "latin1.md").write_bytes("# Titre\n\nDonnées personnelles et vie privée.\n".encode("latin-1"))
    (corpus_copy / "boucle").symlink_to(corpus_copy / "boucle")
    root = tmp_path / "idx"
    report = build_index([corpus_copy], root)
    assert report.documents == 4  # the three documents and the latin-1 one
    assert len(report.skipped) == 3
    assert any("vide.md: file is empty" in s for s in report.skipped)
    assert any("image.png: unsupported file type" in s for s in report.skipped)
    assert any("latin1.md:3: not valid UTF-8" in w for w in report.warnings)
    assert any("boucle" in w for w in report.warnings)
    assert _ids(root, "vie privée")
    again = build_index([corpus_copy], root)
    assert again.up_to_date and len(again.skipped) == 3


def test_strict_mode_keeps_the_old_index(corpus_copy: Path, tmp_path: Path) -> None:
    root = tmp_path / "idx"
    good = build_index([corpus_copy], root)
    (corpus_copy / "vide.md").write_bytes(b"")
    with pytest.raises(KBError, match="strict mode"):
        build_index([corpus_copy], root, strict=True)
    assert current_build(root) == good.index_path


def test_duplicate_document_ids_are_renamed_with_a_warning(corpus_copy: Path, tmp_path: Path) -> None:
    sub = corpus_copy / "autre"
    sub.mkdir()
    # Files of the same name in subfolders get distinct ids from their relative path...
    (sub / "charte-des-valeurs.md").write_text("# Autre charte\n\nUne autre charte, d'une autre association.\n", encoding="utf-8")
    # ...and an id claimed twice (here by front matter) is made unique, with a warning.
    (sub / "copie.md").write_text("---\nslug: charte-des-valeurs\n---\n\nUne copie de la charte, sous un autre nom.\n", encoding="utf-8")
    report = build_index([corpus_copy], tmp_path / "idx")
    assert any("document id 'charte-des-valeurs' is already used" in w for w in report.warnings)
    assert report.documents == 5
    docs = {d["id"] for d in KnowledgeBase(tmp_path / "idx").documents()}
    assert {"autre-charte-des-valeurs", "charte-des-valeurs", "charte-des-valeurs-2"} <= docs


def test_files_are_read_two_at_a_time_and_recorded_in_order(corpus_copy: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file is read in its own child process; two readers run at once, and what they read
    (documents, warnings, failures) is recorded in the same order as one reader would."""
    from indexer import changes

    (corpus_copy / "vide.md").write_text("", encoding="utf-8")  # fails: recorded in its place
    for n in range(6):
        (corpus_copy / f"note-{n}.md").write_text(f"# Note {n}\n\nLa surveillance de masse, note {n}.\n", encoding="utf-8")
    load = changes.load_document
    running, most = [0], [0]
    lock = threading.Lock()

    def counted(*args: object, **kwargs: object) -> object:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        try:
            threading.Event().wait(0.2)  # long enough for the other reader to start
            return load(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(changes, "load_document", counted)
    two = build_index([corpus_copy], tmp_path / "two", semantic=False)
    assert most[0] == changes.READERS == 2
    monkeypatch.setattr(changes, "READERS", 1)
    one = build_index([corpus_copy], tmp_path / "one", semantic=False)
    assert (two.warnings, two.skipped, two.reindexed) == (one.warnings, one.skipped, one.reindexed)
    assert len(two.skipped) == 1 and "vide.md" in two.skipped[0]
    files = [read_manifest(current_build(root))["files"] for root in (tmp_path / "two", tmp_path / "one")]  # type: ignore[arg-type]
    assert files[0] == files[1]

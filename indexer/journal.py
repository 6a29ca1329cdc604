"""Interrupted `kb add` and `kb remove` are finished or undone by the next writer, never left
half-done. Before changing a corpus folder, a writer records its intent in `.kb-journal.json`
there (which file, its hidden temporary name, the SHA-256 of its bytes, its catalogue entry). An
addition writes the bytes to the hidden name, syncs them, then marks the intent committed: from
there on it is rolled forward (catalogue entry, then a rename that never replaces a file), before
that it is rolled back. A removal is committed as soon as it is recorded. The next writer to take
the folder's lock (indexer/writers.py) settles what it finds, and says so.

Tests kill a writer at a named step: with `KB_FAULT_AT=step` in its environment the process
sends itself SIGKILL when it reaches `checkpoint(step)`, with `KB_FAULT_AT=step:stop` SIGSTOP (a
test resumes it with SIGCONT). Unset, as in production, a checkpoint does nothing. Steps: `copy`
(half the bytes written), `temp` (whole copy, not committed), `catalogue` (entry written),
`rename` (file in place), `remove` (entry dropped, file still there), `build` (inside the build,
under the locks, before the new index is written).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
from dataclasses import asdict, dataclass, field
from pathlib import Path

from indexer.catalogue_edit import TEMP_PREFIX, catalogue_entry, drop_entry, fsync_dir, set_entry, write_replacing
from kb.errors import KBError

JOURNAL = ".kb-journal.json"
FAULT_ENV = "KB_FAULT_AT"
CHUNK = 1 << 18  # 256 KiB: bytes written (and hashed) per system call


def checkpoint(step: str) -> None:
    """Test hook: stop or kill this process at `step` when $KB_FAULT_AT names it; else nothing."""
    wanted = os.environ.get(FAULT_ENV)
    if wanted and wanted.split(":")[0] == step:
        os.kill(os.getpid(), signal.SIGSTOP if wanted.endswith(":stop") else signal.SIGKILL)


@dataclass
class Intent:
    """What a writer is about to do in one corpus folder."""

    op: str  # "add" or "remove"
    name: str  # the document's file name in the folder
    doc_id: str
    sha256: str  # of the file's bytes
    entry: dict[str, str] = field(default_factory=dict)  # add: the catalogue entry to write
    temp: str = ""  # add: the hidden name the bytes are written to first
    committed: bool = False  # add: the hidden copy is whole; from now on, roll forward
    command: str = ""  # the command that does it again, for a message when it is undone


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def file_digest(path: Path) -> str | None:
    """SHA-256 of a file's bytes, None when it is not there."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while block := fh.read(CHUNK):
                h.update(block)
    except FileNotFoundError:
        return None
    return h.hexdigest()


def write_journal(folder: Path, intent: Intent) -> None:
    """Record `intent` durably (whole or not at all) before the change it describes."""
    write_replacing(folder / JOURNAL, lambda fh: json.dump(asdict(intent), fh, ensure_ascii=False), suffix=".json")


def clear_journal(folder: Path) -> None:
    (folder / JOURNAL).unlink(missing_ok=True)
    fsync_dir(folder)


def read_journal(folder: Path) -> Intent | None:
    path = folder / JOURNAL
    try:
        return Intent(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise KBError(f"{path}: cannot read the record of an interrupted `kb add` or `kb remove` ({exc})",
                      hint=f"check the corpus folder by hand (catalogue.yaml, files named {TEMP_PREFIX}*), then delete {path}") from exc


def write_new(path: Path, raw: bytes) -> None:
    """Create `path` (it must not exist) holding `raw`, synced to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(raw)
        for start in range(0, len(raw), CHUNK):
            os.write(fd, view[start:start + CHUNK])
            if start + CHUNK < len(raw):
                os.fsync(fd)
                checkpoint("copy")
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


class Conflict(Exception):
    """The target name holds other bytes than the ones being added."""


def finish_add(folder: Path, intent: Intent) -> None:
    """Roll a committed addition forward (idempotent): catalogue entry, then the file in place."""
    target, temp = folder / intent.name, folder / intent.temp
    in_place = file_digest(target)
    if (in_place is not None and in_place != intent.sha256) or (in_place is None and not temp.exists()):
        raise Conflict(target)  # another file took the name, or the bytes are gone
    if catalogue_entry(folder, intent.name) != intent.entry:
        set_entry(folder, intent.name, intent.entry)
    checkpoint("catalogue")
    if in_place is None:
        _link_without_replacing(temp, target)
    temp.unlink(missing_ok=True)
    fsync_dir(folder)
    checkpoint("rename")


def _link_without_replacing(temp: Path, target: Path) -> None:
    """Give `temp`'s file the name `target` too, failing rather than replacing another file."""
    try:
        os.link(temp, target)
    except FileExistsError:
        raise Conflict(target) from None
    except OSError:  # no hard links on this file system: check, then rename (under the lock)
        if target.exists():
            raise Conflict(target) from None
        os.rename(temp, target)


def finish_remove(folder: Path, intent: Intent) -> bool:
    """Roll a removal forward (idempotent); False when the file was replaced by other bytes."""
    drop_entry(folder, intent.name)
    checkpoint("remove")
    target = folder / intent.name
    if target.exists() and file_digest(target) != intent.sha256:
        return False
    target.unlink(missing_ok=True)
    fsync_dir(folder)
    return True


def recover(folder: Path) -> list[str]:
    """Settle what an interrupted writer left in `folder` (the caller holds its lock): the
    messages say what was done and what to run."""
    intent = read_journal(folder)
    messages = [] if intent is None else [_settle(folder, intent)]
    if intent is not None:
        clear_journal(folder)
    for leftover in folder.glob(f"{TEMP_PREFIX}*"):
        leftover.unlink(missing_ok=True)  # a temporary copy or catalogue no journal needs any more
    return messages


def _settle(folder: Path, intent: Intent) -> str:
    if intent.op == "remove":
        if finish_remove(folder, intent):
            return (f"Un `kb remove` interrompu a été terminé : {intent.doc_id} ({intent.name}) est retiré du corpus "
                    "et du catalogue ; la prochaine construction (`kb index`) le retire de l'index.")
        return (f"Un `kb remove` interrompu n'a pas retiré {intent.name} : le fichier a changé depuis ; "
                f"pour le retirer : kb remove {intent.doc_id}")
    if intent.committed:
        try:
            finish_add(folder, intent)
        except Conflict:
            pass
        else:
            return (f"Un `kb add` interrompu a été terminé : {intent.name} (document {intent.doc_id}) est dans le corpus "
                    "avec sa fiche du catalogue ; la prochaine construction (`kb index`) l'indexe.")
        if catalogue_entry(folder, intent.name) == intent.entry and file_digest(folder / intent.name) != intent.sha256:
            drop_entry(folder, intent.name)
    (folder / intent.temp).unlink(missing_ok=True)
    return (f"Un `kb add` interrompu a été annulé ({intent.name} n'a pas été ajouté) : rien n'a changé dans le corpus ; "
            f"pour ajouter ce document : {intent.command}")

"""Writers in parallel and writers killed: real `kb add`, `kb remove` and `kb index` processes
started together, or stopped and killed at named steps (KB_FAULT_AT, indexer/journal.py), on a
small corpus of Markdown files and an index without vectors (each process costs seconds)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from indexer.adding import apply_add, plan_add
from indexer.build import build_index
from kb.search import SearchRequest, search
from kb.storage.store import KnowledgeBase

KB = str(Path(sys.executable).parent / "kb")
TIMEOUT = 120  # guards against a hang only
CATALOGUE_HEAD = "# Catalogue du corpus de test : ce commentaire doit rester.\ndocuments:\n"


@dataclass
class Site:
    corpus: Path
    index: Path
    env: dict[str, str]
    inbox: Path

    def args(self) -> list[str]:
        return ["--corpus", str(self.corpus), "--index", str(self.index)]


class Proc:
    """A `kb` process whose output is read as it comes (to see a message while it waits)."""

    def __init__(self, site: Site, *args: str, fault: str | None = None) -> None:
        env = dict(site.env, **({"KB_FAULT_AT": fault} if fault else {}))
        self.popen = subprocess.Popen([KB, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(s, lines), daemon=True)
                         for s, lines in ((self.popen.stdout, self.out), (self.popen.stderr, self.err))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.append(line)

    def finish(self) -> int:
        code = self.popen.wait(timeout=TIMEOUT)
        for reader in self._readers:
            reader.join(TIMEOUT)
        self.popen.stdout.close()  # type: ignore[union-attr]
        self.popen.stderr.close()  # type: ignore[union-attr]
        return code

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)

    def wait_for_stderr(self, text: str) -> None:
        deadline = time.monotonic() + TIMEOUT
        while text not in self.stderr:
            assert self.popen.poll() is None, f"exited {self.popen.returncode} before saying {text!r}: {self.stdout}{self.stderr}"
            assert time.monotonic() < deadline, f"never said {text!r}: {self.stderr}"
            time.sleep(0.05)

    def wait_stopped(self) -> None:
        """Until the process stopped itself at its KB_FAULT_AT step (state T)."""
        deadline = time.monotonic() + TIMEOUT
        while Path(f"/proc/{self.popen.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "T":
            assert self.popen.poll() is None, f"exited {self.popen.returncode} before its step: {self.stdout}{self.stderr}"
            assert time.monotonic() < deadline, "never reached its step"
            time.sleep(0.05)


def _write(folder: Path, name: str, title: str, body: str) -> Path:
    path = folder / name
    path.write_text(f"---\ntitle: {title}\n---\n# {title}\n\n{body}\n", encoding="utf-8")
    return path


def _make_site(folder: Path, *, guide: bool = True) -> Site:
    corpus, inbox = folder / "corpus", folder / "inbox"
    corpus.mkdir(parents=True)
    inbox.mkdir()
    _write(corpus, "charte.md", "Charte", "Une charte sur la surveillance et les droits humains.")
    if guide:
        _write(corpus, "guide.md", "Guide", "Un guide sur la reconnaissance faciale dans l'espace public.")
    (corpus / "catalogue.yaml").write_text(CATALOGUE_HEAD + "  charte.md:\n    publisher: Collectif\n", encoding="utf-8")
    index = folder / "index"
    build_index([corpus], index, semantic=False)  # no vectors: `kb add` keeps the index's mode, and stays cheap
    env = {k: v for k, v in os.environ.items() if k not in ("KB_FAULT_AT", "KB_WRITER_WAIT", "KB_CORPUS", "KB_INDEX")}
    return Site(corpus, index, dict(env, KB_CACHE_DIR=str(folder / "cache")), inbox)


@pytest.fixture()
def site(tmp_path: Path) -> Site:
    return _make_site(tmp_path)


def _entries(site: Site) -> dict[str, dict[str, str]]:
    text = (site.corpus / "catalogue.yaml").read_text(encoding="utf-8")
    assert text.startswith(CATALOGUE_HEAD.split("\n")[0])  # its comments kept
    return yaml.safe_load(text)["documents"]


def _visible(site: Site) -> set[str]:
    return {p.name for p in site.corpus.iterdir() if not p.name.startswith(".")} - {"catalogue.yaml"}


def _indexed(site: Site) -> dict[str, dict[str, str]]:
    return {d["id"]: d for d in KnowledgeBase(site.index).documents()}


def _hits(site: Site, phrase: str) -> int:
    return int(search(KnowledgeBase(site.index), SearchRequest(f'"{phrase}"', mode="lexical")).to_json()["total"])


# Two writers, one name -------------------------------------------------------------------------


def test_two_plans_for_one_title_applied_in_turn_keep_both_documents(site: Site) -> None:
    a = _write(site.inbox, "a.md", "Rapport commun", "Le texte propre au document A.")
    b = _write(site.inbox, "b.md", "Rapport commun", "Le texte propre au document B.")
    pa, pb = plan_add(a, site.corpus, {"publisher": "Éditeur A"}), plan_add(b, site.corpus, {"publisher": "Éditeur B"})
    assert pa.target == pb.target  # a preview cannot know what the other will take
    done_a, done_b = apply_add(pa), apply_add(pb)
    assert (done_a.target.name, done_b.target.name) == ("rapport-commun.md", "rapport-commun-2.md")
    assert done_a.target.read_bytes() == a.read_bytes() and done_b.target.read_bytes() == b.read_bytes()
    entries = _entries(site)
    assert entries["rapport-commun.md"] == {"id": "rapport-commun", "publisher": "Éditeur A"}
    assert entries["rapport-commun-2.md"] == {"id": "rapport-commun-2", "publisher": "Éditeur B"}
    assert not [p for p in site.corpus.iterdir() if p.name.startswith(".kb-tmp-") or p.name == ".kb-journal.json"]


def test_two_kb_add_of_one_title_started_together_keep_both(site: Site) -> None:
    a = _write(site.inbox, "a.md", "Rapport commun", "Le texte propre au document A.")
    b = _write(site.inbox, "b.md", "Rapport commun", "Le texte propre au document B.")
    procs = [Proc(site, "add", str(p), *site.args(), "--publisher", f"Éditeur {p.stem}") for p in (a, b)]
    for proc in procs:
        assert proc.finish() == 0, proc.stdout + proc.stderr
    assert "another" not in "".join(p.stderr for p in procs)
    names = {"rapport-commun.md", "rapport-commun-2.md"}
    assert _visible(site) == {"charte.md", "guide.md"} | names
    assert sorted((site.corpus / n).read_bytes() for n in names) == sorted([a.read_bytes(), b.read_bytes()])
    entries = _entries(site)
    by_text = {(site.corpus / n).read_text(encoding="utf-8").split("document ")[1][0]: entries[n]["publisher"] for n in names}
    assert by_text == {"A": "Éditeur a", "B": "Éditeur b"}  # each entry beside its own file
    assert set(_indexed(site)) == {"charte", "guide", "rapport-commun", "rapport-commun-2"}
    assert _hits(site, "propre au document A") == 1 and _hits(site, "propre au document B") == 1


def test_four_kb_add_started_together_keep_four_files_and_four_entries(site: Site) -> None:
    files = [_write(site.inbox, f"n{n}.md", f"Note numéro {n}", f"Le contenu singulier de la note {n}.") for n in range(4)]
    procs = [Proc(site, "add", str(p), *site.args(), "--publisher", f"Éditeur {n}", "--url", f"https://exemple.org/{n}")
             for n, p in enumerate(files)]
    codes = [proc.finish() for proc in procs]
    assert codes == [0, 0, 0, 0], [p.stdout + p.stderr for p in procs]
    entries = _entries(site)
    for n, source in enumerate(files):
        name = f"note-numero-{n}.md"
        assert (site.corpus / name).read_bytes() == source.read_bytes()
        assert entries[name] == {"id": f"note-numero-{n}", "publisher": f"Éditeur {n}", "url": f"https://exemple.org/{n}"}
        indexed = _indexed(site)[f"note-numero-{n}"]
        assert (indexed["publisher"], indexed["url"]) == (f"Éditeur {n}", f"https://exemple.org/{n}")
    assert len(_visible(site)) == 6 and len(entries) == 5


# A writer that waits its turn ------------------------------------------------------------------


def test_kb_add_while_kb_index_holds_the_lock_waits_then_succeeds(site: Site) -> None:
    _write(site.corpus, "ajout-a-la-main.md", "Ajout à la main", "Un fichier déposé à la main dans le corpus.")
    builder = Proc(site, "index", *site.args(), "-q", fault="build:stop")
    builder.wait_stopped()  # inside the build, holding the locks
    source = _write(site.inbox, "nouveau.md", "Nouveau rapport", "Un rapport arrivé pendant la construction.")
    adder = Proc(site, "add", str(source), *site.args(), "--publisher", "Éditeur patient")
    adder.wait_for_stderr(f"En attente d'un autre processus qui écrit dans {site.index} (pid {builder.popen.pid} : kb index")
    assert "nouveau-rapport.md" not in _visible(site) and "nouveau-rapport.md" not in _entries(site)  # nothing before its turn
    builder.popen.send_signal(signal.SIGCONT)
    assert builder.finish() == 0, builder.stderr
    assert adder.finish() == 0, adder.stdout + adder.stderr
    assert adder.stderr.count("En attente") == 1 and "Index construit : 4 documents" in adder.stdout
    assert _indexed(site)["nouveau-rapport"]["publisher"] == "Éditeur patient"
    assert {"ajout-a-la-main", "nouveau-rapport"} <= set(_indexed(site))


def test_kb_remove_during_a_build_refuses_or_waits_and_never_says_retire_before_it_is_done(site: Site) -> None:
    _write(site.corpus, "ajout-a-la-main.md", "Ajout à la main", "Un fichier déposé à la main dans le corpus.")
    builder = Proc(site, "index", *site.args(), "-q", fault="build:stop")
    builder.wait_stopped()
    catalogue = (site.corpus / "catalogue.yaml").read_bytes()
    refused = Proc(site, "remove", "charte", *site.args(), "--wait", "0")
    assert refused.finish() == 1
    assert "Retiré" not in refused.stdout and "Traceback" not in refused.stderr
    assert f"another writer (pid {builder.popen.pid} : kb index" in refused.stderr and "nothing was changed" in refused.stderr
    assert "charte.md" in _visible(site) and (site.corpus / "catalogue.yaml").read_bytes() == catalogue
    remover = Proc(site, "remove", "charte", *site.args())
    remover.wait_for_stderr("En attente d'un autre processus")
    assert remover.stdout == "" and "charte.md" in _visible(site)
    builder.popen.send_signal(signal.SIGCONT)
    assert builder.finish() == 0, builder.stderr
    assert remover.finish() == 0, remover.stdout + remover.stderr
    assert remover.stdout.startswith("Retiré : charte (charte.md)\nIndex construit : 2 documents")
    assert "charte.md" not in _visible(site) and "charte.md" not in _entries(site)
    assert set(_indexed(site)) == {"guide", "ajout-a-la-main"}


# A writer killed at each step ------------------------------------------------------------------

BIG_END = "Fin du gros rapport, dernière phrase."


def _big_html(folder: Path) -> Path:
    """300 kB (more than one 256 KiB chunk of the copy), most of it a comment: the copy is cut in
    the middle, the build stays cheap."""
    path = folder / "gros.html"
    path.write_text("<html><head><title>Gros rapport</title></head><body><h1>Gros rapport</h1>"
                    "<p>Début du gros rapport sur la surveillance.</p><!-- " + "x" * 300_000 + f" --><p>{BIG_END}</p></body></html>",
                    encoding="utf-8")
    return path


def _leftovers(site: Site) -> list[str]:
    return sorted(p.name for p in site.corpus.iterdir() if p.name.startswith(".kb-tmp-") or p.name == ".kb-journal.json")


def test_kb_add_killed_at_each_step_is_finished_by_kb_index_or_a_rerun(tmp_path: Path) -> None:
    steps = ("copy", "temp", "catalogue", "rename", "build")
    sites = {step: _make_site(tmp_path / step, guide=False) for step in steps}
    sources = {step: _big_html(sites[step].inbox) if step == "copy" else
               _write(sites[step].inbox, "gros.md", "Gros rapport", f"Début du gros rapport sur la surveillance.\n\n{BIG_END}")
               for step in steps}
    name = {step: f"gros-rapport{sources[step].suffix}" for step in steps}
    fields = ["--publisher", "Observatoire", "--url", "https://exemple.org/gros"]

    def add(step: str, fault: str | None = None) -> Proc:
        return Proc(sites[step], "add", str(sources[step]), *sites[step].args(), *fields, fault=fault)

    killed = {step: add(step, fault=step) for step in steps}
    for step, proc in killed.items():
        assert proc.finish() == -signal.SIGKILL, (step, proc.stdout, proc.stderr)
    # Before the commit point nothing shows; after it, the journal says what to finish.
    for step in ("copy", "temp"):
        assert _visible(sites[step]) == {"charte.md"} and list(_entries(sites[step])) == ["charte.md"]
    partial = [p for p in sites["copy"].corpus.iterdir() if p.name.startswith(".kb-tmp-add-")]
    assert len(partial) == 1 and 0 < partial[0].stat().st_size < sources["copy"].stat().st_size  # cut mid-copy, hidden
    assert _visible(sites["catalogue"]) == {"charte.md"} and "gros-rapport.md" in _entries(sites["catalogue"])
    assert _visible(sites["rename"]) == {"charte.md", "gros-rapport.md"}
    assert _leftovers(sites["build"]) == [] and "gros-rapport.md" in _visible(sites["build"])
    assert set(_indexed(sites["build"])) == {"charte"}  # killed inside the build: the index as it was

    # `kb index` (here as the library call it makes: same locks, same recovery) finishes what was committed.
    for step in ("catalogue", "rename"):
        said: list[str] = []
        build_index([sites[step].corpus], sites[step].index, semantic=False, notify=said.append)
        assert said == ["Un `kb add` interrompu a été terminé : gros-rapport.md (document gros-rapport) est dans le corpus "
                        "avec sa fiche du catalogue ; la prochaine construction (`kb index`) l'indexe."]
    second = {"copy": Proc(sites["copy"], "index", *sites["copy"].args(), "-q"), "temp": add("temp"), "build": add("build")}
    codes = {step: proc.finish() for step, proc in second.items()}
    assert codes == {"copy": 0, "temp": 0, "build": 1}, {s: p.stdout + p.stderr for s, p in second.items()}
    undone = " n'a pas été ajouté) : rien n'a changé dans le corpus ; pour ajouter ce document : "
    assert f"Un `kb add` interrompu a été annulé (gros-rapport.html{undone}" in second["copy"].stderr
    assert f"Un `kb add` interrompu a été annulé (gros-rapport.md{undone}" in second["temp"].stderr
    refusal = second["build"].stderr
    assert "is already in the corpus: document 'gros-rapport' (gros-rapport.md), not yet in the index" in refusal
    assert f"hint: run `kb index --corpus {sites['build'].corpus} --index {sites['build'].index}` to index it" in refusal

    rerun = second["copy"].stderr.split(undone)[1].splitlines()[0]  # the very command the message gives
    assert rerun.startswith("kb add ")
    assert rerun == shlex.join(["kb", "add", str(sources["copy"]), *fields, *sites["copy"].args()])
    again = Proc(sites["copy"], *shlex.split(rerun)[1:])
    build_index([sites["build"].corpus], sites["build"].index, semantic=False)
    assert again.finish() == 0, again.stdout + again.stderr

    for step, site in sites.items():
        assert _visible(site) == {"charte.md", name[step]} and _leftovers(site) == [], step
        assert (site.corpus / name[step]).read_bytes() == sources[step].read_bytes(), step
        assert _entries(site)[name[step]] == {"id": "gros-rapport", "publisher": "Observatoire", "url": "https://exemple.org/gros"}
        indexed = _indexed(site)
        assert set(indexed) == {"charte", "gros-rapport"}, step
        assert (indexed["gros-rapport"]["publisher"], indexed["gros-rapport"]["url"]) == ("Observatoire", "https://exemple.org/gros")
        assert _hits(site, "dernière phrase") == 1, step  # the whole file, indexed once


def test_kb_remove_killed_between_catalogue_and_file_is_finished_by_the_next_build(site: Site) -> None:
    killed = Proc(site, "remove", "charte", *site.args(), fault="remove")
    assert killed.finish() == -signal.SIGKILL and "Retiré" not in killed.stdout
    assert "charte.md" in _visible(site) and "charte.md" not in _entries(site) and _leftovers(site) == [".kb-journal.json"]
    said: list[str] = []
    report = build_index([site.corpus], site.index, semantic=False, notify=said.append)  # what `kb index` runs
    assert said == ["Un `kb remove` interrompu a été terminé : charte (charte.md) est retiré du corpus et du catalogue ; "
                    "la prochaine construction (`kb index`) le retire de l'index."]
    assert report.removed == ["charte"] and set(_indexed(site)) == {"guide"}
    assert _visible(site) == {"guide.md"} and _leftovers(site) == []

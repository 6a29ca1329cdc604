"""Adding a document to the corpus and taking one out, without editing YAML by hand: the file is
copied under a readable name and its catalogue entry written with a round-trip YAML library,
so the catalogue keeps its comments and order. Both happen under the folder's writer lock
(indexer/writers.py), recorded first in its journal (indexer/journal.py): a name is chosen and
checked under the lock, never overwrites a file, and an interrupted change is finished or undone
by the next writer."""

from __future__ import annotations

import os
import secrets
import shlex
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from indexer.catalogue import Catalogue, document_id, load_catalogue
from indexer.catalogue_edit import TEMP_PREFIX
from indexer.journal import (Conflict, Intent, checkpoint, clear_journal, digest, file_digest, finish_add, finish_remove, recover,
                             write_journal, write_new)
from indexer.loaders import load_document
from indexer.loaders.frontmatter import split_front_matter
from indexer.loaders.source import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, read_file_once, read_source, sniff_format
from indexer.passages import make_passages
from indexer.sources import content_hash
from indexer.text import slugify
from indexer.writers import Notify, writer_lock
from kb.errors import AlreadyInCorpusError, DocumentError, KBError
from kb.models import LoadedDocument, Passage
from kb.storage.layout import current_build, read_manifest

# The command-line option that gives each field, to say how to run an undone `kb add` again.
OPTIONS = {"title": "--title", "publisher": "--publisher", "date": "--date", "url": "--url", "licence": "--licence",
           "kind": "--kind", "language": "--lang"}
SHOWN_SECTIONS = 15  # a plan lists this many sections at most, then says how many more


@dataclass
class AddPlan:
    """What `kb add` would do: the file, where it goes, its entry, and what the loader read."""

    source: Path
    target: Path
    entry: dict[str, str]
    document: LoadedDocument
    passages: list[Passage]
    categories: Counter[str] = field(default_factory=Counter)
    raw: bytes = b""  # the bytes read and shown: the very ones copied into the corpus
    given: dict[str, str] = field(default_factory=dict)  # the fields given on the command line


def corpus_documents(corpus: Path, catalogue: Catalogue | None = None) -> dict[str, Path]:
    """Each document id of `corpus` (as `catalogue`, read from `corpus` if not given, or the
    file name gives it) → its file."""
    catalogue = catalogue or load_catalogue(corpus)
    out: dict[str, Path] = {}
    for path in sorted(corpus.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SUPPORTED_SUFFIXES:
            out[document_id(path, catalogue.get(path.name), _front_matter(path))] = path
    return out


def _front_matter(path: Path) -> dict[str, str]:
    """The front matter of a file the build reads as Markdown (its id may come from there)."""
    try:
        source = read_source(path)
    except DocumentError:
        return {}  # a file the build skips has no id to find
    return split_front_matter(source.text, str(path)).fields if sniff_format(source) == "markdown" else {}


def plan_add(source: Path, corpus: Path, fields: dict[str, str | None], *, check_duplicates: bool = True) -> AddPlan:
    """Read `source` as the build would, refuse it when the corpus already holds it, and choose
    its name and id (from --title, else the title the file gives, else its name). Without the
    writer lock this is a preview: apply_add chooses again under the lock."""
    raw = read_file_once(source, MAX_FILE_BYTES, follow=True)
    given = {k: v for k, v in fields.items() if v}
    document = load_document(source, dict(given), raw=raw)
    passages = make_passages(document)
    plan = AddPlan(source, corpus / source.name, {}, document, passages, raw=raw, given=given)
    plan.categories = _categories(document, passages)
    return _placed(plan, corpus, check_duplicates)


def _placed(plan: AddPlan, corpus: Path, check_duplicates: bool = True) -> AddPlan:
    """`plan` with an id and a file name free in `corpus` now: no document of that id, no file
    and no catalogue entry of that name; refused when `corpus` holds the same bytes."""
    catalogue = load_catalogue(corpus)  # read in a child process: once for both uses
    documents = corpus_documents(corpus, catalogue)
    if check_duplicates:
        sha = digest(plan.raw)
        for doc_id, path in documents.items():
            if file_digest(path) == sha:
                raise AlreadyInCorpusError(str(plan.source), doc_id, str(path))
    entries = catalogue.entries
    title = plan.given.get("title") or plan.document.meta.title
    base = slugify(title, max_length=60) or slugify(plan.source.stem) or "document"
    suffix = plan.source.suffix.lower()
    doc_id, n = base, 1
    while doc_id in documents or os.path.lexists(corpus / f"{doc_id}{suffix}") or f"{doc_id}{suffix}" in entries:
        n += 1
        doc_id = f"{base}-{n}"
    document = replace(plan.document, meta=replace(plan.document.meta, id=doc_id))  # read once: only the id was unknown
    return replace(plan, target=corpus / f"{doc_id}{suffix}", entry={"id": doc_id, **plan.given}, document=document,
                   passages=make_passages(document))


def _categories(document: LoadedDocument, passages: list[Passage]) -> Counter[str]:
    """How many passages each risk category would get (the build's own classifier)."""
    from kb.categories.classify import Classifier

    classifier = Classifier.load()
    counts: Counter[str] = Counter()
    for categories, _ in classifier.classify_document(passages, document.meta.title):
        counts.update(categories)
    return counts


def apply_add(plan: AddPlan, *, wait: float = 0.0, notify: Notify | None = None, index: Path | None = None) -> AddPlan:
    """Under the folder's writer lock, choose the name again, then copy the bytes to a hidden
    name, sync them, write the catalogue entry (comments and order kept) and give the file its
    name, all recorded first in the journal (with the command that adds it again into `index`,
    should it be undone). Returns the plan as carried out."""
    folder = plan.target.parent
    with writer_lock([folder], None, wait=wait, notify=notify):
        plan = _placed(plan, folder)
        intent = Intent("add", plan.target.name, plan.entry["id"], digest(plan.raw), entry=dict(plan.entry),
                        temp=f"{TEMP_PREFIX}add-{secrets.token_hex(8)}{plan.target.suffix}", command=add_command(plan, folder, index))
        write_journal(folder, intent)
        try:
            write_new(folder / intent.temp, plan.raw)
            checkpoint("temp")
            intent.committed = True
            write_journal(folder, intent)  # the commit point: from here on, the next writer rolls forward
        except BaseException:
            (folder / intent.temp).unlink(missing_ok=True)
            clear_journal(folder)
            raise
        try:
            finish_add(folder, intent)
        except Conflict:  # a file was put there by hand meanwhile: undo, never replace it
            recover(folder)
            raise KBError(f"{plan.target} appeared in the corpus while {plan.source} was being added; nothing was added",
                          hint="run the command again: another name will be chosen") from None
        clear_journal(folder)
    return plan


def add_command(plan: AddPlan, folder: Path, index: Path | None = None) -> str:
    """The `kb add` command that adds `plan` again, with the fields given, from any folder."""
    args = ["kb", "add", str(plan.source.absolute())]
    for key, value in plan.given.items():
        args += [OPTIONS.get(key, f"--{key}"), value]
    args += ["--corpus", str(folder.absolute())] + (["--index", str(index.absolute())] if index else [])
    return shlex.join(args)


def describe_plan(plan: AddPlan) -> list[str]:
    """What `kb add` shows before and after adding, so that a wrong file or title is seen: the
    document, where it goes, its sections, passages and categories (its warnings are apart)."""
    doc = plan.document
    lines = [f"Document : {doc.meta.title}", f"  identifiant : {plan.entry['id']}, copié vers {plan.target}"]
    meta = ", ".join(f"{k} : {v}" for k, v in (("éditeur", doc.meta.publisher), ("date", doc.meta.date)) if v)
    if meta:
        lines.append(f"  {meta}")
    lines.append(f"  sections : {len(doc.sections)}")
    for section in doc.sections[:SHOWN_SECTIONS]:
        page = f" (p. {section.page})" if section.page else ""
        lines.append(f"    {'  ' * (section.level - 1)}{section.title}{page}")
    if len(doc.sections) > SHOWN_SECTIONS:
        lines.append(f"    … et {len(doc.sections) - SHOWN_SECTIONS} autres")
    lines.append(f"  passages : {len(plan.passages)}")
    cats = ", ".join(f"{c} {n}" for c, n in plan.categories.most_common()) or "aucune"
    lines.append(f"  catégories (passages) : {cats}")
    return lines


def remove_document(doc_id: str, corpus: Path, *, wait: float = 0.0, notify: Notify | None = None) -> Path:
    """Take `doc_id` out of the corpus (its catalogue entry and file), under the folder's writer
    lock and recorded first in its journal; returns the removed file."""
    with writer_lock([corpus], None, wait=wait, notify=notify):
        documents = corpus_documents(corpus)
        path = documents.get(doc_id)
        if path is None:
            known = ", ".join(sorted(documents)) or "none"
            raise KBError(f"no document '{doc_id}' in {corpus}", hint=f"documents: {known}")
        intent = Intent("remove", path.name, doc_id, file_digest(path) or "", committed=True)
        write_journal(corpus, intent)  # decided: from here on, the next writer rolls forward
        finish_remove(corpus, intent)
        clear_journal(corpus)
    return path


def is_indexed(path: Path, root: Path) -> bool:
    """Whether the index at `root` holds `path` as it is now (bytes and catalogue entry)."""
    build = current_build(root)
    if build is None:
        return False
    try:
        files = read_manifest(build).get("files", {})
        want = content_hash(path.read_bytes(), load_catalogue(path.parent).get(path.name))
    except (OSError, ValueError, KBError):
        return False
    real = os.path.realpath(path)
    return any(os.path.realpath(key) == real and f.get("doc_id") and f.get("hash") == want for key, f in files.items())

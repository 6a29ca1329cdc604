"""Adding a document to the corpus and taking one out, without editing YAML by hand: the file is
copied under a readable name and its catalogue entry written with a round-trip YAML library,
so the catalogue keeps its comments and order."""

from __future__ import annotations

import hashlib
import shutil
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from indexer.catalogue import CATALOGUE_NAME, document_id, load_catalogue
from indexer.loaders import load_document
from indexer.loaders.frontmatter import split_front_matter
from indexer.loaders.source import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, read_file_once, read_source, sniff_format
from indexer.passages import make_passages
from indexer.text import slugify
from kb.errors import DocumentError, KBError
from kb.models import LoadedDocument, Passage

# The catalogue fields `kb add` sets, in the order they are written.
ENTRY_FIELDS = ("id", "title", "publisher", "kind", "language", "licence", "date", "url")


@dataclass
class AddPlan:
    """What `kb add` would do: the file, where it goes, its entry, and what the loader read."""

    source: Path
    target: Path
    entry: dict[str, str]
    document: LoadedDocument
    passages: list[Passage]
    categories: Counter[str] = field(default_factory=Counter)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def corpus_documents(corpus: Path) -> dict[str, Path]:
    """Each document id of `corpus` (as the catalogue or the file name gives it) → its file."""
    catalogue = load_catalogue(corpus)
    out: dict[str, Path] = {}
    for path in sorted(corpus.iterdir()):
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
            out[document_id(path, catalogue.get(path.name), _front_matter(path))] = path
    return out


def _front_matter(path: Path) -> dict[str, str]:
    """The front matter of a file the build reads as Markdown (its id may come from there)."""
    try:
        source = read_source(path)
    except DocumentError:
        return {}  # a file the build skips has no id to find
    return split_front_matter(source.text, str(path)).fields if sniff_format(source) == "markdown" else {}


def plan_add(source: Path, corpus: Path, fields: dict[str, str | None]) -> AddPlan:
    """Read `source` as the build would, refuse it when the corpus already holds it, and choose
    its name and id (from --title, else the title the file gives, else its name)."""
    raw = read_file_once(source, MAX_FILE_BYTES, follow=True)
    documents = corpus_documents(corpus)
    digest = _digest(raw)
    for doc_id, path in documents.items():
        if _digest(path.read_bytes()) == digest:
            raise KBError(f"{source} is already in the corpus: document '{doc_id}' ({path.name})",
                          hint=f"to replace it, `kb remove {doc_id}` first")
    given = {k: v for k, v in fields.items() if v}
    document = load_document(source, dict(given), raw=raw)
    title = given.get("title") or document.meta.title
    base = slugify(title, max_length=60) or slugify(source.stem) or "document"
    doc_id, n = base, 1
    while doc_id in documents or (corpus / f"{doc_id}{source.suffix.lower()}").exists():
        n += 1
        doc_id = f"{base}-{n}"
    entry = {"id": doc_id, **given}
    document = replace(document, meta=replace(document.meta, id=doc_id))  # read once: only the id was unknown
    passages = make_passages(document)
    plan = AddPlan(source, corpus / f"{doc_id}{source.suffix.lower()}", entry, document, passages)
    plan.categories = _categories(document, passages)
    return plan


def _categories(document: LoadedDocument, passages: list[Passage]) -> Counter[str]:
    """How many passages each risk category would get (the build's own classifier)."""
    from kb.categories.classify import Classifier

    classifier = Classifier.load()
    counts: Counter[str] = Counter()
    for categories, _ in classifier.classify_document(passages, document.meta.title):
        counts.update(categories)
    return counts


def apply_add(plan: AddPlan) -> None:
    """Copy the file into the corpus and write its catalogue entry (comments and order kept)."""
    shutil.copyfile(plan.source, plan.target)
    try:
        _edit_catalogue(plan.target.parent, lambda docs: docs.__setitem__(plan.target.name, _entry_map(plan.entry)))
    except BaseException:
        plan.target.unlink(missing_ok=True)  # no file without its entry
        raise


def remove_document(doc_id: str, corpus: Path) -> Path:
    """Take `doc_id` out of the corpus (its file and catalogue entry); returns the removed file."""
    documents = corpus_documents(corpus)
    path = documents.get(doc_id)
    if path is None:
        known = ", ".join(sorted(documents)) or "none"
        raise KBError(f"no document '{doc_id}' in {corpus}", hint=f"documents: {known}")
    _edit_catalogue(corpus, lambda docs: docs.pop(path.name, None))
    path.unlink()
    return path


def _entry_map(entry: dict[str, str]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    ordered = CommentedMap()
    for key in ENTRY_FIELDS:
        if entry.get(key):
            ordered[key] = entry[key]
    for key, value in entry.items():
        if key not in ordered:
            ordered[key] = value
    return ordered


def _edit_catalogue(corpus: Path, change: Any) -> None:
    """Load `corpus/catalogue.yaml` round-trip, apply `change` to its `documents` mapping, write
    it back through a temporary file (an interrupted write leaves the old catalogue)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    path = corpus / CATALOGUE_NAME
    yaml = YAML()  # round-trip: comments, key order and quoting are kept
    yaml.preserve_quotes = True
    yaml.width = 4096
    # Unknown stays written as `null`, as the catalogue's own convention has it (ruamel would
    # write an empty value).
    yaml.representer.add_representer(type(None), lambda r, _: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    try:
        data = yaml.load(path.read_text(encoding="utf-8")) if path.exists() else None
    except (OSError, YAMLError) as exc:
        raise DocumentError(str(path), f"cannot read the catalogue: {exc}", hint="fix the YAML, then run the command again") from exc
    if data is None:
        data = CommentedMap()
    if "documents" not in data or data["documents"] is None:
        data["documents"] = CommentedMap()
    change(data["documents"])
    tmp = path.with_suffix(".yaml.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        yaml.dump(data, fh)
    tmp.replace(path)

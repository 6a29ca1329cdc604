"""Loaders: one per source format, all producing a LoadedDocument of blocks and sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexer.catalogue import build_meta
from indexer.loaders.frontmatter import split_front_matter
from indexer.loaders.html import load_html
from indexer.loaders.markdown import load_markdown_body
from indexer.isolation import run_isolated
from indexer.limits import Limits
from indexer.loaders.pdf import PdfContent, read_pdf
from indexer.loaders.pdflayout import PdfLayout
from indexer.loaders.pdftext import load_pdf_text
from indexer.loaders.source import MAX_FILE_BYTES, SUPPORTED_SUFFIXES, SourceText, read_source, sniff_format
from indexer.loaders.structure import StructureBuilder
from kb.errors import DocumentError
from kb.models import LoadedDocument

__all__ = ["SUPPORTED_SUFFIXES", "load_document"]


def load_document(
    path: Path,
    entry: dict[str, Any] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
    name: str | None = None,
    raw: bytes | None = None,
    limits: Limits = Limits(),
) -> LoadedDocument:
    """Load one file (or the bytes already read from it) into blocks; raises DocumentError
    when nothing can be indexed. The parsers a file can turn against us run in a child process
    under `limits`: pdfminer for a PDF (its lines are laid out here, where the lexicon that
    rejoins hyphenated words is loaded once), the whole loader for the other formats."""
    source = read_source(path, max_bytes, raw)
    if sniff_format(source) == "pdf":
        content = run_isolated(
            lambda: read_pdf(source.raw, str(path), max_seconds=limits.seconds, max_memory=limits.memory),
            str(path), limits)
        return read_document(path, entry, name, source, content)
    return run_isolated(lambda: read_document(path, entry, name, source), str(path), limits)


def read_document(
    path: Path,
    entry: dict[str, Any] | None,
    name: str | None,
    source: SourceText,
    pdf: PdfContent | None = None,
) -> LoadedDocument:
    """load_document's work in the calling process, from the file's decoded source (and, for a
    PDF, from what was read of it; read here when not given)."""
    warnings = list(source.warnings)
    fmt = sniff_format(source)
    language = str((entry or {}).get("language") or "fr")
    builder = StructureBuilder()
    front: dict[str, str] = {}
    extracted_title: str | None = None
    try:
        if fmt == "markdown":
            fm = split_front_matter(source.text, str(path))
            warnings.extend(fm.warnings)
            front = fm.fields
            language = str((entry or {}).get("language") or front.get("language") or front.get("lang") or language)
            load_markdown_body(fm.body, builder, language, fm.body_line - 1)
        elif fmt == "html":
            extracted_title = load_html(source.text, builder, language)
        elif fmt == "pdf":
            content = pdf or read_pdf(source.raw, str(path))
            warnings.extend(content.warnings)
            extracted_title = PdfLayout(content, builder).run()
            # The PDF's own metadata, below the catalogue (build_meta: catalogue first).
            pdf_fields = (("title", "title"), ("publisher", "author"), ("date", "date"))
            front = {ours: content.metadata[theirs] for ours, theirs in pdf_fields if content.metadata.get(theirs)}
        else:
            extracted_title = load_pdf_text(source.text, builder, language)
    except RecursionError as exc:
        raise DocumentError(str(path), "document is nested too deeply to parse") from exc
    if not builder.blocks:
        raise DocumentError(str(path), "no text found in the document")
    meta = build_meta(path, entry, front, extracted_title, name)
    return LoadedDocument(meta, builder.blocks, builder.sections, warnings)

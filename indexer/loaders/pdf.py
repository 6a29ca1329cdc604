"""PDF files read directly (pdfplumber over pdfminer.six): each page's text lines with their type
size, weight and position, the outline (bookmarks) with the page and height each entry points
to, and the metadata, within per-file limits on pages and seconds."""

from __future__ import annotations

import io
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from indexer.limits import HOSTILE_HINT, MAX_SECONDS, ReadingLimit, memory_limit
from indexer.loaders.pdfguard import PageTooLarge, break_reference_cycles, check_page_content
from kb.errors import DocumentError

MAX_PAGES = 2000
MAX_LINES_PER_PAGE = 2000  # a dense real page has about 100; the layout compares lines with bookmarks
MAX_OUTLINE_ENTRIES = 5000  # the Debian manual has 430
X_TOLERANCE = 1.5  # pdfplumber's default (3) glues the words of tightly set TeX output
NO_TEXT = "aucun texte extractible ; un OCR est nécessaire (PDF numérisé sans couche texte)"


@dataclass(frozen=True)
class PdfLine:
    """One line of text as laid out on its page (`top` from the top edge, in points)."""

    text: str
    page: int  # 1-based
    top: float
    bottom: float
    x0: float
    size: float
    bold: bool


@dataclass(frozen=True)
class OutlineEntry:
    """A bookmark: its title, depth (1 = outermost), and where it points (page, top), if known."""

    title: str
    level: int
    page: int | None
    top: float | None


@dataclass
class PdfContent:
    """What a PDF holds for the loader: lines in reading order, page heights, outline, metadata."""

    lines: list[PdfLine]
    pages: int
    page_height: float
    outline: list[OutlineEntry]
    metadata: dict[str, str]
    warnings: list[str] = field(default_factory=list)


def read_pdf(raw: bytes, name: str, max_pages: int = MAX_PAGES, max_seconds: float = MAX_SECONDS,
             max_memory: int | None = None) -> PdfContent:
    """Open and read `raw`; raise DocumentError for a PDF nothing can be read from (encrypted,
    corrupt, truncated, no text layer), warn and stop early past the page or time limit.
    `max_memory` is the limit the calling process runs under, for the messages."""
    import pdfplumber
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    raw, warnings = break_reference_cycles(raw, name)
    try:
        with pdfplumber.open(io.BytesIO(raw)) as pdf:
            content = _read(pdf, name, max_pages, max_seconds, max_memory)
            content.warnings[:0] = warnings
            return content
    except (DocumentError, ReadingLimit):
        raise
    except (PdfminerException, MalformedPDFException, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError) as exc:
        limit = limit_reached(exc, max_memory)
        if limit is not None:
            raise ReadingLimit(limit) from exc
        raise _unreadable(name, exc) from exc
    except Exception as exc:  # noqa: BLE001 - pdfminer raises its own exceptions from any depth
        if type(exc).__module__.startswith("pdfminer"):
            raise _unreadable(name, exc) from exc
        raise


def limit_reached(exc: BaseException, max_memory: int | None) -> str | None:
    """What limit `exc` says was reached (a ReadingLimit or a MemoryError, possibly wrapped by
    pdfplumber), or None for any other error."""
    for cause in (exc, exc.args[0] if exc.args else None, exc.__cause__, exc.__context__):
        if isinstance(cause, ReadingLimit):
            return cause.limit
        if isinstance(cause, MemoryError):
            return memory_limit(max_memory)
    return None


def _unreadable(name: str, exc: BaseException) -> DocumentError:
    """The message for a PDF pdfminer cannot open: protected, or damaged."""
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if isinstance(cause, (PDFPasswordIncorrect, PDFEncryptionError)):
        return DocumentError(name, "the PDF is encrypted (protected by a password)",
                             hint="ask the publisher for an unprotected copy, or remove the protection first")
    detail = str(cause)[:120] or type(cause).__name__
    return DocumentError(name, f"the PDF is damaged or truncated ({type(cause).__name__}: {detail})",
                         hint="download the file again")


def _read(pdf: Any, name: str, max_pages: int, max_seconds: float, max_memory: int | None) -> PdfContent:
    started = time.monotonic()
    warnings: list[str] = []
    pages = pdf.pages
    if len(pages) > max_pages:
        warnings.append(f"{name}: {len(pages):,} pages; only the first {max_pages:,} are indexed (the limit per file)")
    lines: list[PdfLine] = []
    heights: Counter[float] = Counter()
    skipped = False  # a page left out for its size: « no page could be read » rather than « no text »
    for number, page in enumerate(pages[:max_pages], start=1):
        if number > 1 and time.monotonic() - started > max_seconds:  # the first page is always read
            warnings.append(f"{name}: reading stopped after {max_seconds:.0f} s, before page {number} of {len(pages)}; "
                            "the pages read are indexed (the limit per file)")
            break
        heights[round(float(page.height))] += 1
        try:
            check_page_content(page.page_obj)
            page_lines = _page_lines(page, number)
            if len(page_lines) > MAX_LINES_PER_PAGE:
                warnings.append(f"{name}: page {number} has {len(page_lines):,} lines; only the first "
                                f"{MAX_LINES_PER_PAGE:,} are indexed (the limit per page)")
            lines.extend(page_lines[:MAX_LINES_PER_PAGE])
        except PageTooLarge as exc:
            warnings.append(f"{name}: page {number} skipped: {exc} (the limit per page)")
            skipped = True
        except Exception as exc:  # noqa: BLE001 - pdfplumber wraps what interrupts pdfminer
            limit = limit_reached(exc, max_memory)
            if limit is None:
                raise
            if not lines:
                raise ReadingLimit(f"page {number}: {limit}") from None
            warnings.append(f"{name}: reading stopped inside page {number} of {len(pages)}: {limit}; "
                            "the pages before it are indexed")
            break
        finally:
            page.close()  # drop the page's cached layout: memory stays bounded by one page
    if not lines:
        if skipped:
            raise DocumentError(name, "no page could be read: " + "; ".join(w.removeprefix(f"{name}: ") for w in warnings),
                                hint=HOSTILE_HINT)
        raise DocumentError(name, NO_TEXT, hint="run an OCR tool (ocrmypdf) on the file, then add the result")
    outline = _outline(pdf)
    if len(outline) >= MAX_OUTLINE_ENTRIES:
        warnings.append(f"{name}: only the first {MAX_OUTLINE_ENTRIES:,} bookmarks are used (the limit per file)")
    return PdfContent(lines, len(pages), float(heights.most_common(1)[0][0]), outline, _metadata(pdf), warnings)


def _page_lines(page: Any, number: int) -> list[PdfLine]:
    out: list[PdfLine] = []
    for line in page.extract_text_lines(x_tolerance=X_TOLERANCE, return_chars=True):
        text = " ".join(line["text"].split())
        chars = [c for c in line["chars"] if c["text"].strip()]
        if not text or not chars:
            continue
        size = Counter(round(float(c["size"]), 1) for c in chars).most_common(1)[0][0]
        bold = sum(1 for c in chars if _is_bold(c["fontname"])) > len(chars) / 2
        out.append(PdfLine(text, number, float(line["top"]), float(line["bottom"]), float(line["x0"]), size, bold))
    return out


def _is_bold(fontname: str) -> bool:
    face = fontname.split("+")[-1].lower()
    return any(w in face for w in ("bold", "black", "heavy", "semibold", "demi"))


def _outline(pdf: Any) -> list[OutlineEntry]:
    """The bookmarks, each resolved to its page and height; none when the PDF has no outline."""
    from pdfminer.pdfdocument import PDFNoOutlines

    ids = {page.page_obj.pageid: (i, float(page.height)) for i, page in enumerate(pdf.pages, start=1)}
    out: list[OutlineEntry] = []
    try:
        for level, title, dest, action, _ in pdf.doc.get_outlines():
            page, top = _destination(pdf.doc, dest, action, ids)
            title = " ".join(str(title or "").split())
            if title:
                out.append(OutlineEntry(title, int(level), page, top))
            if len(out) >= MAX_OUTLINE_ENTRIES:
                break
    except PDFNoOutlines:
        return []
    except Exception:  # noqa: BLE001 - a broken outline is no outline: headings then come from type sizes
        return []
    return out


def _destination(doc: Any, dest: Any, action: Any, ids: dict[int, tuple[int, float]]) -> tuple[int | None, float | None]:
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral

    target = dest
    if target is None and action is not None:
        resolved = resolve1(action)
        target = resolved.get("D") if isinstance(resolved, dict) else None
    target = resolve1(target)
    if isinstance(target, (bytes, str)):
        target = resolve1(doc.get_dest(target))
    elif isinstance(target, PSLiteral):
        target = resolve1(doc.get_dest(target.name))
    if isinstance(target, dict):
        target = resolve1(target.get("D"))
    if not isinstance(target, list) or not target:
        return None, None
    page = ids.get(getattr(target[0], "objid", None))  # type: ignore[arg-type]
    if page is None:
        return None, None
    y = target[3] if len(target) > 3 and isinstance(target[3], (int, float)) else None
    return page[0], (page[1] - float(y)) if y is not None else None


def _metadata(pdf: Any) -> dict[str, str]:
    """Title, author and date from the document information dictionary, when they are text."""
    info = pdf.metadata or {}
    out: dict[str, str] = {}
    for key, ours in (("Title", "title"), ("Author", "author"), ("CreationDate", "date")):
        value = info.get(key)
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if isinstance(value, str) and value.strip():
            out[ours] = " ".join(value.split())
    if "date" in out:
        digits = out["date"].removeprefix("D:")
        out["date"] = f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}" if digits[:8].isdigit() else digits[:4] if digits[:4].isdigit() else ""
        if not out["date"]:
            del out["date"]
    return out

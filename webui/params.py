"""Strict reading of query parameters: every bad value becomes a 400 naming the parameter."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from kb.errors import InvalidParameterError
from kb.search import MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, SearchRequest
from webui.errors import WebError

_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
MAX_PAGE = MAX_OFFSET // 10 + 1

# What the HTML face says about a bad parameter (the API keeps the service's English message).
FRENCH_PARAMETERS = {
    "q": f"La recherche est trop longue : {MAX_QUERY_CHARS:_} caractères au plus.".replace("_", " "),
    "category": "Ce filtre de catégorie n'existe pas. Consultez la liste des catégories.",
    "document": "Ce filtre de document ne correspond à aucun document de la base.",
    "offset": "Ce numéro de page est hors limites.",
    "page": "Le numéro de page doit être un nombre entier positif.",
    "limit": "Le nombre de résultats par page n'est pas valide.",
    "mode": "Le mode de recherche est « hybrid » (mots et sens) ou « lexical » (mots seuls).",
    "format": "Ce format d'export n'existe pas : csl-json, bibtex, ris, text (ou markdown pour une fiche).",
    "titre": "Le titre d'une fiche fait au plus 200 caractères.",
    "p": "Une fiche contient au plus 100 passages : partagez-la en deux fiches.",
    "ordre": "L'ordre d'une fiche est « document » (regroupée par document) ou « choix » (votre ordre).",
}


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:40] + "…"


def invalid(parameter: str, message: str) -> WebError:
    """A 400 for `parameter`, with the French text the HTML face shows."""
    return WebError(400, "invalid_parameter", message, parameter=parameter, french=FRENCH_PARAMETERS.get(parameter))


def french(exc: InvalidParameterError) -> WebError:
    """A service validation error, worded for the HTML face."""
    return invalid(exc.parameter, exc.message)


def citation_format(args: MultiDict[str, str], default: str = "csl-json") -> str:
    """The `format` parameter: one of kb.citations.FORMATS."""
    from kb.citations import FORMATS

    name = single(args, "format") or default
    if name not in FORMATS:
        raise invalid("format", f"format must be one of {', '.join(FORMATS)} (got '{_shown(name)}')")
    return name


def single(args: MultiDict[str, str], name: str) -> str | None:
    """The parameter's only value; repeating a scalar parameter is an error, not a silent pick."""
    values = args.getlist(name)
    if len(values) > 1:
        raise invalid(name, f"{name} must be given at most once (got {len(values)} values)")
    return values[0] if values else None


def integer(args: MultiDict[str, str], name: str, default: int) -> int:
    """A plain decimal integer (no spaces, signs other than '-', underscores or other digits)."""
    raw = single(args, name)
    if raw is None:
        return default
    if not _INTEGER.fullmatch(raw) or len(raw) > 12:
        raise invalid(name, f"{name} must be an integer (got '{_shown(raw)}')")
    return int(raw)


def query_text(args: MultiDict[str, str], strict: bool = True) -> str:
    """The `q` parameter, at most kb's MAX_QUERY_CHARS (the parser would cut it; a request is
    refused instead); repeated, it is an error for the API, the first wins for pages."""
    q = (single(args, "q") if strict else args.get("q")) or ""
    if len(q) > MAX_QUERY_CHARS:
        raise invalid("q", f"q must be at most {MAX_QUERY_CHARS} characters (got {len(q)})")
    return q


def api_filters(args: MultiDict[str, str]) -> SearchRequest:
    """Exports: q, category*, document* (the service rejects unknown values)."""
    return SearchRequest(
        query=query_text(args),
        categories=tuple(args.getlist("category")),
        documents=tuple(args.getlist("document")),
    )


def api_search(args: MultiDict[str, str]) -> SearchRequest:
    """/api/search: the filters plus limit and offset (the service checks their ranges)."""
    req = api_filters(args)
    req.limit = integer(args, "limit", 10)
    req.offset = integer(args, "offset", 0)
    req.mode = single(args, "mode")
    return req


def html_search(args: MultiDict[str, str], page_size: int) -> tuple[SearchRequest, int]:
    """/recherche: q, categorie*, document*, page; empty filter values (from forms) are ignored."""
    q = query_text(args, strict=False)
    page = integer(args, "page", 1)
    if not 1 <= page <= MAX_PAGE:
        raise invalid("page", f"page must be between 1 and {MAX_PAGE} (got {page})")
    request = SearchRequest(
        query=q,
        categories=tuple(dict.fromkeys(v for v in args.getlist("categorie") if v)),
        documents=tuple(dict.fromkeys(v for v in args.getlist("document") if v)),
        limit=min(page_size, MAX_LIMIT),
        offset=(page - 1) * page_size,
        correct=args.get("exact") != "1",
        mode=args.get("mode") or None,
    )
    return request, page

"""Strict reading of query parameters: every bad value becomes a 400 naming the parameter."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from kb.errors import InvalidParameterError
from kb.export import CSV_DIALECTS
from kb.search import MAX_EXPORT, MAX_LIMIT, MAX_OFFSET, MAX_QUERY_CHARS, SearchRequest
from kb.search.request import check_request
from webui.errors import WebError

_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)
MAX_PAGE = MAX_OFFSET // 10 + 1
# The pages take the API's parameter names; these older names are still read there (old links work).
PAGE_ALIASES = {"categorie": "category"}

# What the HTML face says about a bad parameter (the API keeps the service's English message).
FRENCH_PARAMETERS = {
    "q": f"La recherche est trop longue : {MAX_QUERY_CHARS:_} caractères au plus.".replace("_", " "),
    "category": "Ce filtre de catégorie n'existe pas. Consultez la liste des catégories.",
    "document": "Ce filtre de document ne correspond à aucun document de la base.",
    "offset": "Ce numéro de page est hors limites.",
    "page": "Le numéro de page doit être un nombre entier positif.",
    "limit": "Le nombre de résultats par page n'est pas valide.",
    "mode": "Le mode de recherche est « hybrid » (mots et sens) ou « lexical » (mots seuls).",
    "exact": "Le paramètre « exact » vaut 1 (mots tels quels, sans correction) ou 0.",
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


def check_known(args: MultiDict[str, str], allowed: frozenset[str]) -> None:
    """An API request names only parameters its endpoint takes: a misspelt filter is a 400 naming
    it, never a silently unfiltered answer (`categorie` is the pages' alias, not an API name)."""
    for name in args:
        if name not in allowed:
            hint = f"did you mean '{PAGE_ALIASES[name]}'?" if PAGE_ALIASES.get(name) in allowed else None
            takes = ", ".join(sorted(allowed)) or "no parameters"
            raise WebError(400, "unknown_parameter", f"unknown parameter '{_shown(name)}' (this endpoint takes: {takes})",
                           parameter=name, hint=hint)


def exact(args: MultiDict[str, str]) -> bool:
    """`exact=1`: search the words as typed, without spelling corrections (`0`, the default: corrected)."""
    raw = single(args, "exact")
    if raw not in (None, "0", "1"):
        raise invalid("exact", f"exact must be 0 or 1 (got '{_shown(raw)}')")
    return raw == "1"


def api_search(args: MultiDict[str, str]) -> SearchRequest:
    """/api/search: q, category*, document*, mode, exact, limit and offset (the service checks
    their ranges and the filters' values)."""
    req = search_request(args)
    req.limit = integer(args, "limit", 10)
    return req


def api_export(args: MultiDict[str, str]) -> tuple[SearchRequest, int | None]:
    """Exports: every parameter of /api/search, read and checked the same way (a search's own
    query string pasted onto an export URL is the same search), `limit` aside: at most
    MAX_EXPORT passages (None: all of them) from `offset` on, instead of a page."""
    req = search_request(args)
    check_request(req)  # as search() does; the whole base (no q, no filter) is exported without it
    return req, export_limit(args)


def search_request(args: MultiDict[str, str]) -> SearchRequest:
    """The parameters /api/search and the exports share: all of the search's but `limit`."""
    return SearchRequest(
        query=query_text(args),
        categories=tuple(args.getlist("category")),
        documents=tuple(args.getlist("document")),
        offset=integer(args, "offset", 0),
        mode=single(args, "mode"),
        correct=not exact(args),
    )


def export_limit(args: MultiDict[str, str]) -> int | None:
    """Exports' `limit`: at most this many passages, best first (None: all of them)."""
    if single(args, "limit") is None:
        return None
    limit = integer(args, "limit", 0)
    if not 1 <= limit <= MAX_EXPORT:
        raise invalid("limit", f"limit must be between 1 and {MAX_EXPORT} (got {limit})")
    return limit


def csv_dialect(args: MultiDict[str, str]) -> str:
    """Exports' `dialect`: `rfc4180` (the default: UTF-8, commas) or `excel` (what a French
    spreadsheet opens as is: UTF-8 with a byte-order mark, semicolons)."""
    raw = single(args, "dialect")
    name = "rfc4180" if raw is None else raw
    if name not in CSV_DIALECTS:
        raise invalid("dialect", f"dialect must be one of {', '.join(CSV_DIALECTS)} (got '{_shown(name)}')")
    return name


def page_values(args: MultiDict[str, str], name: str) -> tuple[str, ...]:
    """A repeatable page parameter under its name or its alias, without empty values (from forms)."""
    names = [name] + [alias for alias, canonical in PAGE_ALIASES.items() if canonical == name]
    return tuple(dict.fromkeys(v for n in names for v in args.getlist(n) if v))


def html_search(args: MultiDict[str, str], page_size: int) -> tuple[SearchRequest, int]:
    """/recherche: q, category* (alias categorie), document*, page, exact, mode."""
    q = query_text(args, strict=False)
    page = integer(args, "page", 1)
    if not 1 <= page <= MAX_PAGE:
        raise invalid("page", f"page must be between 1 and {MAX_PAGE} (got {page})")
    request = SearchRequest(
        query=q,
        categories=page_values(args, "category"),
        documents=page_values(args, "document"),
        limit=min(page_size, MAX_LIMIT),
        offset=(page - 1) * page_size,
        correct=args.get("exact") != "1",
        mode=args.get("mode") or None,
    )
    return request, page

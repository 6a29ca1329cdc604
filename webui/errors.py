"""One error type for both faces: JSON on /api/ paths, a French HTML page elsewhere."""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from kb.errors import IndexDamagedError, IndexMissingError, InvalidParameterError, KBError, NotFoundError

log = logging.getLogger(__name__)

# What the HTML page says for each status when the raiser gave no French text.
FRENCH = {
    400: ("Requête invalide", "Un paramètre de l'adresse n'est pas valide."),
    404: ("Page introuvable", "Cette adresse ne correspond à aucune page de la base de connaissances."),
    405: ("Méthode non autorisée", "Cette adresse ne s'utilise qu'en lecture (GET)."),
    413: ("Requête trop volumineuse", "Le contenu envoyé dépasse la taille autorisée."),
    414: ("Adresse trop longue", "L'adresse demandée est trop longue ; raccourcissez la recherche."),
    500: ("Erreur interne", "Une erreur inattendue s'est produite. Réessayez dans un instant."),
    503: ("Service indisponible", "L'index de recherche n'est pas disponible pour le moment."),
}


class WebError(Exception):
    """An HTTP error a user can act on: status, stable code, English message, optional French text."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter: str | None = None,
        hint: str | None = None,
        french: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.parameter = parameter
        self.hint = hint
        self.french = french
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        """The API error object: {"error": {"code", "message", ["parameter"], ["hint"]}}."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.parameter:
            body["parameter"] = self.parameter
        if self.hint:
            body["hint"] = self.hint
        return {"error": body}

    @property
    def title(self) -> str:
        """French page title for the status."""
        return FRENCH.get(self.status, ("Erreur", ""))[0]

    @property
    def explanation(self) -> str:
        """French sentence for the page body."""
        return self.french or FRENCH.get(self.status, ("", "Une erreur s'est produite."))[1]


def is_api_request() -> bool:
    """Whether the current request addresses the JSON API."""
    return request.path == "/api" or request.path.startswith("/api/")


# Where the API lists the valid ids of a kind the service did not find.
LISTED_AT = {"document": "GET /api/documents lists the documents"}


def from_kb(exc: KBError) -> WebError:
    """Map a service error to its HTTP status."""
    if isinstance(exc, InvalidParameterError):
        return WebError(400, "invalid_parameter", exc.message, parameter=exc.parameter)
    if isinstance(exc, NotFoundError):
        return WebError(404, "not_found", exc.message, hint=exc.hint or LISTED_AT.get(exc.kind))
    if isinstance(exc, IndexMissingError):
        return WebError(503, "index_missing", exc.message, hint=exc.hint,
                        french="L'index de recherche n'a pas encore été construit : lancez « make index » puis rechargez la page.")
    if isinstance(exc, IndexDamagedError):
        return WebError(503, "index_damaged", exc.message, hint=exc.hint, headers={"Retry-After": "60"},
                        french="L'index de recherche est endommagé ; il ne sera pas servi tant qu'il n'aura pas "
                               "été reconstruit (« kb index »). Réessayez dans quelques minutes.")
    log.error("unexpected service error: %s", exc)
    return WebError(500, "internal_error", "internal server error")


def from_http(exc: HTTPException) -> WebError:
    """Wrap Werkzeug's HTTP exceptions (404 routing, 405, 413...) in the one error type."""
    status = exc.code or 500
    code = re.sub(r"[^a-z0-9]+", "_", (exc.name or "error").lower()).strip("_")
    message = (exc.description or exc.name or "error").strip()
    headers: dict[str, str] = {}
    valid = getattr(exc, "valid_methods", None)
    if status == 405 and valid:
        headers["Allow"] = ", ".join(sorted(valid))
        message = f"method {request.method} is not allowed here; allowed: {headers['Allow']}"
    elif status == 404:
        message = f"no resource at {request.path[:200]}"
        hint = "GET /api/openapi.json describes the API" if is_api_request() else None
        return WebError(status, code, message, hint=hint)
    return WebError(status, code, message, headers=headers)


def render(err: WebError) -> Response:
    """JSON on /api/, the French error page elsewhere; same status and headers."""
    if is_api_request():
        response = jsonify(err.to_dict())
    else:
        try:
            response = Response(render_template("error.html", error=err), mimetype="text/html")
        except Exception:  # the error page must never fail: fall back to plain text
            log.exception("error page failed to render")
            response = Response(f"{err.status} {err.title}\n", mimetype="text/plain")
    response.status_code = err.status
    for name, value in err.headers.items():
        response.headers[name] = value
    return response


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render(WebError(500, "internal_error", "internal server error"))


def register(app: Flask) -> None:
    """Route every failure (ours, the service's, Werkzeug's, unexpected) through `render`."""
    app.register_error_handler(WebError, render)
    app.register_error_handler(KBError, lambda exc: render(from_kb(exc)))
    app.register_error_handler(HTTPException, lambda exc: render(from_http(exc)))
    app.register_error_handler(Exception, _unexpected)

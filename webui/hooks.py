"""Per-request plumbing: size limits, security headers, CORS for the API, access log without a reading trail."""

from __future__ import annotations

import logging
from time import perf_counter
from urllib.parse import unquote_plus

from flask import Flask, Response, current_app, g, request

from webui.errors import WebError, is_api_request

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
])
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, OPTIONS",
    "Access-Control-Max-Age": "86400",
    "Access-Control-Expose-Headers": "Content-Disposition, X-Total-Count",
}


def _start_clock() -> None:
    g.started = perf_counter()


def _check_limits() -> None:
    """Refuse over-long input before any work: 414 for the URL, 413 for a body."""
    cfg = current_app.config
    raw = request.query_string
    # Counted once decoded, so that a valid `q` of non-Latin text is never refused for its encoding.
    size = len(unquote_plus(raw.decode("latin-1"), encoding="utf-8", errors="replace"))
    if size > cfg["MAX_QUERY_STRING"] or len(raw) > 4 * cfg["MAX_QUERY_STRING"]:
        raise WebError(414, "uri_too_long", f"query string too long ({size} characters; at most {cfg['MAX_QUERY_STRING']})")
    if len(request.path) > cfg["MAX_PATH_LENGTH"]:
        raise WebError(414, "uri_too_long", f"path too long ({len(request.path)} characters; at most {cfg['MAX_PATH_LENGTH']})")
    length = request.content_length
    if length is not None and length > cfg["MAX_CONTENT_LENGTH"]:
        raise WebError(413, "content_too_large", f"request body too large ({length} bytes; at most {cfg['MAX_CONTENT_LENGTH']})")


def _add_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if is_api_request():
        for name, value in CORS_HEADERS.items():
            response.headers[name] = value
        wanted = request.headers.get("Access-Control-Request-Headers")
        if request.method == "OPTIONS" and wanted:
            response.headers["Access-Control-Allow-Headers"] = wanted[:512]
        if request.method == "OPTIONS" and response.status_code == 200:
            response.status_code = 204  # preflight answered: no content
            response.headers.pop("Content-Type", None)
    return response


def _log_request(response: Response) -> Response:
    started = g.get("started")
    elapsed = (perf_counter() - started) * 1000 if started is not None else 0.0
    logging.getLogger("webui.access").info("%s %s %s %.1f ms", request.method, logged_path(), response.status_code, elapsed)
    return response


def logged_path() -> str:
    """What the access log names: the route (`/documents/<doc_id>`), not which document or passage
    was read, unless the operator asked for full paths (`kb serve --log-paths`); never the query string,
    so what people search for stays out of the logs."""
    if current_app.config.get("LOG_PATHS"):
        return request.path
    rule = request.url_rule
    return rule.rule if rule is not None else "<no route>"


def register(app: Flask) -> None:
    """Install the hooks; the logger is registered first so it runs last and sees final statuses."""
    app.after_request(_log_request)
    app.after_request(_add_headers)
    app.before_request(_start_clock)
    app.before_request(_check_limits)

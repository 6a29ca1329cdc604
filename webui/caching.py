"""HTTP caching: every answer is a function of the build, the code and the URL, so an ETag made of
those is known before any work is done and a conditional request for it is a 304 with no body."""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Flask, Response, current_app, g, request

from kb.errors import KBError
from webui.service import get_kb

# How long a browser or proxy may reuse an answer without asking: a rebuild can switch the served
# build at any time, so answers are revalidated after a minute (a 304 when nothing changed).
ANSWER_MAX_AGE = 60
STATIC_MAX_AGE = 3600
UNCACHED = {"api.health"}  # monitoring must see the live state, never a cached one
SOURCES = ("kb", "webui")


def code_version() -> str:
    """A digest of the source files, templates and static files served: a deploy changes ETags."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.blake2b(digest_size=6)
    for package in SOURCES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and path.suffix in {".py", ".html", ".css", ".js", ".yaml", ".svg"}:
                stat = path.stat()
                digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def answer_etag() -> str | None:
    """The validator of this request's answer: build id, code version, public address, full URL
    (absolute URLs in the answer depend on the host when no public address is configured)."""
    if "answer_etag" in g:  # computed once per request: by the 304 check, reused for the answer
        return g.answer_etag  # type: ignore[no-any-return]
    try:
        build = get_kb().snapshot().path.name
    except KBError:
        return None  # no build to validate against: the answer is an error page
    config = current_app.config
    base = config.get("PUBLIC_URL") or request.host_url
    digest = hashlib.blake2b(f"{config['KB_CODE_VERSION']}\0{base}\0{request.full_path}".encode(), digest_size=8)
    g.answer_etag = f"{build}-{digest.hexdigest()}"
    return g.answer_etag  # type: ignore[no-any-return]


def _cacheable() -> bool:
    return (request.method in ("GET", "HEAD") and request.url_rule is not None and request.endpoint != "static"
            and request.endpoint not in UNCACHED)


def answer_unchanged() -> Response | None:
    """before_request: a 304 when the client already holds this answer (weak comparison, as
    If-None-Match requires: the tag is weak, the same for every encoding of the answer)."""
    held = request.if_none_match
    if not held or not _cacheable():
        return None
    etag = answer_etag()
    if etag is None:
        return None
    if held.star_tag or held.contains_weak(etag):
        response = Response(status=304)
        _validators(response, etag)
        return response
    return None


def _validators(response: Response, etag: str) -> None:
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = f"public, max-age={ANSWER_MAX_AGE}"
    response.vary.add("Accept-Encoding")


def add_validators(response: Response) -> Response:
    """after_request: ETag and Cache-Control on successful answers; no-store on errors and health."""
    if request.endpoint == "static":
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
        if response.status_code == 200 and request.method == "GET":
            # Read the (small) file now: compressing the stream would drop its close().
            response.direct_passthrough = False
            response.make_sequence()
        return response
    if response.status_code == 200 and _cacheable():
        etag = answer_etag()
        if etag is not None:
            _validators(response, etag)
            return response
    if response.status_code != 304:
        response.headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    """Install the conditional-request check (after the size limits) and the validators."""
    app.config.setdefault("KB_CODE_VERSION", code_version())
    app.before_request(answer_unchanged)
    app.after_request(add_validators)

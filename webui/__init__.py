"""The web face: French search pages and the JSON API over the kb search service."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from kb.config import index_dir

if TYPE_CHECKING:  # imported by create_app(): `kb index` and `kb --help` (kbcli) load no Flask
    from flask import Flask

ACCESS_LOGGER = "webui.access"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory (Flask tutorial style): config from defaults, env, then tests."""
    from flask import Flask

    from kb.storage.store import KnowledgeBase
    from kb.threads import one_blas_thread

    one_blas_thread()  # before a server forks its workers: each search then uses one core
    app = Flask(__name__)
    app.config.from_mapping(
        KB_INDEX=None,
        # Nothing here reads a request body: anything bigger than this is refused with 413.
        MAX_CONTENT_LENGTH=16 * 1024,
        # Query strings longer than this (in characters, once decoded) get 414;
        # `q` itself is capped at kb.search.MAX_QUERY_CHARS (400 beyond).
        # 16 K: a debate sheet (/fiche?p=…) of 100 passage ids, about 10,000 characters, fits.
        MAX_QUERY_STRING=16384,
        MAX_PATH_LENGTH=2048,
        PAGE_SIZE=10,
        # The site's public address (KB_PUBLIC_URL), for absolute passage URLs in citations;
        # unset, each request's own host is used.
        PUBLIC_URL=None,
        # The access log names routes (`/documents/<doc_id>`), not what was read; True logs full paths.
        LOG_PATHS=False,
        # Compression (flask-compress): zstd, brotli or gzip as the client accepts; not below 500 bytes.
        COMPRESS_ALGORITHM=["zstd", "br", "gzip"],
        COMPRESS_MIMETYPES=["text/html", "text/css", "text/plain", "text/csv", "text/markdown", "application/json",
                            "application/javascript", "text/javascript", "application/x-ndjson", "application/vnd.citationstyles.csl+json",
                            "application/x-bibtex", "application/x-research-info-systems", "image/svg+xml"],
    )
    app.config.from_prefixed_env("KB")
    if test_config:
        app.config.update(test_config)
    # Readable French JSON, keys in the order the search service builds them.
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]

    # QUERY_EMBEDDER (test_config only): an Embedder for the queries instead of the process's model.
    embedder = app.config.get("QUERY_EMBEDDER")
    app.extensions["kb"] = KnowledgeBase(index_dir(app.config["KB_INDEX"]), None if isinstance(embedder, str) else embedder)
    if not app.testing:
        configure_access_log()

    from flask_compress import Compress

    from webui import api, caching, errors, hooks, pages

    # after_request hooks run last-registered first: validators, then compression, headers, the log.
    hooks.register(app)
    Compress(app)
    caching.register(app)
    errors.register(app)
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    return app


def warm_up(app: Flask) -> None:
    """One search before the first user, so that the app's KnowledgeBase has loaded spaCy, the
    thesaurus and its reader (once, in the process the server's workers are forked from)."""
    from kb.search import SearchRequest, search

    search(app.extensions["kb"], SearchRequest("ia", limit=1))


def configure_access_log() -> None:
    """One line per request on stderr (idempotent: several apps share one handler)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not any(getattr(h, "kb_access", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        handler.kb_access = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    service = logging.getLogger("kb")  # a damaged build, the previous one standing in
    if not any(getattr(h, "kb_access", False) for h in service.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        handler.kb_access = True  # type: ignore[attr-defined]
        service.addHandler(handler)
        service.setLevel(logging.INFO)
        service.propagate = False

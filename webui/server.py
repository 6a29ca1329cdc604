"""Production serving: waitress in one process, or gunicorn with several worker processes.

Whoosh scores in Python, so one process uses one core whatever its thread count; workers are
how a server uses the others. The app (spaCy, thesaurus, index) is loaded once before forking."""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from kb.store import KnowledgeBase


def serve(app: Flask, host: str, port: int, threads: int = 8, workers: int = 1) -> None:
    """Serve `app` until interrupted; `workers` > 1 forks that many gunicorn processes."""
    if workers <= 1:
        import waitress

        waitress.serve(app, host=host, port=port, threads=threads, ident="kb", clear_untrusted_proxy_headers=True)
        return
    _GunicornServer(app, {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "preload_app": True,  # spaCy and the thesaurus loaded once, pages shared after the fork
        "accesslog": None,  # the app logs one line per request itself
        "errorlog": "-",
        "loglevel": "warning",
        "limit_request_line": 8190,
        "timeout": 60,
        "post_fork": _post_fork,
    }).run()


def _post_fork(server: Any, worker: Any) -> None:
    """Each worker opens its own searcher: file handles are not shared across processes."""
    kb = worker.app.wsgi().extensions.get("kb")
    if isinstance(kb, KnowledgeBase):
        kb.release()


class _GunicornServer(BaseApplication):  # type: ignore[misc,valid-type]
    """gunicorn driven from code (its documented custom-application pattern)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app

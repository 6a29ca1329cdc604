"""The serving face of `kb`: `kb serve`, the search site and the JSON API (webui) on waitress."""

from __future__ import annotations

import os

import click

from kb.config import index_dir
from kbcli.common import index_option, open_kb

CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


@click.command("serve")
@index_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 64), default=8, show_default=True, help="Threads per worker process.")
@click.option("--workers", type=click.IntRange(1, 32), default=None,
              help="Worker processes, forked after loading, each running waitress on one shared socket. "
                   "[default: one per core, here %d]" % CORES)
@click.option("--log-paths", is_flag=True,
              help="Log each request's full path (which document or passage was read), not only its route.")
@click.option("--debug", is_flag=True, help="Flask's debug server (never in production).")
def serve_cmd(index_path: str | None, host: str, port: int, threads: int, workers: int | None, log_paths: bool, debug: bool) -> None:
    """Serve the search site and the JSON API (waitress in --workers processes; SIGTERM drains, then exits 0)."""
    from webui import create_app, warm_up

    root = index_dir(index_path)
    if (workers or CORES) > 1:
        # One embedding thread per worker (one worker per core already): onnxruntime then makes no
        # thread pool, and the session the warm-up loads before the fork is every worker's, one
        # copy of the model instead of one per worker (README, "Serving"). Set before it loads.
        os.environ.setdefault("KB_EMBED_THREADS", "1")
    open_kb(str(root))  # a missing index is reported here, before the server starts
    app = create_app({"KB_INDEX": str(root), "LOG_PATHS": log_paths})
    warm_up(app)
    click.echo(f"Base de connaissances servie sur http://{host}:{port}/ (index : {root})", err=True)
    if debug:
        app.run(host=host, port=port, debug=True, use_reloader=False)
        return
    from webui.server import serve

    # Whoosh scores in Python: one process uses one core, so by default there is one per core.
    serve(app, host, port, threads=threads, workers=workers or CORES)

"""The web face: French search pages and the JSON API over the kb search service."""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Application factory (Flask tutorial style): config from defaults, env, then tests."""
    app = Flask(__name__)
    app.config.from_mapping(KB_INDEX=None)
    app.config.from_prefixed_env("KB")
    if test_config:
        app.config.update(test_config)
    return app

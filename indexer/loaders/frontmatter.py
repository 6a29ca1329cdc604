"""YAML front matter: parsed safely, scalars only, broken blocks reported with their line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import yaml

from indexer.yamlbounds import AliasBombError, load_bounded

MAX_FRONT_MATTER_CHARS = 20_000
MAX_VALUE_CHARS = 2_000


@dataclass
class FrontMatter:
    """Scalar metadata fields, the body after the block, and the body's first line number."""

    fields: dict[str, str]
    body: str
    body_line: int
    warnings: list[str] = field(default_factory=list)


def _scalar(value: Any) -> str | None:
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)[:MAX_VALUE_CHARS]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return None


def split_front_matter(text: str, name: str) -> FrontMatter:
    """Separate a leading `---` YAML block from the Markdown body."""
    if not text.startswith("---\n"):
        return FrontMatter({}, text, 1)
    end = text.find("\n---", 4)
    while end != -1 and text[end + 4 : end + 5] not in ("\n", ""):
        end = text.find("\n---", end + 4)
    if end == -1:
        return FrontMatter({}, text, 1, [f"{name}:1: front matter is not closed by '---'; read as text"])
    block = text[4:end]
    body = text[end + 4 :].lstrip("\n") if text[end + 4 :].startswith("\n") else text[end + 4 :]
    body_line = text[: len(text) - len(body)].count("\n") + 1
    warnings: list[str] = []
    if len(block) > MAX_FRONT_MATTER_CHARS:
        return FrontMatter({}, body, body_line, [f"{name}:1: front matter over {MAX_FRONT_MATTER_CHARS} characters; ignored"])
    try:
        data = load_bounded(block, first_line=2)
    except AliasBombError as exc:
        return FrontMatter({}, body, body_line, [f"{name}:{exc.line}: front matter ignored: {exc.problem} "
                                                 "(write the values out instead of nesting aliases)"])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or "invalid YAML"
        return FrontMatter({}, body, body_line, [f"{name}:{line}: broken front matter ({problem}); metadata ignored"])
    if data is None:
        return FrontMatter({}, body, body_line)
    if not isinstance(data, dict):
        return FrontMatter({}, body, body_line, [f"{name}:2: front matter is not a mapping; ignored"])
    fields: dict[str, str] = {}
    for key, value in data.items():
        scalar = _scalar(value)
        if scalar is not None:
            fields[str(key)] = scalar
    return FrontMatter(fields, body, body_line, warnings)

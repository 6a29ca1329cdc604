"""JSON schemas read from kb's typed views (dataclasses and TypedDicts): the field types that
to_json() serialises are the types the OpenAPI document declares, so the two cannot drift."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

STR = {"type": "string"}
INT = {"type": "integer", "minimum": 0}
NULLABLE_STR = {"type": ["string", "null"]}
_SCALARS: dict[Any, dict[str, Any]] = {str: STR, int: INT, float: {"type": "number"}, bool: {"type": "boolean"}}


def ref(name: str) -> dict[str, str]:
    """A reference to a named schema of the OpenAPI components."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object schema whose properties are all required but the `optional` ones."""
    return {"type": "object", "required": [k for k in properties if k not in optional], "properties": properties}


def array(items: dict[str, Any]) -> dict[str, Any]:
    """An array schema of `items`."""
    return {"type": "array", "items": items}


def view_schema(view: type, named: tuple[type, ...]) -> dict[str, Any]:
    """The object schema of a dataclass view (fields to_json() shows) or of a TypedDict."""
    hints = typing.get_type_hints(view)
    properties: dict[str, Any] = {}
    optional: list[str] = []
    if dataclasses.is_dataclass(view):
        for f in dataclasses.fields(view):
            if not f.metadata.get("json", True):
                continue
            properties[f.name] = _field_schema(hints[f.name], f.metadata, named)
            if f.metadata.get("omit_none"):
                optional.append(f.name)
    else:
        properties = {name: type_schema(hint, named) for name, hint in hints.items()}
        optional = sorted(getattr(view, "__optional_keys__", ()))  # NotRequired: absent from older builds
    return obj(properties, tuple(optional))


def _field_schema(hint: Any, metadata: typing.Mapping[str, Any], named: tuple[type, ...]) -> dict[str, Any]:
    if "schema" in metadata:
        return dict(metadata["schema"])
    if metadata.get("omit_none"):
        hint = _without_none(hint)  # left out when None: present, it has its own type
    schema = type_schema(hint, named)
    if "description" in metadata:
        schema = {**schema, "description": metadata["description"]}
    return schema


def _without_none(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if len(args) == 1 else hint


def type_schema(hint: Any, named: tuple[type, ...]) -> dict[str, Any]:
    """The schema of one type: scalars, optionals, arrays, string-keyed objects, views."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType) and type(None) in args:
        inner = _without_none(hint)
        if inner is str:
            return NULLABLE_STR
        return {"oneOf": [{"type": "null"}, type_schema(inner, named)]}
    if origin in (tuple, list):
        return array(type_schema(args[0], named))
    if origin is dict:
        return {"type": "object", "additionalProperties": type_schema(args[1], named)}
    if hint in _SCALARS:
        return _SCALARS[hint]
    if hint in named:
        return ref(hint.__name__)
    if dataclasses.is_dataclass(hint) or typing.is_typeddict(hint):
        return view_schema(hint, named)
    raise TypeError(f"no JSON schema for {hint!r}")

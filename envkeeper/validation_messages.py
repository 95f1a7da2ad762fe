"""Pydantic's validation errors as envkeeper's error lines: the full config key, and what
to write there instead. Field descriptions double as the fix."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel

from envkeeper.stackfile import NAMESPACE


class KeyedError(ValueError):
    """A validation error about a sub-key, so the error line names the exact key."""

    def __init__(self, key: str, message: str, top: bool = False) -> None:
        super().__init__(message)
        self.key = key
        self.top = top
        self.message = message


def _full_key(loc: tuple[Any, ...]) -> str:
    key = f"{NAMESPACE}:"
    for i, part in enumerate(loc):
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += ("." if i else "") + str(part)
    return key


def _message(error: Any, model: type[BaseModel]) -> tuple[tuple[Any, ...], str]:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    exc = ctx.get("error")
    if isinstance(exc, KeyedError):
        if exc.top:
            return (exc.key,), exc.message
        return ((*loc, exc.key) if exc.key else loc), exc.message
    if error["type"] == "value_error":
        return loc, str(exc) if exc else error["msg"]
    if error["type"] == "missing":
        return loc, f"missing; set {_describe(model, loc)}"
    if error["type"] == "misspelt":
        return loc, f"unknown key; did you mean {_full_key((*loc[:-1], error['msg']))}?"
    if error["type"] == "extra_forbidden":
        return loc, f"unknown key; expected one of: {_known_keys(model, loc[:-1])}"
    if error["type"] == "too_short":
        return loc, f"is empty; expected {_describe(model, loc)}"
    return loc, f"{error['msg'].lower()}; expected {_describe(model, loc)}"


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    current: Any = model
    field = None
    for part in loc:
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            break
        field = next((f for n, f in current.model_fields.items() if part in (n, f.alias)), None)
        if field is None:
            return None
        current = field.annotation
    return field


def _describe(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    field = _field_at(model, loc)
    return field.description if field is not None and field.description else "a valid value"


def _known_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> str:
    current: Any = model
    if loc:
        field = _field_at(model, loc)
        current = field.annotation if field is not None else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        return ", ".join(f.alias or n for n, f in current.model_fields.items())
    return "see the README"


def _merge_misspellings(errors: list[Any]) -> list[Any]:
    """A misspelt key is one problem, not "unknown key" plus "missing key"."""
    missing = {tuple(e["loc"]): e for e in errors if e["type"] == "missing"}
    out = []
    for error in errors:
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            siblings = [m[-1] for m in missing if m[:-1] == loc[:-1]]
            close = difflib.get_close_matches(str(loc[-1]), [str(s) for s in siblings], n=1)
            if close:
                del missing[(*loc[:-1], close[0])]
                error = {**error, "type": "misspelt", "ctx": {"error": None}, "msg": close[0]}
        out.append(error)
    return [e for e in out if e["type"] != "missing" or tuple(e["loc"]) in missing]


def error_lines(errors: list[Any], model: type[BaseModel]) -> list[tuple[str, str]]:
    """(full config key, message) for each of pydantic's errors about `model`."""
    lines = []
    for error in _merge_misspellings(errors):
        loc, message = _message(error, model)
        lines.append((_full_key(loc), message))
    return lines

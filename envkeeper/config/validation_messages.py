"""Pydantic's validation errors as envkeeper's error lines: the full config key, and what
to write there instead. Field descriptions double as the fix."""

from __future__ import annotations

import difflib
import typing
from typing import Any

from pydantic import BaseModel

from envkeeper.config.stackfile import NAMESPACE


class KeyedError(ValueError):
    """A validation error about a sub-key, so the error line names the exact key."""

    def __init__(self, key: str | int, message: str, top: bool = False) -> None:
        super().__init__(message)
        self.key = key
        self.top = top
        self.message = message


ROOT = f"{NAMESPACE}:"


def full_key(loc: tuple[Any, ...], root: str = ROOT) -> str:
    """`envkeeper:cloudflare.workers[1]` for ("cloudflare", "workers", 1); under `root`, the
    key of the model being validated (e.g. one entry of envkeeper:secrets)."""
    key = root
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key += ("" if key.endswith(":") else ".") + str(part)
    return key


def _message(error: Any, model: type[BaseModel], root: str) -> tuple[tuple[Any, ...], str]:
    loc = tuple(error["loc"])
    ctx = error.get("ctx") or {}
    exc = ctx.get("error")
    if isinstance(exc, KeyedError):
        if exc.top:
            return (exc.key,), exc.message
        return ((*loc, exc.key) if exc.key != "" else loc), exc.message
    if error["type"] == "value_error":
        return loc, str(exc) if exc else error["msg"]
    if error["type"] == "missing":
        return loc, f"missing; set {_describe(model, loc)}"
    if error["type"] == "misspelt":
        return loc, f"unknown key; did you mean {full_key((*loc[:-1], error['msg']), root)}?"
    if error["type"] == "extra_forbidden":
        return loc, f"unknown key; expected one of: {_known_keys(model, loc[:-1])}"
    if error["type"] in ("int_type", "int_parsing", "int_from_float"):
        return loc, f"must be a whole number; expected {_describe(model, loc)}"
    if error["type"] == "too_short":
        return loc, f"is empty; expected {_describe(model, loc)}"
    return loc, f"{error['msg'].lower()}; expected {_describe(model, loc)}"


def _model_in(annotation: Any) -> Any:
    """The model an annotation holds: itself, or the model in `Model | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((a for a in typing.get_args(annotation) if _model_in(a) is a), annotation)


def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> Any:
    current: Any = model
    field = None
    for part in loc:
        current = _model_in(current)
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
        current = _model_in(field.annotation) if field is not None else None
    if isinstance(current, type) and issubclass(current, BaseModel):
        # A field excluded from the model's input (worked out from others) is no key to use.
        return ", ".join(f.alias or n for n, f in current.model_fields.items() if not f.exclude)
    return "see docs/catalog.md"


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


def error_lines(
    errors: list[Any], model: type[BaseModel], root: str = ROOT
) -> list[tuple[str, str]]:
    """(full config key, message) for each of pydantic's errors about `model`, whose own
    key is `root` (the namespace, for the whole `envkeeper:` config)."""
    lines = []
    for error in _merge_misspellings(errors):
        loc, message = _message(error, model, root)
        lines.append((full_key(loc, root), message))
    return lines

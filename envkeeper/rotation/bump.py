"""Changing keeper dates in `Pulumi.<stack>.yaml` in place.

Only the characters of the date change: the file is parsed to find where the date is, and
that one scalar is replaced in the text, so comments, key order, quoting and layout stay
byte for byte (a date written unquoted comes back quoted, the form `pulumi config set`
keeps). The result is read back, validated and checked to differ only in those dates
before anything is written, and every file is written whole or not at all.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode

from envkeeper.config.stackfile import (
    PROJECT_FILE,
    StackConfig,
    display_path,
    load_config,
    round_trip_yaml,
)
from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.reading import read_text
from envkeeper.doors.redaction import named_or
from envkeeper.doors.writing import write_all, write_atomically
from envkeeper.stack import catalog
from envkeeper.stack.settings import Settings, SlotDates, parse_settings

# write_atomically lives in envkeeper.doors.writing now; it is still importable from here.
__all__ = [
    "ROTATION_KEY",
    "Change",
    "Edit",
    "apply_changes",
    "plan_bump",
    "plan_edit",
    "refuse_legacy_key",
    "write_atomically",
]

ROTATION_KEY = "envkeeper:rotation"
MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Change:
    name: str
    slot: str | None
    old: date
    new: date
    # The config mapping the date is under: a keeper date's, or a setting's (the day
    # emergency asks for a compute restart: envkeeper:neon.restartEndpoint).
    under: str = ROTATION_KEY


class _NotInPlace(Exception):
    """The date is not written where and as envkeeper can change it alone."""


def _own(node: Any, key: Any, where: str) -> Any:
    """`node` as written under `key`, or _NotInPlace: an alias points at a value written
    elsewhere, and an anchored value is shared by every alias of it."""
    if node.start_mark.index < key.end_mark.index:
        raise _NotInPlace(f"{where} is an alias (*name) of a value written elsewhere")
    if getattr(node, "anchor", None):
        raise _NotInPlace(f"{where} has an anchor (&name): other keys may share its value")
    return node


def _child(node: Any, name: str, where: str) -> Any:
    if not isinstance(node, MappingNode):
        raise _NotInPlace(f"{where} is not a mapping")
    if any(key.tag == MERGE_TAG for key, _ in node.value):
        raise _NotInPlace(f"{where} takes keys from a merge key (<<)")
    for key, value in node.value:
        if isinstance(key, ScalarNode) and key.value == name:
            return _own(value, key, f"{where}.{name}")
    raise _NotInPlace(f"{where}.{name} is not written there")


def _span(root: Any, change: Change) -> tuple[int, int, str]:
    """(start, end) offsets in the text of the scalar that holds `change`'s date, and the
    quote it is written with ("" when plain)."""
    node = _child(root, "config", "(top level)")
    node = _child(node, change.under, "config")
    where = change.under
    node = _child(node, change.name, where)
    if change.slot is not None:
        node = _child(node, change.slot, f"{where}.{change.name}")
    if not isinstance(node, ScalarNode):
        raise _NotInPlace(f"{where}.{change.name} is not a date")
    quote = node.style if node.style in ("'", '"') else ""
    return node.start_mark.index, node.end_mark.index, quote


def _date_key(change: Change) -> str:
    slot = f".{change.slot}" if change.slot else ""
    return f"{change.under}.{change.name}{slot}"


def _edited_text(text: str, changes: list[Change], origin: str) -> str:
    """`text` with only the scalars of `changes` replaced. A plain date is written quoted, so
    a later `pulumi config set` keeps it a date (it rewrites an unquoted one as a timestamp)."""
    try:
        root = round_trip_yaml().compose(text)
    except YAMLError:
        raise UserError.one(origin, "", "is not valid YAML; run envkeeper validate") from None
    spans = []
    for change in changes:
        try:
            start, end, quote = _span(root, change)
        except _NotInPlace as exc:
            raise UserError.one(
                origin,
                _date_key(change),
                f"cannot be changed in place: {exc}; write the date itself there, as "
                f"'YYYY-MM-DD', and run the command again",
            ) from None
        mark = quote or "'"
        spans.append((start, end, f"{mark}{change.new.isoformat()}{mark}"))
    for start, end, scalar in sorted(spans, reverse=True):
        text = text[:start] + scalar + text[end:]
    return text


@dataclass(frozen=True)
class Edit:
    """A stack file's new text, checked, and the settings it gives."""

    path: Path
    text: str
    settings: Settings


def plan_edit(path: Path, changes: list[Change], stack: str, today: date) -> Edit:
    """The text of `path` with the dates of `changes` moved, validated and checked to change
    nothing else. Raises UserError, having written nothing, when it would not be valid."""
    origin = display_path(path)
    # Decoded as bytes are, so a file written with CRLF keeps its CRLF; only the date's
    # bytes change.
    text = read_text(path, "a stack file holds settings and encrypted secrets")
    new_text = _edited_text(text, changes, origin)
    before = _config_of(path, text, stack)
    after = _config_of(path, new_text, stack)
    expected = copy.deepcopy(before.values)
    for change in changes:
        rotation = expected[change.under]
        if change.slot is None:
            rotation[change.name] = change.new.isoformat()
        else:
            rotation[change.name][change.slot] = change.new.isoformat()
    if after.values != expected or after.secure != before.secure:
        # Only reachable with YAML envkeeper does not expect; never write a surprise.
        raise UserError.one(
            origin,
            ROTATION_KEY,
            "changing the dates in place would change more than the dates; write each date "
            "as 'YYYY-MM-DD' on its own and run the command again",
        )
    after.origin = origin
    return Edit(path, new_text, parse_settings(after, stack, today))


def apply_changes(
    path: Path, changes: list[Change], stack: str, today: date, write: bool = True
) -> Settings:
    """Rewrite the dates of `changes` in `path` (only check them, with `write=False`), and
    return the settings that result. Raises UserError and leaves the file as it was when the
    result would not be a valid stack file."""
    edit = plan_edit(path, changes, stack, today)
    if write:
        write_all([(edit.path, edit.text)])
    return edit.settings


def _config_of(path: Path, text: str, stack: str) -> StackConfig:
    """The config `text` would give as `path`, read as the commands read a stack file."""
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / path.name
        candidate.write_text(text, encoding="utf-8", newline="")
        project = path.parent / PROJECT_FILE
        if project.is_file():
            # The catalog the new dates are checked against includes the declared secrets.
            shutil.copyfile(project, Path(folder) / PROJECT_FILE)
        config = load_config(Path(folder), stack)
    config.origin = display_path(path)
    return config


def refuse_legacy_key(name: str, settings: Settings, where: str) -> None:
    """Better Auth's legacy key is never rotated, by a bump or in an incident: say why."""
    if name == catalog.LEGACY_AUTH_SECRET and name in settings.catalog.by_name:
        raise UserError.one(
            COMMAND_LINE,
            where,
            f"{name} is Better Auth's legacy key: a new value makes data written before "
            "versioned secrets unreadable. Rotate BETTER_AUTH_SECRETS instead; turn the legacy "
            "key off (betterAuthLegacySecret: false) once every row has been re-written",
        )


def plan_bump(settings: Settings, name: str, when: date, today: date, origin: str) -> Change:
    """The one date `rotation bump` changes, or a UserError saying why not."""
    key = f"{ROTATION_KEY}.{name}"
    tracked = [e.name for e in settings.tracked]
    refuse_legacy_key(name, settings, "SECRET")
    if name not in tracked:
        # A typo on the command line, not a problem of the stack file.
        known = ", ".join(tracked)
        what = f"unknown secret {name}" if named_or(name, "") else "is not a secret's name"
        raise UserError.one(COMMAND_LINE, "SECRET", f"{what}; known: {known}")
    if when > today:
        raise UserError.one(
            COMMAND_LINE,
            "--date",
            f"{when} is in the future (today is {today}); bump to today or earlier",
        )
    current = settings.rotation[name]
    if isinstance(current, SlotDates):
        slot = current.inactive
        old = current.date_of(slot)
        newest = current.latest
        if when <= newest:
            hint = (
                f"slot {current.active} was rotated today; rotate slot {slot} tomorrow"
                if newest == today
                else f"slot {slot} must move past {newest} (slot {current.active}) to become "
                f"active; use a later --date, up to today ({today})"
            )
            raise UserError.one(origin, f"{key}.{slot}", hint)
    else:
        slot, old = None, current
        if when <= old:
            # A keeper date moves once a day: a later one than today would be in the future.
            fix = (
                f"was rotated today already ({old}); a date moves forward once a day, so bump "
                "it again tomorrow (UTC), or re-mint it now with `pulumi up --replace` on what "
                "mints it"
                if old == today
                else f"{when} is not after the current date {old}; use a later --date, up to "
                f"today ({today})"
            )
            raise UserError.one(origin, key, fix)
    return Change(name=name, slot=slot, old=old, new=when)

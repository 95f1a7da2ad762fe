"""Changing keeper dates in `Pulumi.<stack>.yaml` in place.

Only the characters of the date change: the file is parsed to find where the date is, and
that one scalar is replaced in the text, so comments, key order, quoting and layout stay
byte for byte. The result is validated before it is written, and written atomically.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from envkeeper import catalog
from envkeeper.problems import COMMAND_LINE, UserError
from envkeeper.rotation import standby_dies
from envkeeper.settings import Settings, SlotDates, parse_settings
from envkeeper.stackfile import PROJECT_FILE, display_path, load_config, round_trip_yaml

ROTATION_KEY = "envkeeper:rotation"


@dataclass(frozen=True)
class Change:
    name: str
    slot: str | None
    old: date
    new: date


def _position(document: Any, name: str, slot: str | None) -> tuple[int, int, str]:
    """(line, column), zero-based, of the scalar that holds a keeper date, and its text as
    written (`2026-10-05`, or as `pulumi config set` rewrote it, `2026-10-05 00:00:00 +0000
    UTC`)."""
    rotation = document["config"][ROTATION_KEY]
    if slot is None:
        return (*rotation.lc.value(name), str(rotation[name]))
    return (*rotation[name].lc.value(slot), str(rotation[name][slot]))


def _replace_scalar(line: str, column: int, old: str, new: str) -> str:
    # The scalar may be quoted; its text starts at the column or one after it.
    for start in (column, column + 1):
        if line[start : start + len(old)] == old:
            return line[:start] + new + line[start + len(old) :]
    raise AssertionError(f"the date is not at column {column} of its line")


def apply_changes(
    path: Path, changes: list[Change], stack: str, today: date, write: bool = True
) -> Settings:
    """Rewrite the dates of `changes` in `path` (only check them, with `write=False`), and
    return the settings that result. Raises UserError and leaves the file as it was when the
    result would not be a valid stack file."""
    # newline="": a file written with CRLF keeps its CRLF; only the date's bytes change.
    with path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    document = round_trip_yaml().load(text)
    lines = text.splitlines(keepends=True)
    for change in changes:
        line, column, written = _position(document, change.name, change.slot)
        lines[line] = _replace_scalar(lines[line], column, written, change.new.isoformat())
    new_text = "".join(lines)
    settings = _validate(path, new_text, stack, today)
    if not write:
        return settings
    try:
        write_atomically(path, new_text)
    except OSError as exc:
        raise UserError.one(
            display_path(path),
            "",
            f"could not write it ({exc.strerror or exc}); it is unchanged",
        ) from None
    return settings


def _validate(path: Path, text: str, stack: str, today: date) -> Settings:
    with tempfile.TemporaryDirectory() as folder:
        candidate = Path(folder) / path.name
        candidate.write_text(text, encoding="utf-8")
        project = path.parent / PROJECT_FILE
        if project.is_file():
            # The catalog the new dates are checked against includes the declared secrets.
            shutil.copyfile(project, Path(folder) / PROJECT_FILE)
        config = load_config(Path(folder), stack)
    config.origin = display_path(path)
    return parse_settings(config, stack, today)


def write_atomically(path: Path, text: str) -> None:
    """Write next to the file, then rename over it: a reader sees the old or the new file,
    with the old one's permissions and owner."""
    kept = path.stat()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, kept.st_mode & 0o7777)
        if (kept.st_uid, kept.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(PermissionError):  # only root may give a file away
                os.chown(temporary, kept.st_uid, kept.st_gid)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
        raise UserError.one(COMMAND_LINE, "SECRET", f"unknown secret {name}; known: {known}")
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
                "active; use a later --date"
            )
            raise UserError.one(origin, f"{key}.{slot}", hint)
        grace = timedelta(days=settings.standby_grace_days)
        if standby_dies(settings, settings.catalog[name]) is not None and when + grace <= today:
            # The slot every consumer uses now would become a standby that is already dead.
            raise UserError.one(
                COMMAND_LINE,
                "--date",
                f"{when} would make slot {current.active}, the one every consumer uses now, stop "
                f"working on {when + grace} (standbyGraceDays: {settings.standby_grace_days}), "
                f"before they can move to slot {slot}; use a date after {today - grace}",
            )
    else:
        slot, old = None, current
        if when <= old:
            raise UserError.one(
                origin, key, f"{when} is not after the current date {old}; use a later --date"
            )
    return Change(name=name, slot=slot, old=old, new=when)

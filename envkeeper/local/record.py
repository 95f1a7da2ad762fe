"""Where a stack's values were written on this machine, so `rotation status` can say when
a local file is older than a rotation. Paths, names and keeper dates only, never a value,
in the user's state folder ($XDG_STATE_HOME, else ~/.local/state), in no repository.

Light on purpose: `rotation status` reads it on every run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from envkeeper.doors.reading import display_path, read_text
from envkeeper.stack.settings import Settings, SlotDates


def record_path() -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "envkeeper" / "local-files.json"


@dataclass(frozen=True)
class LocalFile:
    path: str  # absolute
    project: str  # the envkeeper project folder, absolute
    stack: str
    worker: str
    keeper_dates: dict[str, str]  # name -> the keeper date its value was made from

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "worker": self.worker,
            "keeperDates": self.keeper_dates,
        }


def _load_record() -> dict[str, Any]:
    path = record_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(read_text(path, "it records the .dev.vars files written here"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _entries() -> list[LocalFile]:
    found = []
    for path, entry in _load_record().items():
        if not isinstance(entry, dict):
            continue
        dates = entry.get("keeperDates")
        if not isinstance(dates, dict):
            continue
        found.append(
            LocalFile(
                path=str(path),
                project=str(entry.get("project")),
                stack=str(entry.get("stack")),
                worker=str(entry.get("worker")),
                keeper_dates={str(k): str(v) for k, v in dates.items()},
            )
        )
    return found


def remember(local: LocalFile) -> None:
    """Add or replace `local` in the record. A record that cannot be written costs only
    the staleness note, so it never fails the command that wrote the values."""
    record = {e.path: e.as_json() for e in _entries() if Path(e.path).exists()}
    record[local.path] = local.as_json()
    path = record_path()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(record, indent=2, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)


def _current_date(settings: Settings, name: str) -> date | None:
    when = settings.rotation.get(name)
    if isinstance(when, SlotDates):
        return when.latest  # the active slot: what a consumer holds
    return when


def stale_files(project_dir: Path, stack: str, settings: Settings) -> list[str]:
    """One note per local file of `stack` that holds a value rotated since it was written."""
    project = str(project_dir.resolve())
    notes = []
    for local in _entries():
        if local.project != project or local.stack != stack or not Path(local.path).is_file():
            continue
        rotated = []
        for name, written in sorted(local.keeper_dates.items()):
            now = _current_date(settings, name)
            if now is not None and now.isoformat() > written:
                rotated.append(f"{name} ({now})")
        if rotated:
            shown = display_path(Path(local.path))
            notes.append(
                f"note: {shown} (stack {stack}, Worker {local.worker}) is older than the last "
                f"rotation of {', '.join(rotated)}; after `pulumi up --stack {stack}`, run "
                f"`envkeeper dev-vars {stack} --worker {local.worker} --output {shown}` again"
            )
    return notes

"""Files that hold a stack's values on a developer's machine: written whole, readable by
their owner only, never where git would track them, and remembered (where, from which
stack, which keeper dates) so `rotation status` can say when one is older than a rotation.

The record holds paths, names and dates, never a value. It lives in the user's state
folder ($XDG_STATE_HOME, else ~/.local/state), not in any repository.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from envkeeper.problems import COMMAND_LINE, Problem, UserError
from envkeeper.settings import Settings, SlotDates
from envkeeper.stackfile import display_path

GIT_TIMEOUT = 30


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str] | None:
    git = shutil.which("git")
    if git is None:
        return None
    return subprocess.run(  # noqa: S603 (git from PATH, arguments as a list)
        [git, "-C", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def _inside_a_repository(folder: Path) -> bool:
    return any((parent / ".git").exists() for parent in (folder, *folder.parents))


def tracking_problem(path: Path, option: str) -> Problem | None:
    """Why `path` must not be written: git would track it (or may already), or it is no
    place for a file. None when git ignores it or no repository holds it."""
    shown = display_path(path)
    folder = path.parent
    if not folder.is_dir():
        return Problem(COMMAND_LINE, option, f"{shown}: its folder does not exist; create it first")
    if path.is_dir():
        return Problem(COMMAND_LINE, option, f"{shown} is a folder; name the file to write")
    ignore = f"echo {path.name} >> {display_path(folder / '.gitignore')}"
    checked = _git(folder, "check-ignore", "--quiet", "--", path.name)
    if checked is None:
        if _inside_a_repository(folder):
            return Problem(
                COMMAND_LINE,
                option,
                f"{shown} is inside a git repository and git is not installed to check that it "
                f"ignores the file; install git (and `{ignore}`)",
            )
        return None
    if checked.returncode == 0:
        return None  # ignored
    if checked.returncode == 1:
        listed = _git(folder, "ls-files", "--", path.name)
        if listed is not None and listed.stdout.strip():
            return Problem(
                COMMAND_LINE,
                option,
                f"{shown} is tracked by git: its values would be committed; "
                f"`git rm --cached {path.name}`, then `{ignore}`, commit, and run this again",
            )
        return Problem(
            COMMAND_LINE,
            option,
            f"git would track {shown} (no ignore rule matches it); `{ignore}` and run this again",
        )
    if "not a git repository" in checked.stderr:
        return None
    return Problem(
        COMMAND_LINE,
        option,
        f"git could not say whether it ignores {shown} (exit {checked.returncode}); fix the "
        "repository, or write the file somewhere else",
    )


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all, mode 0600 from its first byte: a
    temporary file beside it (mkstemp makes it 0600), then one rename over the old one."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise UserError.one(
            display_path(path), "", f"could not write it ({exc.strerror or exc}); nothing changed"
        ) from None


# ---- the record of where values were written -------------------------------------------


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
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(record, out, indent=2, sort_keys=True)
        os.replace(temporary, path)
    except OSError:
        return


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

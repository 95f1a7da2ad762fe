"""Files that hold a stack's values on a developer's machine: written whole, readable by
their owner only, and never where git would track them (record.py remembers them)."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from envkeeper.doors.problems import COMMAND_LINE, Problem, UserError
from envkeeper.doors.reading import display_path

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
            if path.name.startswith((".dev.vars", ".env")):
                # A values file in git: its values are in the history already.
                return Problem(
                    COMMAND_LINE,
                    option,
                    f"{shown} is tracked by git: its values would be committed; "
                    f"`git rm --cached {path.name}`, then `{ignore}`, commit, and run this "
                    "again; values it held before are in git's history: treat them as leaked",
                )
            return Problem(
                COMMAND_LINE,
                option,
                f"{shown} is tracked by git, so the values would be committed; name a file git "
                "ignores (the default .dev.vars, once .gitignore lists it)",
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


def refuse_tracked(path: Path, option: str) -> None:
    """A file a command writes for a person to read (a pull request's description) must not
    be one git tracks: `--body README.md` would replace the README. (Not a stack file: the
    commands that edit those name them themselves.)"""
    target = Path(os.path.realpath(path))
    if not target.parent.is_dir():
        return  # the write itself says the folder is missing
    listed = _git(target.parent, "ls-files", "--error-unmatch", "--", target.name)
    if listed is not None and listed.returncode == 0:
        raise UserError.one(
            COMMAND_LINE,
            option,
            f"{display_path(path)} is tracked by git and would be replaced; write the "
            "description outside the repository (for example in $RUNNER_TEMP or /tmp)",
        )


def checked_description(path: Path, option: str) -> None:
    """A pull request's description (`--body`), checked before anything is read or written:
    not a file git tracks, and a regular file or a new one in an existing folder, so a
    wrong path stops the command on a quiet day too, not only when there is something to
    write."""
    from envkeeper.doors.writing import writable_target

    refuse_tracked(path, option)
    writable_target(path)


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all, mode 0600 from its first byte: a
    temporary file beside it (mkstemp makes it 0600), then one rename over the old one."""
    from envkeeper.doors.writing import writable_target

    # Never a device or a pipe (/dev/null, /dev/stdout), and through a link the person made.
    target = writable_target(path)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise UserError.one(
            display_path(path), "", f"could not write it ({exc.strerror or exc}); nothing changed"
        ) from None

"""Reading the files a person names (a stack file, Pulumi.yaml, a saved preview, a plan
folder's files): only a regular file, and never more than a limit.

The write side is envkeeper/doors/writing.py. Reading goes through here so that no command opens
a device, a pipe or a folder a person named by mistake: `/dev/zero` once read until the
kernel stopped it, and a FIFO waits forever for a writer.

A message names the file and what to do, never a byte of what was read: a file named by
mistake may hold a secret.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from envkeeper.doors.problems import UserError
from envkeeper.doors.redaction import printable

# The most any file envkeeper reads may hold: stack files are a few kilobytes, a saved
# preview of a large stack a few megabytes.
SETTINGS_LIMIT = 1024 * 1024
PREVIEW_LIMIT = 64 * 1024 * 1024


def display_path(path: Path) -> str:
    """The shortest honest name of a file for a line of output, its control characters
    escaped (a newline in a name given on the command line would start a line of its own)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return printable(str(path))
    return printable(rel if not rel.startswith("..") else str(path))


def _refuse(path: Path, why: str) -> UserError:
    return UserError.one(display_path(path), "", why)


def checked_file(path: Path) -> None:
    """UserError unless `path` is (a link to) a regular file envkeeper may open."""
    try:
        mode = path.stat().st_mode  # through the person's links, to what they name
    except FileNotFoundError:
        dangling = path.is_symlink()
        raise _refuse(
            path, "is a link to nothing; name the file itself" if dangling else "no such file"
        ) from None
    except OSError as exc:
        raise _refuse(path, f"cannot read it ({exc.strerror})") from None
    if stat.S_ISDIR(mode):
        raise _refuse(path, "is a directory, not a file; name the file in it")
    if not stat.S_ISREG(mode):
        # Checked before opening: opening a FIFO waits for a writer; a device never ends.
        raise _refuse(path, "is not a regular file (a device, a pipe or a socket); name a file")


def checked_folder(path: Path, missing_ok: bool = False) -> None:
    """UserError unless `path` is (a link to) a folder; with `missing_ok`, a folder not made
    yet is fine where its parent exists (a command that makes it)."""
    if path.is_dir():
        return
    if path.is_symlink() and not path.exists():
        raise _refuse(path, "is a link to nothing; name the folder itself")
    if not path.exists():
        if missing_ok and path.parent.is_dir():
            return
        raise _refuse(path, "does not exist; name an existing folder")
    raise _refuse(path, "is not a folder (a file, a device or a pipe); name a folder")


def read_named(path: Path, what: str, limit: int = SETTINGS_LIMIT) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them, or UserError saying
    why not. `what` says what the file should hold, for the message about its size."""
    checked_file(path)
    try:
        # O_NONBLOCK: should the name become a FIFO after the check, opening does not wait.
        handle = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(handle, "rb") as reader:
            if not stat.S_ISREG(os.fstat(reader.fileno()).st_mode):
                raise _refuse(path, "is not a regular file; name a file")
            data = reader.read(limit + 1)
    except OSError as exc:
        raise _refuse(path, f"cannot read it ({exc.strerror})") from None
    if len(data) > limit:
        size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
        raise _refuse(path, f"is larger than {size}; {what}: check that this is the file you meant")
    return data


def read_text(path: Path, what: str, limit: int = SETTINGS_LIMIT, encoding: str = "utf-8") -> str:
    """read_named, as text; a file that is not text is one line, quoting none of it."""
    data = read_named(path, what, limit)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError.one(
            display_path(path), f"line {line}", "is not UTF-8 text; save the file as UTF-8"
        ) from None

"""Writing the files a command changes: all of them, or none.

Every file is checked and staged (written in full next to its target) before any is
replaced, so a file that cannot be written stops the command before anything changed. A
symlinked file is edited through its link, and a read-only file is refused, never
replaced behind its owner's back.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from envkeeper.doors.problems import UserError
from envkeeper.doors.reading import display_path

# Every file this process has replaced, as the user named it: what a command that cannot
# finish (its output lost, say) reports as already changed.
CHANGED: list[str] = []


@dataclass(frozen=True)
class _Staged:
    path: Path  # as the user named it, for messages
    target: Path  # the file really written: the link's target for a symlink
    temporary: Path
    before: bytes | None  # None: the file is new


def _target(path: Path) -> Path:
    """The file a write of `path` changes: through any symlinks, to the file they name."""
    return Path(os.path.realpath(path))


def _refuse(path: Path, why: str) -> UserError:
    return UserError.one(display_path(path), "", f"{why}; no file was changed")


def _check_writable(path: Path, target: Path) -> None:
    if target.is_dir():
        raise _refuse(path, "is a directory, not a file")
    if target.exists() and not target.is_file():
        # A device, a FIFO or a socket: replacing it with a file would put the text where
        # the name used to be something else (/dev/null, /dev/stdout in a private /dev).
        raise _refuse(path, "is not a regular file (a device, a pipe or a socket); name a file")
    if not target.exists():
        if not target.parent.is_dir():
            raise _refuse(path, f"its folder {display_path(target.parent)} does not exist")
        return
    mode = target.stat().st_mode
    # Root may write anything; a file nobody may write was made read-only on purpose.
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(target, os.W_OK):
        raise _refuse(
            path,
            f"is read-only (mode {stat.S_IMODE(mode):o}); make it writable "
            f"(chmod u+w {display_path(path)}) and run the command again",
        )


def writable_target(path: Path) -> Path:
    """The file a write of `path` would replace (through the person's symlinks), once it is
    known to be a regular file or a new one in an existing folder; else UserError."""
    target = _target(path)
    _check_writable(path, target)
    return target


def _stage(path: Path, data: bytes) -> _Staged:
    """`data` written in full beside the file it will replace, with that file's mode and owner."""
    target = _target(path)
    _check_writable(path, target)
    before = target.read_bytes() if target.exists() else None
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if before is None:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        else:
            kept = target.stat()
            os.chmod(temporary, stat.S_IMODE(kept.st_mode))
            if (kept.st_uid, kept.st_gid) != (os.getuid(), os.getgid()):
                with contextlib.suppress(PermissionError):  # only root may give a file away
                    os.chown(temporary, kept.st_uid, kept.st_gid)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return _Staged(path, target, temporary, before)


def _undo(done: list[_Staged]) -> None:
    """Put back what was replaced before a later replacement failed."""
    for staged in reversed(done):
        with contextlib.suppress(OSError):
            if staged.before is None:
                staged.target.unlink()
            else:
                restore = _stage(staged.path, staged.before)
                os.replace(restore.temporary, restore.target)


def write_all(files: list[tuple[Path, str]]) -> None:
    """Write every (path, text), or none: a reader sees each file old or new, never half
    written, and a failure leaves every file as it was. Raises UserError naming the file."""
    staged: list[_Staged] = []
    try:
        for path, text in files:
            try:
                staged.append(_stage(path, text.encode("utf-8")))
            except OSError as exc:
                raise _refuse(path, f"could not write it ({exc.strerror or exc})") from None
        done: list[_Staged] = []
        for item in staged:
            try:
                os.replace(item.temporary, item.target)
            except OSError as exc:
                _undo(done)
                alone = len(staged) == 1
                raise UserError.one(
                    display_path(item.path),
                    "",
                    f"could not write it ({exc.strerror or exc}); "
                    + ("it is unchanged" if alone else "no file was changed"),
                ) from None
            done.append(item)
        CHANGED.extend(display_path(item.path) for item in done)
    finally:
        for item in staged:
            item.temporary.unlink(missing_ok=True)


def write_atomically(path: Path, text: str) -> None:
    """Write one file whole (see write_all)."""
    write_all([(path, text)])

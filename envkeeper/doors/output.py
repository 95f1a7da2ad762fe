"""Standard output that cannot be written: closed, full, or a pipe whose reader went away;
and the one redactor every printed line passes (envkeeper/doors/redaction.py).

Every command prints through `sys.stdout`, and main() puts `Guarded` in front of it, so
none of them can get this wrong on its own: a failed write (or the final flush) ends the
command with one line on stderr and exit 74 (sysexits' EX_IOERR), never a traceback, and
never exit 1, which some commands use for "found" or "overdue". The line says which files
the command had already changed (envkeeper/doors/writing.py records them), or that it changed
none: a script must not think nothing happened when a stack file was rewritten.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from typing import Any, TextIO

from envkeeper.doors.redaction import hidden

EXIT_OUTPUT_LOST = 74

_REASONS = {
    errno.EPIPE: "the program reading it stopped (a broken pipe)",
    errno.ENOSPC: "it is full",
    errno.EBADF: "it is closed",
}


class OutputLost(Exception):
    """Standard output could not be written; the message says why, never what."""


class Guarded:
    """A stream in front of standard output (None: it was closed before the process
    began) that turns a failed write into OutputLost."""

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream

    def _lost(self, exc: OSError | None) -> OutputLost:
        reason = _REASONS.get(exc.errno or 0, f"it failed ({exc.strerror})") if exc else None
        return OutputLost(reason or "it is closed")

    def write(self, text: str) -> int:
        if self._stream is None:
            raise self._lost(None)
        try:
            self._stream.write(hidden(text))
            return len(text)
        except OSError as exc:
            raise self._lost(exc) from None
        except ValueError:  # "I/O operation on closed file"
            raise self._lost(None) from None

    def flush(self) -> None:
        if self._stream is None:
            return
        try:
            self._stream.flush()
        except OSError as exc:
            raise self._lost(exc) from None
        except ValueError:
            raise self._lost(None) from None

    def isatty(self) -> bool:
        return self._stream is not None and self._stream.isatty()

    def __getattr__(self, name: str) -> Any:
        if self._stream is None:
            raise AttributeError(name)
        return getattr(self._stream, name)


def guard_stdout() -> None:
    if not isinstance(sys.stdout, Guarded):
        sys.stdout = Guarded(sys.stdout)  # pyright: ignore[reportAttributeAccessIssue]
    if sys.stderr is not None and not isinstance(sys.stderr, Redacted):
        sys.stderr = Redacted(sys.stderr)  # pyright: ignore[reportAttributeAccessIssue]


class Redacted:
    """Standard error, every line passed through the redactor first."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(hidden(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def give_up(lost: OutputLost) -> int:
    """Say once, on stderr, that output was lost and what had changed; the exit code."""
    from envkeeper.doors.writing import CHANGED

    changed = (
        "it had changed " + ", ".join(dict.fromkeys(CHANGED)) + " before that"
        if CHANGED
        else "no file was changed"
    )
    # Nothing more reaches standard output, Python's own flush at exit included.
    with open(os.devnull, "w") as sink, contextlib.suppress(OSError):
        os.dup2(sink.fileno(), 1)
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115
    from envkeeper.doors.terminal import tell

    with contextlib.suppress(OSError, ValueError):
        tell(f"envkeeper: could not write to standard output: {lost}; {changed}")
    return EXIT_OUTPUT_LOST

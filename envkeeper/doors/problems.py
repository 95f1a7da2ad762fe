"""User-facing errors: one line each, naming the file, the key and the fix."""

from __future__ import annotations

from dataclasses import dataclass

from envkeeper.doors.redaction import hidden

# Where a problem with the command's own arguments is reported, in place of a file.
COMMAND_LINE = "(command line)"


@dataclass(frozen=True)
class Problem:
    file: str
    key: str  # empty for a problem of the whole file
    message: str

    def __str__(self) -> str:
        # The one door every problem line goes out by: a key or an error line from outside
        # may hold a secret pasted into the wrong place (envkeeper/doors/redaction.py).
        where = f"{self.file}: {self.key}" if self.key else self.file
        return hidden(f"{where}: {self.message}")


class UserError(Exception):
    """Bad input. The CLI prints each problem on its own line and exits 2.

    Messages never carry a secret value: callers build them from key names and from
    values that are known to be plain settings.
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems

    @classmethod
    def one(cls, file: str, key: str, message: str) -> UserError:
        return cls([Problem(file, key, message)])

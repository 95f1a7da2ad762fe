"""Where tables are printed."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


# The widest COLUMNS taken as asked: rich lays out help and tables in memory at the width
# it is given, and a width of billions exhausts it.
MAX_COLUMNS = 1000


def asked_columns() -> int | None:
    """COLUMNS when it is set to a width (a user's explicit request, on a terminal or not),
    at most MAX_COLUMNS; None when it is unset or not a number."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return min(int(columns), MAX_COLUMNS)
    return None


def settle_columns() -> None:
    """COLUMNS as every writer reads it, Typer's help and rich's tables included: a width
    past MAX_COLUMNS becomes MAX_COLUMNS."""
    columns = asked_columns()
    if columns is not None:
        os.environ["COLUMNS"] = str(columns)


def width(piped_width: int) -> int | None:
    """COLUMNS when set; else the terminal's own width (None: rich asks it), or
    `piped_width` columns when piped (CI logs, PR comments) rather than rich's narrow
    default."""
    columns = asked_columns()
    if columns is not None:
        return columns
    return None if sys.stdout.isatty() else piped_width


def console(piped_width: int) -> Console:
    from rich.console import Console

    return Console(width=width(piped_width), highlight=False)


@contextmanager
def progress(text: str) -> Iterator[Callable[[str], None]]:
    """A status line on stderr while something slow runs, when stderr is a terminal; nothing
    when piped (CI logs, PR comments). Yields a function that changes the line."""
    if not sys.stderr.isatty():
        yield lambda _text: None
        return
    from rich.console import Console

    with Console(stderr=True).status(text) as status:
        yield lambda new: status.update(new)


def text_width() -> int:
    """The columns prose is wrapped to: COLUMNS when set, the terminal's own width, or 80
    when piped (CI logs, PR comments)."""
    found = width(80)
    if found is not None:
        return found
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


# A line that is a command to run (after its indentation and any bullet): kept whole.
_COMMAND = re.compile(
    r"\s*(?:- )?(?:pulumi (?:config|up|stack|refresh|cancel|preview|state) "
    r"|envkeeper (?:rotation|emergency|offboard|dev-vars|run|orphans|recover|validate|plan) "
    r"|wrangler (?:deploy|versions|secret) |git (?:rm|add|commit) )"
)


def _wrapped(line: str, columns: int, hang: str | None = None) -> str:
    """One line of prose wrapped at `columns`, continued under its first word (after its
    indentation and any `- `, `- [ ] ` or `1. ` bullet), or after `hang` when given. A word
    longer than the line (a URL, a resource name) is never cut."""
    import re
    import textwrap

    if len(line) <= columns or _COMMAND.match(line):
        return line  # a command is never broken: it must copy whole
    if hang is None:
        lead = re.match(r"\s*(?:- \[ \] |- |\d+\. )?", line)
        hang = " " * (lead.end() if lead else 0)
    return textwrap.fill(
        line,
        width=columns,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    )


# Within a line for stderr: a command in backquotes, or one that ends the sentence (`...;
# write only the stack: envkeeper emergency dev`), kept on one line so it copies whole.
_INLINE_COMMAND = re.compile(r"`[^`]+`|\b(?:envkeeper|pulumi) [^;`]+$")
_GLUE = "\x00"


def _stderr_width() -> int:
    """COLUMNS when set; else the width of the terminal stderr is, or 80 when piped."""
    columns = asked_columns()
    if columns is not None:
        return columns
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns if sys.stderr.isatty() else 80
    except (AttributeError, OSError, ValueError):
        return 80


def tell(text: str) -> None:
    """Print a problem, note or warning on stderr, each line of `text` wrapped to the
    terminal (80 columns when piped) with its continuation lines indented: a line at the
    margin always begins the next problem. A short command in it is never broken."""
    from envkeeper.doors.redaction import hidden

    columns = _stderr_width()
    out = []
    for line in hidden(text).split("\n"):
        if _GLUE not in line:
            line = _INLINE_COMMAND.sub(
                lambda m: m[0].replace(" ", _GLUE) if len(m[0]) < columns - 2 else m[0], line
            )
        out.append(_wrapped(line, columns, hang="  ").replace(_GLUE, " "))
    print("\n".join(out), file=sys.stderr)


def say(text: str = "") -> None:
    """Print prose wrapped at `text_width()`, each line of `text` on its own."""
    columns = text_width()
    print("\n".join(_wrapped(line, columns) for line in text.split("\n")))


def say_markdown(text: str) -> None:
    """Print Markdown (a pull request's description) for a person at a terminal: prose and
    list items wrapped as `say` does, which Markdown renders the same; a table row, a
    heading and a fenced block as they are, since a break would change what they mean."""
    columns = text_width()
    out, fenced = [], False
    for line in text.rstrip("\n").split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        kept = fenced or line.lstrip().startswith(("|", "#", "```"))
        out.append(line if kept else _wrapped(line, columns))
    print("\n".join(out))

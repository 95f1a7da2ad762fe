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


def width(piped_width: int) -> int | None:
    """COLUMNS when set (a user's explicit request, on a terminal or not); else the
    terminal's own width (None: rich asks it), or `piped_width` columns when piped (CI logs,
    PR comments) rather than rich's narrow default."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
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


def _wrapped(line: str, columns: int) -> str:
    """One line of prose wrapped at `columns`, continued under its first word (after its
    indentation and any `- `, `- [ ] ` or `1. ` bullet). A word longer than the line (a URL,
    a resource name) is never cut."""
    import re
    import textwrap

    if len(line) <= columns or _COMMAND.match(line):
        return line  # a command is never broken: it must copy whole
    lead = re.match(r"\s*(?:- \[ \] |- |\d+\. )?", line)
    hang = " " * (lead.end() if lead else 0)
    return textwrap.fill(
        line,
        width=columns,
        subsequent_indent=hang,
        break_long_words=False,
        break_on_hyphens=False,
    )


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

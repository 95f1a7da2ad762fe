"""Values as wrangler's `.dev.vars` file holds them (dotenv, as the npm `dotenv` parses it).

dotenv keeps a single-quoted or backtick-quoted value exactly as written, newlines
included; a double-quoted one turns `\\n` into a newline; an unquoted one loses a `#`
and trailing spaces. So every value is quoted, with the first quote its text does not
contain. A value no quoting keeps whole is refused by name, never written half-right.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The names dotenv reads as keys.
_NAME = re.compile(r"^[\w.-]+$")


def quoted(value: str) -> str | None:
    """`value` quoted so dotenv reads it back unchanged, or None if no quoting does."""
    if "\r" not in value:  # dotenv turns every CR into a newline before it parses
        for quote in ("'", "`"):
            if quote not in value:
                return f"{quote}{value}{quote}"
    # Double quotes: dotenv expands \n and \r, and never un-escapes a quote.
    if '"' not in value and "\\n" not in value and "\\r" not in value:
        return '"' + value.replace("\n", "\\n").replace("\r", "\\r") + '"'
    return None


def unwritable(values: Mapping[str, str]) -> list[str]:
    """The names whose values a .dev.vars file cannot hold whole."""
    return [
        name for name, value in values.items() if not _NAME.match(name) or quoted(value) is None
    ]


def render(values: Mapping[str, str], header: list[str]) -> str:
    """The file: `header` as comments, then NAME='value' lines. Check `unwritable` first."""
    lines = [f"# {line}" for line in header]
    for name, value in values.items():
        text = quoted(value)
        assert text is not None and _NAME.match(name), "checked by unwritable() first"
        lines.append(f"{name}={text}")
    return "\n".join(lines) + "\n"

"""MkDocs hook (mkdocs.yml `hooks:`): a table row's `\\|` inside a code span reads `|` on the site.

GitHub, which shows the same pages, needs the backslash to keep a pipe inside a code span
from splitting a table cell (`--format table\\|json`); Python-Markdown's tables leave a code
span whole anyway and would show the backslash as typed.
"""

from __future__ import annotations

import re
from typing import Any

CODE_SPAN = re.compile(r"`[^`\n]*`")


def unescape_table_pipes(markdown: str) -> str:
    """Each table row's code spans with `\\|` made `|`; every other line as it is."""
    return "\n".join(
        CODE_SPAN.sub(lambda span: span.group(0).replace("\\|", "|"), line)
        if line.startswith("|")
        else line
        for line in markdown.split("\n")
    )


def on_page_markdown(markdown: str, **_: Any) -> str:
    return unescape_table_pipes(markdown)

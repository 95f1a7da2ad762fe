"""Text a project wrote (a declared secret's description or rotation note, in Pulumi.yaml)
placed into Markdown that envkeeper writes: a pull request body, an access review.

Such text is one line and short by validation (envkeeper/stack/declared.py); here it is
also escaped, so it reads as the words it is and can add no heading, checklist item,
link, table cell or HTML to the document around it.
"""

from __future__ import annotations

import re

# GitHub shows at most 1 MiB of one step's summary; the rest of the report is cut.
SUMMARY_LIMIT = 1024 * 1024

# Every ASCII punctuation character may be backslash-escaped in CommonMark; these are the
# ones that make structure inline (emphasis, code, links, HTML, tables, strikethrough,
# entities, headings).
_INLINE = re.compile(r"([\\`*_\[\]<>|~&#!])")
# What makes structure only at the start of a line: a list item, a quote, a numbered item.
_LEADING = re.compile(r"^([-+=>]|\d+[.)])")


def inline(text: str) -> str:
    """`text` as literal Markdown on one line: whitespace runs become one space."""
    flat = " ".join(text.split())
    escaped = _INLINE.sub(r"\\\1", flat)
    return _LEADING.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], escaped)


def fenced(text: str) -> str:
    """Text shown as it is, in a code block no line of it can close (a fence longer than
    any run of backticks in it)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text.rstrip()}\n{fence}"

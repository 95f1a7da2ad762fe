"""How wrangler reads `.dev.vars`: the npm `dotenv` package's `parse` (v16), line for line.

Ported so the tests read a written file exactly as `wrangler dev` will, quirks included: a
double-quoted value has `\\n` turned into a newline, an unquoted one loses a `#` comment,
a CR becomes a newline before anything is parsed.
"""

from __future__ import annotations

import re

# lib/main.js's LINE, unchanged (the JavaScript /mg flags are re.MULTILINE and finditer).
LINE = re.compile(
    r"""(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)""",
    re.MULTILINE,
)
_QUOTED = re.compile(r"""^(['"`])([\s\S]*)\1$""", re.MULTILINE)


def _js_trim(text: str) -> str:
    # JavaScript's trim(): whitespace and line terminators at both ends.
    return text.strip(" \t\n\r\v\f\u00a0\ufeff\u2028\u2029")


def parse(src: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = re.sub(r"\r\n?", "\n", src)
    for match in LINE.finditer(lines):
        key = match.group(1)
        value = _js_trim(match.group(2) or "")
        maybe_quote = value[:1]
        value = _QUOTED.sub(r"\2", value)
        if maybe_quote == '"':
            value = value.replace("\\n", "\n").replace("\\r", "\r")
        out[key] = value
    return out

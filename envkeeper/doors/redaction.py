"""What may be printed of text that came from outside: one redactor for every line.

A stack file's key, a Pulumi CLI error line or a vendor's error can hold a secret: one
pasted into the wrong place, or a backend URL with its password. Every line a command
writes, to standard output or standard error, passes through `hidden` (main() puts the
streams of envkeeper/doors/output.py in front of both), so no command repeats such a thing,
whichever command it is and whoever adds the next one.
"""

from __future__ import annotations

import re

HIDDEN = "[hidden: looks like a secret]"

# A URL's user and password: kept out, the rest of the URL says where. One slash too: a URL
# given as a path comes back from the path's normalisation as scheme:/user:password@host.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*:/{1,2})[^/\s@]+@")
# The vendors' and Pulumi's own key formats, by their documented prefixes.
_PREFIXED = re.compile(
    r"\b(?:"
    r"[sr]k_(?:live|test)_\w+"  # Stripe secret and restricted keys
    r"|whsec_\w+"  # Stripe webhook signing secrets
    r"|re_\w{8,}"  # Resend API keys
    r"|gh[pousr]_\w{20,}|github_pat_\w+"  # GitHub tokens
    r"|napi_\w+|npg_\w+"  # Neon API keys, Neon role passwords
    r"|pul-[0-9a-f]{20,}"  # Pulumi access tokens
    r")"
)
# Anything long and random: letters of both cases and digits, 20 or more in a row (a path's
# slashes and a file name's dots end a run). Names, paths, dates, account ids (lowercase
# hex) and resource names are not.
_RANDOM = re.compile(r"[A-Za-z0-9_+=-]{20,}")


# Ids a vendor shows anyone who may list them, never secrets: Stripe's object ids (its
# secrets carry sk_, rk_ and whsec_ instead).
_PUBLIC_ID = re.compile(r"(?:we|acct|evt|cus|sub|price|prod|pi|ch|in|req)_[A-Za-z0-9]+")


def _looks_random(word: str) -> bool:
    if _PUBLIC_ID.fullmatch(word):
        return False
    return (
        any(c.islower() for c in word)
        and any(c.isupper() for c in word)
        and any(c.isdigit() for c in word)
    )


def hidden(text: str) -> str:
    """`text` with URL credentials and secret-shaped words replaced."""
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}***@", text)
    text = _PREFIXED.sub(HIDDEN, text)
    return _RANDOM.sub(lambda m: HIDDEN if _looks_random(m.group()) else m.group(), text)


# What a secret's or a stack's name can look like: DATABASE_URL, neon:apiKey, prod.
_NAME_SHAPED = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}")


def named_or(word: str, stand_in: str) -> str:
    """`word` when it reads as a name, else `stand_in`: a word that failed to parse as a
    name is only ever repeated when it cannot be a value pasted into the wrong place."""
    if _NAME_SHAPED.fullmatch(word) and hidden(word) == word:
        return word
    return stand_in


def printable(text: str) -> str:
    """`text` with every control character written as an escape (`\\n`, `\\x1b`): a name
    a person gave (a path, a stack from a file) can neither start a line of its own in a CI
    log nor send the terminal an escape sequence."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)

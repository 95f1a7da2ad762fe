"""The name each credential envkeeper mints carries at its vendor.

A vendor name says whose a credential is (`envkeeper`, the environment, what it is, its
slot and keeper date) and ends with the stack's mark: six hex digits of the application
repository and its GitHub environment. A name is a stack's only with both its environment
word and its mark, and envkeeper/isolation.py refuses two stack files with one mark, so a
lower stack whose environment name was searched for production's mark still never takes
production's credentials. The mark is 24 bits and leaves out the repository's owner; a
longer one renames every minted credential, and Resend allows 50 characters (the longest
name here has 48). The keeper date tells a credential from the one it replaces.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeeper.settings import Settings

# What a Cloudflare deploy token is called in its name (each minted vendor's module names
# its own kind).
DEPLOY_TOKEN = "deploy"  # noqa: S105 (a word in a name, not a token)


def stack_mark(settings: Settings) -> str:
    """Six hex digits naming this stack among every envkeeper stack: its application
    repository and GitHub environment, which isolation keeps to one stack."""
    owner = f"{settings.github.repository}/{settings.github.environment}"
    return hashlib.sha256(owner.encode()).hexdigest()[:6]


def credential_name(settings: Settings, kind: str, rotated: date, slot: str | None = None) -> str:
    """`envkeeper production sending a 2026-09-23 4c1f0a`: whose, what, which slot, when."""
    words = ["envkeeper", settings.environment.value, kind, *([slot] if slot else [])]
    return " ".join([*words, rotated.isoformat(), stack_mark(settings)])


def is_named_for(settings: Settings, kind: str, name: str) -> bool:
    """Whether a vendor's credential carries this stack's name for `kind`, any slot or
    date: `credential_name`'s form with this stack's environment word and mark. Both must
    match: a stack whose mark equals another's by chance or by search (a lower stack with
    an environment name chosen for it) still never takes production's credentials."""
    environment = re.escape(settings.environment.value)
    pattern = rf"envkeeper {environment} {re.escape(kind)} (?:[ab] )?\d{{4}}-\d{{2}}-\d{{2}} "
    return re.fullmatch(pattern + re.escape(stack_mark(settings)), name) is not None

"""The name each credential envkeeper mints carries at its vendor.

A vendor name says whose a credential is (`envkeeper`, the environment, what it is, its
slot and keeper date) and ends with the stack's mark: eight base-32 characters (40 bits) of
the stack's identity, its GitHub owner, repository and environment. Resend allows 50
characters, and the longest name here is exactly that, so the mark cannot grow.

A name is a stack's only with both its environment word and its mark. Within a project,
envkeeper/stack/isolation.py refuses two stack files with one mark, so a lower stack whose
environment name was searched for production's mark is stopped by `validate`. Between
products, 40 bits make an accidental equal mark as likely as a guessed 12-digit number;
where a vendor keeps metadata (Stripe), the credential also carries the identity whole and
the orphan check deletes only what carries this stack's. The keeper date tells a credential
from the one it replaces.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeeper.config.stack_view import StackView

# What a Cloudflare deploy token is called in its name (each minted vendor's module names
# its own kind).
DEPLOY_TOKEN = "deploy"  # noqa: S105 (a word in a name, not a token)


# How many base-32 characters of the identity's digest a name ends with.
MARK_LENGTH = 8


def stack_identity(settings: StackView) -> str:
    """`owner/repository/environment`, as GitHub compares them (without case): who this
    stack's credentials are for, among every envkeeper stack of every product."""
    github = settings.github
    return f"{github.owner}/{github.repository}/{github.environment}".lower()


def stack_mark(settings: StackView) -> str:
    """The stack's identity, digested to the end of every name it gives a credential."""
    digest = hashlib.sha256(stack_identity(settings).encode()).digest()
    return base64.b32encode(digest).decode().lower()[:MARK_LENGTH]


def credential_name(settings: StackView, kind: str, rotated: date, slot: str | None = None) -> str:
    """`envkeeper production sending a 2026-09-23 q3kx7bna`: whose, what, which slot, when."""
    words = ["envkeeper", settings.environment.value, kind, *([slot] if slot else [])]
    return " ".join([*words, rotated.isoformat(), stack_mark(settings)])


def is_named_for(settings: StackView, kind: str, name: str) -> bool:
    """Whether a vendor's credential carries this stack's name for `kind`, any slot or
    date: `credential_name`'s form with this stack's environment word and mark. Both must
    match: a stack whose mark equals another's by chance or by search (a lower stack with
    an environment name chosen for it) still never takes production's credentials."""
    environment = re.escape(settings.environment.value)
    pattern = rf"envkeeper {environment} {re.escape(kind)} (?:[ab] )?\d{{4}}-\d{{2}}-\d{{2}} "
    return re.fullmatch(pattern + re.escape(stack_mark(settings)), name) is not None

"""What envkeeper mints at Cloudflare, Resend and Stripe, as data: the Pulumi names, and
the name each credential carries at its vendor.

A vendor name says whose a credential is (`envkeeper`, the environment, what it is, its
slot and keeper date) and ends with the stack's mark: six hex digits of the application
repository and its GitHub environment, which no two stacks share (envkeeper/isolation.py),
so two stacks or two products in one vendor account never take each other's credentials
for their own. The keeper date tells a credential from the one it replaces. Resend allows
50 characters; the longest name here has 48.

The components, the orphan check and the rotation commands read this; nothing here imports
an SDK.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from envkeeper.settings import Settings

# The Pulumi type names of the two dynamic providers' resources.
RESEND_KEY_TYPE = "pulumi-python:dynamic/envkeeper:ResendApiKey"
STRIPE_ENDPOINT_TYPE = "pulumi-python:dynamic/envkeeper:StripeWebhookEndpoint"
STRIPE_ENDPOINT_RESOURCE = "stripe-webhook"
# The component that holds the two Resend sending keys.
SENDING_KEYS_TYPE = "envkeeper:resend:SendingKeys"

# What each kind of credential is called in its name.
DEPLOY_TOKEN = "deploy"  # noqa: S105 (a word in a name, not a token)
SENDING_KEY = "sending"
WEBHOOK = "webhook"


def resend_key_resource(slot: str) -> str:
    """The Pulumi name of a Resend sending-key slot."""
    return f"resend-{slot}"


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
    date: `credential_name`'s form with this stack's mark."""
    pattern = rf"envkeeper [a-z]+ {re.escape(kind)} (?:[ab] )?\d{{4}}-\d{{2}}-\d{{2}} "
    return re.fullmatch(pattern + re.escape(stack_mark(settings)), name) is not None


def resend_key_name(settings: Settings, slot: str) -> str:
    """The key's name in the Resend dashboard: whose it is, at a glance."""
    rotated = settings.slots("RESEND_API_KEY").date_of(slot)
    return credential_name(settings, SENDING_KEY, rotated, slot)


def stripe_endpoint_name(settings: Settings) -> str:
    """The endpoint's description in the Stripe dashboard."""
    return credential_name(settings, WEBHOOK, settings.single_date("STRIPE_WEBHOOK_SECRET"))

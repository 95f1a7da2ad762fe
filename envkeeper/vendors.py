"""Resend and Stripe, as data: what envkeeper mints there and what it calls it.

The components and the rotation commands both read this; nothing here imports an SDK.
"""

from __future__ import annotations

from envkeeper.settings import Settings

# The Pulumi type names of the two dynamic providers' resources.
RESEND_KEY_TYPE = "pulumi-python:dynamic/envkeeper:ResendApiKey"
STRIPE_ENDPOINT_TYPE = "pulumi-python:dynamic/envkeeper:StripeWebhookEndpoint"
STRIPE_ENDPOINT_RESOURCE = "stripe-webhook"
# The component that holds the two Resend sending keys.
SENDING_KEYS_TYPE = "envkeeper:resend:SendingKeys"


def resend_key_resource(slot: str) -> str:
    """The Pulumi name of a Resend sending-key slot."""
    return f"resend-{slot}"


def resend_key_name(settings: Settings, slot: str) -> str:
    """The key's name in the Resend dashboard: whose it is, at a glance."""
    return f"envkeeper {settings.environment.value} sending ({slot})"

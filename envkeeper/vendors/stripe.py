"""Stripe: envkeeper owns the environment's webhook endpoint, and mints its signing
secret, where a stack has envkeeper:stripe; otherwise STRIPE_WEBHOOK_SECRET is pasted in."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from envkeeper.config.catalog_model import CatalogEntry, Destination, ProviderToken
from envkeeper.config.config_model import ConfigModel, unique
from envkeeper.config.validation_messages import KeyedError
from envkeeper.vendors.minted import MintedVendor
from envkeeper.vendors.naming import credential_name

if TYPE_CHECKING:
    from envkeeper.config.stack_view import StackView

STRIPE_ENDPOINT_TYPE = "pulumi-python:dynamic/envkeeper:StripeWebhookEndpoint"
STRIPE_ENDPOINT_RESOURCE = "stripe-webhook"
WEBHOOK = "webhook"  # what the endpoint is called in its name

_EVENT = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


class StripeWebhook(ConfigModel):
    url: str = Field(
        description="the Worker's webhook URL, e.g. https://api.example.com/webhooks/stripe"
    )
    events: list[str] = Field(
        min_length=1,
        description="the event types the Worker handles, e.g. [checkout.session.completed]",
    )
    connect: bool = Field(
        default=False, description="true to receive events from connected accounts (Connect)"
    )
    api_version: str = Field(
        description="the Stripe API version the app's Stripe library is pinned to, so events "
        "arrive in the shape it parses, e.g. 2026-10-28.endive"
    )

    @field_validator("api_version")
    @classmethod
    def _api_version(cls, v: str) -> str:
        if not _API_VERSION.match(v):
            raise ValueError(
                "is not a Stripe API version; write it as Stripe names it, e.g. "
                "2026-10-28.endive (the version the app's Stripe library is pinned to)"
            )
        return v

    @field_validator("events")
    @classmethod
    def _events(cls, v: list[str]) -> list[str]:
        for index, event in enumerate(v):
            if "*" in event:
                raise KeyedError(
                    index,
                    "is a wildcard: Stripe would send every event type; list the "
                    "ones the Worker handles, e.g. checkout.session.completed",
                )
            if not _EVENT.match(event):
                raise KeyedError(
                    index,
                    "is not a Stripe event type; write it as Stripe names it, e.g. invoice.paid",
                )
        return unique(v, "event")


class StripeSettings(ConfigModel):
    """Present: envkeeper owns the environment's webhook endpoint and its signing secret.
    Absent: STRIPE_WEBHOOK_SECRET is pasted in as secret config, as before."""

    webhook: StripeWebhook = Field(description="{url: https://..., events: [...]}")


def stripe_endpoint_name(settings: StackView) -> str:
    """The endpoint's description in the Stripe dashboard."""
    return credential_name(settings, WEBHOOK, settings.single_date("STRIPE_WEBHOOK_SECRET"))


def _offline_outputs(_inputs: Mapping[str, Any], value: str) -> tuple[dict[str, Any], set[str]]:
    return {"secret": "whsec_" + value}, set()


STRIPE = VENDOR = MintedVendor(
    key="stripe",
    title="Stripe",
    settings_model=StripeSettings,
    settings_help="{webhook: {url: ..., events: [...]}} for the endpoint",
    pasted="STRIPE_WEBHOOK_SECRET",
    pasted_config_key="envkeeper:stripeWebhookSecret",
    minted=CatalogEntry(
        name="STRIPE_WEBHOOK_SECRET",
        source="stripe-endpoint",  # the signing secret of a webhook endpoint made here
        description="signing secret of the environment's Stripe webhook endpoint",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=90,
        rotation_effect=(
            "for the seconds of the `pulumi up`, events may reach both endpoints and the new "
            "one's fail their signature check until the Worker has the new secret; Stripe "
            "retries them"
        ),
        vendor="stripe",
    ),
    admin=ProviderToken(
        "envkeeper:stripeAdminKey",
        "Stripe restricted key with Webhook Endpoints write, which manages the webhook endpoint",
        "Stripe dashboard > Developers > API keys: roll the restricted key (Webhook Endpoints: "
        "write, nothing else)",
    ),
    resource_types=(STRIPE_ENDPOINT_TYPE,),
    minted_type=STRIPE_ENDPOINT_TYPE,
    resources=lambda _slots: {STRIPE_ENDPOINT_RESOURCE},
    offline_outputs=_offline_outputs,
    vendor_steps={
        "STRIPE_SECRET_KEY": "Stripe dashboard > Developers > API keys: roll the restricted "
        "key of this environment's account (expire the old one now), keeping only the "
        "permissions it had",
        "STRIPE_WEBHOOK_SECRET": "Stripe dashboard > Developers > Webhooks: roll the "
        "endpoint's signing secret (expire the old one now)",
    },
    audit_line="Stripe: Developers > Logs and Events for calls made with the old key; "
    "unexpected refunds, payouts or webhook endpoints",
    names=lambda settings: [stripe_endpoint_name(settings)],
    mode=lambda block: f"envkeeper owns the webhook endpoint {block.webhook.url}",
    pasted_mode="STRIPE_WEBHOOK_SECRET is pasted in as secret config",
    review_phrase="the Stripe dashboard's webhook endpoints",
    component="components.stripe_webhook",
)

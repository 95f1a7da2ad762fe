"""Stripe: envkeeper owns the environment's webhook endpoint, and mints its signing
secret, where a stack has envkeeper:stripe; otherwise STRIPE_WEBHOOK_SECRET is pasted in."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from envkeeper.config_model import ConfigModel, unique
from envkeeper.validation_messages import KeyedError

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

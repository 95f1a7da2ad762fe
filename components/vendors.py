"""The secrets envkeeper mints at Resend and Stripe, where a stack lets it."""

from __future__ import annotations

import pulumi

from components.resend_key import SendingKeys
from components.stripe_webhook import WebhookEndpoint, WebhookEndpointArgs
from envkeeper import vendors
from envkeeper.settings import Settings


def minted_vendor_secrets(
    settings: Settings, opts: pulumi.ResourceOptions
) -> dict[str, pulumi.Output[str]]:
    """RESEND_API_KEY and STRIPE_WEBHOOK_SECRET, by catalog name, for the stacks whose
    settings have envkeeper:resend and envkeeper:stripe; nothing for the others."""
    secrets: dict[str, pulumi.Output[str]] = {}
    if settings.resend is not None:
        sending = SendingKeys("resend-keys", settings, opts=opts)
        secrets["RESEND_API_KEY"] = sending.active_token
    if settings.stripe is not None:
        webhook = settings.stripe.webhook
        endpoint = WebhookEndpoint(
            vendors.STRIPE_ENDPOINT_RESOURCE,
            WebhookEndpointArgs(
                url=webhook.url,
                events=list(webhook.events),
                connect=webhook.connect,
                api_version=webhook.api_version,
                rotated=settings.single_date("STRIPE_WEBHOOK_SECRET").isoformat(),
                environment=settings.environment.value,
                name=vendors.stripe_endpoint_name(settings),
            ),
            opts=opts,
        )
        # Whatever carries it waits for the new endpoint; the old one is deleted last.
        secrets["STRIPE_WEBHOOK_SECRET"] = pulumi.Output.secret(endpoint.secret)
    return secrets

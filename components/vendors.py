"""The secrets envkeeper mints at a vendor (Resend, Stripe), where a stack lets it: each
vendor's module in envkeeper/vendors/ names the component module that mints it."""

from __future__ import annotations

import importlib

import pulumi

from envkeeper.stack.settings import Settings
from envkeeper.vendors import MINTED_VENDORS


def minted_vendor_secrets(
    settings: Settings, opts: pulumi.ResourceOptions
) -> dict[str, pulumi.Output[str]]:
    """RESEND_API_KEY and STRIPE_WEBHOOK_SECRET (each minted vendor's secret), by catalog
    name, for the stacks whose settings have envkeeper:resend and envkeeper:stripe;
    nothing for the others."""
    secrets: dict[str, pulumi.Output[str]] = {}
    for vendor in MINTED_VENDORS:
        if vendor.block(settings) is not None:
            component = importlib.import_module(vendor.component)
            secrets[vendor.pasted] = component.minted_secret(settings, opts)
    return secrets

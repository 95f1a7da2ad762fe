"""Resend: envkeeper mints the environment's two sending keys where a stack has
envkeeper:resend; otherwise RESEND_API_KEY is pasted in as secret config."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from envkeeper.config.catalog_model import CatalogEntry, Destination, ProviderToken
from envkeeper.config.config_model import ConfigModel
from envkeeper.vendors.minted import MintedVendor
from envkeeper.vendors.naming import credential_name

if TYPE_CHECKING:
    from envkeeper.config.stack_view import StackView

# The Pulumi types of the component that holds the two sending keys, and of its keys.
SENDING_KEYS_TYPE = "envkeeper:resend:SendingKeys"
RESEND_KEY_TYPE = "pulumi-python:dynamic/envkeeper:ResendApiKey"
SENDING_KEY = "sending"  # what a sending key is called in its name

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ResendSettings(ConfigModel):
    """Present: envkeeper mints the environment's sending keys. Absent: RESEND_API_KEY is
    pasted in as secret config, as before."""

    domain: str = Field(
        description="the environment's verified Resend sending domain, e.g. mail.example.com"
    )

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if not _HOSTNAME.match(v):
            raise ValueError(
                "is not a domain name; write the sending domain as Resend lists it, "
                "e.g. mail.example.com"
            )
        return v


def resend_key_resource(slot: str) -> str:
    """The Pulumi name of a Resend sending-key slot."""
    return f"resend-{slot}"


def resend_key_name(settings: StackView, slot: str) -> str:
    """The key's name in the Resend dashboard: whose it is, at a glance."""
    rotated = settings.slots("RESEND_API_KEY").date_of(slot)
    return credential_name(settings, SENDING_KEY, rotated, slot)


def _offline_outputs(inputs: Mapping[str, Any], value: str) -> tuple[dict[str, Any], set[str]]:
    # Resend's id for the domain: only the provider can look it up.
    domain_id = "d-" + hashlib.sha256(str(inputs.get("domain")).encode()).hexdigest()[:12]
    return {"token": value, "domainId": domain_id}, {domain_id}


RESEND = VENDOR = MintedVendor(
    key="resend",
    title="Resend",
    settings_model=ResendSettings,
    settings_help="{domain: mail.example.com} to let envkeeper mint the keys",
    pasted="RESEND_API_KEY",
    pasted_config_key="envkeeper:resendApiKey",
    minted=CatalogEntry(
        name="RESEND_API_KEY",
        source="resend-key",  # a sending-only Resend key this program creates
        description="Resend key, sending only, bound to the environment's domain (active slot)",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=180,
        two_slots=True,
        vendor="resend",
    ),
    admin=ProviderToken(
        "envkeeper:resendAdminKey",
        "Resend full-access key that creates and deletes this environment's sending keys",
        "Resend dashboard > API Keys: create a new full-access key, then delete the old one",
    ),
    resource_types=(SENDING_KEYS_TYPE, RESEND_KEY_TYPE),
    minted_type=RESEND_KEY_TYPE,
    resources=lambda slots: {resend_key_resource(slot) for slot in slots or ()},
    offline_outputs=_offline_outputs,
    vendor_steps={
        "RESEND_API_KEY": "Resend dashboard > API Keys: revoke the key, then create one with "
        "'Sending access' limited to this environment's sending domain",
    },
    audit_line="Resend: emails sent with the old key, and the domains and API keys list",
    names=lambda settings: [resend_key_name(settings, slot) for slot in ("a", "b")],
    mode=lambda block: f"envkeeper mints the sending keys (two slots) for {block.domain}",
    pasted_mode="RESEND_API_KEY is pasted in as secret config (envkeeper:resendApiKey)",
    review_phrase="the Resend dashboard's API keys",
    component="components.resend_key",
)

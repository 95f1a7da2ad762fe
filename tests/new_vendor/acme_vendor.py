"""A vendor envkeeper does not know, declared the way a real one is: this file becomes
envkeeper/vendors/acme.py in a scratch copy of the project (tests/test_new_vendor.py)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from envkeeper.config.catalog_model import CatalogEntry, Destination, ProviderToken, Source
from envkeeper.config.config_model import ConfigModel
from envkeeper.vendors.minted import MintedVendor

ACME_KEY_TYPE = "pulumi-python:dynamic/envkeeper:AcmeKey"


class AcmeSettings(ConfigModel):
    project: str = Field(description="the environment's Acme project, e.g. acme-dev")


def _offline_outputs(_inputs: Mapping[str, Any], value: str) -> tuple[dict[str, Any], set[str]]:
    return {"key": value}, set()


VENDOR = MintedVendor(
    key="acme",
    title="Acme",
    settings_model=AcmeSettings,
    settings_help="{project: acme-dev} to let envkeeper mint the project key",
    pasted="ACME_API_KEY",
    pasted_config_key="envkeeper:acmeApiKey",
    pasted_entry=CatalogEntry(
        name="ACME_API_KEY",
        source=Source.EXTERNAL,
        description="Acme project key",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=90,
        config_key="acmeApiKey",
    ),
    minted=CatalogEntry(
        name="ACME_API_KEY",
        source="acme-key",
        description="Acme project key, minted for the environment's project",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=90,
        vendor="acme",
    ),
    admin=ProviderToken(
        "envkeeper:acmeAdminKey",
        "Acme admin key that creates this environment's project keys",
        "Acme console > Admin keys: roll the admin key",
    ),
    resource_types=(ACME_KEY_TYPE,),
    minted_type=ACME_KEY_TYPE,
    resources=lambda _slots: {"acme-key"},
    offline_outputs=_offline_outputs,
    vendor_steps={"ACME_API_KEY": "Acme console > Project keys: revoke the key, make another"},
    audit_line="Acme: the project's usage log for calls made with the old key",
    mode=lambda block: f"envkeeper mints the project key for {block.project}",
    pasted_mode="ACME_API_KEY is pasted in as secret config (envkeeper:acmeApiKey)",
    review_phrase="the Acme console's project keys",
    component="components.acme_key",
)

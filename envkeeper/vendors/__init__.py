"""The vendors whose credentials envkeeper mints by API, where a stack lets it, one module
each (resend.py, stripe.py), and the names those credentials carry (naming.py).

Each vendor's module declares a `VENDOR` (a `MintedVendor`, minted.py): its settings key
and model, what it mints in place of a pasted secret, its admin key, its resource types,
its offline outputs, the steps a person takes at the vendor, its incident audit line and
what `validate` says of it. Every place that knows of minted vendors loops over
`MINTED_VENDORS`, found here by module, so a new vendor is its own module (with its
component, its stand-in and its tests) and nothing else.

The components, the orphan check and the rotation commands read this; nothing here imports
an SDK. Cloudflare, Neon and GitHub, which every stack uses and whose keys a person
creates, are not here: their settings are in `envkeeper/stack/vendor_settings.py`, what the
program builds with them in `envkeeper/infra/`.

Imports only `envkeeper.config` (the types a vendor's settings and catalog entry are made
of, and `StackView`, what it reads of a stack's settings) and below.
"""

from __future__ import annotations

import importlib
import pkgutil

from envkeeper.config.catalog_model import CatalogEntry
from envkeeper.vendors.minted import MintedVendor
from envkeeper.vendors.naming import (
    DEPLOY_TOKEN,
    credential_name,
    is_named_for,
    stack_identity,
    stack_mark,
)

__all__ = [
    "DEPLOY_TOKEN",
    "MINTED_VENDORS",
    "MintedVendor",
    "by_admin_key",
    "by_key",
    "credential_name",
    "is_named_for",
    "minting",
    "stack_identity",
    "stack_mark",
]

_NOT_VENDORS = {"minted", "naming"}


def _discovered() -> tuple[MintedVendor, ...]:
    """Every module here that declares a VENDOR, by module name: the one order in which
    settings, catalog, plan, review and messages list them."""
    found = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name in _NOT_VENDORS:
            continue
        vendor = getattr(importlib.import_module(f"{__name__}.{module.name}"), "VENDOR", None)
        if isinstance(vendor, MintedVendor):
            found.append(vendor)
    return tuple(found)


MINTED_VENDORS: tuple[MintedVendor, ...] = _discovered()


def by_key(key: str) -> MintedVendor:
    return next(v for v in MINTED_VENDORS if v.key == key)


def by_admin_key(config_key: str) -> MintedVendor | None:
    """The vendor whose admin key is set at `config_key`, if any."""
    return next((v for v in MINTED_VENDORS if v.admin.key == config_key), None)


def minting(entry: CatalogEntry) -> MintedVendor | None:
    """The vendor that mints `entry`'s credential, if a minted vendor does."""
    return None if entry.vendor is None else by_key(entry.vendor)

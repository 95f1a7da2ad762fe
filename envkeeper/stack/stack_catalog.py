"""The project's catalog as one stack uses it, and the checks of its secret config."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter, ValidationError

from envkeeper.config.stackfile import StackConfig
from envkeeper.doors.problems import Problem
from envkeeper.doors.redaction import hidden
from envkeeper.stack import catalog
from envkeeper.stack.catalog import Catalog
from envkeeper.vendors import MINTED_VENDORS, by_admin_key, by_key


def plaintext_secret_problems(config: StackConfig, stack: str, project: Catalog) -> list[Problem]:
    """A secret-holding key written in clear. The value itself is never repeated."""
    return [
        Problem(
            config.origin,
            key,
            "holds a plaintext value where a secret belongs; delete the line, treat the value "
            f"as leaked, and set it with `pulumi config set --secret --stack {stack} {key}`",
        )
        for key in project.secure_config_keys()
        if key in config.values
    ]


def secret_shaped_values(config: StackConfig, project: Catalog) -> list[Problem]:
    """Any other plain value shaped like a secret: a key pasted into the wrong setting, a
    URL with its password. Where it is, never what."""
    secure = project.secure_config_keys()
    return [
        Problem(
            config.origin,
            where,
            "holds a value shaped like a secret (a vendor's key, a random token or a URL with "
            "a password), committed in clear; delete it, treat it as leaked (rotate it where "
            "it came from), and keep secrets in secret config (`pulumi config set --secret`)",
        )
        for key, value in config.values.items()
        if key not in secure
        for where in _secret_shaped(key, value)
    ]


def _secret_shaped(where: str, value: Any) -> list[str]:
    """Where, inside one plain setting, a string looks like a secret."""
    if isinstance(value, str):
        return [where] if hidden(value) != value else []
    if isinstance(value, dict):
        return [w for k, v in value.items() for w in _secret_shaped(f"{where}.{k}", v)]
    if isinstance(value, list):
        return [w for i, v in enumerate(value) for w in _secret_shaped(f"{where}[{i}]", v)]
    return []


def stack_catalog(project: Catalog, raw: dict[str, Any]) -> Catalog:
    """The project's catalog as one stack uses it: only the credentials its providers need,
    the secrets envkeeper mints there in place of pasted ones, no legacy key once it is off.
    Read from the raw settings, before validation, which checks each against it."""
    drop: list[str] = []
    if _turned_off(raw.get("betterAuthLegacySecret")):
        drop.append(catalog.LEGACY_AUTH_SECRET)
    neon = raw.get("neon")
    adopted = isinstance(neon, dict) and neon.get("existingProjectId") is not None
    # A created Neon project is managed with the API key; an adopted one via its owner URL.
    drop.append(catalog.NEON_API_KEY.key if adopted else catalog.NEON_OWNER_URL.key)
    if adopted:
        drop.append(catalog.NEON_OWNER_PASSWORD)  # its owner URL is rolled by hand instead
    # A vendor block lets envkeeper mint the secret with the vendor's admin key; without
    # it the secret is pasted in, and no admin key is used.
    for vendor in MINTED_VENDORS:
        if raw.get(vendor.key) is not None:
            project = project.replacing(vendor.minted)
        else:
            drop.append(vendor.admin.key)
    return project.without(*drop)


def _turned_off(value: Any) -> bool:
    """A boolean setting read as its field will read it (the engine hands over "false")."""
    try:
        return value is not None and TypeAdapter(bool).validate_python(value) is False
    except ValidationError:
        return False  # the field's own validation names the problem


def unused_credential(key: str, stack: str) -> str:
    """Why a provider credential's date does not belong in this stack, and where it goes."""
    if key == catalog.NEON_API_KEY.key:
        return (
            "this stack adopts its Neon project (neon.existingProjectId), which envkeeper "
            f"manages with {catalog.NEON_OWNER_URL.key}, not a Neon API key: move this date "
            f"to {catalog.NEON_OWNER_URL.key}"
        )
    if key == catalog.NEON_OWNER_URL.key:
        return (
            "this stack creates its Neon project, which envkeeper manages with "
            f"{catalog.NEON_API_KEY.key}: move this date to {catalog.NEON_API_KEY.key}"
        )
    vendor = by_admin_key(key)
    assert vendor is not None, f"{key} is no vendor's admin key"
    return vendor_block_removed(vendor.key, key, stack)


# What switching a vendor block off takes, said where each leftover trips: every step, so a
# team deleting `envkeeper:resend:` or `envkeeper:stripe:` is not sent round one at a time.
def vendor_block_removed(vendor_key: str, key: str, stack: str = "STACK") -> str:
    """The fix for `key`, left over from a removed `envkeeper:<vendor_key>` block: its
    admin key, or the slot dates of what it minted."""
    vendor = by_key(vendor_key)
    admin = vendor.admin.key
    pasted = (
        "then set the pasted value: "
        f"pulumi config set --secret --stack {stack} {vendor.pasted_config_key}"
    )
    if key == admin:
        return (
            f"you removed envkeeper:{vendor.key}, so nothing uses this admin key: delete this "
            f"date (and the key itself: pulumi config rm --stack {stack} {admin}), {pasted}; or "
            "put the block back to let envkeeper mint the secret"
        )
    name = vendor.pasted
    return (
        f"you removed envkeeper:{vendor.key}, so {name} is pasted in by hand and has one "
        f"date: write {name}: 'YYYY-MM-DD' (the day the pasted key was made) and "
        f"delete the {admin} date, {pasted}; or put the block back"
    )

"""`envkeeper orphans`: compare what the vendors hold under this stack's names with what
its state holds (envkeeper/orphans.py says what counts), and delete the difference.

It reads the state with `pulumi stack export` and each admin key with `pulumi config get`
(or the environment variable the provider falls back to), so it runs wherever `pulumi up`
does: a deploy job, a drift job, a person logged in to the stack's backend. The vendor
SDKs load only here, when the command runs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from envkeeper import pulumi_cli
from envkeeper.catalog import CLOUDFLARE_API_TOKEN
from envkeeper.orphans import (
    CLOUDFLARE,
    RESEND,
    STRIPE,
    Credential,
    interrupted_creates,
    known_ids,
    orphans,
    vendors_of,
)
from envkeeper.problems import COMMAND_LINE, UserError
from envkeeper.settings import Settings
from envkeeper.vendors.resend import RESEND as RESEND_VENDOR
from envkeeper.vendors.stripe import STRIPE as STRIPE_VENDOR

# Each vendor's admin key: the stack config key, then the provider's environment variable.
ADMIN_KEYS = {
    CLOUDFLARE: (CLOUDFLARE_API_TOKEN.key, "CLOUDFLARE_API_TOKEN"),
    RESEND: (RESEND_VENDOR.admin.key, "RESEND_API_KEY"),
    STRIPE: (STRIPE_VENDOR.admin.key, "STRIPE_API_KEY"),
}


@dataclass
class Lookup:
    stack: str
    account: str  # the Cloudflare account the tokens are listed in
    keys: dict[str, str] = field(repr=False)  # vendor -> admin key; never printed
    found: list[Credential]
    interrupted: list[str]  # what a killed `up` was creating, by Pulumi name


def admin_key(stack: str, vendor: str, cwd: Path) -> str:
    config_key, env_var = ADMIN_KEYS[vendor]
    key = pulumi_cli.config_value(stack, config_key, cwd) or os.environ.get(env_var)
    if not key:
        raise UserError.one(
            COMMAND_LINE,
            config_key,
            f"not set for stack {stack}; the orphan check needs it to list the credentials "
            f"there (`pulumi config set --secret --stack {stack} {config_key}`, or {env_var})",
        )
    return key


def look(stack: str, settings: Settings, cwd: Path) -> Lookup:
    """The orphans of `stack`: listed at each vendor its program mints at, not in its state."""
    from components.vendor_credentials import listed

    export = pulumi_cli.state(stack, cwd)
    account = settings.cloudflare.account_id
    keys = {vendor: admin_key(stack, vendor, cwd) for vendor in vendors_of(settings)}
    at_vendors = [c for vendor, key in keys.items() for c in listed(vendor, key, account)]
    found = orphans(settings, at_vendors, known_ids(export))
    return Lookup(stack, account, keys, found, interrupted_creates(export))


def delete(lookup: Lookup, cwd: Path) -> list[Credential]:
    """Delete every orphan found that the state still does not hold, read once more right
    before: an `up` may have recorded one since. The ones deleted."""
    from components.vendor_credentials import delete as delete_at_vendor

    known = known_ids(pulumi_cli.state(lookup.stack, cwd))
    doomed = [c for c in lookup.found if c.id not in known.get(c.vendor, set())]
    for credential in doomed:
        delete_at_vendor(credential, lookup.keys[credential.vendor], lookup.account)
    return doomed

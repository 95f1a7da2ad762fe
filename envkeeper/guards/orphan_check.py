"""`envkeeper orphans`: compare what the vendors hold under this stack's names with what
its state holds (envkeeper/guards/orphans.py says what counts), and delete the difference.

It reads the state with `pulumi stack export` and each admin key with `pulumi config get`
(or the environment variable the provider falls back to), so it runs wherever `pulumi up`
does: a deploy job, a drift job, a person logged in to the stack's backend. The vendor
SDKs load only here, when the command runs.

It also lists, with the stack's `github:token`, the variables and secrets of the GitHub
environments the stack writes into that envkeeper did not put there
(envkeeper/infra/github_inventory.py): reported, never deleted. And the versions, deployments and
routes on the stack's Workers and zones that none of its deploys recorded
(envkeeper/infra/worker_code.py): reported, never deleted (only a person can tell the team's code
from an attacker's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.engine import pulumi_cli
from envkeeper.guards.orphans import (
    CLOUDFLARE,
    RESEND,
    STRIPE,
    Credential,
    interrupted_creates,
    known_ids,
    orphans,
    vendors_of,
)
from envkeeper.infra.github_inventory import Unmanaged, checked_environments, unmanaged
from envkeeper.infra.worker_code import Deployed, recorded, unrecorded
from envkeeper.stack import catalog
from envkeeper.stack.catalog import CLOUDFLARE_API_TOKEN
from envkeeper.stack.isolation import sibling_settings
from envkeeper.stack.settings import Settings
from envkeeper.vendors.resend import RESEND as RESEND_VENDOR
from envkeeper.vendors.stripe import STRIPE as STRIPE_VENDOR

GITHUB_TOKEN_KEY = "github:token"  # noqa: S105 (a config key's name)

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
    unmanaged: list[Unmanaged] = field(default_factory=list)
    code: list[Deployed] = field(default_factory=list)  # on its Workers, no deploy recorded
    not_yet: list[str] = field(default_factory=list)  # Workers no put has recorded yet


def stack_key(stack: str, config_key: str, env_var: str, cwd: Path, need: str) -> str:
    """A credential of the stack, from its config or the environment variable its provider
    falls back to; missing, one line saying what the check `need`s it for."""
    key = pulumi_cli.config_value(stack, config_key, cwd) or os.environ.get(env_var)
    if not key:
        raise UserError.one(
            COMMAND_LINE,
            config_key,
            f"not set for stack {stack}; {need} (`pulumi config set --secret --stack {stack} "
            f"{config_key}`, or {env_var})",
        )
    return key


def admin_key(stack: str, vendor: str, cwd: Path) -> str:
    config_key, env_var = ADMIN_KEYS[vendor]
    need = "the orphan check needs it to list the credentials there"
    return stack_key(stack, config_key, env_var, cwd, need)


def look(stack: str, settings: Settings, cwd: Path, github_base_url: str | None = None) -> Lookup:
    """The orphans of `stack`: listed at each vendor its program mints at, not in its state;
    and what its GitHub environments hold that envkeeper did not put there."""
    from components.vendor_credentials import listed

    export = pulumi_cli.state(stack, cwd)
    account = settings.cloudflare.account_id
    keys = {vendor: admin_key(stack, vendor, cwd) for vendor in vendors_of(settings)}
    reaches_no_other_stack(stack, settings, keys, cwd)
    at_vendors = [c for vendor, key in keys.items() for c in listed(vendor, key, account)]
    found = orphans(settings, at_vendors, known_ids(export))
    extra = unmanaged_in_github(stack, settings, cwd, github_base_url)
    code, not_yet = unrecorded_code(settings, keys[CLOUDFLARE], export)
    return Lookup(stack, account, keys, found, interrupted_creates(export), extra, code, not_yet)


def unrecorded_code(
    settings: Settings, token: str, export: dict[str, Any]
) -> tuple[list[Deployed], list[str]]:
    """The versions, deployments and routes on the stack's Workers and zones that none of
    its deploys recorded, and the Workers no put has recorded yet."""
    from components.cloudflare_deployed import worker_listed, zone_routes
    from components.vendor_calls import cloudflare_client
    from components.vendor_credentials import explained_at_cloudflare

    cf = settings.cloudflare

    def listed() -> list[Deployed]:
        client = cloudflare_client(token)
        found = [d for w in cf.workers for d in worker_listed(client, cf.account_id, w)]
        return found + [d for zone in cf.zones for d in zone_routes(client, zone)]

    where = "listing the Workers' versions and deployments and the zones' routes"
    fix = (
        f"it must read the Workers and the zones' routes (Workers Scripts Write, Workers "
        f"Routes Read on {', '.join(cf.zones) or 'the zones'}): `pulumi config set --secret "
        f"{CLOUDFLARE_API_TOKEN.key}`"
    )
    found = explained_at_cloudflare(where, listed, fix)
    return unrecorded(found, recorded(export), cf.workers, cf.zones)


def unrecorded_for(stack: str, settings: Settings, cwd: Path) -> tuple[list[Deployed], list[str]]:
    """unrecorded_code, reading the state and the stack's admin token itself."""
    export = pulumi_cli.state(stack, cwd)
    return unrecorded_code(settings, admin_key(stack, CLOUDFLARE, cwd), export)


def reaches_no_other_stack(stack: str, settings: Settings, keys: dict[str, str], cwd: Path) -> None:
    """Stop, naming the key, where one of this stack's admin keys sees another stack's
    resources at its vendor: Cloudflare (the token's accounts and zones) and Resend (the
    team's domains). Two stack files can name different accounts and domains while one
    token or one Resend team reaches both; only the vendor's answer can tell."""
    from components.vendor_credentials import cloudflare_reach, resend_domains

    short = stack.rsplit("/", 1)[-1]
    siblings, _ = sibling_settings(cwd, short)
    origin = f"Pulumi.{short}.yaml"
    # (Isolation already refuses two stack files naming one account, zone or domain.)
    accounts = {o.cloudflare.account_id: n for n, o in siblings.items()}
    zones = {z: n for n, o in siblings.items() for z in o.cloudflare.zones}
    seen_accounts, seen_zones = cloudflare_reach(keys[CLOUDFLARE])
    for what, ids, seen in (("account", accounts, seen_accounts), ("zone", zones, seen_zones)):
        for found in seen:
            if found in ids:
                raise UserError.one(
                    origin,
                    ADMIN_KEYS[CLOUDFLARE][0],
                    f"reaches Cloudflare {what} {found}, stack {ids[found]}'s: a lower "
                    "stack's token could change the other's Workers, or the other's this "
                    "one's; give each stack a token scoped to its own account and zones",
                )
    neon_reaches_no_other_project(stack, settings, siblings, origin, cwd)
    if RESEND not in keys:
        return
    domains = {o.resend.domain.lower(): n for n, o in siblings.items() if o.resend is not None}
    for domain in resend_domains(keys[RESEND]):
        if domain.lower() in domains:
            raise UserError.one(
                origin,
                RESEND_VENDOR.admin.key,
                f"reaches Resend domain {domain}, stack {domains[domain.lower()]}'s: the two "
                "stacks share a Resend team, so each one's admin key can mint and delete the "
                "other's sending keys; give each stack a Resend team (and admin key) of its own",
            )


def neon_reaches_no_other_project(
    stack: str, settings: Settings, siblings: dict[str, Settings], origin: str, cwd: Path
) -> None:
    """A stack that holds a Neon API key (an organization key reaches every project of its
    organization) must not reach a project another stack adopts: Neon is asked for each."""
    from components.vendor_credentials import neon_sees_project

    adopted = {o.neon.existing_project_id: n for n, o in siblings.items() if o.neon.adopted}
    if settings.neon.adopted or not adopted:
        return  # an owner URL reaches its own project only; nothing else to ask about
    key_name = catalog.NEON_API_KEY.key
    need = "the check needs it to ask Neon which projects it reaches"
    key = stack_key(stack, key_name, "NEON_API_KEY", cwd, need)
    for project, other in adopted.items():
        if project and neon_sees_project(key, project):
            raise UserError.one(
                origin,
                key_name,
                f"reaches Neon project {project}, which stack {other} adopts: the two are in "
                "one organization, so this key can change or delete the other's database; "
                "move one project to an organization of its own",
            )


def unmanaged_in_github(
    stack: str, settings: Settings, cwd: Path, base_url: str | None
) -> list[Unmanaged]:
    from components.github_listing import environment_names

    need = "the check needs it to list the secrets and variables of the stack's GitHub environments"
    token = stack_key(stack, GITHUB_TOKEN_KEY, "GITHUB_TOKEN", cwd, need)
    github = settings.github
    allowed = checked_environments(stack.rsplit("/", 1)[-1], settings)
    listed = {
        environment: environment_names(
            token, github.owner, github.repository, environment, base_url
        )
        for environment in allowed
    }
    return unmanaged(allowed, listed)


def delete(lookup: Lookup, cwd: Path) -> list[Credential]:
    """Delete every orphan found that the state still does not hold, read once more right
    before: an `up` may have recorded one since. The ones deleted."""
    from components.vendor_credentials import delete as delete_at_vendor

    known = known_ids(pulumi_cli.state(lookup.stack, cwd))
    doomed = [c for c in lookup.found if c.id not in known.get(c.vendor, set())]
    for credential in doomed:
        delete_at_vendor(credential, lookup.keys[credential.vendor], lookup.account)
    return doomed

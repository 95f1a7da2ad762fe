"""Cloudflare, as data: deploy-token scope and expiry, Worker secret targets, Worker vars.

The Cloudflare components and the access review both read this; nothing here imports a
provider SDK.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from envkeeper import vendors
from envkeeper.stack import catalog
from envkeeper.stack.settings import Settings

# A token outlives its rotation date by the policy period plus this grace, then dies by
# itself: a forgotten rotation fails closed.
GRACE_DAYS = 30
ACCOUNT_SCOPE = "com.cloudflare.api.account"
ZONE_SCOPE = "com.cloudflare.api.account.zone"


@dataclass(frozen=True)
class Permission:
    name: str  # the permission group's name, looked up by the provider's data source
    scope: str


# Deploying a Worker needs to upload its script; routes only where zones are configured.
WORKERS_SCRIPTS_WRITE = Permission("Workers Scripts Write", ACCOUNT_SCOPE)
WORKERS_ROUTES_WRITE = Permission("Workers Routes Write", ZONE_SCOPE)


@dataclass(frozen=True)
class TokenPolicy:
    permissions: tuple[Permission, ...]
    resources: dict[str, str]

    @property
    def resources_json(self) -> str:
        # As Cloudflare writes it back (compact, keys sorted, as Terraform's jsonencode):
        # any other spelling reads as a change to the token on every refresh.
        return json.dumps(self.resources, sort_keys=True, separators=(",", ":"))


def deploy_policies(settings: Settings) -> list[TokenPolicy]:
    """Only what CI needs to deploy this environment's Workers, on this account and zones."""
    return deploy_policies_for(settings.cloudflare.account_id, settings.cloudflare.zones)


def deploy_policies_for(account: str, zones: list[str]) -> list[TokenPolicy]:
    """The deploy scope on `account` and `zones`; the policy pack holds every token to it."""
    policies = [TokenPolicy((WORKERS_SCRIPTS_WRITE,), {f"{ACCOUNT_SCOPE}.{account}": "*"})]
    if zones:
        policies.append(
            TokenPolicy((WORKERS_ROUTES_WRITE,), {f"{ZONE_SCOPE}.{zone}": "*" for zone in zones})
        )
    return policies


def _own_end(settings: Settings, slot: str) -> date:
    """The day a deploy-token slot dies however long it stays active: its date, the
    policy period, then the grace."""
    days = catalog.BUILT_IN["CLOUDFLARE_API_TOKEN"].rotation_days or 0
    return settings.slots("CLOUDFLARE_API_TOKEN").date_of(slot) + timedelta(days=days + GRACE_DAYS)


def token_dies(settings: Settings, slot: str, standby_end: date | None = None) -> date:
    """The day a deploy-token slot stops working. The active one lives its policy period
    plus a grace, then dies by itself; the standby dies `standbyGraceDays` after the
    other slot took over (or sooner, if its own life ends first): on `standby_end`, the
    day the deployed switch says, else the grace after the other slot's date."""
    slots = settings.slots("CLOUDFLARE_API_TOKEN")
    if slot == slots.active:
        return _own_end(settings, slot)
    ends = standby_end or slots.standby_dies(settings.standby_grace_days)
    return min(_own_end(settings, slot), ends)


def standby_end_moves(settings: Settings, slot: str, new: date) -> bool:
    """Whether `slot`'s end changes when the other slot moves to `new` and takes over: it
    is cut to the standby grace after `new`, unless its own end comes first anyway."""
    after = min(_own_end(settings, slot), new + timedelta(days=settings.standby_grace_days))
    return after != token_dies(settings, slot)


def token_expiry(settings: Settings, slot: str, standby_end: date | None = None) -> str:
    """When a deploy-token slot stops working, as Cloudflare wants it."""
    moment = datetime.combine(token_dies(settings, slot, standby_end), time(), UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def token_resource(slot: str) -> str:
    """The Pulumi name of a deploy-token slot's AccountToken."""
    return f"deploy-{slot}"


def worker_secret_resource(worker: str, secret: str) -> str:
    """The Pulumi name of one Worker's secret."""
    return f"{worker}-{secret}"


def token_name(settings: Settings, slot: str) -> str:
    """The token's name at Cloudflare: its date tells it from the token it replaces, and
    the stack's mark from another stack's (envkeeper/vendors/naming.py)."""
    rotated = settings.slots("CLOUDFLARE_API_TOKEN").date_of(slot)
    return vendors.credential_name(settings, vendors.DEPLOY_TOKEN, rotated, slot)


def worker_secret_targets(settings: Settings) -> list[tuple[str, str]]:
    """Every (Worker, secret name) pair this environment puts with `wrangler secret` semantics:
    each Worker's own set, or every Worker secret for a Worker given by name alone."""
    cloudflare = settings.cloudflare
    return [(w, name) for w in cloudflare.workers for name in cloudflare.secrets_of(w)]


def worker_secret_resources(settings: Settings) -> set[str]:
    return {worker_secret_resource(w, s) for w, s in worker_secret_targets(settings)}


# The stack output that hands the plain Worker variables over to the app's wrangler config.
WRANGLER_VARS_OUTPUT = "wranglerVars"


def worker_vars(settings: Settings) -> dict[str, str]:
    """Plain Worker variables: they ride with code deploys, in the app's wrangler config."""
    # Several allowed origins travel as one comma-separated value.
    return {"CORS_ORIGIN": ",".join(settings.cors_origins)}


def wrangler_vars_toml(settings: Settings) -> str:
    lines = [f"[env.{settings.environment.value}.vars]"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in worker_vars(settings).items()]
    return "\n".join(lines) + "\n"

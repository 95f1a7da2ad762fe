"""The typed model of the `envkeeper:` config namespace, and the rules it enforces.

The Pulumi program reads config from the engine and the command line reads it from
`Pulumi.<stack>.yaml`; both build a StackConfig and call `parse_settings`, so both give
the same errors.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from envkeeper import catalog, ci
from envkeeper.catalog import Catalog
from envkeeper.clock import utc_today
from envkeeper.declared import KEY as DECLARED_KEY
from envkeeper.declared import config_key as declared_config_key
from envkeeper.declared import project_catalog
from envkeeper.problems import Problem, UserError
from envkeeper.stackfile import NAMESPACE, StackConfig, short_stack_name
from envkeeper.validation_messages import KeyedError, error_lines


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PRODUCTION = "production"


class _Model(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


_HEX32 = re.compile(r"^[0-9a-f]{32}$")
_WORKER = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _hex32(value: str, what: str) -> str:
    if not _HEX32.match(value):
        raise ValueError(
            f"{what} must be 32 lower-case hex characters (see the Cloudflare dashboard)"
        )
    return value


def _catalog(info: ValidationInfo) -> Catalog:
    """The project's catalog, which parse_settings hands to validation as context."""
    return (info.context or {}).get("catalog") or catalog.BUILT_IN


def _unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {v!r} is listed twice; list it once")
        seen.add(v)
    return values


class CloudflareSettings(_Model):
    account_id: str = Field(description="the 32-hex-character Cloudflare account id")
    workers: list[str] = Field(
        min_length=1, description="the names of this environment's Workers, e.g. [example-api-dev]"
    )
    # The Worker secrets each Worker receives, in catalog order: those named by an entry
    # written as {name: ..., secrets: [...]}, or every one for a Worker given by name alone.
    secret_sets: dict[str, tuple[str, ...]] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _split_worker_entries(cls, raw: Any, info: ValidationInfo) -> Any:
        if not isinstance(raw, dict) or not isinstance(raw.get("workers"), list):
            return raw
        if "secretSets" in raw or "secret_sets" in raw:
            raise KeyedError(
                "secretSets", "unknown key; write {name: ..., secrets: [...]} under workers"
            )
        names: list[Any] = []
        sets: dict[str, tuple[str, ...]] = {}
        project = _catalog(info)
        allowed = project.worker_secret_names()
        for entry in raw["workers"]:
            if not isinstance(entry, dict):
                names.append(entry)
                if isinstance(entry, str):
                    sets[entry] = tuple(allowed)
                continue
            name, secrets = entry.get("name"), entry.get("secrets")
            extra = sorted(set(entry) - {"name", "secrets"})
            where = f"workers.{name}" if isinstance(name, str) else "workers"
            if isinstance(name, str) and secrets == []:
                raise KeyedError(
                    f"{where}.secrets",
                    "is empty; list the secrets this Worker receives, or write the Worker as a "
                    "plain name to give it every Worker secret",
                )
            if extra or not isinstance(name, str) or not isinstance(secrets, list) or not secrets:
                raise KeyedError(
                    where,
                    "a Worker is a name, or {name: example-webhooks, secrets: [STRIPE_SECRET_KEY, "
                    "...]} naming the catalog secrets it receives",
                )
            for index, secret in enumerate(secrets):
                if secret not in allowed:
                    # Repeated only when it is a catalog name: anything else may be a
                    # secret pasted in the wrong place.
                    what = (
                        f"{secret} is a secret that is not delivered to Workers"
                        if secret in project.by_name
                        else "is not a secret in the catalog"
                    )
                    raise KeyedError(
                        f"{where}.secrets[{index}]", f"{what}; use some of: {', '.join(allowed)}"
                    )
            try:
                _unique(secrets, "secret")
            except ValueError as exc:
                raise KeyedError(f"{where}.secrets", str(exc)) from None
            names.append(name)
            sets[name] = tuple(s for s in allowed if s in secrets)  # catalog order
        return {**raw, "workers": names, "secretSets": sets}

    def secrets_of(self, worker: str) -> tuple[str, ...]:
        """The Worker secrets `worker` receives, in catalog order."""
        return self.secret_sets[worker]

    zones: list[str] = Field(
        default_factory=list, description="zone ids deploy tokens may route Workers on"
    )
    token_ip_allowlist: list[str] = Field(
        default_factory=list, description="CIDRs the deploy token may be used from"
    )

    @field_validator("account_id")
    @classmethod
    def _account(cls, v: str) -> str:
        return _hex32(v, "the account id")

    @field_validator("workers")
    @classmethod
    def _workers(cls, v: list[str]) -> list[str]:
        for index, name in enumerate(v):
            if not _WORKER.match(name):
                raise KeyedError(
                    index,
                    "is not a valid Worker script name; use lower-case letters, digits and dashes",
                )
        return _unique(v, "Worker")

    @field_validator("zones")
    @classmethod
    def _zones(cls, v: list[str]) -> list[str]:
        return _unique([_hex32(z, "a zone id") for z in v], "zone")

    @field_validator("token_ip_allowlist")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for index, cidr in enumerate(v):
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise KeyedError(
                    index, "is not a network; write it as CIDR, e.g. 203.0.113.0/24"
                ) from None
        return _unique(v, "network")


class NeonSettings(_Model):
    project_name: str = Field(
        min_length=1, max_length=64, description="this environment's Neon project name"
    )
    database: str = Field(description="the application database name, e.g. app")
    org_id: str | None = Field(default=None, description="the Neon organisation id, if any")
    existing_project_id: str | None = Field(
        default=None,
        description="the id of a Neon project to adopt instead of creating one; its owner URL "
        "then comes from secret config envkeeper:neonOwnerUrl",
    )

    @property
    def adopted(self) -> bool:
        return self.existing_project_id is not None

    @field_validator("database")
    @classmethod
    def _database(cls, v: str) -> str:
        if not _IDENT.match(v):
            raise ValueError(
                "is not a plain SQL identifier; use lower-case letters, digits and _, e.g. app"
            )
        return v


_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_EVENT = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")


class ResendSettings(_Model):
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


class StripeWebhook(_Model):
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
        return _unique(v, "event")


class StripeSettings(_Model):
    """Present: envkeeper owns the environment's webhook endpoint and its signing secret.
    Absent: STRIPE_WEBHOOK_SECRET is pasted in as secret config, as before."""

    webhook: StripeWebhook = Field(description="{url: https://..., events: [...]}")


def webhook_url_problem(url: str, environment: Environment | None) -> str | None:
    parts = urlsplit(url)
    if "*" in url:
        return "is a wildcard; give the one URL Stripe should call"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not a URL; write it as https://api.example.com/webhooks/stripe"
    if parts.username or parts.password or parts.query or parts.fragment:
        return "carries credentials, a query or a fragment; give the plain URL"
    if parts.scheme != "https" and environment not in (None, Environment.DEV):
        return "is not https; only dev may use a plain http webhook URL"
    return None


class Reviewers(_Model):
    teams: list[str] = Field(default_factory=list, description="team slugs")
    users: list[str] = Field(default_factory=list, description="GitHub user names")


class GithubSettings(_Model):
    repository: str = Field(description="the application repository's name, e.g. example-app")
    environment: str = Field(description="the GitHub environment name, e.g. production")
    reviewers: Reviewers = Field(
        default_factory=Reviewers, description="who approves deploys: {teams: [...], users: [...]}"
    )

    @field_validator("repository", "environment")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _GITHUB_NAME.match(v):
            raise ValueError("is not a GitHub name; use letters, digits, '.', '_' or '-'")
        return v

    @field_validator("environment")
    @classmethod
    def _not_a_ci_environment(cls, v: str) -> str:
        # Pull-request previews, the drift check and the rotation run there: this stack's
        # secrets would reach jobs that are not its deploys.
        if ci.is_ci_environment(v):
            raise ValueError(
                f"{v} is an environment of this repository's own workflows (previews, drift "
                "check, rotation); name the environment this stack deploys to, e.g. production"
            )
        return v


def iso_date(value: Any) -> date:
    """A YYYY-MM-DD date, or ValueError saying what is wrong with it. A value that is no
    date is never repeated: it may be a secret pasted in the wrong place."""
    if value is None or value == "":
        raise ValueError("is empty; write the date as YYYY-MM-DD")
    if isinstance(value, dict):
        raise ValueError(
            "holds slot dates, but this secret has one slot; write one date, YYYY-MM-DD"
        )
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("is not a date; write it as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real calendar date; write it as YYYY-MM-DD") from None


def _parse_date(value: Any, today: date) -> date:
    parsed = iso_date(value)
    if parsed > today:
        raise ValueError(
            f"{value} is in the future (today is {today}); use the day the secret was rotated"
        )
    return parsed


class SlotDates(_Model):
    """The two keeper dates of a two-slot secret. The slot with the later date is active."""

    a: date
    b: date

    @property
    def active(self) -> str:
        return "a" if self.a > self.b else "b"

    @property
    def inactive(self) -> str:
        return "b" if self.active == "a" else "a"

    def date_of(self, slot: str) -> date:
        return self.a if slot == "a" else self.b

    @property
    def latest(self) -> date:
        return max(self.a, self.b)

    @property
    def oldest(self) -> date:
        return min(self.a, self.b)

    def standby_dies(self, grace_days: int) -> date:
        """The day the standby slot's credential stops working: the grace after the active
        slot took over. Nothing should use it by then."""
        return self.latest + timedelta(days=grace_days)


RotationDate = date | SlotDates


def _unused_credential(key: str, stack: str) -> str:
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
    return vendor_block_removed(_ADMIN_KEY_VENDOR[key], key, stack)


# What switching a vendor block off takes, said where each leftover trips: every step, so a
# team deleting `envkeeper:resend:` or `envkeeper:stripe:` is not sent round one at a time.
_PASTED_KEY = {"resend": "envkeeper:resendApiKey", "stripe": "envkeeper:stripeWebhookSecret"}
_ADMIN_KEY_VENDOR = {catalog.RESEND_ADMIN_KEY.key: "resend", catalog.STRIPE_ADMIN_KEY.key: "stripe"}


def vendor_block_removed(vendor: str, key: str, stack: str = "STACK") -> str:
    """The fix for `key`, left over from a removed `envkeeper:<vendor>` block."""
    admin = next(k for k, v in _ADMIN_KEY_VENDOR.items() if v == vendor)
    pasted = (
        "then set the pasted value: "
        f"pulumi config set --secret --stack {stack} {_PASTED_KEY[vendor]}"
    )
    if key == admin:
        return (
            f"you removed envkeeper:{vendor}, so nothing uses this admin key: delete this date "
            f"(and the key itself: pulumi config rm --stack {stack} {admin}), {pasted}; or put "
            "the block back to let envkeeper mint the secret"
        )
    return (
        f"you removed envkeeper:resend, so RESEND_API_KEY is pasted in by hand and has one "
        f"date: write RESEND_API_KEY: 'YYYY-MM-DD' (the day the pasted key was made) and "
        f"delete the {admin} date, {pasted}; or put the block back"
    )


def origin_problem(origin: Any, environment: Environment | None) -> str | None:
    if not isinstance(origin, str):
        return "an origin is a string such as https://app.example.com"
    if "*" in origin:
        return "is a wildcard; list each exact origin, e.g. https://app.example.com"
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an origin; write scheme and host, e.g. https://app.example.com"
    if parts.path or parts.query or parts.fragment or origin.endswith("/"):
        return "has a path or trailing slash; an origin is scheme://host[:port] only"
    if parts.username or parts.password:
        return "carries credentials; an origin is scheme://host[:port] only"
    try:
        _ = parts.port
    except ValueError:
        return "has an invalid port; use a number from 1 to 65535"
    if parts.netloc != parts.netloc.lower():
        return "must be lower case, as browsers send it"
    # With no valid environment the https rule cannot be judged; that key has its own error.
    if parts.scheme != "https" and environment not in (None, Environment.DEV):
        return "is not https; only dev may allow plain http origins"
    return None


class Settings(_Model):
    """Everything under `envkeeper:` in one stack's config."""

    environment: Environment = Field(description="one of dev, staging, production")
    cors_origins: Annotated[list[str], Field(min_length=1)] = Field(
        description="exact origins allowed by CORS, e.g. [https://app.example.com]"
    )
    cloudflare: CloudflareSettings = Field(
        description="{accountId: ..., workers: [...], zones: [...]}"
    )
    neon: NeonSettings = Field(description="{projectName: ..., database: app}")
    github: GithubSettings = Field(description="{repository: ..., environment: ...}")
    rotation: dict[str, RotationDate] = Field(
        description="the keeper date (YYYY-MM-DD) of every rotated secret"
    )
    resend: ResendSettings | None = Field(
        default=None, description="{domain: mail.example.com} to let envkeeper mint the keys"
    )
    stripe: StripeSettings | None = Field(
        default=None, description="{webhook: {url: ..., events: [...]}} for the endpoint"
    )
    better_auth_legacy_secret: bool = Field(
        default=True,
        description="true while rows written before versioned secrets may still need "
        "BETTER_AUTH_SECRET; false once every one has been re-written",
    )
    local_development: bool = Field(
        default=False,
        description="true to let people who can read this stack run its Workers locally "
        "(envkeeper dev-vars, envkeeper run); never in production",
    )
    standby_grace_days: int = Field(
        default=7,
        ge=1,
        le=30,
        description="how many days (1 to 30) a two-slot secret's standby credential keeps "
        "working after the other slot became active",
    )

    @field_validator("standby_grace_days", mode="before")
    @classmethod
    def _whole_days(cls, v: Any) -> Any:
        # YAML's `true` or `7.5` is a mistake, not 1 day or 7; the engine hands "7" as text.
        if isinstance(v, bool | float):
            raise ValueError("must be a whole number of days, 1 to 30")
        return v

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, v: list[str], info: ValidationInfo) -> list[str]:
        env = info.data.get("environment")
        for index, origin in enumerate(v):
            problem = origin_problem(origin, env)
            if problem:
                raise KeyedError(index, problem)
        return _unique(v, "origin")

    @field_validator("rotation", mode="before")
    @classmethod
    def _rotation(cls, raw: Any, info: ValidationInfo) -> Any:
        today: date = (info.context or {}).get("today") or utc_today()
        stack: str = (info.context or {}).get("stack") or "STACK"
        if not isinstance(raw, dict):
            raise ValueError("must map each secret name to its keeper date (YYYY-MM-DD)")
        project = _catalog(info)
        known = ", ".join(e.name for e in project if e.dated)
        out: dict[str, Any] = {}
        for name, value in raw.items():
            entry = project.get(name)
            if name == catalog.LEGACY_AUTH_SECRET and entry is None:
                raise KeyedError(
                    name,
                    "the legacy key is off (betterAuthLegacySecret: false); remove this date",
                )
            if entry is None and name in catalog.TOKENS_BY_KEY:
                raise KeyedError(name, _unused_credential(name, stack))
            if (
                name == catalog.RESEND_MINTED.name
                and entry is not None
                and not entry.two_slots
                and isinstance(value, dict)
            ):
                # Slot dates are what envkeeper:resend leaves behind when it is deleted.
                raise KeyedError(name, vendor_block_removed("resend", name, stack))
            if entry is None or not entry.dated:
                raise KeyedError(name, f"unknown secret; known names: {known}")
            if entry.two_slots:
                if not isinstance(value, dict) or set(value) != {"a", "b"}:
                    raise KeyedError(
                        name, "a two-slot secret needs both slots: {a: YYYY-MM-DD, b: YYYY-MM-DD}"
                    )
                parsed = {}
                for slot in ("a", "b"):
                    try:
                        parsed[slot] = _parse_date(value[slot], today)
                    except ValueError as exc:
                        raise KeyedError(f"{name}.{slot}", str(exc)) from None
                a, b = parsed["a"], parsed["b"]
                if a == b:
                    raise KeyedError(
                        name, "slots a and b share a date; give the older slot an earlier date"
                    )
                out[name] = SlotDates(a=a, b=b)
            else:
                try:
                    out[name] = _parse_date(value, today)
                except ValueError as exc:
                    raise KeyedError(name, str(exc)) from None
        needed = [e for e in project if e.dated]
        missing = [e for e in needed if e.name not in out]
        if len(missing) == 1:
            (entry,) = missing
            example = "{a: YYYY-MM-DD, b: YYYY-MM-DD}" if entry.two_slots else "YYYY-MM-DD"
            raise KeyedError(entry.name, f"missing; add `{entry.name}: {example}`")
        if missing:
            raise KeyedError(
                "",
                f"missing keeper dates for {', '.join(e.name for e in missing)}; add each as "
                "`NAME: YYYY-MM-DD`, the day it was last rotated",
            )
        return out

    @property
    def tracked(self) -> tuple[catalog.CatalogEntry, ...]:
        """Every entry with a keeper date in this stack, in catalog order: the rotated
        secrets, and the provider credentials this stack uses."""
        return self.catalog.rotated

    # The project's catalog (built-in and declared entries), kept from validation.
    _catalog: Catalog = PrivateAttr(default=catalog.BUILT_IN)

    @model_validator(mode="after")
    def _keep_catalog(self, info: ValidationInfo) -> Settings:
        self._catalog = _catalog(info)
        return self

    @property
    def catalog(self) -> Catalog:
        """Every entry of this project's catalog; the program and every command read it."""
        return self._catalog

    @model_validator(mode="after")
    def _neon_project_has_an_org(self) -> Settings:
        # pulumi-neon 0.0.1b1 reads the project's organization back on every refresh: left
        # unset, every preview shows a change to the project that nobody made.
        if not self.neon.adopted and not self.neon.org_id:
            raise KeyedError(
                "neon.orgId",
                "missing; set the Neon organization id the project belongs to "
                "(console: Organization settings), e.g. orgId: org-example-12345678",
                top=True,
            )
        return self

    @model_validator(mode="after")
    def _webhook_url(self) -> Settings:
        if self.stripe is not None:
            problem = webhook_url_problem(self.stripe.webhook.url, self.environment)
            if problem:
                raise KeyedError("stripe.webhook.url", problem, top=True)
        return self

    @model_validator(mode="after")
    def _production_stays_off_laptops(self) -> Settings:
        # Judged by the environment, not the stack's name: a production stack called
        # `live` must not export its Workers' values either.
        if self.environment is Environment.PRODUCTION and self.local_development:
            raise KeyedError(
                "localDevelopment",
                "production is never run locally: its values stay with its Workers and CI; "
                "delete this line (use the dev stack for local development)",
                top=True,
            )
        return self

    @model_validator(mode="after")
    def _production_has_reviewers(self) -> Settings:
        if self.environment is Environment.PRODUCTION and not (
            self.github.reviewers.teams or self.github.reviewers.users
        ):
            raise KeyedError(
                "github.reviewers",
                "production needs at least one reviewer; add {teams: [platform]} or users",
                top=True,
            )
        return self

    def slots(self, name: str) -> SlotDates:
        value = self.rotation[name]
        assert isinstance(value, SlotDates), f"{name} is not a two-slot secret"
        return value

    def single_date(self, name: str) -> date:
        value = self.rotation[name]
        assert isinstance(value, date), f"{name} is a two-slot secret"
        return value


GITHUB_OWNER = "github:owner"

# The environment a stack of one of the usual names must be; other names may be any.
_STACK_ENVIRONMENTS = {
    "dev": Environment.DEV,
    "staging": Environment.STAGING,
    "prod": Environment.PRODUCTION,
    "production": Environment.PRODUCTION,
}


def _environment_mismatch(environment: Any, stack: str) -> str | None:
    expected = _STACK_ENVIRONMENTS.get(short_stack_name(stack))
    if expected is None or environment not in {e.value for e in Environment}:
        return None
    if environment == expected.value:
        return None
    return (
        f"says {environment} but this is the {short_stack_name(stack)} stack; write "
        f"`envkeeper:environment: {expected.value}` (or copy the right stack's file)"
    )


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
    if raw.get("resend") is not None:
        project = project.replacing(catalog.RESEND_MINTED)
    else:
        drop.append(catalog.RESEND_ADMIN_KEY.key)
    if raw.get("stripe") is not None:
        project = project.replacing(catalog.STRIPE_MINTED)
    else:
        drop.append(catalog.STRIPE_ADMIN_KEY.key)
    return project.without(*drop)


def missing_secrets(config: StackConfig, settings: Settings) -> list[str]:
    """Secret keys that are not set yet: the plan runs without them, `pulumi up` cannot."""
    # The stack's catalog holds exactly the secret config its `pulumi up` needs.
    return [key for key in settings.catalog.secure_config_keys() if key not in config.secure]


def _turned_off(value: Any) -> bool:
    """A boolean setting read as its field will read it (the engine hands over "false")."""
    try:
        return value is not None and TypeAdapter(bool).validate_python(value) is False
    except ValidationError:
        return False  # the field's own validation names the problem


_A_SETTING = "an envkeeper setting"


def _taken_config_keys() -> dict[str, str]:
    """Every key under `envkeeper:` that already means something, and what it holds."""
    taken = {f"{NAMESPACE}:{f.alias or n}": _A_SETTING for n, f in Settings.model_fields.items()}
    taken[DECLARED_KEY] = "the list of declared secrets"
    for entry in catalog.BUILT_IN:
        key = entry.full_config_key
        if key and key.startswith(f"{NAMESPACE}:"):
            credential = entry.source is catalog.Source.PROVIDER
            taken[key] = f"the {entry.description}" if credential else f"where {entry.name} is set"
    return taken


def declared_clashes(project: Catalog, origin: str) -> list[Problem]:
    """A declared secret whose config key is already taken would be handed that key's
    value (a provider's admin credential, say), or read a plain setting as a leaked secret."""
    taken = _taken_config_keys()
    problems = []
    for entry in project:
        key = f"{NAMESPACE}:{declared_config_key(entry.name)}"
        if entry.declared and key in taken:
            problems.append(
                Problem(
                    origin,
                    f"{DECLARED_KEY}.{entry.name}",
                    f"its value would be read from {key}, which is {taken[key]}; give this "
                    "secret another name",
                )
            )
    return problems


def parse_settings(config: StackConfig, stack: str, today: date | None = None) -> Settings:
    """Validate one stack's config. Raises UserError listing every problem, one per line."""
    raw = config.namespace()
    # The catalog comes first: which keys are secrets and which dates are due depend on it.
    project = project_catalog(
        raw.pop(DECLARED_KEY.split(":", 1)[1], None), config.origin_of(DECLARED_KEY)
    )
    clashes = declared_clashes(project, config.origin_of(DECLARED_KEY))
    if clashes:
        raise UserError(clashes)  # every other line would read the clashing key wrongly
    # Any key that ever holds a secret must not be written in clear, whatever the mode.
    problems = plaintext_secret_problems(config, stack, project)
    everywhere_secret = [k for k in project.secure_config_keys() if k.startswith(f"{NAMESPACE}:")]
    project = stack_catalog(project, raw)
    # Secure values under `envkeeper:` are secrets this stack uses, or strays.
    used = set(project.secure_config_keys())
    stray_secure = sorted(
        k for k in config.secure if k.startswith(f"{NAMESPACE}:") and k not in used
    )
    settings_keys = {k for k, what in _taken_config_keys().items() if what == _A_SETTING}
    for key in stray_secure:
        vendor = _ADMIN_KEY_VENDOR.get(key)
        if vendor:
            fix = vendor_block_removed(vendor, key, stack)
        elif key in settings_keys:
            # A setting encrypted by `pulumi config set --secret`: one line, not a second
            # "missing" for the same key.
            fix = (
                "is a setting, not a secret, and is written in clear: "
                f"`pulumi config set --stack {stack} {key} VALUE` (without --secret)"
            )
        else:
            fix = (
                "is a secure value but not a secret envkeeper knows; remove it with "
                f"`pulumi config rm --stack {stack} {key}`"
            )
        problems.append(Problem(config.origin, key, fix))
    # Every key that may hold a secret in some mode is reported above, never as a setting.
    for key in everywhere_secret:
        raw.pop(key.split(":", 1)[1], None)
    mismatch = _environment_mismatch(raw.get("environment"), stack)
    if mismatch:
        # Everything else would be judged against the wrong environment's rules.
        raise UserError([*problems, Problem(config.origin, f"{NAMESPACE}:environment", mismatch)])
    if not config.values.get(GITHUB_OWNER):
        # The github provider needs it for every repository resource; without it
        # `pulumi up` fails after the rest of the stack has changed.
        problems.append(
            Problem(
                config.origin,
                GITHUB_OWNER,
                "is missing: add `github:owner: <organization>` under config, the GitHub "
                "organization (or user) that owns the repository",
            )
        )
    try:
        settings = Settings.model_validate(
            raw, context={"today": today or utc_today(), "catalog": project, "stack": stack}
        )
    except ValidationError as exc:
        for key, message in error_lines(exc.errors(), Settings):
            if key in stray_secure and message.startswith("missing"):
                continue  # said above: it is set, but as a secret
            problems.append(Problem(config.origin, key, message))
        raise UserError(problems) from None
    if problems:
        raise UserError(problems)
    return settings

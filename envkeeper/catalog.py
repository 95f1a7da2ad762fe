"""The secret catalog: every value envkeeper manages, in one table.

The program, the offline plan, the rotation commands and the access review all read this
table; nothing else restates it. Rotation periods come from the organisation's policy
(Stripe 90 days; Resend, Cloudflare tokens, Neon passwords and auth secrets 180 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Source(StrEnum):
    """Where a value comes from."""

    GENERATED = "generated"  # minted by pulumi-random here
    NEON = "neon"  # a login this program creates in the environment's Neon project
    CLOUDFLARE_TOKEN = "cloudflare-token"  # an account API token this program creates
    EXTERNAL = "external"  # rolled at a vendor's dashboard, held as secret stack config
    CONFIG = "config"  # plain stack settings, not secret


class Destination(StrEnum):
    """Where a value is delivered."""

    WORKER_SECRET = "worker-secret"
    WORKER_VAR = "worker-var"
    GITHUB_SECRET = "github-secret"
    GITHUB_VARIABLE = "github-variable"


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    source: Source
    description: str
    destinations: tuple[Destination, ...]
    rotation_days: int | None = None
    two_slots: bool = False
    # Stack config key (under `envkeeper:`) that holds an external secret's value.
    config_key: str | None = None
    # What a rotation does to people, where it is more than "a new value".
    rotation_effect: str | None = None

    @property
    def secret(self) -> bool:
        return self.source is not Source.CONFIG

    @property
    def rotated(self) -> bool:
        return self.rotation_days is not None

    @property
    def managed(self) -> bool:
        """True when this program mints the value (bumping its date makes a new one)."""
        return self.source in (Source.GENERATED, Source.NEON, Source.CLOUDFLARE_TOKEN)


CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        name="DATABASE_URL",
        source=Source.NEON,
        description="Neon runtime login (active slot), pooled host",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=180,
        two_slots=True,
    ),
    CatalogEntry(
        name="DATABASE_URL_READONLY",
        source=Source.NEON,
        description="Neon read-only login, pooled host",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=180,
    ),
    CatalogEntry(
        name="MIGRATION_DATABASE_URL",
        source=Source.NEON,
        description="Neon migrator login, direct host",
        destinations=(Destination.GITHUB_SECRET,),
        rotation_days=180,
    ),
    CatalogEntry(
        name="BETTER_AUTH_SECRET",
        source=Source.GENERATED,
        description="32 random bytes, base64",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=180,
        rotation_effect="every signed-in user is signed out",
    ),
    CatalogEntry(
        name="STRIPE_SECRET_KEY",
        source=Source.EXTERNAL,
        description="Stripe restricted API key",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=90,
        config_key="stripeSecretKey",
    ),
    CatalogEntry(
        name="STRIPE_WEBHOOK_SECRET",
        source=Source.EXTERNAL,
        description="Stripe webhook signing secret",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=90,
        config_key="stripeWebhookSecret",
    ),
    CatalogEntry(
        name="RESEND_API_KEY",
        source=Source.EXTERNAL,
        description="Resend API key, sending only",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=180,
        config_key="resendApiKey",
    ),
    CatalogEntry(
        name="CLOUDFLARE_API_TOKEN",
        source=Source.CLOUDFLARE_TOKEN,
        description="Cloudflare account token, Workers deploy scope (active slot)",
        destinations=(Destination.GITHUB_SECRET,),
        rotation_days=180,
        two_slots=True,
    ),
    CatalogEntry(
        name="CORS_ORIGIN",
        source=Source.CONFIG,
        description="allowlisted origins (envkeeper:corsOrigins)",
        destinations=(Destination.WORKER_VAR,),
    ),
    CatalogEntry(
        name="CLOUDFLARE_ACCOUNT_ID",
        source=Source.CONFIG,
        description="Cloudflare account id (envkeeper:cloudflare.accountId)",
        destinations=(Destination.GITHUB_VARIABLE,),
    ),
)

# Pulumi type of the component that owns one environment's secrets; it registers them
# as its `secrets` output, which is how the offline plan follows each one to its destinations.
ENVIRONMENT_TYPE = "envkeeper:environment:Environment"
# The Pulumi name of the RandomBytes behind BETTER_AUTH_SECRET.
BETTER_AUTH_RESOURCE = "better-auth-secret"

BY_NAME: dict[str, CatalogEntry] = {entry.name: entry for entry in CATALOG}
ROTATED: tuple[CatalogEntry, ...] = tuple(e for e in CATALOG if e.rotated)
EXTERNAL: tuple[CatalogEntry, ...] = tuple(e for e in CATALOG if e.source is Source.EXTERNAL)
SLOTS = ("a", "b")


@dataclass(frozen=True)
class ProviderToken:
    """A credential a Pulumi provider reads from stack config, never from the program."""

    key: str
    what: str


# The key each provider SDK itself reads (pulumi-neon reads `api_key`, snake_case);
# tests/test_catalog_provider_keys.py checks every one against the installed SDKs.
NEON_API_KEY = ProviderToken("neon:api_key", "Neon API key that manages the environment's project")

# The credentials the providers themselves use. They are never delivered anywhere.
PROVIDER_TOKENS: tuple[ProviderToken, ...] = (
    ProviderToken("cloudflare:apiToken", "Cloudflare API token that manages tokens and Workers"),
    ProviderToken("github:token", "GitHub token that manages environments and secrets"),
    NEON_API_KEY,
)


# Only for a Neon project adopted rather than created here: its owner's connection URL,
# which the PostgreSQL provider uses to manage roles. It stands in for the Neon API key.
NEON_OWNER_URL = ProviderToken(
    "envkeeper:neonOwnerUrl", "owner connection URL of an existing Neon project"
)


def worker_secret_names() -> list[str]:
    """Every catalog secret a Worker may receive, in catalog order."""
    return [e.name for e in CATALOG if Destination.WORKER_SECRET in e.destinations]


def rotated_names() -> list[str]:
    return [e.name for e in ROTATED]


def secure_config_keys() -> list[str]:
    """Every full config key whose value must be a `secure:` value."""
    return [f"envkeeper:{e.config_key}" for e in EXTERNAL if e.config_key] + [
        t.key for t in (*PROVIDER_TOKENS, NEON_OWNER_URL)
    ]

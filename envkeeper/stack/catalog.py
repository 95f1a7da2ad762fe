"""The secret catalog: every value envkeeper manages, in one table.

The built-in entries are below; each minted vendor's module (envkeeper/vendors/) adds its
admin credential and what it mints in place of a pasted value; a project adds its own
entries as data in `Pulumi.yaml` (`envkeeper:secrets`, see declared.py). `Settings.catalog`
joins them, and the program, the offline plan, the rotation commands and the access review
all read that one table; nothing else restates it. Rotation periods come from the
organisation's policy (Stripe 90 days; Resend, Cloudflare tokens, Neon passwords and auth
secrets 180 days).
"""

from __future__ import annotations

from envkeeper.config.catalog_model import (
    MINTED,
    Catalog,
    CatalogEntry,
    Destination,
    Encoding,
    ProviderToken,
    Source,
)
from envkeeper.vendors import MINTED_VENDORS

__all__ = [
    "MINTED",
    "Catalog",
    "CatalogEntry",
    "Destination",
    "Encoding",
    "ProviderToken",
    "Source",
]

_BUILT_IN_ENTRIES: tuple[CatalogEntry, ...] = (
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
        rotation_effect=(
            "one login: from the password change until each Worker has the new URL (seconds), "
            "read-only queries with the old one are refused"
        ),
    ),
    CatalogEntry(
        name="MIGRATION_DATABASE_URL",
        source=Source.NEON,
        description="Neon migrator login, direct host",
        destinations=(Destination.GITHUB_SECRET,),
        rotation_days=180,
        rotation_effect=(
            "one login: a migration job running during the `pulumi up` may be refused; run it again"
        ),
    ),
    # The admin login of a project this program creates: the PostgreSQL provider and the
    # session ender act as it. Delivered nowhere, rotated like any login (components/
    # neon_owner.py); an adopted project's owner URL is a provider credential instead.
    CatalogEntry(
        name="NEON_OWNER_PASSWORD",
        source=Source.NEON_OWNER,
        description="owner password of the created Neon project (envkeeper's admin login)",
        destinations=(),
        rotation_days=180,
        rotation_effect=(
            "nothing the app notices: only envkeeper logs in as the owner, with the new "
            "password, in the same `pulumi up` that resets it (its preview lists the database's "
            "roles and grants as updates: Neon picks the password during the deploy)"
        ),
    ),
    # Better Auth encrypts data at rest (2FA secrets, backup codes, OAuth tokens) with its
    # secret. Versioned secrets rotate without losing it: the first entry is current, the
    # others decrypt what they encrypted. Each slot's version is its keeper date as a number.
    CatalogEntry(
        name="BETTER_AUTH_SECRETS",
        source=Source.GENERATED,
        description="two versioned 32-byte secrets, newest first (version:secret,...)",
        destinations=(Destination.WORKER_SECRET,),
        rotation_days=180,
        two_slots=True,
        rotation_effect=(
            "every signed-in user is signed out (sessions are signed with the current version "
            "only); data encrypted under the older version stays readable"
        ),
        emergency_effect=(
            "every signed-in user is signed out, and data encrypted under the leaked versions "
            "and not yet re-written (2FA secrets, backup codes, OAuth tokens) becomes "
            "unreadable: users with two-factor sign-in must enrol again"
        ),
        length=32,
        encoding=Encoding.BASE64,
        resource="better-auth-secrets",
    ),
    # The one secret Better Auth used before versioning; it still decrypts data written
    # then. Never rotated (that would lose the data); dropped with betterAuthLegacySecret.
    CatalogEntry(
        name="BETTER_AUTH_SECRET",
        source=Source.GENERATED,
        description="legacy key: decrypts data written before versioned secrets",
        destinations=(Destination.WORKER_SECRET,),
        length=32,
        encoding=Encoding.BASE64,
        resource="better-auth-secret",
        keeper_only=True,
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

LEGACY_AUTH_SECRET = "BETTER_AUTH_SECRET"
NEON_OWNER_PASSWORD = "NEON_OWNER_PASSWORD"

# Pulumi type of the component that owns one environment's secrets; it registers them
# as its `secrets` output, which is how the offline plan follows each one to its destinations.
ENVIRONMENT_TYPE = "envkeeper:environment:Environment"
SLOTS = ("a", "b")


# The key each provider SDK itself reads (pulumi-neon reads `api_key`, snake_case);
# tests/test_catalog_provider_keys.py checks every one against the installed SDKs.
NEON_API_KEY = ProviderToken(
    "neon:apiKey",
    "Neon API key that manages the environment's project",
    "Neon console > Account settings (or Organization settings) > API keys: create a key, "
    "then revoke the old one once `pulumi up` has run with the new",
)

# pulumi-cloudflare reads it, and so does envkeeper's Worker-secret provider.
CLOUDFLARE_API_TOKEN = ProviderToken(
    "cloudflare:apiToken",
    "Cloudflare API token that manages tokens and Workers",
    "Cloudflare dashboard > Manage Account > Account API Tokens: roll the token that "
    "manages this environment (Account API Tokens Write, Workers Scripts Write, Workers "
    "Routes Read on its zones)",
)

# The credentials the providers themselves use. They are never delivered anywhere.
PROVIDER_TOKENS: tuple[ProviderToken, ...] = (
    CLOUDFLARE_API_TOKEN,
    ProviderToken(
        "github:token",
        "GitHub token that manages environments and secrets",
        "GitHub > Settings > Developer settings: regenerate the fine-grained token (or the "
        "app's key) with the same repository and Environments/Secrets/Variables access",
    ),
    NEON_API_KEY,
)


# Only for a Neon project adopted rather than created here: its owner's connection URL,
# which the PostgreSQL provider uses to manage roles. It stands in for the Neon API key.
NEON_OWNER_URL = ProviderToken(
    "envkeeper:neonOwnerUrl",
    "owner connection URL of an existing Neon project",
    "Neon console > the project > Roles: reset the owner role's password and copy the new "
    "connection URL",
)
# Then the keys envkeeper's own providers mint with (each minted vendor's module declares
# its own), used only in stacks that let them.
ALL_TOKENS: tuple[ProviderToken, ...] = (
    *PROVIDER_TOKENS,
    NEON_OWNER_URL,
    *(vendor.admin for vendor in MINTED_VENDORS),
)
PROVIDER_CREDENTIAL_DAYS = 180


def _credential(token: ProviderToken) -> CatalogEntry:
    return CatalogEntry(
        name=token.key,
        source=Source.PROVIDER,
        description=token.what,
        destinations=(),  # used by a provider, delivered nowhere
        rotation_days=PROVIDER_CREDENTIAL_DAYS,
        config_key=token.key,
    )


# Every credential a stack might use. Settings narrow it to the ones a stack does use. A
# minted vendor whose pasted secret is not built in declares that entry itself.
BUILT_IN = Catalog(
    (
        *_BUILT_IN_ENTRIES,
        *(v.pasted_entry for v in MINTED_VENDORS if v.pasted_entry is not None),
        *(_credential(t) for t in ALL_TOKENS),
    )
)
TOKENS_BY_KEY: dict[str, ProviderToken] = {t.key: t for t in ALL_TOKENS}

"""What an environment may touch, as the Environment component registers it for the policy
pack: the pack sees resources, not stack config, so the component states its boundaries."""

from __future__ import annotations

from envkeeper.stack.settings import Settings

ENVIRONMENT = "environment"
ACCOUNT_ID = "accountId"
WORKERS = "workers"
REPOSITORY = "repository"
GITHUB_ENVIRONMENT = "githubEnvironment"
CORS_ORIGINS = "corsOrigins"
WORKER_SECRETS = "workerSecrets"  # Worker name -> the secret names it may hold
# The GitHub environments the stack creates and protects (production: every one of its
# repository's); a stack beside production creates none.
GITHUB_ENVIRONMENTS_OWNED = "githubEnvironmentsOwned"
ZONES = "zones"  # the zones deploy tokens may route Workers on
# The permission group ids deploy tokens carry, by name, as Cloudflare gave them.
DEPLOY_PERMISSION_GROUPS = "deployPermissionGroups"
# Every catalog name the stack delivers: none of them may be a repository-level secret.
DELIVERED = "delivered"


def boundaries(settings: Settings, owned_environments: list[str]) -> dict[str, object]:
    return {
        ENVIRONMENT: settings.environment.value,
        ACCOUNT_ID: settings.cloudflare.account_id,
        WORKERS: list(settings.cloudflare.workers),
        ZONES: list(settings.cloudflare.zones),
        WORKER_SECRETS: {
            w: list(settings.cloudflare.secrets_of(w)) for w in settings.cloudflare.workers
        },
        REPOSITORY: settings.github.repository,
        GITHUB_ENVIRONMENT: settings.github.environment,
        GITHUB_ENVIRONMENTS_OWNED: owned_environments,
        CORS_ORIGINS: list(settings.cors_origins),
        DELIVERED: [e.name for e in settings.catalog.delivered],
    }

"""What an environment may touch, as the Environment component registers it for the policy
pack: the pack sees resources, not stack config, so the component states its boundaries."""

from __future__ import annotations

from envkeeper.settings import Settings

ENVIRONMENT = "environment"
ACCOUNT_ID = "accountId"
WORKERS = "workers"
REPOSITORY = "repository"
GITHUB_ENVIRONMENT = "githubEnvironment"
CORS_ORIGINS = "corsOrigins"
WORKER_SECRETS = "workerSecrets"  # Worker name -> the secret names it may hold


def boundaries(settings: Settings) -> dict[str, object]:
    return {
        ENVIRONMENT: settings.environment.value,
        ACCOUNT_ID: settings.cloudflare.account_id,
        WORKERS: list(settings.cloudflare.workers),
        WORKER_SECRETS: {
            w: list(settings.cloudflare.secrets_of(w)) for w in settings.cloudflare.workers
        },
        REPOSITORY: settings.github.repository,
        GITHUB_ENVIRONMENT: settings.github.environment,
        CORS_ORIGINS: list(settings.cors_origins),
    }

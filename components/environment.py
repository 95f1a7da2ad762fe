"""The environment component: every secret of one stack, built from the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pulumi

from components import bridged
from components.cloudflare import DeployTokens, WorkerSecrets, WorkerSecretsArgs
from components.github import GithubEnvironment, GithubEnvironmentArgs
from components.login_sessions import OldSessionsEnded
from components.neon import NeonDatabase, NeonDatabaseArgs
from components.neon_restart import EndpointRestart
from components.vendors import minted_vendor_secrets
from envkeeper.infra import database as db
from envkeeper.infra import github as gh
from envkeeper.infra.policy_facts import DEPLOY_PERMISSION_GROUPS, boundaries
from envkeeper.stack import catalog, generated, versioned
from envkeeper.stack.catalog import ENVIRONMENT_TYPE, SLOTS, CatalogEntry
from envkeeper.stack.settings import Settings


@dataclass(frozen=True)
class EnvironmentArgs:
    settings: Settings
    # Values rolled at a vendor, by catalog name, each already a secret Output.
    external: dict[str, pulumi.Output[str]]
    # The owner URL of an adopted Neon project (secret config), else None.
    neon_owner_url: pulumi.Output[str] | None = None
    # The GitHub environments this stack creates and protects (envkeeper.infra.github).
    github_environments: dict[str, gh.Protection] = field(default_factory=dict)


def _random_secret(
    name: str, entry: CatalogEntry, rotated: date, opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    """`entry.length` random bytes, written in its encoding, re-made when `rotated` moves.
    A RandomPassword, not RandomBytes: the latter's id is its value, never encrypted."""
    assert entry.length and entry.encoding
    count, padding = generated.characters(entry.length, entry.encoding)
    alphabet = generated.ALPHABETS[entry.encoding]
    made = bridged.RandomPassword(
        name,
        bridged.RandomPasswordArgs(
            length=count,
            upper=alphabet.upper,
            lower=alphabet.lower,
            numeric=alphabet.numeric,
            special=True,
            override_special=alphabet.special,
            keepers={"rotated": rotated.isoformat()},
        ),
        opts=opts,
    )
    # `result` is a secret output of RandomPassword; pulumi.Output.secret keeps it so even
    # where an engine forgets additional_secret_outputs.
    return pulumi.Output.secret(made.result.apply(lambda value: value + padding))


def generated_secret(
    entry: CatalogEntry, settings: Settings, opts: pulumi.ResourceOptions
) -> pulumi.Output[str]:
    """The random value of a generated catalog entry, re-made when its keeper date moves. A
    two-slot one is one secret per slot, delivered as a versioned list (newest first)."""
    assert entry.resource
    if not entry.two_slots:
        return _random_secret(entry.resource, entry, settings.single_date(entry.name), opts)
    slots = settings.slots(entry.name)
    values = {
        slot: _random_secret(f"{entry.resource}-{slot}", entry, slots.date_of(slot), opts)
        for slot in SLOTS
    }
    joined = pulumi.Output.all(**values).apply(lambda v: versioned.join(slots, v))
    return pulumi.Output.secret(joined)


class Environment(pulumi.ComponentResource):
    """Owns the secrets of one environment and hands each to its destinations."""

    secrets: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: EnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(ENVIRONMENT_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings

        self.secrets = {
            entry.name: generated_secret(entry, settings, child)
            for entry in settings.catalog.generated
        }
        neon = NeonDatabase(
            "database",
            NeonDatabaseArgs(
                settings=settings.neon,
                runtime_slots=settings.slots("DATABASE_URL"),
                standby_grace_days=settings.standby_grace_days,
                migrator_rotated=settings.single_date("MIGRATION_DATABASE_URL"),
                readonly_rotated=settings.single_date("DATABASE_URL_READONLY"),
                owner_url=args.neon_owner_url,
                owner_rotated=None
                if settings.neon.adopted
                else settings.single_date(catalog.NEON_OWNER_PASSWORD),
            ),
            opts=child,
        )
        self.secrets.update(neon.urls)
        for entry in settings.catalog.external:
            self.secrets[entry.name] = pulumi.Output.secret(args.external[entry.name])

        # Minted at Resend and Stripe where the stack says so, else pasted in (above).
        self.secrets.update(minted_vendor_secrets(settings, child))

        tokens = DeployTokens("deploy-tokens", settings, opts=child)
        self.secrets["CLOUDFLARE_API_TOKEN"] = tokens.active_token
        github = GithubEnvironment(
            "github",
            GithubEnvironmentArgs(
                settings=settings, secrets=self.secrets, owned=args.github_environments
            ),
            opts=child,
        )
        # A new environment's Workers do not exist until CI deploys them with the token
        # above: GitHub gets its secrets first, so a first `up` that stops at a missing
        # Worker has already handed CI what it needs to deploy it.
        workers = WorkerSecrets(
            "worker-secrets",
            WorkerSecretsArgs(
                settings=settings, secrets=self.secrets, writers=tokens.writer_ids, after=[github]
            ),
            opts=child,
        )
        # Once every new URL is delivered, no session opened with an old password is left,
        # and no session has re-keyed a login behind envkeeper's back.
        ended = OldSessionsEnded(
            "database-sessions", neon.sessions, after=[github, workers, *neon.roles], opts=child
        )
        # Then, when asked (restartEndpoint moved; emergency moves it), the compute endpoint
        # restarts: the end of every session held through Neon's pooler.
        requested = settings.neon.restart_endpoint
        if requested is not None and neon.endpoint is not None:
            project_id, endpoint_id = neon.endpoint
            EndpointRestart(
                db.ENDPOINT_RESTART_RESOURCE,
                project_id=project_id,
                endpoint_id=endpoint_id,
                requested=requested.isoformat(),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[ended]),
            )

        # What the policy pack checks every resource of the stack against.
        self.register_outputs(
            {
                "secrets": self.secrets,
                **boundaries(settings, list(args.github_environments)),
                DEPLOY_PERMISSION_GROUPS: tokens.permission_group_ids,
            }
        )

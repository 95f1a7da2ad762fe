"""The Pulumi program the engine tests run: envkeeper's own Worker-secret component and
Environment boundaries, under the real engine.

The real program (`__main__.py`) also needs the random, postgresql, neon, cloudflare and
github provider plugins, which cannot be built on a machine without their Go modules. This
one keeps everything that needs no plugin — the settings read from the stack file, the
`WorkerSecrets` component with its dynamic provider, the boundaries the policy pack checks —
and takes the values the missing providers would make (database URLs, the auth secret) from
secret config under `engine-test:`.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.cloudflare import WorkerSecrets, WorkerSecretsArgs
from components.stack_config import read_stack_config
from components.vendors import minted_vendor_secrets
from components.worker_secret import WorkerSecret, WorkerSecretArgs
from envkeeper import catalog
from envkeeper.catalog import Source
from envkeeper.policy_facts import boundaries
from envkeeper.settings import Settings, parse_settings

STAND_INS = "engine-test"


def worker_secret_values(settings: Settings) -> dict[str, pulumi.Output[str]]:
    """Each Worker-bound secret, read as a secret: external ones where the real program
    reads them, generated ones from the stand-in namespace."""
    envkeeper_config, stand_ins = pulumi.Config("envkeeper"), pulumi.Config(STAND_INS)
    values = {}
    for name in settings.catalog.worker_secret_names():
        if settings.catalog[name].source in (Source.RESEND_KEY, Source.STRIPE_ENDPOINT):
            continue  # minted by the real providers below
        key = settings.catalog[name].config_key
        values[name] = (
            envkeeper_config.require_secret(key) if key else stand_ins.require_secret(name)
        )
    return values


class Environment(pulumi.ComponentResource):
    """The real Environment's type and policy outputs, with only its Worker secrets."""

    def __init__(self, name: str, settings: Settings) -> None:
        super().__init__(catalog.ENVIRONMENT_TYPE, name, None, None)
        secrets = worker_secret_values(settings)
        secrets.update(minted_vendor_secrets(settings, pulumi.ResourceOptions(parent=self)))
        WorkerSecrets(
            "worker-secrets",
            WorkerSecretsArgs(settings=settings, secrets=secrets),
            opts=pulumi.ResourceOptions(parent=self),
        )
        stray = pulumi.Config(STAND_INS).get("strayWorker")
        if stray:
            # A hand-written resource that puts a secret on a Worker outside this stack:
            # what the policy pack exists to stop.
            WorkerSecret(
                f"{stray}-STRIPE_SECRET_KEY",
                WorkerSecretArgs(
                    account_id=settings.cloudflare.account_id,
                    script_name=stray,
                    name="STRIPE_SECRET_KEY",
                    text=secrets["STRIPE_SECRET_KEY"],
                    environment=settings.environment.value,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"secrets": secrets, **boundaries(settings)})


stack = pulumi.get_stack()
config = read_stack_config(stack, Path(pulumi.get_root_directory()))
Environment(stack, parse_settings(config, stack))

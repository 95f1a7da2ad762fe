"""The Pulumi program: read and validate the stack's settings, build its environment."""

from __future__ import annotations

from pathlib import Path

import pulumi
from pulumi.runtime import config as runtime_config

from components.environment import Environment, EnvironmentArgs
from components.stack_config import read_stack_config
from envkeeper.config.clock import pinned_note
from envkeeper.doors.problems import Problem, UserError
from envkeeper.infra import cloudflare as cf
from envkeeper.infra import github as gh
from envkeeper.local import exports as local
from envkeeper.stack import catalog
from envkeeper.stack.isolation import load_checked_settings, stripe_key_problem
from envkeeper.stack.settings import Settings
from envkeeper.vendors.stripe import STRIPE


def stripe_key_problems(settings: Settings, stack: str, origin: str) -> list[Problem]:
    """A live-mode Stripe key in a stack outside production. Only the value tells the mode,
    so it is read here, before any resource is declared, checked by its prefix and dropped:
    never kept, logged or put in a message."""
    keys = [STRIPE.admin.key, catalog.BUILT_IN["STRIPE_SECRET_KEY"].full_config_key]
    problems = []
    for key in keys:
        if key not in settings.catalog.secure_config_keys():
            continue
        problem = stripe_key_problem(
            key, runtime_config.get_config(key) or "", settings.environment, stack
        )
        if problem:
            problems.append(Problem(origin, key, problem))
    return problems


def run() -> Environment:
    stack = pulumi.get_stack()
    root = Path(pulumi.get_root_directory())
    try:
        pinned = pinned_note()
        if pinned:
            # Shown in every preview and update, the deploy logs and PR comments included.
            pulumi.log.warn(pinned.removeprefix("note: "))
        config = read_stack_config(stack, root)
        # The same checks `validate` makes, so a manual `pulumi up` cannot skip them: the
        # other stacks' files sit beside the program.
        checked = load_checked_settings(
            config,
            stack,
            root,
            more_checks=[lambda settings: stripe_key_problems(settings, stack, config.origin)],
        )
    except UserError as exc:
        # RunError is shown without a traceback: the lines already name file, key and fix.
        raise pulumi.RunError(str(exc)) from None
    settings, siblings = checked.settings, checked.siblings

    envkeeper_config = pulumi.Config("envkeeper")
    external = {
        entry.name: envkeeper_config.require_secret(entry.config_key)
        for entry in settings.catalog.external
        if entry.config_key
    }
    owner_url = (
        envkeeper_config.require_secret(catalog.NEON_OWNER_URL.key.split(":", 1)[1])
        if settings.neon.adopted
        else None
    )
    env = Environment(
        stack,
        EnvironmentArgs(
            settings=settings,
            external=external,
            neon_owner_url=owner_url,
            github_environments=gh.owned_environments(stack, settings, siblings),
        ),
    )

    pulumi.export("environment", settings.environment.value)
    pulumi.export("secretNames", sorted(env.secrets))
    # Plain Worker variables ride with code deploys: this is the app's wrangler `vars` block.
    pulumi.export(cf.WRANGLER_VARS_OUTPUT, cf.worker_vars(settings))
    if settings.local_development:
        export_local_values(settings, env.secrets)
    return env


def export_local_values(settings: Settings, secrets: dict[str, pulumi.Output[str]]) -> None:
    """What a local Worker needs, as one secret output: whoever can read the stack reads it
    back with their own Pulumi CLI (`envkeeper dev-vars`). Only Worker-bound values."""
    values = {name: secrets[name] for name in local.exported_names(settings)}
    made = pulumi.Output.all(**values).apply(lambda v: local.payload(settings, v))
    pulumi.export(local.OUTPUT, pulumi.Output.secret(made))

"""Reading one stack's `envkeeper:` config: `parse_settings`, which the Pulumi program
(config from the engine) and the command line (config from `Pulumi.<stack>.yaml`) both
call, so both give the same errors.

The model and its rules live beside it, one idea a module; their names stay importable
from here.
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from envkeeper.config.clock import utc_today
from envkeeper.config.dates import RotationDate, SlotDates, iso_date
from envkeeper.config.environments import Environment, environment_mismatch
from envkeeper.config.stackfile import NAMESPACE, StackConfig
from envkeeper.config.url_rules import origin_problem, webhook_url_problem
from envkeeper.config.validation_messages import error_lines
from envkeeper.doors.problems import Problem, UserError
from envkeeper.stack import catalog
from envkeeper.stack.catalog import Catalog
from envkeeper.stack.declared import KEY as DECLARED_KEY
from envkeeper.stack.declared import config_key as declared_config_key
from envkeeper.stack.declared import project_catalog
from envkeeper.stack.stack_catalog import (
    plaintext_secret_problems,
    secret_shaped_values,
    stack_catalog,
    vendor_block_removed,
)
from envkeeper.stack.stack_settings import Settings
from envkeeper.stack.vendor_settings import (
    CloudflareSettings,
    GithubSettings,
    NeonSettings,
    Reviewers,
)
from envkeeper.vendors import by_admin_key
from envkeeper.vendors.resend import ResendSettings
from envkeeper.vendors.stripe import StripeSettings, StripeWebhook

__all__ = [
    "GITHUB_OWNER",
    "CloudflareSettings",
    "Environment",
    "GithubSettings",
    "NeonSettings",
    "ResendSettings",
    "Reviewers",
    "RotationDate",
    "Settings",
    "SlotDates",
    "StripeSettings",
    "StripeWebhook",
    "declared_clashes",
    "iso_date",
    "missing_secrets",
    "origin_problem",
    "parse_settings",
    "plaintext_secret_problems",
    "stack_catalog",
    "vendor_block_removed",
    "webhook_url_problem",
]

GITHUB_OWNER = "github:owner"


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
    # Any key that ever holds a secret must not be written in clear, whatever the mode; nor
    # may any value look like one. A leak comes first: the setting's own rules would only
    # say what it should have held.
    problems = plaintext_secret_problems(config, stack, project)
    shaped = secret_shaped_values(config, project)
    if shaped:
        raise UserError([*problems, *shaped])
    everywhere_secret = [k for k in project.secure_config_keys() if k.startswith(f"{NAMESPACE}:")]
    project = stack_catalog(project, raw)
    # Secure values under `envkeeper:` are secrets this stack uses, or strays.
    used = set(project.secure_config_keys())
    stray_secure = sorted(
        k for k in config.secure if k.startswith(f"{NAMESPACE}:") and k not in used
    )
    settings_keys = {k for k, what in _taken_config_keys().items() if what == _A_SETTING}
    for key in stray_secure:
        vendor = by_admin_key(key)
        if vendor:
            fix = vendor_block_removed(vendor.key, key, stack)
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
    mismatch = environment_mismatch(raw.get("environment"), stack)
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
            raw,
            context={
                "today": today or utc_today(),
                "catalog": project,
                "stack": stack,
                "owner": config.values.get(GITHUB_OWNER) or "",
            },
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


def missing_secrets(config: StackConfig, settings: Settings) -> list[str]:
    """Secret keys that are not set yet: the plan runs without them, `pulumi up` cannot."""
    # The stack's catalog holds exactly the secret config its `pulumi up` needs.
    return [key for key in settings.catalog.secure_config_keys() if key not in config.secure]

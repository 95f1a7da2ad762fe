"""What the GitHub environments a stack writes into may hold, and what else is there.

GitHub cannot scope a token to one environment: a `github:token` that may write dev's
environment secrets may write production's too. So a lower stack's token (or anyone who
holds one) can add a variable such as `PULUMI_ORG` to production's environment, where it
overrides the repository's variable in production's deploy job. No resource owns it and a
refreshed preview never sees it. `envkeeper orphans` (the drift check, after every deploy)
lists every variable and secret there that envkeeper does not put there, by name: GitHub
never returns a secret's value, and a variable's is never read.

Pure: the GitHub calls are in components/github_listing.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from envkeeper.config import ci
from envkeeper.infra.github import secret_names, variables
from envkeeper.stack.settings import Environment, Settings

SECRET, VARIABLE = "secret", "variable"


@dataclass(frozen=True)
class Allowed:
    """What envkeeper puts in one environment, by name."""

    secrets: frozenset[str]
    variables: frozenset[str]


@dataclass(frozen=True)
class Unmanaged:
    """A variable or secret in an environment envkeeper writes into that it did not put
    there: its environment, which kind and its name, never its value."""

    environment: str
    kind: str  # SECRET or VARIABLE
    name: str


# What a person puts in the rotation workflow's environment (docs/github.md: the GitHub App that
# opens the rotation pull request); production's check allows exactly that there.
ROTATION_SECRETS = frozenset({"ROTATION_APP_PRIVATE_KEY"})
ROTATION_VARIABLES = frozenset({"ROTATION_APP_CLIENT_ID"})


def checked_environments(stack: str, settings: Settings) -> dict[str, Allowed]:
    """The environments this stack's check covers: the one it deploys to (exactly what the
    catalog delivers there) and its drift environment, which holds nothing (the deploy's
    plan job and the drift check run there on OIDC alone). Production, which creates the
    workflows' environments, also checks `preview` (nothing: a pull request's preview runs
    there) and `rotation` (the rotation app's key and client id only)."""
    checked = {
        settings.github.environment: Allowed(
            frozenset(secret_names(settings)), frozenset(variables(settings))
        ),
        ci.drift_environment(stack): Allowed(frozenset(), frozenset()),
    }
    if settings.environment is Environment.PRODUCTION:
        checked[ci.PREVIEW] = Allowed(frozenset(), frozenset())
        checked[ci.ROTATION] = Allowed(ROTATION_SECRETS, ROTATION_VARIABLES)
    return checked


def unmanaged(
    allowed: dict[str, Allowed], listed: dict[str, tuple[list[str], list[str]]]
) -> list[Unmanaged]:
    """Every listed name (environment -> (secrets, variables)) that its environment does
    not allow. GitHub stores these names in capitals and compares them without case."""
    found = []
    for environment, (secrets, names) in listed.items():
        rule = allowed[environment]
        for kind, present, permitted in (
            (SECRET, secrets, rule.secrets),
            (VARIABLE, names, rule.variables),
        ):
            upper = {p.upper() for p in permitted}
            found += [
                Unmanaged(environment, kind, n) for n in sorted(present) if n.upper() not in upper
            ]
    return found

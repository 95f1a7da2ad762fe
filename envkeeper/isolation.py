"""Environment isolation across stack files: no Worker, database or GitHub environment is
shared between two stacks, so a value of one environment can never land in another."""

from __future__ import annotations

from pathlib import Path

from envkeeper.problems import Problem, UserError
from envkeeper.settings import Settings, parse_settings
from envkeeper.stackfile import load_config, stack_names


def _claims(settings: Settings) -> dict[str, set[str]]:
    cf, gh, neon = settings.cloudflare, settings.github, settings.neon
    return {
        "envkeeper:cloudflare.workers": {f"{cf.account_id}/{w}" for w in cf.workers},
        # A deploy token can only be scoped to a whole account: a shared account would let
        # one environment's CI overwrite another's Workers.
        "envkeeper:cloudflare.accountId": {cf.account_id},
        "envkeeper:neon.projectName": {neon.project_name},
        # Two stacks adopting one project would share its database and roles.
        "envkeeper:neon.existingProjectId": (
            {neon.existing_project_id} if neon.existing_project_id else set()
        ),
        "envkeeper:github.environment": {f"{gh.repository}/{gh.environment}"},
    }


WHY = {
    "envkeeper:cloudflare.accountId": " (deploy tokens reach every Worker of an account)",
}


def sibling_settings(project_dir: Path, stack: str) -> dict[str, Settings]:
    """The other stacks' settings; a broken sibling is its own `validate`'s business."""
    found: dict[str, Settings] = {}
    for other in stack_names(project_dir):
        if other == stack:
            continue
        try:
            found[other] = parse_settings(load_config(project_dir, other), other)
        except UserError:
            continue
    return found


def isolation_problems(
    origin: str, settings: Settings, others: dict[str, Settings]
) -> list[Problem]:
    problems = []
    mine = _claims(settings)
    for other, other_settings in others.items():
        theirs = _claims(other_settings)
        for key, claimed in mine.items():
            shared = sorted(claimed & theirs[key])
            if shared:
                names = ", ".join(s.rsplit("/", 1)[-1] for s in shared)
                problems.append(
                    Problem(
                        origin,
                        key,
                        f"{names} also belongs to stack {other}; give each environment its own"
                        + WHY.get(key, ""),
                    )
                )
    return problems

"""GitHub, as data: how each environment is protected, and what lands in it."""

from __future__ import annotations

from dataclasses import dataclass

from envkeeper import ci
from envkeeper.catalog import Destination
from envkeeper.settings import Environment, Settings

MAIN = "main"

# The environments of the repository's own workflows (envkeeper/ci.py).
PREVIEW, ROTATION = ci.PREVIEW, ci.ROTATION
drift_environment = ci.drift_environment


@dataclass(frozen=True)
class Protection:
    """The deployment rules of one GitHub environment."""

    reviewer_teams: tuple[str, ...] = ()
    reviewer_users: tuple[str, ...] = ()
    prevent_self_review: bool = False
    admins_can_bypass: bool = True
    protected_branches_only: bool = False
    branch_patterns: tuple[str, ...] = ()  # custom branch policy; empty: any branch

    @property
    def summary(self) -> str:
        if self.protected_branches_only:
            branches = "protected branches only"
        elif self.branch_patterns:
            branches = "branches " + ", ".join(self.branch_patterns)
        else:
            branches = "any branch"
        who = [f"team {t}" for t in self.reviewer_teams] + [f"@{u}" for u in self.reviewer_users]
        reviewers = ("approval by " + ", ".join(who)) if who else "no approval"
        return f"{reviewers}; {branches}"


def protection(settings: Settings) -> Protection:
    """Production: reviewed, no self-review, no admin bypass, from `main` only. Staging and
    dev: from `main` only, so no other branch (a pull request's job that names the
    environment) can reach their secrets or their OIDC subject."""
    if settings.environment is Environment.PRODUCTION:
        reviewers = settings.github.reviewers
        return Protection(
            reviewer_teams=tuple(reviewers.teams),
            reviewer_users=tuple(reviewers.users),
            prevent_self_review=True,
            admins_can_bypass=False,
            # A policy naming main, not "protected branches": that would trust branch
            # protection rules this program does not manage.
            branch_patterns=(MAIN,),
        )
    return Protection(branch_patterns=(MAIN,))


def secret_resource(name: str) -> str:
    """The Pulumi name of an environment secret (also its name in GitHub)."""
    return name


def secret_names(settings: Settings) -> list[str]:
    """The environment secrets this stack puts in its GitHub environment."""
    return settings.catalog.delivered_to(Destination.GITHUB_SECRET)


def variables(settings: Settings) -> dict[str, str]:
    """The environment's non-secret values, as GitHub environment variables."""
    known = {"CLOUDFLARE_ACCOUNT_ID": settings.cloudflare.account_id}
    return {
        e.name: known[e.name]
        for e in settings.catalog
        if Destination.GITHUB_VARIABLE in e.destinations
    }

"""GitHub, as data: how each environment is protected, and what lands in it."""

from __future__ import annotations

from dataclasses import dataclass

from envkeeper.config import ci
from envkeeper.stack.catalog import Destination
from envkeeper.stack.settings import Environment, Settings

MAIN = "main"

# The environments of the repository's own workflows (envkeeper/config/ci.py).
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


def _ci_protection(settings: Settings, stacks: list[str]) -> dict[str, Protection]:
    """The environments of the repository's own workflows, as production protects them.

    `preview` runs a pull request's code with a token that decrypts dev and staging: the
    production reviewers approve each run, never its author, admins included; any branch
    may ask (the pull request's). The drift check reads a stack's secrets and the rotation
    holds the app's key: main only.
    """
    reviewers = settings.github.reviewers
    main_only = Protection(admins_can_bypass=False, branch_patterns=(MAIN,))
    return {
        ci.PREVIEW: Protection(
            reviewer_teams=tuple(reviewers.teams),
            reviewer_users=tuple(reviewers.users),
            prevent_self_review=True,
            admins_can_bypass=False,
        ),
        ci.ROTATION: main_only,
    } | {ci.drift_environment(stack): main_only for stack in stacks}


def owns_environments(settings: Settings, siblings: dict[str, Settings]) -> bool:
    """Whether this stack creates and protects GitHub environments, which takes repository
    Administration. GitHub cannot scope that to one environment: a token that may protect
    dev's environment may also drop production's reviewers. So the production stack owns
    every environment of its repository, and a stack beside it only writes its secrets and
    variables into the environment production made (no Administration needed)."""
    if settings.environment is Environment.PRODUCTION:
        return True
    return not any(
        other.environment is Environment.PRODUCTION
        and other.github.repository == settings.github.repository
        for other in siblings.values()
    )


def owned_environments(
    stack: str, settings: Settings, siblings: dict[str, Settings]
) -> dict[str, Protection]:
    """Every GitHub environment this stack creates, by name, with its rules: its own first,
    then (for production) each other stack's of the same repository and the workflows'
    (a drift environment per stack file: `stack` and the siblings')."""
    if not owns_environments(settings, siblings):
        return {}
    owned = {settings.github.environment: protection(settings)}
    if settings.environment is Environment.PRODUCTION:
        repository = settings.github.repository
        for other in sorted(siblings.values(), key=lambda s: s.github.environment):
            if other.github.repository == repository:
                owned.setdefault(other.github.environment, protection(other))
        owned.update(_ci_protection(settings, sorted({stack, *siblings})))
    return owned


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

"""GitHub: one protected environment per stack, with its secrets and variables."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components import bridged
from envkeeper.infra import github as gh
from envkeeper.infra import resource_types
from envkeeper.stack.settings import Settings

TYPE = resource_types.GITHUB_ENVIRONMENT_COMPONENT


@dataclass(frozen=True)
class GithubEnvironmentArgs:
    settings: Settings
    secrets: dict[str, pulumi.Output[str]]  # catalog name -> secret Output
    # The environments this stack creates and protects (gh.owned_environments): none for a
    # stack beside production, whose environment production makes.
    owned: dict[str, gh.Protection] = field(default_factory=dict)


def _reviewers(protection: gh.Protection, opts: pulumi.InvokeOutputOptions) -> list:
    if not (protection.reviewer_teams or protection.reviewer_users):
        return []
    # GitHub wants numeric ids; the stack file names teams and people.
    teams = [
        bridged.get_team(slug=slug, summary_only=True, opts=opts).apply(lambda t: int(t["id"]))
        for slug in protection.reviewer_teams
    ]
    users = [
        bridged.get_user(username=name, opts=opts).apply(lambda u: int(u["id"]))
        for name in protection.reviewer_users
    ]
    return [bridged.RepositoryEnvironmentReviewerArgs(teams=teams, users=users)]


def environment_resource(settings: Settings, name: str) -> str:
    """The Pulumi name of a GitHub environment this stack protects: its own is
    `environment`, another's `environment-<name>`."""
    return "environment" if name == settings.github.environment else f"environment-{name}"


class GithubEnvironment(pulumi.ComponentResource):
    """The stack's GitHub environment: its deployment rules, secrets and variables.

    Every secret and variable names this environment only, so a value of one
    environment never lands in another. The environments themselves, and their rules, are
    made by the stack that owns them (production, for every environment of its repository).
    """

    def __init__(
        self, name: str, args: GithubEnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        settings = args.settings
        repository = settings.github.repository
        made: dict[str, bridged.RepositoryEnvironment] = {}
        for environment_name, protection in args.owned.items():
            made[environment_name] = self._environment(settings, environment_name, protection)
        mine = made.get(settings.github.environment)
        in_environment = pulumi.ResourceOptions(
            parent=self, depends_on=[mine] if mine is not None else []
        )
        for secret in gh.secret_names(settings):
            bridged.ActionsEnvironmentSecret(
                gh.secret_resource(secret),
                bridged.ActionsEnvironmentSecretArgs(
                    repository=repository,
                    environment=settings.github.environment,
                    secret_name=secret,
                    value=pulumi.Output.secret(args.secrets[secret]),
                ),
                opts=in_environment,
            )
        for variable, value in gh.variables(settings).items():
            bridged.ActionsEnvironmentVariable(
                variable,
                bridged.ActionsEnvironmentVariableArgs(
                    repository=repository,
                    environment=settings.github.environment,
                    variable_name=variable,
                    value=value,
                ),
                opts=in_environment,
            )
        self.register_outputs({"environment": settings.github.environment})

    def _environment(
        self, settings: Settings, name: str, protection: gh.Protection
    ) -> bridged.RepositoryEnvironment:
        repository = settings.github.repository
        resource = environment_resource(settings, name)
        branch_policy = None
        if protection.protected_branches_only or protection.branch_patterns:
            branch_policy = bridged.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                protected_branches=protection.protected_branches_only,
                custom_branch_policies=bool(protection.branch_patterns),
            )
        environment = bridged.RepositoryEnvironment(
            resource,
            bridged.RepositoryEnvironmentArgs(
                repository=repository,
                environment=name,
                reviewers=_reviewers(protection, pulumi.InvokeOutputOptions(parent=self)),
                prevent_self_review=protection.prevent_self_review,
                can_admins_bypass=protection.admins_can_bypass,
                deployment_branch_policy=branch_policy,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Plain names (not the environment's output) with a dependency: the policy pack
        # checks them on a first preview too, before the environment exists.
        # Its own keeps the name it always had (`branch-main`), so no deployed stack sees
        # its policy replaced.
        prefix = "branch" if resource == "environment" else f"branch-{name}"
        for pattern in protection.branch_patterns:
            bridged.RepositoryEnvironmentDeploymentPolicy(
                f"{prefix}-{pattern}",
                bridged.RepositoryEnvironmentDeploymentPolicyArgs(
                    repository=repository,
                    environment=name,
                    branch_pattern=pattern,
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[environment]),
            )
        return environment

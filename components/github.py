"""GitHub: one protected environment per stack, with its secrets and variables."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_github as github

from envkeeper import github as gh
from envkeeper.settings import Settings

TYPE = "envkeeper:github:Environment"


@dataclass(frozen=True)
class GithubEnvironmentArgs:
    settings: Settings
    secrets: dict[str, pulumi.Output[str]]  # catalog name -> secret Output


def _reviewers(protection: gh.Protection, opts: pulumi.InvokeOutputOptions) -> list:
    if not (protection.reviewer_teams or protection.reviewer_users):
        return []
    # GitHub wants numeric ids; the stack file names teams and people.
    teams = [
        github.get_team_output(slug=slug, summary_only=True, opts=opts).id.apply(int)
        for slug in protection.reviewer_teams
    ]
    users = [
        github.get_user_output(username=name, opts=opts).id.apply(int)
        for name in protection.reviewer_users
    ]
    return [github.RepositoryEnvironmentReviewerArgs(teams=teams, users=users)]


class GithubEnvironment(pulumi.ComponentResource):
    """The stack's GitHub environment: its deployment rules, secrets and variables.

    Every secret and variable names this environment only, so a value of one
    environment never lands in another.
    """

    def __init__(
        self, name: str, args: GithubEnvironmentArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TYPE, name, None, opts)
        settings = args.settings
        repository = settings.github.repository
        protection = gh.protection(settings)
        child = pulumi.ResourceOptions(parent=self)

        branch_policy = None
        if protection.protected_branches_only or protection.branch_patterns:
            branch_policy = github.RepositoryEnvironmentDeploymentBranchPolicyArgs(
                protected_branches=protection.protected_branches_only,
                custom_branch_policies=bool(protection.branch_patterns),
            )
        environment = github.RepositoryEnvironment(
            "environment",
            github.RepositoryEnvironmentArgs(
                repository=repository,
                environment=settings.github.environment,
                reviewers=_reviewers(protection, pulumi.InvokeOutputOptions(parent=self)),
                prevent_self_review=protection.prevent_self_review,
                can_admins_bypass=protection.admins_can_bypass,
                deployment_branch_policy=branch_policy,
            ),
            opts=child,
        )
        in_environment = pulumi.ResourceOptions(parent=self, depends_on=[environment])
        for pattern in protection.branch_patterns:
            github.RepositoryEnvironmentDeploymentPolicy(
                f"branch-{pattern}",
                github.RepositoryEnvironmentDeploymentPolicyArgs(
                    repository=repository,
                    environment=environment.environment,
                    branch_pattern=pattern,
                ),
                opts=in_environment,
            )
        for secret in gh.secret_names(settings):
            github.ActionsEnvironmentSecret(
                gh.secret_resource(secret),
                github.ActionsEnvironmentSecretArgs(
                    repository=repository,
                    environment=environment.environment,
                    secret_name=secret,
                    value=pulumi.Output.secret(args.secrets[secret]),
                ),
                opts=in_environment,
            )
        for variable, value in gh.variables(settings).items():
            github.ActionsEnvironmentVariable(
                variable,
                github.ActionsEnvironmentVariableArgs(
                    repository=repository,
                    environment=environment.environment,
                    variable_name=variable,
                    value=value,
                ),
                opts=in_environment,
            )
        self.register_outputs({"environment": environment.environment})

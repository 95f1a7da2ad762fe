"""GitHub on the mocks: protected environments, and secrets that stay in their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envkeeper.infra import github as gh
from envkeeper.offline.program import FakeProviders, ProgramError, ProgramRun, is_secret, unwrap_all
from tests import programs
from tests.conftest import PROJECT, STACKS
from tests.programs import environment_secrets, load, plan_json

ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"


# What GitHub would answer for the teams and people the stack files name.
DIRECTORY = {"platform": 4242001, "security": 4242002, "ana": 1001, "ben": 1002}


def github_id(name: str) -> int:
    return DIRECTORY[name]


def run(stack: str, project_dir: Path = PROJECT) -> ProgramRun:
    providers = FakeProviders("generated-", stack, github_ids=DIRECTORY)
    return programs.run(stack, project_dir, providers=providers)


def environment(result: ProgramRun, name: str) -> Any:
    (env,) = [r for r in result.by_type(ENVIRONMENT) if r.inputs["environment"] == name]
    return env


def branch_patterns(result: ProgramRun, name: str) -> list[str]:
    return [
        p.inputs["branchPattern"] for p in result.by_type(POLICY) if p.inputs["environment"] == name
    ]


def test_production_needs_a_reviewer_no_self_review_no_bypass_main_only() -> None:
    _, settings = load("prod")
    result = run("prod")
    env = environment(result, "production")
    assert env.name == "environment"  # the name it always had: no replacement of a deployed one
    assert env.inputs["repository"] == settings.github.repository
    assert env.inputs["reviewers"] == [
        {"teams": [github_id(t) for t in settings.github.reviewers.teams], "users": []}
    ]
    assert env.inputs["preventSelfReview"] is True
    assert env.inputs["canAdminsBypass"] is False
    # A policy naming main: "protected branches" would trust rules nobody here manages.
    assert env.inputs["deploymentBranchPolicy"] == {
        "protectedBranches": False,
        "customBranchPolicies": True,
    }
    assert branch_patterns(result, "production") == ["main"]


def test_production_owns_every_environment_of_its_repository() -> None:
    # Creating or protecting an environment takes repository Administration, which GitHub
    # cannot limit to one environment: only production's credential holds it.
    result = run("prod")
    assert sorted(r.inputs["environment"] for r in result.by_type(ENVIRONMENT)) == sorted(
        [
            "production",
            "dev",
            "staging",
            gh.PREVIEW,
            gh.ROTATION,
            *(gh.drift_environment(s) for s in STACKS),
        ]
    )
    assert {r.inputs["repository"] for r in result.by_type(ENVIRONMENT)} == {"example-app"}


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_a_stack_beside_production_only_writes_its_secrets_and_variables(stack: str) -> None:
    # Its github:token needs no Administration, so it cannot change production's rules.
    result = run(stack)
    assert result.by_type(ENVIRONMENT) == [] and result.by_type(POLICY) == []
    github = [r for r in result.registrations if r.type.startswith("github:")]
    assert {r.type for r in github} == {SECRET, VARIABLE}


@pytest.mark.parametrize(("stack", "name"), [("staging", "staging"), ("dev", "dev")])
def test_staging_and_dev_deploy_from_main_only(stack: str, name: str) -> None:
    # A pull request's job that names the environment gets neither its secrets nor its
    # OIDC subject: only main may run in it. Production's stack makes it so.
    result = run("prod")
    env = environment(result, name)
    assert env.name == f"environment-{name}"
    assert env.inputs["deploymentBranchPolicy"] == {
        "protectedBranches": False,
        "customBranchPolicies": True,
    }
    assert branch_patterns(result, name) == ["main"]
    assert env.inputs.get("reviewers", []) == []


def test_dev_needs_no_approval() -> None:
    env = environment(run("prod"), "dev")
    assert env.inputs.get("reviewers", []) == []
    assert env.inputs["preventSelfReview"] is False


def test_previews_wait_for_a_production_reviewer_who_is_not_their_author() -> None:
    _, settings = load("prod")
    result = run("prod")
    env = environment(result, gh.PREVIEW)
    assert env.inputs["reviewers"] == [
        {"teams": [github_id(t) for t in settings.github.reviewers.teams], "users": []}
    ]
    assert env.inputs["preventSelfReview"] is True
    assert env.inputs["canAdminsBypass"] is False
    # Any branch may ask (a pull request's head): the reviewers are the gate.
    assert env.inputs.get("deploymentBranchPolicy") is None
    assert branch_patterns(result, gh.PREVIEW) == []


@pytest.mark.parametrize("name", [gh.ROTATION, *(gh.drift_environment(s) for s in STACKS)])
def test_the_drift_check_and_the_rotation_run_from_main_only(name: str) -> None:
    # drift-prod's subject gets a token that decrypts production.
    result = run("prod")
    env = environment(result, name)
    assert env.inputs["canAdminsBypass"] is False
    assert env.inputs["deploymentBranchPolicy"]["customBranchPolicies"] is True
    assert branch_patterns(result, name) == ["main"]


def test_a_stack_without_production_beside_it_owns_its_environment(project: Path) -> None:
    (project / "Pulumi.prod.yaml").unlink()
    result = run("dev", project)
    assert [r.inputs["environment"] for r in result.by_type(ENVIRONMENT)] == ["dev"]
    assert branch_patterns(result, "dev") == ["main"]


def test_production_refuses_to_run_beside_a_stack_file_it_cannot_read(
    cli: Any, project: Path
) -> None:
    # It would delete that stack's environment, and its secrets with it.
    path = project / "Pulumi.staging.yaml"
    path.write_text(path.read_text().replace("environment: staging", "environment: stage"))
    result = cli("validate", "prod")
    assert result.exit_code == 2
    # Staging's own line, as `validate staging` gives it: the file, the key and the fix.
    assert "Pulumi.staging.yaml: envkeeper:environment:" in result.stderr
    with pytest.raises(ProgramError) as excinfo:
        run("prod", project)
    assert "Pulumi.staging.yaml: envkeeper:environment:" in str(excinfo.value)


@pytest.mark.parametrize("stack", STACKS)
def test_environment_secrets_and_variables_land_in_their_own_environment(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    values = environment_secrets(result, stack)
    secrets = {r.inputs["secretName"]: r for r in result.by_type(SECRET)}
    assert set(secrets) == {"CLOUDFLARE_API_TOKEN", "MIGRATION_DATABASE_URL"}
    for name, reg in secrets.items():
        assert reg.inputs["environment"] == settings.github.environment
        assert reg.inputs["repository"] == settings.github.repository
        assert unwrap_all(reg.inputs["value"]) == values[name]
        # Pins the SDK behaviour envkeeper relies on: pulumi-github marks `value` secret
        # itself, so the state keeps the copy it stores encrypted. (Whether envkeeper hands
        # over secret values is checked per value in test_program.py.)
        assert is_secret(reg.inputs["value"]), name
        assert "value" in reg.additional_secret_outputs
    variables = {r.inputs["variableName"]: r for r in result.by_type(VARIABLE)}
    assert {k: v.inputs["value"] for k, v in variables.items()} == {
        "CLOUDFLARE_ACCOUNT_ID": settings.cloudflare.account_id
    }
    assert all(v.inputs["environment"] == settings.github.environment for v in variables.values())


def test_no_value_of_one_environment_lands_in_another() -> None:
    runs = {stack: run(stack) for stack in STACKS}
    landed: dict[str, set[str]] = {
        stack: {unwrap_all(r.inputs["value"]) for r in result.by_type(SECRET)}
        for stack, result in runs.items()
    }
    for stack in STACKS:
        others = set().union(*(landed[o] for o in STACKS if o != stack))
        assert not landed[stack] & others
        mine = set(environment_secrets(runs[stack], stack).values())
        assert landed[stack] <= mine


def test_prod_plan_shows_its_environment_rules_secrets_and_variables(cli: Any) -> None:
    resources = plan_json(cli, "prod")["resources"]
    (env,) = [
        r
        for r in resources
        if r["type"] == ENVIRONMENT and r["inputs"]["environment"] == "production"
    ]
    assert env["inputs"]["environment"] == "production"
    assert env["inputs"]["reviewers"][0]["teams"]
    assert env["inputs"]["deploymentBranchPolicy"]["customBranchPolicies"] is True
    secrets = {r["inputs"]["secretName"]: r for r in resources if r["type"] == SECRET}
    assert set(secrets) == {"CLOUDFLARE_API_TOKEN", "MIGRATION_DATABASE_URL"}
    assert all(s["inputs"]["value"] == "[secret]" for s in secrets.values())
    assert {r["inputs"]["variableName"] for r in resources if r["type"] == VARIABLE} == {
        "CLOUDFLARE_ACCOUNT_ID"
    }


def test_dev_plan_lists_only_devs_environment(cli: Any) -> None:
    resources = plan_json(cli, "dev")["resources"]
    github = [r for r in resources if r["type"].startswith("github:")]
    assert {r["inputs"]["environment"] for r in github} == {"dev"}


@pytest.mark.parametrize("stack", STACKS)
def test_github_gets_its_secrets_before_any_worker_secret_is_put(stack: str) -> None:
    result = run(stack)
    github = {r.urn for r in result.by_type(SECRET)} | {r.urn for r in result.by_type(VARIABLE)}
    assert github
    worker_secrets = result.by_type("pulumi-python:dynamic/envkeeper:WorkerSecret")
    assert worker_secrets
    for secret in worker_secrets:
        assert github <= set(secret.dependencies), secret.name

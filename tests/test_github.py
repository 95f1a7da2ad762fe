"""GitHub on the mocks: protected environments, and secrets that stay in their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envkeeper.offline import FakeProviders, ProgramRun, is_secret, unwrap_all
from tests import programs
from tests.conftest import ROOT, STACKS
from tests.programs import environment_secrets, load, plan_json

ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment"
POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
VARIABLE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"


# What GitHub would answer for the teams and people the stack files name.
DIRECTORY = {"platform": 4242001, "security": 4242002, "ana": 1001, "ben": 1002}


def github_id(name: str) -> int:
    return DIRECTORY[name]


def run(stack: str, project_dir: Path = ROOT) -> ProgramRun:
    providers = FakeProviders("generated-", stack, github_ids=DIRECTORY)
    return programs.run(stack, project_dir, providers=providers)


def test_production_needs_a_reviewer_no_self_review_no_bypass_main_only() -> None:
    _, settings = load("prod")
    result = run("prod")
    (env,) = result.by_type(ENVIRONMENT)
    assert env.inputs["environment"] == "production"
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
    (policy,) = result.by_type(POLICY)
    assert (policy.inputs["branchPattern"], policy.inputs["environment"]) == ("main", "production")


@pytest.mark.parametrize(("stack", "environment"), [("staging", "staging"), ("dev", "dev")])
def test_staging_and_dev_deploy_from_main_only(stack: str, environment: str) -> None:
    # A pull request's job that names the environment gets neither its secrets nor its
    # OIDC subject: only main may run in it.
    result = run(stack)
    (env,) = result.by_type(ENVIRONMENT)
    assert env.inputs["deploymentBranchPolicy"] == {
        "protectedBranches": False,
        "customBranchPolicies": True,
    }
    (policy,) = result.by_type(POLICY)
    assert policy.inputs["branchPattern"] == "main"
    assert policy.inputs["environment"] == environment
    assert "reviewers" not in env.inputs or env.inputs["reviewers"] == []


def test_dev_needs_no_approval() -> None:
    (env,) = run("dev").by_type(ENVIRONMENT)
    assert env.inputs.get("reviewers", []) == []
    assert env.inputs["preventSelfReview"] is False


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
    (env,) = [r for r in resources if r["type"] == ENVIRONMENT]
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

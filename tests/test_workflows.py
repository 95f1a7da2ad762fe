"""This repository's own CI/CD: linted, audited, and never handing production to a PR."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from envkeeper import github as gh
from tests.conftest import ROOT, tool
from tests.programs import load

WORKFLOWS = ROOT / ".github" / "workflows"
PR_TRIGGERS = {"pull_request", "pull_request_target"}


def workflow(path: Path) -> dict[str, Any]:
    from envkeeper.stackfile import round_trip_yaml

    return round_trip_yaml().load(path.read_text())


def all_workflows() -> dict[str, dict[str, Any]]:
    return {path.name: workflow(path) for path in sorted(WORKFLOWS.glob("*.yml"))}


def triggers(flow: dict[str, Any]) -> set[str]:
    on = flow["on"]
    return {on} if isinstance(on, str) else set(on)


def environment_of(job: dict[str, Any]) -> str | None:
    env = job.get("environment")
    return env.get("name") if isinstance(env, dict) else env


def jobs_reached(flow: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """Every job a workflow runs, following calls of this repository's reusable workflows.

    Yields (job name, job, the `with:` inputs it was called with).
    """
    found = []
    for name, job in flow["jobs"].items():
        uses = job.get("uses", "")
        if uses.startswith(("./.github/workflows/", "$/.github/workflows/")):
            called = workflow(ROOT / uses.split("/", 1)[1])
            for inner, inner_job, _ in jobs_reached(called):
                found.append((f"{name}/{inner}", inner_job, dict(job.get("with", {}))))
        else:
            found.append((name, job, {}))
    return found


def resolved(text: str, inputs: dict[str, Any]) -> str:
    return re.sub(r"\$\{\{\s*inputs\.([\w-]+)\s*\}\}", lambda m: str(inputs.get(m[1], m[0])), text)


@pytest.mark.parametrize(
    "command",
    [
        ["actionlint"],
        ["zizmor", "--offline", "--no-progress", "--persona=auditor", ".github/workflows"],
    ],
    ids=["actionlint", "zizmor"],
)
def test_workflows_have_no_findings(command: list[str]) -> None:
    found = tool(command[0])
    result = subprocess.run([found, *command[1:]], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_pull_request_job_reaches_production() -> None:
    _, prod = load("prod")
    production = prod.github.environment
    prod_secrets = gh.secret_names(prod)
    checked = 0
    for name, flow in all_workflows().items():
        assert "pull_request_target" not in triggers(flow), name
        if not triggers(flow) & PR_TRIGGERS:
            continue
        for job_name, job, inputs in jobs_reached(flow):
            checked += 1
            text = resolved(str(job), inputs)
            env = resolved(str(environment_of(job)), inputs)
            assert env != production, f"{name}: {job_name} is bound to {production}"
            for secret in prod_secrets:
                assert f"secrets.{secret}" not in text, f"{name}: {job_name} reads {secret}"
            stacks = job.get("strategy", {}).get("matrix", {}).get("stack", [])
            assert "prod" not in stacks, f"{name}: {job_name} previews prod"
            assert "/prod" not in text, f"{name}: {job_name} names the prod stack"
    assert checked >= 2


def test_pull_requests_preview_dev_and_staging_with_a_comment() -> None:
    flow = workflow(WORKFLOWS / "pull-request.yml")
    preview = flow["jobs"]["preview"]
    assert preview["needs"] == "test"
    assert list(preview["strategy"]["matrix"]["stack"]) == ["dev", "staging"]
    pulumi = next(s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert preview["permissions"]["id-token"] == "write"


def test_every_action_is_pinned_to_a_full_commit() -> None:
    for name, flow in all_workflows().items():
        for job in flow["jobs"].values():
            for step in job.get("steps", []):
                uses = step.get("uses")
                if uses and not uses.startswith(("./", "$/")):
                    assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{name}: {uses}"


def test_every_job_asks_for_its_own_least_permissions() -> None:
    for name, flow in all_workflows().items():
        assert flow["permissions"] == {}, f"{name}: set `permissions: {{}}` at the top"
        for job_name, job in flow["jobs"].items():
            assert "permissions" in job, f"{name}: {job_name} has no permissions"
            granted = {k: v for k, v in job["permissions"].items() if v == "write"}
            assert set(granted) <= {"id-token", "pull-requests"}, f"{name}: {job_name}"


def test_deploys_go_dev_then_staging_then_production_each_in_its_environment() -> None:
    flow = workflow(WORKFLOWS / "deploy.yml")
    assert triggers(flow) == {"push"}
    assert list(flow["on"]["push"]["branches"]) == ["main"]
    jobs = flow["jobs"]
    assert jobs["dev"]["needs"] == "test"
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["production"]["needs"] == "staging"
    for job_name, stack in (("dev", "dev"), ("staging", "staging"), ("production", "prod")):
        _, settings = load(stack)
        assert dict(jobs[job_name]["with"]) == {
            "stack": stack,
            "environment": settings.github.environment,
        }
    up = workflow(WORKFLOWS / "pulumi-up.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"]["group"] == "pulumi-up-${{ inputs.stack }}"
    assert up["concurrency"]["cancel-in-progress"] is False
    pulumi = [s["with"] for s in up["steps"] if "pulumi/actions@" in s.get("uses", "")]
    assert [(w["command"], w["policyPacks"]) for w in pulumi] == [("up", "policy")]
    # Drift (a Worker secret deleted outside Pulumi) is only seen by a refresh.
    assert [w.get("refresh") for w in pulumi] == [True]


def test_rotation_proposes_a_pull_request_weekly_with_an_apps_token_and_fails_when_overdue() -> (
    None
):
    flow = workflow(WORKFLOWS / "rotation-check.yml")
    assert triggers(flow) == {"schedule", "workflow_dispatch"}
    job = flow["jobs"]["rotation-status"]
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert job["environment"] == "rotation"  # the app's key is an environment secret
    # The workflow's own token only reads: the push and the pull request use the app's.
    assert dict(job["permissions"]) == {"contents": "read"}
    steps = job["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any("envkeeper rotation autopilot" in r and "--body" in r for r in runs)
    app = next(s for s in steps if s.get("uses", "").startswith("actions/create-github-app-token@"))
    assert app["if"] == "vars.ROTATION_APP_CLIENT_ID != ''"
    assert app["with"]["private-key"] == "${{ secrets.ROTATION_APP_PRIVATE_KEY }}"
    opens = next(s for s in steps if "gh pr create" in s.get("run", ""))
    assert opens["if"] == "steps.app.outcome == 'success'"
    assert opens["env"]["GH_TOKEN"] == "${{ steps.app.outputs.token }}"
    assert "GITHUB_TOKEN" not in str(job)
    summary = next(s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    assert summary["if"] == "steps.app.outcome != 'success'"
    # Last: the run fails while something only a person can roll is overdue.
    assert runs[-1] == "uv run envkeeper rotation status"


def test_drift_is_checked_per_stack_from_main_in_a_read_only_environment_of_its_own() -> None:
    flow = workflow(WORKFLOWS / "drift-check.yml")
    assert triggers(flow) == {"schedule", "workflow_dispatch"}
    job = flow["jobs"]["drift"]
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert list(job["strategy"]["matrix"]["stack"]) == ["dev", "staging", "prod"]
    assert job["environment"] == "drift-${{ matrix.stack }}"
    deploy_environments = {load(s)[1].github.environment for s in ("dev", "staging", "prod")}
    for stack in ("dev", "staging", "prod"):
        # Not the deploy environments: no approval to wait for, no deploy token to reach.
        assert f"drift-{stack}" not in deploy_environments
    assert dict(job["permissions"]) == {"contents": "read", "id-token": "write"}
    auth = next(s for s in job["steps"] if s.get("uses", "").startswith("pulumi/auth-actions@"))
    assert auth["with"]["scope"] == "team:envkeeper-drift-${{ matrix.stack }}"
    (check,) = [s for s in job["steps"] if "pulumi preview" in s.get("run", "")]
    for flag in ("--refresh", "--expect-no-changes", "--json"):
        assert flag in check["run"]
    assert "envkeeper drift-report" in check["run"] and "GITHUB_STEP_SUMMARY" in check["run"]
    assert not any(s.get("with", {}).get("command") == "up" for s in job["steps"])


def test_no_pull_request_can_start_the_rotation_or_the_drift_check() -> None:
    for name in ("rotation-check.yml", "drift-check.yml"):
        assert not triggers(workflow(WORKFLOWS / name)) & PR_TRIGGERS, name


def test_the_policy_pack_can_start_wherever_a_preview_or_up_runs_it() -> None:
    # A local pack is started from its own folder with its runtime options: the engine
    # installs nothing for it. With the uv toolchain it runs in the project's .venv, which
    # uv keeps to uv.lock (pulumi-policy is a dev dependency there).
    from envkeeper.stackfile import round_trip_yaml

    pack = round_trip_yaml().load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert dict(pack["runtime"]["options"]) == {"toolchain": "uv"}
    checked = 0
    for name, flow in all_workflows().items():
        for job_name, job in flow["jobs"].items():
            steps = job.get("steps") or []
            for i, step in enumerate(steps):
                if "policyPacks" not in (step.get("with") or {}):
                    continue
                before = steps[:i]
                assert any(s.get("uses", "").startswith("astral-sh/setup-uv@") for s in before), (
                    f"{name}: {job_name} runs the policy pack without uv"
                )
                assert any("uv run " in s.get("run", "") for s in before), (
                    f"{name}: {job_name} runs the policy pack before the project's .venv exists"
                )
                checked += 1
    assert checked >= 2


def test_every_job_that_runs_the_tests_installs_the_pulumi_cli_first() -> None:
    # On GitHub's runners nothing is built from source: the CLI comes from pulumi/actions
    # (install only, at the version the engine tests are built at here), then .ci/run
    # installs the provider plugins with `pulumi plugin install`.
    engine = (ROOT / "scripts" / "engine" / "go.mod").read_text()
    (cli_version,) = re.findall(r"github\.com/pulumi/pulumi/sdk/v3 v([\d.]+)", engine)
    checked = 0
    for name, flow in all_workflows().items():
        for job_name, job in flow["jobs"].items():
            steps = job.get("steps") or []
            runs = [i for i, s in enumerate(steps) if "bash .ci/run" in s.get("run", "")]
            if not runs:
                continue
            installs = [
                s
                for s in steps[: runs[0]]
                if s.get("uses", "").startswith("pulumi/actions@") and "command" not in s["with"]
            ]
            assert installs, f"{name}: {job_name} runs .ci/run without a Pulumi CLI"
            assert [str(s["with"]["pulumi-version"]) for s in installs] == [cli_version]
            checked += 1
    assert checked >= 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/provider-plugins.sh install" in ci


def test_a_runner_installs_the_plugin_versions_the_locked_sdks_name(tmp_path: Path) -> None:
    import importlib.resources
    import json
    import os

    # A stand-in `pulumi` that records how it was called.
    calls = tmp_path / "calls"
    fake = tmp_path / "pulumi"
    fake.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "scripts/provider-plugins.sh", "install"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    wanted = []
    for name in ("random", "postgresql", "github", "cloudflare"):
        info = importlib.resources.files(f"pulumi_{name}").joinpath("pulumi-plugin.json")
        wanted.append(f"plugin install resource {name} {json.loads(info.read_text())['version']}")
    assert calls.read_text().splitlines() == wanted

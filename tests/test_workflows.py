"""This repository's own CI/CD: linted, audited, and never handing production to a PR."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from components.bridged import plugin
from envkeeper.infra import github as gh
from tests.conftest import ROOT, tool
from tests.docs_pages import all_pages
from tests.programs import load

WORKFLOWS = ROOT / ".github" / "workflows"
PR_TRIGGERS = {"pull_request", "pull_request_target"}


def workflow(path: Path) -> dict[str, Any]:
    from envkeeper.config.stackfile import round_trip_yaml

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
    assert preview["environment"] == gh.PREVIEW


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
    jobs_up = workflow(WORKFLOWS / "pulumi-up.yml")["jobs"]
    plan, up = jobs_up["plan"], jobs_up["up"]
    assert up["environment"] == "${{ inputs.environment }}"
    assert up["concurrency"]["group"] == "pulumi-up-${{ inputs.stack }}"
    assert up["concurrency"]["cancel-in-progress"] is False
    # No group around the whole workflow: dev and staging never wait for production's
    # approval (each stack's job has its own group, above).
    assert "concurrency" not in flow

    # Previewed before the gate, by a job whose token only reads the stack (the drift
    # check's environment and team), and saved as a plan for the approved job.
    assert plan["environment"] == "drift-${{ inputs.stack }}"
    assert dict(plan["permissions"]) == {"contents": "read", "id-token": "write"}
    (login,) = [s for s in plan["steps"] if s.get("uses", "").startswith("pulumi/auth-actions@")]
    assert login["with"]["scope"] == "team:envkeeper-drift-${{ inputs.stack }}"
    (saving,) = [s for s in plan["steps"] if "envkeeper preview-plan" in s.get("run", "")]
    assert '>> "$GITHUB_STEP_SUMMARY"' in saving["run"]  # where the approver reads it
    (upload,) = [s for s in plan["steps"] if s.get("uses", "").startswith("actions/upload-")]
    # The gated job applies that plan, and nothing else runs pulumi up.
    assert up["needs"] == "plan" and up["if"] == "needs.plan.outputs.deploy == 'true'"
    (download,) = [s for s in up["steps"] if s.get("uses", "").startswith("actions/download-")]
    assert download["with"]["name"] == upload["with"]["name"] == "plan-${{ inputs.stack }}"
    assert download["with"]["path"] == upload["with"]["path"] == "${{ runner.temp }}/plan"
    (applying,) = [s for s in up["steps"] if "envkeeper apply-plan" in s.get("run", "")]
    assert not any("pulumi up" in s.get("run", "") or (s.get("with") or {}).get("command")
                   for s in up["steps"])  # fmt: skip

    def arguments(run: str, command: str) -> list[str]:
        words = run.replace("\\\n", " ").split(command, 1)[1].split()
        return words[: next(i for i, w in enumerate(words) if w.startswith(("2>", ">>", "||")))]

    # The same stack, folder and preview: a refresh first (drift, such as a Worker secret
    # deleted by hand, is only seen by one), and the policy pack.
    previewed = arguments(saving["run"], "envkeeper preview-plan")
    assert previewed == arguments(applying["run"], "envkeeper apply-plan")
    assert previewed == ['"${STACK_REF}"', '"$RUNNER_TEMP/plan"', "--refresh", "--policy-pack",
                         "policy"]  # fmt: skip


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
    assert runs[-1] == "uv run --frozen envkeeper rotation status"


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
    # installs nothing for it. With the uv toolchain, uv syncs the pack's own .venv from
    # policy/uv.lock before it starts (frozen, as every uv call in CI is).
    from envkeeper.config.stackfile import round_trip_yaml

    pack = round_trip_yaml().load((ROOT / "policy" / "PulumiPolicy.yaml").read_text())
    assert dict(pack["runtime"]["options"]) == {"toolchain": "uv"}
    checked = 0
    for name, flow in all_workflows().items():
        for job_name, job in flow["jobs"].items():
            steps = job.get("steps") or []
            for i, step in enumerate(steps):
                through_action = "policyPacks" in (step.get("with") or {})
                if not through_action and "--policy-pack" not in step.get("run", ""):
                    continue
                before = steps[:i]
                assert any(s.get("uses", "").startswith("astral-sh/setup-uv@") for s in before), (
                    f"{name}: {job_name} runs the policy pack without uv"
                )
                ran = before if through_action else [*before, step]
                assert any("uv run " in s.get("run", "") for s in ran), (
                    f"{name}: {job_name} runs the policy pack before the project's .venv exists"
                )
                checked += 1
    assert checked == 3  # the pull request's preview, the deploy's preview and its up


# The Pulumi CLI's version lives in .pulumi.version alone: every workflow installs it from
# there (pulumi/actions reads the file), and the engine the tests build here is that version.
PINNED_CLI = {"pulumi-version-file": ".pulumi.version"}


def test_the_engine_built_here_is_the_cli_version_the_workflows_install() -> None:
    pinned = (ROOT / ".pulumi.version").read_text().strip()
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), ".pulumi.version: one version, as 3.274.1"
    engine = (ROOT / "scripts" / "engine" / "go.mod").read_text()
    for module in ("sdk", "pkg"):
        built = re.findall(rf"github\.com/pulumi/pulumi/{module}/v3 v([\d.]+)", engine)
        assert built == [pinned], f"scripts/engine/go.mod builds pulumi/{module} {built}"
    script = (ROOT / "scripts" / "pulumi-from-source.sh").read_text()
    assert '.pulumi.version")"' in script  # the build names what it was asked for


def test_every_job_that_runs_the_tests_installs_the_pulumi_cli_first() -> None:
    # On GitHub's runners nothing is built from source: the CLI comes from pulumi/actions
    # (install only, at the version the engine tests are built at here), then .ci/run
    # installs the provider plugins with `pulumi plugin install`.
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
            assert [s["with"] for s in installs] == [PINNED_CLI], f"{name}: {job_name}"
            checked += 1
    assert checked >= 2
    ci = (ROOT / ".ci" / "run").read_text()
    assert "bash scripts/provider-plugins.sh install" in ci


def test_a_runner_installs_the_plugin_versions_the_locked_sdks_name(tmp_path: Path) -> None:
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
        wanted.append(f"plugin install resource {name} {plugin(f'pulumi_{name}')[0]}")
    # Neon's SDK names Pulumi's terraform-provider plugin, which runs kislerdm/neon.
    wanted.append(f"plugin install resource terraform-provider {plugin('pulumi_neon')[0]}")
    assert calls.read_text().splitlines() == wanted


# --- The trust boundary ----------------------------------------------------------------------


def workflow_texts() -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(WORKFLOWS.glob("*.yml"))}


def test_no_workflow_asks_for_an_organization_token() -> None:
    # An organization token reads and changes every stack, production's included.
    for name, text in workflow_texts().items():
        assert "access_token:organization" not in text, name
        assert "token-type:access_token:personal" not in text, name


def auth_steps() -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """Every Pulumi Cloud login: (workflow, job, the step, the job's `with:` inputs)."""
    found = []
    for name, flow in all_workflows().items():
        for job_name, job, inputs in jobs_reached(flow):
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("pulumi/auth-actions@"):
                    found.append((name, job_name, step, inputs))
    return found


def test_every_login_asks_for_the_team_token_of_its_own_job() -> None:
    scopes = {}
    for name, job_name, step, inputs in auth_steps():
        got = step["with"]
        assert got["requested-token-type"] == "urn:pulumi:token-type:access_token:team", job_name
        scopes[f"{name}: {job_name}"] = resolved(got["scope"], inputs)
    assert scopes == {
        "drift-check.yml: drift": "team:envkeeper-drift-${{ matrix.stack }}",
        "pull-request.yml: preview": "team:envkeeper-preview",
        # One team per stack: each deploy job's token updates its own stack only.
        "pulumi-up.yml: up": "team:envkeeper-deploy-${{ inputs.stack }}",
        "deploy.yml: dev/up": "team:envkeeper-deploy-dev",
        "deploy.yml: staging/up": "team:envkeeper-deploy-staging",
        "deploy.yml: production/up": "team:envkeeper-deploy-prod",
        # Before the gate, the deploy's preview reads its stack, as the drift check does.
        "pulumi-up.yml: plan": "team:envkeeper-drift-${{ inputs.stack }}",
        "deploy.yml: dev/plan": "team:envkeeper-drift-dev",
        "deploy.yml: staging/plan": "team:envkeeper-drift-staging",
        "deploy.yml: production/plan": "team:envkeeper-drift-prod",
    }


def runs_branch_code_with_a_token(job: dict[str, Any]) -> bool:
    """Whether a job logs in to Pulumi Cloud or previews: it then runs the checkout's
    program with a token (or asks GitHub for an OIDC token to get one)."""
    steps = job.get("steps", [])
    return (
        (job.get("permissions") or {}).get("id-token") == "write"
        or any(s.get("uses", "").startswith("pulumi/auth-actions@") for s in steps)
        or any((s.get("with") or {}).get("command") in ("preview", "up") for s in steps)
        or any("pulumi preview" in s.get("run", "") or "pulumi up" in s.get("run", "")
               for s in steps)
    )  # fmt: skip


def test_every_pull_request_job_that_gets_a_token_waits_for_approval_in_preview() -> None:
    # The preview runs the branch's program, components and policy pack: only after a
    # maintainer approved it (the environment's required reviewers), and never for a fork.
    checked = 0
    for name, flow in all_workflows().items():
        if not triggers(flow) & PR_TRIGGERS:
            continue
        for job_name, job, inputs in jobs_reached(flow):
            if not runs_branch_code_with_a_token(job):
                continue
            checked += 1
            assert resolved(str(environment_of(job)), inputs) == gh.PREVIEW, (
                f"{name}: {job_name} gets a token without waiting in the {gh.PREVIEW} environment"
            )
            assert job["if"] == "github.event.pull_request.head.repo.full_name == github.repository"
    assert checked >= 1


def test_the_guard_check_fails_on_a_preview_job_without_it() -> None:
    # The check above, on the preview job with its environment removed.
    flow = copy.deepcopy(workflow(WORKFLOWS / "pull-request.yml"))
    del flow["jobs"]["preview"]["environment"]
    job = flow["jobs"]["preview"]
    assert runs_branch_code_with_a_token(job)
    assert environment_of(job) != gh.PREVIEW


UV_CALL = re.compile(r"\buv\s+(run|sync)\b([^\n;&|]*)")


def uv_calls(text: str) -> list[str]:
    return [m[0] for m in UV_CALL.finditer(text)]


def test_every_uv_call_of_ci_is_frozen() -> None:
    # A stale uv.lock must fail, not be re-resolved (the rotation pull request would carry
    # the new lock). The Pulumi CLI runs `uv sync` itself for the program and the policy
    # pack: UV_FROZEN covers those calls too.
    checked = 0
    for name, flow in all_workflows().items():
        assert str(flow.get("env", {}).get("UV_FROZEN")) == "1", f"{name}: set env UV_FROZEN: '1'"
        for job in flow["jobs"].values():
            for step in job.get("steps", []):
                for call in uv_calls(step.get("run", "")):
                    checked += 1
                    assert "--frozen" in call, f"{name}: {call}"
    ci = (ROOT / ".ci" / "run").read_text()
    # CI's last line is the README's test command as a person types it: UV_FROZEN, exported
    # before the first uv call, freezes it.
    first_uv = min(m.start() for m in UV_CALL.finditer(ci))
    assert 0 <= ci.find("\nexport UV_FROZEN=1\n") < first_uv
    pre_commit = (ROOT / ".pre-commit-config.yaml").read_text()
    for call in uv_calls(pre_commit):
        if "pre-commit install" not in call:  # the comment telling a person what to run
            checked += 1
            assert "--frozen" in call, f".pre-commit-config.yaml: {call}"
    assert checked >= 10


def test_an_unfrozen_uv_call_is_found() -> None:
    assert uv_calls("run: |\n  uv sync --frozen\n  uv run envkeeper status\n") == [
        "uv sync --frozen",
        "uv run envkeeper status",
    ]


def test_every_pulumi_cli_that_previews_or_deploys_is_the_version_the_tests_pin() -> None:
    commands = []
    for name, flow in all_workflows().items():
        for job_name, job, _ in jobs_reached(flow):
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("pulumi/actions@"):
                    got = step["with"]
                    assert "pulumi-version" not in got, f"{name}: {job_name}"
                    assert got.get("pulumi-version-file") == ".pulumi.version", (
                        f"{name}: {job_name}"
                    )
                    commands.append(got.get("command"))
    # The pull request's preview runs through the action; the deploys' through envkeeper
    # (preview-plan, apply-plan), on the CLI the action installed.
    assert set(commands) == {"preview", None}


# --- Deploys: concurrency, and the newest commit only ------------------------------------------


def up_steps() -> list[dict[str, Any]]:
    return workflow(WORKFLOWS / "pulumi-up.yml")["jobs"]["up"]["steps"]


def run_guard(tmp_path: Path, main_is_at: str, sha: str) -> dict[str, str]:
    """The deploy job's newest-commit step, run with a stand-in `gh`; its outputs."""
    (step,) = [s for s in up_steps() if s.get("id") == "newest"]
    fake = tmp_path / "gh"
    fake.write_text(f'#!/bin/sh\necho "$*" > {tmp_path}/gh-args\necho {main_is_at}\n')
    fake.chmod(0o755)
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env = {
        "PATH": f"{tmp_path}:/usr/bin:/bin",
        "GH_TOKEN": "CANARY-github-token",
        "REPOSITORY": "example-org/example-app",
        "SHA": sha,
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "gh-args").read_text().split() == [
        "api",
        "repos/example-org/example-app/commits/main",
        "--jq",
        ".sha",
    ]
    return dict(line.split("=", 1) for line in outputs.read_text().split())


def test_a_deploy_of_an_older_commit_than_mains_newest_changes_nothing(tmp_path: Path) -> None:
    # Approved late or re-run, an older run would put older code back after newer code.
    assert run_guard(tmp_path, main_is_at="b" * 40, sha="a" * 40) == {"deploy": "false"}
    assert "its own run deploys this commit's changes" in (tmp_path / "summary").read_text()
    assert run_guard(tmp_path, main_is_at="a" * 40, sha="a" * 40) == {"deploy": "true"}


@pytest.mark.parametrize("job_name", ["plan", "up"])
def test_only_the_newest_commit_logs_in_and_deploys(job_name: str) -> None:
    steps = workflow(WORKFLOWS / "pulumi-up.yml")["jobs"][job_name]["steps"]
    guard = next(i for i, s in enumerate(steps) if s.get("id") == "newest")
    acting = [
        i
        for i, s in enumerate(steps)
        if s.get("uses", "").startswith(("pulumi/auth-actions@", "pulumi/actions@"))
    ]
    # The login and the CLI for envkeeper's steps (which preview, or apply the plan).
    assert len(acting) == 2
    assert all(i > guard for i in acting)
    # Every step after the guard acts on the stack (recover and orphans too): all are gated.
    for step in steps[guard + 1 :]:
        assert step["if"] == "steps.newest.outputs.deploy == 'true'", step


# --- The rotation pull request carries the stack files autopilot bumped, nothing else --------


def rotation_step() -> dict[str, Any]:
    job = workflow(WORKFLOWS / "rotation-check.yml")["jobs"]["rotation-status"]
    return next(s for s in job["steps"] if "gh pr create" in s.get("run", ""))


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


@pytest.fixture
def checkout(tmp_path: Path) -> tuple[Path, Path]:
    """A checkout of main with three stack files and a lock, and the remote it pushes to
    (the step's github.com URL is rewritten to a local bare repository)."""
    remote, work = tmp_path / "remote.git", tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(work))
    for name in ("Pulumi.dev.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml", "uv.lock"):
        (work / name).write_text(f"{name}\n")
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "main")
    url = "https://x-access-token:CANARY-app-token@github.com/example-org/example-app.git"
    git(work, "config", f"url.{remote}.insteadOf", url)
    return work, remote


def run_rotation(checkout: tuple[Path, Path], tmp_path: Path, stacks: list[str]) -> Any:
    work, _ = checkout
    temp = tmp_path / "runner"
    temp.mkdir()
    rotated = [{"stack": s, "name": "DATABASE_URL"} for s in stacks]
    (temp / "rotation.json").write_text(json.dumps({"title": "Rotate", "rotated": rotated}))
    (temp / "rotation.md").write_text("body\n")
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/gh-calls\necho 0\n')
    fake.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(temp),
        "GH_TOKEN": "CANARY-app-token",
        "BRANCH": "envkeeper/scheduled-rotation",
        "GITHUB_REPOSITORY": "example-org/example-app",
    }
    return subprocess.run(
        ["bash", "-e", "-c", rotation_step()["run"]], cwd=work, env=env, capture_output=True,
        text=True,
    )  # fmt: skip


def test_the_rotation_commits_exactly_the_stack_files_autopilot_bumped(
    checkout: tuple[Path, Path], tmp_path: Path
) -> None:
    work, remote = checkout
    for name in ("Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (work / name).write_text("bumped\n")
    done = run_rotation(checkout, tmp_path, ["dev", "prod", "dev"])
    assert done.returncode == 0, done.stderr
    pushed = git(remote, "show", "--name-only", "--format=%s", "envkeeper/scheduled-rotation")
    assert pushed.split() == ["Rotate", "Pulumi.dev.yaml", "Pulumi.prod.yaml"]
    assert "pr create --base main" in (tmp_path / "gh-calls").read_text()


def test_the_rotation_stops_before_committing_anything_else(
    checkout: tuple[Path, Path], tmp_path: Path
) -> None:
    # A re-resolved lock (or any other file) must not ride into the rotation pull request.
    work, remote = checkout
    (work / "Pulumi.dev.yaml").write_text("bumped\n")
    (work / "uv.lock").write_text("re-resolved\n")
    (work / "stray.txt").write_text("new\n")
    done = run_rotation(checkout, tmp_path, ["dev"])
    assert done.returncode == 1
    assert "uv.lock" in done.stdout and "stray.txt" in done.stdout
    assert git(remote, "branch", "--list") == ""  # nothing pushed
    assert not (tmp_path / "gh-calls").exists()
    assert "--all" not in rotation_step()["run"] and " -a " not in rotation_step()["run"]


def test_a_drift_check_whose_preview_failed_says_so_in_the_summary(tmp_path: Path) -> None:
    # The preview failed (a bad token, a vendor down): the summary names it, not only the log.
    job = workflow(WORKFLOWS / "drift-check.yml")["jobs"]["drift"]
    (step,) = [s for s in job["steps"] if "envkeeper drift-report" in s.get("run", "")]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    failed = '{"diagnostics": [{"message": "error: 401", "severity": "error"}]}'
    stand_ins = {
        "pulumi": f"#!/bin/sh\necho '{failed}'\nexit 255\n",
        # `uv sync` does nothing; `uv run --frozen envkeeper drift-report` is the real one,
        # `orphans` (which asks the vendors) answers that there are none.
        "uv": '#!/bin/sh\n[ "$1" = run ] || exit 0\nshift 2\n'
        '[ "$2" = orphans ] && { echo "no orphans"; exit 0; }\n'
        f'exec "{Path(sys.executable).parent}/$@"\n',
    }
    for name, text in stand_ins.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    summary = tmp_path / "summary"
    env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "STACK": "dev",
        "PULUMI_ORG": "example-org",
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(["bash", "-e", "-c", step["run"]], env=env, capture_output=True)
    assert done.returncode != 0
    text = summary.read_text()
    assert text.startswith(f"**dev:** {tmp_path}/preview.json: not a completed preview: the pre")
    assert "no orphans" in text


def test_the_docs_name_every_plugin_a_deploy_downloads_and_from_where() -> None:
    docs = all_pages()
    rows = dict(
        (name, (version, source))
        for name, version, source in re.findall(
            r"^\| ([\w-]+) \| ([\w.-]+) \| (.+?) \|$", docs, re.M
        )
    )
    # Neon's SDK is a parameterized package: its plugin is terraform-provider.
    for sdk, name in [(n, n) for n in ("random", "postgresql", "github", "cloudflare")] + [
        ("neon", "terraform-provider")
    ]:
        version, server = plugin(f"pulumi_{sdk}")  # as the program registers it
        assert rows[name][0] == version, name
        source = rows[name][1]
        if server:  # not Pulumi's own: the docs say whose release it is
            owner_repo = server.split("github.com/", 1)[1].split("/releases", 1)[0]
            assert owner_repo in source, name
        else:
            assert source == "Pulumi's plugin server (the CLI's default)", name


# --- The docs' trust table (docs/github.md), held to the workflows -------------------------

TRUST_ROW = re.compile(
    r"^\| `repo:<owner>/<repo>:environment:([\w<>-]+)` \| (.+?) \| team `([\w<>-]+)` \|", re.M
)


def defining_file(name: str, flow: dict[str, Any], job_name: str) -> str:
    """The workflow file that defines a job: the called one, for a job reached through a
    reusable workflow (`job_workflow_ref` names it, not the caller)."""
    if "/" not in job_name:
        return name
    return Path(flow["jobs"][job_name.split("/", 1)[0]]["uses"].split("@", 1)[0]).name


def test_the_docs_trust_table_pins_each_login_to_its_workflow_file_and_ref() -> None:
    """Each OIDC policy the docs ask for pins the workflow file that defines the job, so
    the app's own jobs in the same GitHub environment get no envkeeper token."""
    rows = {env: (claims, team) for env, claims, team in TRUST_ROW.findall(all_pages())}
    stacks = ("dev", "staging", "prod")
    assert set(rows) == {"preview", "dev", "staging", "production", "drift-<stack>"}
    checked = 0
    for name, flow in all_workflows().items():
        for job_name, job, inputs in jobs_reached(flow):
            if not any(s.get("uses", "").startswith("pulumi/auth-actions@") for s in job["steps"]):
                continue
            environment = resolved(str(environment_of(job)), inputs)
            environment = environment.replace("${{ matrix.stack }}", "<stack>")
            if "${{" in environment:
                continue  # the reusable workflow alone; its callers are checked
            stack = inputs.get("stack")
            if environment in {f"drift-{s}" for s in stacks} and stack in stacks:
                environment = "drift-<stack>"  # the deploy's preview, in its stack's one
            claims, team = rows[environment]
            (step,) = [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/auth-")]
            scope = resolved(step["with"]["scope"], inputs).replace(
                "${{ matrix.stack }}", "<stack>"
            )
            if environment == "drift-<stack>" and stack in stacks:
                scope = scope.replace(f"drift-{stack}", "drift-<stack>")
            assert scope == f"team:{team}", (name, job_name)
            file = defining_file(name, flow, job_name)
            if environment == "preview":
                ref = f"`<owner>/<repo>/.github/workflows/{file}@refs/pull/*/merge`"
                assert claims == f"`job_workflow_ref`: {ref}", (name, job_name)
            else:
                # The read-only drift token: the drift check, and the deploy's preview.
                files = ["drift-check.yml", "pulumi-up.yml"] if "drift" in team else [file]
                assert file in files, (name, job_name)
                refs = " or ".join(f"`<owner>/<repo>/.github/workflows/{f}@refs/heads/main`"
                                   for f in files)  # fmt: skip
                assert claims == f"`job_workflow_ref`: {refs}, `ref`: `refs/heads/main`", name
            checked += 1
    # The pull request's preview, three deploys and their three previews (called from
    # deploy.yml), the drift check.
    assert checked == 8


def test_jobs_that_hold_credentials_install_no_dev_tools() -> None:
    """A deploy, preview, drift or rotation job syncs only what runs there (the program, the
    pack, envkeeper): not basedpyright's Node.js, zizmor or actionlint beside production's
    credentials. The test jobs, which hold none, keep the dev group."""
    checked = 0
    for name, flow in all_workflows().items():
        for job_name, job in flow["jobs"].items():
            steps = job.get("steps") or []
            if not any(s.get("uses", "").startswith("astral-sh/setup-uv@") for s in steps):
                continue
            env = {**(flow.get("env") or {}), **(job.get("env") or {})}
            if any("bash .ci/run" in s.get("run", "") for s in steps):
                assert "UV_NO_DEV" not in env, f"{name}: {job_name} runs the tests"
                continue
            assert str(env.get("UV_NO_DEV")) == "1", f"{name}: {job_name} would sync dev tools"
            checked += 1
    assert checked == 5  # pull-request preview, pulumi-up's plan and up, drift, rotation
    # The pack runs beside every preview and deploy, from its own project and lock.
    pack = tomllib.loads((ROOT / "policy" / "pyproject.toml").read_text())
    assert any(d.startswith("pulumi-policy==") for d in pack["project"]["dependencies"])
    assert "dependency-groups" not in pack


def test_the_approved_job_applies_only_the_plan_its_preview_job_saved(tmp_path: Path) -> None:
    """The plan travels as an artifact, which any job of the run could replace; its digest
    travels as the preview job's output, which only that job writes."""
    jobs = workflow(WORKFLOWS / "pulumi-up.yml")["jobs"]
    (saving,) = [s for s in jobs["plan"]["steps"] if s.get("id") == "saved"]
    (applying,) = [s for s in jobs["up"]["steps"] if "envkeeper apply-plan" in s.get("run", "")]
    assert jobs["plan"]["outputs"]["digest"] == "${{ steps.saved.outputs.digest }}"
    assert applying["env"]["APPROVED"] == "${{ needs.plan.outputs.digest }}"
    uv = tmp_path / "bin" / "uv"
    uv.parent.mkdir()
    uv.write_text(f'#!/bin/sh\necho "$*" >> {tmp_path}/uv-calls\n')  # preview-plan, apply-plan
    uv.chmod(0o755)
    runner = tmp_path / "runner"
    env = {
        "PATH": f"{uv.parent}:/usr/bin:/bin",
        "RUNNER_TEMP": str(runner),
        "GITHUB_OUTPUT": str(tmp_path / "outputs"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "STACK": "prod",
        "STACK_REF": "example-org/envkeeper/prod",
    }
    (runner / "plan").mkdir(parents=True)
    (runner / "plan" / "plan.json").write_text('{"version": 1, "plan": {}}')
    (runner / "plan" / "day").write_text("2026-12-01\n")
    subprocess.run(["bash", "-e", "-c", saving["run"]], env=env, check=True)
    digest = (tmp_path / "outputs").read_text().strip().removeprefix("digest=")

    def apply(approved: str) -> subprocess.CompletedProcess[str]:
        (tmp_path / "uv-calls").unlink(missing_ok=True)
        return subprocess.run(
            ["bash", "-e", "-c", applying["run"]],
            env={**env, "APPROVED": approved},
            capture_output=True,
            text=True,
        )

    assert apply(digest).returncode == 0
    assert "apply-plan" in (tmp_path / "uv-calls").read_text()
    (runner / "plan" / "day").write_text("2026-12-31\n")  # another day put in its place
    replaced = apply(digest)
    assert replaced.returncode == 2 and "re-run all jobs" in replaced.stderr
    assert not (tmp_path / "uv-calls").exists()  # nothing ran with the other plan


def test_a_refused_apply_puts_its_whole_line_in_the_summary(tmp_path: Path) -> None:
    # envkeeper wraps a line on stderr at 80 columns, its continuation indented: the summary
    # gets the last line whole, not its last fragment.
    jobs = workflow(WORKFLOWS / "pulumi-up.yml")["jobs"]
    (applying,) = [s for s in jobs["up"]["steps"] if "envkeeper apply-plan" in s.get("run", "")]
    refusal = (
        "prod: nothing was applied: the deploy would now change Pulumi.prod.yaml otherwise "
        "than the preview that was approved; re-run all the deploy's jobs"
    )
    uv = tmp_path / "bin" / "uv"
    uv.parent.mkdir()
    cut = refusal.rindex(" ", 0, 80)
    said = f"a line pulumi said\n{refusal[:cut]}\n  {refusal[cut + 1 :]}\n"
    uv.write_text(f"#!/bin/sh\ncat >&2 <<'EOF'\n{said}EOF\nexit 2\n")
    uv.chmod(0o755)
    runner = tmp_path / "runner"
    (runner / "plan").mkdir(parents=True)
    (runner / "plan" / "plan.json").write_text('{"version": 1, "plan": {}}')
    (runner / "plan" / "day").write_text("2026-12-01\n")
    saved = [(runner / "plan" / name).read_bytes() for name in ("plan.json", "day")]
    digest = hashlib.sha256(b"".join(saved)).hexdigest()
    summary = tmp_path / "summary"
    env = {
        "PATH": f"{uv.parent}:/usr/bin:/bin",
        "RUNNER_TEMP": str(runner),
        "GITHUB_STEP_SUMMARY": str(summary),
        "STACK": "prod",
        "STACK_REF": "example-org/envkeeper/prod",
        "APPROVED": digest,
    }
    done = subprocess.run(["bash", "-e", "-c", applying["run"]], env=env, capture_output=True)
    assert done.returncode == 2, done.stderr
    assert summary.read_text() == f"**prod:** {refusal}\n"

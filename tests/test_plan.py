"""`envkeeper plan`: the resource tree and every secret's flow, in three formats."""

from __future__ import annotations

import dataclasses
import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envkeeper.infra import database as db
from envkeeper.offline.plan import build_plan
from envkeeper.offline.render import as_json, fitted_widths
from envkeeper.stack import catalog
from envkeeper.stack.settings import missing_secrets
from tests.conftest import PROJECT, STACKS, pinned_env
from tests.programs import SHIPPED, load, plan_json, run


@pytest.mark.parametrize("stack", STACKS)
def test_json_plan_has_the_documented_shape(cli: Any, stack: str) -> None:
    _, settings = load(stack)
    plan = plan_json(cli, stack)

    assert plan["stack"] == stack
    assert plan["environment"] == settings.environment.value
    for resource in plan["resources"]:
        assert {"type", "name", "parent", "inputs"} <= set(resource)
    types = {(r["type"], r["name"]) for r in plan["resources"]}
    assert (catalog.ENVIRONMENT_TYPE, stack) in types
    for name in ("better-auth-secret", "better-auth-secrets-a", "better-auth-secrets-b"):
        assert ("random:index/randomPassword:RandomPassword", name) in types

    secrets = {s["name"]: s for s in plan["secrets"]}
    assert list(secrets) == [e.name for e in SHIPPED.delivered]
    for secret in secrets.values():
        assert {"name", "source", "destinations", "rotation"} <= set(secret)

    auth = secrets["BETTER_AUTH_SECRETS"]
    slots = settings.slots("BETTER_AUTH_SECRETS")
    assert auth["rotation"] == {
        "days": 180,
        "slots": {"a": slots.a.isoformat(), "b": slots.b.isoformat()},
        "active": slots.active,
    }
    assert [(d["kind"], d["target"]) for d in auth["destinations"]] == [
        ("worker-secret", worker)
        for worker in settings.cloudflare.workers
        if "BETTER_AUTH_SECRETS" in settings.cloudflare.secrets_of(worker)
    ]
    # Made by the two slots' RandomPassword (the joined value is neither one's output alone).
    legacy = secrets["BETTER_AUTH_SECRET"]
    assert legacy["rotation"] is None
    assert legacy["source"]["resources"] == [
        r["urn"] for r in plan["resources"] if r["name"] == "better-auth-secret"
    ]
    db = secrets["DATABASE_URL"]["rotation"]
    assert db["active"] == settings.slots("DATABASE_URL").active
    github = f"{settings.github.repository}/{settings.github.environment}"
    assert secrets["CLOUDFLARE_ACCOUNT_ID"]["destinations"][0]["target"] == github


def test_plan_lists_only_this_stacks_workers(cli: Any) -> None:
    dev = json.dumps(plan_json(cli, "dev"))
    assert "example-api-dev" in dev
    assert "example-api-staging" not in dev and '"example-api"' not in dev


def test_secret_inputs_read_secret_in_the_plan(cli: Any) -> None:
    plan = plan_json(cli, "prod")
    text = json.dumps(plan)
    assert "placeholder:" not in text
    assert "generated-" not in text


SINK_PROGRAM = """
import pulumi
import components.environment as environment
from components.program import run

# This run builds no GitHub environment, so its destinations go undelivered...
built = environment.GithubEnvironment
environment.GithubEnvironment = lambda name, args, opts=None: pulumi.ComponentResource(
    "test:index:NoGithub", name, None, opts
)
try:
    env = run()
finally:
    environment.GithubEnvironment = built
# ...but for one secret, which this stand-in resource carries.
pulumi.CustomResource(
    "test:index:EnvironmentSecretSink",
    "sink",
    {
        "repository": "example-app",
        "environment": "dev",
        "value": env.secrets["MIGRATION_DATABASE_URL"],
    },
    opts=pulumi.ResourceOptions(parent=env),
)
"""


def test_a_delivered_secret_is_traced_to_the_resource_that_carries_it(
    cli: Any, project: Path
) -> None:
    (project / "__main__.py").write_text(SINK_PROGRAM)
    plan = plan_json(cli, "dev")
    secrets = {s["name"]: s for s in plan["secrets"]}
    (destination,) = secrets["MIGRATION_DATABASE_URL"]["destinations"]
    assert destination["target"] == "example-app/dev"
    assert [urn.rsplit("::", 1)[1] for urn in destination["resources"]] == ["sink"]
    sink = next(r for r in plan["resources"] if r["name"] == "sink")
    assert sink["inputs"]["value"] == "[secret]"
    (token_destination,) = secrets["CLOUDFLARE_API_TOKEN"]["destinations"]
    assert token_destination["resources"] == []

    mermaid = cli("plan", "dev", "--format", "mermaid").stdout
    assert "sec_MIGRATION_DATABASE_URL --> dst_github_secret_example_app_dev" in mermaid
    assert "sec_CLOUDFLARE_API_TOKEN -.-> dst_github_secret_example_app_dev" in mermaid


def test_mermaid_is_a_flowchart_from_sources_to_destinations(cli: Any) -> None:
    result = cli("plan", "prod", "--format", "mermaid")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Where each secret of stack prod goes (no values). Solid arrow")
    assert lines[2:4] == ["```mermaid", "flowchart LR"]
    assert lines[-1] == "```"
    assert "  src_generated_BETTER_AUTH_SECRET --> sec_BETTER_AUTH_SECRET" in lines
    assert "  sec_BETTER_AUTH_SECRET --> dst_worker_secret_example_api" in lines
    # The webhook handler's set leaves the auth secret out: no edge at all, not a dotted one.
    assert not [
        line for line in lines if "dst_worker_secret_example_webhooks" in line and "AUTH" in line
    ]
    assert "  sec_STRIPE_WEBHOOK_SECRET --> dst_worker_secret_example_webhooks" in lines


def test_table_shows_the_tree_the_secrets_and_what_is_still_needed(cli: Any) -> None:
    result = cli("plan", "dev")
    assert result.exit_code == 0
    out = result.stdout
    assert "pulumi:pulumi:Stack envkeeper-dev" in out
    assert "random:index/randomPassword:RandomPassword  better-auth-secret" in out
    for entry in SHIPPED.delivered:
        assert entry.name in out
    assert "pulumi config set --secret --stack dev envkeeper:stripeSecretKey" in out


@pytest.mark.parametrize("room", [200, 60, 40, 31])
def test_fitted_widths_fit_the_room_and_keep_every_word_whole(room: int) -> None:
    source = "Neon runtime login, envkeeper:neon.projectName"
    rows = [("Name", "Source"), ("DATABASE_URL", source)]
    widths = fitted_widths(rows, room)
    assert widths[0] >= len("DATABASE_URL")
    assert widths[1] >= len("envkeeper:neon.projectName")
    assert sum(widths) <= max(room, len("DATABASE_URL") + len("envkeeper:neon.projectName"))
    if room >= 200:
        assert widths == [len("DATABASE_URL"), len(source)]  # nothing wraps


def test_table_never_breaks_a_config_key_or_a_destination_across_lines(cli: Any) -> None:
    # Piped (a CI log, a PR comment), the table is 120 columns; a reviewer copies keys from it.
    out = cli("plan", "prod").stdout
    for key in ("envkeeper:stripeSecretKey", "envkeeper:cloudflare.accountId"):
        assert key in out
    for worker in ("example-api", "example-webhooks"):
        assert f"Worker {worker}" in out


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "dev"],
        ["rotation", "status"],
        ["rotation", "status", "--format", "json", "--today", "2099-01-01"],
        ["rotation", "bump", "dev", "BETTER_AUTH_SECRETS"],
        ["emergency", "prod", "--dry-run"],
        ["offboard", "dev", "staging", "--dry-run"],
        ["access-review", "prod"],
        ["wrangler-vars", "staging"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_commands_other_than_plan_import_no_pulumi(project: Path, args: list[str]) -> None:
    code = (
        "import sys\n"
        "from envkeeper.cli import main\n"
        f"sys.argv = ['envkeeper', '--project-dir', {str(project)!r}, *{args!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')\n"
        "    or m.split('.')[0] in ('psycopg', 'cloudflare', 'resend', 'stripe')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    last = result.stdout.splitlines()[-1]
    assert last.split(" ", 1)[1] == "[]", last
    assert last.split(" ", 1)[0] in ("None", "0", "1"), result.stderr


def test_the_installed_command_plans_dev_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "envkeeper", "plan", "dev", "--format", "json"],
        cwd=PROJECT,
        env=pinned_env(),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["stack"] == "dev"


def test_prod_plan_lists_the_neon_project_roles_grants_and_urls(cli: Any) -> None:
    plan = plan_json(cli, "prod")
    by_type: dict[str, list[str]] = {}
    for resource in plan["resources"]:
        by_type.setdefault(resource["type"], []).append(resource["name"])
    assert by_type["neon:index/project:Project"] == ["project"]
    assert sorted(by_type["postgresql:index/role:Role"]) == [
        "app_migrator",
        "app_owner",
        "app_readonly",
        "app_runtime",
        "app_runtime_a",
        "app_runtime_b",
    ]
    assert len(by_type["postgresql:index/grant:Grant"]) == len(db.GRANTS) == 13
    assert len(by_type["postgresql:index/defaultPrivileges:DefaultPrivileges"]) == 5
    secrets = {s["name"]: s for s in plan["secrets"]}
    for name, kind in [
        ("DATABASE_URL", "worker-secret"),
        ("DATABASE_URL_READONLY", "worker-secret"),
        ("MIGRATION_DATABASE_URL", "github-secret"),
    ]:
        assert secrets[name]["managed_here"] is True
        assert {d["kind"] for d in secrets[name]["destinations"]} == {kind}
    assert secrets["DATABASE_URL"]["rotation"]["active"] in ("a", "b")


def test_prod_plan_lists_the_deploy_tokens_and_every_worker_secret(cli: Any) -> None:
    plan = plan_json(cli, "prod")
    tokens = [
        r for r in plan["resources"] if r["type"] == "cloudflare:index/accountToken:AccountToken"
    ]
    assert sorted(t["name"] for t in tokens) == ["deploy-a", "deploy-b"]
    for token in tokens:
        assert token["inputs"]["expiresOn"].endswith("T00:00:00Z")
        assert token["inputs"]["policies"][0]["resources"].startswith(
            '{"com.cloudflare.api.account.'
        )
    worker_secrets = {
        (r["inputs"]["scriptName"], r["inputs"]["name"])
        for r in plan["resources"]
        if r["type"] == "pulumi-python:dynamic/envkeeper:WorkerSecret"
    }
    # example-api (named alone) every Worker secret; the webhook handler its three.
    assert worker_secrets == {("example-api", name) for name in SHIPPED.worker_secret_names()} | {
        ("example-webhooks", name)
        for name in ("DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET")
    }
    cors = next(s for s in plan["secrets"] if s["name"] == "CORS_ORIGIN")
    assert all(d["delivered"] and d["via"] for d in cors["destinations"])


def test_ids_only_a_provider_knows_are_marked_as_offline_stand_ins(cli: Any) -> None:
    plan = plan_json(cli, "prod")
    tokens = [
        r for r in plan["resources"] if r["type"] == "cloudflare:index/accountToken:AccountToken"
    ]
    groups = [g for t in tokens for p in t["inputs"]["policies"] for g in p["permissionGroups"]]
    assert groups and all(g == {"id": "[offline stand-in]"} for g in groups)
    (production,) = [
        r
        for r in plan["resources"]
        if r["type"] == "github:index/repositoryEnvironment:RepositoryEnvironment"
        and r["inputs"]["environment"] == "production"
    ]
    assert production["inputs"]["reviewers"] == [{"teams": ["[offline stand-in]"], "users": []}]


def test_the_table_calls_the_legacy_key_a_secret_never_rotated_not_a_setting(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    lines = cli("plan", "dev").stdout.splitlines()
    legacy = next(line for line in lines if "│ BETTER_AUTH_SECRET " in line)
    cors = next(line for line in lines if "│ CORS_ORIGIN " in line)
    assert "never rotated: its date only keeps" in legacy
    assert "plain setting" not in legacy and "not rotated (plain setting)" in cors


def test_plan_in_a_process_that_runs_many_commands_leaves_the_collector_alone(cli: Any) -> None:
    # The command itself takes what it imported out of the collector's way (it ends with
    # the command); a test process that did so would keep every test's garbage.
    before = gc.get_freeze_count()
    plan_json(cli, "dev")
    assert gc.get_freeze_count() == before


@pytest.mark.parametrize("stack", STACKS)
def test_a_plan_is_the_same_whatever_order_the_resources_registered_in(stack: str) -> None:
    # Resources made side by side (slot a's and b's passwords) register in either order
    # from one run to the next; the plan a reviewer diffs must not change with it.
    result = run(stack)
    config, settings = load(stack)
    needed = missing_secrets(config, settings)
    backwards = dataclasses.replace(result, registrations=result.registrations[::-1])
    assert as_json(build_plan(backwards, settings, needed)) == as_json(
        build_plan(result, settings, needed)
    )

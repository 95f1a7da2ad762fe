"""Cloudflare on the mocks: deploy tokens, Worker secrets, Worker vars, isolation."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper.infra import cloudflare as cf
from envkeeper.offline.program import (
    PERMISSION_GROUP_CATALOGUE,
    FakeProviders,
    ProgramError,
    is_secret,
    unwrap_all,
)
from tests.conftest import STACKS
from tests.programs import (
    SHIPPED,
    changed_resources,
    environment_secrets,
    load,
    plan_json,
    run,
    set_rotation,
)

TOKEN = "cloudflare:index/accountToken:AccountToken"
WORKER_SECRET = "pulumi-python:dynamic/envkeeper:WorkerSecret"


def group_id(name: str, scope: str) -> str:
    """The id of a permission group in the stand-in data source's catalogue."""
    (found,) = [
        g["id"] for g in PERMISSION_GROUP_CATALOGUE if (name, [scope]) == (g["name"], g["scopes"])
    ]
    return found


def test_a_permission_group_cloudflare_does_not_have_is_one_line() -> None:
    catalogue = [g for g in PERMISSION_GROUP_CATALOGUE if g["name"] != "Workers Scripts Write"]
    providers = FakeProviders("generated-", "dev", permission_groups=catalogue)
    with pytest.raises(ProgramError) as excinfo:
        run("dev", providers=providers)
    message = str(excinfo.value)
    assert "Cloudflare has no permission group named 'Workers Scripts Write' for " in message
    assert "com.cloudflare.api.account on account 0a1b2c3d4e5f60718293a4b5c6d7e8f9" in message
    assert "Traceback" not in message


def test_a_group_of_the_right_name_at_another_scope_is_not_taken() -> None:
    # The data source answers with every group whose name matches; only one has the scope.
    catalogue = [
        {**g, "scopes": ["com.cloudflare.api.user"]} if g["name"] == "Workers Scripts Write" else g
        for g in PERMISSION_GROUP_CATALOGUE
    ]
    providers = FakeProviders("generated-", "dev", permission_groups=catalogue)
    with pytest.raises(ProgramError, match="no permission group named 'Workers Scripts Write'"):
        run("dev", providers=providers)


@pytest.mark.parametrize("stack", STACKS)
def test_two_deploy_tokens_scoped_to_this_account_and_zones_only(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    tokens = {t.name: t for t in result.by_type(TOKEN)}
    assert set(tokens) == {"deploy-a", "deploy-b"}
    account = settings.cloudflare.account_id
    expected = [
        {
            "effect": "allow",
            "permissionGroups": [
                {"id": group_id("Workers Scripts Write", "com.cloudflare.api.account")}
            ],
            "resources": {f"com.cloudflare.api.account.{account}": "*"},
        }
    ]
    if settings.cloudflare.zones:
        zones = {f"com.cloudflare.api.account.zone.{z}": "*" for z in settings.cloudflare.zones}
        expected.append(
            {
                "effect": "allow",
                "permissionGroups": [
                    {"id": group_id("Workers Routes Write", "com.cloudflare.api.account.zone")}
                ],
                "resources": zones,
            }
        )
    for slot, token in tokens.items():
        assert token.inputs["accountId"] == account
        policies = token.inputs["policies"]
        # Written as Cloudflare writes it back (compact JSON), or every refresh shows a
        # change to the token (the engine tests see it).
        assert all(" " not in p["resources"] for p in policies), slot
        assert [{**p, "resources": json.loads(p["resources"])} for p in policies] == expected
        resources = [json.loads(p["resources"]) for p in policies]
        assert all("*" not in key for r in resources for key in r)
        assert "condition" not in token.inputs


def test_prod_routes_only_on_its_zone() -> None:
    _, settings = load("prod")
    token = run("prod").one(TOKEN, "deploy-a")
    routes = json.loads(token.inputs["policies"][1]["resources"])
    assert list(routes) == [f"com.cloudflare.api.account.zone.{settings.cloudflare.zones[0]}"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_active_token_lives_its_policy_and_the_standby_only_its_grace(stack: str) -> None:
    _, settings = load(stack)
    slots = settings.slots("CLOUDFLARE_API_TOKEN")
    result = run(stack)
    grace = timedelta(days=settings.standby_grace_days)
    for slot in ("a", "b"):
        token = result.one(TOKEN, f"deploy-{slot}")
        if slot == slots.active:
            expires = slots.date_of(slot) + timedelta(days=180 + cf.GRACE_DAYS)
        else:  # nothing uses it once the active slot took over: it dies after the grace
            expires = slots.date_of(slots.active) + grace
        assert token.inputs["expiresOn"] == f"{expires.isoformat()}T00:00:00Z"
        assert token.replacement_trigger == slots.date_of(slot).isoformat()
        assert token.delete_before_replace is False
        # Pins the SDK behaviour envkeeper relies on: pulumi-cloudflare itself asks the
        # engine to keep a token's `value` secret (envkeeper asks too, as a second guard).
        assert is_secret(token.outputs["value"])


@pytest.mark.parametrize("stack", STACKS)
def test_the_active_slot_is_the_catalogs_cloudflare_api_token(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    active = settings.slots("CLOUDFLARE_API_TOKEN").active
    token = unwrap_all(result.one(TOKEN, f"deploy-{active}").outputs["value"])
    other = unwrap_all(
        result.one(TOKEN, f"deploy-{'b' if active == 'a' else 'a'}").outputs["value"]
    )
    secrets = environment_secrets(result, stack)
    assert secrets["CLOUDFLARE_API_TOKEN"] == token != other


def test_an_ip_allowlist_becomes_the_tokens_request_ip_condition(project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    text = path.read_text().replace(
        "    workers: [example-api-staging]\n",
        "    workers: [example-api-staging]\n    tokenIpAllowlist: [203.0.113.0/24]\n",
    )
    path.write_text(text)
    token = run("staging", project).one(TOKEN, "deploy-b")
    assert token.inputs["condition"] == {"requestIp": {"ins": ["203.0.113.0/24"]}}


@pytest.mark.parametrize("stack", STACKS)
def test_one_worker_secret_per_worker_and_worker_bound_secret_and_no_other(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    secrets = environment_secrets(result, stack)
    found = {(r.inputs["scriptName"], r.inputs["name"]): r for r in result.by_type(WORKER_SECRET)}
    worker_bound = set(SHIPPED.worker_secret_names())
    # Workers named alone get every Worker secret; prod's webhook handler gets its set only.
    expected = {(w, n) for w in settings.cloudflare.workers for n in worker_bound}
    if stack == "prod":
        narrowed = {"DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"}
        expected = {(w, n) for w, n in expected if w != "example-webhooks" or n in narrowed}
    assert set(found) == expected
    for (worker, name), reg in found.items():
        assert is_secret(reg.inputs["text"]), (worker, name)
        assert unwrap_all(reg.inputs["text"]) == secrets[name]
        assert reg.inputs["accountId"] == settings.cloudflare.account_id
        assert reg.inputs["environment"] == settings.environment.value
        assert "text" in reg.additional_secret_outputs
    assert "CORS_ORIGIN" not in {name for _, name in found}


def test_worker_secrets_of_two_environments_never_share_a_worker() -> None:
    targets = {
        stack: {
            (r.inputs["accountId"], r.inputs["scriptName"])
            for r in run(stack).by_type(WORKER_SECRET)
        }
        for stack in STACKS
    }
    assert not targets["dev"] & targets["staging"]
    assert not targets["dev"] & targets["prod"]
    assert not targets["staging"] & targets["prod"]


@pytest.mark.parametrize("stack", STACKS)
def test_bumping_one_token_slot_replaces_that_token_and_shortens_the_other(
    project: Path, stack: str
) -> None:
    _, settings = load(stack, project)
    slots = settings.slots("CLOUDFLARE_API_TOKEN")
    older, active = slots.inactive, slots.active
    before = run(stack, project)
    set_rotation(project, stack, "CLOUDFLARE_API_TOKEN", {older: "2026-11-27"})
    after = run(stack, project)
    # The token, the GitHub environment secret that carries the active one, the record of
    # the day slots switched, and the formerly active token, which is now the standby:
    # only its expiry changes. And every Worker secret, put again (the old token could
    # have overwritten any of them unseen).
    assert changed_resources(before, after) == {
        f"deploy-{older}",
        "CLOUDFLARE_API_TOKEN",
        "cloudflare-api-token-switch",
        f"deploy-{active}",
        *cf.worker_secret_resources(settings),
    }
    old_standby, new_standby = (r.one(TOKEN, f"deploy-{active}") for r in (before, after))
    assert {k for k in new_standby.inputs if new_standby.inputs[k] != old_standby.inputs[k]} == {
        "expiresOn"
    }
    assert new_standby.inputs["expiresOn"] == "2026-12-04T00:00:00Z"  # 2026-11-27 + 7 days
    assert new_standby.replacement_trigger == old_standby.replacement_trigger
    old, new = environment_secrets(before, stack), environment_secrets(after, stack)
    assert {k for k in new if new[k] != old[k]} == {"CLOUDFLARE_API_TOKEN"}
    assert new["CLOUDFLARE_API_TOKEN"] == unwrap_all(
        after.one(TOKEN, f"deploy-{older}").outputs["value"]
    )


def test_wrangler_vars_are_a_plain_stack_output_and_a_command(cli: Any) -> None:
    result = run("prod")
    assert result.stack_outputs["wranglerVars"] == {
        "CORS_ORIGIN": "https://app.example.com,https://www.example.com"
    }
    out = cli("wrangler-vars", "prod")
    assert out.exit_code == 0
    assert out.stdout == (
        '[env.production.vars]\nCORS_ORIGIN = "https://app.example.com,https://www.example.com"\n'
    )
    as_json = json.loads(cli("wrangler-vars", "dev", "--format", "json").stdout)
    assert as_json == {"vars": {"CORS_ORIGIN": "http://localhost:3001"}}


def test_a_worker_claimed_by_two_stacks_is_refused(cli: Any, project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    _, dev = load("dev", project)
    _, staging = load("staging", project)
    text = path.read_text().replace("example-api-staging", "example-api-dev")
    path.write_text(text.replace(staging.cloudflare.account_id, dev.cloudflare.account_id))
    result = cli("validate", "staging")
    assert result.exit_code == 2
    assert any(
        line.endswith(
            "envkeeper:cloudflare.workers: example-api-dev also belongs to stack dev; "
            "give each environment its own"
        )
        for line in result.stderr.splitlines()
    )


def test_a_bad_ip_allowlist_is_named(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text().replace(
            "    workers: [example-api-dev]\n",
            "    workers: [example-api-dev]\n    tokenIpAllowlist: [everywhere]\n",
        )
    )
    result = cli("validate", "dev")
    assert result.exit_code == 2
    assert "envkeeper:cloudflare.tokenIpAllowlist[0]: is not a network" in result.stderr


def test_two_stacks_on_one_cloudflare_account_are_refused(cli: Any, project: Path) -> None:
    staging = project / "Pulumi.staging.yaml"
    _, dev = load("dev", project)
    _, mine = load("staging", project)
    staging.write_text(
        staging.read_text().replace(mine.cloudflare.account_id, dev.cloudflare.account_id)
    )
    result = cli("validate", "staging")
    assert result.exit_code == 2
    (only,) = result.stderr.splitlines()
    assert only.endswith(
        f"envkeeper:cloudflare.accountId: {dev.cloudflare.account_id} also belongs to stack dev; "
        "give each environment its own (deploy tokens reach every Worker of an account)"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_one_workers_secrets_are_put_one_after_another(stack: str) -> None:
    # Each put deploys a Worker version; a dozen at once against one script collide.
    result = run(stack)
    by_worker: dict[str, list[Any]] = {}
    for secret in result.by_type(WORKER_SECRET):
        by_worker.setdefault(secret.inputs["scriptName"], []).append(secret)
    assert by_worker
    for worker, secrets in by_worker.items():
        mine = {s.urn for s in secrets}
        for before, after in itertools.pairwise(secrets):
            assert before.urn in after.dependencies, (worker, after.name)
        # Other Workers' secrets are not waited for.
        others = {s.urn for s in result.by_type(WORKER_SECRET)} - mine
        assert not others & {d for s in secrets for d in s.dependencies}


def narrow(project: Path, entry: str) -> Path:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("workers: [example-api-dev]", f"workers: [{entry}]"))
    return path


def test_a_worker_with_a_secret_set_receives_exactly_those(cli: Any, project: Path) -> None:
    narrow(project, "{name: example-api-dev, secrets: [STRIPE_WEBHOOK_SECRET, DATABASE_URL]}")
    result = run("dev", project)
    held = sorted(r.inputs["name"] for r in result.by_type(WORKER_SECRET))
    assert held == ["DATABASE_URL", "STRIPE_WEBHOOK_SECRET"]
    plan = plan_json(cli, "dev")
    goes = {s["name"]: [d["target"] for d in s["destinations"]] for s in plan["secrets"]}
    assert goes["DATABASE_URL"] == ["example-api-dev"]
    assert goes["BETTER_AUTH_SECRET"] == []  # declared for Workers; this one does not hold it
    mermaid = cli("plan", "dev", "--format", "mermaid").stdout
    assert "sec_STRIPE_WEBHOOK_SECRET --> dst_worker_secret_example_api_dev" in mermaid
    assert "sec_BETTER_AUTH_SECRET --> dst_worker_secret_example_api_dev" not in mermaid


def test_the_prod_plan_shows_the_webhook_handler_holding_only_its_secrets(cli: Any) -> None:
    plan = plan_json(cli, "prod")
    held = sorted(
        r["inputs"]["name"]
        for r in plan["resources"]
        if r["type"] == WORKER_SECRET and r["inputs"]["scriptName"] == "example-webhooks"
    )
    assert held == ["DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]


@pytest.mark.parametrize(
    ("entry", "key", "fix"),
    [
        (
            "{name: example-api-dev, secrets: [OPENAI_KEY]}",
            "envkeeper:cloudflare.workers.example-api-dev.secrets[0]",
            "is not a secret in the catalog; use some of: DATABASE_URL",
        ),
        (
            "{name: example-api-dev, secrets: [MIGRATION_DATABASE_URL]}",
            "envkeeper:cloudflare.workers.example-api-dev.secrets[0]",
            "MIGRATION_DATABASE_URL is a secret that is not delivered to Workers",
        ),
        (
            "example-api-dev, {name: example-api-dev, secrets: [DATABASE_URL]}",
            "envkeeper:cloudflare.workers",
            "Worker 'example-api-dev' is listed twice; list it once",
        ),
        (
            "{name: example-api-dev, secret: [DATABASE_URL]}",
            "envkeeper:cloudflare.workers.example-api-dev",
            "a Worker is a name, or {name: example-webhooks, secrets: [STRIPE_SECRET_KEY",
        ),
        (
            "{name: example-api-dev, secrets: [DATABASE_URL, DATABASE_URL]}",
            "envkeeper:cloudflare.workers.example-api-dev.secrets",
            "secret 'DATABASE_URL' is listed twice; list it once",
        ),
    ],
)
def test_a_bad_worker_entry_is_one_line_naming_key_and_fix(
    cli: Any, project: Path, entry: str, key: str, fix: str
) -> None:
    path = narrow(project, entry)
    before = path.read_bytes()
    result = cli("validate", "dev")
    assert result.exit_code == 2
    (only,) = result.stderr.splitlines()
    assert f": {key}: " in only and fix in only, only
    assert "Traceback" not in result.output
    assert path.read_bytes() == before

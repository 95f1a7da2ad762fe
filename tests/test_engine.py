"""The real program (`__main__.py`) under the real Pulumi engine, whole.

The CLI, the language host, the random, postgresql, github and cloudflare provider plugins
and envkeeper's dynamic providers all run for real, with a file backend. The stack is
production's shipped file, adopting its Neon project: the owner URL points at a throwaway
PostgreSQL 15 (with TLS, as every URL envkeeper hands out requires it), so no Neon API is
needed. Cloudflare, GitHub, Resend and Stripe are local stand-ins (tests/*_api.py); the
providers reach them through `cloudflare:baseUrl`, `github:baseUrl` and the SDKs' own
settings. A stack that creates its Neon project instead runs in tests/test_engine_neon.py.

The tests share one stack, deployed once, and run in the order a team's deploys would go:
the first `up`, nothing to do the second time, a rotation of each kind (each previewed
against the blast radius envkeeper predicts for it, then applied), the policy pack, and
`destroy`. Each also runs alone (`pytest -m engine -k NAME`): the `deployment` fixture
deploys the stack first when no test before it did, and again after a test that failed
halfway, so a rerun of one failing test fails the same way.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from envkeeper.config.clock import utc_today
from envkeeper.guards.approved_plan import differing
from envkeeper.infra import cloudflare as cf
from envkeeper.rotation.incident import changed_by, plan_emergency
from envkeeper.rotation.schedule import dependents
from envkeeper.stack.catalog import Destination
from envkeeper.stack.settings import Settings, SlotDates
from envkeeper.vendors.resend import resend_key_name
from tests.conftest import Cli, said
from tests.declared_project import edit_yaml
from tests.engine import ROOT, Workspace, engine_or_skip
from tests.engine_stack import (
    ACCOUNT,
    API,
    CONFIG_SECRETS,
    ENVIRONMENT,
    OWNER_PASSWORD,
    STACK,
    TEAM_ID,
    WEBHOOKS,
    ZONE,
    Vendors,
    neon_like_database,
    prepared_workspace,
    running_vendors,
)
from tests.pgserver import Server, required_bindir, superuser
from tests.programs import load, set_rotation
from tests.role_checks import (
    migrate,
    migrator_may_exactly,
    reaches_no_other_database,
    readonly_may_exactly,
    runtime_may_exactly,
)
from tests.standin import Fault

pytestmark = pytest.mark.engine

# The ciphertext marker of a secret value in Pulumi's state.
SECRET_SIG = "4dabf18193072939515e22adb298388d"


@pytest.fixture(scope="module")
def engine() -> Path:
    return engine_or_skip()


@pytest.fixture(scope="module")
def database() -> Iterator[tuple[Server, str]]:
    with neon_like_database(required_bindir()) as found:
        yield found


@pytest.fixture(scope="module")
def vendors() -> Iterator[Vendors]:
    with running_vendors() as found:
        yield found


@dataclass
class Deployment:
    ws: Workspace
    server: Server
    owner_url: str
    vendors: Vendors
    # Whether the stack holds what its file says, CI's first migration included.
    deployed: bool = False
    broken: str | None = None  # the test in which deploying it failed

    def settings(self) -> Settings:
        return load(STACK, self.ws.project)[1]

    def cli(self, *args: str) -> Any:
        return Cli(self.ws.project)(*args)

    def up(self, *extra: str) -> None:
        self.ws.run("up", "--yes", "--skip-preview", *extra)

    def preview(self, *extra: str) -> dict[str, str]:
        """The resource name -> operation of every step `pulumi preview` would take."""
        done = self.ws.json("preview", "--diff", *extra)
        return {s["urn"].rsplit("::", 1)[1]: s["op"] for s in done["steps"] if s["op"] != "same"}

    def export(self) -> str:
        return self.ws.run("stack", "export").stdout

    def worker_secret(self, worker: str, name: str) -> str:
        return self.vendors.cloudflare.secrets[(worker, name)]

    def github_secrets(self) -> dict[str, str]:
        return self.vendors.github.environments[ENVIRONMENT].secrets

    def login(self, url: str, dbname: str | None = None) -> psycopg.Connection:
        """Log in with a URL as the Worker or CI would, on the local server: its own user,
        password, database (or `dbname`), port and sslmode; only the host is resolved here."""
        if dbname:
            url = urlunsplit(urlsplit(url)._replace(path=f"/{dbname}"))
        return psycopg.connect(url, hostaddr="127.0.0.1", autocommit=True, connect_timeout=5)


@pytest.fixture(scope="module")
def shared_stack(
    engine: Path,
    database: tuple[Server, str],
    vendors: Vendors,
    tmp_path_factory: pytest.TempPathFactory,
) -> Deployment:
    """The one stack every engine test works on; deployed by `deployment`."""
    server, owner_url = database
    ws = prepared_workspace(engine, tmp_path_factory.mktemp("engine"), vendors, owner_url)
    # Resend's slot b took over three days ago: its standby key still has days of grace.
    set_rotation(ws.project, STACK, "RESEND_API_KEY", {"a": days_ago(40), "b": days_ago(3)})
    return Deployment(ws, server, owner_url, vendors)


def first_migration(deployment: Deployment) -> None:
    """CI's first migration, with the URL CI was given: the table the login checks use."""
    migrator = deployment.github_secrets()["MIGRATION_DATABASE_URL"]
    with deployment.login(migrator) as conn:
        migrate(conn)


@pytest.fixture
def deployment(shared_stack: Deployment, request: pytest.FixtureRequest) -> Iterator[Deployment]:
    """The shared stack, deployed as its file says: the first test that asks deploys it,
    so any test also runs alone. A test that fails halfway may leave it between two states
    (a date bumped and not applied, a secret deleted by hand): the next test deploys it
    again, refreshed, rather than fail for a reason of the one before."""
    if shared_stack.broken:
        pytest.fail(f"the shared stack could not be deployed (in {shared_stack.broken})")
    if not shared_stack.deployed:
        try:
            shared_stack.up("--refresh")
            first_migration(shared_stack)
        except Exception:
            shared_stack.broken = request.node.nodeid  # the rest fail fast, naming it
            raise
        shared_stack.deployed = True
    failed_before = request.session.testsfailed
    yield shared_stack
    if request.session.testsfailed > failed_before:
        shared_stack.deployed = False


def days_ago(days: int) -> str:
    return (utc_today() - timedelta(days=days)).isoformat()


def test_up_makes_every_login_and_delivers_each_url_that_can_do_exactly_its_job(
    deployment: Deployment,
) -> None:
    settings = deployment.settings()
    cloudflare, github = deployment.vendors.cloudflare, deployment.vendors.github

    # Every Worker holds exactly its set; GitHub holds the CI secrets and the variable.
    held: dict[str, set[str]] = {}
    for worker, name in cloudflare.secrets:
        held.setdefault(worker, set()).add(name)
    assert held == {w: set(settings.cloudflare.secrets_of(w)) for w in settings.cloudflare.workers}
    assert set(deployment.github_secrets()) == set(
        settings.catalog.delivered_to(Destination.GITHUB_SECRET)
    )
    assert github.environments[ENVIRONMENT].variables == {"CLOUDFLARE_ACCOUNT_ID": ACCOUNT}
    # The deploy token CI holds is the active slot's, as Cloudflare minted it.
    assert deployment.github_secrets()["CLOUDFLARE_API_TOKEN"] in cloudflare.token_values().values()

    runtime = deployment.worker_secret(API, "DATABASE_URL")
    assert deployment.worker_secret(WEBHOOKS, "DATABASE_URL") == runtime
    readonly = deployment.worker_secret(API, "DATABASE_URL_READONLY")
    migrator = deployment.github_secrets()["MIGRATION_DATABASE_URL"]
    active = settings.slots("DATABASE_URL").active
    for url, user, host in (
        (runtime, f"app_runtime_{active}", "pooled"),
        (readonly, "app_readonly", "pooled"),
        (migrator, "app_migrator", "direct"),
    ):
        assert ("-pooler" in url) == (host == "pooled"), f"{user} must use the {host} host"
        with deployment.login(url) as conn:
            assert conn.execute("SELECT session_user").fetchone() == (user,)
            assert conn.info.pgconn.ssl_in_use

    # CI's first migration ran with the URL CI was given; then what each login may do.
    with deployment.login(migrator) as conn:
        assert conn.execute("SELECT name FROM app.items").fetchall() == [("first",)]
        migrator_may_exactly(conn)
    with deployment.login(runtime) as conn:
        runtime_may_exactly(conn)
    with deployment.login(readonly) as conn:
        readonly_may_exactly(conn)
    # No URL reaches the owner's own database (Neon's neondb), nor makes TEMP tables there.
    for url in (runtime, readonly, migrator):
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            deployment.login(url, dbname="neondb")
        with deployment.login(url) as conn:
            reaches_no_other_database(conn, "neondb")


def every_secret_value(deployment: Deployment) -> list[str]:
    """Every secret value the stack holds or handed out: config, what the vendors minted
    and received, the database passwords inside the URLs."""
    v = deployment.vendors
    values = [*CONFIG_SECRETS.values(), deployment.owner_url, OWNER_PASSWORD]
    values += list(v.cloudflare.secrets.values()) + list(v.cloudflare.token_values().values())
    values += list(deployment.github_secrets().values())
    values += list(v.resend.tokens().values()) + list(v.stripe.secrets().values())
    for url in [*v.cloudflare.secrets.values(), *deployment.github_secrets().values()]:
        if url.startswith("postgresql://"):
            values.append(url.split(":", 2)[2].split("@", 1)[0])  # the password
    # Better Auth's versioned list and each secret in it.
    values += [
        part.split(":", 1)[1]
        for part in v.cloudflare.secrets[(API, "BETTER_AUTH_SECRETS")].split(",")
    ]
    return [value for value in values if value]


def test_the_state_and_the_stack_file_hold_no_secret_in_clear(deployment: Deployment) -> None:
    exported = deployment.export()
    stack_text = (deployment.ws.project / f"Pulumi.{STACK}.yaml").read_text()
    for value in every_secret_value(deployment):
        assert value not in exported
        assert value not in stack_text
    assert "CANARY" not in exported and "CANARY" not in stack_text
    state = json.loads(exported)["deployment"]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for resource in state["resources"]:
        by_type.setdefault(resource["type"], []).append(resource)
    secret_outputs = {
        "random:index/randomPassword:RandomPassword": "result",
        "cloudflare:index/accountToken:AccountToken": "value",
        "pulumi-python:dynamic/envkeeper:WorkerSecret": "text",
        "pulumi-python:dynamic/envkeeper:ResendApiKey": "token",
        "pulumi-python:dynamic/envkeeper:StripeWebhookEndpoint": "secret",
        "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": "value",
        "pulumi-python:dynamic/envkeeper:LoginSessions": "password",
    }
    # RandomBytes' id would be its value, in clear: generated secrets never use it.
    assert "random:index/randomBytes:RandomBytes" not in by_type
    for kind, field in secret_outputs.items():
        assert by_type.get(kind), f"no {kind} in the state"
        for resource in by_type[kind]:
            assert SECRET_SIG in resource["outputs"][field], f"{resource['urn']} {field}"
    # Each dynamic provider is pickled into the state by reference, with no key inside.
    for kind in (k for k in by_type if k.startswith("pulumi-python:dynamic/")):
        for resource in by_type[kind]:
            provider = base64.b64decode(resource["outputs"]["__provider"])
            assert b"components." in provider and len(provider) < 2048
            assert b"CANARY" not in provider


def test_nothing_changes_the_second_time_not_even_after_a_refresh(deployment: Deployment) -> None:
    deployment.vendors.changes()
    deployment.ws.run("preview", "--refresh", "--expect-no-changes")
    deployment.up("--refresh")
    assert deployment.preview() == {}
    assert deployment.vendors.changes() == []


def test_github_holds_production_with_its_protection(deployment: Deployment) -> None:
    env = deployment.vendors.github.environments[ENVIRONMENT]
    assert env.reviewers == [{"type": "Team", "id": TEAM_ID}]
    assert env.prevent_self_review is True
    assert env.can_admins_bypass is False
    assert env.branch_policy == {"protected_branches": False, "custom_branch_policies": True}
    assert [p["name"] for p in env.branch_policies.values()] == ["main"]


def test_a_standby_resend_key_is_deleted_once_its_grace_is_over(
    deployment: Deployment, tmp_path: Path
) -> None:
    # Resend keys never expire. With a one-day grace, slot a's standby key (superseded
    # three days ago) is past its end: the daily drift check says so, the deploy deletes it.
    resend = deployment.vendors.resend
    assert len(resend.keys) == 2
    slot_a = resend_key_name(deployment.settings(), "a")
    standby = next(k for k, v in resend.keys.items() if v["name"] == slot_a)
    path = deployment.ws.project / f"Pulumi.{STACK}.yaml"
    edit_yaml(path, lambda doc: doc["config"].update({"envkeeper:standbyGraceDays": 1}))
    done = deployment.ws.run(
        "preview", "--refresh", "--expect-no-changes", "--diff", "--json", check=False
    )
    assert done.returncode != 0
    preview = tmp_path / "preview.json"
    preview.write_text(done.stdout)
    report = deployment.cli("drift-report", str(preview), "--stack", STACK)
    assert "`resend-a`" in report.stdout and "retire a standby credential" in report.stdout

    deployment.vendors.changes()
    deployment.up()
    calls = [(c.vendor, c.method) for c in deployment.vendors.changes()]
    assert ("resend", "DELETE") in calls and ("resend", "POST") not in calls
    assert standby not in resend.keys and len(resend.keys) == 1
    # The usual grace again: a standby already dead stays dead, nothing comes back.
    edit_yaml(path, lambda doc: doc["config"].pop("envkeeper:standbyGraceDays"))
    assert "resend-a" not in deployment.preview()
    deployment.up()
    assert len(resend.keys) == 1


def bump(deployment: Deployment, name: str, *extra: str) -> tuple[Settings, str | None]:
    """`envkeeper rotation bump STACK NAME`, as a person runs it; the settings before it
    and the slot it moved."""
    before = deployment.settings()
    done = deployment.cli("rotation", "bump", STACK, name, *extra)
    assert done.exit_code == 0, done.output
    current = before.rotation[name]
    return before, current.inactive if isinstance(current, SlotDates) else None


def predicted(before: Settings, name: str, slot: str | None, new: date | None = None) -> set[str]:
    return dependents(before, name, {slot} if slot else None, new or utc_today())


def valid_until(deployment: Deployment, login: str) -> date | None:
    with superuser(deployment.server) as conn:
        found = conn.execute(
            "SELECT rolvaliduntil FROM pg_roles WHERE rolname = %s", (login,)
        ).fetchone()
    assert found is not None
    return found[0].astimezone(UTC).date() if found[0] else None


def test_a_bump_merged_ten_days_after_its_date_leaves_the_old_login_its_whole_grace(
    deployment: Deployment,
) -> None:
    # Written ten days ago, merged and deployed today: the login every Worker still holds
    # keeps working for the grace from today, not from the date written.
    standby_url = deployment.worker_secret(API, "DATABASE_URL")
    written = utc_today() - timedelta(days=10)
    before, slot = bump(deployment, "DATABASE_URL", "--date", written.isoformat())
    active = before.slots("DATABASE_URL").active
    steps = deployment.preview()
    assert set(steps) == predicted(before, "DATABASE_URL", slot, written)
    assert steps[f"app_runtime_{slot}-password"] == "replace"
    assert steps[f"app_runtime_{slot}"] == "update"  # the login keeps its grants
    assert steps[f"app_runtime_{active}"] == "update"  # valid_until
    assert steps["database-url-switch"] == "update"  # the day of the switch: today
    assert {n for n, op in steps.items() if op == "replace"} == {f"app_runtime_{slot}-password"}

    # A Worker on the old URL keeps its connection and can still open new ones.
    worker = deployment.login(standby_url)
    deployment.up()
    assert valid_until(deployment, f"app_runtime_{active}") == utc_today() + timedelta(days=7)
    assert worker.execute("SELECT count(*) FROM app.items").fetchone() == (1,)
    worker.close()
    with deployment.login(standby_url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    new_url = deployment.worker_secret(API, "DATABASE_URL")
    assert new_url != standby_url
    with deployment.login(new_url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (f"app_runtime_{slot}",)
        runtime_may_exactly(conn)


def test_a_reverted_bump_is_refused_at_preview_and_at_deploy(deployment: Deployment) -> None:
    slots = deployment.settings().slots("DATABASE_URL")
    active, standby = slots.active, slots.inactive
    path = deployment.ws.project / f"Pulumi.{STACK}.yaml"
    kept = path.read_text()
    # What a `git revert` of the last bump does: the slot it moved goes back before the
    # other, which becomes active again, though an older one than the one deployed.
    back = (slots.date_of(standby) - timedelta(days=1)).isoformat()
    set_rotation(deployment.ws.project, STACK, "DATABASE_URL", {active: back})
    deployment.vendors.changes()
    try:
        runs = [
            deployment.ws.run("preview", check=False),
            deployment.ws.run("up", "--yes", check=False),
        ]
    finally:
        path.write_text(kept)
    for run in runs:
        assert run.returncode != 0
        assert f"undoes a rotation and brings slot {standby}'s retired credential back" in (
            run.stdout
        )
        assert f"Give slot {active} back its date {slots.date_of(active)}" in run.stdout
    assert deployment.vendors.changes() == []
    assert deployment.preview() == {}  # undone: as deployed


def test_emergency_and_up_end_the_sessions_of_a_leaked_url(deployment: Deployment) -> None:
    leaked_url = deployment.worker_secret(API, "DATABASE_URL")
    login = urlsplit(leaked_url).username
    leaked = deployment.login(leaked_url)
    # The attacker's session locks the Workers out, keeping a password of its own.
    leaked.execute(f"ALTER ROLE {login} PASSWORD 'CANARY-attacker-5e1d'".encode())
    before = deployment.settings()

    done = deployment.cli("emergency", STACK, "--secret", "DATABASE_URL")
    assert done.exit_code == 0, done.output
    steps = deployment.preview()
    planned = plan_emergency(STACK, before, ["DATABASE_URL"], utc_today()).changes
    expected = {name for change in planned for name in changed_by(before, change)}
    assert set(steps) == expected
    assert steps["app_runtime_a-sessions"] == steps["app_runtime_b-sessions"] == "update"
    deployment.up()

    with pytest.raises(psycopg.OperationalError):
        leaked.execute("SELECT 1")  # ended, after the new URL reached the Workers
    for password in ("CANARY-attacker-5e1d", urlsplit(leaked_url).password or ""):
        with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
            deployment.login(leaked_url.replace(urlsplit(leaked_url).password or "", password))
    new_url = deployment.worker_secret(API, "DATABASE_URL")
    assert deployment.worker_secret(WEBHOOKS, "DATABASE_URL") == new_url != leaked_url
    with deployment.login(new_url) as conn:
        runtime_may_exactly(conn)
    assert deployment.preview() == {}


def test_bumping_the_deploy_token_makes_the_new_one_before_deleting_the_old(
    deployment: Deployment,
) -> None:
    cloudflare = deployment.vendors.cloudflare
    old = cloudflare.token_values()
    before, slot = bump(deployment, "CLOUDFLARE_API_TOKEN")
    steps = deployment.preview()
    assert set(steps) == predicted(before, "CLOUDFLARE_API_TOKEN", slot)
    assert steps[f"deploy-{slot}"] == "replace"
    assert steps[f"deploy-{before.slots('CLOUDFLARE_API_TOKEN').active}"] == "update"
    assert steps["CLOUDFLARE_API_TOKEN"] == "update"

    deployment.vendors.changes()
    deployment.up()
    calls = [(c.vendor, c.method) for c in deployment.vendors.changes()]
    (made,) = set(cloudflare.token_values()) - set(old)
    (gone,) = set(old) - set(cloudflare.token_values())
    assert calls.index(("cloudflare", "POST")) < calls.index(("github", "PUT"))
    assert calls.index(("github", "PUT")) < calls.index(("cloudflare", "DELETE"))
    assert deployment.github_secrets()["CLOUDFLARE_API_TOKEN"] == cloudflare.tokens[made]["value"]
    assert gone != made


def test_after_the_deploy_token_rotates_every_worker_secret_is_put_again(
    deployment: Deployment,
) -> None:
    # Written from the attacker's side: the holder of a leaked deploy token (Workers Scripts
    # Write) overwrote Worker secrets whose values no rotation changes, the legacy
    # BETTER_AUTH_SECRET among them. Cloudflare never returns a secret's value, so neither
    # drift nor a refresh can see it; the emergency's up puts every one again.
    cloudflare = deployment.vendors.cloudflare
    targets = cf.worker_secret_targets(deployment.settings())
    original = {target: cloudflare.secrets[target] for target in targets}
    tampered = [(API, "BETTER_AUTH_SECRET"), (API, "STRIPE_SECRET_KEY")]
    for target in tampered:
        assert target in original
        cloudflare.secrets[target] = "CANARY-attacker-overwrite-5e1d"

    done = deployment.cli("emergency", STACK, "--secret", "CLOUDFLARE_API_TOKEN")
    assert done.exit_code == 0, done.output
    steps = deployment.preview()
    assert {steps.get(cf.worker_secret_resource(*t)) for t in targets} == {"update"}
    deployment.up()

    for target in tampered:
        assert cloudflare.secrets[target] == original[target], target
    assert deployment.preview() == {}


def test_the_attackers_worker_code_is_named_by_the_drift_check_and_the_emergency(
    deployment: Deployment,
) -> None:
    # Written from the attacker's side: with a leaked deploy token (Workers Scripts Write,
    # Workers Routes Write) they upload and deploy code of their own on the API Worker, and
    # route the zone's login path to it. The Worker secret puts of the last up recorded
    # every version, deployment and route they saw; what came after is named, by id.
    cloudflare, ws = deployment.vendors.cloudflare, deployment.ws
    deployment.up()
    clean = ws.envkeeper("orphans", STACK, "--format", "json")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert json.loads(clean.stdout)["unrecorded"] == []
    assert json.loads(clean.stdout)["not_yet_recorded"] == []

    version = cloudflare.upload(API, source="api")
    evil = [version, cloudflare.deploy(API, version),
            cloudflare.add_route(ZONE, "example.com/login*", API)]  # fmt: skip

    # The daily drift job's check, as it runs it.
    drift = ws.envkeeper("orphans", STACK, "--format", "markdown")
    assert drift.returncode == 1, drift.stdout + drift.stderr
    assert all(f"`{i}`" in drift.stdout for i in evil)
    # The incident playbook, asked to look (a dry run: the dates stay as they are).
    playbook = ws.envkeeper("emergency", STACK, "--vendors", "--dry-run")
    assert playbook.returncode == 0, playbook.stdout + playbook.stderr
    flat = " ".join(playbook.stdout.split())
    assert all(i in flat for i in evil)
    assert "CANARY" not in drift.stdout + playbook.stdout

    # The playbook's steps: redeploy from a trusted commit, delete the route nobody made;
    # then the up puts every secret again and records what is there now.
    cloudflare.deploy(API, cloudflare.upload(API))
    cloudflare.worker_routes[ZONE] = [
        r for r in cloudflare.worker_routes[ZONE] if r["id"] != evil[2]
    ]
    # The token is re-minted in place, as the playbook says when an earlier emergency of
    # the same day already moved its date: its new id alone puts every Worker secret again.
    assert deployment.cli("emergency", STACK, "--secret", "CLOUDFLARE_API_TOKEN").exit_code == 0
    resources = json.loads(deployment.export())["deployment"]["resources"]
    active = deployment.settings().slots("CLOUDFLARE_API_TOKEN").active
    (token,) = [r["urn"] for r in resources if r["urn"].endswith(f"::{cf.token_resource(active)}")]
    before = len(cloudflare.requests)
    deployment.up("--replace", token)
    puts = [
        c.path
        for c in cloudflare.requests[before:]
        if c.method == "PUT" and c.path.endswith("/secrets")
    ]
    assert len(puts) == len(cf.worker_secret_targets(deployment.settings())), puts
    after = ws.envkeeper("orphans", STACK, "--format", "json")
    assert after.returncode == 0, after.stdout + after.stderr
    assert json.loads(after.stdout)["unrecorded"] == []


@pytest.mark.parametrize(
    "name",
    ["DATABASE_URL_READONLY", "BETTER_AUTH_SECRETS", "RESEND_API_KEY", "SESSION_SIGNING_KEY",
     "STRIPE_WEBHOOK_SECRET"],
)  # fmt: skip
def test_each_rotation_changes_exactly_its_predicted_blast_radius(
    deployment: Deployment, name: str
) -> None:
    settings = deployment.settings()
    carriers = [
        (w, name) for w in settings.cloudflare.workers if name in settings.cloudflare.secrets_of(w)
    ]
    old = {target: deployment.worker_secret(*target) for target in carriers}
    old_github = deployment.github_secrets().get(name)
    retired = {  # standby keys retired at their end: no key at Resend to delete any more
        r["urn"].rsplit("::", 1)[1]
        for r in json.loads(deployment.export())["deployment"]["resources"]
        if (r.get("outputs") or {}).get("retired")
    }
    before, slot = bump(deployment, name)
    steps = deployment.preview()
    assert set(steps) == predicted(before, name, slot)
    # A Resend slot whose key was retired at its end is replaced too; its delete is a no-op.
    assert all(op in ("replace", "update", "create") for op in steps.values())

    deployment.vendors.changes()
    deployment.up()
    calls = deployment.vendors.changes()
    for target, value in old.items():
        assert deployment.worker_secret(*target) != value, target
    if old_github is not None:
        assert deployment.github_secrets()[name] != old_github
    if name in MINTED_AT:
        # The new credential exists before any Worker gets it; the old one dies last.
        vendor = MINTED_AT[name]
        made = [c.seq for c in calls if c.vendor == vendor and c.method == "POST"]
        gone = [c.seq for c in calls if c.vendor == vendor and c.method == "DELETE"]
        puts = [c.seq for c in calls if c.vendor == "cloudflare" and c.method == "PUT"]
        assert len(made) == 1 and puts and made[0] < min(puts)
        replaced = steps.get(f"resend-{slot}") != "create" and f"resend-{slot}" not in retired
        assert len(gone) == (1 if replaced else 0)
        assert all(max(puts) < seq for seq in gone)
    assert deployment.preview() == {}


def test_autopilot_writes_up_exactly_what_the_next_up_changes(deployment: Deployment) -> None:
    # Rotated long ago and deployed that way; then the weekly autopilot runs.
    long_ago = (utc_today() - timedelta(days=400)).isoformat()
    older = (utc_today() - timedelta(days=500)).isoformat()
    for name in ("DATABASE_URL_READONLY", "MIGRATION_DATABASE_URL", "SESSION_SIGNING_KEY"):
        set_rotation(deployment.ws.project, STACK, name, long_ago)
    set_rotation(deployment.ws.project, STACK, "BETTER_AUTH_SECRETS", {"a": older, "b": long_ago})
    deployment.up()

    done = deployment.cli("rotation", "autopilot", STACK, "--within", "0", "--format", "json")
    assert done.exit_code == 0, done.output
    proposal = json.loads(done.stdout)
    assert {r["name"] for r in proposal["rotated"]} == {
        "DATABASE_URL_READONLY",
        "MIGRATION_DATABASE_URL",
        "SESSION_SIGNING_KEY",
        "BETTER_AUTH_SECRETS",
    }
    written = {name for r in proposal["rotated"] for name in r["blast_radius"]}
    steps = deployment.preview()
    assert set(steps) == written
    deployment.up()
    assert deployment.preview() == {}


# Where the credential behind a secret is minted, for those envkeeper mints at a vendor.
MINTED_AT = {"RESEND_API_KEY": "resend", "STRIPE_WEBHOOK_SECRET": "stripe"}


def test_a_worker_secret_deleted_by_hand_is_put_back_by_up_with_refresh(
    deployment: Deployment,
) -> None:
    # What the deploy workflow runs (refresh: true). A plain `up` compares the state only.
    cloudflare = deployment.vendors.cloudflare
    value = cloudflare.secrets.pop((API, "STRIPE_SECRET_KEY"))
    deployment.vendors.changes()
    deployment.up()
    assert deployment.vendors.changes() == []
    deployment.up("--refresh")
    assert [(c.method, c.body["name"]) for c in deployment.vendors.changes()] == [
        ("PUT", "STRIPE_SECRET_KEY")
    ]
    assert cloudflare.secrets[(API, "STRIPE_SECRET_KEY")] == value


def test_a_refreshed_preview_names_what_changed_by_hand_and_never_a_value(
    deployment: Deployment, tmp_path: Path
) -> None:
    # What the drift workflow runs: a preview that refreshes first and expects no change.
    v = deployment.vendors
    v.cloudflare.secrets.pop((API, "RESEND_API_KEY"))  # deleted in the dashboard
    (endpoint,) = v.stripe.endpoints.values()
    endpoint["enabled_events"] = [*endpoint["enabled_events"], "charge.refunded"]
    done = deployment.ws.run(
        "preview", "--refresh", "--expect-no-changes", "--diff", "--json", check=False
    )
    assert done.returncode != 0
    preview = tmp_path / "preview.json"
    preview.write_text(done.stdout)

    report = deployment.cli("drift-report", str(preview), "--stack", STACK)

    assert report.exit_code == 1
    ops = {
        row.split("`")[1]: row.split(" | ")[2]
        for row in report.stdout.splitlines()
        if row.startswith("| `")
    }
    # What was touched by hand, then what depends on it (the endpoint's Worker secrets).
    assert ops[f"{API}-RESEND_API_KEY"] == "create" and ops["stripe-webhook"] == "update"
    assert set(ops) <= {
        f"{API}-RESEND_API_KEY",
        "stripe-webhook",
        f"{API}-STRIPE_WEBHOOK_SECRET",
        f"{WEBHOOKS}-STRIPE_WEBHOOK_SECRET",
    }
    for value in every_secret_value(deployment):
        assert value not in report.stdout
    deployment.up("--refresh")  # put back what the program declares
    assert deployment.ws.run("preview", "--refresh", "--expect-no-changes").returncode == 0
    clean = tmp_path / "clean.json"
    clean.write_text(deployment.ws.run("preview", "--refresh", "--json").stdout)
    assert deployment.cli("drift-report", str(clean), "--stack", STACK).exit_code == 0


def test_a_renamed_worker_gets_every_secret_before_the_old_one_loses_any(
    deployment: Deployment,
) -> None:
    renamed = f"{WEBHOOKS}-next"
    deployment.vendors.cloudflare.workers.add(renamed)  # deployed under its new name first
    path = deployment.ws.project / f"Pulumi.{STACK}.yaml"
    path.write_text(path.read_text().replace(f"name: {WEBHOOKS}", f"name: {renamed}"))
    moved = set(deployment.settings().cloudflare.secrets_of(renamed))
    steps = deployment.preview()
    assert steps == {f"{renamed}-{n}": "create" for n in moved} | {
        f"{WEBHOOKS}-{n}": "delete" for n in moved
    }

    deployment.vendors.changes()
    deployment.up()
    calls = [c for c in deployment.vendors.changes() if c.vendor == "cloudflare"]
    assert [c.method for c in calls] == ["PUT"] * len(moved) + ["DELETE"] * len(moved)
    held = {(w, n) for w, n in deployment.vendors.cloudflare.secrets}
    assert {(renamed, n) for n in moved} <= held
    assert not {(WEBHOOKS, n) for n in moved} & held


POLICY = ROOT / "policy"
STRAY = """
# A hand-written resource: a secret for a Worker of another stack.
from components.worker_secret import WorkerSecret, WorkerSecretArgs

WorkerSecret(
    "stray",
    WorkerSecretArgs(
        account_id="9f8e7d6c5b4a39281706f5e4d3c2b1a0",
        script_name="example-api-dev",
        name="STRIPE_SECRET_KEY",
        text=pulumi.Config("envkeeper").require_secret("stripeSecretKey"),
        environment="production",
    ),
)
"""


def test_the_policy_pack_passes_the_program_and_stops_a_stray_secret(
    deployment: Deployment,
) -> None:
    clean = deployment.ws.run("preview", "--policy-pack", str(POLICY))
    assert f"✅ envkeeper@v1.0.0 (local: {POLICY})" in clean.stdout  # ran, no violation

    main = deployment.ws.project / "__main__.py"
    program = main.read_text()
    main.write_text(program + "import pulumi\n" + STRAY)
    deployment.vendors.changes()
    try:
        preview = deployment.ws.run("preview", "--policy-pack", str(POLICY), check=False)
        up = deployment.ws.run("up", "--yes", "--policy-pack", str(POLICY), check=False)
    finally:
        main.write_text(program)
    for run in (preview, up):
        assert run.returncode != 0
        assert "secrets-stay-in-their-stack" in run.stdout
        assert "targets Worker example-api-dev, which is not one of this stack's" in run.stdout
    assert deployment.vendors.changes() == []  # nothing reached a vendor


REPOSITORY_WIDE = """
# A hand-written resource of a type envkeeper never makes: a repository-level Actions
# secret holding a catalog value, which every workflow of every branch could read.
import pulumi_github

pulumi_github.ActionsSecret(
    "database-url",
    repository="example-app",
    secret_name="DATABASE_URL",
    plaintext_value=pulumi.Config("envkeeper").require_secret("stripeSecretKey"),
)
"""


def test_the_policy_pack_refuses_a_type_envkeeper_does_not_make(deployment: Deployment) -> None:
    """On the deployed stack (the fixture deploys it when no test before did): under the real
    engine and analyzer, the allowlist sees every type the engine registers (the stack,
    the providers, the program's own) and passes them, and refuses the stray one, as does
    the rule on repository-wide secrets."""
    main = deployment.ws.project / "__main__.py"
    program = main.read_text()
    main.write_text(program + "import pulumi\n" + REPOSITORY_WIDE)
    deployment.vendors.changes()
    try:
        preview = deployment.ws.run("preview", "--policy-pack", str(POLICY), check=False)
        up = deployment.ws.run("up", "--yes", "--policy-pack", str(POLICY), check=False)
    finally:
        main.write_text(program)
    for run in (preview, up):
        assert run.returncode != 0
        assert "resource-types-envkeeper-makes" in run.stdout
        assert "github:index/actionsSecret:ActionsSecret, which envkeeper does not make" in (
            run.stdout
        )
        assert "github-no-repository-wide-secrets" in run.stdout
        assert "CANARY" not in run.stdout + run.stderr
    assert deployment.vendors.changes() == []  # nothing reached a vendor


def test_recover_leaves_a_live_update_alone(deployment: Deployment) -> None:
    """`envkeeper recover` runs before every deploy's up. While another update (a person's
    `pulumi up`, here) is live and holds the stack, it cancels nothing: it names the holder
    and stops, and that update finishes."""
    cloudflare = deployment.vendors.cloudflare
    during: list[subprocess.CompletedProcess[str]] = []
    cloudflare.on_pause = lambda: during.append(deployment.ws.envkeeper("recover", STACK))
    cloudflare.faults.append(Fault("pause", "GET", r"/accounts/[^/]+/workers/scripts/.+"))
    try:
        live = deployment.ws.run("up", "--yes", "--skip-preview", "--refresh", check=False)
    finally:
        cloudflare.on_pause = None
        cloudflare.faults.clear()
    assert live.returncode == 0, live.stdout[-3000:]  # never cancelled
    (recover,) = during
    assert recover.returncode == 2, recover.stdout + recover.stderr
    told = " ".join(said(recover.stderr))
    assert f"stack {STACK}" in told and "may still be running" in told
    assert "(pid " in told and "nothing was changed" in told
    assert "cancelled" not in recover.stdout
    assert deployment.preview() == {}


def test_an_approved_plan_is_applied_on_its_day_exactly_or_not_at_all(
    deployment: Deployment, tmp_path: Path
) -> None:
    ws, vendors = deployment.ws, deployment.vendors
    day = utc_today()
    late = (day + timedelta(days=8)).isoformat()
    path = ws.project / f"Pulumi.{STACK}.yaml"
    shipped = path.read_text()

    def add_origin(origin: str) -> None:
        edit_yaml(path, lambda doc: doc["config"]["envkeeper:corsOrigins"].append(origin))

    # Approved the day it was previewed: applied, and the stack is what the program says.
    add_origin("https://app2.example.com")
    same_day = tmp_path / "same-day"
    assert ws.envkeeper("preview-plan", STACK, str(same_day), "--refresh").returncode == 0
    vendors.changes()
    applied = ws.envkeeper("apply-plan", STACK, str(same_day), "--refresh")
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-3000:]
    assert vendors.changes() == [] and "https://app2.example.com" in deployment.export()
    assert deployment.preview() == {}

    add_origin("https://admin.example.com")  # the change merged on day D
    merged = path.read_text()
    approved = tmp_path / "approved"
    saved = ws.envkeeper("preview-plan", STACK, str(approved), "--refresh")
    assert saved.returncode == 0, saved.stdout[-3000:] + saved.stderr[-3000:]
    assert f"`pulumi preview` of {STACK}" in saved.stdout and "CORS_ORIGIN" in saved.stdout
    assert (approved / "day").read_text() == f"{day.isoformat()}\n"
    assert "CANARY" not in saved.stdout + saved.stderr + (approved / "plan.json").read_text()
    vendors.changes()

    try:
        # The stack file changed between the approval and the deploy: nothing is applied.
        add_origin("https://other.example.com")
        edited = ws.envkeeper("apply-plan", STACK, str(approved), "--refresh")
        assert edited.returncode == 2, edited.stdout[-3000:] + edited.stderr[-3000:]
        refused = said(edited.stderr)[-1]
        assert refused.startswith(f"{STACK}: nothing was applied") and "re-run all" in refused
        assert "CANARY" not in edited.stdout + edited.stderr
        assert vendors.changes() == []
        path.write_text(merged)

        # Approved eight days later. On that day the program would retire the standbys the
        # last rotations left (their grace is over), which nobody was shown; the deploy
        # applies the day that was previewed.
        ws.env_extra["ENVKEEPER_TODAY"] = late
        fresh = tmp_path / "on-the-late-day.json"
        ws.run("preview", "--refresh", "--save-plan", str(fresh))
        late_changes = differing(
            json.loads((approved / "plan.json").read_text()), json.loads(fresh.read_text())
        )
        assert "resend-a" in late_changes or "resend-b" in late_changes
        applied = ws.envkeeper("apply-plan", STACK, str(approved), "--refresh")
        assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-3000:]
    finally:
        ws.env_extra.pop("ENVKEEPER_TODAY", None)
        path.write_text(merged)
    # The origins reach the Workers as a plain var (wrangler-vars): no vendor is called,
    # and nothing the late day would have retired was.
    assert vendors.changes() == []
    assert "https://admin.example.com" in deployment.export()  # applied
    assert deployment.preview() == {}  # exactly what the program says on day D
    path.write_text(shipped)
    deployment.up()


def database_urn(deployment: Deployment) -> str:
    resources = json.loads(deployment.export())["deployment"]["resources"]
    (urn,) = [r["urn"] for r in resources if r["type"] == "postgresql:index/database:Database"]
    return urn


def test_a_stack_deployed_under_the_old_database_name_sees_no_change(
    deployment: Deployment,
) -> None:
    """Stacks deployed before the database's resource name was fixed knew it by the
    setting's value: the alias carries them over, with nothing replaced or created."""
    urn = database_urn(deployment)
    assert urn.endswith("::database")  # not the setting's value: no setting moves it
    app = deployment.settings().neon.database
    deployment.ws.run("state", "rename", urn, app, "--yes")
    assert database_urn(deployment).endswith(f"::{app}")  # as an older envkeeper left it
    deployment.vendors.changes()
    assert deployment.preview() == {}  # no replace, no create, no delete
    deployment.up()
    assert database_urn(deployment) == urn  # the up moved it to the fixed name
    assert deployment.vendors.changes() == []


def test_a_renamed_database_setting_is_refused_before_anything_changes(
    deployment: Deployment,
) -> None:
    path = deployment.ws.project / f"Pulumi.{STACK}.yaml"
    before = path.read_text()
    edit_yaml(path, lambda doc: doc["config"]["envkeeper:neon"].update(database="shop"))
    deployment.vendors.changes()
    try:
        preview = deployment.ws.run("preview", check=False)
        up = deployment.ws.run("up", "--yes", check=False)
    finally:
        path.write_text(before)
    for run in (preview, up):
        assert run.returncode != 0
        refused = "envkeeper:neon.database names shop, but this stack's database is app"
        assert refused in run.stdout, run.stdout[-4000:]
        assert "Traceback" not in run.stdout + run.stderr
    assert deployment.vendors.changes() == []
    with superuser(deployment.server) as conn:
        names = {n for (n,) in conn.execute("SELECT datname FROM pg_database").fetchall()}
    assert "app" in names and "shop" not in names  # neither renamed nor made anew
    with superuser(deployment.server, "app") as conn:  # the data is where it was
        assert conn.execute("SELECT count(*) FROM app.items").fetchone() == (1,)
    assert deployment.preview() == {}


def test_the_database_is_protected(deployment: Deployment) -> None:
    (database,) = [
        r
        for r in json.loads(deployment.export())["deployment"]["resources"]
        if r["type"] == "postgresql:index/database:Database"
    ]
    assert database.get("protect") is True and database.get("retainOnDelete") is True


def published(tmp_path: Path, env: dict[str, str]) -> Path:
    """The pack as `pulumi policy publish` ships it and Pulumi installs it where it enforces
    it: the folder alone, `virtualenv: venv` set as Pulumi sets it for a Python pack that
    names none, its dependencies installed from its own pyproject.toml and uv.lock."""
    pack = tmp_path / "published-pack"
    shutil.copytree(POLICY, pack, ignore=shutil.ignore_patterns(".venv", "venv", "__pycache__"))
    edit_yaml(
        pack / "PulumiPolicy.yaml", lambda doc: doc["runtime"]["options"].update(virtualenv="venv")
    )
    install = {**env, "UV_PROJECT_ENVIRONMENT": str(pack / "venv")}
    install.pop("VIRTUAL_ENV", None)
    subprocess.run(
        ["uv", "sync", "--frozen"], cwd=pack, env=install, check=True, capture_output=True
    )
    return pack


def test_the_pack_copied_out_of_the_tree_refuses_what_the_tree_refuses(
    deployment: Deployment, tmp_path: Path
) -> None:
    pack = published(tmp_path, deployment.ws.env())
    # Nothing of the project is there to import: the copy runs on what it ships.
    probe = subprocess.run(
        [str(pack / "venv" / "bin" / "python"), "-c", "import envkeeper"],
        cwd=pack,
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode != 0 and "No module named 'envkeeper'" in probe.stderr

    clean = deployment.ws.run("preview", "--policy-pack", str(pack))
    (ran,) = [line for line in clean.stdout.splitlines() if "✅ envkeeper@v1.0.0" in line]
    assert ran.endswith(f"/{pack.name})")  # the copy ran (its path shortened), no violation

    main = deployment.ws.project / "__main__.py"
    program = main.read_text()
    main.write_text(program + "import pulumi\n" + STRAY + REPOSITORY_WIDE)
    deployment.vendors.changes()
    try:
        runs = {
            where: deployment.ws.run("preview", "--policy-pack", str(where), check=False)
            for where in (POLICY, pack)
        }
    finally:
        main.write_text(program)
    rules = {
        "secrets-stay-in-their-stack",
        "resource-types-envkeeper-makes",
        "github-no-repository-wide-secrets",
    }
    violated = {}
    for where, run in runs.items():
        assert run.returncode != 0, where
        violated[where] = {r for r in rules if r in run.stdout}
        assert "CANARY" not in run.stdout + run.stderr
    assert violated[pack] == violated[POLICY] == rules
    assert deployment.vendors.changes() == []  # nothing reached a vendor


def test_destroy_removes_every_credential_and_leaves_the_data(deployment: Deployment) -> None:
    v = deployment.vendors
    deployment.deployed = False  # whatever happens next, the stack is no longer deployed
    # The database is protected: destroy removes everything else, then stops there.
    stopped = deployment.ws.run("destroy", "--yes", "--skip-preview", check=False)
    assert stopped.returncode != 0
    assert "cannot be deleted\nbecause it is protected" in stopped.stdout.replace("    ", "")
    assert v.cloudflare.secrets == {} and v.cloudflare.tokens == {}
    assert v.resend.keys == {} and v.stripe.endpoints == {}
    assert ENVIRONMENT not in v.github.environments
    with superuser(deployment.server) as conn:
        left = conn.execute("SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'app_%'")
        assert left.fetchall() == [("app_owner", False)]  # every login is gone
    kept = json.loads(deployment.export())["deployment"]["resources"]
    assert {r["type"] for r in kept} == {
        "pulumi:pulumi:Stack",
        "envkeeper:environment:Environment",
        "envkeeper:neon:Database",  # the components that hold it
        "pulumi:providers:postgresql",
        "postgresql:index/database:Database",
    }
    # Letting go of the database too takes a person's deliberate step; it is still not
    # dropped (retain_on_delete): the data stays.
    deployment.ws.run("state", "unprotect", database_urn(deployment), "--yes")
    deployment.ws.run("destroy", "--yes", "--skip-preview")
    with superuser(deployment.server, "app") as conn:
        assert conn.execute("SELECT count(*) FROM app.items").fetchone() == (1,)
    assert json.loads(deployment.export())["deployment"].get("resources", []) == []

"""`envkeeper orphans`, `envkeeper recover` and `access-review --vendors`: against the
vendors' stand-ins, with a `pulumi` that answers from a file (tests/fake_pulumi.py). The
engine tests (tests/test_engine_faults.py) run them with the real CLI after real faults."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper import vendors
from envkeeper.guards.orphans import STATE_TYPES
from envkeeper.infra.github import secret_names, variables
from envkeeper.infra.resource_types import WORKER_SECRET
from envkeeper.infra.worker_code import route_mark
from envkeeper.vendors.resend import resend_key_name
from envkeeper.vendors.stripe import stripe_endpoint_name
from tests.cloudflare_api import CloudflareApi
from tests.conftest import Cli
from tests.engine_stack import (
    API,
    CF_TOKEN,
    GITHUB_TOKEN,
    RESEND_ADMIN,
    STRIPE_ADMIN,
    WEBHOOKS,
    ZONE,
    Vendors,
    running_vendors,
)
from tests.fake_pulumi import FakePulumi, installed
from tests.github_api import Environment
from tests.neon_api import NeonApi, Project
from tests.programs import adopt_in, load
from tests.standin import started_server, stopped

KEYS = {
    "cloudflare:apiToken": CF_TOKEN,
    "envkeeper:resendAdminKey": RESEND_ADMIN,
    "envkeeper:stripeAdminKey": STRIPE_ADMIN,
    "github:token": GITHUB_TOKEN,
}


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> Iterator[Vendors]:
    with running_vendors() as found:
        monkeypatch.setenv("CLOUDFLARE_BASE_URL", found.cloudflare.base_url)
        monkeypatch.setenv("RESEND_API_URL", found.resend.base_url)
        monkeypatch.setenv("STRIPE_API_BASE", found.stripe.base_url)
        yield found


@pytest.fixture(autouse=True)
def github_at_stand_in(request: pytest.FixtureRequest) -> None:
    """Every stack file of the scratch project points its GitHub provider (and so the check
    of its environments) at the stand-in, when the test has one."""
    if "stand_ins" not in request.fixturenames:
        return
    found: Vendors = request.getfixturevalue("stand_ins")
    project: Path = request.getfixturevalue("project")
    for path in project.glob("Pulumi.*.yaml"):
        text = path.read_text()
        line = f"config:\n  github:baseUrl: {found.github.provider_url}\n"
        path.write_text(text.replace("config:\n", line, 1))


@pytest.fixture
def pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakePulumi:
    return installed(tmp_path / "fake-pulumi", monkeypatch)


def state(*resources: tuple[str, str], pending: list[dict[str, Any]] | None = None) -> Any:
    return {
        "deployment": {
            "resources": [
                {"type": STATE_TYPES[v], "id": i, "urn": f"u::{i}"} for v, i in resources
            ],
            "pending_operations": pending or [],
        }
    }


def seed(v: Vendors, project: Path) -> dict[str, str]:
    """At each vendor: one credential the state holds, one it does not (an orphan), one of
    another stack and one a person made. The ids, by role."""
    settings = load("prod", project)[1]
    mark = vendors.stack_mark(settings)
    ours_token = f"envkeeper production deploy b 2026-11-30 {mark}"
    theirs = "envkeeper production deploy b 2026-11-30 ffffffff"  # another stack's mark
    for n, name in enumerate([ours_token, ours_token, theirs, "laptop"], start=1):
        value = f"CANARY-token-{n}".ljust(40, "x")
        made = {"name": name, "policies": [], "issued_on": "2026-11-30T09:00:00Z", "value": value}
        v.cloudflare.tokens[f"{n:032x}"] = {"id": f"{n:032x}", **made}
    key_name = resend_key_name(settings, "a")
    for n, name in enumerate([key_name, key_name, key_name[:-8] + "ffffffff", "Marketing"], 1):
        v.resend.keys[f"key-{n}"] = {"name": name, "token": f"re_CANARY-{n}", "created_at": "x"}
    ours, identity = stripe_endpoint_name(settings), vendors.stack_identity(settings)
    # we_5: this stack's name (the mark is a digest another product's stack may share), but
    # its metadata says it was made for another organization's stack.
    for n, name, made_for in [
        (1, ours, identity),
        (2, ours, identity),
        (3, "someone", ""),
        (4, None, ""),
        (5, ours, "elsewhere/example-app/production"),
    ]:
        v.stripe.endpoints[f"we_{n}"] = {"id": f"we_{n}", "description": name, "created": n,
                                         "metadata": {"envkeeper_stack": made_for},
                                         "secret": f"whsec_CANARY-{n}"}  # fmt: skip
    return {"token": f"{1:032x}", "token_orphan": f"{2:032x}", "key": "key-1",
            "key_orphan": "key-2", "endpoint": "we_1", "endpoint_orphan": "we_2"}  # fmt: skip


def held(ids: dict[str, str]) -> Any:
    return state(("cloudflare", ids["token"]), ("resend", ids["key"]), ("stripe", ids["endpoint"]))


def test_orphans_lists_only_credentials_named_for_the_stack_that_no_state_holds(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    ids = seed(stand_ins, project)
    pulumi.answer(states=[held(ids)], config=KEYS)
    cli = Cli(project)

    text = cli("orphans", "prod")
    markdown = cli("orphans", "prod", "--format", "markdown")
    as_json = cli("orphans", "prod", "--format", "json")
    assert as_json.exit_code == 1, as_json.output
    data = json.loads(as_json.stdout)

    assert text.exit_code == markdown.exit_code == 1
    found = {(o["vendor"], o["id"]) for o in data["orphans"]}
    assert found == {
        ("cloudflare", ids["token_orphan"]),
        ("resend", ids["key_orphan"]),
        ("stripe", ids["endpoint_orphan"]),
    }
    for output in (text.stdout, markdown.stdout):
        assert all(i in output for i in (ids["token_orphan"], ids["key_orphan"], "we_2"))
        assert ids["token"] not in output and "key-1" not in output and "laptop" not in output
        assert "we_5" not in output  # named as ours, but its metadata says another stack's
        assert "CANARY" not in output
    assert "| cloudflare | account token |" in markdown.stdout
    # Nothing was deleted, and the state was only read.
    assert len(stand_ins.cloudflare.tokens) == 4 and len(stand_ins.resend.keys) == 4
    assert {c[0] for c in pulumi.calls()} == {"stack", "config"}


def test_what_a_pending_delete_or_update_still_holds_is_no_orphan(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    ids = seed(stand_ins, project)
    base = held(ids)["deployment"]["resources"]
    # The replaced token waits for its delete at the end of the up; the key's update died.
    pending_delete = {"type": STATE_TYPES["cloudflare"], "id": ids["token_orphan"],
                      "delete": True, "urn": "u::old"}  # fmt: skip
    key = {"type": STATE_TYPES["resend"], "id": ids["key_orphan"], "urn": "u::k"}
    updating = {"type": "updating", "resource": key}
    answer = {
        "deployment": {"resources": [*base, pending_delete], "pending_operations": [updating]}
    }
    pulumi.answer(states=[answer], config=KEYS)

    data = json.loads(Cli(project)("orphans", "prod", "--format", "json").stdout)

    assert [(o["vendor"], o["id"]) for o in data["orphans"]] == [("stripe", "we_2")]


def test_delete_removes_the_orphans_and_spares_one_a_running_up_just_recorded(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    ids = seed(stand_ins, project)
    later = held(ids)
    later["deployment"]["resources"].append({"type": STATE_TYPES["resend"], "id": "key-2"})
    pulumi.answer(states=[held(ids), later], config=KEYS)

    done = Cli(project)("orphans", "prod", "--delete")

    assert done.exit_code == 0, done.output
    v = stand_ins
    assert ids["token_orphan"] not in v.cloudflare.tokens and "we_2" not in v.stripe.endpoints
    assert "key-2" in v.resend.keys  # the state held it by the time of the delete
    assert len(v.cloudflare.tokens) == 3 and len(v.stripe.endpoints) == 4
    assert "we_5" in v.stripe.endpoints  # named as ours, made for another stack
    deletes = [(c.vendor, c.path) for c in stand_ins.changes() if c.method == "DELETE"]
    assert sorted(deletes) == [
        ("cloudflare", f"/accounts/{load('prod', project)[1].cloudflare.account_id}/tokens/"
                       f"{ids['token_orphan']}"),
        ("stripe", "/v1/webhook_endpoints/we_2"),
    ]  # fmt: skip
    assert "deleted 2 credentials" in done.stdout and "CANARY" not in done.output


def test_an_admin_key_nobody_set_is_one_line_naming_it(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RESEND_API_KEY", raising=False)
    pulumi.answer(
        states=[held(seed(stand_ins, project))], config={**KEYS, "envkeeper:resendAdminKey": None}
    )
    done = Cli(project)("orphans", "prod")
    assert done.exit_code == 2
    assert done.stderr.strip() == (
        "(command line): envkeeper:resendAdminKey: not set for stack prod; the orphan check "
        "needs it to list the credentials there (`pulumi config set --secret --stack prod "
        "envkeeper:resendAdminKey`, or RESEND_API_KEY)"
    )


def test_a_vendor_refusing_the_admin_key_is_one_line_and_exit_2(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    pulumi.answer(
        states=[held(seed(stand_ins, project))],
        config={**KEYS, "envkeeper:stripeAdminKey": "rk_CANARY-wrong"},
    )
    done = Cli(project)("orphans", "prod")
    assert done.exit_code == 2
    assert done.stderr.strip() == (
        "listing the webhook endpoints at Stripe: Stripe refused the admin key (HTTP 401); "
        "check the stack's admin key for it (the one its provider uses)"
    )
    assert "CANARY" not in done.output and "Traceback" not in done.output


def test_the_command_imports_no_pulumi(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    pulumi.answer(states=[held(seed(stand_ins, project))], config=KEYS)
    code = (
        "import sys\n"
        "from envkeeper.cli import main\n"
        f"sys.argv = ['envkeeper', '--project-dir', {str(project)!r}, 'orphans', 'prod']\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    code = exit.code\n"
        "print(code, sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy()
    )
    assert done.stdout.splitlines()[-1] == "1 []", done.stderr


def test_recover_releases_the_stack_and_drops_interrupted_creates_saying_what_they_were(
    project: Path, pulumi: FakePulumi
) -> None:
    token = {"type": STATE_TYPES["cloudflare"], "urn": "urn:pulumi:prod::envkeeper::x::deploy-b"}
    creating = {"type": "creating", "resource": token}
    pulumi.answer(states=[state(pending=[creating])], history=[in_progress(hours_ago=7)])

    done = Cli(project)("recover", "prod")

    assert done.exit_code == 0, done.output
    assert [c[:2] for c in pulumi.calls()] == [
        ["whoami", "--json"], ["stack", "history"], ["cancel", "--yes"], ["stack", "export"],
        ["refresh", "--clear-pending-creates"],
    ]  # fmt: skip
    assert "cancelled an update by https://github.com/example-org/example-app/actions/runs/1" in (
        done.stdout
    )
    assert "a dead run was creating deploy-b" in done.stdout


def test_recover_stops_a_deploy_whose_state_holds_the_betas_neon_project(
    project: Path, pulumi: FakePulumi
) -> None:
    # The bridged provider's project is another type: the up would make a second project.
    urn = "urn:pulumi:prod::envkeeper::envkeeper:neon:Database$neon:resource:Project::project"
    beta = {"deployment": {"resources": [{"type": "neon:resource:Project", "urn": urn}]}}
    finished = {**in_progress(hours_ago=7), "result": "succeeded"}
    pulumi.answer(states=[beta], history=[finished])
    done = Cli(project)("recover", "prod")
    assert done.exit_code == 2
    (line,) = done.stderr.splitlines()
    assert f"the state holds a Neon project the pulumi-neon beta created ({urn})" in line
    assert "pulumi state delete" in line and "Traceback" not in done.output
    assert ["refresh", "--clear-pending-creates"] not in [c[:2] for c in pulumi.calls()]


def test_recover_on_a_healthy_stack_changes_nothing(project: Path, pulumi: FakePulumi) -> None:
    finished = {**in_progress(hours_ago=7), "result": "succeeded"}
    pulumi.answer(states=[state()], history=[finished])
    done = Cli(project)("recover", "prod")
    assert done.exit_code == 0, done.output
    assert done.stdout == "prod: no update was holding the stack\n"
    assert [c[:2] for c in pulumi.calls()] == [
        ["whoami", "--json"],
        ["stack", "history"],
        ["stack", "export"],
    ]


def test_a_dead_update_pulumi_cloud_already_closed_is_no_update(
    project: Path, pulumi: FakePulumi
) -> None:
    # What Pulumi Cloud answers a cancel when no update is running (pulumi/pulumi#5364).
    pulumi.answer(
        states=[state()],
        history=[in_progress(hours_ago=7)],
        cancel_error="error: [409] Conflict: The Update has already completed",
    )
    done = Cli(project)("recover", "prod")
    assert done.exit_code == 0, done.output
    assert done.stdout == "prod: no update was holding the stack\n"


def test_a_preview_in_progress_holds_nothing(project: Path, pulumi: FakePulumi) -> None:
    """A pull request's preview takes no lock: the update under it is what counts."""
    preview = {**in_progress(hours_ago=0.1), "kind": "preview"}
    finished = {**in_progress(hours_ago=3), "result": "succeeded"}
    pulumi.answer(states=[state()], history=[preview, finished])
    done = Cli(project)("recover", "prod")
    assert done.exit_code == 0, done.output
    assert done.stdout == "prod: no update was holding the stack\n"


def test_recover_never_cancels_an_update_that_may_still_run(
    project: Path, pulumi: FakePulumi
) -> None:
    """Ten minutes old: a person's `pulumi up` or another deploy may be at work. Named,
    and left alone."""
    pulumi.answer(states=[state()], history=[in_progress(hours_ago=0.2)])
    done = Cli(project)("recover", "prod")
    assert done.exit_code == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        "stack prod: held by an update by https://github.com/example-org/example-app/actions/"
        "runs/1 since "
    )
    assert "which may still be running; nothing was changed" in line
    assert [c[:2] for c in pulumi.calls()] == [["whoami", "--json"], ["stack", "history"]]


def test_recover_stops_at_a_cancel_that_fails_for_another_reason(
    project: Path, pulumi: FakePulumi
) -> None:
    pulumi.answer(
        states=[state()],
        history=[in_progress(hours_ago=7)],
        cancel_error="error: PULUMI_ACCESS_TOKEN must be set for login",
    )
    done = Cli(project)("recover", "prod")
    assert done.exit_code == 2
    assert done.stderr.strip() == (
        "(command line): `pulumi cancel --yes --stack prod` failed (exit 255): error: "
        "PULUMI_ACCESS_TOKEN must be set for login"
    )


def test_a_pulumi_error_with_a_backend_password_is_repeated_without_it(
    project: Path, pulumi: FakePulumi
) -> None:
    """The CLI's error line passes the one redactor (envkeeper/doors/redaction.py)."""
    backend = "postgres://envkeeper:CANARY-backend-passw0rd@db.internal:5432/state"
    pulumi.answer(
        states=[state()],
        history=[in_progress(hours_ago=7)],  # dead: recover cancels it, and the cancel fails
        cancel_error=f"error: could not reach the backend {backend}",
    )
    done = Cli(project)("recover", "prod")
    assert done.exit_code == 2
    assert "CANARY" not in done.output
    assert "postgres://***@db.internal:5432/state" in done.stderr


def in_progress(hours_ago: float) -> dict[str, Any]:
    """The newest entry of `pulumi stack history --json`: an update still in progress."""
    started = datetime.now(UTC) - timedelta(hours=hours_ago)
    return {
        "version": 12,
        "kind": "update",
        "startTime": started.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "message": "deploy",
        "environment": {
            "ci.build.url": "https://github.com/example-org/example-app/actions/runs/1"
        },
        "config": {},
        "result": "in-progress",
    }


def a_lock(state_dir: Path, hostname: str, pid: int, hours_ago: float) -> Path:
    """A file backend's lock of stack prod, as the CLI writes it while an update runs."""
    folder = state_dir / ".pulumi" / "locks" / "organization" / "envkeeper" / "prod"
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / "0f9a5a3c-lock.json"
    started = datetime.now(UTC) - timedelta(hours=hours_ago)
    lock.write_text(json.dumps({"pid": pid, "username": "ci", "hostname": hostname,
                                "timestamp": started.isoformat()}))  # fmt: skip
    return lock


def a_dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


@pytest.mark.parametrize(
    ("holder", "cancelled"),
    [
        ("a live process of this machine", False),
        ("a process of this machine that is gone", True),
        ("another machine, a minute ago", False),
        ("another machine, seven hours ago", True),
    ],
)
def test_a_file_backends_lock_is_cancelled_only_when_provably_dead(
    project: Path, pulumi: FakePulumi, tmp_path: Path, holder: str, cancelled: bool
) -> None:
    host = socket.gethostname()
    pid, hostname, hours = {
        "a live process of this machine": (os.getpid(), host, 0.1),
        "a process of this machine that is gone": (a_dead_pid(), host, 0.1),
        "another machine, a minute ago": (os.getpid(), "runner-elsewhere", 0.02),
        "another machine, seven hours ago": (os.getpid(), "runner-elsewhere", 7),
    }[holder]
    lock = a_lock(tmp_path / "state", hostname, pid, hours)
    pulumi.answer(states=[state()], url=f"{(tmp_path / 'state').as_uri()}?no_tmp_dir=true")

    done = Cli(project)("recover", "prod")

    ran_cancel = any(c[0] == "cancel" for c in pulumi.calls())
    assert ran_cancel is cancelled, done.output
    if cancelled:
        assert done.exit_code == 0, done.output
        assert f"cancelled an update by ci@{hostname} (pid {pid})" in done.stdout
    else:
        assert done.exit_code == 2
        (line,) = done.stderr.splitlines()
        assert f"stack prod: held by an update by ci@{hostname} (pid {pid}) since " in line
        assert lock.exists()


def test_recover_removes_the_empty_sidecar_a_killed_write_left_in_a_file_backend(
    project: Path, pulumi: FakePulumi, tmp_path: Path
) -> None:
    stacks = tmp_path / "state" / ".pulumi" / "stacks" / "envkeeper"
    stacks.mkdir(parents=True)
    (stacks / "prod.json").write_text("{}")
    (stacks / "prod.json.attrs").write_text("")  # truncated, never written: SIGKILL
    (stacks / "prod.json.bak.attrs").write_text('{"user.content_type":"application/json"}')
    pulumi.answer(states=[state()], url=f"{(tmp_path / 'state').as_uri()}?no_tmp_dir=true")

    done = Cli(project)("recover", "prod")

    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in stacks.iterdir()) == ["prod.json", "prod.json.bak.attrs"]
    assert "removed prod.json.attrs" in done.stdout


def test_recover_touches_no_other_stacks_or_projects_files(
    project: Path, pulumi: FakePulumi, tmp_path: Path
) -> None:
    """Each may be in the middle of its own deploy: an empty sidecar of another stack, or
    of another project in the same backend, is not this recovery's to remove."""
    state_dir = tmp_path / "state" / ".pulumi" / "stacks"
    others = [
        state_dir / "envkeeper" / "dev.json.attrs",
        state_dir / "another-project" / "prod.json.attrs",
        state_dir / "envkeeper" / "prod-copy.json.attrs",
    ]
    for path in others:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    pulumi.answer(states=[state()], url=f"{(tmp_path / 'state').as_uri()}?no_tmp_dir=true")

    done = Cli(project)("recover", "prod")

    assert done.exit_code == 0, done.output
    assert all(path.exists() for path in others)
    assert "removed" not in done.stdout


def test_access_review_lists_orphans_when_it_asks_the_vendors(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    ids = seed(stand_ins, project)
    pulumi.answer(states=[held(ids)], config=KEYS)
    cli = Cli(project)

    offline = cli("access-review", "prod")
    asked = cli("access-review", "prod", "--vendors")
    data = json.loads(cli("access-review", "prod", "--vendors", "--format", "json").stdout)

    assert offline.exit_code == asked.exit_code == 0
    assert "Not looked up: run `envkeeper access-review prod --vendors`" in offline.stdout
    assert pulumi.calls()[0][:2] == ["stack", "export"]  # only the asking runs reached pulumi
    section = asked.stdout.split("## Credentials no state holds (orphans)")[1].split("##")[0]
    assert ids["token_orphan"] in section and "key-2" in section and "we_2" in section
    assert ids["token"] not in section and "CANARY" not in asked.stdout
    assert {o["id"] for o in data["orphans"]} == {ids["token_orphan"], "key-2", "we_2"}
    assert data["unmanaged"] == [] and "envkeeper did not put there" not in asked.stdout


def test_access_review_lists_what_envkeeper_did_not_put_in_its_github_environments(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    planted = attacked_environments(stand_ins, project)
    pulumi.answer(states=[held(seed(stand_ins, project))], config=KEYS)

    asked = Cli(project)("access-review", "prod", "--vendors")

    assert asked.exit_code == 0, asked.output
    section = asked.stdout.split("## GitHub secrets and variables envkeeper did not")[1]
    assert "| `production` | variable | `PULUMI_ORG` |" in section
    assert all(name in section for name in planted.values()) and "CANARY" not in asked.stdout


def test_every_deploy_recovers_first_and_deletes_orphans_after_its_up() -> None:
    # What the engine tests run as "the deploy workflow's run" (tests/test_engine_faults.py).
    from tests.test_workflows import WORKFLOWS, workflow

    steps = workflow(WORKFLOWS / "pulumi-up.yml")["jobs"]["up"]["steps"]
    ran = [s.get("run", "") for s in steps if s.get("run")]
    ours = [
        "up" if "envkeeper apply-plan" in r else r  # the approved plan's `pulumi up --plan`
        for r in ran
        if any(f"envkeeper {c}" in r for c in ("recover", "apply-plan", "orphans"))
    ]
    assert ours == [
        'uv run --frozen envkeeper recover "${STACK_REF}"',
        "up",
        'uv run --frozen envkeeper orphans "${STACK_REF}" --delete',
    ]
    drift = workflow(WORKFLOWS / "drift-check.yml")["jobs"]["drift"]["steps"][-1]["run"]
    assert 'envkeeper orphans "$PULUMI_ORG/envkeeper/$STACK" --format markdown' in drift


# --- What a lower stack's token left in production's environment ------------------------------
# Written from the attacker's side: GitHub cannot scope a token to one environment, so dev's
# github:token added PULUMI_ORG to production's environment (it overrides the repository's
# in production's deploy job) and a secret of its own. No resource owns either.


def attacked_environments(v: Vendors, project: Path) -> dict[str, str]:
    settings = load("prod", project)[1]
    production = Environment("production")
    production.secrets = {name: f"CANARY-{name}" for name in secret_names(settings)}
    production.variables = dict(variables(settings))
    production.variables["PULUMI_ORG"] = "CANARY-attacker-org"
    production.secrets["EXFILTRATE_TO"] = "CANARY-attacker-secret"
    drift = Environment("drift-prod", variables={"pulumi_backend_url": "CANARY-backend"})
    v.github.environments |= {"production": production, "drift-prod": drift}
    return {"production": "PULUMI_ORG", "secret": "EXFILTRATE_TO", "drift": "pulumi_backend_url"}


def test_a_variable_or_secret_envkeeper_did_not_put_in_its_environments_is_reported(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    planted = attacked_environments(stand_ins, project)
    ids = seed(stand_ins, project)
    pulumi.answer(states=[held(ids)] * 3, config=KEYS)
    cli = Cli(project)

    text = cli("orphans", "prod")
    markdown = cli("orphans", "prod", "--format", "markdown")
    data = json.loads(cli("orphans", "prod", "--format", "json").stdout)

    assert text.exit_code == markdown.exit_code == 1
    assert data["unmanaged"] == [
        {"environment": "production", "kind": "secret", "name": planted["secret"]},
        {"environment": "production", "kind": "variable", "name": planted["production"]},
        {"environment": "drift-prod", "kind": "variable", "name": planted["drift"]},
    ]
    assert "  production variable PULUMI_ORG" in text.stdout
    assert "| `production` | variable | `PULUMI_ORG` |" in markdown.stdout
    # Only what was planted: nothing envkeeper put there (the catalog's secrets, the
    # account id) is listed, and names only, never a value.
    section = text.stdout.split("envkeeper did not put there")[1]
    listed = [line.split()[-1] for line in section.splitlines() if line.startswith("  ")]
    assert listed == [planted["secret"], planted["production"], planted["drift"]]
    for output in (text.stdout, markdown.stdout):
        assert "CANARY" not in output
    # Reported, never swept: the deploy's --delete leaves them (and still fails the run).
    deleted = cli("orphans", "prod", "--delete")
    assert deleted.exit_code == 1, deleted.output
    assert "PULUMI_ORG" in stand_ins.github.environments["production"].variables
    assert not [c for c in stand_ins.github.changes() if c.method == "DELETE"]


def test_an_environment_holding_exactly_what_envkeeper_put_there_is_clean(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    attacked_environments(stand_ins, project)
    production = stand_ins.github.environments["production"]
    del production.variables["PULUMI_ORG"], production.secrets["EXFILTRATE_TO"]
    del stand_ins.github.environments["drift-prod"]  # never made: holds nothing
    pulumi.answer(states=[held(seed(stand_ins, project))], config=KEYS)

    data = json.loads(Cli(project)("orphans", "prod", "--format", "json").stdout)

    assert data["unmanaged"] == []
    listed = {c.path for c in stand_ins.github.requests if c.method == "GET"}
    repo = "/repos/example-org/example-app"
    assert f"{repo}/environments/production/secrets" in listed
    assert f"{repo}/environments/production/variables" in listed
    # drift-prod is missing (404): the token is shown to see the repository, so it is empty.
    assert {f"{repo}/environments/drift-prod/secrets", repo} <= listed


def test_a_github_token_that_cannot_list_the_environment_is_one_line_and_exit_2(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    attacked_environments(stand_ins, project)
    wrong = {**KEYS, "github:token": "CANARY-wrong-github-token"}
    pulumi.answer(states=[held(seed(stand_ins, project))], config=wrong)

    done = Cli(project)("orphans", "prod")

    assert done.exit_code == 2
    assert done.stderr.strip() == (
        "listing GitHub environment production's secrets and variables: GitHub refused the "
        "admin key (HTTP 401); check the stack's github:token (it needs Environments read on "
        "the repository)"
    )
    assert "CANARY" not in done.output


# --- A lower stack's admin key that reaches production's Resend domain -------------------------
# Written from the attacker's side: dev's and production's Resend domains are in one team, so
# dev's full-access admin key could mint sending keys for production's domain, or delete
# them. The stack files cannot show it; Resend's domain list for the key does.


def test_a_resend_admin_key_that_sees_another_stacks_domain_stops_the_check(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    dev, prod = load("dev", project)[1], load("prod", project)[1]
    assert dev.resend is not None and prod.resend is not None
    stand_ins.resend.domains[dev.resend.domain] = "5ee369bc-aa82-4ff3-97de-514ae3000ee1"
    pulumi.answer(states=[held(seed(stand_ins, project))] * 2, config=KEYS)

    stand_ins.cloudflare.account = dev.cloudflare.account_id  # dev's token: dev's account
    lower = Cli(project)("orphans", "dev")
    stand_ins.cloudflare.account = prod.cloudflare.account_id

    assert lower.exit_code == 2, lower.output
    assert lower.stderr.strip() == (
        f"Pulumi.dev.yaml: envkeeper:resendAdminKey: reaches Resend domain "
        f"{prod.resend.domain}, stack prod's: the two stacks share a Resend team, so each "
        "one's admin key can mint and delete the other's sending keys; give each stack a "
        "Resend team (and admin key) of its own"
    )
    assert "CANARY" not in lower.output
    # Production's own check stops the same way: nothing was deleted.
    higher = Cli(project)("orphans", "prod", "--delete")
    assert higher.exit_code == 2 and "stack dev's" in higher.stderr
    assert not [c for c in stand_ins.changes() if c.method == "DELETE"]


@pytest.mark.parametrize("reach", ["account", "zone"])
def test_a_cloudflare_token_that_sees_another_stacks_account_or_zone_stops_the_check(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi, reach: str
) -> None:
    # Dev's token was made by someone who is a member of both accounts (or was given
    # production's zone): the stack files name different accounts, so only Cloudflare's
    # list of what the token sees can tell.
    dev, prod = load("dev", project)[1], load("prod", project)[1]
    stand_ins.cloudflare.account = dev.cloudflare.account_id
    if reach == "account":
        stand_ins.cloudflare.other_accounts = [prod.cloudflare.account_id]
        found = prod.cloudflare.account_id
    else:
        found = prod.cloudflare.zones[0]
        stand_ins.cloudflare.zones = {found: "example.com"}
    pulumi.answer(states=[held(seed(stand_ins, project))], config=KEYS)

    done = Cli(project)("orphans", "dev")

    assert done.exit_code == 2, done.output
    assert done.stderr.strip().startswith(
        f"Pulumi.dev.yaml: cloudflare:apiToken: reaches Cloudflare {reach} {found}, stack prod's"
    )
    assert "CANARY" not in done.output


# --- A lower stack's Neon key that reaches the project production adopts ----------------------
# Written from the attacker's side: production adopts its project and names an organization
# of its own in its stack file, but the project is in fact in dev's organization, so dev's
# organization API key can change or delete production's database. The files cannot show
# it; Neon's answer to dev's key can.

NEON_KEY = "CANARY-neon-dev-org-key"


@pytest.fixture
def neon(monkeypatch: pytest.MonkeyPatch) -> Iterator[NeonApi]:
    server = started_server()
    try:
        api = NeonApi(server, {NEON_KEY: "org-example-12345678"})
        monkeypatch.setenv("NEON_API_URL", api.base_url)
        yield api
    finally:
        stopped(server)


def test_a_neon_key_that_reaches_a_project_another_stack_adopts_stops_the_check(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi, neon: NeonApi
) -> None:
    adopt_in("prod", "ep-prod-123456")(project)
    dev = load("dev", project)[1]
    stand_ins.cloudflare.account = dev.cloudflare.account_id
    pulumi.answer(states=[held(seed(stand_ins, project))], config={**KEYS, "neon:apiKey": NEON_KEY})
    neon.projects["ep-dev-123456"] = Project("ep-dev-123456", "example-dev", "org-example-12345678")

    clean = Cli(project)("orphans", "dev", "--format", "json")
    # Production's project is where its file says: dev's key does not reach it. (The check
    # goes on to Resend, whose stand-in team holds production's domain: that is its own stop.)
    assert "neon:apiKey" not in clean.stderr, clean.output
    asked = [c.path for c in neon.requests]
    assert asked == ["/projects/ep-prod-123456"]

    neon.projects["ep-prod-123456"] = Project(
        "ep-prod-123456", "example-prod", "org-example-12345678"
    )
    done = Cli(project)("orphans", "dev")

    assert done.exit_code == 2, done.output
    assert done.stderr.strip() == (
        "Pulumi.dev.yaml: neon:apiKey: reaches Neon project ep-prod-123456, which stack prod "
        "adopts: the two are in one organization, so this key can change or delete the "
        "other's database; move one project to an organization of its own"
    )
    assert "CANARY" not in done.output


def test_production_checks_the_workflows_environments_too(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    # Dev's token can write every environment of the repository, the workflows' included:
    # a variable in `preview` reaches the pull-request preview's job.
    attacked_environments(stand_ins, project)
    preview = Environment("preview", variables={"PULUMI_ORG": "CANARY-attacker-org"})
    rotation = Environment(
        "rotation",
        secrets={"ROTATION_APP_PRIVATE_KEY": "CANARY-app-key", "EXTRA": "CANARY-x"},
        variables={"ROTATION_APP_CLIENT_ID": "Iv1.example"},
    )
    stand_ins.github.environments |= {"preview": preview, "rotation": rotation}
    pulumi.answer(states=[held(seed(stand_ins, project))], config=KEYS)

    data = json.loads(Cli(project)("orphans", "prod", "--format", "json").stdout)

    found = {(u["environment"], u["kind"], u["name"]) for u in data["unmanaged"]}
    assert ("preview", "variable", "PULUMI_ORG") in found
    assert ("rotation", "secret", "EXTRA") in found
    assert not {f for f in found if f[0] == "rotation" and f[2].startswith("ROTATION_APP_")}


# --- Worker code no deploy of the stack recorded ----------------------------------------------
# Written from the attacker's side: with a leaked deploy token they upload and deploy code of
# their own on production's API Worker and route a path of the zone to it. The team's own
# versions, deployments and route were recorded by the last put of each Worker's secrets.


def recorded_by_a_put(cf: CloudflareApi, worker: str) -> dict[str, Any]:
    """What a put of one of `worker`'s secrets keeps in the state (components/worker_secret)."""
    return {
        "worker": worker,
        "versions": [v["id"] for v in cf.deployed[worker].versions],
        "deployments": [d["id"] for d in cf.deployed[worker].deployments],
        "routes": {
            zone: [f"{r['id']}:{route_mark(r['pattern'], r['script'])}" for r in routes]
            for zone, routes in cf.worker_routes.items()
        },
    }


def worker_secret(worker: str, record: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": WORKER_SECRET, "id": f"{worker}/DATABASE_URL", "urn": f"u::{worker}",
            "outputs": {"scriptName": worker, "record": record}}  # fmt: skip


def attacked(v: Vendors, project: Path) -> tuple[Any, dict[str, str]]:
    """The team's deploys recorded, then the attacker's; the state and the attacker's ids."""
    cf = v.cloudflare
    cf.deploy(API, cf.upload(API))
    cf.deploy(WEBHOOKS, cf.upload(WEBHOOKS))
    cf.add_route(ZONE, "api.example.com/*", API)
    # The last up's puts: a new version and deployment each, recorded with what was there.
    cf.deploy(API, cf.upload(API, "api", "secret"), "secret")
    cf.deploy(WEBHOOKS, cf.upload(WEBHOOKS, "api", "secret"), "secret")
    secrets = [worker_secret(w, recorded_by_a_put(cf, w)) for w in (API, WEBHOOKS)]
    export = held(seed(v, project))
    export["deployment"]["resources"] += secrets
    version = cf.upload(API, source="api")
    evil = {"version": version, "deployment": cf.deploy(API, version),
            "route": cf.add_route(ZONE, "example.com/login*", API)}  # fmt: skip
    return export, evil


def test_worker_code_no_deploy_recorded_is_named_by_id_and_fails_the_check(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    export, evil = attacked(stand_ins, project)
    pulumi.answer(states=[export], config=KEYS)
    cli = Cli(project)

    text = cli("orphans", "prod")
    markdown = cli("orphans", "prod", "--format", "markdown")
    data = json.loads(cli("orphans", "prod", "--format", "json").stdout)

    assert text.exit_code == markdown.exit_code == 1, text.output
    assert {(d["kind"], d["where"], d["id"]) for d in data["unrecorded"]} == {
        ("version", API, evil["version"]),
        ("deployment", API, evil["deployment"]),
        ("route", ZONE, evil["route"]),
    }
    assert data["not_yet_recorded"] == []
    recorded = {i for w in (API, WEBHOOKS) for v in stand_ins.cloudflare.deployed[w].versions
                for i in [v["id"]] if i != evil["version"]}  # fmt: skip
    for output in (text.stdout, markdown.stdout):
        assert all(i in output for i in evil.values())
        assert not any(i in output for i in recorded)
        assert "example.com/login" not in output  # ids, never what a route matches
        assert "envkeeper emergency prod" in output
    assert f"| version | `{API}` | `{evil['version']}` |" in markdown.stdout
    # Only read: nothing was changed at Cloudflare by the check.
    assert not [c for c in stand_ins.cloudflare.requests if c.changes_something]


def test_right_after_a_deploy_unrecorded_code_is_reported_without_failing_it(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    export, evil = attacked(stand_ins, project)
    pulumi.answer(states=[export, export], config=KEYS)

    done = Cli(project)("orphans", "prod", "--delete")

    assert done.exit_code == 0, done.output
    assert evil["version"] in done.stdout
    assert evil["version"] in {v["id"] for v in stand_ins.cloudflare.deployed[API].versions}


def test_a_worker_no_put_recorded_yet_is_named_instead_of_listing_its_history(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    export, evil = attacked(stand_ins, project)
    old = [r for r in export["deployment"]["resources"] if r["type"] == WORKER_SECRET]
    old[1]["outputs"].pop("record")  # webhooks' secrets were put before records were kept
    before = stand_ins.cloudflare.upload(WEBHOOKS)
    pulumi.answer(states=[export], config=KEYS)

    data = json.loads(Cli(project)("orphans", "prod", "--format", "json").stdout)

    assert data["not_yet_recorded"] == [WEBHOOKS]
    assert before not in {d["id"] for d in data["unrecorded"]}
    assert evil["version"] in {d["id"] for d in data["unrecorded"]}


def test_emergency_with_vendors_names_the_attackers_code_before_changing_a_file(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    export, evil = attacked(stand_ins, project)
    pulumi.answer(states=[export, export], config=KEYS)
    stack_file = project / "Pulumi.prod.yaml"
    before = stack_file.read_text()
    cli = Cli(project)

    # The token may not read the zone's routes: one line, exit 2, no date moved.
    stand_ins.cloudflare.unreadable_zones.add(ZONE)
    refused = cli("emergency", "prod", "--vendors")
    assert refused.exit_code == 2, refused.output
    assert len(refused.stderr.strip().splitlines()) == 1 and "Cloudflare" in refused.stderr
    assert f"Workers Routes Read on {ZONE}" in refused.stderr
    assert stack_file.read_text() == before

    stand_ins.cloudflare.unreadable_zones.clear()
    done = cli("emergency", "prod", "--vendors")
    assert done.exit_code == 0, done.output
    assert stack_file.read_text() != before
    flat = " ".join(done.stdout.split())
    assert all(i in flat for i in evil.values())
    assert "no deploy of this stack recorded" in flat
    assert "CANARY" not in done.output


def test_a_recorded_route_pointed_elsewhere_or_deleted_is_named_and_fails_the_check(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    # The deploy token may update a route in place (its id stays) to run the attacker's
    # Worker, or delete one that put an auth Worker in front of the origin.
    export, _ = attacked(stand_ins, project)
    routes = stand_ins.cloudflare.worker_routes[ZONE]
    team, evil = routes[0], routes[1]
    routes.remove(evil)  # the attacker tidies up their own new route...
    team["script"] = "attacker-worker"  # ...and points the team's at their Worker instead
    spare = stand_ins.cloudflare.add_route(ZONE, "www.example.com/*", API)
    export_routes = export["deployment"]["resources"]
    for resource in export_routes:
        if resource["type"] == WORKER_SECRET:
            resource["outputs"]["record"]["routes"][ZONE].append(f"{spare}:{'0' * 16}")
    stand_ins.cloudflare.worker_routes[ZONE] = [r for r in routes if r["id"] != spare]
    pulumi.answer(states=[export], config=KEYS)

    done = Cli(project)("orphans", "prod", "--format", "json")

    assert done.exit_code == 1, done.output
    found = {(d["kind"], d["id"]) for d in json.loads(done.stdout)["unrecorded"]}
    assert ("changed route", team["id"]) in found
    assert ("removed route", spare) in found


def test_a_worker_no_put_recorded_fails_the_check_until_an_up_records_it(
    project: Path, stand_ins: Vendors, pulumi: FakePulumi
) -> None:
    export, _ = attacked(stand_ins, project)
    for resource in export["deployment"]["resources"]:
        if resource["type"] == WORKER_SECRET:
            resource["outputs"].pop("record")
    pulumi.answer(states=[export, export], config=KEYS)
    cli = Cli(project)

    check = cli("orphans", "prod")
    assert check.exit_code == 1, check.output
    assert "no record yet for example-api, example-webhooks" in " ".join(check.stdout.split())
    # Right after a deploy it is said, not failed: that deploy's own puts record it.
    assert cli("orphans", "prod", "--delete").exit_code == 0

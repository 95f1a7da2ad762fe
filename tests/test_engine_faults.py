"""A rotation that survives a bad day, under the real engine.

The real program, CLI and plugins run the engine tests' production stack (tests/engine_stack.py)
while a vendor stand-in fails once, the way networks fail (tests/standin.py): it acts and
then loses the answer, answers a 503 or a 429 with Retry-After before acting, or acts and
then the runner dies (every process of the `pulumi up` is killed).

Each fault meets each rotation that makes a credential at a vendor (a Stripe webhook
endpoint, a Resend sending key, a Cloudflare deploy token) and each write that delivers one
(a Worker secret, a GitHub environment secret). Every deploy here is what the deploy
workflow runs (.github/workflows/pulumi-up.yml): `envkeeper recover`, `pulumi up` with
refresh, then `envkeeper orphans --delete`. Each test checks what the team relies on:
- the credential in use keeps existing at its vendor while the rotation is broken;
- at most one further deploy finishes the rotation;
- then nothing is orphaned at any stand-in, and a refreshed preview expects no change.

The first test deploys the stack with every vendor SDK's debug logging on, and finds no
value in the output. Each test deploys what it needs from there: any one runs alone.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper import vendors as naming
from envkeeper.guards.orphans import STATE_TYPES
from envkeeper.infra import resource_types
from envkeeper.stack.settings import SlotDates
from envkeeper.vendors.resend import resend_key_name
from tests.engine import Workspace, kill_tree, required_engine
from tests.engine_stack import (
    ACCOUNT,
    API,
    CONFIG_SECRETS,
    ENVIRONMENT,
    STACK,
    WEBHOOKS,
    Vendors,
    neon_like_database,
    prepared_workspace,
    running_vendors,
)
from tests.github_api import REPOSITORY_ID
from tests.pgserver import Server, required_bindir
from tests.programs import load, set_rotation
from tests.standin import Fault, StandIn

pytestmark = pytest.mark.engine

WORKER_SECRET_TYPE = resource_types.WORKER_SECRET
GITHUB_SECRET_TYPE = resource_types.GITHUB_ENVIRONMENT_SECRET


@dataclass(frozen=True)
class Target:
    """A vendor call a rotation makes: what is rotated, and where the fault is played."""

    name: str
    secret: str  # the catalog secret whose rotation makes the call
    vendor: str  # which stand-in fails
    method: str
    path: str  # a regular expression over the path, as tests/standin.py matches it


TARGETS = (
    Target("stripe-endpoint", "STRIPE_WEBHOOK_SECRET", "stripe", "POST", "/v1/webhook_endpoints"),
    Target("resend-key", "RESEND_API_KEY", "resend", "POST", "/api-keys"),
    Target("cloudflare-token", "CLOUDFLARE_API_TOKEN", "cloudflare", "POST",
           f"/accounts/{ACCOUNT}/tokens"),
    Target("worker-secret", "RESEND_API_KEY", "cloudflare", "PUT",
           f"/accounts/{ACCOUNT}/workers/scripts/{API}/secrets"),
    Target("github-secret", "CLOUDFLARE_API_TOKEN", "github", "PUT",
           f"/repositories/{REPOSITORY_ID}/environments/{ENVIRONMENT}/secrets/"
           "CLOUDFLARE_API_TOKEN"),
)  # fmt: skip
# The calls envkeeper's own providers make (the others are the bridged providers').
RETRIED_BY_ENVKEEPER = {"stripe-endpoint", "resend-key", "worker-secret"}
# The kinds of fault, as tests/standin.py plays them.
FAULTS = {
    "lost-answer": ("lose", 503, None),
    "one-503": ("fail", 503, None),
    "one-429": ("fail", 429, 1),
    "killed-runner": ("kill", 503, None),
}


@dataclass
class Run:
    """One run of the deploy workflow: what each step printed, whether `up` passed, and
    what its orphan step deleted (vendor, id)."""

    up_passed: bool
    output: str
    swept: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Rig:
    ws: Workspace
    vendors: Vendors
    server: Server
    # The next keeper date of each rotated secret: recent days, each later than the last.
    next_day: dict[str, date] = field(default_factory=dict)

    def standin(self, vendor: str) -> StandIn:
        return getattr(self.vendors, vendor)

    def rotate(self, secret: str) -> None:
        """Move the secret's older slot (or its one date) to its next day: a bump."""
        settings = load(STACK, self.ws.project)[1]
        day = self.next_day.setdefault(secret, date.today() - timedelta(days=7))
        self.next_day[secret] = day + timedelta(days=1)
        assert day <= date.today(), "more rotations of one secret than recent days"
        current = settings.rotation[secret]
        value: object = day.isoformat()
        if isinstance(current, SlotDates):
            value = {current.inactive: day.isoformat()}
        set_rotation(self.ws.project, STACK, secret, value)

    def deploy(self, extra_env: dict[str, str] | None = None) -> Run:
        """The deploy workflow's run: recover, `pulumi up` with refresh, then (when it
        passed) delete what no state holds. Each step must end cleanly but the `up`."""
        saved = dict(self.ws.env_extra)
        self.ws.env_extra.update(extra_env or {})
        try:
            recovered = self.ws.envkeeper("recover", STACK)
            assert recovered.returncode == 0, recovered.stderr
            up = self.ws.run("up", "--yes", "--skip-preview", "--refresh", check=False)
            output = recovered.stdout + up.stdout + up.stderr
            deleted: list[tuple[str, str]] = []
            if up.returncode == 0:
                # As the workflow runs it; JSON only to read back what it deleted.
                swept = self.ws.envkeeper("orphans", STACK, "--delete", "--format", "json")
                assert swept.returncode == 0, swept.stdout + swept.stderr
                output += swept.stdout + swept.stderr
                deleted = [(o["vendor"], o["id"]) for o in json.loads(swept.stdout)["orphans"]]
        finally:
            self.ws.env_extra.clear()
            self.ws.env_extra.update(saved)
        return Run(up.returncode == 0, output, deleted)

    def killed_deploy(self, standin: StandIn) -> Run:
        """A deploy whose runner dies the moment the stand-in has acted."""
        recovered = self.ws.envkeeper("recover", STACK)
        assert recovered.returncode == 0, recovered.stderr
        up = self.ws.start("up", "--yes", "--skip-preview", "--refresh")
        standin.on_kill = lambda: kill_tree(up.pid)
        try:
            output, _ = up.communicate(timeout=300)
        finally:
            standin.on_kill = None
        assert up.returncode == -9, f"the runner was never killed:\n{output[-3000:]}"
        return Run(False, output)

    def state(self) -> dict[str, Any]:
        return json.loads(self.ws.run("stack", "export").stdout)["deployment"]

    def held(self) -> dict[str, str]:
        """What the Workers and CI hold of the minted credentials."""
        cloudflare, github = self.vendors.cloudflare, self.vendors.github
        return {
            "RESEND_API_KEY": cloudflare.secrets[(API, "RESEND_API_KEY")],
            "STRIPE_WEBHOOK_SECRET": cloudflare.secrets[(WEBHOOKS, "STRIPE_WEBHOOK_SECRET")],
            "CLOUDFLARE_API_TOKEN": github.environments[ENVIRONMENT].secrets[
                "CLOUDFLARE_API_TOKEN"
            ],
        }

    def in_use_is_live(self) -> None:
        """Every credential a Worker or CI holds is live at its vendor."""
        v = self.vendors
        held = self.held()
        assert held["RESEND_API_KEY"] in v.resend.tokens().values()
        assert held["STRIPE_WEBHOOK_SECRET"] in v.stripe.secrets().values()
        assert held["CLOUDFLARE_API_TOKEN"] in v.cloudflare.token_values().values()
        assert (API, "STRIPE_WEBHOOK_SECRET") in v.cloudflare.secrets

    def orphaned(self) -> dict[str, set[str]]:
        """By kind: what a stand-in holds that the state does not, and the reverse."""
        ids: dict[str, set[str]] = {}
        github_secrets: set[str] = set()
        for resource in self.state().get("resources") or []:
            if (resource.get("outputs") or {}).get("retired"):
                continue  # a retired standby key: its resource holds no key at Resend
            ids.setdefault(resource["type"], set()).add(str(resource.get("id")))
            if resource["type"] == GITHUB_SECRET_TYPE:
                github_secrets.add(resource["outputs"]["secretName"])
        v = self.vendors
        found = {
            "cloudflare": set(v.cloudflare.tokens),
            "resend": set(v.resend.keys),
            "stripe": set(v.stripe.endpoints),
        }
        found = {
            vendor: held ^ ids.get(STATE_TYPES[vendor], set()) for vendor, held in found.items()
        }
        worker_secrets = {f"{ACCOUNT}/{w}/{n}" for w, n in v.cloudflare.secrets}
        found["worker-secrets"] = worker_secrets ^ ids.get(WORKER_SECRET_TYPE, set())
        found["github-secrets"] = set(v.github.environments[ENVIRONMENT].secrets) ^ github_secrets
        return {kind: differ for kind, differ in found.items() if differ}

    def ensure_deployed(self) -> None:
        """Deploy when this test runs alone, or after another one failed halfway."""
        if not self.state().get("resources") or self.orphaned():
            assert self.deploy().up_passed

    def settled(self) -> None:
        """Nothing orphaned anywhere, nothing pending, and a refreshed preview expects no
        change."""
        assert self.orphaned() == {}
        assert not self.state().get("pending_operations")
        self.ws.run("preview", "--refresh", "--expect-no-changes")


@pytest.fixture(scope="module")
def vendors() -> Iterator[Vendors]:
    with running_vendors() as found:
        yield found


@pytest.fixture(scope="module")
def rig(vendors: Vendors, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    engine = required_engine()
    with neon_like_database(required_bindir()) as (server, owner_url):
        ws = prepared_workspace(engine, tmp_path_factory.mktemp("faults"), vendors, owner_url)
        rig = Rig(ws, vendors, server)
        # Each rotation here moves a date to a recent day: start from older ones.
        long_ago = date.today() - timedelta(days=40)
        older = long_ago - timedelta(days=1)
        for secret in ("RESEND_API_KEY", "CLOUDFLARE_API_TOKEN"):
            slots = {"a": older.isoformat(), "b": long_ago.isoformat()}
            set_rotation(ws.project, STACK, secret, slots)
        set_rotation(ws.project, STACK, "STRIPE_WEBHOOK_SECRET", long_ago.isoformat())
        yield rig


def every_value(rig: Rig) -> list[str]:
    """Every secret value the stack was given or handed out, the canaries' real values."""
    v = rig.vendors
    values = [*CONFIG_SECRETS.values(), *v.cloudflare.secrets.values()]
    values += [*v.cloudflare.token_values().values(), *v.resend.tokens().values()]
    values += [*v.stripe.secrets().values(), *v.github.environments[ENVIRONMENT].secrets.values()]
    return [value for value in values if len(value) > 8]


def test_a_deploy_with_every_vendor_sdk_logging_at_debug_prints_no_value(
    rig: Rig, tmp_path: Path
) -> None:
    # httpx (and the loggers around it) at DEBUG in every Python process of the run.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import logging\n"
        "logging.basicConfig()\n"
        "for name in ('httpx', 'httpcore', 'stripe', 'cloudflare', 'urllib3', 'resend'):\n"
        "    logging.getLogger(name).setLevel(logging.DEBUG)\n"
    )
    debug = {
        "CLOUDFLARE_LOG": "debug",
        "STRIPE_LOG": "debug",
        "PYTHONPATH": os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH")) if p),
    }
    ran = rig.deploy(debug)
    assert ran.up_passed, ran.output[-4000:]
    rig.rotate("STRIPE_WEBHOOK_SECRET")  # a create whose answer carries a signing secret
    again = rig.deploy(debug)
    assert again.up_passed, again.output[-4000:]

    values = every_value(rig)
    assert len(values) > 10
    for run in (ran, again):
        assert "CANARY" not in run.output
        for value in values:
            assert value not in run.output
    rig.settled()


@pytest.mark.parametrize("fault", sorted(FAULTS))
@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_a_rotation_survives_the_fault(rig: Rig, target: Target, fault: str) -> None:
    kind, status, retry_after = FAULTS[fault]
    rig.ensure_deployed()
    standin = rig.standin(target.vendor)
    before = rig.held()
    rig.rotate(target.secret)
    standin.played.clear()
    standin.faults.append(Fault(kind, target.method, target.path, status, retry_after))

    broken = rig.killed_deploy(standin) if kind == "kill" else rig.deploy()

    assert [f.kind for f, _ in standin.played] == [kind], "the fault was never played"
    assert not standin.faults
    rig.in_use_is_live()  # nothing the Workers or CI hold was lost with the answer
    if kind in ("fail", "lose") and target.name in RETRIED_BY_ENVKEEPER:
        # A transient failure or a lost answer is tried again inside the same `up`.
        assert broken.up_passed, broken.output[-4000:]
    runs, swept = 1, list(broken.swept)
    if not broken.up_passed or rig.orphaned():
        finished = rig.deploy()  # the deploy workflow's next run
        runs += 1
        swept += finished.swept
        assert finished.up_passed, finished.output[-4000:]
    rig.in_use_is_live()
    # What was made twice was undone where it was made (Stripe's replay, Resend's delete by
    # name); only a token the Cloudflare provider made again is left to the orphan step.
    leaves_one = target.name == "cloudflare-token" and kind in ("lose", "kill")
    assert {vendor for vendor, _ in swept} == ({"cloudflare"} if leaves_one else set())
    # The rotation is done: what is delivered is the credential for the new date.
    assert rig.held()[target.secret] != before[target.secret]
    rig.settled()
    assert runs <= 2
    assert all("CANARY" not in line for line in broken.output.splitlines())
    first = "passed" if broken.up_passed else "failed"
    print(f"{target.name} {fault}: first up {first}; {runs} deploy run(s); swept {swept}")


def test_orphans_are_listed_with_ids_and_names_then_deleted_and_nothing_else(rig: Rig) -> None:
    rig.ensure_deployed()
    v = rig.vendors
    settings = load(STACK, rig.ws.project)[1]
    # Two credentials a dead run left, and two nobody at envkeeper made: a person's token
    # and another stack's key, named like ours but with another stack's mark.
    token = {"name": "envkeeper production deploy a 2026-11-30 " + naming.stack_mark(settings),
             "policies": [], "status": "active", "issued_on": "2026-11-30T09:00:00Z",
             "value": "CANARY-left-token".ljust(40, "x")}  # fmt: skip
    v.cloudflare.tokens["f" * 32] = {"id": "f" * 32, **token}
    v.cloudflare.tokens["e" * 32] = {**token, "id": "e" * 32, "name": "laptop deploys"}
    key = {"name": resend_key_name(settings, "a"), "permission": "sending_access",
           "domain_id": None, "token": "re_CANARY-left", "created_at": "2026-11-30"}  # fmt: skip
    v.resend.keys["key-left"] = key
    v.resend.keys["key-other"] = {**key, "name": re.sub(r"\S+$", "ffffff", key["name"])}

    listed = rig.ws.envkeeper("orphans", STACK)
    drift = rig.ws.envkeeper("orphans", STACK, "--format", "markdown")

    assert listed.returncode == 1 and drift.returncode == 1
    for output in (listed.stdout, drift.stdout):
        assert "f" * 32 in output and "key-left" in output
        assert token["name"] in output and key["name"] in output
        assert "e" * 32 not in output and "key-other" not in output
        assert "CANARY" not in output
    swept = rig.ws.envkeeper("orphans", STACK, "--delete")
    assert swept.returncode == 0, swept.stderr
    assert "f" * 32 not in v.cloudflare.tokens and "key-left" not in v.resend.keys
    assert "e" * 32 in v.cloudflare.tokens and "key-other" in v.resend.keys
    del v.cloudflare.tokens["e" * 32], v.resend.keys["key-other"]
    assert rig.ws.envkeeper("orphans", STACK).returncode == 0
    rig.settled()

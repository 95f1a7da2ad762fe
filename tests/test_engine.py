"""envkeeper under the real Pulumi engine: `pulumi up`, preview, the policy pack, destroy.

The CLI, a Python language host and the SDK's dynamic-provider shim run for real, with a
file backend and a local stand-in for the Cloudflare API (the official SDK pointed at it).
The program is tests/engine_program: envkeeper's own WorkerSecrets component, settings and
Environment boundaries. What needs provider plugins that cannot be built here (random,
postgresql, neon, cloudflare, github) is not run; the README says which.

The tests share one stack and run in order, as a team's deploys would: up, up again,
change a value, the policy pack, destroy.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from envkeeper import catalog
from tests.engine import ROOT, Workspace, find_engine, new_workspace
from tests.programs import pasted, without_declared

pytestmark = pytest.mark.engine

STACK = "dev"
ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
WORKER = "example-api-dev"
RENAMED = "example-api-dev-next"
TOKEN = "CANARY-engine-cf-token-5e1d"
# Each Worker secret's config key and value; the generated ones come from stand-in config.
WORKER_VALUES = {
    "STRIPE_SECRET_KEY": ("envkeeper:stripeSecretKey", "CANARY-engine-stripe-key-5e1d"),
    "STRIPE_WEBHOOK_SECRET": ("envkeeper:stripeWebhookSecret", "CANARY-engine-webhook-5e1d"),
    "RESEND_API_KEY": ("envkeeper:resendApiKey", "CANARY-engine-resend-5e1d"),
    "DATABASE_URL": ("engine-test:DATABASE_URL", "postgresql://a:CANARY-engine-pw-5e1d@db/app"),
    "DATABASE_URL_READONLY": (
        "engine-test:DATABASE_URL_READONLY",
        "postgresql://r:CANARY-engine-ro-5e1d@db/app",
    ),
    "BETTER_AUTH_SECRETS": (
        "engine-test:BETTER_AUTH_SECRETS",
        "20261005:CANARY-engine-auth-new-5e1d,20260608:CANARY-engine-auth-old-5e1d",
    ),
    "BETTER_AUTH_SECRET": ("engine-test:BETTER_AUTH_SECRET", "CANARY-engine-auth-5e1d"),
}
# Every secret value the stack holds, by config key. None may appear in clear anywhere.
SECRETS = {**dict(WORKER_VALUES.values()), "cloudflare:apiToken": TOKEN}
# The ciphertext marker of a secret value in Pulumi's state.
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRETS_PATH = re.compile(rf"/client/v4/accounts/{ACCOUNT}/workers/scripts/([^/]+)/secrets(/.*)?")


class CloudflareStandIn:
    """Answers the Worker-secret calls as Cloudflare does and keeps what it was sent."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.secrets: dict[tuple[str, str], str] = {}
        server.expect_request(SECRETS_PATH).respond_with_handler(self.handle)

    def handle(self, request: Request) -> Response:
        match = SECRETS_PATH.fullmatch(request.path)
        assert match, request.path
        worker, rest = match.group(1), (match.group(2) or "").lstrip("/")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._answer(403, None, [{"code": 10000, "message": "Authentication error"}])
        if request.method == "PUT":
            body = request.get_json()
            self.secrets[(worker, body["name"])] = body["text"]
            return self._answer(200, {"name": body["name"], "type": "secret_text"})
        if (worker, rest) not in self.secrets:
            return self._answer(404, None, [{"code": 10056, "message": "secret not found"}])
        if request.method == "DELETE":
            del self.secrets[(worker, rest)]
            return self._answer(200, None)
        return self._answer(200, {"name": rest, "type": "secret_text"})

    @staticmethod
    def _answer(status: int, result: Any, errors: list[Any] | None = None) -> Response:
        body = {"success": status < 400, "errors": errors or [], "messages": [], "result": result}
        return Response(json.dumps(body), status=status, content_type="application/json")

    def calls(self) -> list[tuple[str, str]]:
        """(method, what) of every request since the last call, and forget them."""
        found = []
        for request, _ in self.server.log:
            match = SECRETS_PATH.fullmatch(request.path)
            assert match, request.path
            what = (request.get_json() or {}).get("name") if request.method == "PUT" else None
            found.append((request.method, f"{match.group(1)}/{what or match.group(2).lstrip('/')}"))
        self.server.clear_log()
        return sorted(found)


@pytest.fixture(scope="module")
def engine() -> Path:
    found = find_engine()
    if found is None:
        why = "no pulumi CLI: put one on PATH or run scripts/pulumi-from-source.sh"
        if os.environ.get("CI"):
            pytest.fail(why)  # CI builds it first; a missing engine is a broken run
        pytest.skip(why)
    return found


@pytest.fixture(scope="module")
def cloudflare() -> Iterator[CloudflareStandIn]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield CloudflareStandIn(server)
    server.clear()
    server.stop()


@pytest.fixture(scope="module")
def stack(
    engine: Path, cloudflare: CloudflareStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Workspace:
    # The Worker-secret path only: Resend and Stripe values pasted in as secret config.
    dev = without_declared(pasted((ROOT / "Pulumi.dev.yaml").read_text()))
    ws = new_workspace(engine, tmp_path_factory.mktemp("engine"), dev, STACK)
    ws.env_extra["CLOUDFLARE_BASE_URL"] = cloudflare.server.url_for("/client/v4")
    for key, value in SECRETS.items():
        ws.run("config", "set", "--secret", key, value)
    return ws


def worker_secret_urns(ws: Workspace) -> dict[str, str]:
    return {
        r["urn"].rsplit("::", 1)[1]: r["urn"]
        for r in json.loads(ws.run("stack", "export").stdout)["deployment"]["resources"]
        if r["type"] == "pulumi-python:dynamic/envkeeper:WorkerSecret"
    }


def test_up_puts_each_worker_secret_once(stack: Workspace, cloudflare: CloudflareStandIn) -> None:
    stack.run("up", "--yes", "--skip-preview")
    names = catalog.BUILT_IN.worker_secret_names()
    assert cloudflare.calls() == sorted(("PUT", f"{WORKER}/{n}") for n in names)
    assert cloudflare.secrets == {(WORKER, n): WORKER_VALUES[n][1] for n in names}


def test_the_state_holds_no_secret_in_clear(stack: Workspace) -> None:
    exported = stack.run("stack", "export").stdout
    state = json.loads(exported)["deployment"]
    files = [exported, *(p.read_text() for p in stack.project.glob("Pulumi.*.yaml"))]
    for text in files:
        for value in SECRETS.values():
            assert value not in text
        assert "CANARY" not in text
    secrets = [r for r in state["resources"] if r["type"].endswith("envkeeper:WorkerSecret")]
    assert len(secrets) == len(catalog.BUILT_IN.worker_secret_names())
    for resource in secrets:
        assert resource["inputs"]["text"][SECRET_SIG]
        assert resource["outputs"]["text"][SECRET_SIG]
        # The provider is pickled into the state: by reference to envkeeper's module, and
        # with no token or value inside, even once decoded.
        provider = base64.b64decode(resource["outputs"]["__provider"])
        assert b"components.worker_secret" in provider
        assert len(provider) < 2048
        for value in SECRETS.values():
            assert value.encode() not in provider


def test_a_second_up_changes_nothing(stack: Workspace, cloudflare: CloudflareStandIn) -> None:
    preview = stack.json("preview", "--diff")
    assert {s["op"] for s in preview["steps"]} == {"same"}
    stack.run("up", "--yes", "--skip-preview")
    assert cloudflare.calls() == []


def test_a_new_value_updates_its_worker_secret_in_place(
    stack: Workspace, cloudflare: CloudflareStandIn
) -> None:
    rolled = "CANARY-engine-stripe-key-rolled-5e1d"
    stack.run("config", "set", "--secret", "envkeeper:stripeSecretKey", rolled)
    urns = worker_secret_urns(stack)
    preview = stack.json("preview", "--diff")
    changed = {s["urn"]: s["op"] for s in preview["steps"] if s["op"] != "same"}
    assert changed == {urns[f"{WORKER}-STRIPE_SECRET_KEY"]: "update"}
    assert rolled not in json.dumps(preview)

    stack.run("up", "--yes", "--skip-preview")
    assert cloudflare.calls() == [("PUT", f"{WORKER}/STRIPE_SECRET_KEY")]
    assert cloudflare.secrets[(WORKER, "STRIPE_SECRET_KEY")] == rolled


def test_the_policy_pack_passes_the_shipped_stack(stack: Workspace) -> None:
    done = stack.run("preview", "--policy-pack", str(ROOT / "policy"))
    assert f"✅ envkeeper@v0.0.1 (local: {ROOT / 'policy'})" in done.stdout  # ran, no violation


def test_the_policy_pack_stops_a_secret_bound_for_another_stack(
    stack: Workspace, cloudflare: CloudflareStandIn
) -> None:
    stack.run("config", "set", "engine-test:strayWorker", "example-api-prod")
    try:
        done = stack.run("preview", "--policy-pack", str(ROOT / "policy"), check=False)
        up = stack.run("up", "--yes", "--policy-pack", str(ROOT / "policy"), check=False)
    finally:
        stack.run("config", "rm", "engine-test:strayWorker")
    for run in (done, up):
        assert run.returncode != 0
        assert "secrets-stay-in-their-stack" in run.stdout
        assert "targets Worker example-api-prod, which is not one of this stack's" in run.stdout
    assert cloudflare.calls() == []  # nothing reached Cloudflare


def test_a_renamed_worker_gets_its_secrets_before_the_old_one_loses_them(
    stack: Workspace, cloudflare: CloudflareStandIn
) -> None:
    stack_file = stack.project / f"Pulumi.{STACK}.yaml"
    stack_file.write_text(stack_file.read_text().replace(f"[{WORKER}]", f"[{RENAMED}]"))
    preview = stack.json("preview", "--diff")
    ops = {s["urn"].rsplit("::", 1)[1]: s["op"] for s in preview["steps"] if s["op"] != "same"}
    assert ops == {f"{RENAMED}-{n}": "create" for n in catalog.BUILT_IN.worker_secret_names()} | {
        f"{WORKER}-{n}": "delete" for n in catalog.BUILT_IN.worker_secret_names()
    }

    stack.run("up", "--yes", "--skip-preview")
    methods = [request.method for request, _ in cloudflare.server.log]
    # Every new secret is in place before any old one goes: no moment without them.
    assert methods == ["PUT"] * (len(ops) // 2) + ["DELETE"] * (len(ops) // 2)
    cloudflare.calls()
    assert set(cloudflare.secrets) == {(RENAMED, n) for n in catalog.BUILT_IN.worker_secret_names()}


def test_a_secret_deleted_outside_pulumi_is_put_back_by_up_with_refresh(
    stack: Workspace, cloudflare: CloudflareStandIn
) -> None:
    # What the deploy workflow runs (refresh: true). A plain `up` compares state only.
    worker, name = sorted(cloudflare.secrets)[0]
    del cloudflare.secrets[(worker, name)]
    stack.run("up", "--yes", "--skip-preview")
    assert [c for c in cloudflare.calls() if c[0] != "GET"] == []
    stack.run("up", "--yes", "--skip-preview", "--refresh")
    assert [c for c in cloudflare.calls() if c[0] != "GET"] == [("PUT", f"{worker}/{name}")]
    assert (worker, name) in cloudflare.secrets


def test_destroy_deletes_every_worker_secret(
    stack: Workspace, cloudflare: CloudflareStandIn
) -> None:
    held = sorted(("DELETE", f"{worker}/{name}") for worker, name in cloudflare.secrets)
    assert held
    stack.run("destroy", "--yes", "--skip-preview")
    assert cloudflare.calls() == held
    assert cloudflare.secrets == {}

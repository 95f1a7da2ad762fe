"""The Resend and Stripe providers under the real Pulumi engine, against local stand-ins.

The shipped dev stack mints its Resend sending keys and owns its Stripe webhook endpoint.
These tests run `pulumi up` for real (the engine pickles each dynamic provider, starts it in
its own process and hands it the stack's config) and check what reached each vendor, in
what order, and what the state keeps.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.engine import ROOT, Workspace, new_workspace
from tests.programs import set_rotation, without_declared
from tests.test_engine import SECRET_SIG, CloudflareStandIn, engine  # noqa: F401 (fixture)

pytestmark = pytest.mark.engine

STACK = "dev"
WORKER = "example-api-dev"
DOMAIN = "dev.mail.example.com"
CF_TOKEN = "CANARY-engine-cf-token-5e1d"
RESEND_ADMIN = "re_CANARY-engine-resend-admin-5e1d"
STRIPE_ADMIN = "rk_test_CANARY-engine-stripe-admin-5e1d"
SECRETS = {
    "cloudflare:apiToken": CF_TOKEN,
    "envkeeper:resendAdminKey": RESEND_ADMIN,
    "envkeeper:stripeAdminKey": STRIPE_ADMIN,
    "envkeeper:stripeSecretKey": "CANARY-engine-stripe-key-5e1d",
    "engine-test:DATABASE_URL": "postgresql://a:CANARY-engine-pw-5e1d@db/app",
    "engine-test:DATABASE_URL_READONLY": "postgresql://r:CANARY-engine-ro-5e1d@db/app",
    "engine-test:BETTER_AUTH_SECRETS": "20261005:CANARY-engine-new-5e1d,20260608:CANARY-old-5e1d",
    "engine-test:BETTER_AUTH_SECRET": "CANARY-engine-auth-5e1d",
}


class Vendors:
    """Resend and Stripe stand-ins that hand out canary credentials and log, in one
    order with the Cloudflare calls, every request that changes something."""

    def __init__(self, resend: HTTPServer, stripe: HTTPServer, cloudflare: CloudflareStandIn):
        self.resend_url = resend.url_for("").rstrip("/")
        self.stripe_url = stripe.url_for("").rstrip("/")
        self.events: list[str] = []
        self.keys: dict[str, str] = {}  # Resend key id -> its token
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.counter = 0
        resend.expect_request(re.compile("/.*")).respond_with_handler(self.resend)
        stripe.expect_request(re.compile("/.*")).respond_with_handler(self.stripe)
        original = cloudflare.handle

        def logged(request: Request) -> Response:
            if request.method != "GET":
                name = (request.get_json() or {}).get("name") if request.method == "PUT" else ""
                self.events.append(f"cloudflare {request.method} {name or request.path}")
            return original(request)

        cloudflare.server.clear()
        cloudflare.server.expect_request(re.compile("/client/v4/.*")).respond_with_handler(logged)

    def _next(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def resend(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {RESEND_ADMIN}":
            return _json({"statusCode": 401, "name": "invalid_api_key", "message": "no"}, 401)
        if request.method == "GET" and request.path == "/domains":
            return _json({"object": "list", "data": [{"id": "dom-1", "name": DOMAIN}]})
        if request.method == "GET" and request.path == "/api-keys":
            return _json({"object": "list", "data": [{"id": k} for k in self.keys]})
        if request.method == "POST" and request.path == "/api-keys":
            body = request.get_json()
            assert body["permission"] == "sending_access" and body["domain_id"] == "dom-1"
            key = self._next("key-")
            self.keys[key] = f"re_CANARY-engine-sending-{key}-5e1d"
            self.events.append(f"resend POST {key}")
            return _json({"id": key, "token": self.keys[key]})
        if request.method == "DELETE" and request.path.startswith("/api-keys/"):
            key = request.path.rsplit("/", 1)[1]
            self.keys.pop(key, None)
            self.events.append(f"resend DELETE {key}")
            return _json({"object": "api_key", "id": key, "deleted": True})
        return _json({"statusCode": 404, "name": "not_found", "message": "no"}, 404)

    def stripe(self, request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {STRIPE_ADMIN}":
            return _json({"error": {"type": "invalid_request_error", "message": "no"}}, 401)
        path = request.path
        if request.method == "POST" and path == "/v1/webhook_endpoints":
            endpoint = self._next("we_")
            form = request.form
            self.endpoints[endpoint] = {
                "id": endpoint,
                "object": "webhook_endpoint",
                "url": form["url"],
                "enabled_events": [v for k, v in form.items() if k.startswith("enabled_events")],
                "secret": f"whsec_CANARY-engine-{endpoint}-5e1d",
            }
            self.events.append(f"stripe POST {endpoint}")
            return _json(self.endpoints[endpoint])
        endpoint = path.rsplit("/", 1)[1]
        if endpoint not in self.endpoints:
            return _json({"error": {"type": "invalid_request_error", "message": "gone"}}, 404)
        if request.method == "DELETE":
            del self.endpoints[endpoint]
            self.events.append(f"stripe DELETE {endpoint}")
            return _json({"id": endpoint, "object": "webhook_endpoint", "deleted": True})
        shown = {k: v for k, v in self.endpoints[endpoint].items() if k != "secret"}
        return _json(shown)  # Stripe shows the secret only on create

    def take(self) -> list[str]:
        found, self.events = self.events, []
        return found


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def _server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    return server


@pytest.fixture(scope="module")
def vendors() -> Iterator[tuple[Vendors, CloudflareStandIn]]:
    servers = [_server() for _ in range(3)]
    cloudflare = CloudflareStandIn(servers[2])
    yield Vendors(servers[0], servers[1], cloudflare), cloudflare
    for server in servers:
        server.clear()
        server.stop()


@pytest.fixture(scope="module")
def stack(
    engine: Path,  # noqa: F811 (the shared fixture)
    vendors: tuple[Vendors, CloudflareStandIn],
    tmp_path_factory: pytest.TempPathFactory,
) -> Workspace:
    stand_ins, cloudflare = vendors
    dev = without_declared((ROOT / "Pulumi.dev.yaml").read_text())
    ws = new_workspace(engine, tmp_path_factory.mktemp("engine-vendors"), dev, STACK)
    ws.env_extra.update(
        CLOUDFLARE_BASE_URL=cloudflare.server.url_for("/client/v4"),
        RESEND_API_URL=stand_ins.resend_url,
        STRIPE_API_BASE=stand_ins.stripe_url,
    )
    for key, value in SECRETS.items():
        ws.run("config", "set", "--secret", key, value)
    return ws


def test_up_mints_two_domain_bound_keys_and_one_endpoint_and_delivers_them(
    stack: Workspace, vendors: tuple[Vendors, CloudflareStandIn]
) -> None:
    stand_ins, cloudflare = vendors
    stack.run("up", "--yes", "--skip-preview")

    events = stand_ins.take()
    minted = sorted(e.rsplit(" ", 1)[0] for e in events if not e.startswith("cloudflare"))
    assert minted == ["resend POST", "resend POST", "stripe POST"]
    # Each value was created before the Worker secret that carries it was put.
    assert events.index("cloudflare PUT RESEND_API_KEY") > max(
        i for i, e in enumerate(events) if e.startswith("resend POST")
    )
    assert events.index("cloudflare PUT STRIPE_WEBHOOK_SECRET") > events.index(
        next(e for e in events if e.startswith("stripe POST"))
    )
    (endpoint,) = stand_ins.endpoints.values()
    assert cloudflare.secrets[(WORKER, "STRIPE_WEBHOOK_SECRET")] == endpoint["secret"]
    assert endpoint["url"] == "https://api-dev.example.com/webhooks/stripe"
    # dev's slot b (2026-09-21) is the active Resend key.
    assert cloudflare.secrets[(WORKER, "RESEND_API_KEY")] in stand_ins.keys.values()


def test_the_state_keeps_tokens_secret_and_no_admin_key_in_a_provider(stack: Workspace) -> None:
    exported = stack.run("stack", "export").stdout
    assert "CANARY" not in exported
    resources = json.loads(exported)["deployment"]["resources"]
    minted = [
        r
        for r in resources
        if r["type"].endswith(("envkeeper:ResendApiKey", "envkeeper:StripeWebhookEndpoint"))
    ]
    assert len(minted) == 3
    for resource in minted:
        field = "token" if resource["type"].endswith("ResendApiKey") else "secret"
        assert resource["outputs"][field][SECRET_SIG]
        provider = base64.b64decode(resource["outputs"]["__provider"])
        assert b"components." in provider and len(provider) < 2048
        for value in (RESEND_ADMIN, STRIPE_ADMIN):
            assert value.encode() not in provider


def test_bumping_the_resend_slot_makes_the_new_key_before_deleting_the_old(
    stack: Workspace, vendors: tuple[Vendors, CloudflareStandIn]
) -> None:
    stand_ins, cloudflare = vendors
    old = set(stand_ins.keys)
    set_rotation(stack.project, STACK, "RESEND_API_KEY", {"a": "2026-11-27"})
    stack.run("up", "--yes", "--skip-preview")

    events = [e for e in stand_ins.take() if "RESEND" in e or e.startswith("resend")]
    (new,) = set(stand_ins.keys) - old
    (gone,) = old - set(stand_ins.keys)
    assert events == [
        f"resend POST {new}",
        "cloudflare PUT RESEND_API_KEY",
        f"resend DELETE {gone}",
    ]
    assert cloudflare.secrets[(WORKER, "RESEND_API_KEY")] == stand_ins.keys[new]


def test_rotating_the_webhook_secret_swaps_endpoints_new_first_old_last(
    stack: Workspace, vendors: tuple[Vendors, CloudflareStandIn]
) -> None:
    stand_ins, cloudflare = vendors
    (old,) = stand_ins.endpoints
    set_rotation(stack.project, STACK, "STRIPE_WEBHOOK_SECRET", "2026-11-27")
    stack.run("up", "--yes", "--skip-preview")

    (new,) = stand_ins.endpoints
    events = [e for e in stand_ins.take() if "STRIPE_WEBHOOK" in e or e.startswith("stripe")]
    # The window in which events reach both endpoints is the Worker secret's one PUT.
    assert events == [
        f"stripe POST {new}",
        "cloudflare PUT STRIPE_WEBHOOK_SECRET",
        f"stripe DELETE {old}",
    ]
    assert (
        cloudflare.secrets[(WORKER, "STRIPE_WEBHOOK_SECRET")] == stand_ins.endpoints[new]["secret"]
    )


def test_destroy_deletes_the_keys_and_the_endpoint(
    stack: Workspace, vendors: tuple[Vendors, CloudflareStandIn]
) -> None:
    stand_ins, _ = vendors
    stack.run("destroy", "--yes", "--skip-preview")
    assert stand_ins.keys == {} and stand_ins.endpoints == {}

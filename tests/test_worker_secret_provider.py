"""The WorkerSecret dynamic provider against the Cloudflare API stand-in (tests/cloudflare_api.py).

The official `cloudflare` SDK is pointed at it; each test checks the requests the provider
actually made (method, path, body, token) and what it makes of Cloudflare's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer

from components.worker_secret import _RUNTIME, RECORDING, WorkerSecretError, WorkerSecretProvider
from envkeeper.infra.worker_code import route_mark
from tests.cloudflare_api import CloudflareApi
from tests.standin import Fault

pytestmark = pytest.mark.cloudflare_api

ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
TOKEN = "CANARY-cf-token-7f3a"
WORKER = "example-api-dev"
SECRETS = f"/accounts/{ACCOUNT}/workers/scripts/{WORKER}/secrets"
ONE = f"{SECRETS}/STRIPE_SECRET_KEY"
PROPS: dict[str, Any] = {
    "accountId": ACCOUNT,
    "scriptName": WORKER,
    "name": "STRIPE_SECRET_KEY",
    "text": "CANARY-stripe-7f3a",
    "environment": "dev",
}
BODY = {"name": "STRIPE_SECRET_KEY", "text": "CANARY-stripe-7f3a", "type": "secret_text"}


@pytest.fixture
def cloudflare(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> CloudflareApi:
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", httpserver.url_for("/client/v4"))
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    return CloudflareApi(httpserver, TOKEN, ACCOUNT, {WORKER})


def configured(token: str | None) -> WorkerSecretProvider:
    found = WorkerSecretProvider()
    found.configure(
        ConfigureRequest(Config({"cloudflare:apiToken": token} if token else {}, "envkeeper"))
    )
    return found


@pytest.fixture
def provider(cloudflare: CloudflareApi) -> Iterator[WorkerSecretProvider]:
    yield configured(TOKEN)
    _RUNTIME.clear()


def made(cloudflare: CloudflareApi) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in cloudflare.requests]


def changed(cloudflare: CloudflareApi) -> list[tuple[str, str]]:
    """The requests that change something (a put's record only reads)."""
    return [(c.method, c.path) for c in cloudflare.requests if c.changes_something]


def kept(outs: dict[str, Any]) -> dict[str, Any]:
    """The outputs without the put's record (its own test checks it)."""
    return {k: v for k, v in outs.items() if k != "record"}


def test_create_puts_the_secret_on_the_worker(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    result = provider.create(dict(PROPS))
    writes = [(c.method, c.path, c.body) for c in cloudflare.requests if c.changes_something]
    assert writes == [("PUT", SECRETS, BODY)]
    assert cloudflare.secrets == {(WORKER, "STRIPE_SECRET_KEY"): "CANARY-stripe-7f3a"}
    assert result.id == f"{ACCOUNT}/{WORKER}/STRIPE_SECRET_KEY"
    assert kept(result.outs or {}) == PROPS


def test_update_puts_the_new_value_in_place_without_a_delete(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    cloudflare.secrets[(WORKER, "STRIPE_SECRET_KEY")] = "CANARY-stripe-7f3a"
    new = {**PROPS, "text": "CANARY-stripe-rolled-7f3a"}
    result = provider.update("id", dict(PROPS), new)
    assert changed(cloudflare) == [("PUT", SECRETS)]
    assert cloudflare.secrets == {(WORKER, "STRIPE_SECRET_KEY"): "CANARY-stripe-rolled-7f3a"}
    assert kept(result.outs or {}) == new


ZONE = "4d3c2b1a09f8e7d6c5b4a39281706f5e"


def test_a_put_records_every_version_deployment_and_route_it_saw_after_it(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    cloudflare.zones[ZONE] = "example.com"
    app = cloudflare.upload(WORKER)
    app_deployment = cloudflare.deploy(WORKER, app)
    route = cloudflare.add_route(ZONE, "api.example.com/*", WORKER)
    for _ in range(11):  # more versions than Cloudflare's first page holds
        cloudflare.upload(WORKER)

    outs = provider.create({**PROPS, "zones": [ZONE]}).outs or {}

    deployed = cloudflare.deployed[WORKER]
    record = outs["record"]
    assert record["worker"] == WORKER
    # Every version, the put's own new one (the newest) among them; every deployment.
    assert record["versions"] == [v["id"] for v in deployed.versions]
    assert len(record["versions"]) == 1 + 11 + 1
    assert record["deployments"] == [d["id"] for d in deployed.deployments]
    assert app in record["versions"] and app_deployment in record["deployments"]
    # A route with a mark of what it matches and runs (its id stays when it is changed).
    assert record["routes"] == {ZONE: [f"{route}:{route_mark('api.example.com/*', WORKER)}"]}
    # Read back from the state as it was kept, never listed again by a read.
    cloudflare.secrets[(WORKER, "STRIPE_SECRET_KEY")] = "CANARY-stripe-7f3a"
    cloudflare.upload(WORKER)
    before = len(cloudflare.requests)
    assert provider.read("the-id", dict(outs)).outs == outs
    assert made(cloudflare)[before:] == [("GET", ONE)]


def test_delete_removes_the_secret(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    cloudflare.secrets[(WORKER, "STRIPE_SECRET_KEY")] = "CANARY-stripe-7f3a"
    provider.delete("id", dict(PROPS))
    assert made(cloudflare) == [("DELETE", ONE)]
    assert cloudflare.secrets == {}


def test_deleting_a_secret_that_is_already_gone_succeeds(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    provider.delete("id", dict(PROPS))  # Cloudflare answers 404, code 10056
    assert made(cloudflare) == [("DELETE", ONE)]


def test_a_delete_the_token_may_not_make_fails_and_names_the_permission(
    cloudflare: CloudflareApi,
) -> None:
    # Swallowing it would drop the secret from the state while it lives on at Cloudflare.
    cloudflare.secrets[(WORKER, "STRIPE_SECRET_KEY")] = "CANARY-stripe-7f3a"
    weak = configured("CANARY-other-token-7f3a")
    with pytest.raises(WorkerSecretError, match="token with 'Workers Scripts Write' on this acc"):
        weak.delete("id", dict(PROPS))
    assert made(cloudflare) == [("DELETE", ONE)]
    assert (WORKER, "STRIPE_SECRET_KEY") in cloudflare.secrets
    _RUNTIME.clear()


def test_read_asks_cloudflare_and_keeps_the_value_it_never_returns(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    cloudflare.secrets[(WORKER, "STRIPE_SECRET_KEY")] = "CANARY-stripe-7f3a"
    result = provider.read("the-id", dict(PROPS))
    assert made(cloudflare) == [("GET", ONE)]
    assert result.id == "the-id"
    assert result.outs == PROPS


def test_read_of_a_secret_deleted_outside_pulumi_drops_it_so_up_puts_it_back(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    result = provider.read("the-id", dict(PROPS))
    assert made(cloudflare) == [("GET", ONE)]
    # An empty id tells the engine the resource is gone: the next `up` creates it again.
    assert result.id == "" and result.outs == {}


def test_diff_updates_a_new_value_and_replaces_a_new_worker_or_name() -> None:
    provider = WorkerSecretProvider()
    value = provider.diff("id", dict(PROPS), {**PROPS, "text": "other"})
    assert value.changes is True and value.replaces == []
    worker = provider.diff("id", dict(PROPS), {**PROPS, "scriptName": "example-api"})
    assert worker.replaces == ["scriptName"] and worker.delete_before_replace is False
    name = provider.diff("id", dict(PROPS), {**PROPS, "name": "RESEND_API_KEY"})
    assert name.replaces == ["name"]
    same = provider.diff("id", dict(PROPS), dict(PROPS))
    assert same.changes is False
    # A deploy token made anew (a new id) puts the same value again, in place.
    rewritten = provider.diff(
        "id",
        {**PROPS, "writers": "a=0a1b,b=2c3d"},
        {**PROPS, "writers": "a=4e5f,b=2c3d"},
    )
    assert rewritten.changes is True and rewritten.replaces == []


def error_of(provider: WorkerSecretProvider, props: dict[str, Any]) -> WorkerSecretError:
    with pytest.raises(WorkerSecretError) as excinfo:
        provider.create(props)
    error = excinfo.value
    # No SDK traceback rides along: the chain is cut where the provider explains.
    assert error.__cause__ is None and error.__suppress_context__
    assert "\n" not in str(error)
    assert "CANARY" not in str(error)
    return error


@pytest.mark.parametrize(("status", "code"), [(404, 10007), (400, 10090)])
def test_a_missing_worker_is_one_line_naming_it_and_the_environment(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi, status: int, code: int
) -> None:
    cloudflare.workers.clear()
    cloudflare.missing_worker = (status, code)
    message = str(error_of(provider, dict(PROPS)))
    assert made(cloudflare) == [("PUT", SECRETS)]
    assert message == (
        f"Worker secret STRIPE_SECRET_KEY on Worker {WORKER} (environment dev, account "
        f"{ACCOUNT}): the Worker does not exist; deploy it once (wrangler deploy) or fix "
        "envkeeper:cloudflare.workers"
    )


def test_a_token_without_permission_is_one_line_naming_the_permission(
    cloudflare: CloudflareApi,
) -> None:
    message = str(error_of(configured("CANARY-other-token-7f3a"), dict(PROPS)))
    assert made(cloudflare) == [("PUT", SECRETS)]
    assert f"Worker {WORKER} (environment dev" in message
    assert "refused the admin key (HTTP 403); it must be a token with 'Workers Scripts Write'" in (
        message
    )
    _RUNTIME.clear()


def test_the_token_can_come_from_the_environment(
    cloudflare: CloudflareApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    configured(None).create(dict(PROPS))
    assert changed(cloudflare) == [("PUT", SECRETS)]
    assert (WORKER, "STRIPE_SECRET_KEY") in cloudflare.secrets
    _RUNTIME.clear()


def test_no_token_at_all_says_how_to_set_one_and_sends_nothing(cloudflare: CloudflareApi) -> None:
    with pytest.raises(WorkerSecretError, match="pulumi config set --secret cloudflare:apiToken"):
        configured(None).create(dict(PROPS))
    assert cloudflare.requests == []


def test_the_secret_value_only_travels_in_the_request_body(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi, httpserver: HTTPServer
) -> None:
    provider.create(dict(PROPS))
    request = httpserver.log[0][0]
    assert all("CANARY-stripe" not in str(r.get_data()) for r, _ in httpserver.log[1:])
    assert "CANARY-stripe" not in request.url
    assert all("CANARY-stripe" not in value for value in request.headers.values())
    assert request.get_json()["text"] == "CANARY-stripe-7f3a"


def test_a_latest_version_not_deployed_is_one_line_saying_what_to_do(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    cloudflare.gradual.add(WORKER)  # Cloudflare answers 400, code 10215
    message = str(error_of(provider, dict(PROPS)))
    assert made(cloudflare) == [("PUT", SECRETS)]
    assert message.startswith(f"Worker secret STRIPE_SECRET_KEY on Worker {WORKER}")
    assert message.endswith(
        "the Worker's latest version is not deployed (a gradual deployment, or a `wrangler "
        "versions upload` not yet deployed), and Cloudflare refuses secret changes until it "
        "is; deploy that version to 100% (wrangler versions deploy <version-id>@100%), then "
        "run pulumi up again"
    )
    assert "roll it back" not in message


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The Cloudflare SDK's waits between tries, recorded instead of slept."""
    found: list[float] = []
    monkeypatch.setattr("time.sleep", found.append)
    return found


@pytest.mark.parametrize(
    ("fault", "status", "retry_after"),
    [("fail", 429, 2), ("fail", 503, None), ("lose", 503, None)],
)
def test_a_transient_failure_is_tried_again_by_the_sdk_honouring_retry_after(
    provider: WorkerSecretProvider,
    cloudflare: CloudflareApi,
    waits: list[float],
    fault: str,
    status: int,
    retry_after: int | None,
) -> None:
    cloudflare.faults.append(Fault(fault, "PUT", SECRETS, status, retry_after))
    provider.create(dict(PROPS))
    assert changed(cloudflare) == [("PUT", SECRETS), ("PUT", SECRETS)]
    assert cloudflare.secrets == {(WORKER, "STRIPE_SECRET_KEY"): "CANARY-stripe-7f3a"}
    (wait,) = waits
    assert wait == retry_after if retry_after else 0 < wait <= 1


def test_a_failure_that_lasts_gives_up_after_the_bounded_tries_in_one_line(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi, waits: list[float]
) -> None:
    attempts = 4
    cloudflare.faults += [Fault("fail", "PUT", SECRETS, 502)] * attempts
    message = str(error_of(provider, dict(PROPS)))
    assert made(cloudflare) == [("PUT", SECRETS)] * attempts and len(waits) == attempts - 1
    assert message.endswith(
        "Cloudflare answered HTTP 502 after 4 tries; try again later (pulumi up)"
    )


def test_a_token_that_may_not_read_the_zones_routes_names_the_permission_to_add(
    provider: WorkerSecretProvider, cloudflare: CloudflareApi
) -> None:
    cloudflare.unreadable_zones.add(ZONE)
    message = str(error_of(provider, {**PROPS, "zones": [ZONE]}))
    assert message == (
        f"Worker secret STRIPE_SECRET_KEY on Worker {WORKER} (environment dev, account "
        f"{ACCOUNT}): put, but listing what is deployed there: Cloudflare refused the admin "
        "key (HTTP 403); give it Workers Routes Read on the stack's zones (it records their "
        "routes), then run pulumi up again"
    )
    assert "CANARY" not in message


def test_a_secret_put_before_records_were_kept_is_put_once_more_to_record() -> None:
    # An up after upgrading envkeeper: every Worker then gets a record at once, instead of
    # passing the check as "not yet recorded" until some date moves.
    before = {**PROPS, "writers": ""}
    now = {**before, "recording": RECORDING}
    result = WorkerSecretProvider().diff("id", before, now)
    assert result.changes and not result.replaces
    assert not WorkerSecretProvider().diff("id", now, dict(now)).changes

"""The WorkerSecret dynamic provider against a local stand-in for the Cloudflare API.

The official `cloudflare` SDK is pointed at pytest-httpserver; each test checks the
method, path, headers and body the provider sends, and what it makes of the answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from components.worker_secret import _RUNTIME, WorkerSecretError, WorkerSecretProvider

pytestmark = pytest.mark.cloudflare_api

ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
TOKEN = "CANARY-cf-token-7f3a"
BASE = f"/client/v4/accounts/{ACCOUNT}/workers/scripts"
PROPS: dict[str, Any] = {
    "accountId": ACCOUNT,
    "scriptName": "example-api-dev",
    "name": "STRIPE_SECRET_KEY",
    "text": "CANARY-stripe-7f3a",
    "environment": "dev",
}


def ok(result: Any) -> dict[str, Any]:
    return {"success": True, "errors": [], "messages": [], "result": result}


def failure(code: int, message: str) -> dict[str, Any]:
    return {"success": False, "errors": [{"code": code, "message": message}], "messages": []}


@pytest.fixture
def provider(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WorkerSecretProvider]:
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", httpserver.url_for("/client/v4"))
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    found = WorkerSecretProvider()
    found.configure(ConfigureRequest(Config({"cloudflare:apiToken": TOKEN}, "envkeeper")))
    yield found
    _RUNTIME.clear()


def made(httpserver: HTTPServer) -> list[tuple[str, str]]:
    """(method, path) of every request the stand-in received: expectations alone pass when
    nothing was sent at all."""
    return [(request.method, request.path) for request, _ in httpserver.log]


PUT = ("PUT", f"{BASE}/example-api-dev/secrets")
DELETE = ("DELETE", f"{BASE}/example-api-dev/secrets/STRIPE_SECRET_KEY")


def expect_put(httpserver: HTTPServer, text: str) -> None:
    httpserver.expect_ordered_request(
        f"{BASE}/example-api-dev/secrets",
        method="PUT",
        headers={"Authorization": f"Bearer {TOKEN}"},
        json={"name": "STRIPE_SECRET_KEY", "text": text, "type": "secret_text"},
    ).respond_with_json(ok({"name": "STRIPE_SECRET_KEY", "type": "secret_text"}))


def test_create_puts_the_secret_on_the_worker(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    expect_put(httpserver, "CANARY-stripe-7f3a")
    result = provider.create(dict(PROPS))
    httpserver.check_assertions()
    assert made(httpserver) == [PUT]
    assert result.id == f"{ACCOUNT}/example-api-dev/STRIPE_SECRET_KEY"
    assert result.outs == PROPS


def test_update_puts_the_new_value_in_place_without_a_delete(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    expect_put(httpserver, "CANARY-stripe-rolled-7f3a")
    new = {**PROPS, "text": "CANARY-stripe-rolled-7f3a"}
    result = provider.update("id", dict(PROPS), new)
    httpserver.check_assertions()
    assert [r.method for r, _ in httpserver.log] == ["PUT"]
    assert result.outs == new


def test_delete_removes_the_secret(provider: WorkerSecretProvider, httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(
        f"{BASE}/example-api-dev/secrets/STRIPE_SECRET_KEY",
        method="DELETE",
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json(ok(None))
    provider.delete("id", dict(PROPS))
    httpserver.check_assertions()
    assert made(httpserver) == [DELETE]


def test_deleting_a_secret_that_is_already_gone_succeeds(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        f"{BASE}/example-api-dev/secrets/STRIPE_SECRET_KEY", method="DELETE"
    ).respond_with_json(failure(10056, "secret not found"), status=404)
    provider.delete("id", dict(PROPS))
    assert made(httpserver) == [DELETE]


@pytest.mark.parametrize("status", [401, 403])
def test_a_delete_the_token_may_not_make_fails_and_names_the_permission(
    provider: WorkerSecretProvider, httpserver: HTTPServer, status: int
) -> None:
    # Swallowing it would drop the secret from the state while it lives on at Cloudflare.
    httpserver.expect_request(
        f"{BASE}/example-api-dev/secrets/STRIPE_SECRET_KEY", method="DELETE"
    ).respond_with_json(failure(10000, "Authentication error"), status=status)
    with pytest.raises(WorkerSecretError, match="needs the 'Workers Scripts Write' permission"):
        provider.delete("id", dict(PROPS))
    assert made(httpserver) == [DELETE]


def test_read_keeps_the_value_cloudflare_never_returns(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        f"{BASE}/example-api-dev/secrets/STRIPE_SECRET_KEY", method="GET"
    ).respond_with_json(ok({"name": "STRIPE_SECRET_KEY", "type": "secret_text"}))
    result = provider.read("the-id", dict(PROPS))
    assert result.id == "the-id"
    assert result.outs == PROPS


def test_read_of_a_secret_deleted_outside_pulumi_reports_it_gone(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(
        f"{BASE}/example-api-dev/secrets/STRIPE_SECRET_KEY", method="GET"
    ).respond_with_json(failure(10056, "secret not found"), status=404)
    assert provider.read("the-id", dict(PROPS)).id == ""


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


def error_of(provider: WorkerSecretProvider, props: dict[str, Any]) -> WorkerSecretError:
    with pytest.raises(WorkerSecretError) as excinfo:
        provider.create(props)
    error = excinfo.value
    # No SDK traceback rides along: the chain is cut where the provider explains.
    assert error.__cause__ is None and error.__suppress_context__
    assert "\n" not in str(error)
    assert "CANARY" not in str(error)
    return error


def test_a_missing_worker_is_one_line_naming_it_and_the_environment(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(f"{BASE}/example-api-dev/secrets", method="PUT").respond_with_json(
        failure(10007, "This Worker does not exist on your account."), status=404
    )
    message = str(error_of(provider, dict(PROPS)))
    assert message == (
        f"Worker secret STRIPE_SECRET_KEY on Worker example-api-dev (environment dev, account "
        f"{ACCOUNT}): the Worker does not exist; deploy it once (wrangler deploy) or fix "
        "envkeeper:cloudflare.workers"
    )


def test_a_token_without_permission_is_one_line_naming_the_permission(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(f"{BASE}/example-api-dev/secrets", method="PUT").respond_with_json(
        failure(10000, "Authentication error"), status=403
    )
    message = str(error_of(provider, dict(PROPS)))
    assert "Worker example-api-dev (environment dev" in message
    assert "needs the 'Workers Scripts Write' permission" in message


def test_the_token_can_come_from_the_environment(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", httpserver.url_for("/client/v4"))
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    _RUNTIME.clear()
    provider = WorkerSecretProvider()
    provider.configure(ConfigureRequest(Config({}, "envkeeper")))
    expect_put(httpserver, "CANARY-stripe-7f3a")
    provider.create(dict(PROPS))
    httpserver.check_assertions()
    assert made(httpserver) == [PUT]
    _RUNTIME.clear()


def test_no_token_at_all_says_how_to_set_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    _RUNTIME.clear()
    provider = WorkerSecretProvider()
    provider.configure(ConfigureRequest(Config({}, "envkeeper")))
    with pytest.raises(WorkerSecretError, match="pulumi config set --secret cloudflare:apiToken"):
        provider.create(dict(PROPS))


def test_the_secret_value_only_travels_in_the_request_body(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    seen: list[Request] = []

    def record(request: Request) -> Response:
        seen.append(request)
        return Response(
            json.dumps(ok({"name": "STRIPE_SECRET_KEY"})), content_type="application/json"
        )

    httpserver.expect_request(f"{BASE}/example-api-dev/secrets", method="PUT").respond_with_handler(
        record
    )
    provider.create(dict(PROPS))
    (request,) = seen
    assert "CANARY-stripe" not in request.url
    assert all("CANARY-stripe" not in value for value in request.headers.values())
    assert json.loads(request.get_data())["text"] == "CANARY-stripe-7f3a"


def test_a_gradual_deployment_in_progress_is_one_line_saying_what_to_do(
    provider: WorkerSecretProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_request(f"{BASE}/example-api-dev/secrets", method="PUT").respond_with_json(
        failure(10215, "Secret edit failed. Latest version not deployed."), status=400
    )
    message = str(error_of(provider, dict(PROPS)))
    assert made(httpserver) == [PUT]
    assert message.startswith("Worker secret STRIPE_SECRET_KEY on Worker example-api-dev")
    assert message.endswith(
        "a gradual deployment of the Worker is in progress (its latest version is not at "
        "100%), and Cloudflare refuses new secrets until it ends; finish or roll it back "
        "(wrangler deployments status), then run pulumi up again"
    )

"""The StripeWebhookEndpoint dynamic provider against a local stand-in for the Stripe API.

Stripe's official SDK is pointed at pytest-httpserver (STRIPE_API_BASE); each test checks
the requests actually made, in order, and what the provider makes of the answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer

from components.stripe_webhook import _RUNTIME, StripeWebhookError, WebhookEndpointProvider

pytestmark = pytest.mark.stripe_api

ADMIN = "rk_test_CANARY-admin-7f3a"
SIGNING = "whsec_CANARY-signing-7f3a"
URL = "https://api.example.com/webhooks/stripe"
PROPS: dict[str, Any] = {
    "url": URL,
    "events": ["checkout.session.completed", "invoice.paid"],
    "connect": False,
    "rotated": "2026-11-28",
    "environment": "production",
}


def endpoint(**changes: Any) -> dict[str, Any]:
    found = {
        "id": "we_1",
        "object": "webhook_endpoint",
        "url": URL,
        "enabled_events": ["checkout.session.completed", "invoice.paid"],
        "status": "enabled",
    }
    return {**found, **changes}


@pytest.fixture
def provider(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WebhookEndpointProvider]:
    monkeypatch.setenv("STRIPE_API_BASE", httpserver.url_for("").rstrip("/"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    found = WebhookEndpointProvider()
    found.configure(ConfigureRequest(Config({"envkeeper:stripeAdminKey": ADMIN}, "envkeeper")))
    yield found
    _RUNTIME.clear()


def made(httpserver: HTTPServer) -> list[tuple[str, str]]:
    """(method, path) of every request the stand-in received."""
    return [(request.method, request.path) for request, _ in httpserver.log]


def form(httpserver: HTTPServer, index: int) -> dict[str, list[str]]:
    """The form body of the `index`th request, as Stripe receives it."""
    return parse_qs(httpserver.log[index][0].get_data(as_text=True))


AUTH = {"Authorization": f"Bearer {ADMIN}"}


def test_create_makes_the_endpoint_and_keeps_its_signing_secret(
    provider: WebhookEndpointProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        "/v1/webhook_endpoints", method="POST", headers=AUTH
    ).respond_with_json(endpoint(secret=SIGNING))

    result = provider.create(dict(PROPS))

    assert made(httpserver) == [("POST", "/v1/webhook_endpoints")]
    body = form(httpserver, 0)
    assert body["url"] == [URL]
    assert body["enabled_events[0]"] == ["checkout.session.completed"]
    assert body["enabled_events[1]"] == ["invoice.paid"]
    assert "connect" not in body
    assert body["metadata[envkeeper_environment]"] == ["production"]
    assert result.id == "we_1" and (result.outs or {})["secret"] == SIGNING


def test_a_connect_endpoint_says_so(
    provider: WebhookEndpointProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/v1/webhook_endpoints", method="POST").respond_with_json(
        endpoint(secret=SIGNING)
    )
    provider.create({**PROPS, "connect": True})
    assert form(httpserver, 0)["connect"] == ["true"]


def test_update_changes_url_and_events_in_place_and_keeps_the_secret(
    provider: WebhookEndpointProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        "/v1/webhook_endpoints/we_1", method="POST", headers=AUTH
    ).respond_with_json(endpoint(enabled_events=["invoice.paid"]))
    olds = {**PROPS, "secret": SIGNING}

    result = provider.update("we_1", olds, {**PROPS, "events": ["invoice.paid"]})

    assert made(httpserver) == [("POST", "/v1/webhook_endpoints/we_1")]
    body = form(httpserver, 0)
    assert body["enabled_events[0]"] == ["invoice.paid"] and body["url"] == [URL]
    assert (result.outs or {})["secret"] == SIGNING and (result.outs or {})["events"] == [
        "invoice.paid"
    ]


def test_delete_removes_it_and_a_missing_one_is_fine(
    provider: WebhookEndpointProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        "/v1/webhook_endpoints/we_1", method="DELETE", headers=AUTH
    ).respond_with_json({"id": "we_1", "object": "webhook_endpoint", "deleted": True})
    httpserver.expect_ordered_request(
        "/v1/webhook_endpoints/we_2", method="DELETE"
    ).respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "No such webhook endpoint"}},
        status=404,
    )

    provider.delete("we_1", dict(PROPS))
    provider.delete("we_2", dict(PROPS))

    assert made(httpserver) == [
        ("DELETE", "/v1/webhook_endpoints/we_1"),
        ("DELETE", "/v1/webhook_endpoints/we_2"),
    ]


def test_read_shows_a_dashboard_change_and_notices_a_deletion(
    provider: WebhookEndpointProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request("/v1/webhook_endpoints/we_1", method="GET").respond_with_json(
        endpoint(enabled_events=["*"])
    )
    httpserver.expect_ordered_request("/v1/webhook_endpoints/we_2", method="GET").respond_with_json(
        {"error": {"type": "invalid_request_error", "message": "No such webhook endpoint"}},
        status=404,
    )
    state = {**PROPS, "secret": SIGNING}

    changed = provider.read("we_1", dict(state))
    gone = provider.read("we_2", dict(state))

    assert made(httpserver) == [
        ("GET", "/v1/webhook_endpoints/we_1"),
        ("GET", "/v1/webhook_endpoints/we_2"),
    ]
    assert (changed.outs or {})["events"] == ["*"] and (changed.outs or {})["secret"] == SIGNING
    assert gone.id == ""


def test_diff_replaces_on_a_new_date_or_connect_and_updates_the_rest(
    provider: WebhookEndpointProvider,
) -> None:
    moved = provider.diff("we_1", dict(PROPS), {**PROPS, "rotated": "2027-02-26"})
    assert moved.replaces == ["rotated"] and moved.delete_before_replace is False
    connect = provider.diff("we_1", dict(PROPS), {**PROPS, "connect": True})
    assert connect.replaces == ["connect"]
    events = provider.diff("we_1", dict(PROPS), {**PROPS, "events": ["invoice.paid"]})
    assert events.changes is True and events.replaces == []


@pytest.mark.parametrize(
    ("status", "kind", "advice"),
    [
        (401, "invalid_request_error", "it needs Webhook Endpoints write"),
        (403, "invalid_request_error", "it needs Webhook Endpoints write"),
        (404, "invalid_request_error", "run pulumi refresh"),
        (422, "invalid_request_error", "a public https URL"),
        (429, "invalid_request_error", "run pulumi up again"),
    ],
)
def test_refusals_name_the_endpoint_and_the_fix_never_the_key(
    provider: WebhookEndpointProvider, httpserver: HTTPServer, status: int, kind: str, advice: str
) -> None:
    httpserver.expect_ordered_request("/v1/webhook_endpoints", method="POST").respond_with_json(
        {"error": {"type": kind, "message": "refused"}}, status=status
    )

    with pytest.raises(StripeWebhookError) as caught:
        provider.create(dict(PROPS))

    line = str(caught.value)
    assert made(httpserver) == [("POST", "/v1/webhook_endpoints")]
    assert line.startswith(f"Stripe webhook endpoint {URL} (environment production)")
    assert f"HTTP {status}" in line and advice in line
    assert ADMIN not in line and "\n" not in line


def test_no_key_is_one_line_and_sends_nothing(httpserver: HTTPServer) -> None:
    _RUNTIME.clear()
    with pytest.raises(StripeWebhookError, match="envkeeper:stripeAdminKey"):
        WebhookEndpointProvider().create(dict(PROPS))
    assert made(httpserver) == []

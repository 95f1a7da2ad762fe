"""The StripeWebhookEndpoint dynamic provider against the Stripe API stand-in
(tests/stripe_api.py).

Stripe's official SDK is pointed at it (STRIPE_API_BASE); each test checks the requests
actually made, in order, and what the provider makes of Stripe's answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer

from components.stripe_webhook import _RUNTIME, StripeWebhookError, WebhookEndpointProvider
from tests.stripe_api import StripeApi, error

pytestmark = pytest.mark.stripe_api

ADMIN = "rk_test_CANARY-admin-7f3a"
URL = "https://api.example.com/webhooks/stripe"
API_VERSION = "2026-10-28.endive"
PROPS: dict[str, Any] = {
    "url": URL,
    "events": ["checkout.session.completed", "invoice.paid"],
    "connect": False,
    "apiVersion": API_VERSION,
    "rotated": "2026-11-28",
    "environment": "production",
}
ENDPOINTS = "/v1/webhook_endpoints"


@pytest.fixture
def stripe(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> StripeApi:
    monkeypatch.setenv("STRIPE_API_BASE", httpserver.url_for("").rstrip("/"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    return StripeApi(httpserver, ADMIN)


@pytest.fixture
def provider(stripe: StripeApi) -> Iterator[WebhookEndpointProvider]:
    found = WebhookEndpointProvider()
    found.configure(ConfigureRequest(Config({"envkeeper:stripeAdminKey": ADMIN}, "envkeeper")))
    yield found
    _RUNTIME.clear()


def made(stripe: StripeApi) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in stripe.requests]


def test_create_makes_the_endpoint_in_the_apps_api_version_and_keeps_its_secret(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    result = provider.create(dict(PROPS))

    assert made(stripe) == [("POST", ENDPOINTS)]
    body = stripe.requests[0].body
    assert body["url"] == [URL]
    assert body["enabled_events[0]"] == ["checkout.session.completed"]
    assert body["enabled_events[1]"] == ["invoice.paid"]
    assert body["api_version"] == [API_VERSION]
    assert "connect" not in body
    assert body["metadata[envkeeper_environment]"] == ["production"]
    (made_id,) = stripe.endpoints
    assert result.id == made_id and (result.outs or {})["secret"] == stripe.secrets()[made_id]
    assert stripe.endpoints[made_id]["api_version"] == API_VERSION


def test_a_connect_endpoint_says_so(provider: WebhookEndpointProvider, stripe: StripeApi) -> None:
    provider.create({**PROPS, "connect": True})
    assert stripe.requests[0].body["connect"] == ["true"]


def test_update_changes_url_and_events_in_place_and_keeps_the_secret(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    made_id = provider.create(dict(PROPS)).id
    secret = stripe.secrets()[made_id]
    stripe.requests.clear()
    olds = {**PROPS, "secret": secret}

    result = provider.update(made_id, olds, {**PROPS, "events": ["invoice.paid"]})

    assert made(stripe) == [("POST", f"{ENDPOINTS}/{made_id}")]
    body = stripe.requests[0].body
    assert body["enabled_events[0]"] == ["invoice.paid"] and body["url"] == [URL]
    assert "api_version" not in body  # Stripe sets it on create only
    assert stripe.endpoints[made_id]["enabled_events"] == ["invoice.paid"]
    assert (result.outs or {})["secret"] == secret
    assert (result.outs or {})["events"] == ["invoice.paid"]


def test_delete_removes_it_and_a_missing_one_is_fine(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    made_id = provider.create(dict(PROPS)).id
    stripe.requests.clear()

    provider.delete(made_id, dict(PROPS))
    provider.delete("we_9999gone", dict(PROPS))  # Stripe answers 404 resource_missing

    assert made(stripe) == [
        ("DELETE", f"{ENDPOINTS}/{made_id}"),
        ("DELETE", f"{ENDPOINTS}/we_9999gone"),
    ]
    assert stripe.endpoints == {}


def test_read_shows_a_dashboard_change_and_notices_a_deletion(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    made_id = provider.create(dict(PROPS)).id
    secret = stripe.secrets()[made_id]
    # Changed by hand in the dashboard: more events, another API version.
    stripe.endpoints[made_id]["enabled_events"] = ["*"]
    stripe.endpoints[made_id]["api_version"] = "2024-06-20"
    stripe.requests.clear()
    state = {**PROPS, "secret": secret}

    changed = provider.read(made_id, dict(state))
    gone = provider.read("we_9999gone", dict(state))

    assert made(stripe) == [("GET", f"{ENDPOINTS}/{made_id}"), ("GET", f"{ENDPOINTS}/we_9999gone")]
    outs = changed.outs or {}
    assert outs["events"] == ["*"] and outs["apiVersion"] == "2024-06-20"
    assert outs["secret"] == secret  # Stripe never shows it again; the state keeps it
    assert gone.id == ""
    # What the dashboard changed shows as a diff: the version only on a new endpoint.
    assert provider.diff(made_id, outs, dict(state)).replaces == ["apiVersion"]


def test_diff_replaces_on_a_new_date_connect_or_api_version_and_updates_the_rest(
    provider: WebhookEndpointProvider,
) -> None:
    moved = provider.diff("we_1", dict(PROPS), {**PROPS, "rotated": "2027-02-26"})
    assert moved.replaces == ["rotated"] and moved.delete_before_replace is False
    connect = provider.diff("we_1", dict(PROPS), {**PROPS, "connect": True})
    assert connect.replaces == ["connect"]
    version = provider.diff("we_1", dict(PROPS), {**PROPS, "apiVersion": "2027-01-27.foo"})
    assert version.replaces == ["apiVersion"]
    events = provider.diff("we_1", dict(PROPS), {**PROPS, "events": ["invoice.paid"]})
    assert events.changes is True and events.replaces == []


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (401, "it needs Webhook Endpoints write"),
        (403, "it needs Webhook Endpoints write"),
        (404, "run pulumi refresh"),
        (400, "a public https URL"),
        (429, "run pulumi up again"),
    ],
)
def test_refusals_name_the_endpoint_and_the_fix_never_the_key(
    provider: WebhookEndpointProvider, stripe: StripeApi, status: int, advice: str
) -> None:
    stripe.next_answers.append(error(status, "invalid_request_error", "refused"))

    with pytest.raises(StripeWebhookError) as caught:
        provider.create(dict(PROPS))

    line = str(caught.value)
    assert made(stripe) == [("POST", ENDPOINTS)]
    assert line.startswith(f"Stripe webhook endpoint {URL} (environment production)")
    assert f"HTTP {status}" in line and advice in line
    assert ADMIN not in line and "\n" not in line


def test_a_wrong_key_is_refused_as_stripe_refuses_it(stripe: StripeApi) -> None:
    other = WebhookEndpointProvider()
    other.configure(
        ConfigureRequest(Config({"envkeeper:stripeAdminKey": "rk_test_CANARY-x"}, "envkeeper"))
    )
    with pytest.raises(StripeWebhookError, match="HTTP 401"):
        other.create(dict(PROPS))
    assert made(stripe) == [("POST", ENDPOINTS)] and stripe.endpoints == {}
    _RUNTIME.clear()


def test_no_key_is_one_line_and_sends_nothing(stripe: StripeApi) -> None:
    _RUNTIME.clear()
    with pytest.raises(StripeWebhookError, match="envkeeper:stripeAdminKey"):
        WebhookEndpointProvider().create(dict(PROPS))
    assert stripe.requests == []

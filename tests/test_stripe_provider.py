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

from components import vendor_calls
from components.stripe_webhook import (
    _RUNTIME,
    KEYS_PER_CREATE,
    StripeWebhookError,
    WebhookEndpointProvider,
)
from tests.standin import Fault
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
    "name": "envkeeper production webhook 2026-11-28 q3kx7bna",
    "identity": "example-org/example-app/production",
}
ENDPOINTS = "/v1/webhook_endpoints"
CREATE = ("POST", ENDPOINTS)


@pytest.fixture
def stripe(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> StripeApi:
    monkeypatch.setenv("STRIPE_API_BASE", httpserver.url_for("").rstrip("/"))
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    return StripeApi(httpserver, ADMIN)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between tries, recorded instead of slept."""
    found: list[float] = []
    monkeypatch.setattr(vendor_calls, "SLEEP", [found.append])
    return found


@pytest.fixture
def provider(stripe: StripeApi, waits: list[float]) -> Iterator[WebhookEndpointProvider]:
    found = WebhookEndpointProvider()
    found.configure(ConfigureRequest(Config({"envkeeper:stripeAdminKey": ADMIN}, "envkeeper")))
    yield found
    _RUNTIME.clear()


def made(stripe: StripeApi) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in stripe.requests]


def keys(httpserver: HTTPServer) -> list[str | None]:
    """The Idempotency-Key of every request the stand-in received, in order."""
    return [request.headers.get("Idempotency-Key") for request, _ in httpserver.log]


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
    # Whose it is, whole: the orphan check deletes only an endpoint made for its stack.
    assert body["metadata[envkeeper_stack]"] == ["example-org/example-app/production"]
    assert body["description"] == [PROPS["name"]]  # the name the orphan check knows it by
    (made_id,) = stripe.endpoints
    assert result.id == made_id and (result.outs or {})["secret"] == stripe.secrets()[made_id]
    assert stripe.endpoints[made_id]["api_version"] == API_VERSION


def test_the_idempotency_key_names_the_request_never_a_secret(
    provider: WebhookEndpointProvider, stripe: StripeApi, httpserver: HTTPServer
) -> None:
    provider.create(dict(PROPS))
    provider.create({**PROPS, "rotated": "2027-02-26", "name": "envkeeper production webhook "
                     "2027-02-26 klmjvy3d"})  # fmt: skip
    provider.create({**PROPS, "url": "https://api.example.com/webhooks/stripe-2"})
    first, dated, moved = keys(httpserver)

    assert first and first.startswith("envkeeper-webhook-endpoint-")
    assert len({first, dated, moved}) == 3  # another date or URL: another endpoint
    assert ADMIN not in first and "CANARY" not in first
    # The same request from another provider process (a later run) sends the same key.
    again = WebhookEndpointProvider()
    again.configure(ConfigureRequest(Config({"envkeeper:stripeAdminKey": ADMIN}, "envkeeper")))
    stripe.forget_idempotency_keys()
    again.create(dict(PROPS))
    assert keys(httpserver)[-1] == first


def test_a_lost_answer_is_answered_by_stripes_replay_and_makes_one_endpoint(
    provider: WebhookEndpointProvider, stripe: StripeApi, httpserver: HTTPServer, waits: list[float]
) -> None:
    stripe.faults.append(Fault("lose", "POST", ENDPOINTS))

    result = provider.create(dict(PROPS))

    assert made(stripe) == [CREATE, CREATE]
    first, second = keys(httpserver)
    assert first == second  # the same key: Stripe replays the first answer
    (only,) = stripe.endpoints
    assert result.id == only and (result.outs or {})["secret"] == stripe.secrets()[only]
    assert waits == [0.5]


@pytest.mark.parametrize(("status", "retry_after"), [(429, 2), (503, None), (502, None)])
def test_a_transient_refusal_waits_as_stripe_asks_then_makes_the_endpoint(
    provider: WebhookEndpointProvider,
    stripe: StripeApi,
    waits: list[float],
    status: int,
    retry_after: int | None,
) -> None:
    stripe.faults.append(Fault("fail", "POST", ENDPOINTS, status, retry_after))

    result = provider.create(dict(PROPS))

    assert made(stripe) == [CREATE, CREATE]
    assert list(stripe.endpoints) == [result.id]
    assert waits == [retry_after or 0.5]


def test_an_endpoint_an_earlier_run_made_is_deleted_and_a_new_one_made_under_the_next_key(
    provider: WebhookEndpointProvider, stripe: StripeApi, httpserver: HTTPServer
) -> None:
    # The earlier run: Stripe made the endpoint, and no try ever got the answer back.
    for _ in range(vendor_calls.RETRY.attempts):
        stripe.faults.append(Fault("lose", "POST", ENDPOINTS))
    with pytest.raises(StripeWebhookError, match="no answer from Stripe after 4 tries"):
        provider.create(dict(PROPS))
    (orphan,) = stripe.endpoints
    stripe.requests.clear()
    before = len(httpserver.log)

    # The next run. Stripe replays the first answer, but that endpoint may as well be one
    # the state holds (pulumi up --replace): it is deleted, never adopted.
    result = provider.create(dict(PROPS))

    assert made(stripe) == [CREATE, ("DELETE", f"{ENDPOINTS}/{orphan}"), CREATE]
    # Every try of the earlier run, and this run's first, carried one key; then the next.
    # (The server may log the earlier run's last try only after its client gave up on it,
    # so the keys are counted over the whole log, each once, in order of first use.)
    earlier, *rest = dict.fromkeys(k for k in keys(httpserver) if k)
    assert rest == [keys(httpserver)[-1]] and rest[0] != earlier
    assert next(k for k in keys(httpserver)[before:] if k) == earlier  # the replayed try
    assert list(stripe.endpoints) == [result.id] and result.id != orphan
    assert (result.outs or {})["secret"] == stripe.secrets()[result.id]


def test_a_replacement_with_the_same_request_gets_a_new_endpoint_and_secret(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    # `pulumi up --replace stripe-webhook` the day it was made: the same request again.
    old = provider.create(dict(PROPS))
    new = provider.create(dict(PROPS))
    assert new.id != old.id
    assert (new.outs or {})["secret"] != (old.outs or {})["secret"]
    assert list(stripe.endpoints) == [new.id]


def test_a_key_stripe_refuses_for_other_parameters_is_passed_over(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    provider.create(dict(PROPS))
    (key,) = stripe.saved
    _params, status, body = stripe.saved[key]
    stripe.saved[key] = (("/v1/webhook_endpoints", {"url": ["elsewhere"]}), status, body)
    stripe.requests.clear()

    result = provider.create(dict(PROPS))

    assert made(stripe) == [CREATE, CREATE]
    assert result.id in stripe.endpoints


def test_a_create_that_only_meets_spent_keys_stops_in_one_line(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    for _ in range(KEYS_PER_CREATE):
        provider.create(dict(PROPS))  # each one spends the next key
    with pytest.raises(StripeWebhookError, match="run pulumi up again tomorrow"):
        provider.create(dict(PROPS))


def test_failures_that_last_give_up_after_the_bounded_tries(
    provider: WebhookEndpointProvider, stripe: StripeApi, waits: list[float]
) -> None:
    for _ in range(vendor_calls.RETRY.attempts):
        stripe.faults.append(Fault("fail", "POST", ENDPOINTS, 503))
    with pytest.raises(StripeWebhookError) as caught:
        provider.create(dict(PROPS))
    assert made(stripe) == [CREATE] * vendor_calls.RETRY.attempts
    assert waits == [0.5, 1.0, 2.0]
    assert str(caught.value).endswith("Stripe answered HTTP 503 after 4 tries; try again later "
                                      "(pulumi up)")  # fmt: skip
    assert stripe.endpoints == {}


def test_update_delete_and_read_are_retried_too(
    provider: WebhookEndpointProvider, stripe: StripeApi
) -> None:
    made_id = provider.create(dict(PROPS)).id
    secret = stripe.secrets()[made_id]
    stripe.requests.clear()
    one = f"{ENDPOINTS}/{made_id}"
    stripe.faults += [
        Fault("lose", "POST", one),
        Fault("fail", "GET", one, 429, 1),
        Fault("fail", "DELETE", one, 500),
    ]

    provider.update(made_id, {**PROPS, "secret": secret}, {**PROPS, "events": ["invoice.paid"]})
    provider.read(made_id, {**PROPS, "secret": secret})
    provider.delete(made_id, dict(PROPS))

    assert made(stripe) == [("POST", one)] * 2 + [("GET", one)] * 2 + [("DELETE", one)] * 2
    assert stripe.endpoints == {}


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
    assert "api_version" not in body and "connect" not in body  # set on create only
    assert body["description"] == [PROPS["name"]]
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
        (401, "it must be a restricted key with Webhook Endpoints write"),
        (403, "it must be a restricted key with Webhook Endpoints write"),
        (404, "run pulumi refresh"),
        (400, "a public https URL"),
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

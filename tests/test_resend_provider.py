"""The ResendApiKey dynamic provider against the Resend API stand-in (tests/resend_api.py).

Resend's official SDK is pointed at it (RESEND_API_URL); each test checks the requests
actually made, in order, and what the provider makes of Resend's answers, including the
answers a bad day brings: lost, rate limited, failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer

from components import vendor_calls
from components.resend_key import _RUNTIME, ResendKeyError, ResendKeyProvider
from tests.resend_api import ResendApi, error
from tests.standin import Fault, json_response

pytestmark = pytest.mark.resend_api

ADMIN = "re_CANARY-admin-7f3a"
DOMAIN_ID = "4dd369bc-aa82-4ff3-97de-514ae3000ee0"
NAME = "envkeeper production sending a 2026-11-28 klmjvy3d"
PROPS: dict[str, Any] = {
    "name": NAME,
    "domain": "mail.example.com",
    "rotated": "2026-11-28",
    "environment": "production",
}
LIST = ("GET", "/api-keys")
CREATE = ("POST", "/api-keys")


@pytest.fixture
def resend(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> ResendApi:
    monkeypatch.setenv("RESEND_API_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.delenv("RESEND_API_KEY", raising=False)
    return ResendApi(httpserver, ADMIN, {"example.org": "other", "mail.example.com": DOMAIN_ID})


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits between tries, recorded instead of slept."""
    found: list[float] = []
    monkeypatch.setattr(vendor_calls, "SLEEP", [found.append])
    return found


@pytest.fixture
def provider(resend: ResendApi, waits: list[float]) -> Iterator[ResendKeyProvider]:
    found = ResendKeyProvider()
    found.configure(ConfigureRequest(Config({"envkeeper:resendAdminKey": ADMIN}, "envkeeper")))
    yield found
    _RUNTIME.clear()


def made(resend: ResendApi) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in resend.requests]


def named(resend: ResendApi, name: str = NAME) -> list[str]:
    return [key for key, kept in resend.keys.items() if kept["name"] == name]


def test_create_makes_a_sending_only_key_for_the_domain(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    result = provider.create(dict(PROPS))

    assert made(resend) == [("GET", "/domains"), LIST, CREATE]
    assert resend.requests[2].body == {
        "name": NAME,
        "permission": "sending_access",
        "domain_id": DOMAIN_ID,
    }
    (key,) = resend.keys
    assert result.id == key
    assert (result.outs or {})["token"] == resend.tokens()[key]
    assert (result.outs or {})["domainId"] == DOMAIN_ID


def test_a_key_an_earlier_create_left_under_this_name_is_deleted_first_and_no_other(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    # A create whose answer never came back left a key nobody holds the token of; another
    # stack's key and a person's own key sit beside it.
    left = {"name": NAME, "permission": "sending_access", "domain_id": DOMAIN_ID,
            "token": "re_CANARY-lost-7f3a", "created_at": "2026-11-28"}  # fmt: skip
    resend.keys["key-lost"] = left
    resend.keys["key-other-stack"] = {**left, "name": "envkeeper production sending a "
                                      "2026-11-28 31d8e4", "token": "re_CANARY-other"}  # fmt: skip
    resend.keys["key-person"] = {**left, "name": "Marketing laptop", "token": "re_CANARY-own"}

    result = provider.create(dict(PROPS))

    assert made(resend) == [("GET", "/domains"), LIST, ("DELETE", "/api-keys/key-lost"), CREATE]
    assert named(resend) == [result.id]
    assert {"key-other-stack", "key-person"} <= set(resend.keys)


def test_a_lost_answer_is_tried_again_and_leaves_one_key(
    provider: ResendKeyProvider, resend: ResendApi, waits: list[float]
) -> None:
    resend.faults.append(Fault("lose", "POST", "/api-keys"))

    result = provider.create(dict(PROPS))

    # The first try made a key whose token never arrived: the second deletes it first.
    (lost,) = [c.body for f, c in resend.played]
    assert lost["name"] == NAME
    assert made(resend) == [("GET", "/domains"), LIST, CREATE, LIST, ("DELETE", "/api-keys/key-1"),
                            CREATE]  # fmt: skip
    assert named(resend) == [result.id] == ["key-2"]
    assert (result.outs or {})["token"] == resend.tokens()["key-2"]
    assert waits == [0.5]


@pytest.mark.parametrize(("status", "retry_after"), [(429, 3), (503, None), (500, None)])
def test_a_transient_refusal_waits_as_resend_asks_then_makes_the_key(
    provider: ResendKeyProvider,
    resend: ResendApi,
    waits: list[float],
    status: int,
    retry_after: int | None,
) -> None:
    resend.faults.append(Fault("fail", "POST", "/api-keys", status, retry_after))

    result = provider.create(dict(PROPS))

    assert made(resend) == [("GET", "/domains"), LIST, CREATE, LIST, CREATE]
    assert named(resend) == [result.id]
    assert waits == [retry_after or 0.5]


def test_a_rate_limit_that_lasts_gives_up_after_the_bounded_tries_in_one_line(
    provider: ResendKeyProvider, resend: ResendApi, waits: list[float]
) -> None:
    for _ in range(vendor_calls.RETRY.attempts):
        resend.faults.append(Fault("fail", "GET", "/domains", 429, 2))

    with pytest.raises(ResendKeyError) as caught:
        provider.create(dict(PROPS))

    assert made(resend) == [("GET", "/domains")] * vendor_calls.RETRY.attempts
    assert waits == [2, 2, 2]
    assert str(caught.value) == (
        f"Resend key {NAME} (environment production, domain mail.example.com): Resend is rate "
        "limiting (HTTP 429) after 4 tries, and asked to wait 2 s; run pulumi up again in a "
        "few minutes"
    )
    assert resend.keys == {}


def test_a_retry_after_longer_than_envkeeper_waits_fails_at_once(
    provider: ResendKeyProvider, resend: ResendApi, waits: list[float]
) -> None:
    resend.faults.append(Fault("fail", "GET", "/domains", 429, 600))
    with pytest.raises(ResendKeyError, match="asked to wait 600 s"):
        provider.create(dict(PROPS))
    assert made(resend) == [("GET", "/domains")] and waits == []


def test_an_unknown_domain_is_one_line_and_makes_no_key(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    with pytest.raises(ResendKeyError) as caught:
        provider.create({**PROPS, "domain": "mail.example.net"})
    assert made(resend) == [("GET", "/domains")]
    assert resend.keys == {}
    assert str(caught.value) == (
        f"Resend key {NAME} (environment production, domain "
        "mail.example.net): Resend has no domain mail.example.net in this account; add and "
        "verify it in the Resend dashboard, or fix envkeeper:resend.domain"
    )


def test_delete_removes_the_key_and_a_missing_one_is_fine(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    key = provider.create(dict(PROPS)).id
    resend.requests.clear()
    resend.faults.append(Fault("fail", "DELETE", f"/api-keys/{key}", 502))

    provider.delete(key, dict(PROPS))
    provider.delete("key-gone", dict(PROPS))  # Resend answers 404 not_found

    assert made(resend) == [("DELETE", f"/api-keys/{key}")] * 2 + [("DELETE", "/api-keys/key-gone")]
    assert resend.keys == {}


def test_a_new_name_renames_the_key_in_place_and_keeps_its_token(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    # An envkeeper from before names carried dates: `envkeeper production sending (a)`.
    old = {**PROPS, "name": "envkeeper production sending (a)"}
    key = provider.create(old).id
    token = resend.tokens()[key]
    resend.requests.clear()

    diff = provider.diff(key, {**old, "token": token}, dict(PROPS))
    result = provider.update(key, {**old, "token": token, "domainId": DOMAIN_ID}, dict(PROPS))

    assert diff.changes is True and diff.replaces == []
    assert made(resend) == [("PATCH", f"/api-keys/{key}")]
    assert resend.keys[key]["name"] == NAME and resend.tokens() == {key: token}
    assert (result.outs or {})["token"] == token and (result.outs or {})["name"] == NAME


def test_read_notices_a_key_deleted_outside_pulumi_on_any_page(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    for n in range(150):  # more than one page of keys, ours the last
        resend.keys[f"key-person-{n}"] = {"name": f"laptop {n}", "token": "re_CANARY-x",
                                          "created_at": "2026-01-01"}  # fmt: skip
    key = provider.create(dict(PROPS)).id
    token = resend.tokens()[key]
    resend.requests.clear()
    state = {**PROPS, "token": token, "domainId": DOMAIN_ID}

    kept = provider.read(key, dict(state))
    del resend.keys[key]  # deleted in the dashboard
    gone = provider.read(key, dict(state))

    assert made(resend) == [LIST] * 4
    assert "after=key-person-99" in resend.requests[1].query
    assert kept.id == key and (kept.outs or {})["token"] == token  # Resend never shows it again
    assert gone.id == ""


def test_diff_replaces_on_a_new_date_or_domain_creating_before_deleting(
    provider: ResendKeyProvider,
) -> None:
    moved = provider.diff("key-1", dict(PROPS), {**PROPS, "rotated": "2027-05-27"})
    assert moved.replaces == ["rotated"] and moved.delete_before_replace is False
    domain = provider.diff("key-1", dict(PROPS), {**PROPS, "domain": "mail.example.org"})
    assert domain.replaces == ["domain"]
    same = provider.diff("key-1", dict(PROPS), dict(PROPS))
    assert same.changes is False and same.replaces == []


def test_a_retired_standby_loses_its_key_and_keeps_its_resource(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    key = provider.create(dict(PROPS)).id
    token = resend.tokens()[key]
    state = {**PROPS, "retired": False, "token": token, "domainId": DOMAIN_ID}
    retired = {**PROPS, "retired": True}
    resend.requests.clear()
    resend.faults.append(Fault("fail", "DELETE", f"/api-keys/{key}", 503))

    diff = provider.diff(key, dict(state), dict(retired))
    result = provider.update(key, dict(state), dict(retired))
    again = provider.update(key, {**state, **(result.outs or {})}, dict(retired))
    kept = provider.read(key, {**state, **(result.outs or {})})
    provider.delete(key, {**state, **(result.outs or {})})

    assert diff.changes is True and diff.replaces == []  # an update: the plan names it
    # One delete at Resend, tried again after its 503; nothing for a key already retired.
    assert made(resend) == [("DELETE", f"/api-keys/{key}")] * 2
    assert resend.keys == {}
    assert (result.outs or {})["token"] == "" and (again.outs or {})["token"] == ""
    assert kept.id == key  # no key at Resend is what a retired standby should have


def test_a_standby_retired_before_it_was_ever_made_makes_no_key(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    made_ = provider.create({**PROPS, "retired": True})
    assert made(resend) == [] and resend.keys == {}
    assert (made_.outs or {})["token"] == ""


def test_a_retired_key_never_comes_back_as_it_was(provider: ResendKeyProvider) -> None:
    # A retired key was deleted at Resend: were it declared live again, a new key is made.
    back = provider.diff("key-1", {**PROPS, "retired": True}, {**PROPS, "retired": False})
    assert back.replaces == ["retired"]


@pytest.mark.parametrize(
    ("status", "name", "advice"),
    [
        (401, "missing_api_key", "it must be a full-access key"),
        (403, "restricted_api_key", "it must be a full-access key"),
        (404, "not_found", "run pulumi refresh"),
        (422, "validation_error", "names a verified domain of this account"),
    ],
)
def test_refusals_are_not_retried_and_name_the_key_and_the_fix_never_the_admin_key(
    provider: ResendKeyProvider, resend: ResendApi, status: int, name: str, advice: str
) -> None:
    resend.next_answers += [
        resend.domain_list(),
        json_list(),
        error(status, name, "refused"),
    ]

    with pytest.raises(ResendKeyError) as caught:
        provider.create(dict(PROPS))

    line = str(caught.value)
    assert made(resend) == [("GET", "/domains"), LIST, CREATE]
    assert line.startswith(f"Resend key {NAME} (environment production")
    assert f"HTTP {status}" in line and advice in line
    assert ADMIN not in line and "\n" not in line


def json_list() -> Any:
    return json_response({"object": "list", "has_more": False, "data": []})


def test_no_admin_key_is_one_line_and_sends_nothing(resend: ResendApi) -> None:
    _RUNTIME.clear()
    with pytest.raises(ResendKeyError, match="pulumi config set --secret envkeeper:resendAdminKey"):
        ResendKeyProvider().create(dict(PROPS))
    assert resend.requests == []

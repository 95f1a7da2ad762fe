"""The ResendApiKey dynamic provider against the Resend API stand-in (tests/resend_api.py).

Resend's official SDK is pointed at it (RESEND_API_URL); each test checks the requests
actually made, in order, and what the provider makes of Resend's answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer

from components.resend_key import _RUNTIME, ResendKeyError, ResendKeyProvider
from tests.resend_api import ResendApi, error

pytestmark = pytest.mark.resend_api

ADMIN = "re_CANARY-admin-7f3a"
DOMAIN_ID = "4dd369bc-aa82-4ff3-97de-514ae3000ee0"
PROPS: dict[str, Any] = {
    "name": "envkeeper production sending (a)",
    "domain": "mail.example.com",
    "rotated": "2026-11-28",
    "environment": "production",
}


@pytest.fixture
def resend(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> ResendApi:
    monkeypatch.setenv("RESEND_API_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.delenv("RESEND_API_KEY", raising=False)
    return ResendApi(httpserver, ADMIN, {"example.org": "other", "mail.example.com": DOMAIN_ID})


@pytest.fixture
def provider(resend: ResendApi) -> Iterator[ResendKeyProvider]:
    found = ResendKeyProvider()
    found.configure(ConfigureRequest(Config({"envkeeper:resendAdminKey": ADMIN}, "envkeeper")))
    yield found
    _RUNTIME.clear()


def made(resend: ResendApi) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in resend.requests]


def test_create_makes_a_sending_only_key_for_the_domain(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    result = provider.create(dict(PROPS))

    assert made(resend) == [("GET", "/domains"), ("POST", "/api-keys")]
    assert resend.requests[1].body == {
        "name": "envkeeper production sending (a)",
        "permission": "sending_access",
        "domain_id": DOMAIN_ID,
    }
    (key,) = resend.keys
    assert result.id == key
    assert (result.outs or {})["token"] == resend.tokens()[key]
    assert (result.outs or {})["domainId"] == DOMAIN_ID


def test_an_unknown_domain_is_one_line_and_makes_no_key(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    with pytest.raises(ResendKeyError) as caught:
        provider.create({**PROPS, "domain": "mail.example.net"})
    assert made(resend) == [("GET", "/domains")]
    assert resend.keys == {}
    assert str(caught.value) == (
        "Resend key envkeeper production sending (a) (environment production, domain "
        "mail.example.net): Resend has no domain mail.example.net in this account; add and "
        "verify it in the Resend dashboard, or fix envkeeper:resend.domain"
    )


def test_delete_removes_the_key_and_a_missing_one_is_fine(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    key = provider.create(dict(PROPS)).id
    resend.requests.clear()

    provider.delete(key, dict(PROPS))
    provider.delete("key-gone", dict(PROPS))  # Resend answers 404 not_found

    assert made(resend) == [("DELETE", f"/api-keys/{key}"), ("DELETE", "/api-keys/key-gone")]
    assert resend.keys == {}


def test_read_notices_a_key_deleted_outside_pulumi(
    provider: ResendKeyProvider, resend: ResendApi
) -> None:
    key = provider.create(dict(PROPS)).id
    token = resend.tokens()[key]
    resend.requests.clear()
    state = {**PROPS, "token": token, "domainId": DOMAIN_ID}

    kept = provider.read(key, dict(state))
    del resend.keys[key]  # deleted in the dashboard
    gone = provider.read(key, dict(state))

    assert made(resend) == [("GET", "/api-keys"), ("GET", "/api-keys")]
    assert kept.id == key and (kept.outs or {})["token"] == token  # Resend never shows it again
    assert gone.id == ""


def test_diff_replaces_on_a_new_date_creating_before_deleting(provider: ResendKeyProvider) -> None:
    moved = provider.diff("key-1", dict(PROPS), {**PROPS, "rotated": "2027-05-27"})
    assert moved.replaces == ["rotated"] and moved.delete_before_replace is False
    same = provider.diff("key-1", dict(PROPS), dict(PROPS))
    assert same.changes is False and same.replaces == []


@pytest.mark.parametrize(
    ("status", "name", "advice"),
    [
        (401, "missing_api_key", "it must be a full-access key"),
        (403, "restricted_api_key", "it must be a full-access key"),
        (404, "not_found", "run pulumi refresh"),
        (422, "validation_error", "names a verified domain of this account"),
        (429, "rate_limit_exceeded", "run pulumi up again"),
    ],
)
def test_refusals_name_the_key_and_the_fix_never_the_admin_key(
    provider: ResendKeyProvider, resend: ResendApi, status: int, name: str, advice: str
) -> None:
    resend.next_answers += [
        resend.domain_list(),
        error(status, name, "refused"),
    ]

    with pytest.raises(ResendKeyError) as caught:
        provider.create(dict(PROPS))

    line = str(caught.value)
    assert made(resend) == [("GET", "/domains"), ("POST", "/api-keys")]
    assert line.startswith("Resend key envkeeper production sending (a) (environment production")
    assert f"HTTP {status}" in line and advice in line
    assert ADMIN not in line and "\n" not in line


def test_no_admin_key_is_one_line_and_sends_nothing(resend: ResendApi) -> None:
    _RUNTIME.clear()
    with pytest.raises(ResendKeyError, match="pulumi config set --secret envkeeper:resendAdminKey"):
        ResendKeyProvider().create(dict(PROPS))
    assert resend.requests == []

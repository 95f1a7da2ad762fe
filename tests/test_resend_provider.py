"""The ResendApiKey dynamic provider against a local stand-in for the Resend API.

Resend's official SDK is pointed at pytest-httpserver (RESEND_API_URL); each test checks the
requests actually made, in order, and what the provider makes of the answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer

from components.resend_key import _RUNTIME, ResendKeyError, ResendKeyProvider

pytestmark = pytest.mark.resend_api

ADMIN = "re_CANARY-admin-7f3a"
TOKEN = "re_CANARY-sending-7f3a"
DOMAIN_ID = "4dd369bc-aa82-4ff3-97de-514ae3000ee0"
PROPS: dict[str, Any] = {
    "name": "envkeeper production sending (a)",
    "domain": "mail.example.com",
    "rotated": "2026-11-28",
    "environment": "production",
}
DOMAINS = {
    "object": "list",
    "has_more": False,
    "data": [
        {"id": "other", "name": "example.org", "status": "verified"},
        {"id": DOMAIN_ID, "name": "mail.example.com", "status": "verified"},
    ],
}


@pytest.fixture
def provider(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ResendKeyProvider]:
    monkeypatch.setenv("RESEND_API_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.delenv("RESEND_API_KEY", raising=False)
    found = ResendKeyProvider()
    found.configure(ConfigureRequest(Config({"envkeeper:resendAdminKey": ADMIN}, "envkeeper")))
    yield found
    _RUNTIME.clear()


def made(httpserver: HTTPServer) -> list[tuple[str, str]]:
    """(method, path) of every request the stand-in received."""
    return [(request.method, request.path) for request, _ in httpserver.log]


AUTH = {"Authorization": f"Bearer {ADMIN}"}


def expect_domains(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request("/domains", method="GET", headers=AUTH).respond_with_json(
        DOMAINS
    )


def test_create_makes_a_sending_only_key_for_the_domain(
    provider: ResendKeyProvider, httpserver: HTTPServer
) -> None:
    expect_domains(httpserver)
    httpserver.expect_ordered_request(
        "/api-keys",
        method="POST",
        headers=AUTH,
        json={
            "name": "envkeeper production sending (a)",
            "permission": "sending_access",
            "domain_id": DOMAIN_ID,
        },
    ).respond_with_json({"id": "key-1", "token": TOKEN})

    result = provider.create(dict(PROPS))

    httpserver.check_assertions()
    assert made(httpserver) == [("GET", "/domains"), ("POST", "/api-keys")]
    assert result.id == "key-1"
    assert (result.outs or {})["token"] == TOKEN and (result.outs or {})["domainId"] == DOMAIN_ID


def test_an_unknown_domain_is_one_line_and_makes_no_key(
    provider: ResendKeyProvider, httpserver: HTTPServer
) -> None:
    expect_domains(httpserver)
    with pytest.raises(ResendKeyError) as caught:
        provider.create({**PROPS, "domain": "mail.example.net"})
    assert made(httpserver) == [("GET", "/domains")]
    assert str(caught.value) == (
        "Resend key envkeeper production sending (a) (environment production, domain "
        "mail.example.net): Resend has no domain mail.example.net in this account; add and "
        "verify it in the Resend dashboard, or fix envkeeper:resend.domain"
    )


def test_delete_removes_the_key_and_a_missing_one_is_fine(
    provider: ResendKeyProvider, httpserver: HTTPServer
) -> None:
    httpserver.expect_ordered_request(
        "/api-keys/key-1", method="DELETE", headers=AUTH
    ).respond_with_json({"object": "api_key", "id": "key-1", "deleted": True})
    httpserver.expect_ordered_request("/api-keys/key-2", method="DELETE").respond_with_json(
        {"statusCode": 404, "name": "not_found", "message": "API key not found"}, status=404
    )

    provider.delete("key-1", dict(PROPS))
    provider.delete("key-2", dict(PROPS))

    assert made(httpserver) == [("DELETE", "/api-keys/key-1"), ("DELETE", "/api-keys/key-2")]


def test_read_notices_a_key_deleted_outside_pulumi(
    provider: ResendKeyProvider, httpserver: HTTPServer
) -> None:
    listing = {"object": "list", "has_more": False, "data": [{"id": "key-1", "name": "x"}]}
    httpserver.expect_request("/api-keys", method="GET", headers=AUTH).respond_with_json(listing)
    state = {**PROPS, "token": TOKEN, "domainId": DOMAIN_ID}

    kept = provider.read("key-1", dict(state))
    gone = provider.read("key-9", dict(state))

    assert made(httpserver) == [("GET", "/api-keys"), ("GET", "/api-keys")]
    assert kept.id == "key-1" and (kept.outs or {})["token"] == TOKEN  # Resend never shows it again
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
        (403, "invalid_api_key", "it must be a full-access key"),
        (404, "not_found", "run pulumi refresh"),
        (422, "validation_error", "names a verified domain of this account"),
        (429, "rate_limit_exceeded", "run pulumi up again"),
    ],
)
def test_refusals_name_the_key_and_the_fix_never_the_admin_key(
    provider: ResendKeyProvider, httpserver: HTTPServer, status: int, name: str, advice: str
) -> None:
    expect_domains(httpserver)
    httpserver.expect_ordered_request("/api-keys", method="POST").respond_with_json(
        {"statusCode": status, "name": name, "message": "refused"}, status=status
    )

    with pytest.raises(ResendKeyError) as caught:
        provider.create(dict(PROPS))

    line = str(caught.value)
    assert made(httpserver) == [("GET", "/domains"), ("POST", "/api-keys")]
    assert line.startswith("Resend key envkeeper production sending (a) (environment production")
    assert f"HTTP {status}" in line and advice in line
    assert ADMIN not in line and "\n" not in line


def test_no_admin_key_is_one_line_and_sends_nothing(httpserver: HTTPServer) -> None:
    _RUNTIME.clear()
    with pytest.raises(ResendKeyError, match="pulumi config set --secret envkeeper:resendAdminKey"):
        ResendKeyProvider().create(dict(PROPS))
    assert made(httpserver) == []


def test_the_admin_key_is_never_pickled_with_the_provider(provider: ResendKeyProvider) -> None:
    import pickle

    assert ADMIN.encode() not in pickle.dumps(provider)

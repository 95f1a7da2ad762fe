"""The NeonOwnerPassword dynamic provider against the Neon API stand-in (tests/neon_api.py).

NEON_API_URL points the provider at the stand-in; each test checks the requests actually
made and what the provider makes of Neon's answers, a bad day's included: lost, rate
limited, failed, refused. A canary key and the passwords never reach an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config
from pytest_httpserver import HTTPServer

from components import vendor_calls
from components.neon_owner import _RUNTIME, NeonOwnerError, NeonOwnerPasswordProvider
from tests.neon_api import NeonApi
from tests.standin import Fault

KEY = "CANARY-neon-owner-key-7f3a"
ORG = "org-example-12345678"


class Owners:
    """The stand-in's Postgres: what each owner's password is now."""

    def __init__(self) -> None:
        self.passwords: dict[str, str] = {}

    def create_owner(self, role: str, password: str, database: str) -> None:
        self.passwords[role] = password

    def set_password(self, role: str, password: str) -> None:
        self.passwords[role] = password


@pytest.fixture
def owners() -> Owners:
    return Owners()


@pytest.fixture
def neon(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch, owners: Owners) -> NeonApi:
    api = NeonApi(httpserver, {KEY: ORG}, postgres=owners)
    monkeypatch.setenv("NEON_API_URL", api.base_url)
    monkeypatch.delenv("NEON_API_KEY", raising=False)
    return api


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    found: list[float] = []
    monkeypatch.setattr(vendor_calls, "SLEEP", [found.append])
    return found


@pytest.fixture
def provider(neon: NeonApi, waits: list[float]) -> Iterator[NeonOwnerPasswordProvider]:
    found = NeonOwnerPasswordProvider()
    found.configure(ConfigureRequest(Config({"neon:apiKey": KEY}, "neon")))
    yield found
    _RUNTIME.clear()


@pytest.fixture
def props(neon: NeonApi) -> dict[str, Any]:
    """A project made at the stand-in, as the Neon provider makes it."""
    made = httpx.post(
        f"{neon.base_url}/projects",
        json={"project": {"name": "example-dev"}},
        headers={"Authorization": f"Bearer {KEY}"},
    ).json()
    neon.requests.clear()
    return {
        "project_id": made["project"]["id"],
        "branch_id": made["branch"]["id"],
        "role": "neondb_owner",
        "rotated": "2026-11-28",
    }


def outs(result: Any) -> dict[str, Any]:
    """A create's or update's outputs (the provider always sets them)."""
    assert result.outs is not None
    return result.outs


def reset_path(props: dict[str, Any]) -> str:
    return (
        f"/projects/{props['project_id']}/branches/{props['branch_id']}/roles/"
        f"{props['role']}/reset_password"
    )


def test_create_resets_the_password_and_waits_for_neon_to_apply_it(
    provider: NeonOwnerPasswordProvider, neon: NeonApi, owners: Owners, props: dict[str, Any]
) -> None:
    first = owners.passwords["neondb_owner"]
    result = provider.create(dict(props))

    calls = [(c.method, c.path) for c in neon.requests]
    assert calls[0] == ("POST", reset_path(props))
    # Then each operation the reset started, read until finished.
    assert calls[1:] and all(m == "GET" and "/operations/" in p for m, p in calls[1:])
    assert outs(result)["password"] == owners.passwords["neondb_owner"] != first
    assert result.id == f"{props['project_id']}/neondb_owner"


def test_the_password_is_used_only_once_neon_has_applied_it(
    provider: NeonOwnerPasswordProvider,
    neon: NeonApi,
    props: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slept: list[float] = []
    monkeypatch.setattr("components.neon_calls.time.sleep", slept.append)
    neon.slow_operations = 3
    provider.create(dict(props))
    reads = [c for c in neon.requests if c.method == "GET" and "/operations/" in c.path]
    assert len(reads) >= 4 and len(slept) == 3
    assert neon.slow_operations == 0


def test_a_new_date_resets_again_and_anything_else_is_no_change(
    provider: NeonOwnerPasswordProvider, neon: NeonApi, owners: Owners, props: dict[str, Any]
) -> None:
    made = outs(provider.create(dict(props)))
    assert not provider.diff("x", made, {**props}).changes
    moved = {**props, "rotated": "2027-01-02"}
    assert provider.diff("x", made, moved).changes
    before = owners.passwords["neondb_owner"]
    neon.requests.clear()
    again = outs(provider.update("x", made, moved))
    assert [c.path for c in neon.requests if c.method == "POST"] == [reset_path(props)]
    assert again["password"] == owners.passwords["neondb_owner"] != before


@pytest.mark.parametrize("fault", ["lose", "fail-500", "fail-429"])
def test_a_lost_or_failed_reset_is_tried_again_and_the_last_password_is_the_one_kept(
    provider: NeonOwnerPasswordProvider,
    neon: NeonApi,
    owners: Owners,
    props: dict[str, Any],
    waits: list[float],
    fault: str,
) -> None:
    kind, _, status = fault.partition("-")
    neon.faults.append(Fault(kind, "POST", r".*/reset_password", int(status or 503)))
    result = provider.create(dict(props))
    posts = [c for c in neon.requests if c.method == "POST"]
    assert len(posts) == 2 and waits
    # A lost answer's reset happened anyway: the second one's password is what Neon holds.
    assert outs(result)["password"] == owners.passwords["neondb_owner"]


def test_a_refused_key_is_one_line_without_the_key_or_a_password(
    provider: NeonOwnerPasswordProvider, neon: NeonApi, owners: Owners, props: dict[str, Any]
) -> None:
    provider.configure(ConfigureRequest(Config({"neon:apiKey": "CANARY-wrong-7f3a"}, "neon")))
    with pytest.raises(NeonOwnerError) as excinfo:
        provider.create(dict(props))
    message = str(excinfo.value)
    assert message.startswith("NEON_OWNER_PASSWORD: resetting the password of neondb_owner: ")
    assert "HTTP 401" in message and "neon:apiKey" in message
    assert "CANARY" not in message
    assert owners.passwords["neondb_owner"] not in message
    assert "\n" not in message


def test_no_key_is_one_line_naming_where_to_set_it(
    neon: NeonApi, props: dict[str, Any], waits: list[float]
) -> None:
    provider = NeonOwnerPasswordProvider()
    provider.configure(ConfigureRequest(Config({}, "neon")))
    with pytest.raises(NeonOwnerError, match=r"no Neon admin key; set it with `pulumi config"):
        provider.create(dict(props))
    assert neon.requests == []

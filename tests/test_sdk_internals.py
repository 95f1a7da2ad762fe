"""The Pulumi SDK's private names that envkeeper uses still behave as it relies on.

No version number is checked: each test exercises one function of envkeeper/engine/sdk_internals.py
against the installed SDK, so an upgrade that keeps the names passes and one that changes
them fails here, with one message naming what changed, before a plan or a deploy would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from importlib.metadata import version
from typing import Any

import pulumi
import pytest
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings

from envkeeper.engine import sdk_internals


def relied_on(name: str, check: Callable[[], Any]) -> Any:
    """Run `check`; a missing or changed private name fails with one clear message."""
    try:
        return check()
    except (AttributeError, ImportError, LookupError, TypeError) as exc:
        pytest.fail(
            f"Pulumi SDK {version('pulumi')} changed {name}, which "
            "envkeeper/engine/sdk_internals.py "
            f"relies on ({type(exc).__name__}: {exc}); adapt that module to the new SDK",
            pytrace=False,
        )


@pytest.fixture
def fresh_config(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The SDK's config as a new program starts with it, put back afterwards."""
    monkeypatch.delenv("PULUMI_CONFIG", raising=False)
    pulumi.runtime.set_all_config({})
    yield
    pulumi.runtime.set_all_config({})


def test_every_config_key_is_seen_set_by_the_engine_or_in_the_environment(
    fresh_config: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The engine hands the program its config through set_all_config; a program started by
    # hand (and the SDK's mocks) read PULUMI_CONFIG.
    pulumi.runtime.set_all_config({"envkeeper:environment": "dev", "cloudflare:apiToken": "x"})
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps({"envkeeper:fromEnvironment": "1"}))
    keys = relied_on("pulumi.runtime.config.CONFIG", sdk_internals.all_config_keys)
    assert keys == {"envkeeper:environment", "cloudflare:apiToken", "envkeeper:fromEnvironment"}


def test_the_root_resource_is_forgotten_between_offline_runs() -> None:
    marker: Any = object()
    runtime_settings.set_root_resource(marker)
    try:
        assert runtime_settings.get_root_resource() is marker
        relied_on("pulumi.runtime.settings.ROOT", sdk_internals.reset_root_resource)
        assert runtime_settings.get_root_resource() is None
    finally:
        runtime_settings.set_root_resource(None)  # type: ignore[arg-type]


def test_the_secret_marker_is_the_one_the_sdk_reads() -> None:
    marked = {sdk_internals.SECRET_SIG_KEY: sdk_internals.SECRET_SIG, "value": "x"}
    assert relied_on("the secret marker (rpc.is_rpc_secret)", lambda: rpc.is_rpc_secret(marked))
    assert rpc.unwrap_rpc_secret(marked) == "x"
    plain = {sdk_internals.SECRET_SIG_KEY: "not-the-secret-signature", "value": "x"}
    assert not rpc.is_rpc_secret(plain)


def test_the_sdk_says_plainly_when_a_name_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """What an SDK that dropped a name looks like here: one line naming it, not a trace."""
    from pulumi.runtime import config as runtime_config

    monkeypatch.delattr(runtime_config, "CONFIG")
    with pytest.raises(pytest.fail.Exception, match=r"changed pulumi\.runtime\.config\.CONFIG"):
        relied_on("pulumi.runtime.config.CONFIG", sdk_internals.all_config_keys)

"""The Pulumi SDK's private names that envkeeper uses still exist, in the tested range."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from pulumi.runtime import rpc

from envkeeper import sdk_internals


def test_the_installed_sdk_is_in_the_tested_range() -> None:
    major, minor, *_ = (int(part) for part in version("pulumi").split("."))
    assert (major, minor) == sdk_internals.TESTED_PULUMI, (
        "a new Pulumi SDK: check envkeeper/sdk_internals.py against it, then move TESTED_PULUMI"
    )


@pytest.mark.parametrize("name", sorted(sdk_internals.private_names()))
def test_each_private_name_still_exists(name: str) -> None:
    assert sdk_internals.private_names()[name] is not None, name


def test_the_secret_marker_is_the_sdks_own() -> None:
    marked = {sdk_internals.SECRET_SIG_KEY: sdk_internals.SECRET_SIG, "value": "x"}
    assert rpc.is_rpc_secret(marked)
    assert rpc.unwrap_rpc_secret(marked) == "x"
    names = sdk_internals.private_names()
    assert names["pulumi.runtime.rpc._special_sig_key"] == sdk_internals.SECRET_SIG_KEY
    assert names["pulumi.runtime.rpc._special_secret_sig"] == sdk_internals.SECRET_SIG

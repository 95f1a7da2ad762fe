"""The Pulumi SDK's private names envkeeper relies on, in one place.

The Python SDK has no public way to list every config key (the program validates the
whole stack file), to reset the root resource between offline runs, or to name the
wire-format marker of a secret. tests/test_sdk_internals.py checks each name below
against the installed SDK and its version against the tested range, so an SDK upgrade
fails a test instead of a deploy or a plan. Imported only where Pulumi runs (the program
and `plan`), never by the other commands.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime import config as _config
from pulumi.runtime import rpc as _rpc
from pulumi.runtime import settings as _settings

# The SDK versions these names were checked against (uv.lock pins one inside it).
TESTED_PULUMI = (3, 272)

# The engine's wire format marks a secret with this key and value; they are part of the
# protocol, so they are written out here and checked against the SDK's own.
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"  # noqa: S105 (a protocol marker)
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 (a protocol marker)


def all_config_keys() -> set[str]:
    """Every config key the program was given: set by the engine, or by the mocks."""
    return set(_config.CONFIG.get()) | set(_config.get_config_env())


def reset_root_resource() -> None:
    """Forget the previous run's stack resource, so an offline run can follow another."""
    _settings.ROOT.set(None)


def private_names() -> dict[str, Any]:
    """The private attributes above, as the installed SDK has them (for the test)."""
    return {
        "pulumi.runtime.config.CONFIG": getattr(_config, "CONFIG", None),
        "pulumi.runtime.settings.ROOT": getattr(_settings, "ROOT", None),
        "pulumi.runtime.rpc._special_sig_key": getattr(_rpc, "_special_sig_key", None),
        "pulumi.runtime.rpc._special_secret_sig": getattr(_rpc, "_special_secret_sig", None),
    }

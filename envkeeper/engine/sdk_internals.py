"""The Pulumi SDK's private names envkeeper relies on, in one place.

The Python SDK has no public way to list every config key (the program validates the
whole stack file), to reset the root resource between offline runs, or to name the
wire-format marker of a secret. tests/test_sdk_internals.py exercises each function below
against the installed SDK, whatever its version: an upgrade that keeps these names passes,
and one that changes a name fails a test (naming it) instead of a deploy or a plan.
Imported only where Pulumi runs (the program and `plan`), never by the other commands.
"""

from __future__ import annotations

from pulumi.runtime import config as _config
from pulumi.runtime import settings as _settings

# The engine's wire format marks a secret with this key and value; they are part of the
# protocol, so they are written out (envkeeper/engine/secret_marks.py) and checked against the
# SDK's own.
from envkeeper.engine.secret_marks import SECRET_SIG as SECRET_SIG
from envkeeper.engine.secret_marks import SECRET_SIG_KEY as SECRET_SIG_KEY


def all_config_keys() -> set[str]:
    """Every config key the program was given: set by the engine, or by the mocks."""
    return set(_config.CONFIG.get()) | set(_config.get_config_env())


def reset_root_resource() -> None:
    """Forget the previous run's stack resource, so an offline run can follow another."""
    _settings.ROOT.set(None)

"""The GitHub environments this repository's own workflows run in (.github/workflows/).

Pull-request previews wait in PREVIEW for a maintainer's approval; the drift check of stack
S runs in `drift-S` and the weekly rotation in ROTATION, both from main only. No stack may
deliver its secrets into one of them.

GitHub compares environment names without regard to case: `Production` is `production`.
Every comparison of two names goes through `same_environment`, or compares `folded` names.
"""

from __future__ import annotations

PREVIEW = "preview"
ROTATION = "rotation"
DRIFT_PREFIX = "drift-"


def drift_environment(stack: str) -> str:
    return f"{DRIFT_PREFIX}{stack}"


def folded(name: str) -> str:
    """An environment's name as GitHub tells two apart."""
    return name.casefold()


def same_environment(a: str, b: str) -> bool:
    return folded(a) == folded(b)


def is_ci_environment(name: str) -> bool:
    return folded(name) in (PREVIEW, ROTATION) or folded(name).startswith(DRIFT_PREFIX)

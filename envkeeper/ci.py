"""The GitHub environments this repository's own workflows run in (.github/workflows/).

Pull-request previews wait in PREVIEW for a maintainer's approval; the drift check of stack
S runs in `drift-S` and the weekly rotation in ROTATION, both from main only. No stack may
deliver its secrets into one of them.
"""

from __future__ import annotations

PREVIEW = "preview"
ROTATION = "rotation"
DRIFT_PREFIX = "drift-"


def drift_environment(stack: str) -> str:
    return f"{DRIFT_PREFIX}{stack}"


def is_ci_environment(name: str) -> bool:
    return name in (PREVIEW, ROTATION) or name.startswith(DRIFT_PREFIX)

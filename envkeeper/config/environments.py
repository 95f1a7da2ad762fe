"""The three environments, and the one a stack of a usual name must be."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from envkeeper.config.stackfile import short_stack_name


class Environment(StrEnum):
    DEV = "dev"
    STAGING = "staging"
    PRODUCTION = "production"


# The environment a stack of one of the usual names must be; other names may be any.
STACK_ENVIRONMENTS = {
    "dev": Environment.DEV,
    "staging": Environment.STAGING,
    "prod": Environment.PRODUCTION,
    "production": Environment.PRODUCTION,
}


def environment_mismatch(environment: Any, stack: str) -> str | None:
    expected = STACK_ENVIRONMENTS.get(short_stack_name(stack))
    if expected is None or environment not in {e.value for e in Environment}:
        return None
    if environment == expected.value:
        return None
    return (
        f"says {environment} but this is the {short_stack_name(stack)} stack; write "
        f"`envkeeper:environment: {expected.value}` (or copy the right stack's file)"
    )

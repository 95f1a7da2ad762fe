"""The base of every model of the `envkeeper:` namespace, and the checks they share."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class ConfigModel(BaseModel):
    """camelCase keys as in the stack file, nothing unknown, never changed once read."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


_HEX32 = re.compile(r"^[0-9a-f]{32}$")


def hex32(value: str, what: str) -> str:
    if not _HEX32.match(value):
        raise ValueError(
            f"{what} must be 32 lower-case hex characters (see the Cloudflare dashboard)"
        )
    return value


def unique(values: list[str], what: str) -> list[str]:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {v!r} is listed twice; list it once")
        seen.add(v)
    return values

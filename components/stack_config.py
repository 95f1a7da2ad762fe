"""Pulumi config as a StackConfig, so the program validates it exactly as the CLI does."""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime import config as runtime_config

from envkeeper.stackfile import StackConfig


def _decode(raw: Any) -> Any:
    # The engine hands object and list values to the program as JSON text.
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
    return raw


def read_stack_config(origin: str) -> StackConfig:
    keys = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    secure = {k for k in keys if k in secret_keys or runtime_config.is_config_secret(k)}
    values = {k: _decode(runtime_config.get_config(k)) for k in sorted(keys - secure)}
    return StackConfig(origin=origin, values=values, secure=secure)

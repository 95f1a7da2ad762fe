"""Pulumi config as a StackConfig, so the program validates it exactly as the CLI does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pulumi.runtime import config as runtime_config

from envkeeper.config.stackfile import (
    PROJECT_ONLY_KEYS,
    StackConfig,
    load_stack_file,
    project_config,
    refuse_project_only_keys,
    stack_file,
    undo_engine_dates,
)
from envkeeper.engine.sdk_internals import all_config_keys


def _decode(raw: Any) -> Any:
    # The engine hands object and list values to the program as JSON text, and keeper dates
    # as Go prints a timestamp (see undo_engine_dates).
    if isinstance(raw, str) and raw[:1] in ("{", "["):
        try:
            return undo_engine_dates(json.loads(raw))
        except json.JSONDecodeError:
            return raw
    return undo_engine_dates(raw)


def read_stack_config(stack: str, project_dir: Path) -> StackConfig:
    """The engine's config for `stack`, merged from Pulumi.yaml and the stack file as Pulumi
    merges them, checked like the command line checks it."""
    stack_path = stack_file(project_dir, stack)
    # The engine has read Pulumi.yaml itself; reading it here too refuses what `validate`
    # refuses there (an alias, say) before anything is built from it.
    project_config(project_dir)
    if stack_path.is_file():
        # The engine hands over the merged value; only the file says where it was set.
        refuse_project_only_keys(load_stack_file(stack_path))
    keys = all_config_keys()
    secret_keys = set(runtime_config.get_config_secret_keys_env())
    secure = {k for k in keys if k in secret_keys or runtime_config.is_config_secret(k)}
    values = {k: _decode(runtime_config.get_config(k)) for k in sorted(keys - secure)}
    return StackConfig(
        origin=stack_path.name,
        values=values,
        secure=secure,
        project_keys={k for k in PROJECT_ONLY_KEYS if k in values},
    )

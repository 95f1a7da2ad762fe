"""The program reads its stack's config as the engine hands it over, into the same
StackConfig the CLI reads from the file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi.runtime import config as runtime_config

from components.stack_config import read_stack_config


@pytest.fixture
def engine_config() -> Iterator[None]:
    # Exactly what `pulumi preview` passed for Pulumi.dev.yaml's keeper dates: the engine's
    # YAML reader turns unquoted dates into timestamps and prints them the Go way.
    runtime_config.set_all_config(
        {
            "envkeeper:environment": "dev",
            "envkeeper:rotation": json.dumps(
                {
                    "BETTER_AUTH_SECRET": "2026-10-05 00:00:00 +0000 UTC",
                    "DATABASE_URL": {
                        "a": "2026-08-03 00:00:00 +0000 UTC",
                        "b": "2026-11-02 00:00:00 +0000 UTC",
                    },
                    "STRIPE_SECRET_KEY": "2026-10-12",
                    "RESEND_API_KEY": "2026-09-21 10:30:00 +0000 UTC",
                }
            ),
            "envkeeper:stripeSecretKey": "CANARY-never-read-7f3a",
        },
        ["envkeeper:stripeSecretKey"],
    )
    yield
    runtime_config.set_all_config({}, [])


@pytest.mark.usefixtures("engine_config")
def test_keeper_dates_read_as_the_dates_written_in_the_stack_file(tmp_path: Path) -> None:
    config = read_stack_config("dev", tmp_path)
    rotation = config.values["envkeeper:rotation"]
    assert rotation["BETTER_AUTH_SECRET"] == "2026-10-05"
    assert rotation["DATABASE_URL"] == {"a": "2026-08-03", "b": "2026-11-02"}
    assert rotation["STRIPE_SECRET_KEY"] == "2026-10-12"
    # A time of day is not a keeper date: it stays as it came, for validation to refuse.
    assert rotation["RESEND_API_KEY"] == "2026-09-21 10:30:00 +0000 UTC"


@pytest.mark.usefixtures("engine_config")
def test_secret_keys_are_known_by_name_only(tmp_path: Path) -> None:
    config = read_stack_config("dev", tmp_path)
    assert config.secure == {"envkeeper:stripeSecretKey"}
    assert "CANARY-never-read-7f3a" not in repr(config)

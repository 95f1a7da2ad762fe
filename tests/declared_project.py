"""A scratch project that declares its own secrets in Pulumi.yaml, as a team would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envkeeper.config.stackfile import round_trip_yaml, stack_file
from tests.conftest import STACKS

# What docs/catalog.md's "Add your own secret" section shows, plus a generated signing key that
# also goes to GitHub.
DECLARED: list[dict[str, Any]] = [
    {
        "name": "OPENAI_API_KEY",
        "source": "external",
        "rotationDays": 180,
        "destinations": ["worker-secret"],
        "description": "OpenAI project API key",
    },
    {
        "name": "SESSION_SIGNING_KEY",
        "source": "generated",
        "length": 48,
        "encoding": "hex",
        "rotationDays": 90,
        "destinations": ["worker-secret", "github-secret"],
        "rotationNote": "links signed with the old key stop working",
    },
]
DATES = {"OPENAI_API_KEY": "2026-10-01", "SESSION_SIGNING_KEY": "2026-09-15"}


def edit_yaml(path: Path, change: Any) -> None:
    yaml = round_trip_yaml()
    document = yaml.load(path.read_text(encoding="utf-8"))
    change(document)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)


def declare(
    project_dir: Path,
    entries: list[dict[str, Any]] | None = None,
    dates: dict[str, str] | None = None,
    stacks: tuple[str, ...] = STACKS,
) -> None:
    """Declare `entries` in Pulumi.yaml and give each stack file their keeper dates."""
    entries = DECLARED if entries is None else entries
    dates = DATES if dates is None else dates

    def add_block(document: Any) -> None:
        document.setdefault("config", {})["envkeeper:secrets"] = entries

    edit_yaml(project_dir / "Pulumi.yaml", add_block)

    def add_dates(document: Any) -> None:
        document["config"]["envkeeper:rotation"].update(dates)

    for stack in stacks:
        edit_yaml(stack_file(project_dir, stack), add_dates)

"""`envkeeper drift-report`: what a refreshed preview would change, names only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STACK_URN = "urn:pulumi:prod::envkeeper::"
SECRET = "CANARY-drift-value-7f3a"


def step(op: str, path: str, **extra: Any) -> dict[str, Any]:
    return {
        "op": op,
        "urn": STACK_URN + path,
        # What a preview carries: old and new state, with values in them.
        "oldState": {"inputs": {"text": SECRET, "name": "RESEND_API_KEY"}},
        "newState": {"inputs": {"text": SECRET + "-new"}},
        **extra,
    }


PREVIEW = {
    "steps": [
        step("refresh", "pulumi:pulumi:Stack::envkeeper-prod"),
        step(
            "same",
            "envkeeper:environment:Environment$random:index/randomPassword:RandomPassword::x",
        ),
        step(
            "create",
            "envkeeper:environment:Environment$pulumi-python:dynamic/envkeeper:WorkerSecret"
            "::example-api-RESEND_API_KEY",
        ),
        step(
            "update",
            "envkeeper:environment:Environment$github:index/repositoryEnvironment:"
            "RepositoryEnvironment::environment",
            diffReasons=["preventSelfReview"],
            detailedDiff={"reviewers": {"kind": "update"}},
        ),
    ],
    "changeSummary": {"create": 1, "update": 1, "same": 1},
}


def test_names_each_changed_resource_its_step_and_properties_never_a_value(
    cli: Any, tmp_path: Path
) -> None:
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(PREVIEW))
    result = cli("drift-report", str(preview), "--stack", "prod")
    assert result.exit_code == 1
    assert SECRET not in result.output
    assert result.stdout.splitlines()[0] == (
        "### prod: what is deployed differs from the program (2 resources)"
    )
    assert (
        "| `example-api-RESEND_API_KEY` | `pulumi-python:dynamic/envkeeper:WorkerSecret` | "
        "create | - |"
    ) in result.stdout
    assert (
        "| `environment` | `github:index/repositoryEnvironment:RepositoryEnvironment` | update "
        "| `preventSelfReview`, `reviewers` |"
    ) in result.stdout


def test_no_drift_exits_0(cli: Any, tmp_path: Path) -> None:
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps({"steps": PREVIEW["steps"][:2]}))
    result = cli("drift-report", str(preview), "--stack", "dev")
    assert result.exit_code == 0
    assert result.stdout.startswith("### dev: no drift")


def test_what_is_not_a_preview_is_one_line_that_quotes_nothing(cli: Any, tmp_path: Path) -> None:
    preview = tmp_path / "preview.json"
    preview.write_text(f"error: {SECRET} is not valid\n")
    result = cli("drift-report", str(preview))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{preview}: cannot read it (it is not the JSON of a preview)"
    ]
    assert SECRET not in result.output

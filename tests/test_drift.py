"""`envkeeper drift-report`: what a refreshed preview would change, names only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

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
    result = cli("drift-report", str(preview), "--stack", "prod")
    assert result.exit_code == 0
    assert result.stdout.startswith("### prod: no drift")


def test_a_report_headed_with_another_stacks_name_is_refused(cli: Any, tmp_path: Path) -> None:
    # A prod preview must not be reported as dev's: the summary would say dev is clean.
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps({"steps": PREVIEW["steps"][:2]}))
    result = cli("drift-report", str(preview), "--stack", "dev")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "(command line): --stack: names dev, but the preview is of stack prod; pass the "
        "preview of dev, or --stack prod"
    )
    assert result.stdout == ""


def test_what_is_not_a_preview_is_one_line_that_quotes_nothing(cli: Any, tmp_path: Path) -> None:
    preview = tmp_path / "preview.json"
    preview.write_text(f"error: {SECRET} is not valid\n")
    result = cli("drift-report", str(preview))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{preview}: is not the JSON of a preview; save `pulumi preview --json`'s output"
    ]
    assert SECRET not in result.output


def report(cli: Any, tmp_path: Path, data: Any, *args: str) -> Any:
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(data))
    return cli("drift-report", str(preview), *args)


FAILED_PREVIEW = {
    "config": {},
    "diagnostics": [{"severity": "error", "message": f"error: {SECRET} was refused"}],
    "changeSummary": {},
}
WORKER_SECRET = "envkeeper:environment:Environment$pulumi-python:dynamic/envkeeper:WorkerSecret"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (FAILED_PREVIEW, "the preview failed with 1 error"),
        ({**PREVIEW, "diagnostics": FAILED_PREVIEW["diagnostics"]}, "the preview failed"),
        ([], "it is not the JSON object"),
        ({"config": {}, "changeSummary": {}}, "it lists no steps"),
        ({"steps": [], "changeSummary": {}}, "it lists no steps"),
        ({"steps": ["update", 3]}, "step 1 is not a preview's step"),
        ({"steps": [step("update", "x::y", detailedDiff=[SECRET])]}, "step 1 is not"),
        ({"steps": [{"op": "update", "urn": SECRET}]}, "step 1 is not"),
    ],
    ids=["failed", "errors", "list", "no-steps", "empty-steps", "not-objects", "diff-list", "urn"],
)
def test_anything_but_a_completed_preview_is_one_line_and_exit_2(
    cli: Any, tmp_path: Path, data: Any, why: str
) -> None:
    result = report(cli, tmp_path, data, "--stack", "prod")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""  # never "no drift" in a job summary
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{tmp_path / 'preview.json'}: not a completed preview: {why}")
    assert SECRET not in result.output and "Traceback" not in result.output


def test_a_replacement_is_one_resource_not_three_rows(cli: Any, tmp_path: Path) -> None:
    name = f"{WORKER_SECRET}::example-api-RESEND_API_KEY"
    steps = [
        step("same", "pulumi:pulumi:Stack::envkeeper-prod"),
        step("create-replacement", name, replaceReasons=["workerName"]),
        step("replace", name, replaceReasons=["workerName"]),
        step("delete-replaced", name),
    ]
    result = report(cli, tmp_path, {"steps": steps})
    assert result.exit_code == 1
    rows = [line for line in result.stdout.splitlines() if "example-api-RESEND_API_KEY" in line]
    assert rows == [
        "| `example-api-RESEND_API_KEY` | `pulumi-python:dynamic/envkeeper:WorkerSecret` | "
        "replace | `workerName` |"
    ]
    assert "(1 resource)" in result.stdout


def test_a_byte_order_mark_is_read_as_utf8(cli: Any, tmp_path: Path) -> None:
    preview = tmp_path / "preview.json"
    preview.write_bytes(b"\xef\xbb\xbf" + json.dumps(PREVIEW).encode())
    assert cli("drift-report", str(preview)).exit_code == 1


def test_the_heading_names_the_previews_stack_by_default(cli: Any, tmp_path: Path) -> None:
    result = report(cli, tmp_path, PREVIEW)
    assert result.stdout.startswith("### prod: what is deployed differs")
    clean = report(cli, tmp_path, {"steps": PREVIEW["steps"][:2]})
    assert clean.stdout.startswith("### prod: no drift")


def test_the_report_fits_githubs_summary_limit_and_says_what_it_left_out(
    cli: Any, tmp_path: Path
) -> None:
    steps = [
        step("delete", f"{WORKER_SECRET}::worker-{n:05d}-{'X' * 80}", diffReasons=["text"] * 3)
        for n in range(12_000)
    ]
    result = report(cli, tmp_path, {"steps": steps})
    assert result.exit_code == 1
    summary = result.stdout.encode()
    assert len(summary) <= 1024 * 1024
    shown = summary.count(b"| `worker-")
    assert 0 < shown < 12_000
    assert result.stdout.rstrip().endswith(
        f"{12_000 - shown} more resources were left out to fit GitHub's 1 MiB limit for a job "
        "summary; `pulumi preview --refresh --diff` lists every one."
    )
    assert "(12000 resources)" in result.stdout


def test_a_standby_past_its_end_is_named_as_scheduled_not_as_a_hands_change(
    cli: Any, tmp_path: Path
) -> None:
    dynamic = "envkeeper:environment:Environment$pulumi-python:dynamic/envkeeper:"
    preview = tmp_path / "preview.json"
    preview.write_text(
        json.dumps(
            {
                "steps": [
                    step("update", dynamic + "ResendApiKey::resend-a"),
                    step("update", dynamic + "LoginSessions::app_runtime_a-sessions"),
                    step("update", dynamic + "WorkerSecret::example-api-STRIPE_SECRET_KEY"),
                ]
            }
        )
    )
    result = cli("drift-report", str(preview), "--stack", "prod")
    assert result.exit_code == 1  # a live credential past its end still needs the deploy
    (note,) = [ln for ln in result.stdout.splitlines() if ln.startswith("Some of these")]
    assert "`resend-a`, `app_runtime_a-sessions` retire a standby credential" in note
    assert "example-api-STRIPE_SECRET_KEY" not in note
    assert SECRET not in result.output

"""`envkeeper rotation autopilot`: rotate on schedule, through a pull request a person reads."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper.stack.catalog import Source
from tests.conftest import TODAY
from tests.declared_project import declare
from tests.programs import changed_resources, load, run, set_rotation

OLD = {
    "a": (TODAY - timedelta(days=500)).isoformat(),
    "b": (TODAY - timedelta(days=400)).isoformat(),
}


def everything_overdue(project: Path, stack: str) -> None:
    """Every keeper date of `stack` long past its policy."""
    _, settings = load(stack, project)
    for entry in settings.tracked:
        set_rotation(project, stack, entry.name, OLD if entry.two_slots else OLD["b"])


def autopilot(cli: Any, *args: str) -> dict[str, Any]:
    result = cli("rotation", "autopilot", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_it_bumps_what_envkeeper_mints_and_lists_what_a_person_must_roll(
    cli: Any, project: Path
) -> None:
    declare(project)  # a declared generated and a declared external secret
    everything_overdue(project, "prod")
    _, settings = load("prod", project)

    done = autopilot(cli, "prod")

    bumped = {(r["name"], r["slot"]) for r in done["rotated"]}
    listed = {m["name"] for m in done["manual"]}
    for entry in settings.tracked:
        if entry.managed:
            slot = settings.slots(entry.name).inactive if entry.two_slots else None
            assert (entry.name, slot) in bumped, entry.name
        else:
            assert entry.source in (Source.EXTERNAL, Source.PROVIDER)
            assert entry.name in listed, entry.name
    assert {"SESSION_SIGNING_KEY", "DATABASE_URL", "CLOUDFLARE_API_TOKEN"} <= {n for n, _ in bumped}
    assert {"OPENAI_API_KEY", "STRIPE_SECRET_KEY", "cloudflare:apiToken"} <= listed
    _, after = load("prod", project)
    for entry in settings.tracked:
        old, new = settings.rotation[entry.name], after.rotation[entry.name]
        if entry.managed:
            assert getattr(new, "latest", new) == TODAY, entry.name
        else:
            assert new == old, entry.name  # a record of the vendor: only a person moves it
    steps = {m["name"]: m["steps"] for m in done["manual"]}
    assert (
        "pulumi config set --secret --stack prod envkeeper:stripeSecretKey"
        in steps["STRIPE_SECRET_KEY"]
    )


def test_the_blast_radius_it_writes_up_is_what_the_program_changes(cli: Any, project: Path) -> None:
    everything_overdue(project, "dev")
    before = run("dev", project)
    done = autopilot(cli, "dev")
    after = run("dev", project)
    written = {name for r in done["rotated"] for name in r["blast_radius"]}
    assert written == changed_resources(before, after)
    for r in done["rotated"]:
        for name in r["blast_radius"]:
            assert f"`{name}`" in done["body"]


def test_a_second_run_on_the_same_day_changes_nothing(cli: Any, project: Path) -> None:
    everything_overdue(project, "staging")
    first = autopilot(cli, "staging")
    assert first["rotated"]
    files = {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    second = autopilot(cli, "staging")
    assert second["rotated"] == []
    assert second["manual"] == first["manual"]  # still a person's to do
    assert {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == files


def test_nothing_due_says_so_exits_0_and_writes_nothing(
    cli: Any, project: Path, tmp_path: Path
) -> None:
    files = {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    body = tmp_path / "body.md"
    result = cli("rotation", "autopilot", "--within", "0", "--body", str(body))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "Nothing envkeeper can rotate is due within 0 days",
        "Nothing is due within 0 days in dev, staging, prod; no file changed.",
    ]
    assert not body.exists()
    assert {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == files


def test_the_body_file_is_the_pull_requests_description(
    cli: Any, project: Path, tmp_path: Path
) -> None:
    everything_overdue(project, "dev")
    body = tmp_path / "body.md"
    result = cli("rotation", "autopilot", "dev", "--body", str(body))
    assert result.exit_code == 0, result.output
    title = result.stdout.splitlines()[0]
    assert title.startswith("Rotate ") and title.endswith("(dev)")
    text = body.read_text()
    assert "### dev" in text and "### What a person must do" in text
    assert "**BETTER_AUTH_SECRETS** slot a:" in text
    assert "Every signed-in user is signed out" in text
    assert "slot b stays in BETTER_AUTH_SECRETS only to read what it wrote" in text
    assert "read-only queries with the old one are refused" in text


def test_a_stack_file_with_crlf_and_comments_keeps_every_other_byte(
    cli: Any, project: Path
) -> None:
    everything_overdue(project, "dev")
    path = project / "Pulumi.dev.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    autopilot(cli, "dev")
    after = path.read_bytes()
    assert after.count(b"\r\n") == before.count(b"\r\n")
    changed = [
        (old, new)
        for old, new in zip(before.split(b"\r\n"), after.split(b"\r\n"), strict=True)
        if old != new
    ]
    assert changed and all(TODAY.isoformat().encode() in new for _, new in changed)
    assert all(old.replace(b"#", b"") != old or b"#" not in new for old, new in changed)
    assert b"# Keeper dates: bump one" in after


def test_a_dry_run_changes_no_file(cli: Any, project: Path) -> None:
    everything_overdue(project, "prod")
    files = {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    done = autopilot(cli, "prod", "--dry-run")
    assert done["rotated"] and done["dry_run"] is True
    assert {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == files


@pytest.mark.parametrize("within", ["-1", "400"])
def test_a_window_out_of_range_is_one_line(cli: Any, within: str) -> None:
    result = cli("rotation", "autopilot", "--within", within)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"(command line): --within: {within} is not 0 to 366 days"
    ]


def previewed_on_pull_requests() -> list[str]:
    from tests.conftest import ROOT
    from tests.test_workflows import workflow

    flow = workflow(ROOT / ".github" / "workflows" / "pull-request.yml")
    return list(flow["jobs"]["preview"]["strategy"]["matrix"]["stack"])


def test_the_write_up_asks_reviewers_only_for_previews_that_run_on_the_pull_request(
    cli: Any, project: Path
) -> None:
    for stack in ("dev", "staging", "prod"):
        everything_overdue(project, stack)
    body = autopilot(cli)["body"]
    previewed = previewed_on_pull_requests()
    assert previewed == ["dev", "staging"]  # what the sentence below says
    assert "read the previews of dev and staging on this pull request" in body
    assert "Production is not previewed on a pull request" in body
    assert "each stack's `pulumi preview` on this pull request" not in body
    # What happens to production once it is merged.
    assert "Production's deploy waits for a reviewer's approval before it starts" in body


def test_a_dry_runs_write_up_says_nothing_was_changed(cli: Any, project: Path) -> None:
    everything_overdue(project, "prod")
    body = autopilot(cli, "prod", "--dry-run")["body"]
    assert body.startswith("A dry run (`--dry-run`): no stack file was changed.")
    assert "envkeeper moved" not in body
    assert autopilot(cli, "prod")["body"].startswith("envkeeper moved the keeper dates")

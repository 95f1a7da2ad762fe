"""`envkeeper offboard`: rotate what a departing person could read, as a reviewed change."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from envkeeper.offline.program import SLOT_SWITCH, FakeProviders, unwrap_all
from envkeeper.rotation.bump import Change
from envkeeper.rotation.incident import changed_by
from envkeeper.rotation.offboard import DASHBOARDS
from envkeeper.stack.settings import Settings, SlotDates
from tests.conftest import TODAY
from tests.programs import changed_resources, load, run


def test_a_dry_run_writes_it_all_up_and_changes_no_file(cli: Any, project: Path) -> None:
    files = {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    result = cli("offboard", "dev", "staging", "--dry-run")
    assert result.exit_code == 0, result.output
    assert {p: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == files
    out = result.stdout
    assert out.splitlines()[0] == "Offboarding: rotate what could be read in dev, staging"
    assert "### dev" in out and "### staging" in out and "### prod" not in out
    for stack in ("dev", "staging"):
        _, settings = load(stack, project)
        for entry in settings.tracked:
            if entry.managed and entry.two_slots:
                for slot in ("a", "b"):
                    assert f"**{entry.name}** slot {slot}: " in out
            elif entry.managed:
                assert f"**{entry.name}**: " in out, entry.name
            else:  # only a person can roll it: on the checklist, with the vendor's steps
                assert f"- [ ] **{stack}: {entry.name}** (they could read it)" in out
    for item in DASHBOARDS:
        assert f"- [ ] {item}" in out
    assert "(--dry-run: no stack file was changed)" in out


def test_it_rotates_both_slots_of_every_credential_it_mints_and_writes_up_the_blast_radius(
    cli: Any, project: Path, tmp_path: Path
) -> None:
    _, before_settings = load("prod", project)
    before = run("prod", project)
    body = tmp_path / "body.md"
    result = cli("offboard", "prod", "--body", str(body))
    assert result.exit_code == 0, result.output
    _, after = load("prod", project)
    for entry in after.tracked:
        old, new = before_settings.rotation[entry.name], after.rotation[entry.name]
        if not entry.managed:
            assert new == old, entry.name  # a record of the vendor: only a person moves it
        elif isinstance(new, SlotDates) and isinstance(old, SlotDates):
            assert new.a != old.a and new.b != old.b and new.latest == TODAY, entry.name
        else:
            assert new == TODAY, entry.name
    # What the write-up says the next `up` touches is what it touches, against the switch
    # records the stack had deployed.
    deployed = {r.name: unwrap_all(r.outputs) for r in before.by_type(SLOT_SWITCH)}
    fakes = FakeProviders("generated-", "prod", deployed=deployed)
    changed = changed_resources(before, run("prod", project, providers=fakes))
    text = body.read_text()
    written: set[str] = set()
    for change in offboarding_changes(before_settings, after):
        written |= changed_by(before_settings, change)
    assert changed == written
    for name in written:
        assert f"`{name}`" in text
    assert "app_runtime_a-sessions" in written and "app_runtime_b-sessions" in written
    assert f"The pull request's description is in {body}." in result.stdout


def offboarding_changes(before: Settings, after: Settings) -> list[Change]:
    changes = []
    for entry in before.tracked:
        old, new = before.rotation[entry.name], after.rotation[entry.name]
        if isinstance(old, SlotDates) and isinstance(new, SlotDates):
            changes += [
                Change(entry.name, slot, old.date_of(slot), new.date_of(slot))
                for slot in ("a", "b")
                if old.date_of(slot) != new.date_of(slot)
            ]
        elif old != new:
            assert isinstance(old, date) and isinstance(new, date)
            changes.append(Change(entry.name, None, old, new))
    return changes


def test_every_stack_is_checked_before_any_file_is_written(cli: Any, project: Path) -> None:
    dev = project / "Pulumi.dev.yaml"
    staging = project / "Pulumi.staging.yaml"
    kept = dev.read_bytes()
    staging.write_text(staging.read_text().replace("environment: staging", "environment: nope"))
    result = cli("offboard", "dev", "staging")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "Pulumi.staging.yaml" in line and "envkeeper:environment" in line
    assert dev.read_bytes() == kept


def test_no_stack_is_one_line_naming_the_fix(cli: Any) -> None:
    result = cli("offboard")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "(command line): STACK: name every stack the person could read, for example: "
        "envkeeper offboard dev staging"
    ]

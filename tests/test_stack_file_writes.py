"""What the commands that write do to files: every output checked before the first change,
all written or none, through symlinks, never over a read-only file, and never a crash on
YAML that `validate` accepts."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STACKS, TODAY
from tests.programs import set_rotation

LONG_AGO = "2025-01-01"


def snapshot(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(project.iterdir()) if p.is_file()}


def one_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.stderr.splitlines()
    return line


def due_everywhere(project: Path) -> None:
    for stack in STACKS:
        set_rotation(project, stack, "DATABASE_URL_READONLY", LONG_AGO)


# --- all or nothing -----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        lambda tmp: tmp / "no-such-folder" / "body.md",  # its folder does not exist
        lambda tmp: tmp,  # a folder
    ],
    ids=["missing-folder", "a-folder"],
)
def test_an_autopilot_body_that_cannot_be_written_changes_no_stack_file(
    cli: Any, project: Path, tmp_path_factory: pytest.TempPathFactory, body: Callable[..., Path]
) -> None:
    due_everywhere(project)
    before = snapshot(project)
    target = body(tmp_path_factory.mktemp("out"))
    result = cli("rotation", "autopilot", "--body", str(target))
    assert "no file was changed" in one_line(result)
    assert snapshot(project) == before
    # Nothing was half done: the next run still finds everything due and writes it all.
    again = cli("rotation", "autopilot")
    assert again.exit_code == 0, again.output
    assert all(
        f"DATABASE_URL_READONLY: '{TODAY}'" in (project / f"Pulumi.{s}.yaml").read_text()
        for s in STACKS
    )


def test_a_read_only_body_file_is_refused_before_any_stack_file_changes(
    cli: Any, project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    due_everywhere(project)
    body = tmp_path_factory.mktemp("out") / "body.md"
    body.write_text("the last run's\n")
    body.chmod(0o444)
    before = snapshot(project)
    line = one_line(cli("rotation", "autopilot", "--body", str(body)))
    assert line.startswith(f"{body}: is read-only (mode 444)")
    assert snapshot(project) == before and body.read_text() == "the last run's\n"


def test_one_read_only_stack_file_stops_autopilot_before_any_other_is_written(
    cli: Any, project: Path
) -> None:
    due_everywhere(project)
    (project / "Pulumi.prod.yaml").chmod(0o444)
    before = snapshot(project)
    line = one_line(cli("rotation", "autopilot"))
    assert "Pulumi.prod.yaml: is read-only (mode 444); make it writable" in line
    assert snapshot(project) == before


def test_a_rename_that_fails_halfway_puts_back_what_was_already_replaced(
    cli: Any, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    due_everywhere(project)
    before = snapshot(project)
    real_replace = os.replace
    calls: list[str] = []

    def second_fails(src: Any, dst: Any) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", second_fails)
    line = one_line(cli("rotation", "autopilot"))
    assert "could not write it (No space left on device); no file was changed" in line
    monkeypatch.undo()
    assert snapshot(project) == before
    assert not [p for p in project.iterdir() if p.name.endswith(".tmp")]


# --- symlinks and read-only stack files -----------------------------------------------


def test_bump_edits_a_symlinked_stack_file_through_its_link(cli: Any, project: Path) -> None:
    shared = project / "stacks"
    shared.mkdir()
    (project / "Pulumi.dev.yaml").rename(shared / "dev.yaml")
    (project / "Pulumi.dev.yaml").symlink_to(Path("stacks") / "dev.yaml")
    result = cli("rotation", "bump", "dev", "DATABASE_URL_READONLY")
    assert result.exit_code == 0, result.output
    assert (project / "Pulumi.dev.yaml").is_symlink()
    assert f"DATABASE_URL_READONLY: '{TODAY}'" in (shared / "dev.yaml").read_text()


@pytest.mark.parametrize(
    "command",
    [
        ["rotation", "bump", "dev", "DATABASE_URL_READONLY"],
        ["emergency", "dev"],
    ],
)
def test_a_read_only_stack_file_is_refused_by_name_and_left_alone(
    cli: Any, project: Path, command: list[str]
) -> None:
    path = project / "Pulumi.dev.yaml"
    path.chmod(0o444)
    before = path.read_bytes()
    line = one_line(cli(*command))
    assert line == (
        f"{path}: is read-only (mode 444); make it writable (chmod u+w {path}) and run the "
        "command again; no file was changed"
    )
    assert path.read_bytes() == before and path.stat().st_mode & 0o777 == 0o444


# --- what is a stack file -------------------------------------------------------------


def test_a_folder_named_like_a_stack_file_is_named_not_skipped(cli: Any, project: Path) -> None:
    # Skipped, its stack would escape every check (tests/test_broken_siblings.py).
    (project / "Pulumi.qa.yaml").mkdir()
    status = cli("rotation", "status", "--today", "2026-11-28")
    assert status.exit_code == 2, status.output
    assert "Pulumi.qa.yaml: is a folder, not a stack file" in one_line(status)
    assert "Pulumi.qa.yaml: is a folder, not a stack file" in one_line(cli("validate", "prod"))
    line = one_line(cli("validate", "qa"))
    assert "Pulumi.qa.yaml: is a folder, not a stack file" in line


def test_a_stack_name_no_file_can_have_is_one_line(cli: Any) -> None:
    line = one_line(cli("validate", "x" * 5000))
    assert line.startswith("(command line): STACK: is not a stack name")
    assert "x" * 10 not in line


# --- YAML that validate accepts -------------------------------------------------------


ALIASED = {
    "    MIGRATION_DATABASE_URL: '2026-11-02'": "    MIGRATION_DATABASE_URL: *d",
    "    DATABASE_URL_READONLY: '2026-11-02'": "    DATABASE_URL_READONLY: &d '2026-11-02'",
}


def rotation_lines(project: Path, replace: dict[str, str]) -> Path:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("replace", "secret"),
    [
        # A date written as an alias of another.
        (
            ALIASED,
            "MIGRATION_DATABASE_URL",
        ),
        # The anchored date itself: changing it would change the alias too.
        (
            ALIASED,
            "DATABASE_URL_READONLY",
        ),
        # A slot date taken from another secret's through a merge key.
        (
            {
                "    DATABASE_URL: {a: '2026-08-03', b: '2026-11-02'}": (
                    "    DATABASE_URL: {<<: *slots, b: '2026-11-02'}"
                ),
                "    BETTER_AUTH_SECRETS: {": "    BETTER_AUTH_SECRETS: &slots {",
            },
            "DATABASE_URL",
        ),
    ],
    ids=["alias", "anchor", "merge-key"],
)
def test_bump_on_a_date_it_cannot_change_alone_is_one_line(
    cli: Any, project: Path, replace: dict[str, str], secret: str
) -> None:
    path = rotation_lines(project, replace)
    before = path.read_bytes()
    line = one_line(cli("rotation", "bump", "dev", secret))
    assert line.startswith(f"{path}: ")
    assert path.read_bytes() == before


def test_bump_replaces_an_escaped_date_whole(cli: Any, project: Path) -> None:
    path = rotation_lines(
        project,
        {"    DATABASE_URL_READONLY: '2026-11-02'": '    DATABASE_URL_READONLY: "2026\\x2D11-02"'},
    )
    assert cli("validate", "dev").exit_code == 0
    result = cli("rotation", "bump", "dev", "DATABASE_URL_READONLY")
    assert result.exit_code == 0, result.output
    assert f'    DATABASE_URL_READONLY: "{TODAY}"\n' in path.read_text()

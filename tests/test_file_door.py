"""The files a person names to be written (`--body`, `--output`) and the stack files a
command rewrites all go through envkeeper/doors/writing.py: never a device, a pipe or a folder,
through a link the person made, and every file of one command staged before any is
replaced. Written from a new user's side: each target below once went wrong.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envkeeper.doors.problems import UserError
from envkeeper.doors.writing import write_all
from envkeeper.local.files import write_private

# (what it is, how to make it under tmp_path)
BAD_TARGETS: dict[str, Callable[[Path], Path]] = {
    "a FIFO": lambda tmp: (os.mkfifo(tmp / "fifo"), tmp / "fifo")[1],
    "a link to a FIFO": lambda tmp: (
        os.mkfifo(tmp / "fifo2"),
        (tmp / "via-link").symlink_to(tmp / "fifo2"),
        tmp / "via-link",
    )[2],
    "a folder": lambda tmp: (tmp / "folder").mkdir() or tmp / "folder",
    "a dangling link's missing folder": lambda tmp: (
        (tmp / "dangling").symlink_to(tmp / "no-such-folder" / "file"),
        tmp / "dangling",
    )[1],
}


def kinds(target: Path) -> str:
    """What is at `target`, not following a link: what must still be there afterwards."""
    mode = target.lstat().st_mode
    return oct(mode)


@pytest.mark.parametrize("what", list(BAD_TARGETS))
@pytest.mark.parametrize("writer", ["write_all", "write_private"])
def test_no_writer_replaces_what_is_not_a_regular_file(
    tmp_path: Path, what: str, writer: str
) -> None:
    target = BAD_TARGETS[what](tmp_path)
    before = kinds(target)
    with pytest.raises(UserError) as excinfo:
        if writer == "write_all":
            write_all([(target, "CANARY-text")])
        else:
            write_private(target, "CANARY-text")
    (problem,) = excinfo.value.problems
    assert "CANARY" not in str(problem) and "\n" not in str(problem)
    assert kinds(target) == before  # still the FIFO, the link, the folder
    assert not [p for p in tmp_path.rglob("*.tmp")]  # no temporary file left behind


def test_a_link_the_person_made_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("old")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    write_private(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    write_all([(link, "newer")])
    assert link.is_symlink() and real.read_text() == "newer"


def test_offboarding_changes_every_stack_file_or_none(cli: Any, project: Path) -> None:
    # Staging read-only: dev's file was once written first, then "no file was changed".
    before = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    staging = project / "Pulumi.staging.yaml"
    staging.chmod(0o444)
    try:
        done = cli("offboard", "dev", "staging")
    finally:
        staging.chmod(0o644)
    assert done.exit_code == 2
    assert "Pulumi.staging.yaml: is read-only" in done.stderr
    assert {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == before


@pytest.mark.parametrize("body", ["folder", "fifo"])
def test_a_description_that_cannot_be_written_stops_offboarding_before_any_stack_file(
    cli: Any, project: Path, tmp_path: Path, body: str
) -> None:
    target = tmp_path / body
    if body == "folder":
        target.mkdir()
    else:
        os.mkfifo(target)
    before = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    done = cli("offboard", "dev", "--body", str(target))
    assert done.exit_code == 2, done.output
    assert done.stderr.strip().endswith("no file was changed")
    assert {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == before


@pytest.mark.parametrize("command", [("offboard", "dev"), ("rotation", "autopilot", "dev")])
def test_a_description_is_never_written_over_a_file_git_tracks(
    cli: Any, project: Path, command: tuple[str, ...]
) -> None:
    # A new user once wrote `--body README.md`: the tracked README was replaced silently.
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    readme = project / "README.md"
    readme.write_text("the project's own README\n")
    subprocess.run(["git", "-C", str(project), "add", "README.md"], check=True)
    before = {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()}

    done = cli(*command, "--body", str(readme))

    assert done.exit_code == 2, done.output
    assert "is tracked by git and would be replaced" in done.stderr
    assert {p.name: p.read_bytes() for p in project.iterdir() if p.is_file()} == before


def test_a_huge_stack_file_is_one_line_not_minutes_of_parsing(cli: Any, project: Path) -> None:
    # A 5 MB stack file once took 67 s to validate and 162 s to bump, without a word.
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + ("#" + "y" * 79 + "\n") * 20000)  # 1.6 MB
    before = path.read_bytes()
    for command in (("validate", "dev"), ("rotation", "bump", "dev", "DATABASE_URL_READONLY")):
        done = cli(*command)
        assert done.exit_code == 2, done.output
        assert done.stderr.strip().endswith(
            "Pulumi.dev.yaml: is larger than 1 MiB; a stack file holds settings and "
            "encrypted secrets, a few kilobytes: check that this is the file you meant"
        )
    assert path.read_bytes() == before

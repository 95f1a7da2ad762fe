"""Every path a person names on the command line, against the whole family of bad targets.

Written from a new user's side: `--output /dev/null`, `--body README.md`, a preview that is
`/dev/zero`, a FIFO, a folder where a file was meant, a link to nothing, a file far too big.
Each ends in one line on stderr naming the path, exit 2, and no file changed: not the
project's, not the target.

The table is checked against the command line itself: a command or option added later that
takes a path, and is not in the table, fails here until it is, and then meets the family.
(Standard output that is closed, full or a broken pipe: tests/test_output_lost.py, for
every command.)
"""

from __future__ import annotations

import os
import subprocess
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer import Typer
from typer.testing import CliRunner

from envkeeper.cli import _state, app
from envkeeper.doors.reading import PREVIEW_LIMIT
from tests.conftest import said

READ, WRITE, FOLDER = "a file it reads", "a file it writes", "a folder"

# (command, parameter) -> which door, and the command line with {} where the path goes.
NAMED_PATHS: dict[tuple[str, str], tuple[str, list[str]]] = {
    ("", "project_dir"): (FOLDER, ["--project-dir", "{}", "validate", "dev"]),
    ("dev-vars", "output"): (WRITE, ["dev-vars", "dev", "--output", "{}"]),
    ("drift-report", "preview"): (READ, ["drift-report", "{}", "--stack", "dev"]),
    ("offboard", "body"): (WRITE, ["offboard", "dev", "--body", "{}"]),
    ("rotation autopilot", "body"): (WRITE, ["rotation", "autopilot", "dev", "--body", "{}"]),
    ("preview-plan", "folder"): (FOLDER, ["preview-plan", "dev", "{}"]),
    ("preview-plan", "policy_pack"): (FOLDER, ["preview-plan", "dev", "{made}", "--policy-pack",
                                               "{}"]),
    ("apply-plan", "folder"): (FOLDER, ["apply-plan", "dev", "{}"]),
    ("apply-plan", "policy_pack"): (FOLDER, ["apply-plan", "dev", "{made}", "--policy-pack", "{}"]),
}  # fmt: skip


def _commands(typer_app: Typer, prefix: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    if typer_app.registered_callback and typer_app.registered_callback.callback:
        yield prefix.strip(), typer_app.registered_callback.callback
    for command in typer_app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        yield f"{prefix}{name}", command.callback
    for group in typer_app.registered_groups:
        assert group.typer_instance is not None
        # A module of envkeeper/commands/ is added without a name: its commands are the
        # app's own. A named group (rotation) prefixes its commands.
        named = group.name if isinstance(group.name, str) else None
        yield from _commands(group.typer_instance, f"{prefix}{named} " if named else prefix)


def path_parameters() -> set[tuple[str, str]]:
    """Every (command, parameter) of the command line whose value is a path."""
    found = set()
    for command, callback in _commands(app):
        for name, hint in typing.get_type_hints(callback, include_extras=True).items():
            if name != "return" and "Path" in str(hint):
                found.add((command, name))
    return found


def test_the_table_holds_every_path_the_command_line_takes() -> None:
    assert len(list(_commands(app))) > 15  # every command was found, not a few
    assert path_parameters() == set(NAMED_PATHS), (
        "a command takes a path the table does not name (or no longer takes one it does): "
        "read or write it through envkeeper/doors/reading.py or envkeeper/doors/writing.py, "
        "then add it"
    )


def _fifo(tmp: Path) -> Path:
    os.mkfifo(tmp / "fifo")
    return tmp / "fifo"


def _dangling(tmp: Path) -> Path:
    (tmp / "dangling").symlink_to(tmp / "no-such-folder" / "file")
    return tmp / "dangling"


def _huge(tmp: Path) -> Path:
    path = tmp / "huge.json"
    with path.open("wb") as out:
        out.truncate(PREVIEW_LIMIT + 1)  # sparse: nothing is written to disk
    return path


def _file(tmp: Path) -> Path:
    (tmp / "a-file").write_text("a file, not a folder\n")
    return tmp / "a-file"


# What is bad for each door, by name: how to make it under the test's folder.
BAD: dict[str, dict[str, Callable[[Path], Path]]] = {
    READ: {"a device": lambda _: Path("/dev/zero"), "a FIFO": _fifo,
           "a folder": lambda tmp: tmp, "a link to nothing": _dangling, "a huge file": _huge},
    WRITE: {"a device": lambda _: Path("/dev/null"), "a FIFO": _fifo,
            "a folder": lambda tmp: tmp, "a link to nothing": _dangling,
            "a file git tracks": lambda tmp: tmp / "project" / "README.md"},
    FOLDER: {"a device": lambda _: Path("/dev/null"), "a FIFO": _fifo, "a file": _file,
             "a link to nothing": _dangling},
}  # fmt: skip

CASES = [
    (key, what)
    for key, (door, _) in NAMED_PATHS.items()
    for what in BAD[door]
    if not (key == ("", "project_dir") and what == "a link to nothing")
] + [(("", "project_dir"), "a link to nothing")]


def fits(lines: list[str], columns: int) -> bool:
    """Every line within `columns`, but for one that is a single word (a long path)."""
    return all(len(line) <= columns or " " not in line.strip() for line in lines)


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every entry under `root`, not following links, with its mode and a regular file's
    bytes: what must be the same afterwards."""
    found = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.parts:
            continue
        mode = path.lstat().st_mode
        kept = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        found[str(path.relative_to(root))] = (mode, kept)
    return found


@pytest.mark.parametrize(
    ("key", "what"), CASES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else v
)
def test_a_bad_target_is_one_line_exit_2_and_changes_no_file(
    project: Path, tmp_path_factory: pytest.TempPathFactory, key: tuple[str, str], what: str
) -> None:
    # The project is a git repository: a tracked file is never written over.
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "README.md").write_text("the project's own README\n")
    subprocess.run(["git", "-C", str(project), "add", "README.md"], check=True)
    door, template = NAMED_PATHS[key]
    made = tmp_path_factory.mktemp("made")  # outside the project's repository
    target = BAD[door][what](made) if what != "a file git tracks" else project / "README.md"
    # {made}: a good folder where the command needs one beside the bad path.
    given = {"{}": str(target), "{made}": str(made)}
    args = [given.get(part, part) for part in template]
    if key != ("", "project_dir"):
        args = ["--project-dir", str(project), *args]
    before = snapshot(project), snapshot(made)

    _state.clear()
    done = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
    _state.clear()

    lines = [line for line in done.stderr.splitlines() if not line.startswith("note: today is")]
    assert done.exit_code == 2, done.output
    # One problem: a line at the margin, wrapped to 80 columns with its continuation lines
    # indented. Only a word longer than a line (a path) may stick out, since it is never cut.
    assert [line for line in lines if not line.startswith(" ")] == lines[:1], done.stderr
    assert fits(lines, 80), done.stderr
    assert "Traceback" not in done.output
    # The line is about the path named, not a later step (Pulumi, a vendor) it reached.
    (problem,) = said("\n".join(lines))
    assert target.name in problem or str(target) in problem, problem
    assert (snapshot(project), snapshot(made)) == before
    assert not [p for p in made.rglob("*.tmp")] and not [p for p in project.rglob("*.tmp")]

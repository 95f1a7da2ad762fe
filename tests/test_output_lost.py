"""Standard output that cannot be written: closed, full (/dev/full), or a pipe whose reader
went away (`| head`). Every command, run as a real process with real file descriptors,
ends with one line on stderr and exit 74, never a traceback and never 1 (which some
commands use for "found" or "overdue"), and says whether it had changed a stack file.
The guard is main()'s, not each command's (envkeeper/doors/output.py): a command added later is
covered the moment it exists, and the parametrized list below only samples them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envkeeper.cli import app
from envkeeper.doors.output import EXIT_OUTPUT_LOST
from tests.conftest import pinned_env, said

ENVKEEPER = str(Path(sys.executable).parent / "envkeeper")

# (arguments, the stack file it changes, or None): every command that prints without the
# Pulumi CLI, and each one that changes a file.
COMMANDS: list[tuple[tuple[str, ...], str | None]] = [
    (("--help",), None),
    (("validate", "prod"), None),
    (("rotation", "status"), None),
    (("plan", "dev"), None),
    (("wrangler-vars", "dev"), None),
    (("drift-report", "preview.json"), None),
    (("access-review", "prod"), None),
    (("emergency", "prod", "--dry-run"), None),
    (("rotation", "bump", "dev", "DATABASE_URL_READONLY"), "Pulumi.dev.yaml"),
    (("emergency", "prod"), "Pulumi.prod.yaml"),
    (("offboard", "staging"), "Pulumi.staging.yaml"),
    (("rotation", "autopilot", "dev", "--within", "366"), "Pulumi.dev.yaml"),
]
# These ask the Pulumi CLI (or a stack's backend) first: without one they stop with one
# line and exit 2 before printing anything (tests/test_stack_names.py, test_local_*.py).
NEED_PULUMI = {"dev-vars", "run", "orphans", "recover", "preview-plan", "apply-plan"}
# A completed preview in which nothing changed, for drift-report.
EMPTY_PREVIEW = (
    '{"steps": [{"op": "same", "urn": "urn:pulumi:dev::envkeeper::pulumi:pulumi:Stack::'
    'envkeeper-dev"}], "diagnostics": []}'
)


def test_every_command_is_run_here_or_needs_pulumi_to_print() -> None:
    from tests.test_bad_targets import _commands

    named = {name for name, _ in _commands(app) if name}
    covered = {" ".join(a for a in args if not a.startswith("-"))[:40] for args, _ in COMMANDS}
    here = {n for n in named if any(c.startswith(n) for c in covered)}
    assert named - here - NEED_PULUMI == set(), "run the new command here, or say why not"


REASONS = {
    "closed": "it is closed",
    "full": "it is full",
    "broken pipe": "the program reading it stopped (a broken pipe)",
}


def run_with_stdout(
    kind: str, args: tuple[str, ...], cwd: Path
) -> subprocess.CompletedProcess[str]:
    command = [ENVKEEPER, *args]
    # Not under an outer faketime (CI's far-date pass): libfaketime opens its shared clock
    # when the process starts, and with fd 1 closed that file would become standard output.
    # The day is pinned by ENVKEEPER_TODAY all the same.
    outer = ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED")
    env = {k: v for k, v in pinned_env().items() if k not in outer}
    env["COLUMNS"] = "80"
    spawn: dict[str, Any] = {"cwd": cwd, "env": env, "stderr": subprocess.PIPE, "text": True}
    if kind == "closed":
        close: Callable[[], None] = lambda: os.close(1)  # noqa: E731
        done = subprocess.run(command, stdout=subprocess.DEVNULL, preexec_fn=close, **spawn)
    elif kind == "full":
        with open("/dev/full", "w") as full:
            done = subprocess.run(command, stdout=full, **spawn)
    else:
        read, write = os.pipe()
        os.close(read)  # the reader is gone before a byte is written
        try:
            done = subprocess.run(command, stdout=write, **spawn)
        finally:
            os.close(write)
    return done


@pytest.mark.parametrize("kind", list(REASONS))
@pytest.mark.parametrize(
    ("args", "changes"), COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v)
)
def test_a_command_whose_output_is_lost_says_so_in_one_line_with_exit_74(
    project: Path, kind: str, args: tuple[str, ...], changes: str | None
) -> None:
    (project / "preview.json").write_text(EMPTY_PREVIEW)
    before = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}

    done = run_with_stdout(kind, args, project)

    assert done.returncode == EXIT_OUTPUT_LOST, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("note: today is")]
    changed = f"it had changed {changes} before that" if changes else "no file was changed"
    # One line, wrapped at 80 columns: its continuation lines are indented.
    assert [ln for ln in lines if not ln.startswith(" ")] == lines[:1]
    assert max(len(ln) for ln in lines) <= 80
    assert said("\n".join(lines)) == [
        f"envkeeper: could not write to standard output: {REASONS[kind]}; {changed}"
    ]
    after = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    assert {n for n in after if after[n] != before[n]} == ({changes} if changes else set())


# Markdown for a job summary or a record (tables must stay one row a line): machine formats.
MARKDOWN = {"access-review", "drift-report"}


@pytest.mark.parametrize(
    "args",
    [args for args, _ in COMMANDS if args[0] not in MARKDOWN]
    + [(*name.split(), "--help") for name in sorted(NEED_PULUMI | {"rotation bump", "emergency"})],
    ids=" ".join,
)
def test_every_line_a_command_prints_to_a_pipe_fits_80_columns(
    project: Path, args: tuple[str, ...]
) -> None:
    (project / "preview.json").write_text(EMPTY_PREVIEW)
    env = {k: v for k, v in pinned_env().items() if k != "COLUMNS"}
    done = subprocess.run(
        [ENVKEEPER, *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    wide = [line for line in done.stdout.splitlines() if len(line) > 80]
    assert wide == [], f"{len(wide)} lines over 80 columns"
    # Notes and warnings too (bad input's lines: tests/test_bad_targets.py).
    assert [line for line in done.stderr.splitlines() if len(line) > 80] == []

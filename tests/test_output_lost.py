"""Standard output that cannot be written: closed, full (/dev/full), or a pipe whose reader
went away (`| head`). Every command, run as a real process with real file descriptors,
ends with one line on stderr and exit 74, never a traceback and never 1 (which some
commands use for "found" or "overdue"), and says whether it had changed a stack file.
The guard is main()'s, not each command's (envkeeper/output.py): a command added later is
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

from envkeeper.output import EXIT_OUTPUT_LOST
from tests.conftest import pinned_env

ENVKEEPER = str(Path(sys.executable).parent / "envkeeper")

# (arguments, the stack file it changes, or None)
COMMANDS: list[tuple[tuple[str, ...], str | None]] = [
    (("--help",), None),
    (("validate", "prod"), None),
    (("rotation", "status"), None),
    (("plan", "dev"), None),
    (("access-review", "prod"), None),
    (("emergency", "prod", "--dry-run"), None),
    (("rotation", "bump", "dev", "DATABASE_URL_READONLY"), "Pulumi.dev.yaml"),
    (("emergency", "prod"), "Pulumi.prod.yaml"),
]

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
    before = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}

    done = run_with_stdout(kind, args, project)

    assert done.returncode == EXIT_OUTPUT_LOST, done.stderr
    lines = [ln for ln in done.stderr.splitlines() if not ln.startswith("note: today is")]
    changed = f"it had changed {changes} before that" if changes else "no file was changed"
    assert lines == [f"envkeeper: could not write to standard output: {REASONS[kind]}; {changed}"]
    after = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    assert {n for n in after if after[n] != before[n]} == ({changes} if changes else set())

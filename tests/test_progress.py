"""`plan` says what it is doing while the provider SDKs load, on a terminal only."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

ENVKEEPER = str(Path(sys.executable).parent / "envkeeper")


def test_plan_is_silent_on_stderr_when_piped(cli: Any) -> None:
    result = cli("plan", "dev")
    assert result.exit_code == 0
    assert result.stderr == ""


def test_plan_shows_progress_on_a_terminal() -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [ENVKEEPER, "plan", "dev", "--format", "json"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=follower,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
            timeout=120,
            check=False,
        )
        shown = b""
        while select.select([leader], [], [], 0.2)[0]:
            shown += os.read(leader, 65536)
    finally:
        os.close(leader)
        os.close(follower)
    assert done.returncode == 0
    assert done.stdout.lstrip().startswith(b"{")  # stdout stays the plan alone
    assert b"running the program for dev offline" in shown

"""Shared fixtures: the project, stack files in a scratch project, and offline runs.

Every test runs on one pinned day, TODAY, whatever the calendar says: the code reads the
clock, the tests write dates, and a pair of them must agree on what day it is or the test
breaks by itself some day. In this process the clock is moved (time-machine); a process a
test starts is told the day by ENVKEEPER_TODAY (`pinned_env`), which the commands and the
program honour. A test marked `real_clock` runs on the real clock, on purpose, and asserts
only what holds on any day.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pytest
import time_machine
from typer.testing import CliRunner

from envkeeper.cli import _state, app
from envkeeper.config.clock import TODAY_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")

# The shipped project as the tests know it: its Pulumi.yaml and program, and a copy of its
# stack files frozen on the day below. The shipped files' keeper dates move whenever a secret
# is rotated; the copy's do not, so a rotation's pull request changes no test.
PROJECT = ROOT / "tests" / "stacks"

# The day the suite runs on: the tests' dates are written for it.
TODAY = date(2026, 12, 1)


def pinned_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a process a test starts (os.environ by default), on TODAY."""
    return {**(os.environ if env is None else env), TODAY_VARIABLE: TODAY.isoformat()}


def said(stderr: str) -> list[str]:
    """What a command said on stderr, a line each: it wraps a line at the terminal's width
    (80 columns when piped) and indents the continuation, which is joined back here."""
    lines: list[str] = []
    for line in stderr.splitlines():
        if line.startswith(" ") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


# Where the suite's clock starts, ticking from there: noon UTC, the same date in every time
# zone a test might set. The test PostgreSQL server starts there too (tests/pgserver.py).
PINNED_AT = datetime.combine(TODAY, time(12), tzinfo=UTC)

# Started when pytest starts, so collection and fixtures of every scope (a module's
# deployed stack included) see the same day as the tests.
_PINNED = time_machine.travel(PINNED_AT, tick=True)


def pytest_configure(config: pytest.Config) -> None:
    _PINNED.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    _PINNED.stop()


@pytest.fixture(autouse=True)
def real_clock_when_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked `real_clock` runs on the real clock; the day is pinned again after."""
    if not request.node.get_closest_marker("real_clock"):
        yield
        return
    _PINNED.stop()
    try:
        yield
    finally:
        _PINNED.start()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the project: its program and its three stack files."""
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(PROJECT / name, tmp_path / name)
    return tmp_path


class Cli:
    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        _state.clear()
        # Tests read what a command says as whole sentences: a wide terminal, unless the
        # test chose a width. Wrapping prose at 80 columns when piped is tested by itself
        # (tests/test_papercuts.py), in a real process.
        env = {"COLUMNS": os.environ.get("COLUMNS", "400")}
        result = self.runner.invoke(app, ["--project-dir", str(self.project_dir), *args], env=env)
        _state.clear()
        if "COLUMNS" not in os.environ:
            # A problem longer than even that (a long path and its fix) still wraps on stderr:
            # read back as the one line it is.
            result.stderr_bytes = "".join(f"{line}\n" for line in said(result.stderr)).encode()
        return result


@pytest.fixture
def cli(project: Path) -> Callable[..., Any]:
    """Run `envkeeper ARGS` in-process against the scratch project."""
    return Cli(project)


def tool(name: str) -> str:
    """A dev tool of this environment: beside the running interpreter, so the tests need no
    activated virtualenv (`.venv/bin/python -m pytest` works too)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is not installed: run `uv sync`"
    return found

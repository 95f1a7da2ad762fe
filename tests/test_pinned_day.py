"""The suite's pinned day, the frozen stack files it runs on, and the real clock.

Every other test runs on TODAY (tests/conftest.py) against the stack files frozen in
tests/stacks/. The ones here hold that arrangement honest: the frozen files are the shipped
ones but for their keeper dates, the shipped files are valid on the real calendar, and the
code reads the real clock, in UTC, when nothing pins the day.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper.config.clock import TODAY_VARIABLE, pinned_note, utc_today
from envkeeper.doors.problems import UserError
from tests.conftest import PROJECT, ROOT, STACKS, TODAY, Cli, pinned_env

# A keeper date as stack files write it; nothing else in them is a quoted ISO date.
KEEPER_DATE = re.compile(r"'\d{4}-\d{2}-\d{2}'")


@pytest.mark.parametrize("stack", STACKS)
def test_the_frozen_stack_files_are_the_shipped_ones_but_for_their_dates(stack: str) -> None:
    name = f"Pulumi.{stack}.yaml"
    shipped = KEEPER_DATE.sub("'DATE'", (ROOT / name).read_text())
    frozen = KEEPER_DATE.sub("'DATE'", (PROJECT / name).read_text())
    assert frozen == shipped, (
        f"{name} changed: copy it to tests/stacks/{name}, keeping that file's keeper dates"
    )


def test_the_frozen_project_is_the_shipped_program() -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        assert (PROJECT / name).read_bytes() == (ROOT / name).read_bytes(), name


@pytest.mark.real_clock
@pytest.mark.parametrize("stack", STACKS)
def test_the_shipped_stack_files_are_valid_today(stack: str, monkeypatch: Any) -> None:
    """On whatever day this runs: a rotation's pull request changes only dates, none of
    them later than the day it is made."""
    monkeypatch.delenv(TODAY_VARIABLE, raising=False)
    result = Cli(ROOT)("validate", stack)
    assert result.exit_code == 0, result.output


@pytest.mark.real_clock
def test_with_nothing_pinned_today_is_the_clocks_utc_date(monkeypatch: Any) -> None:
    monkeypatch.delenv(TODAY_VARIABLE, raising=False)
    before = datetime.now(UTC).date()
    today = utc_today()
    after = datetime.now(UTC).date()
    assert today in (before, after)  # a run across UTC midnight sees either day
    assert pinned_note() is None


@pytest.mark.real_clock
def test_a_command_in_a_child_process_reads_the_clock_unless_told(tmp_path: Path) -> None:
    """The child reads the real clock; told the day by ENVKEEPER_TODAY, it uses that and
    says so before anything else."""
    clean = {k: v for k, v in pinned_env().items() if k != TODAY_VARIABLE}
    run = [sys.executable, "-m", "envkeeper", "-C", str(PROJECT), "rotation", "status", "dev"]
    on_the_clock = subprocess.run(
        [*run, "--format", "json"], env=clean, capture_output=True, text=True, check=False
    )
    days = {(datetime.now(UTC) - timedelta(minutes=m)).date().isoformat() for m in (0, 5)}
    assert json.loads(on_the_clock.stdout)["today"] in days
    # Secrets may be overdue by then; what holds on any day is that no day was pinned.
    assert "note: today is" not in on_the_clock.stderr

    pinned = subprocess.run(
        [*run, "--format", "json"], env=pinned_env(), capture_output=True, text=True, check=False
    )
    assert json.loads(pinned.stdout)["today"] == TODAY.isoformat()
    assert pinned.stderr.splitlines()[0].startswith(f"note: today is {TODAY}, set by")


@pytest.mark.parametrize("value", ["20261201", "2026-W48-2", "sk_live_CANARY-x", "2026-12-01\\n"])
def test_a_day_that_is_not_a_date_is_one_line_without_the_value(
    value: str, monkeypatch: Any
) -> None:
    monkeypatch.setenv(TODAY_VARIABLE, value)
    with pytest.raises(UserError) as raised:
        utc_today()
    assert value not in str(raised.value)
    result = Cli(PROJECT)("rotation", "status", "dev")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{TODAY_VARIABLE}: ")
    assert line.endswith("write it as YYYY-MM-DD, or unset it to use the clock's UTC date")
    assert result.stdout == ""


def test_the_suites_day_is_the_one_the_code_reads() -> None:
    assert utc_today() == TODAY
    assert datetime.now(UTC).date() == TODAY

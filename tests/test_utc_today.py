"""Every command's "today" is the UTC date, wherever the laptop is.

Just after midnight in Kiritimati (UTC+14) it is still the day before in UTC, where CI runs:
a command that wrote or judged with the local date would write a date CI calls "in the
future", or call today's date tomorrow's.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from envkeeper.config.stackfile import load_config
from envkeeper.stack.settings import parse_settings
from tests.programs import set_rotation

UTC_DAY = date(2026, 12, 1)
LOCAL_DAY = date(2026, 12, 2)
# 00:30 on 2 December in Kiritimati is 10:30 on 1 December in UTC.
JUST_AFTER_LOCAL_MIDNIGHT = datetime(2026, 12, 2, 0, 30, tzinfo=ZoneInfo("Pacific/Kiritimati"))


@pytest.fixture(autouse=True)
def far_east() -> Iterator[None]:
    # time-machine sets TZ too, so the process's local date really is the next day.
    with time_machine.travel(JUST_AFTER_LOCAL_MIDNIGHT, tick=False):
        assert date.today() == LOCAL_DAY, "the test must run on a local date that is not UTC's"
        assert time.strftime("%Z") != "UTC"
        yield


def test_bump_writes_the_utc_date(cli: Any, project: Path) -> None:
    result = cli("rotation", "bump", "dev", "DATABASE_URL_READONLY")
    assert result.exit_code == 0, result.output
    text = (project / "Pulumi.dev.yaml").read_text()
    assert f"DATABASE_URL_READONLY: '{UTC_DAY}'" in text


def test_emergency_writes_the_utc_date(cli: Any, project: Path) -> None:
    result = cli("emergency", "dev", "--secret", "DATABASE_URL_READONLY")
    assert result.exit_code == 0, result.output
    assert f"DATABASE_URL_READONLY: '{UTC_DAY}'" in (project / "Pulumi.dev.yaml").read_text()


def test_autopilot_writes_the_utc_date(cli: Any, project: Path) -> None:
    set_rotation(project, "dev", "DATABASE_URL_READONLY", "2026-01-01")
    result = cli("rotation", "autopilot", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["today"] == UTC_DAY.isoformat()
    assert f"DATABASE_URL_READONLY: '{UTC_DAY}'" in (project / "Pulumi.dev.yaml").read_text()


def test_a_date_that_is_only_locally_today_is_in_the_future(cli: Any, project: Path) -> None:
    set_rotation(project, "dev", "DATABASE_URL_READONLY", LOCAL_DAY.isoformat())
    result = cli("validate", "dev")
    assert result.exit_code == 2
    assert f"{LOCAL_DAY} is in the future (today is {UTC_DAY})" in result.stderr
    # The program judges it the same way: `pulumi up` reads the same settings.
    with pytest.raises(Exception, match=re.escape(f"today is {UTC_DAY}")):
        parse_settings(load_config(project, "dev"), "dev")


def test_bump_refuses_the_local_date_as_the_future(cli: Any) -> None:
    result = cli("rotation", "bump", "dev", "DATABASE_URL_READONLY", "--date", str(LOCAL_DAY))
    assert result.exit_code == 2
    assert f"is in the future (today is {UTC_DAY})" in result.stderr


def test_status_and_access_review_are_as_of_the_utc_date(cli: Any) -> None:
    status = cli("rotation", "status", "dev", "--format", "json")
    assert json.loads(status.stdout)["today"] == UTC_DAY.isoformat()
    review = cli("access-review", "dev", "--format", "json")
    assert json.loads(review.stdout)["reviewed_on"] == UTC_DAY.isoformat()


def test_nothing_else_asks_the_system_for_the_date() -> None:
    # One place decides "today" (envkeeper/config/clock.py); a new date.today() would be local.
    root = Path(__file__).resolve().parent.parent
    found = [
        f"{path.relative_to(root)}:{number}"
        for folder in ("envkeeper", "components", "policy")
        for path in sorted((root / folder).rglob("*.py"))
        if not {".venv", "venv"} & set(path.relative_to(root).parts)  # the pack's installed SDKs
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\bdate\.today\(|datetime\.(now|today)\(\)|\.localtime\(", line)
    ]
    assert found == []

"""At 80, 100 and 120 columns, every name, date and state in a table is printed whole.

A date cut to `2026…` or a name split as `DATABASE_URL_READ|ONLY` is a wrong value to the
reader; narrower layouts drop or stack the least useful columns first instead.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import STACKS
from tests.programs import SHIPPED

WIDTHS = (80, 100, 120)


def whole(token: str, out: str) -> bool:
    return any(token in line for line in out.splitlines())


def status_line(out: str, stack: str, name: str) -> str:
    """The table row of one secret of one stack: by the Stack column, or, in the narrow
    layouts, under the title of that stack's own table."""
    current = None
    for line in out.splitlines():
        if "Rotation status of " in line:
            current = line.split("Rotation status of ", 1)[1].split()[0]
        if f" {name} " in line and (current == stack or f" {stack} " in line):
            return line
    raise AssertionError(f"no row for {stack} {name}")


@pytest.mark.parametrize("columns", (60, *WIDTHS))
def test_rotation_status_keeps_names_dates_and_states_whole(
    cli: Any, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    # A day on which some secrets are overdue and some due soon: every state shows up.
    rows = json.loads(cli("rotation", "status", "--format", "json", "--today", "2027-02-25").stdout)
    out = cli("rotation", "status", "--today", "2027-02-25").stdout
    assert max(len(line) for line in out.splitlines()) <= columns
    assert {r["state"] for r in rows["secrets"]} == {"ok", "due soon", "overdue"}
    for row in rows["secrets"]:
        line = status_line(out, row["stack"], row["name"])
        for token in (row["due"], f"{row['days_left']} d", row["state"]):
            assert token in line, (token, line)
    if columns < 120:
        assert "left out to fit" in " ".join(out.split())  # the note wraps like the table


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("stack", STACKS)
def test_plan_keeps_names_dates_keys_and_workers_whole(
    cli: Any, monkeypatch: pytest.MonkeyPatch, columns: int, stack: str
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    plan = json.loads(cli("plan", stack, "--format", "json").stdout)
    out = cli("plan", stack).stdout
    assert max(len(line) for line in out.splitlines()) <= columns
    for secret in plan["secrets"]:
        assert whole(secret["name"], out)
        rotation = secret["rotation"] or {}
        for day in [rotation.get("date"), *(rotation.get("slots") or {}).values()]:
            if day:
                assert whole(day, out), day
        if "config" in secret["source"]:
            assert whole(secret["source"]["config"], out)
        for destination in secret["destinations"]:
            assert whole(destination["target"], out), destination["target"]
    assert all(whole(entry.name, out) for entry in SHIPPED.delivered)

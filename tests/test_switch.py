"""The day a two-slot secret's slots switched, as deployed, and when its standby dies.

The rule (envkeeper/rotation/switch.py) and the dynamic provider that keeps the record in the
stack's state (components/slot_switch.py), called as the engine calls it: `check` with the
deployed inputs and the new ones, then `diff`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from components.slot_switch import SlotSwitchProvider
from envkeeper.config.clock import utc_today
from envkeeper.rotation.switch import RevertRefused, Switch, record
from tests.conftest import TODAY

DAYS = timedelta(days=1)


def deployed(a: date, b: date, grace: int = 7, today: date | None = None) -> Switch:
    """The record a first deploy of these dates made."""
    return record("DATABASE_URL", None, {"a": a, "b": b}, grace, today or TODAY)


def test_a_first_deploy_dates_the_switch_by_the_stack_file() -> None:
    made = deployed(TODAY - 90 * DAYS, TODAY - 20 * DAYS)
    assert (made.active, made.since, made.standby_ends) == (
        "b",
        TODAY - 20 * DAYS,
        TODAY - 13 * DAYS,
    )


def test_a_bump_deployed_ten_days_after_its_date_gives_the_old_slot_its_whole_grace() -> None:
    old = deployed(TODAY - 200 * DAYS, TODAY - 100 * DAYS)
    # Slot a bumped ten days ago, merged and deployed today.
    made = record("DATABASE_URL", old, {"a": TODAY - 10 * DAYS, "b": old.dates["b"]}, 7, TODAY)
    assert made.active == "a"
    assert made.since == TODAY
    assert made.standby_ends == TODAY + 7 * DAYS  # not ten days ago + 7: three days ago


def test_a_healthy_stack_whose_standby_died_long_ago_keeps_its_record() -> None:
    old = deployed(TODAY - 90 * DAYS, TODAY - 20 * DAYS)
    again = record("DATABASE_URL", old, dict(old.dates), 7, TODAY)
    assert again == old


def test_a_dead_standby_stays_dead_whatever_the_grace_becomes() -> None:
    old = deployed(TODAY - 90 * DAYS, TODAY - 20 * DAYS)  # the standby died 13 days ago
    longer = record("DATABASE_URL", old, dict(old.dates), 30, TODAY)
    assert longer.standby_ends == old.standby_ends
    # A standby still alive follows the grace, both ways.
    alive = deployed(TODAY - 90 * DAYS, TODAY - 2 * DAYS)
    assert record("DATABASE_URL", alive, dict(alive.dates), 30, TODAY).standby_ends == (
        TODAY + 28 * DAYS
    )
    assert record("DATABASE_URL", alive, dict(alive.dates), 1, TODAY).standby_ends == (
        TODAY - 1 * DAYS
    )


def test_a_reverted_bump_is_refused_and_the_message_names_the_fix() -> None:
    before = {"a": TODAY - 200 * DAYS, "b": TODAY - 100 * DAYS}
    bumped = record("DATABASE_URL", record("DATABASE_URL", None, before, 7, TODAY), {
        **before, "a": TODAY - 3 * DAYS,
    }, 7, TODAY - 3 * DAYS)  # fmt: skip
    with pytest.raises(RevertRefused) as refused:
        record("DATABASE_URL", bumped, before, 7, TODAY)
    assert str(refused.value) == (
        f"DATABASE_URL: slot b ({before['b']}) would take over again from slot a, which took "
        f"over on {TODAY - 3 * DAYS} with the later date {TODAY - 3 * DAYS}: that undoes a "
        "rotation and brings slot b's retired credential back. Give slot a back its date "
        f"{TODAY - 3 * DAYS} (undo the revert); to rotate, run `envkeeper rotation bump` "
        "for DATABASE_URL"
    )
    # Moving on from there, as a bump would, is a switch like any other.
    onward = record("DATABASE_URL", bumped, {**bumped.dates, "b": TODAY}, 7, TODAY)
    assert (onward.active, onward.since) == ("b", TODAY)


def props(a: date, b: date, grace: int = 7) -> dict[str, Any]:
    """The inputs the program registers: the record itself is for `check` to fill in."""
    return {
        "secret": "CLOUDFLARE_API_TOKEN",
        "active": "a" if a > b else "b",
        "dates": {"a": a.isoformat(), "b": b.isoformat()},
        "graceDays": grace,
        "since": None,
        "standbyEnds": None,
        "__provider": "serialized",
    }


def test_the_provider_computes_the_record_in_check_so_a_preview_shows_it() -> None:
    provider = SlotSwitchProvider()
    today = utc_today()
    old_dates = (today - 200 * DAYS, today - 100 * DAYS)
    first = provider.check({}, props(*old_dates))
    assert first.failures == []
    assert first.inputs["since"] == old_dates[1].isoformat()
    stored = {k: v for k, v in first.inputs.items() if k != "__provider"}

    # Nothing changed: no diff, though the standby died long ago.
    same = provider.check(stored, props(*old_dates))
    assert not provider.diff("CLOUDFLARE_API_TOKEN", stored, same.inputs).changes

    # A late switch: the record moves to today, an update in place.
    late = provider.check(stored, props(today - 10 * DAYS, old_dates[1]))
    assert (late.inputs["since"], late.inputs["standbyEnds"]) == (
        today.isoformat(),
        (today + 7 * DAYS).isoformat(),
    )
    diff = provider.diff("CLOUDFLARE_API_TOKEN", stored, late.inputs)
    assert diff.changes and not diff.replaces

    # Reverting it fails the check, naming the property and the fix.
    after = {k: v for k, v in late.inputs.items() if k != "__provider"}
    (failure,) = provider.check(after, props(*old_dates)).failures
    assert failure.property == "dates"
    assert "undo the revert" in failure.reason

"""Keeper dates as the stack file writes them: one date, or the two dates of two slots."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from envkeeper.config.config_model import ConfigModel

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def iso_date(value: Any) -> date:
    """A YYYY-MM-DD date, or ValueError saying what is wrong with it. A value that is no
    date is never repeated: it may be a secret pasted in the wrong place."""
    if value is None or value == "":
        raise ValueError("is empty; write the date as YYYY-MM-DD")
    if isinstance(value, dict):
        raise ValueError(
            "holds slot dates, but this secret has one slot; write one date, YYYY-MM-DD"
        )
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("is not a date; write it as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a real calendar date; write it as YYYY-MM-DD") from None


def past_date(value: Any, today: date) -> date:
    parsed = iso_date(value)
    if parsed > today:
        raise ValueError(
            f"{value} is in the future (today is {today}); use the day the secret was rotated"
        )
    return parsed


class SlotDates(ConfigModel):
    """The two keeper dates of a two-slot secret. The slot with the later date is active."""

    a: date
    b: date

    @property
    def active(self) -> str:
        return "a" if self.a > self.b else "b"

    @property
    def inactive(self) -> str:
        return "b" if self.active == "a" else "a"

    def date_of(self, slot: str) -> date:
        return self.a if slot == "a" else self.b

    @property
    def latest(self) -> date:
        return max(self.a, self.b)

    @property
    def oldest(self) -> date:
        return min(self.a, self.b)

    def standby_dies(self, grace_days: int) -> date:
        """The day the standby slot's credential stops working: the grace after the active
        slot took over. Nothing should use it by then."""
        return self.latest + timedelta(days=grace_days)


RotationDate = date | SlotDates

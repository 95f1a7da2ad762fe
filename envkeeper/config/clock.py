"""What day it is, for every command, the program and validation alike.

"Today" is the UTC date: CI runs in UTC, so a laptop east of UTC just after its midnight
would otherwise write a date CI calls "in the future", and one west of it would judge a
secret due a day late. Nothing else in envkeeper asks the system for the date.

`ENVKEEPER_TODAY=YYYY-MM-DD` sets the day instead of the clock: to see what `rotation status`
or a preview will say on a later day, for the tests, and to carry a preview's day into the
`up` that applies it. It is never silent: every command prints a note naming it, and the
program warns in every preview and update (`pinned_note`). It is not refused in production
because applying a production preview on the day it was made is exactly what it is for.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

from envkeeper.config.dates import iso_date
from envkeeper.doors.problems import UserError

TODAY_VARIABLE = "ENVKEEPER_TODAY"


def clock_today() -> date:
    """The UTC date by the system clock, whatever ENVKEEPER_TODAY says."""
    return datetime.now(UTC).date()


def pinned_today() -> date | None:
    """The day ENVKEEPER_TODAY sets, or None when it is unset or empty."""
    raw = os.environ.get(TODAY_VARIABLE, "").strip()
    if not raw:
        return None
    try:
        return iso_date(raw)
    except ValueError as exc:
        raise UserError.one(
            TODAY_VARIABLE, "", f"{exc}, or unset it to use the clock's UTC date"
        ) from None


def utc_today() -> date:
    return pinned_today() or clock_today()


def pinned_note() -> str | None:
    """One line saying the day is set by ENVKEEPER_TODAY, or None when it is not."""
    pinned = pinned_today()
    if pinned is None:
        return None
    return (
        f"note: today is {pinned.isoformat()}, set by {TODAY_VARIABLE} "
        f"(the clock says {clock_today().isoformat()})"
    )

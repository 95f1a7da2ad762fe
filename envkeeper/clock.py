"""What day it is, for every command, the program and validation alike.

"Today" is the UTC date: CI runs in UTC, so a laptop east of UTC just after its midnight
would otherwise write a date CI calls "in the future", and one west of it would judge a
secret due a day late. Nothing else in envkeeper asks the system for the date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime


def utc_today() -> date:
    return datetime.now(UTC).date()

"""Better Auth's versioned secrets: `BETTER_AUTH_SECRETS="<version>:<secret>,..."`.

The first entry is current (new data is encrypted and sessions are signed with it); the
others only decrypt what they once encrypted. A slot's version is its keeper date read as
a number (2026-11-04 is 20261104), so a newer slot always has a higher version and a
version never comes back.
"""

from __future__ import annotations

from datetime import date

from envkeeper.stack.settings import SlotDates


def version_of(rotated: date) -> int:
    return int(rotated.strftime("%Y%m%d"))


def slot_order(slots: SlotDates) -> list[str]:
    """The slots newest first: the order Better Auth reads them in."""
    return [slots.active, slots.inactive]


def join(slots: SlotDates, values: dict[str, str]) -> str:
    """The Worker secret's value: each slot's version and secret, newest first."""
    return ",".join(f"{version_of(slots.date_of(s))}:{values[s]}" for s in slot_order(slots))

"""When a two-slot secret's active slot changed, as deployed, and so when its standby dies.

A standby (the slot consumers just left) keeps working `standbyGraceDays` so that every
Worker and CI job can move to the new slot. That grace counts from the day the switch is
deployed, not from the date written in the stack file: a bump merged ten days after its
date still gives the old slot its full grace. The record of that day lives in the stack's
state (components/slot_switch.py); this module is the rule, with no provider import.

Rules, from the record already deployed (`old`) and what the stack file now says:
- nothing deployed yet: the switch happened on the active slot's date;
- the same active slot: the day it took over stays; a standby already dead stays dead,
  whatever a longer grace would say (a retired credential never comes back);
- another active slot with a later date: the switch happens today;
- another active slot with an earlier date than the deployed one: refused. That is a
  reverted bump, which would bring the retired credential back with its old value.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from envkeeper.stack.catalog import CatalogEntry, Source


def has_switch(entry: CatalogEntry) -> bool:
    """Whether a two-slot secret's standby dies after a grace (logins, tokens and a minted
    vendor's keys do; an older Better Auth version only decrypts, and never dies)."""
    return entry.two_slots and (
        entry.source in (Source.NEON, Source.CLOUDFLARE_TOKEN) or entry.vendor is not None
    )


def switch_resource(name: str) -> str:
    """The Pulumi name of the record of a secret's switches (DATABASE_URL: database-url-switch)."""
    return f"{name.lower().replace('_', '-')}-switch"


class RevertRefused(ValueError):
    """A switch back to a slot older than the one deployed. The message names the fix."""


@dataclass(frozen=True)
class Switch:
    secret: str
    active: str
    dates: dict[str, date]  # each slot's keeper date, as the stack file says
    grace_days: int
    since: date  # the day `active` became the active slot, as deployed
    standby_ends: date  # the day the other slot's credential stops working

    def props(self) -> dict[str, Any]:
        """As the dynamic provider keeps it: JSON-friendly, dates as YYYY-MM-DD."""
        return {
            "secret": self.secret,
            "active": self.active,
            "dates": {slot: when.isoformat() for slot, when in self.dates.items()},
            "graceDays": self.grace_days,
            "since": self.since.isoformat(),
            "standbyEnds": self.standby_ends.isoformat(),
        }

    @classmethod
    def from_props(cls, props: dict[str, Any]) -> Switch | None:
        """The record a provider kept, or None when there is none (a first deploy)."""
        if not props.get("since") or not props.get("standbyEnds"):
            return None
        return cls(
            secret=str(props["secret"]),
            active=str(props["active"]),
            dates={slot: date.fromisoformat(str(v)) for slot, v in props["dates"].items()},
            grace_days=int(props["graceDays"]),
            since=date.fromisoformat(str(props["since"])),
            standby_ends=date.fromisoformat(str(props["standbyEnds"])),
        )


def record(
    secret: str,
    old: Switch | None,
    dates: dict[str, date],
    grace_days: int,
    today: date,
) -> Switch:
    """The record after this deploy. Raises RevertRefused for a switch back in time."""
    active = max(dates, key=lambda slot: dates[slot])
    grace = timedelta(days=grace_days)
    if old is None:
        since = dates[active]
        return Switch(secret, active, dates, grace_days, since, since + grace)
    if active != old.active:
        deployed = old.dates[old.active]
        if dates[active] <= deployed:
            raise RevertRefused(
                f"{secret}: slot {active} ({dates[active]}) would take over again from slot "
                f"{old.active}, which took over on {old.since} with the later date {deployed}: "
                f"that undoes a rotation and brings slot {active}'s retired credential back. "
                f"Give slot {old.active} back its date {deployed} (undo the revert); to rotate, "
                f"run `envkeeper rotation bump` for {secret}"
            )
        return Switch(secret, active, dates, grace_days, today, today + grace)
    ends = old.since + grace
    if old.standby_ends <= today:
        ends = min(ends, old.standby_ends)  # dead: a longer grace does not revive it
    return Switch(secret, active, dates, grace_days, old.since, ends)

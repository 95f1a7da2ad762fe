"""The record, in the stack's state, of the day a two-slot secret's active slot changed.

A small dynamic provider that calls no vendor and holds no credential. Its `check` sees
the record already deployed and what the stack file now says, and computes (envkeeper/rotation/
switch.py) the day the switch happened and the day the standby dies; both are inputs, so
a preview shows them as an `up` will make them. A switch back to an older slot (a reverted
bump) fails the check, at preview and at deploy, before anything changes.

The standby's end then reaches what enforces it: the standby login's VALID UNTIL, the
standby deploy token's expiry, and whether the standby Resend key is still declared.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from envkeeper.config.clock import utc_today
from envkeeper.infra import resource_types
from envkeeper.rotation.switch import RevertRefused, Switch, record, switch_resource
from envkeeper.stack.settings import SlotDates

TYPE = resource_types.SLOT_SWITCH
_KEPT = ("secret", "active", "dates", "graceDays", "since", "standbyEnds")


class SlotSwitchProvider(ResourceProvider):
    serialize_as_secret_always = False  # it holds dates and slot names, nothing secret

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        dates = {slot: date.fromisoformat(str(v)) for slot, v in news["dates"].items()}
        try:
            made = record(
                str(news["secret"]),
                Switch.from_props(_olds or {}),
                dates,
                int(news["graceDays"]),
                utc_today(),
            )
        except RevertRefused as exc:
            return CheckResult(news, [CheckFailure("dates", str(exc))])
        return CheckResult({**news, **made.props()}, [])

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        changed = [k for k in _KEPT if _olds.get(k) != _news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], stables=["secret"])

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=str(props["secret"]), outs=_kept(props))

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=_kept(_news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=_kept(props))  # nothing outside the state to read


def _kept(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in _KEPT if k in props}


@dataclass(frozen=True)
class SlotSwitchArgs:
    secret: str  # the catalog name, e.g. DATABASE_URL
    slots: SlotDates
    grace_days: int


class SlotSwitch(Resource, module="envkeeper", name="SlotSwitch"):
    """`since`: the day the active slot took over; `standbyEnds`: the day the other dies."""

    since: pulumi.Output[str]
    standbyEnds: pulumi.Output[str]  # the property's own name, as the state keeps it

    def __init__(self, args: SlotSwitchArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "secret": args.secret,
            "active": args.slots.active,
            "dates": {"a": args.slots.a.isoformat(), "b": args.slots.b.isoformat()},
            "graceDays": args.grace_days,
            "since": None,
            "standbyEnds": None,
        }
        super().__init__(SlotSwitchProvider(), switch_resource(args.secret), props, opts)


def standby_end(switch: SlotSwitch) -> pulumi.Output[date]:
    """The day the standby of `switch` stops working, once the record is made."""
    return switch.standbyEnds.apply(lambda ends: date.fromisoformat(ends))

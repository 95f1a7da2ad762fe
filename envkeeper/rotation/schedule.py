"""Rotation as data: how old each secret is, when it is due, and what rotating it touches."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from envkeeper import vendors
from envkeeper.infra import cloudflare as cf
from envkeeper.infra import database as db
from envkeeper.infra import github as gh
from envkeeper.rotation.switch import has_switch, switch_resource
from envkeeper.stack.catalog import SLOTS, CatalogEntry, Destination, Source
from envkeeper.stack.settings import Settings, SlotDates

DUE_SOON_DAYS = 14


class State(StrEnum):
    OK = "ok"
    DUE_SOON = "due soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class SecretStatus:
    stack: str
    name: str
    source: str
    last_rotated: date
    policy_days: int
    due: date
    days_left: int
    state: State
    slots: dict[str, date] | None = None
    active_slot: str | None = None
    # A two-slot secret's standby credential stops working on this day.
    standby_dies: date | None = None
    today: date | None = None

    @property
    def standby_text(self) -> str:
        if self.standby_dies is None:
            return ""
        verb = "died" if self.today and self.standby_dies <= self.today else "dies"
        standby = "b" if self.active_slot == "a" else "a"
        return f"{standby} {verb} {self.standby_dies}"

    def as_json(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "name": self.name,
            "source": self.source,
            "last_rotated": self.last_rotated.isoformat(),
            "policy_days": self.policy_days,
            "due": self.due.isoformat(),
            "days_left": self.days_left,
            "state": self.state.value,
            "slots": {k: v.isoformat() for k, v in self.slots.items()} if self.slots else None,
            "active_slot": self.active_slot,
            "standby_dies": self.standby_dies.isoformat() if self.standby_dies else None,
        }


def state_for(days_left: int) -> State:
    if days_left < 0:
        return State.OVERDUE
    return State.DUE_SOON if days_left <= DUE_SOON_DAYS else State.OK


def secret_status(stack: str, settings: Settings, entry: CatalogEntry, today: date) -> SecretStatus:
    """A two-slot secret is as old as its active (newest) slot: that is what consumers hold."""
    assert entry.rotation_days is not None
    when = settings.rotation[entry.name]
    slots = {"a": when.a, "b": when.b} if isinstance(when, SlotDates) else None
    last = when.latest if isinstance(when, SlotDates) else when
    due = last + timedelta(days=entry.rotation_days)
    days_left = (due - today).days
    return SecretStatus(
        stack=stack,
        name=entry.name,
        source=str(entry.source),
        last_rotated=last,
        policy_days=entry.rotation_days,
        due=due,
        days_left=days_left,
        state=state_for(days_left),
        slots=slots,
        active_slot=when.active if isinstance(when, SlotDates) else None,
        standby_dies=standby_dies(settings, entry),
        today=today,
    )


def standby_dies(settings: Settings, entry: CatalogEntry) -> date | None:
    """The day the standby credential of a two-slot secret stops working, if it does, for
    a switch deployed on its date (the grace counts from the deploy: a later deploy, a
    later day; envkeeper/rotation/switch.py).

    Logins and deploy tokens expire by themselves; a vendor's key cannot, so the first `up`
    from that day deletes it. An older Better Auth version only decrypts: it lives until
    its turn."""
    if not has_switch(entry):
        return None
    if entry.source is Source.CLOUDFLARE_TOKEN:
        return cf.token_dies(settings, settings.slots(entry.name).inactive)
    return settings.slots(entry.name).standby_dies(settings.standby_grace_days)


def stack_status(stack: str, settings: Settings, today: date) -> list[SecretStatus]:
    return [secret_status(stack, settings, entry, today) for entry in settings.tracked]


def _carriers(entry: CatalogEntry, settings: Settings) -> set[str]:
    """The Pulumi names of the resources that deliver `entry`."""
    name = entry.name
    found: set[str] = set()
    if Destination.WORKER_SECRET in entry.destinations:
        found |= {
            cf.worker_secret_resource(w, secret)
            for w, secret in cf.worker_secret_targets(settings)
            if secret == name
        }
    if Destination.GITHUB_SECRET in entry.destinations:
        found.add(gh.secret_resource(name))
    return found


def _login_of(name: str, slot: str | None) -> str:
    if name == "DATABASE_URL":
        assert slot is not None
        return db.runtime_login(slot)
    return next(login for url, (login, _) in db.URL_LOGINS.items() if url == name)


def _logins(name: str, slots: set[str] | None) -> set[str]:
    """The database logins behind a Neon URL: one per slot of DATABASE_URL, else one."""
    return {_login_of(name, slot) for slot in sorted(slots or {None}, key=str)}  # type: ignore[arg-type]


def minted_by(entry: CatalogEntry, slots: set[str] | None = None) -> set[str]:
    """The Pulumi names of the resources that make the credential behind `entry` (its
    `slots`): replacing one re-mints it, and its carriers follow with updates."""
    if entry.source is Source.GENERATED:
        assert entry.resource is not None
        if entry.two_slots:
            return {f"{entry.resource}-{slot}" for slot in slots or ()}
        return {entry.resource}
    if entry.source is Source.NEON:
        return {db.password_resource(login) for login in _logins(entry.name, slots)}
    if entry.source is Source.CLOUDFLARE_TOKEN:
        return {cf.token_resource(slot) for slot in slots or ()}
    if entry.source is Source.NEON_OWNER:
        return {db.OWNER_PASSWORD_RESOURCE}
    vendor = vendors.minting(entry)
    return vendor.resources(slots) if vendor is not None else set()


def dependents(
    settings: Settings,
    name: str,
    slots: set[str] | None = None,
    new: date | None = None,
    active_after: str | None = None,
) -> set[str]:
    """The Pulumi names of what the next `pulumi up` replaces or updates when the keeper
    date of `name` (its `slots`, for a two-slot secret) moves forward (to `new`, if known).

    Moving the standby past the active slot (as `bump` does) makes it the active one, so
    the secret's carriers change too, and the other slot becomes the standby: its login or
    token gets an expiry (an update), unless, for a token, its own end comes first anyway.
    A standby that moves and stays the standby (as `emergency` moves it: `active_after`,
    the slot active once every date of the change has moved) is re-minted and handed to
    nobody; the standby's end stays where it was (envkeeper/rotation/switch.py).
    """
    entry = settings.catalog[name]
    if not entry.managed:
        return set()  # the date of an external secret is a record, not a keeper
    if entry.two_slots and not slots:
        raise ValueError(f"{name} has two slots; say which")
    delivered = True
    switches = False
    if entry.two_slots and slots and len(slots) == 1 and has_switch(entry):
        (slot,) = slots
        current = settings.slots(name)
        after = active_after or (slot if new is None or new > current.latest else current.active)
        switches = after != current.active
        delivered = slot == after  # only the active slot's credential is delivered
    # A vendor's standby key past its end is retired, not undeclared: a new date still
    # replaces its resource (a retired one makes no key).
    minted = minted_by(entry, slots)
    found = (_carriers(entry, settings) if delivered else set()) | minted
    if entry.source is Source.CLOUDFLARE_TOKEN:
        # Whoever held the old token could overwrite any Worker secret unseen: every one
        # is put again (components/cloudflare.py's DeployTokens.writer_ids).
        found |= cf.worker_secret_resources(settings)
    if entry.source is Source.NEON_OWNER:
        found.add(db.SQL_PROVIDER)  # it logs in with the new password from then on
    if entry.source is Source.NEON:
        logins = _logins(name, slots)
        found |= logins  # each login's password is updated in place
        # Once the new URL is delivered, the sessions opened with the old one are ended.
        found |= {db.sessions_resource(login) for login in logins}
    if entry.two_slots and slots and len(slots) == 1:
        (other,) = set(SLOTS) - slots
        if has_switch(entry):
            found.add(switch_resource(name))  # it records the slots' dates
        if switches and entry.source is Source.NEON:
            found |= _logins(name, {other})
        elif (
            switches
            and entry.source is Source.CLOUDFLARE_TOKEN
            and (new is None or cf.standby_end_moves(settings, other, new))
        ):
            found.add(cf.token_resource(other))
    return found


def standby_fate(settings: Settings, entry: CatalogEntry, slot: str) -> str:
    """What happens to the other slot of a two-slot secret once `slot` is the active one:
    each kind of credential ends differently. `settings` are those after the bump."""
    other = "b" if slot == "a" else "a"
    dies = standby_dies(settings, entry)
    if dies is not None:
        written = settings.slots(entry.name).latest
        # The grace counts from the deploy (envkeeper/rotation/switch.py), which may come later.
        grace = (
            f"standbyGraceDays: {settings.standby_grace_days}, counted from the `pulumi up` "
            f"that deploys this if it runs after {written}"
        )
        vendor = vendors.minting(entry)
        if vendor is not None:
            noun = vendor.credential_noun
            return (
                f"Consumers move to slot {slot}; the slot {other} {noun} keeps working until "
                f"{dies} ({grace}). {vendor.title} {noun}s never expire, so the first "
                "`pulumi up` from that day deletes it."
            )
        return (
            f"Consumers move to slot {slot}; slot {other} keeps working until {dies} "
            f"({grace}), then stops by itself."
        )
    return (
        f"Slot {slot} is now the current version; slot {other} stays in {entry.name} only to "
        f"read what it wrote, until slot {other} is bumped in turn."
    )

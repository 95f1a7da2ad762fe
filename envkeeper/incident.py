"""The incident playbook: a suspected leak rotates everything it can, now, both slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from envkeeper import catalog
from envkeeper.bump import Change, refuse_legacy_key
from envkeeper.catalog import CatalogEntry, Source
from envkeeper.problems import COMMAND_LINE, UserError
from envkeeper.rotation import dependents, minted_by
from envkeeper.settings import Settings, SlotDates
from envkeeper.vendors import MINTED_VENDORS, MintedVendor

# What only a person can do, at the vendor, for each built-in external secret: each
# vendor's module says it for its own.
VENDOR_STEPS: dict[str, str] = {
    name: step for vendor in MINTED_VENDORS for name, step in vendor.vendor_steps.items()
}


def _in_catalog_order(vendor: MintedVendor) -> int:
    return list(catalog.BUILT_IN.by_name).index(vendor.pasted)


# The seed's playbook: revoke/rotate, invalidate sessions, audit for misuse, notify. The
# vendors' own lines come in the order of their secrets in the catalog, as the playbook's
# steps at the vendors do.
AUDIT_CHECKLIST = [
    "Cloudflare audit log (Manage Account > Audit Log): token use, Worker deploys and secret "
    "changes since the suspected leak",
    "Neon: the project's operations log and `pg_stat_activity`; unexpected roles, grants "
    "or connections",
    *(vendor.audit_line for vendor in sorted(MINTED_VENDORS, key=_in_catalog_order)),
    "GitHub: the organization audit log, environment approvals and deployments, "
    "Actions runs that read the environment's secrets",
    "Where the value may have been copied: logs, build artifacts, PR comments, chat; purge it",
    "Notify the stakeholders (security, on-call, affected customers if data was reached) "
    "and record the incident with its timeline",
]


LEGACY_KEY_EFFECT = (
    f"{catalog.LEGACY_AUTH_SECRET} (the legacy key) is not rotated: data written before "
    "versioned secrets needs it. If it leaked, re-write those rows under the current "
    "version, then set envkeeper:betterAuthLegacySecret: false"
)


@dataclass(frozen=True)
class Playbook:
    changes: list[Change]
    vendor_steps: dict[str, list[str]]
    effects: list[str]
    # Managed secrets already dated today, with the resources that mint them: a second
    # run on one day keeps the dates true and says how to force another re-mint instead.
    already_today: dict[str, list[str]] = field(default_factory=dict)
    # Slots minted before today with no later day free for a new date: what mints them is
    # replaced in place (`pulumi up --replace`), so no date and no version goes down.
    replace_in_place: dict[str, list[str]] = field(default_factory=dict)


def _later_free_day(current: date, today: date, taken: date) -> date | None:
    """The latest day after `current` and before today that is not `taken` (the other
    slot's date before the incident, whose credential, and Better Auth version, leaked):
    the standby's new keeper. None when no day is free: the slot is then replaced in place,
    as a date only moves forward and two slots never share one."""
    candidate = today - timedelta(days=1)
    while candidate > current:
        if candidate != taken:
            return candidate
        candidate -= timedelta(days=1)
    return None


def vendor_steps(entry: CatalogEntry, stack: str) -> list[str]:
    """What a person does at the vendor to roll an external secret, then here."""
    token = catalog.TOKENS_BY_KEY.get(entry.name)
    at_vendor = (
        VENDOR_STEPS.get(entry.name)
        or (token.roll if token else None)
        or (
            f"At the vendor that issued {entry.name}: revoke it and create a new one with the "
            "same (or narrower) permissions"
        )
    )
    return [at_vendor, f"pulumi config set --secret --stack {stack} {entry.full_config_key}"]


# A stack with localDevelopment: its values were also copied onto laptops.
LOCAL_FILES_EFFECT = (
    "local development: each `.dev.vars` written from this stack holds the retired values "
    "once the up has run; whoever wrote one writes it again (`envkeeper dev-vars`), and a "
    "`.dev.vars` that was shared or committed is a leak of this stack"
)


def plan_emergency(stack: str, settings: Settings, names: list[str], today: date) -> Playbook:
    project = settings.catalog
    tracked = [e.name for e in settings.tracked]
    names = list(dict.fromkeys(names))  # a name given twice is one secret
    for name in names:
        refuse_legacy_key(name, settings, "--secret")
    unknown = [n for n in names if n not in tracked]
    if unknown:
        known = ", ".join(tracked)
        raise UserError.one(
            COMMAND_LINE, "--secret", f"unknown secret {unknown[0]}; known: {known}"
        )
    chosen = names or tracked
    changes: list[Change] = []
    vendor: dict[str, list[str]] = {}
    effects: list[str] = []
    already: dict[str, list[str]] = {}
    in_place: dict[str, list[str]] = {}
    for name in chosen:
        entry = project[name]
        if entry.source in (Source.EXTERNAL, Source.PROVIDER):
            vendor[name] = vendor_steps(entry, stack)
            continue
        current = settings.rotation[name]
        if isinstance(current, SlotDates):
            moved, stuck = _both_slots(name, current, today)
            fresh = {s for s in catalog.SLOTS if current.date_of(s) == today}
            if stuck:
                in_place[name] = sorted(minted_by(entry, stuck))
        else:
            # Moving a date dated today again would date a fresh credential before the day
            # it was made; the `pulumi up` that applies today's date makes it anyway.
            moved = [] if current >= today else [Change(name, None, current, today)]
            fresh = set() if moved else {""}
        changes += moved
        if fresh:
            # Dated today: made by today's `pulumi up`. Replacing re-mints it if that up
            # already ran before the leak.
            slots = fresh - {""} or None
            already[name] = sorted(minted_by(entry, slots if entry.two_slots else None))
        effect = entry.emergency_effect or entry.rotation_effect
        if (moved or name in in_place) and effect:
            effects.append(f"{name}: rotating it means {effect}")
    if catalog.LEGACY_AUTH_SECRET in project.by_name and not names:
        effects.append(LEGACY_KEY_EFFECT)
    if settings.local_development and changes:
        effects.append(LOCAL_FILES_EFFECT)
    return Playbook(
        changes=changes,
        vendor_steps=vendor,
        effects=effects,
        already_today=already,
        replace_in_place=in_place,
    )


def _both_slots(name: str, current: SlotDates, today: date) -> tuple[list[Change], set[str]]:
    """Every slot minted before today is re-minted, so no credential that existed before
    the incident outlives it, and every date moves forward only (a Better Auth version is
    its slot's date: versions only grow, and a leaked one never names a new secret).

    Each slot keeps its role: the active one moves to today, the standby to the latest
    earlier day still free. A slot dated today was made today and keeps its date; a standby
    with no free day left (a repeat on the same day) is returned to be replaced in place."""
    active, standby = current.active, current.inactive
    changes = []
    if current.latest < today:
        changes.append(Change(name, active, current.date_of(active), today))
    old = current.date_of(standby)
    new = _later_free_day(old, today, taken=current.date_of(active))
    if new is None:
        return changes, {standby}
    return [*changes, Change(name, standby, old, new)], set()


def changed_by(settings: Settings, change: Change) -> set[str]:
    """What the next `pulumi up` replaces or updates for one of the playbook's changes: each
    slot keeps its role, so a standby re-minted here is handed to nobody."""
    if change.slot is None:
        return dependents(settings, change.name, None, change.new)
    active = settings.slots(change.name).active
    return dependents(settings, change.name, {change.slot}, change.new, active_after=active)

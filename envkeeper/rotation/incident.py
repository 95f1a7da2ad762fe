"""The incident playbook: a suspected leak rotates everything it can, now, both slots."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.redaction import named_or
from envkeeper.infra.database import POOLED_URLS
from envkeeper.rotation.bump import Change, refuse_legacy_key
from envkeeper.rotation.schedule import dependents, minted_by
from envkeeper.stack import catalog
from envkeeper.stack.catalog import CatalogEntry, Source
from envkeeper.stack.settings import Settings, SlotDates
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


def _since(settings: Settings, *names: str) -> date | None:
    """The oldest keeper date among these secrets: since when the credentials that may have
    leaked existed, so since when their vendors' logs matter."""
    found = []
    for name in names:
        current = settings.rotation.get(name)
        if isinstance(current, SlotDates):
            found.append(current.oldest)
        elif current is not None:
            found.append(current)
    return min(found) if found else None


def _from(day: date | None) -> str:
    return f"from {day.isoformat()} (UTC) to now" if day else "since the suspected leak"


def audit_checklist(settings: Settings) -> list[str]:
    """Where each vendor keeps the log of what a leaked credential did, what to filter it
    by (the names the credentials carry at the vendor, never a value) and since when (the
    oldest keeper date of what may have leaked)."""
    from envkeeper.infra import database as db
    from envkeeper.vendors import DEPLOY_TOKEN, credential_name

    tokens = settings.slots("CLOUDFLARE_API_TOKEN")
    token_names = [
        credential_name(settings, DEPLOY_TOKEN, tokens.date_of(s), s) for s in catalog.SLOTS
    ]
    admin = catalog.CLOUDFLARE_API_TOKEN.key
    workers = ", ".join(settings.cloudflare.workers)
    since_cloudflare = _since(settings, "CLOUDFLARE_API_TOKEN", admin)
    lines = [
        f"Cloudflare audit log (Manage Account > Audit Log), {_from(since_cloudflare)}: "
        f"actions by the deploy tokens {' and '.join(f'`{n}`' for n in token_names)} and by "
        f"the admin token ({admin}); Worker deploys, versions, routes and secret changes of "
        f"{workers}",
    ]
    logins = [db.runtime_login(s) for s in catalog.SLOTS] + [db.READONLY, db.MIGRATOR]
    neon = settings.neon
    project = neon.existing_project_id or f"the project {neon.project_name}"
    since_db = _since(settings, "DATABASE_URL", *db.URL_LOGINS, catalog.NEON_API_KEY.key)
    lines.append(
        f"Neon, {_from(since_db)}: the operations of {project} (console: the project's "
        "Monitoring, or GET /projects/<project id>/operations), and the connections of "
        f"{', '.join(logins)} (pg_stat_activity); unexpected roles, grants or connections"
    )
    for vendor in sorted(MINTED_VENDORS, key=_in_catalog_order):
        names = vendor.names(settings) if vendor.block(settings) is not None else []
        since = _since(settings, vendor.minted.name, vendor.pasted, vendor.admin.key)
        named = f"; the credentials named {' and '.join(f'`{n}`' for n in names)}" if names else ""
        lines.append(f"{vendor.audit_line}{named}; {_from(since)}")
    github = settings.github
    since_github = _since(settings, "github:token")
    created = f" created:>={since_github.isoformat()}" if since_github else ""
    lines.append(
        "GitHub: the organization audit log, searched for "
        f"`repo:{github.owner}/{github.repository}{created}` (environment "
        f"{github.environment}: approvals, deployments, secret and variable changes), and "
        "the Actions runs that read the environment's secrets"
    )
    return [*lines, *AUDIT_CHECKLIST[-2:]]


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
    # What a person does before the up, and once it has run.
    before_up: list[str] = field(default_factory=list)
    after_up: list[str] = field(default_factory=list)
    # The day the created project's compute restart is asked for, moved to today: the up
    # then restarts the endpoint after delivering every URL (components/neon_restart.py).
    restart: Change | None = None


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


# A session through Neon's pooler outlives the rotation of its login: ending the login's
# backends ends the pooler's server connections, not the client's connection to the pooler,
# which is then served by a connection the Workers open with the new password
# (tests/test_pooled_sessions.py, on a real PgBouncer). Only a restart of the compute
# endpoint, which runs the pooler, ends it.
RESTART_BY_HAND = (
    "End pooled sessions: after the up has delivered the new URLs, restart the branch's "
    "compute endpoint (Neon console: Branches, the branch, Computes, Restart; or the API: "
    "POST /projects/<project id>/endpoints/<endpoint id>/restart, the endpoint id being "
    "the host's first label without -pooler). Sessions opened with {names} through the "
    "pooled host survive the rotation until then; the restart drops every connection, the "
    "Workers' too, for a moment"
)
# A created project: the up restarts it when envkeeper:neon.restartEndpoint moves, which
# emergency moves to today when the stack file names a day there.
NEON_KEY, RESTART_KEY = "envkeeper:neon", "restartEndpoint"
RESTART_NOT_ASKED = (
    "End pooled sessions: sessions opened with {names} through the pooled host survive the "
    "rotation until the compute endpoint restarts. Add `restartEndpoint: '<today>'` under "
    "envkeeper:neon in the stack file and run `pulumi up` again: it restarts the endpoint "
    "after delivering the URLs (every connection drops for a moment), and from then on "
    "`emergency` moves that day itself"
)

# The holder of a leaked deploy token (Workers Scripts Write, Workers Routes Write) can
# deploy code of their own, and a secret put goes into a Worker's latest version: theirs.
TRUSTED_REDEPLOY_STEP = (
    "Before the up: redeploy {workers} from a trusted commit of main (the app's own deploy), "
    "so the secrets the up puts go into your code, not code the leaked token deployed; "
    "then, in the Cloudflare dashboard (each Worker's Deployments and versions, and the "
    "Workers Routes of {zones}), delete every deployment and route nobody on the "
    "team made, restore a route changed in place, and turn off each Worker's Version URLs "
    "(a version nobody deploys still answers there; `envkeeper emergency {stack} --vendors` "
    "or `envkeeper orphans {stack}` lists, by id, every one no deploy of this stack "
    "recorded). Check the Workers Custom Domains and tail consumers too: envkeeper does not "
    "list them.{again}"
)
# Every Worker secret carries the deploy tokens' ids (components/cloudflare.py's
# DeployTokens.writer_ids): a token made anew, by a moved date or re-minted in place, puts
# every Worker secret again.
PUT_AGAIN = " The up puts every Worker secret again, whether or not its value changed"
PUT_BY_HAND = (
    " A token re-minted in place (`--replace`) gets a new id, which every Worker secret "
    "carries, so the same up puts every one again, whether or not its value changed"
)

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
            COMMAND_LINE,
            "--secret",
            f"unknown secret {unknown[0]}; known: {known}"
            if named_or(unknown[0], "")
            else f"is not a secret's name; known: {known}",
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
    pooled = [
        n
        for n in POOLED_URLS
        if n in chosen and (n in in_place or any(c.name == n for c in changes))
    ]
    restart = None
    requested = settings.neon.restart_endpoint
    if pooled and requested is not None and requested < today:
        restart = Change(RESTART_KEY, None, requested, today, under=NEON_KEY)
    after_up = []
    if pooled and requested is None:
        step = RESTART_BY_HAND if settings.neon.adopted else RESTART_NOT_ASKED
        after_up = [step.format(names=" and ".join(pooled))]
    return Playbook(
        restart=restart,
        changes=changes,
        vendor_steps=vendor,
        effects=effects,
        already_today=already,
        replace_in_place=in_place,
        before_up=_before_up(stack, settings, changes, in_place),
        after_up=after_up,
    )


def _before_up(
    stack: str, settings: Settings, changes: list[Change], in_place: dict[str, list[str]]
) -> list[str]:
    deploy_token = "CLOUDFLARE_API_TOKEN"  # noqa: S105 (a catalog name)
    moved = any(c.name == deploy_token for c in changes)
    if deploy_token not in in_place and not moved:
        return []
    zones = settings.cloudflare.zones
    return [
        TRUSTED_REDEPLOY_STEP.format(
            stack=stack,
            workers=", ".join(settings.cloudflare.workers),
            zones=("the zones " + ", ".join(zones)) if zones else "the account's zones",
            again=PUT_AGAIN if moved else PUT_BY_HAND,
        )
    ]


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

"""What the rotation commands print. Names, dates and steps only: never a value."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from envkeeper.doors.terminal import say, tell
from envkeeper.infra import database as db
from envkeeper.rotation.bump import Change
from envkeeper.rotation.incident import Playbook, audit_checklist, changed_by
from envkeeper.rotation.schedule import SecretStatus, State, dependents, standby_fate
from envkeeper.stack.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

STYLE = {State.OK: "green", State.DUE_SOON: "yellow", State.OVERDUE: "bold red"}


def overdue_line(row: SecretStatus) -> str:
    slot = f" (slot {row.active_slot})" if row.active_slot else ""
    days = -row.days_left
    return (
        f"{row.stack}: {row.name}{slot} is overdue since {row.due} "
        f"({days} day{'s' if days != 1 else ''}; last rotated {row.last_rotated}, "
        f"every {row.policy_days} days)"
    )


def _slots(r: SecretStatus) -> str:
    return f"a {r.slots['a']}, b {r.slots['b']} (active {r.active_slot})" if r.slots else ""


# Every column of the status table, most useful first where room runs out: each layout
# below drops or shortens a column of the one before, until the table fits.
_COLUMNS: dict[str, Callable[[SecretStatus], str]] = {
    "Stack": lambda r: r.stack,
    "Secret": lambda r: r.name,
    "Last rotated": lambda r: r.last_rotated.isoformat(),
    "Every": lambda r: f"{r.policy_days} d",
    "Due": lambda r: r.due.isoformat(),
    "Left": lambda r: f"{r.days_left} d",
    "Slots": _slots,
    "Active": lambda r: r.active_slot or "",
    "Standby": lambda r: r.standby_text,
    "State": lambda r: f"[{STYLE[r.state]}]{r.state.value}[/]",
}
_LAYOUTS = (
    ("Stack", "Secret", "Last rotated", "Every", "Due", "Left", "Slots", "Standby", "State"),
    ("Stack", "Secret", "Last rotated", "Every", "Due", "Left", "Active", "Standby", "State"),
    ("Stack", "Secret", "Last rotated", "Every", "Due", "Left", "Active", "State"),
    ("Stack", "Secret", "Due", "Left", "Active", "State"),
    # Narrower still: one table per stack, the stack in its title.
    ("Secret", "Due", "Left", "Active", "State"),
    ("Secret", "Due", "Left", "State"),
)


def _status_tables(
    rows: list[SecretStatus], today: date, out: Console
) -> tuple[list[Table], list[str]]:
    """The widest layout that fits the console whole, and what it leaves out."""
    from rich.measure import Measurement
    from rich.table import Table

    unbounded = out.options.update_width(10_000)  # how wide each layout wants to be

    def build(layout: tuple[str, ...]) -> list[Table]:
        if "Stack" in layout:
            groups = {"": rows}
        else:
            groups = {}
            for r in rows:
                groups.setdefault(r.stack, []).append(r)
        tables = []
        narrowest = layout == _LAYOUTS[-1]
        for stack, group in groups.items():
            of = f" of {stack}" if stack else ""
            table = Table(title=f"Rotation status{of} as of {today}", show_edge=not stack)
            for column in layout:
                # Dates, numbers and states never wrap: a cut date is a wrong date. A name
                # too long for the narrowest layout folds whole onto a second line.
                folds = column == "Slots" or (narrowest and column == "Secret")
                table.add_column(column, no_wrap=not folds, overflow="fold")
            for r in group:
                table.add_row(*(_COLUMNS[c](r) for c in layout))
            tables.append(table)
        return tables

    def fits(tables: list[Table]) -> bool:
        return all(Measurement.get(out, unbounded, t).maximum <= out.width for t in tables)

    def left_out(layout: tuple[str, ...]) -> list[str]:
        # Every column some wider layout shows (Active stands in for Slots in narrower ones).
        shown_somewhere = {c for wider in _LAYOUTS for c in wider}
        return [c.lower() for c in _COLUMNS if c in shown_somewhere - set(layout) - {"Stack"}]

    # The first layout that fits unwrapped; the narrowest one when none does.
    for layout in _LAYOUTS[:-1]:
        tables = build(layout)
        if fits(tables):
            return tables, left_out(layout)
    return build(_LAYOUTS[-1]), left_out(_LAYOUTS[-1])


def print_status(rows: list[SecretStatus], today: date, as_json: bool) -> None:
    overdue = [r for r in rows if r.state is State.OVERDUE]
    if as_json:
        print(
            json.dumps(
                {
                    "today": today.isoformat(),
                    "overdue": len(overdue),
                    "secrets": [r.as_json() for r in rows],
                },
                indent=2,
            )
        )
    else:
        from envkeeper.doors.terminal import console

        out = console(piped_width=80)
        tables, dropped = _status_tables(rows, today, out)
        for table in tables:
            out.print(table)
        if dropped:
            # Wrapped to the console like the table, so it never runs past the edge.
            out.print(
                f"({', '.join(dropped)}: left out to fit {out.width} columns; "
                "--format json has all)",
                markup=False,
                highlight=False,
            )
        counts = {s: sum(1 for r in rows if r.state is s) for s in State}
        print(", ".join(f"{n} {s.value}" for s, n in counts.items()))
    for row in overdue:
        tell(overdue_line(row))
        if os.environ.get("GITHUB_ACTIONS") == "true":
            # An annotation on the run's summary page.
            print(f"::error title=Rotation overdue::{overdue_line(row)}")


def _what_changes(settings: Settings, name: str, slots: set[str] | None, new: date) -> list[str]:
    found = sorted(dependents(settings, name, slots, new))
    return [f"  - {resource}" for resource in found]


def print_bump(origin: str, stack: str, before: Settings, after: Settings, change: Change) -> None:
    slot = f" slot {change.slot}" if change.slot else ""
    say(f"{origin}: {change.name}{slot}: {change.old} -> {change.new}")
    entry = before.catalog[change.name]
    if entry.managed:
        say(f"The next `pulumi up --stack {stack}` replaces or updates:")
        say(
            "\n".join(
                _what_changes(
                    before, change.name, {change.slot} if change.slot else None, change.new
                )
            )
        )
    else:
        say(
            "This date records when the value was rolled at the vendor; nothing in Pulumi "
            "changes. Make sure the new value is rolled there and set with: "
            f"pulumi config set --secret --stack {stack} {entry.full_config_key}"
        )
    effect = entry.rotation_effect
    if effect:
        say(f"Note: {effect}.")
    if change.slot:
        say(standby_fate(after, entry, change.slot))
    say(f'Suggested commit message: "Rotate {change.name}{slot} in {stack}"')


def print_playbook(
    origin: str, stack: str, settings: Settings, playbook: Playbook, dry_run: bool
) -> None:
    verb = "Would rotate" if dry_run else "Rotated"
    say(f"Incident playbook for stack {stack} ({settings.environment.value})")
    step = iter(range(1, 10))
    if playbook.changes:
        say(f"\n{next(step)}. {verb} now, every slot ({origin}):")
        for change in playbook.changes:
            slot = f" slot {change.slot}" if change.slot else ""
            say(f"  {change.name}{slot}: {change.old} -> {change.new}")
        affected: set[str] = set()
        for change in playbook.changes:
            affected |= changed_by(settings, change)
        if any(c.slot for c in playbook.changes):
            say(
                "  Each slot keeps its role: the active one is dated today, the standby the "
                "latest earlier day still free. No date moves back, so no Better Auth version "
                "goes down."
            )
        if playbook.restart:
            change = playbook.restart
            say(f"  {change.under}.{change.name}: {change.old} -> {change.new}")
            affected.add(db.ENDPOINT_RESTART_RESOURCE)
            say(
                "  After delivering every new URL, the up restarts the compute endpoint: every "
                "session ends, pooled ones too (the Workers reconnect within a moment)."
            )
        say("  The next `pulumi up` replaces or updates: " + ", ".join(sorted(affected)))
        if dry_run:
            say("  Nothing was written (--dry-run). Run again without it to write the dates.")
        else:
            say(
                f"  Now: pulumi up --stack {stack}, then commit {origin}. A leaked credential "
                "must die even at the cost of a short break."
            )
    if playbook.before_up:
        say(f"\n{next(step)}. Before the up (only a person can do this):")
        for line in playbook.before_up:
            say(f"  - {line}")
    if playbook.already_today:
        say(f"\n{next(step)}. Already rotated today; their dates stay as they are:")
        for name in playbook.already_today:
            say(f"  {name}: re-minted by the `pulumi up` that applies today's date.")
        say(
            "  If that up already ran and they must be re-minted again, replace only what "
            "mints them; what carries them follows with updates, as for a date bump "
            f"(URNs: pulumi stack --stack {stack} --show-urns):"
        )
        for name, resources in playbook.already_today.items():
            say(f"    {name}: pulumi up --stack {stack} --replace URN, for " + ", ".join(resources))
    if playbook.replace_in_place:
        say(
            f"\n{next(step)}. Re-mint in place (no later day is free for a new date: dates "
            "only move forward, and two slots never share one). Replace only what mints "
            f"them, in the same up (URNs: pulumi stack --stack {stack} --show-urns):"
        )
        for name, resources in playbook.replace_in_place.items():
            say(f"    {name}: pulumi up --stack {stack} --replace URN, for " + ", ".join(resources))
    if playbook.vendor_steps:
        say(f"\n{next(step)}. At the vendors (only a person can do these):")
        for name, steps in playbook.vendor_steps.items():
            say(f"  {name}:")
            for line in steps:
                say(f"    - {line}")
        say(f"  Then bump their dates: envkeeper rotation bump {stack} NAME")
    if playbook.after_up:
        say(f"\n{next(step)}. After the up (only a person can do this):")
        for line in playbook.after_up:
            say(f"  - {line}")
    if playbook.effects:
        say(f"\n{next(step)}. Effects:")
        for effect in playbook.effects:
            say(f"  - {effect}")
    say(f"\n{next(step)}. Audit for misuse, then notify:")
    for item in audit_checklist(settings):
        say(f"  - [ ] {item}")

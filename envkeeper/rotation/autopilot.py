"""Rotation that proposes itself: every secret envkeeper can rotate on its own that is due
is bumped, exactly as `rotation bump` would, and the change is written up as a pull
request for a person to read and merge. What only a person can roll is listed with the
vendor's steps, never bumped.

The pull request's text names secrets, dates and Pulumi resource names; never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from envkeeper.doors import markdown
from envkeeper.doors.writing import write_all
from envkeeper.rotation.bump import Change, plan_bump, plan_edit
from envkeeper.rotation.incident import vendor_steps
from envkeeper.rotation.schedule import State, dependents, stack_status, standby_fate
from envkeeper.stack.catalog import Source
from envkeeper.stack.settings import Settings


@dataclass(frozen=True)
class Rotated:
    """A secret the autopilot bumps, and what that does."""

    stack: str
    change: Change
    due: date
    state: State
    blast_radius: list[str]  # the Pulumi names the next `up` replaces or updates
    notice: list[str]  # what people notice, in sentences

    def as_json(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "name": self.change.name,
            "slot": self.change.slot,
            "from": self.change.old.isoformat(),
            "to": self.change.new.isoformat(),
            "due": self.due.isoformat(),
            "state": self.state.value,
            "blast_radius": self.blast_radius,
            "notice": self.notice,
        }


@dataclass(frozen=True)
class Manual:
    """A due secret only a person can roll, at its vendor."""

    stack: str
    name: str
    due: date
    state: State
    steps: list[str]

    def as_json(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "name": self.name,
            "due": self.due.isoformat(),
            "state": self.state.value,
            "steps": self.steps,
        }


@dataclass
class Proposal:
    today: date
    within: int
    stacks: list[str]
    rotated: list[Rotated] = field(default_factory=list)
    manual: list[Manual] = field(default_factory=list)

    @property
    def changes_by_stack(self) -> dict[str, list[Change]]:
        found: dict[str, list[Change]] = {}
        for r in self.rotated:
            found.setdefault(r.stack, []).append(r.change)
        return found

    @property
    def title(self) -> str:
        if not self.rotated:
            return f"Nothing envkeeper can rotate is due within {self.within} days"
        count = len(self.rotated)
        stacks = ", ".join(dict.fromkeys(r.stack for r in self.rotated))
        noun = "secret" if count == 1 else "secrets"
        return f"Rotate {count} {noun} due by {self._horizon} ({stacks})"

    @property
    def _horizon(self) -> str:
        return (self.today + timedelta(days=self.within)).isoformat()

    def as_json(self) -> dict[str, object]:
        return {
            "today": self.today.isoformat(),
            "within_days": self.within,
            "stacks": self.stacks,
            "title": self.title,
            "rotated": [r.as_json() for r in self.rotated],
            "manual": [m.as_json() for m in self.manual],
        }

    def body(self, dry_run: bool = False) -> str:
        """The pull request's description, in Markdown. A dry run says it changed nothing."""
        what = (
            f"the keeper dates of what was overdue or due within {self.within} days "
            f"({self._horizon}) in {', '.join(self.stacks)}, as `envkeeper rotation bump` would"
        )
        lines = [
            f"A dry run (`--dry-run`): no stack file was changed. Without it, envkeeper would "
            f"move {what}."
            if dry_run
            else f"envkeeper moved {what}.",
        ]
        if self.rotated:
            lines += [
                "",
                "- **Before merging**: read the previews of dev and staging on this pull "
                "request. Each must change exactly the resources listed under its stack "
                "below, and nothing else. Production is not previewed on a pull request: "
                "its list below is what envkeeper predicts from the same bumps.",
                "- **After merging**: the deploy workflow runs `pulumi up` for dev, then "
                "staging, then production. Production's deploy waits for a reviewer's "
                "approval before it starts: approve it once dev and staging changed what "
                "their previews showed.",
            ]
        for stack in dict.fromkeys(r.stack for r in self.rotated):
            lines += ["", f"### {stack}"]
            for r in (r for r in self.rotated if r.stack == stack):
                detail = f"{r.state.value}, due {r.due}"
                lines += change_lines(r.change, detail, r.blast_radius, r.notice)
        if self.manual:
            lines += manual_lines(
                [(m.stack, m.name, f"{m.state.value}, due {m.due}", m.steps) for m in self.manual]
            )
        return "\n".join(lines) + "\n"


def change_lines(
    change: Change, detail: str, blast_radius: list[str], notice: list[str]
) -> list[str]:
    """One keeper date's move in a pull request: what it is, what the next `up` touches."""
    slot = f" slot {change.slot}" if change.slot else ""
    return [
        "",
        f"**{change.name}**{slot}: {change.old} → {change.new} ({detail})",
        "",
        "- The next `pulumi up` replaces or updates: "
        + ", ".join(f"`{name}`" for name in blast_radius),
        *(f"- {sentence}" for sentence in notice),
    ]


def manual_lines(items: list[tuple[str, str, str, list[str]]]) -> list[str]:
    """The checklist of what only a person can roll: (stack, name, detail, vendor steps)."""
    lines = [
        "",
        "### What a person must do",
        "",
        "envkeeper cannot roll these itself. For each: roll it at the vendor, set the "
        "new value, then bump its date so the record stays true.",
        "",
    ]
    for stack, name, detail, steps in items:
        lines.append(f"- [ ] **{stack}: {name}** ({detail})")
        lines += [f"  - {_command(step)}" for step in steps]
        lines.append(f"  - `envkeeper rotation bump {stack} {name}`")
    return lines


def _command(step: str) -> str:
    return f"`{step}`" if step.startswith(("pulumi ", "envkeeper ")) else step


def propose_for_stack(proposal: Proposal, stack: str, settings: Settings, origin: str) -> None:
    """Add `stack`'s due secrets to `proposal`."""
    today = proposal.today
    for row in stack_status(stack, settings, today):
        # Rotated today already (its newest slot, for two): a second run changes nothing.
        if row.days_left > proposal.within or row.last_rotated >= today:
            continue
        entry = settings.catalog[row.name]
        if entry.source in (Source.EXTERNAL, Source.PROVIDER):
            steps = vendor_steps(entry, stack)
            proposal.manual.append(Manual(stack, row.name, row.due, row.state, steps))
            continue
        if not entry.managed:
            continue
        # The same choice and checks as `rotation bump`: the older slot, to today.
        change = plan_bump(settings, row.name, today, today, origin)
        slots = {change.slot} if change.slot else None
        effect = entry.rotation_effect
        if effect and entry.declared:
            effect = markdown.inline(effect)  # the project's own words, from Pulumi.yaml
        notice = [f"{effect[0].upper()}{effect[1:]}."] if effect else []
        proposal.rotated.append(
            Rotated(
                stack=stack,
                change=change,
                due=row.due,
                state=row.state,
                blast_radius=sorted(dependents(settings, row.name, slots, change.new)),
                notice=notice,
            )
        )


def add_standby_fates(proposal: Proposal, after: dict[str, Settings]) -> None:
    """Once the new dates are known, say what becomes of each two-slot secret's other slot."""
    for index, r in enumerate(proposal.rotated):
        if r.change.slot is None:
            continue
        settings = after[r.stack]
        fate = standby_fate(settings, settings.catalog[r.change.name], r.change.slot)
        proposal.rotated[index] = Rotated(
            r.stack, r.change, r.due, r.state, r.blast_radius, [*r.notice, fate]
        )


def write_proposal(
    proposal: Proposal, stack_files: dict[str, Path], dry_run: bool, body: Path | None
) -> str:
    """Check every stack file with its new dates and make the write-up before anything is
    written; then write the stack files (not on a dry run) and the body (`body`, when there
    is something to say) all together or not at all. Returns the write-up."""
    edits = {
        stack: plan_edit(stack_files[stack], changes, stack, proposal.today)
        for stack, changes in proposal.changes_by_stack.items()
    }
    add_standby_fates(proposal, {stack: edit.settings for stack, edit in edits.items()})
    text = proposal.body(dry_run=dry_run)
    writes = [] if dry_run else [(edit.path, edit.text) for edit in edits.values()]
    if body is not None and (proposal.rotated or proposal.manual):
        writes.append((body, text))
    write_all(writes)
    return text

"""Offboarding as a reviewed change: everything a departing person could have read in some
stacks is rotated, both slots, as the incident playbook rotates it, but through a pull
request the team reads and merges, not an emergency `up`. What only a person can do
(external keys, admin credentials, the vendors' member lists) is a checklist in it.

The rotation itself is the playbook's (incident.plan_emergency); the write-up is
autopilot's (change_lines, manual_lines). Names, dates and steps only: never a value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from envkeeper.doors import markdown
from envkeeper.rotation.autopilot import change_lines, manual_lines
from envkeeper.rotation.incident import LEGACY_KEY_EFFECT, Playbook, changed_by
from envkeeper.stack.settings import Settings

# Where a person's own access lives, outside anything envkeeper holds.
DASHBOARDS = [
    "Cloudflare: Manage Account > Members, on each of these stacks' accounts; and their own "
    "API tokens there (the deploy tokens are the account's and were rotated above)",
    "Neon: Organization settings > Members (and any project shared with them)",
    "Stripe: Settings > Team and security, on each account these stacks use (test and live)",
    "Resend: Settings > Team",
    "GitHub: the organization's People, the teams that review production deploys, and "
    "their access to this repository (they could push branches and approve deploys)",
    "Pulumi Cloud: Organization > Members, and the teams that can read or update these "
    "stacks (the deployers' teams and the preview team)",
]


@dataclass
class Offboarding:
    today: date
    stacks: list[str]
    playbooks: dict[str, Playbook] = field(default_factory=dict)
    settings: dict[str, Settings] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"Offboarding: rotate what could be read in {', '.join(self.stacks)}"

    def _notice(self, stack: str, name: str) -> list[str]:
        entry = self.settings[stack].catalog[name]
        effect = entry.emergency_effect or entry.rotation_effect
        if not effect:
            return []
        if entry.declared:
            effect = markdown.inline(effect)  # the project's own words, from Pulumi.yaml
        return [f"{effect[0].upper()}{effect[1:]}."]

    def body(self, dry_run: bool = False) -> str:
        """The pull request's description, in Markdown (as it would read, for a dry run)."""
        moved = "would move (a dry run: no file was changed)" if dry_run else "moved"
        lines = [
            f"Someone who could read {', '.join(self.stacks)} is leaving. envkeeper {moved} "
            "the keeper date of every credential it mints there, both slots of two-slot "
            "secrets, as the incident playbook does, so nothing they could have read survives "
            "the deploy: each slot keeps its role, the active one dated today and the standby "
            "the latest free day before it, both re-minted. Read each stack's `pulumi preview` "
            "on this pull request; merging deploys it, and each rotated login's open sessions "
            "end once its new URL is delivered.",
        ]
        for stack, playbook in self.playbooks.items():
            settings = self.settings[stack]
            if playbook.changes:
                lines += ["", f"### {stack}"]
            shown: set[str] = set()
            for change in playbook.changes:
                radius = sorted(changed_by(settings, change))
                notice = [] if change.name in shown else self._notice(stack, change.name)
                shown.add(change.name)
                lines += change_lines(change, "offboarding", radius, notice)
            if LEGACY_KEY_EFFECT in playbook.effects:
                lines += ["", f"- {LEGACY_KEY_EFFECT}."]
            for name, resources in playbook.replace_in_place.items():
                lines += [
                    "",
                    f"**{name}**: no later day is free for its standby's date, so it keeps it; "
                    "re-mint it in the same deploy: `pulumi up --stack "
                    f"{stack} --replace URN` for " + ", ".join(f"`{r}`" for r in resources),
                ]
            for name, resources in playbook.already_today.items():
                lines += [
                    "",
                    f"**{name}** was rotated today already and keeps its date. If today's "
                    "`pulumi up` ran before they left, re-mint it: `pulumi up --stack "
                    f"{stack} --replace URN` for " + ", ".join(f"`{r}`" for r in resources),
                ]
        manual = [
            (stack, name, "they could read it", steps)
            for stack, playbook in self.playbooks.items()
            for name, steps in playbook.vendor_steps.items()
        ]
        if manual:
            lines += manual_lines(manual)
        lines += ["", "### Remove them from the vendors", ""]
        lines += [f"- [ ] {item}" for item in DASHBOARDS]
        return "\n".join(lines) + "\n"

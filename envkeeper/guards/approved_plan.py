"""Production gets what a person approved: a saved plan, its day, and the check before it.

A deploy is previewed before its approval gate (`envkeeper preview-plan`): Pulumi saves the
plan of every step (`pulumi preview --save-plan`), and the day the program used is kept
beside it. After the approval, `envkeeper apply-plan` runs the program again on that same
day, refuses when its steps differ from the approved ones (before anything changes, with
one line telling the approver to look again), and otherwise applies the saved plan with
`pulumi up --plan`, where the engine holds every step, secret values included, to it.

What the comparison reads of a plan: each resource's operations and the changes to its
inputs, a secret's ciphertext read as "a secret" (it differs between two encryptions of one
value; the engine compares the values themselves). Messages name resources, never values.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from envkeeper.config.clock import TODAY_VARIABLE, utc_today
from envkeeper.config.dates import iso_date
from envkeeper.doors.markdown import SUMMARY_LIMIT, fenced
from envkeeper.doors.problems import UserError
from envkeeper.doors.reading import PREVIEW_LIMIT, display_path, read_text
from envkeeper.engine import pulumi_cli
from envkeeper.engine.secret_marks import SECRET_SIG_KEY

PLAN_FILE = "plan.json"
DAY_FILE = "day"
PREVIEW_FILE = "preview.txt"
SECRET = "[secret]"  # noqa: S105 (what the comparison reads a ciphertext as)


class PlanDiffers(Exception):
    """The program's steps now are not the approved ones."""


class PreviewFailed(Exception):
    """The check's preview failed: its own account (secrets masked), and the one line."""

    def __init__(self, text: str, error: UserError) -> None:
        super().__init__(str(error))
        self.text, self.error = text, error


@dataclass(frozen=True)
class Saved:
    folder: Path

    @property
    def plan(self) -> Path:
        return self.folder / PLAN_FILE

    @property
    def day_file(self) -> Path:
        return self.folder / DAY_FILE

    @property
    def preview(self) -> Path:
        return self.folder / PREVIEW_FILE

    def day(self) -> date:
        where = display_path(self.day_file)
        text = read_text(self.day_file, "it holds one day", limit=1024)
        try:
            return iso_date(text.strip())
        except ValueError:
            raise UserError.one(
                where, "", "is not the day of a saved preview; run envkeeper preview-plan again"
            ) from None


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        if SECRET_SIG_KEY in value:
            return SECRET
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def steps(plan: Any) -> dict[str, str]:
    """Each resource of a saved plan -> its operations and input changes, comparable."""
    body = plan.get("plan", plan) if isinstance(plan, dict) else {}
    found = body.get("resourcePlans") if isinstance(body, dict) else None
    if not isinstance(found, dict):
        raise ValueError("it is not a plan `pulumi preview --save-plan` wrote")
    shown: dict[str, str] = {}
    for urn, entry in found.items():
        goal = (entry or {}).get("goal") or {}
        shown[str(urn)] = json.dumps(
            {
                "steps": (entry or {}).get("steps") or [],
                "inputs": _masked(goal.get("inputDiff") or {}),
                "protect": goal.get("protect", False),
            },
            sort_keys=True,
        )
    return shown


def differing(approved: Any, now: Any) -> list[str]:
    """The names of the resources whose steps differ between two plans."""
    old, new = steps(approved), steps(now)
    urns = sorted(u for u in old.keys() | new.keys() if old.get(u) != new.get(u))
    return [urn.rsplit("::", 1)[-1] for urn in urns]


def read_plan(path: Path) -> Any:
    text = read_text(path, "a saved plan", PREVIEW_LIMIT)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise UserError.one(
            display_path(path), "", "is not a plan; run envkeeper preview-plan"
        ) from None


def _on(day: date) -> dict[str, str]:
    """The environment of a pulumi run whose program takes `day` for today."""
    return {**os.environ, TODAY_VARIABLE: day.isoformat()}


@dataclass(frozen=True)
class Previewed:
    text: str  # the preview as Pulumi printed it (every secret masked)
    error: UserError | None  # why it failed, in one line; None when the plan was saved


def summary(stack: str, previewed: Previewed, limit: int = SUMMARY_LIMIT) -> str:
    """The preview as Markdown for the job summary the approver reads, within GitHub's
    limit: a preview too long for it is cut, and says where the whole of it is."""
    if previewed.error is None:
        heading = (
            f"#### `pulumi preview` of {stack}: the deploy applies exactly this, once approved"
        )
    else:
        heading = f"#### `pulumi preview` of {stack} failed: there is nothing to approve"
    room = limit - len(heading.encode()) - 1000  # the block's frame and the closing line
    lines = previewed.text.splitlines()
    kept: list[str] = []
    for line in lines:
        room -= len(line.encode()) + 1
        if room < 0:
            break
        kept.append(line)
    parts = [heading, "", "<details open><summary>Pulumi report</summary>", ""]
    parts += [fenced("\n".join(kept)), "", "</details>"]
    if len(kept) < len(lines):
        left = len(lines) - len(kept)
        parts += [
            "",
            f"{left} more line{'s were' if left != 1 else ' was'} left out to fit GitHub's "
            f"1 MiB limit for a job summary; the whole preview is {PREVIEW_FILE} in the "
            "plan's artifact.",
        ]
    return "\n".join(parts) + "\n"


def save(stack: str, folder: Path, cwd: Path, extra: list[str]) -> Previewed:
    """Preview `stack`, saving its plan, the day and the preview's text in `folder`."""
    saved = Saved(folder)
    pulumi_cli.executable()  # nothing is written without a CLI to preview with
    folder.mkdir(parents=True, exist_ok=True)
    day = utc_today()
    args = ["preview", "--stack", stack, "--diff", "--save-plan", str(saved.plan), *extra]
    done = pulumi_cli.run(args, cwd, env=_on(day))
    if done.returncode != 0:
        saved.plan.unlink(missing_ok=True)  # no plan of a failed preview may be applied
        return Previewed(done.stdout, pulumi_cli.failed(args, done))
    from envkeeper.doors.writing import write_all

    write_all([(saved.day_file, day.isoformat() + "\n"), (saved.preview, done.stdout)])
    return Previewed(done.stdout, None)


def check(stack: str, folder: Path, cwd: Path, extra: list[str]) -> date:
    """The approved day, once a preview on it now takes exactly the approved steps."""
    saved = Saved(folder)
    day = saved.day()
    approved = read_plan(saved.plan)
    with tempfile.TemporaryDirectory() as scratch:
        now_path = Path(scratch) / PLAN_FILE
        args = ["preview", "--stack", stack, "--save-plan", str(now_path), *extra]
        done = pulumi_cli.run(args, cwd, env=_on(day))
        if done.returncode != 0:
            raise PreviewFailed(done.stdout, pulumi_cli.failed(args, done))
        now = read_plan(now_path)
    try:
        changed = differing(approved, now)
    except ValueError as exc:
        raise UserError.one(str(saved.plan), "", str(exc)) from None
    if changed:
        raise PlanDiffers(", ".join(f"`{name}`" for name in changed))
    return day


def apply(stack: str, folder: Path, cwd: Path, extra: list[str]) -> int:
    """`pulumi up --plan` of the approved plan on its day; the CLI's own exit status."""
    saved = Saved(folder)
    day = check(stack, folder, cwd, extra)
    # No --skip-preview: the up's own preview is held to the plan too, secret values
    # included, before the first change (the check above reads secrets as secrets).
    args = ["up", "--stack", stack, "--plan", str(saved.plan), "--yes", *extra]
    return pulumi_cli.stream(args, cwd, env=_on(day))

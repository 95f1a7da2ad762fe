"""`envkeeper rotation status | bump | autopilot`: keeper dates."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from envkeeper.commands.common import (
    NeededStack,
    chosen_format,
    chosen_stack,
    dry_run_option,
    format_option,
    load_stack,
    named_stacks,
    old_stack_option,
    parse_day,
    project_dir,
    refuse_switch_values,
    show_description,
    user_errors,
)
from envkeeper.commands.usage import NEEDED, Group
from envkeeper.config.clock import utc_today
from envkeeper.config.stackfile import stack_file
from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.redaction import named_or
from envkeeper.doors.terminal import tell
from envkeeper.local.files import checked_description
from envkeeper.rotation.schedule import DUE_SOON_DAYS
from envkeeper.stack import catalog

# Its heading in `envkeeper --help`.
PANEL = "Keeper dates"

app = typer.Typer(
    help="Keeper dates: how old every secret is, and rotating one.",
    no_args_is_help=True,
    cls=Group,
)


class StatusFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@app.command("status")
@user_errors
def rotation_status(
    stacks: Annotated[
        list[str] | None,
        typer.Argument(metavar="STACK", help="Stacks to report (default: every stack file)."),
    ] = None,
    today: Annotated[
        str | None, typer.Option("--today", help="Report as of this date (YYYY-MM-DD).")
    ] = None,
    format_name: Annotated[
        str, format_option(StatusFormat, "json is one object")
    ] = StatusFormat.TABLE.value,
    as_json: Annotated[
        bool, typer.Option("--json", help="Old form of --format json.", hidden=True)
    ] = False,
) -> None:
    """Age, policy, due date and active slot of every secret. Exit 1 when any is overdue."""
    from envkeeper.rotation.reports import print_status
    from envkeeper.rotation.schedule import State, stack_status

    output = chosen_format(format_name, StatusFormat)
    if as_json:
        tell("note: --json is going away; write --format json")
        output = StatusFormat.JSON
    as_of = parse_day(today, "--today")
    from envkeeper.local.record import stale_files

    names = named_stacks(stacks)
    problems, rows, stale = [], [], []
    for stack in names:
        try:
            _, settings = load_stack(stack, isolation=False)
        except UserError as exc:
            problems += exc.problems
            continue
        rows += stack_status(stack, settings, as_of)
        stale += stale_files(project_dir(), stack, settings)
    if problems:
        raise UserError(problems)
    print_status(rows, as_of, output is StatusFormat.JSON)
    later = [row for row in rows if row.last_rotated > as_of]
    if later:
        # "ok" as of a day before the rotation it counts from says nothing: say so.
        latest = max(row.last_rotated for row in later)
        tell(
            f"warning: --today {as_of} is before the keeper date of {len(later)} of "
            f"{len(rows)} secrets (the latest {latest}): their state counts from a rotation "
            "that had not happened yet on that day"
        )
    for note in stale:  # local .dev.vars files written before a rotation
        tell(note)
    if any(row.state is State.OVERDUE for row in rows):
        raise typer.Exit(1)


@app.command("bump")
@user_errors
def rotation_bump(
    first: NeededStack = None,
    secret: Annotated[
        str | None,
        typer.Argument(metavar="SECRET", help="The catalog name, e.g. DATABASE_URL."),
        NEEDED,
    ] = None,
    when: Annotated[
        str | None, typer.Option("--date", help="The new keeper date (default: today).")
    ] = None,
    stack_option: Annotated[str | None, old_stack_option("The stack to change")] = None,
) -> None:
    """Move one keeper date forward in Pulumi.STACK.yaml (the older slot of a two-slot secret)."""
    from envkeeper.rotation.bump import apply_changes, plan_bump
    from envkeeper.rotation.reports import print_bump

    if stack_option is not None and secret is None:
        first, secret = None, first  # the old form: bump SECRET --stack STACK
    stack = chosen_stack(
        first, stack_option, "rotation bump", rest=secret and named_or(secret, "SECRET")
    )
    if secret is None:
        raise UserError.one(
            COMMAND_LINE, "SECRET", f"name the secret: envkeeper rotation bump {stack} NAME"
        )
    if stack in catalog.BUILT_IN.by_name and secret not in catalog.BUILT_IN.by_name:
        raise UserError.one(
            COMMAND_LINE,
            "STACK",
            f"the stack comes first: envkeeper rotation bump {named_or(secret, 'STACK')} {stack}",
        )
    config, settings = load_stack(stack)
    today = utc_today()
    change = plan_bump(settings, secret, parse_day(when, "--date"), today, config.origin)
    after = apply_changes(stack_file(project_dir(), stack), [change], stack, today)
    print_bump(config.origin, stack, settings, after, change)


class AutopilotFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command("autopilot")
@user_errors
def rotation_autopilot(
    stacks: Annotated[
        list[str] | None,
        typer.Argument(metavar="STACK", help="Stacks to rotate (default: every stack file)."),
    ] = None,
    within_days: Annotated[
        str,
        typer.Option(
            "--within", metavar="DAYS", help="Also rotate what falls due within this many days."
        ),
    ] = str(DUE_SOON_DAYS),
    dry_run: Annotated[bool, dry_run_option("Change no file.")] = False,
    body: Annotated[
        Path | None, typer.Option("--body", help="Write the pull request's Markdown here.")
    ] = None,
    format_name: Annotated[
        str, format_option(AutopilotFormat, "json is one object")
    ] = AutopilotFormat.TEXT.value,
) -> None:
    """Bump every due secret envkeeper can rotate itself; write up the pull request."""
    from envkeeper.rotation.autopilot import Proposal, propose_for_stack, write_proposal

    output = chosen_format(format_name, AutopilotFormat)
    if not re.fullmatch(r"-?\d{1,9}", within_days):
        # Checked here, not by the argument parser: one line, and never the text given.
        raise UserError.one(COMMAND_LINE, "--within", "is not a whole number of days, 0 to 366")
    within = int(within_days)
    if not 0 <= within <= 366:
        raise UserError.one(COMMAND_LINE, "--within", f"{within} is not 0 to 366 days")
    refuse_switch_values(stacks or [], "--dry-run" if dry_run else None)
    if body is not None:
        checked_description(body, "--body")
    names = named_stacks(stacks)
    today = utc_today()
    proposal = Proposal(today=today, within=within, stacks=names)
    for stack in names:
        config, settings = load_stack(stack)
        propose_for_stack(proposal, stack, settings, config.origin)
    files = {stack: stack_file(project_dir(), stack) for stack in proposal.changes_by_stack}
    text = write_proposal(proposal, files, dry_run, body)
    if output is AutopilotFormat.JSON:
        import json

        print(json.dumps({**proposal.as_json(), "body": text, "dry_run": dry_run}, indent=2))
        return
    print(proposal.title)
    if not proposal.rotated and not proposal.manual:
        print(f"Nothing is due within {within} days in {', '.join(names)}; no file changed.")
    else:
        show_description(text, body)
    if dry_run and proposal.rotated:
        print("(--dry-run: no stack file was changed)")

"""`envkeeper emergency` and `envkeeper offboard`: rotation after a leak or a departure."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from envkeeper.commands.common import (
    chosen_stack,
    dry_run_option,
    load_stack,
    named_stacks,
    old_stack_option,
    project_dir,
    refuse_switch_values,
    show_description,
    user_errors,
)
from envkeeper.commands.usage import NEEDED
from envkeeper.config.clock import utc_today
from envkeeper.config.stackfile import stack_file
from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.terminal import progress, say, tell
from envkeeper.local.files import checked_description
from envkeeper.stack.settings import Settings

app = typer.Typer()
# Its commands' heading in `envkeeper --help`: help lists them as this folder does.
PANEL = "Rotate after a leak or a departure"


# Words after the stack (`--dry-run true`, a second stack) are collected, not shown in the
# usage line, and refused with the product's one line.
@app.command(context_settings={"allow_extra_args": True})
@user_errors
def emergency(
    ctx: typer.Context,
    stack: Annotated[
        str | None, typer.Argument(metavar="STACK", help="The stack whose secrets leaked."), NEEDED
    ] = None,
    secret: Annotated[
        list[str] | None,
        typer.Option("--secret", metavar="NAME", help="Only this secret (repeatable)."),
    ] = None,
    dry_run: Annotated[bool, dry_run_option("Show the playbook; change no file.")] = False,
    stack_option: Annotated[str | None, old_stack_option("The stack whose secrets leaked")] = None,
    ask_vendors: Annotated[
        bool,
        typer.Option(
            "--vendors",
            help="Also ask Cloudflare for the versions, deployments and routes on the stack's "
            "Workers and zones that none of its deploys recorded (needs pulumi logged in "
            "to the stack).",
        ),
    ] = False,
) -> None:
    """Incident playbook: rotate every managed credential now (both slots), then the rest."""
    from envkeeper.infra import worker_code
    from envkeeper.rotation.bump import apply_changes
    from envkeeper.rotation.incident import plan_emergency
    from envkeeper.rotation.reports import print_playbook

    extra = list(ctx.args)
    refuse_switch_values(extra, "--dry-run" if dry_run else None)
    if extra:
        raise UserError.one(
            COMMAND_LINE, "STACK", "name one stack; repeat --secret NAME for each secret"
        )
    stack = chosen_stack(stack, stack_option, "emergency")
    config, settings = load_stack(stack)
    today = utc_today()
    playbook = plan_emergency(stack, settings, secret or [], today)
    # Asked before any file is written: a refusal there changes nothing.
    code = _unrecorded_or_exit(stack, settings) if ask_vendors else None
    if playbook.changes and not dry_run:
        restart = [playbook.restart] if playbook.restart else []
        apply_changes(stack_file(project_dir(), stack), [*playbook.changes, *restart], stack, today)
    print_playbook(config.origin, stack, settings, playbook, dry_run)
    if code is not None:
        say("\n" + worker_code.as_text(stack, *code).rstrip("\n"))


def _unrecorded_or_exit(stack: str, settings: Settings) -> tuple[list[Any], list[str]]:
    """The Worker code no deploy of `stack` recorded; a refusal is one line and exit 2."""
    from components.vendor_calls import VendorError
    from envkeeper.guards import orphan_check

    try:
        with progress(f"asking Cloudflare what is deployed for {stack}…"):
            return orphan_check.unrecorded_for(stack, settings, project_dir())
    except VendorError as exc:
        tell(str(exc))
        raise typer.Exit(2) from None


@app.command()
@user_errors
def offboard(
    stacks: Annotated[
        list[str] | None,
        typer.Argument(metavar="STACK", help="Every stack the departing person could read."),
        NEEDED,
    ] = None,
    dry_run: Annotated[bool, dry_run_option("Change no file.")] = False,
    body: Annotated[
        Path | None, typer.Option("--body", help="Write the pull request's Markdown here.")
    ] = None,
) -> None:
    """Rotate everything a departing person could read in the stacks named (both slots),
    list what only a person can roll and whom to remove where, and write up the pull
    request."""
    from envkeeper.doors.writing import write_all
    from envkeeper.rotation.bump import plan_edit
    from envkeeper.rotation.incident import plan_emergency
    from envkeeper.rotation.offboard import Offboarding

    if not stacks:
        raise UserError.one(
            COMMAND_LINE,
            "STACK",
            "name every stack the person could read, for example: envkeeper offboard dev staging",
        )
    refuse_switch_values(stacks, "--dry-run" if dry_run else None)
    if body is not None:
        checked_description(body, "--body")
    names = named_stacks(stacks)
    today = utc_today()
    offboarding = Offboarding(today=today, stacks=names)
    origins = {}
    for stack in names:
        config, settings = load_stack(stack)
        origins[stack] = config.origin
        offboarding.settings[stack] = settings
        offboarding.playbooks[stack] = plan_emergency(stack, settings, [], today)
    # Every stack file is checked with its new dates, and every file staged (the
    # description's too), before any is written: all of them change, or none.
    edits = [
        plan_edit(stack_file(project_dir(), stack), playbook.changes, stack, today)
        for stack, playbook in offboarding.playbooks.items()
        if playbook.changes
    ]
    text = offboarding.body(dry_run)
    writes = [] if dry_run else [(edit.path, edit.text) for edit in edits]
    write_all([*writes, *([(body, text)] if body is not None else [])])
    print(offboarding.title)
    verb = "would move" if dry_run else "moved"
    for stack, playbook in offboarding.playbooks.items():
        print(f"{origins[stack]}: {verb} {len(playbook.changes)} keeper dates")
    show_description(text, body)
    if dry_run:
        print("(--dry-run: no stack file was changed)")
    else:
        print("Commit the stack files, open the pull request with this description, merge.")

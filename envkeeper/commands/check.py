"""`envkeeper validate` and `envkeeper plan`: a stack file checked, and the program run
offline with it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from envkeeper.commands.common import (
    NeededStack,
    chosen_format,
    chosen_stack,
    format_option,
    load_stack,
    project_dir,
    settle,
    user_errors,
)
from envkeeper.doors.terminal import progress, say, tell
from envkeeper.stack.settings import Settings, missing_secrets

app = typer.Typer()
# Its commands' heading in `envkeeper --help`: help lists them as this folder does.
PANEL = "Check a stack"


def _needed_line(stack: str, key: str, settings: Settings) -> str:
    """What the key is, then on a line of its own the command that sets it: a command is
    never wrapped, so it copies whole."""
    what = {e.full_config_key: e.description for e in settings.catalog if e.full_config_key}
    command = f"pulumi config set --secret --stack {stack} {key}"
    return f"  {key} ({what.get(key, 'secret')}):\n    {command}"


def vendor_modes(settings: Settings) -> list[str]:
    """Whether envkeeper mints each vendor's secret (the Resend key, the Stripe endpoint's)
    or holds a value pasted in by hand: the two are rotated very differently."""
    from envkeeper.vendors import MINTED_VENDORS

    return [vendor.mode_line(settings) for vendor in MINTED_VENDORS]


@app.command()
@user_errors
def validate(
    stack: NeededStack = None,
) -> None:
    """Check Pulumi.STACK.yaml: one line per problem naming the file, the key and the fix."""
    stack = chosen_stack(stack, None, "validate")
    config, settings = load_stack(stack)
    workers = len(settings.cloudflare.workers)
    say(
        f"{config.origin}: valid (environment {settings.environment.value}, "
        f"{workers} Worker{'s' if workers != 1 else ''}, {len(settings.rotation)} keeper dates)"
    )
    for line in vendor_modes(settings):
        say(line)
    needed = missing_secrets(config, settings)
    if needed:
        say("needed before pulumi up (secret config not set yet):")
        for key in needed:
            say(_needed_line(stack, key, settings))


class PlanFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    MERMAID = "mermaid"


@app.command()
@user_errors
def plan(
    stack: NeededStack = None,
    format_name: Annotated[
        str, format_option(PlanFormat, "mermaid is a flowchart for a PR")
    ] = PlanFormat.TABLE.value,
) -> None:
    """Run the program offline with STACK's config; show resources and secret flows, no values."""
    stack = chosen_stack(stack, None, "plan")
    output = chosen_format(format_name, PlanFormat)
    config, settings = load_stack(stack)
    needed = missing_secrets(config, settings)
    # Pulumi and the program take a second or two; say so rather than sit silent.
    with progress("loading Pulumi…") as status:
        from envkeeper.offline.plan import build_plan, stand_in_secrets
        from envkeeper.offline.program import ProgramError, run_program

        settle()  # Pulumi, imported now, lives as long as the command

        status(f"running the program for {stack} offline…")
        try:
            secrets = stand_in_secrets(config, needed)
            run = run_program(project_dir(), stack, config.values, secrets)
        except ProgramError as exc:
            tell(f"{config.origin}: the program failed offline: {exc}")
            raise typer.Exit(1) from None
    from envkeeper.offline.render import as_json, as_mermaid, as_table

    result = build_plan(run, settings, needed)
    if output is PlanFormat.JSON:
        print(as_json(result))
    elif output is PlanFormat.MERMAID:
        print(as_mermaid(result), end="")
    else:
        from envkeeper.doors.terminal import console

        as_table(result, console(piped_width=80))

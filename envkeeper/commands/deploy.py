"""What a deploy runs around its `pulumi up`: `recover`, `preview-plan`, `apply-plan`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envkeeper.commands.common import (
    STACK_REF_HELP,
    load_stack,
    named_stack,
    project_dir,
    user_errors,
)
from envkeeper.config.stackfile import display_path
from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.terminal import tell

app = typer.Typer()
# Its commands' heading in `envkeeper --help`: help lists them as this folder does.
PANEL = "Around a deploy"


@app.command()
@user_errors
def recover(
    stack: Annotated[
        str,
        typer.Argument(metavar="STACK", help=STACK_REF_HELP),
    ],
) -> None:
    """Before a deploy's pulumi up: release what a dead run left, so this one finishes."""
    from envkeeper.guards.recovery import recover as recover_stack

    stack = named_stack(stack)
    load_stack(stack)  # a bad stack file stops here, before anything changes
    for line in recover_stack(stack, project_dir()):
        print(line)


# The arguments preview-plan and apply-plan share: the same preview on both sides.
PlanStack = Annotated[str, typer.Argument(metavar="STACK", help=STACK_REF_HELP)]
PlanFolder = Annotated[
    Path,
    typer.Argument(
        metavar="FOLDER", help="Where the plan, its day and the preview's text are kept."
    ),
]
Refresh = Annotated[
    bool,
    typer.Option("--refresh", help="Read every resource first, as the deploy does."),
]
PolicyPack = Annotated[
    Path | None, typer.Option("--policy-pack", help="Run this policy pack on the preview.")
]


def _plan_preview(
    stack: str, refresh: bool, policy_pack: Path | None, folder: Path, making: bool
) -> tuple[str, list[str]]:
    """The stack as pulumi is told it (its file, the plan's folder and the policy pack
    checked first: a bad one stops here, before Pulumi runs) and the preview's arguments."""
    from envkeeper.doors.reading import checked_folder
    from envkeeper.guards.approved_plan import PLAN_FILE

    stack = named_stack(stack)
    load_stack(stack)
    checked_folder(folder, missing_ok=making)
    if policy_pack is not None:
        checked_folder(policy_pack)
    if not making and not (folder / PLAN_FILE).exists():
        raise UserError.one(
            COMMAND_LINE,
            "FOLDER",
            f"{display_path(folder)} holds no saved plan; run envkeeper preview-plan "
            f"{stack} {display_path(folder)} first",
        )
    args = ["--refresh"] if refresh else []
    if policy_pack is not None:
        args += ["--policy-pack", str(policy_pack)]
    return stack, args


@app.command("preview-plan")
@user_errors
def preview_plan(
    stack: PlanStack, folder: PlanFolder, refresh: Refresh = False, policy_pack: PolicyPack = None
) -> None:
    """Before an approval: preview the stack and save the plan an approved deploy applies.
    Prints the preview as Markdown, for the job summary the approver reads."""
    from envkeeper.guards import approved_plan

    stack, args = _plan_preview(stack, refresh, policy_pack, folder, making=True)
    previewed = approved_plan.save(stack, folder, project_dir(), args)
    print(approved_plan.summary(stack, previewed), end="")
    if previewed.error is not None:
        raise previewed.error


@app.command("apply-plan")
@user_errors
def apply_plan(
    stack: PlanStack, folder: PlanFolder, refresh: Refresh = False, policy_pack: PolicyPack = None
) -> None:
    """After the approval: apply the saved plan on the day it was previewed, or stop before
    any change when the program would now do anything else."""
    from envkeeper.guards import approved_plan

    stack, args = _plan_preview(stack, refresh, policy_pack, folder, making=False)
    try:
        status = approved_plan.apply(stack, folder, project_dir(), args)
    except approved_plan.PreviewFailed as exc:
        print(exc.text, end="")
        raise exc.error from None
    except approved_plan.PlanDiffers as exc:
        tell(
            f"{stack}: nothing was applied: the deploy would now change {exc} otherwise than "
            "the preview that was approved; re-run all the deploy's jobs, then read the "
            "new preview before approving"
        )
        raise typer.Exit(2) from None
    if status != 0:
        raise typer.Exit(status)

"""The `envkeeper` command line: the app, its `--project-dir`, and the command modules of
envkeeper/commands/ in the order help lists them. No command's body lives here.

Only `plan` imports Pulumi (inside the command), so every other command answers fast.
"""

from __future__ import annotations

import gc
import inspect
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand

from envkeeper.commands import check, common, deploy, incident, local, review, rotation
from envkeeper.commands.common import (
    _state,
    settle,
    user_errors,
)
from envkeeper.commands.usage import Command, Group
from envkeeper.config.clock import pinned_note
from envkeeper.doors.output import OutputLost, give_up, guard_stdout
from envkeeper.doors.terminal import settle_columns, tell

app = typer.Typer(
    name="envkeeper",
    help="Every secret of the product, per environment, rotated by keeper dates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,
)


@app.callback()
@user_errors
def _root(
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project-dir",
            "-C",
            envvar="ENVKEEPER_PROJECT_DIR",
            help="The folder with Pulumi.yaml (default: the nearest one, here or above).",
        ),
    ] = None,
) -> None:
    if project_dir is not None:
        _state["project_dir"] = project_dir
    # A day set by ENVKEEPER_TODAY is never silent: every command says so first.
    note = pinned_note()
    if note:
        tell(note)


def _unwrapped(doc: str) -> str:
    """A docstring as help: each paragraph one line, which the terminal then wraps at its
    own width; the source's line breaks would otherwise break sentences mid-way."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _added(commands: typer.Typer, panel: str | None = None) -> typer.Typer:
    """A module's commands as the app shows them: their help and usage line and their
    parser's mistakes as commands/usage.py writes them, each docstring's paragraphs on one
    line (which the terminal then wraps), under the module's heading in help."""
    for info in commands.registered_commands:
        if info.cls in (None, TyperCommand):
            info.cls = Command
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if doc:
            info.help = _unwrapped(doc)
        if panel is not None:
            info.rich_help_panel = panel
    return commands


# Help lists the commands module by module, each under its module's heading, in this
# order; the rotation group last.
COMMAND_MODULES = (check, local, review, incident, deploy)
for module in COMMAND_MODULES:
    app.add_typer(_added(module.app, module.PANEL))
app.add_typer(_added(rotation.app), name="rotation", rich_help_panel=rotation.PANEL)


def main() -> None:
    os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "1")
    common.one_command_process = True
    settle()
    guard_stdout()
    settle_columns()
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # a full or closed stdout fails here, inside the guard
    except OutputLost as lost:
        sys.exit(give_up(lost))
    finally:
        # Python's exit would collect every object once more, for nothing: the process is
        # ending. After a plan that is a tenth of the command's time.
        gc.freeze()

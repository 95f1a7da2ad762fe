"""Local development: `wrangler-vars`, `dev-vars` and `run`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from envkeeper.commands.common import (
    NeededStack,
    chosen_format,
    chosen_stack,
    format_option,
    load_stack,
    project_dir,
    user_errors,
)
from envkeeper.commands.usage import NEEDED

app = typer.Typer()
# Its commands' heading in `envkeeper --help`: help lists them as this folder does.
PANEL = "Local development"


class VarsFormat(StrEnum):
    TOML = "toml"
    JSON = "json"


@app.command("wrangler-vars")
@user_errors
def wrangler_vars(
    stack: NeededStack = None,
    format_name: Annotated[str, format_option(VarsFormat)] = VarsFormat.TOML.value,
) -> None:
    """Print the plain `vars` (CORS_ORIGIN …) for the app's wrangler config. Never a secret."""
    import json

    from envkeeper.infra import cloudflare as cf

    stack = chosen_stack(stack, None, "wrangler-vars")
    output = chosen_format(format_name, VarsFormat)
    _, settings = load_stack(stack)
    if output is VarsFormat.JSON:
        print(json.dumps({"vars": cf.worker_vars(settings)}, indent=2))
    else:
        print(cf.wrangler_vars_toml(settings), end="")


WORKER_HELP = "The Worker whose values to use (needed when the stack has several)."


@app.command("dev-vars")
@user_errors
def dev_vars(
    stack: NeededStack = None,
    worker: Annotated[str | None, typer.Option("--worker", help=WORKER_HELP)] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write (default: ./.dev.vars).")
    ] = None,
) -> None:
    """Write a Worker's .dev.vars for `wrangler dev` from the deployed stack: mode 0600, never
    where git would track it, no value shown. Only a stack with localDevelopment: true."""
    from envkeeper.local import exports as local

    stack = chosen_stack(stack, None, "dev-vars")
    config, settings = load_stack(stack)
    local.dev_vars(project_dir(), config, settings, stack, worker, output)


@app.command("run")
@user_errors
def run_with_values(
    stack: NeededStack = None,
    command: Annotated[
        list[str] | None,
        typer.Argument(help="The command to run, after --.", metavar="COMMAND"),
        NEEDED,
    ] = None,
    worker: Annotated[str | None, typer.Option("--worker", help=WORKER_HELP)] = None,
    keep_env: Annotated[
        list[str] | None,
        typer.Option(
            "--keep-env",
            metavar="NAME",
            help="Pass this variable on although it reaches Pulumi or a vendor (repeatable).",
        ),
    ] = None,
) -> None:
    """Run COMMAND with a Worker's deployed values, without Pulumi's or vendors' keys.

    Writes no file. For scripts, migrations and test runners. Exit: the command's own."""
    from envkeeper.local import exports as local

    stack = chosen_stack(stack, None, "run")
    config, settings = load_stack(stack)
    code = local.run(
        project_dir(), config, settings, stack, worker, command or [], keep=keep_env or []
    )
    raise typer.Exit(code)

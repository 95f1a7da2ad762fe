"""`envkeeper drift-report`: what a refreshed preview found changed outside Pulumi."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from envkeeper.commands.common import (
    named_stack,
    user_errors,
)
from envkeeper.config.stackfile import (
    display_path,
)
from envkeeper.doors.problems import COMMAND_LINE, UserError

app = typer.Typer()


@app.command("drift-report")
@user_errors
def drift_report(
    preview: Annotated[
        Path,
        typer.Argument(
            metavar="PREVIEW", help="A file with the output of `pulumi preview --refresh --json`."
        ),
    ],
    stack: Annotated[
        str | None,
        typer.Option("--stack", help="The stack, for the heading (default: the preview's)."),
    ] = None,
) -> None:
    """Markdown of what changed outside Pulumi, names only. Exit 1 when anything did."""
    import json

    from envkeeper.doors.reading import PREVIEW_LIMIT, read_text
    from envkeeper.guards.drift import NotAPreview, as_markdown, read_preview

    heading = named_stack(stack, "--stack") if stack is not None else None
    where = display_path(preview)
    # utf-8-sig: a file saved with a byte-order mark (PowerShell does) reads the same.
    text = read_text(preview, "a saved preview", PREVIEW_LIMIT, encoding="utf-8-sig")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        # Never the file's text: a preview can hold values.
        raise UserError.one(
            where, "", "is not the JSON of a preview; save `pulumi preview --json`'s output"
        ) from None
    try:
        result = read_preview(data)
    except NotAPreview as exc:
        raise UserError.one(where, "", f"not a completed preview: {exc}") from None
    if heading and result.stack and heading.rsplit("/", 1)[-1] != result.stack:
        # A report headed with one stack's name must be that stack's.
        raise UserError.one(
            COMMAND_LINE,
            "--stack",
            f"names {heading}, but the preview is of stack {result.stack}; pass the preview "
            f"of {heading}, or --stack {result.stack}",
        )
    print(as_markdown(heading or result.stack, result.drifted), end="")
    if result.drifted:
        raise typer.Exit(1)

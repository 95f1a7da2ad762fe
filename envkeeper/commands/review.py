"""What changed or leaked: `envkeeper drift-report` (what a refreshed preview found changed
outside Pulumi), `envkeeper orphans` (what the vendors hold that the state does not) and
`envkeeper access-review` (who and what can reach an environment).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from envkeeper.commands.common import (
    STACK_REF_HELP,
    chosen_format,
    chosen_stack,
    format_option,
    load_stack,
    named_stack,
    old_stack_option,
    project_dir,
    user_errors,
)
from envkeeper.commands.usage import NEEDED
from envkeeper.config.clock import utc_today
from envkeeper.config.stackfile import StackConfig, display_path
from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.redaction import named_or
from envkeeper.doors.terminal import progress, tell
from envkeeper.stack.settings import Settings

app = typer.Typer()
# Its commands' heading in `envkeeper --help`: help lists them as this folder does.
PANEL = "Drift, orphans and the access review"


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
    # The stack the preview names comes from the file: repeated only when it is a name.
    named = named_or(result.stack, "") if result.stack else ""
    if heading and result.stack and heading.rsplit("/", 1)[-1] != result.stack:
        # A report headed with one stack's name must be that stack's.
        fix = f"or --stack {named}" if named else "or leave --stack out"
        raise UserError.one(
            COMMAND_LINE,
            "--stack",
            f"names {heading}, but the preview is of "
            f"{f'stack {named}' if named else 'another stack'}; pass the preview of {heading}, "
            f"{fix}",
        )
    print(as_markdown(heading or named or "the previewed stack", result.drifted), end="")
    if result.drifted:
        raise typer.Exit(1)


class ReviewFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"


@app.command("access-review")
@user_errors
def access_review(
    stack: Annotated[
        str | None, typer.Argument(metavar="STACK", help="The stack to review."), NEEDED
    ] = None,
    format_name: Annotated[
        str, format_option(ReviewFormat, "markdown is the record")
    ] = ReviewFormat.MARKDOWN.value,
    stack_option: Annotated[str | None, old_stack_option("The stack to review")] = None,
    ask_vendors: Annotated[
        bool,
        typer.Option(
            "--vendors",
            help="Also ask the vendors for credentials with this stack's names that no state "
            "holds (needs pulumi logged in to the stack).",
        ),
    ] = False,
) -> None:
    """Who and what can reach an environment: the quarterly access review record."""
    import json

    from envkeeper.guards.access import as_markdown, review

    stack = chosen_stack(stack, stack_option, "access-review")
    output = chosen_format(format_name, ReviewFormat)
    config, settings = load_stack(stack)
    found, extra = None, None
    if ask_vendors:
        found, lookup = _orphans_or_exit(stack, config, settings)
        extra = lookup.unmanaged
    record = review(stack, settings, utc_today(), found, extra)
    print(
        json.dumps(record.as_json(), indent=2)
        if output is ReviewFormat.JSON
        else as_markdown(record)
    )


def _orphans_or_exit(
    stack: str, config: StackConfig, settings: Settings, delete: bool = False
) -> tuple[list[Any], Any]:
    """The orphans of `stack` (deleted first, with `delete`) and the whole lookup (what its
    GitHub environments hold that envkeeper did not put there, the Worker code no deploy
    recorded); a vendor's refusal is one line and exit 2: the check could not be made."""
    from components.vendor_calls import VendorError
    from envkeeper.guards import orphan_check

    base_url = config.values.get("github:baseUrl")
    try:
        with progress(f"asking the vendors what they hold for {stack}…"):
            lookup = orphan_check.look(stack, settings, project_dir(), base_url and str(base_url))
            found = orphan_check.delete(lookup, project_dir()) if delete else lookup.found
    except VendorError as exc:
        tell(str(exc))
        raise typer.Exit(2) from None
    return found, lookup


class OrphanFormat(StrEnum):
    TEXT = "text"
    MARKDOWN = "markdown"
    JSON = "json"


@app.command("orphans")
@user_errors
def orphans_command(
    stack: Annotated[
        str,
        typer.Argument(metavar="STACK", help=STACK_REF_HELP),
    ],
    delete: Annotated[
        bool, typer.Option("--delete", help="Delete each one at its vendor.")
    ] = False,
    format_name: Annotated[
        str, format_option(OrphanFormat, "markdown for a job summary")
    ] = OrphanFormat.TEXT.value,
) -> None:
    """Credentials the vendors hold under this stack's names that its state does not, and
    Worker code on its Workers and zones that none of its deploys recorded."""
    import json

    from envkeeper.guards.orphans import as_json, as_markdown, as_text
    from envkeeper.infra import worker_code

    output = chosen_format(format_name, OrphanFormat)
    stack = named_stack(stack)
    config, settings = load_stack(stack)
    found, lookup = _orphans_or_exit(stack, config, settings, delete)
    extra, code, not_yet = lookup.unmanaged, lookup.code, lookup.not_yet
    if output is OrphanFormat.JSON:
        data = json.loads(as_json(stack, found, delete, extra))
        print(json.dumps({**data, **worker_code.as_json(code, not_yet)}, indent=2))
    elif output is OrphanFormat.MARKDOWN:
        print(as_markdown(stack, found, delete, extra), end="")
        print(worker_code.as_markdown(stack, code, not_yet), end="")
    else:
        print(as_text(stack, found, delete, extra), end="")
        print(worker_code.as_text(stack, code, not_yet), end="")
    # An unmanaged GitHub entry or unrecorded Worker code is never deleted here: it fails a
    # check, and is reported (not failed) right after a deploy, whose puts record anew. A
    # Worker with no record yet fails the check too: nothing vouches for what runs there.
    if (found and not delete) or extra or ((code or not_yet) and not delete):
        raise typer.Exit(1)

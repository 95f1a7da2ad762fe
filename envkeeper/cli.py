"""The `envkeeper` command line.

Only `plan` imports Pulumi (inside the command), so every other command answers fast.
"""

from __future__ import annotations

import functools
import gc
import inspect
import os
import re
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from envkeeper.config.clock import pinned_note, utc_today
from envkeeper.config.stackfile import (
    StackConfig,
    display_path,
    load_config,
    project_name,
    stack_file,
    stack_names,
)
from envkeeper.doors.output import OutputLost, give_up, guard_stdout
from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.stack_name import parse_stack_name, unique
from envkeeper.doors.terminal import progress, say, say_markdown
from envkeeper.guards.isolation import load_checked_settings
from envkeeper.local.files import checked_description
from envkeeper.rotation.schedule import DUE_SOON_DAYS
from envkeeper.stack import catalog
from envkeeper.stack.settings import Settings, iso_date, missing_secrets, parse_settings

app = typer.Typer(
    name="envkeeper",
    help="Every secret of the product, per environment, rotated by keeper dates.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Bad input: one plain line per problem on stderr, exit 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            for problem in exc.problems:
                print(problem, file=sys.stderr)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def find_project_dir(start: Path) -> Path:
    for folder in (start, *start.parents):
        if (folder / "Pulumi.yaml").is_file():
            return folder
    raise UserError.one(
        "Pulumi.yaml",
        "",
        f"no Pulumi project in {start} or above; run envkeeper inside the project "
        "or pass --project-dir",
    )


_state: dict[str, Path] = {}

_one_command_process = False  # main() sets it: the process ends with its command


def settle() -> None:
    """In a process that ends with its command: what is alive now (the modules imported so
    far) lives until the end, so it is taken out of the cyclic collector's way and each
    collection while the command runs is cheaper (a fifth of a plan's time). Not in a
    process that runs many commands (the tests), which would keep their garbage."""
    if _one_command_process:
        gc.freeze()


@app.callback()
@user_errors
def _root(
    project_dir: Annotated[
        Path | None,
        typer.Option(
            "--project-dir",
            "-C",
            envvar="ENVKEEPER_PROJECT_DIR",
            help="The folder with Pulumi.yaml (default: the nearest one above here).",
        ),
    ] = None,
) -> None:
    if project_dir is not None:
        _state["project_dir"] = project_dir
    # A day set by ENVKEEPER_TODAY is never silent: every command says so first.
    note = pinned_note()
    if note:
        print(note, file=sys.stderr)


def project_dir() -> Path:
    if "project_dir" in _state:
        return checked_project_dir(_state["project_dir"])
    return find_project_dir(Path.cwd())


def checked_project_dir(folder: Path) -> Path:
    """The folder --project-dir names, once it holds a Pulumi project: a wrong folder is
    said as such, not as a stack file missing from it."""
    from envkeeper.doors.reading import checked_file, display_path

    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UserError.one(
            COMMAND_LINE,
            "--project-dir",
            f"{display_path(folder)} {what}; name the folder that holds Pulumi.yaml",
        )
    project = folder / "Pulumi.yaml"
    if not project.exists() and not project.is_symlink():
        raise UserError.one(
            COMMAND_LINE,
            "--project-dir",
            f"{display_path(folder)} holds no Pulumi.yaml; "
            "name the project's folder (the one with Pulumi.yaml)",
        )
    checked_file(project)
    return folder


def load_stack(stack: str, isolation: bool = True) -> tuple[StackConfig, Settings]:
    """One stack's config and settings, checked alone and against its sibling stacks."""
    folder = project_dir()
    config = load_config(folder, stack)
    if not isolation:
        return config, parse_settings(config, stack)
    return config, load_checked_settings(config, stack, folder).settings


def all_stacks() -> list[str]:
    order = {"dev": 0, "staging": 1, "prod": 2}
    return sorted(stack_names(project_dir()), key=lambda n: (order.get(n, 3), n))


def parse_day(value: str | None, option: str) -> date:
    """A date given on the command line; today when not given."""
    if value is None:
        return utc_today()
    try:
        return iso_date(value)
    except ValueError as exc:
        raise UserError.one(COMMAND_LINE, option, str(exc)) from None


def chosen_stack(
    positional: str | None, option: str | None, command: str, rest: str | None = None
) -> str:
    """The stack, given first and positionally as by every command. The old `--stack`
    still works for now, with a note on stderr saying how to write it (`rest`: what follows
    the stack in that command, such as the secret of a bump)."""
    if option is not None:
        after = f" {rest}" if rest else ""
        if positional is not None and positional != option:
            raise UserError.one(
                COMMAND_LINE,
                "--stack",
                f"names {option} but the command names {positional}; "
                f"write only the stack: envkeeper {command} {positional}{after}",
            )
        print(
            "note: --stack is going away; write the stack first: "
            f"envkeeper {command} {option}{after}",
            file=sys.stderr,
        )
        return named_stack(option)
    if positional is None:
        raise UserError.one(
            COMMAND_LINE, "STACK", f"name the stack, for example: envkeeper {command} dev"
        )
    return named_stack(positional)


def named_stack(text: str) -> str:
    """A stack named on the command line, as pulumi is to be told it; anything that is not
    `NAME` or `ORG/<project>/NAME` of this project is refused here, for every command."""
    return parse_stack_name(text, project_name(project_dir())).given


def named_stacks(texts: list[str] | None) -> list[str]:
    """Stacks named on the command line, each once; every stack file's when none is."""
    if not texts:
        return all_stacks()
    project = project_name(project_dir())
    return [n.given for n in unique([parse_stack_name(t, project) for t in texts])]


def old_stack_option(help_text: str) -> Any:
    return typer.Option("--stack", "-s", help=f"{help_text} (old form; give it first instead)")


STACK_HELP = "The stack: dev, staging, prod…"
STACK_REF_HELP = "The stack, as pulumi names it (prod, or org/project/prod)."

# What a user may type after a switch that takes no value, thinking it does.
_SWITCH_VALUES = {"true", "false", "yes", "no", "on", "off", "1", "0"}


def dry_run_option(help_text: str) -> Any:
    # metavar "": a switch takes no value, so help shows none (not `<bool>`).
    return typer.Option("--dry-run", help=help_text, metavar="")


def refuse_switch_values(arguments: list[str], switch: str | None) -> None:
    """`--dry-run true` would read `true` as a stack: say the switch takes no value."""
    if switch and any(a.lower() in _SWITCH_VALUES for a in arguments):
        raise UserError.one(
            COMMAND_LINE, switch, f"takes no value; write {switch} alone (it is on when given)"
        )


E = TypeVar("E", bound=StrEnum)


def chosen_format(value: str, formats: type[E]) -> E:
    """--format, checked here rather than by the argument parser, so a typo gets the
    product's one line and exit 2 like every other bad input."""
    try:
        return formats(value)
    except ValueError:
        allowed = ", ".join(f.value for f in formats)
        raise UserError.one(
            COMMAND_LINE, "--format", f"is not a format here; use one of: {allowed}"
        ) from None


def format_option(formats: type[StrEnum], help_text: str) -> Any:
    return typer.Option("--format", "-f", help=f"{help_text} ({', '.join(formats)})")


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
    stack: Annotated[str | None, typer.Argument(metavar="STACK", help=STACK_HELP)] = None,
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
    stack: Annotated[str | None, typer.Argument(metavar="STACK", help=STACK_HELP)] = None,
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
        from envkeeper.engine.offline import ProgramError, run_program
        from envkeeper.engine.plan import build_plan, stand_in_secrets

        settle()  # Pulumi, imported now, lives as long as the command

        status(f"running the program for {stack} offline…")
        try:
            secrets = stand_in_secrets(config, needed)
            run = run_program(project_dir(), stack, config.values, secrets)
        except ProgramError as exc:
            print(f"{config.origin}: the program failed offline: {exc}", file=sys.stderr)
            raise typer.Exit(1) from None
    from envkeeper.engine.render import as_json, as_mermaid, as_table

    result = build_plan(run, settings, needed)
    if output is PlanFormat.JSON:
        print(as_json(result))
    elif output is PlanFormat.MERMAID:
        print(as_mermaid(result), end="")
    else:
        from envkeeper.doors.terminal import console

        as_table(result, console(piped_width=80))


class VarsFormat(StrEnum):
    TOML = "toml"
    JSON = "json"


@app.command("wrangler-vars")
@user_errors
def wrangler_vars(
    stack: Annotated[str | None, typer.Argument(metavar="STACK", help=STACK_HELP)] = None,
    format_name: Annotated[str, format_option(VarsFormat, "the output")] = VarsFormat.TOML.value,
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
    stack: Annotated[str | None, typer.Argument(metavar="STACK", help=STACK_HELP)] = None,
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
    stack: Annotated[str | None, typer.Argument(metavar="STACK", help=STACK_HELP)] = None,
    command: Annotated[
        list[str] | None, typer.Argument(help="The command to run, after --.", metavar="COMMAND")
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


rotation_app = typer.Typer(
    help="Keeper dates: how old every secret is, and rotating one.", no_args_is_help=True
)
app.add_typer(rotation_app, name="rotation")


class StatusFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


@rotation_app.command("status")
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
        print("note: --json is going away; write --format json", file=sys.stderr)
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
        print(
            f"warning: --today {as_of} is before the keeper date of {len(later)} of "
            f"{len(rows)} secrets (the latest {latest}): their state counts from a rotation "
            "that had not happened yet on that day",
            file=sys.stderr,
        )
    for note in stale:  # local .dev.vars files written before a rotation
        print(note, file=sys.stderr)
    if any(row.state is State.OVERDUE for row in rows):
        raise typer.Exit(1)


@rotation_app.command("bump")
@user_errors
def rotation_bump(
    first: Annotated[str | None, typer.Argument(metavar="STACK", help=STACK_HELP)] = None,
    secret: Annotated[
        str | None,
        typer.Argument(metavar="SECRET", help="The catalog name, e.g. DATABASE_URL."),
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
    stack = chosen_stack(first, stack_option, "rotation bump", rest=secret)
    if secret is None:
        raise UserError.one(
            COMMAND_LINE, "SECRET", f"name the secret: envkeeper rotation bump {stack} NAME"
        )
    if stack in catalog.BUILT_IN.by_name and secret not in catalog.BUILT_IN.by_name:
        raise UserError.one(
            COMMAND_LINE,
            "STACK",
            f"the stack comes first: envkeeper rotation bump {secret} {stack}",
        )
    config, settings = load_stack(stack)
    today = utc_today()
    change = plan_bump(settings, secret, parse_day(when, "--date"), today, config.origin)
    after = apply_changes(stack_file(project_dir(), stack), [change], stack, today)
    print_bump(config.origin, stack, settings, after, change)


class AutopilotFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@rotation_app.command("autopilot")
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
    elif body is not None:
        print(f"The pull request's description is in {body}.")
    else:
        print()
        say_markdown(text)
    if dry_run and proposal.rotated:
        print("(--dry-run: no stack file was changed)")


@app.command("drift-report")
@user_errors
def drift_report(
    preview: Annotated[
        Path,
        typer.Argument(metavar="PREVIEW", help="The output of `pulumi preview --refresh --json`."),
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

    heading = named_stack(stack) if stack is not None else None
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


# Words after the stack (`--dry-run true`, a second stack) are collected, not shown in the
# usage line, and refused with the product's one line.
@app.command(context_settings={"allow_extra_args": True})
@user_errors
def emergency(
    ctx: typer.Context,
    stack: Annotated[
        str | None, typer.Argument(metavar="STACK", help="The stack whose secrets leaked.")
    ] = None,
    secret: Annotated[
        list[str] | None, typer.Option("--secret", help="Only these secrets (repeatable).")
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
            metavar="",
        ),
    ] = False,
) -> None:
    """Incident playbook: rotate every managed credential now (both slots), then the rest."""
    from envkeeper.guards import worker_code
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
        print(exc, file=sys.stderr)
        raise typer.Exit(2) from None


@app.command()
@user_errors
def offboard(
    stacks: Annotated[
        list[str] | None,
        typer.Argument(metavar="STACK", help="Every stack the departing person could read."),
    ] = None,
    dry_run: Annotated[bool, dry_run_option("Change no file.")] = False,
    body: Annotated[
        Path | None, typer.Option("--body", help="Write the pull request's Markdown here.")
    ] = None,
) -> None:
    """Rotate everything a departing person could read in STACK... (both slots), list what
    only a person can roll and whom to remove where, and write up the pull request."""
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
    if body is not None:
        print(f"The pull request's description is in {body}.")
    else:
        print()
        say_markdown(text)
    if dry_run:
        print("(--dry-run: no stack file was changed)")
    else:
        print("Commit the stack files, open the pull request with this description, merge.")


class ReviewFormat(StrEnum):
    MARKDOWN = "markdown"
    JSON = "json"


@app.command("access-review")
@user_errors
def access_review(
    stack: Annotated[
        str | None, typer.Argument(metavar="STACK", help="The stack to review.")
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
            metavar="",
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
        print(exc, file=sys.stderr)
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
        # metavar "": a switch takes no value, so help shows none (not `<bool>`).
        bool, typer.Option("--delete", help="Delete each one at its vendor.", metavar="")
    ] = False,
    format_name: Annotated[
        str, format_option(OrphanFormat, "markdown for a job summary")
    ] = OrphanFormat.TEXT.value,
) -> None:
    """Credentials the vendors hold under this stack's names that its state does not, and
    Worker code on its Workers and zones that none of its deploys recorded."""
    import json

    from envkeeper.guards import worker_code
    from envkeeper.guards.orphans import as_json, as_markdown, as_text

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
    typer.Option("--refresh", help="Read every resource first, as the deploy does.", metavar=""),
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
        print(
            f"{stack}: nothing was applied: the deploy would now change {exc} otherwise than "
            "the preview that was approved; re-run all the deploy's jobs, then read the "
            "new preview before approving",
            file=sys.stderr,
        )
        raise typer.Exit(2) from None
    if status != 0:
        raise typer.Exit(status)


def _unwrapped(doc: str) -> str:
    """A docstring as help: each paragraph one line, which the terminal then wraps at its
    own width; the source's line breaks would otherwise break sentences mid-way."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def _help_in_paragraphs(typer_app: typer.Typer) -> None:
    for info in typer_app.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if doc:
            info.help = _unwrapped(doc)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _help_in_paragraphs(group.typer_instance)


_help_in_paragraphs(app)


def main() -> None:
    global _one_command_process
    os.environ.setdefault("PULUMI_SKIP_UPDATE_CHECK", "1")
    _one_command_process = True
    settle()
    guard_stdout()
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

"""What every command shares, defined once: the stack argument and the old `--stack`
option, the project folder (`--project-dir`), `--format` and `--dry-run`, and the one-line
exit of a bad input (`user_errors`).
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from envkeeper.commands.usage import NEEDED, stack_example, switch_takes_no_value
from envkeeper.config.clock import utc_today
from envkeeper.config.stackfile import (
    StackConfig,
    load_config,
    project_name,
    stack_names,
)
from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.doors.redaction import printable
from envkeeper.doors.stack_name import parse_stack_name, unique
from envkeeper.doors.terminal import say_markdown, tell
from envkeeper.stack.isolation import load_checked_settings
from envkeeper.stack.settings import Settings, iso_date, parse_settings

F = TypeVar("F", bound=Callable[..., Any])


def user_errors(fn: F) -> F:
    """Bad input: one plain line per problem on stderr, exit 2, no traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except UserError as exc:
            for problem in exc.problems:
                tell(str(problem))
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

one_command_process = False  # main() sets it: the process ends with its command


def settle() -> None:
    """In a process that ends with its command: what is alive now (the modules imported so
    far) lives until the end, so it is taken out of the cyclic collector's way and each
    collection while the command runs is cheaper (a fifth of a plan's time). Not in a
    process that runs many commands (the tests), which would keep their garbage."""
    if one_command_process:
        gc.freeze()


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
        # Each name checked before any line repeats it, and refused as it was given.
        stack = named_stack(option, "--stack")
        named = named_stack(positional) if positional is not None else stack
        after = f" {rest}" if rest else ""
        if named != stack:
            raise UserError.one(
                COMMAND_LINE,
                "--stack",
                f"names {stack} but the command names {named}; "
                f"write only the stack: envkeeper {command} {named}{after}",
            )
        tell(
            "note: --stack is going away; write the stack first: "
            f"envkeeper {command} {stack}{after}"
        )
        return stack
    if positional is None:
        raise UserError.one(COMMAND_LINE, "STACK", stack_example(f"envkeeper {command}"))
    return named_stack(positional)


def named_stack(text: str, given_as: str = "STACK") -> str:
    """A stack named on the command line, as pulumi is to be told it; anything that is not
    `NAME` or `ORG/<project>/NAME` of this project is refused here, for every command, in a
    line naming how it was given: the positional STACK, or an option such as --stack."""
    return parse_stack_name(text, project_name(project_dir()), given_as).given


def named_stacks(texts: list[str] | None) -> list[str]:
    """Stacks named on the command line, each once; every stack file's when none is."""
    if not texts:
        return all_stacks()
    project = project_name(project_dir())
    return [n.given for n in unique([parse_stack_name(t, project) for t in texts])]


def old_stack_option(help_text: str) -> Any:
    return typer.Option(
        "--stack", "-s", help=f"{help_text}: the old form; name the stack first instead."
    )


STACK_HELP = "The stack: dev, staging, prod…"
STACK_REF_HELP = "The stack, as pulumi names it (prod, or org/project/prod)."
# The stack first, as every command takes it; help shows it as required (see Needed).
NeededStack = Annotated[str | None, typer.Argument(metavar="STACK", help=STACK_HELP), NEEDED]

# What a user may type after a switch that takes no value, thinking it does.
_SWITCH_VALUES = {"true", "false", "yes", "no", "on", "off", "1", "0"}


def dry_run_option(help_text: str) -> Any:
    return typer.Option("--dry-run", help=help_text)


def refuse_switch_values(arguments: list[str], switch: str | None) -> None:
    """`--dry-run true` would read `true` as a stack: say the switch takes no value."""
    if switch and any(a.lower() in _SWITCH_VALUES for a in arguments):
        raise UserError([switch_takes_no_value(switch)])


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


def format_option(formats: type[StrEnum], note: str = "") -> Any:
    """--format, its help saying first what it is: `The output: table or json (a note).`"""
    *most, last = [f.value for f in formats]
    choices = f"{', '.join(most)} or {last}" if most else last
    return typer.Option(
        "--format", "-f", help=f"The output: {choices}" + (f" ({note})." if note else ".")
    )


def show_description(text: str, body: Path | None) -> None:
    """The pull request's description a command wrote up: where `--body` put it, or the
    description itself, for a person at a terminal."""
    if body is not None:
        print(f"The pull request's description is in {printable(str(body))}.")
    else:
        print()
        say_markdown(text)

"""The parser's side of the command line: a mistake it catches (an argument missing or too
many, an option unknown or without its value, a command misspelt) is one line and exit 2,
as every bad input is, never Typer's usage box; and help shows an argument a command
needs as such (`STACK`, not `[STACK]`), though the parser lets it be left out so that a
missing one gets the product's own line and the old `--stack` can stand in for it.

`cli.py` makes the app and the rotation group a `Group`, and every command a `Command`.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer._click.exceptions import (  # Typer's own Click
    BadOptionUsage,
    BadParameter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from envkeeper.doors.problems import COMMAND_LINE, Problem
from envkeeper.doors.terminal import tell


class Needed:
    """Marks an argument the command cannot do without, though the parser lets it be left
    out (so that the old `--stack` can stand in for it, and a missing one gets the product's
    own line): `--help` shows it as required, `STACK`, not `[STACK]`."""


NEEDED = Needed()


def _needed(command: Any) -> set[str]:
    """The parameters of `command` marked NEEDED in its function's annotations."""
    callback = getattr(command, "callback", None)
    if callback is None:
        return set()
    hints = typing.get_type_hints(callback, include_extras=True)
    return {name for name, hint in hints.items() if NEEDED in getattr(hint, "__metadata__", ())}


def _arguments(command: Any) -> list[str]:
    """The arguments of `command` as its usage line writes them: `STACK` when it needs one
    (Typer would write `{STACK}`), `[STACK]` when it does without."""
    needed = _needed(command)
    pieces = []
    for param in command.params:
        if isinstance(param, TyperArgument):
            name = param.display_name_raw
            name = name if param.required or param.name in needed else f"[{name}]"
            pieces.append(name + ("..." if param.nargs != 1 else ""))
    return pieces


def _command_path(ctx: Any) -> str:
    """`envkeeper rotation bump`, however the program was started."""
    names = []
    while ctx is not None:
        names.append(ctx.info_name if ctx.parent is not None else "envkeeper")
        ctx = ctx.parent
    return " ".join(reversed(names))


def stack_example(command: str) -> str:
    return f"name the stack, for example: {command} dev"


# What may be repeated of a word the parser refused: an option's or a command's name, never
# a value (which may be anything, pasted into the wrong place).
_OPTION_NAME = re.compile(r"--?[A-Za-z][A-Za-z0-9-]{0,40}")
_COMMAND_NAME = re.compile(r"[a-z][a-z0-9-]{0,40}")


def usage_problem(exc: UsageError, where: Any = None) -> Problem:
    """A mistake the parser caught (in the command of context `where`, when the error does
    not say), as the product's one line: the option or argument, and what to write instead.
    The word refused is repeated only when it is a name."""
    ctx = exc.ctx or where
    command = _command_path(ctx)
    if isinstance(exc, MissingParameter) and isinstance(exc.param, TyperArgument):
        arguments = _arguments(ctx.command) if ctx else []
        if arguments == ["STACK"]:
            return Problem(COMMAND_LINE, "STACK", stack_example(command))
        missing = f"is missing; write {command} {' '.join(arguments)}"
        return Problem(COMMAND_LINE, exc.param.display_name_raw, missing)
    if isinstance(exc, NoSuchOption):
        near = " or ".join(sorted(exc.possibilities or ()))
        fix = f"did you mean {near}?" if near else "see its --help"
        if _OPTION_NAME.fullmatch(exc.option_name):
            return Problem(COMMAND_LINE, exc.option_name, f"not an option of {command}; {fix}")
        return Problem(COMMAND_LINE, "", f"{command} has no such option; {fix}")
    if isinstance(exc, BadOptionUsage):
        if "does not take a value" in exc.message:
            return switch_takes_no_value(exc.option_name)
        return Problem(COMMAND_LINE, exc.option_name, f"needs a value (see {command} --help)")
    if isinstance(exc, BadParameter) and exc.param is not None:
        name = max(exc.param.opts, key=len) if exc.param.opts else exc.param.name or ""
        if isinstance(exc.param, TyperArgument):
            name = exc.param.display_name_raw
        return Problem(COMMAND_LINE, name, f"is not a value {command} takes (see its --help)")
    if exc.message.startswith("Got unexpected extra argument") and ctx is not None:
        arguments = " ".join(_arguments(ctx.command)) or "no argument"
        return Problem(COMMAND_LINE, "", f"{command} takes only {arguments} (see its --help)")
    if exc.message.startswith("Missing command"):
        return Problem(COMMAND_LINE, "COMMAND", f"is missing (see {command} --help)")
    return Problem(COMMAND_LINE, "", f"not what {command} takes (see its --help)")


def _no_such_command(command: str, group: TyperGroup, given: str) -> Problem:
    import difflib

    names = [n for n, c in group.commands.items() if not c.hidden]
    near = " or ".join(difflib.get_close_matches(given, names, n=2))
    fix = f"did you mean {near}?" if near else "see its --help"
    if _COMMAND_NAME.fullmatch(given):
        return Problem(COMMAND_LINE, given, f"not a command of {command}; {fix}")
    return Problem(COMMAND_LINE, "COMMAND", f"{command} has no such command; {fix}")


@contextmanager
def _usage_in_one_line(ctx: Any) -> Iterator[None]:
    """A mistake the parser catches ends as every bad input does: one line, exit 2 (not
    Typer's usage box). A group's own `--help` for no arguments at all stays as it is."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except UsageError as exc:
        tell(str(usage_problem(exc, ctx)))
        raise typer.Exit(2) from None


def switch_takes_no_value(switch: str) -> Problem:
    """`--dry-run true` or `--dry-run=true`: the one line for a value given to a switch."""
    return Problem(
        COMMAND_LINE, switch, f"takes no value; write {switch} alone (it is on when given)"
    )


def _switches_shown_bare(params: list[Any]) -> list[Any]:
    """Every switch (`--dry-run`, `--help`) with no metavar: it takes no value, so help shows
    none, not `<bool>`."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag:
            param.metavar = ""
    return params


class Group(TyperGroup):
    """envkeeper and its `rotation`: the parser's mistakes in one line (this group's own, and
    every command's under it, which it invokes)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _usage_in_one_line(ctx):
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        with _usage_in_one_line(ctx):
            return super().invoke(ctx)

    def get_params(self, ctx: Any) -> list[Any]:
        return _switches_shown_bare(super().get_params(ctx))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            if not (args and exc.message.startswith("No such command")):
                raise
            tell(str(_no_such_command(_command_path(ctx), self, args[0])))
            raise typer.Exit(2) from None


class Command(TyperCommand):
    """A command whose help shows the arguments it needs as such, and whose parser's
    mistakes are one line."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _usage_in_one_line(ctx):
            return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        return [*([self.options_metavar] if self.options_metavar else []), *_arguments(self)]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        # Marked required while help is written: the Arguments panel stars them too.
        needed = _needed(self)
        shown = [p for p in self.params if p.name in needed and not p.required]
        for param in shown:
            param.required = True
        try:
            super().format_help(ctx, formatter)
        finally:
            for param in shown:
                param.required = False

    def get_params(self, ctx: Any) -> list[Any]:
        return _switches_shown_bare(super().get_params(ctx))

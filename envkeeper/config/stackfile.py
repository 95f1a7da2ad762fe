"""Reading `Pulumi.<stack>.yaml` (and, later, editing it in place without losing a byte).

Dates are kept as the strings they are written as: Pulumi hands config to the program as
strings, and a date such as 2026-02-30 must be reported, not crash the YAML loader.
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.resolver import VersionedResolver

from envkeeper.doors.problems import Problem, UserError
from envkeeper.doors.reading import display_path, read_named, read_text
from envkeeper.doors.redaction import hidden
from envkeeper.doors.stack_name import parse_stack_name

NAMESPACE = "envkeeper"
PROJECT_FILE = "Pulumi.yaml"


class _DatesAsStrings(VersionedResolver):
    """A resolver that never turns a scalar into a date, so dates round-trip as written."""

    def add_version_implicit_resolver(
        self, version: Any, tag: Any, regexp: Any, first: Any
    ) -> None:
        if str(tag).endswith(":timestamp"):
            return
        super().add_version_implicit_resolver(version, tag, regexp, first)


def round_trip_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Resolver = _DatesAsStrings
    yaml.preserve_quotes = True
    return yaml


@dataclass
class StackConfig:
    """The config of one stack, split into plain values and secure keys.

    `values` never holds a secure value: those are only known by key, so nothing built from
    a StackConfig can print one.
    """

    origin: str  # what to call the source in an error line (a file name)
    values: dict[str, Any] = field(default_factory=dict)
    secure: set[str] = field(default_factory=set)
    # Keys whose value comes from the project file, which their error lines must name.
    project_keys: set[str] = field(default_factory=set)
    project_origin: str = PROJECT_FILE

    def origin_of(self, key: str) -> str:
        return self.project_origin if key in self.project_keys else self.origin

    def namespace(self, ns: str = NAMESPACE) -> dict[str, Any]:
        prefix = f"{ns}:"
        return {k[len(prefix) :]: v for k, v in self.values.items() if k.startswith(prefix)}


def short_stack_name(stack: str) -> str:
    """`prod` for `prod`, `example-org/prod` and `example-org/envkeeper/prod`: Pulumi names
    a stack's file by the last part of its name."""
    return stack.rsplit("/", 1)[-1]


def stack_file(project_dir: Path, stack: str) -> Path:
    return project_dir / f"Pulumi.{short_stack_name(stack)}.yaml"


def _stack_files(project_dir: Path) -> list[Path]:
    """Every `Pulumi.<stack>.yaml` of the project, whatever it is: a file, a link (dangling
    or not), a folder. Reading one that is no stack file stops the command and names it:
    left out, its stack would silently escape every check, and production would delete
    that stack's GitHub environments."""
    return sorted(project_dir.glob("Pulumi.*.yaml"))


def stack_names(project_dir: Path) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` in the project, by name."""
    return [p.name[len("Pulumi.") : -len(".yaml")] for p in _stack_files(project_dir)]


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str)


_DUPLICATE_KEY = re.compile(r'found duplicate key "([^"]*)"')
# Quoted text of the file in a parser message; a character or two (a tab) says no secret.
_QUOTED = re.compile(r"\"[^\"]{3,}\"|'[^']{3,}'")


def _yaml_problem(exc: MarkedYAMLError) -> tuple[str, str]:
    """(where, what to do) for a file YAML cannot read. The parser's own words can quote
    the file's text, which may be a secret pasted in the wrong place: they are never
    repeated as they are."""
    mark = exc.problem_mark
    where = f"line {mark.line + 1}" if mark else ""
    duplicate = _DUPLICATE_KEY.match(exc.problem or "")
    if isinstance(exc, DuplicateKeyError) and duplicate:
        key = duplicate.group(1)  # a key, never the values it holds
        return where, (
            f"{key} is written twice; merge this one into the first {key} above and delete it"
        )
    context = exc.context_mark
    if context is not None and "quoted scalar" in (exc.context or ""):
        # The parser only notices at the end of the file; the quote opened here.
        return f"line {context.line + 1}", "a quote opened on this line is never closed"
    problem = _QUOTED.sub("…", exc.problem or "invalid YAML").strip()
    column = f", column {mark.column + 1}" if mark else ""
    return where + column, f"not valid YAML ({problem}); fix the indentation or quoting there"


def _first_alias(yaml: YAML, text: str) -> int | None:
    """The line (one-based) of the file's first YAML anchor or alias, if it has one.

    Read from the parser's events, before anything is built: a few hundred bytes of nested
    aliases expand to millions of values, and every `up` reads every sibling stack file."""
    for event in yaml.parse(text):
        if isinstance(event, AliasEvent) or getattr(event, "anchor", None) is not None:
            return event.start_mark.line + 1
    return None


@functools.lru_cache(maxsize=64)
def _parsed(text: str) -> tuple[int | None, Any]:
    """(the line of the first anchor or alias, None) for a file that has one, else (None,
    the document). `plan` reads each stack file several times (its own checks, the
    program's, the other stacks' isolation), and round-trip parsing is most of its
    start-up: once per text. The document is only read, never edited (edits parse their
    own copy)."""
    yaml = round_trip_yaml()
    line = _first_alias(yaml, text)
    return (line, None) if line is not None else (None, yaml.load(text))


def _config_section(path: Path, what: str) -> dict[Any, Any]:
    """The `config:` mapping of a Pulumi YAML file, or a UserError naming the problem."""
    name = display_path(path)
    # Read no more than the limit: a huge file (a log saved under the stack file's name)
    # once took minutes to parse, with no word said.
    data = read_named(path, f"{what} holds settings and encrypted secrets, a few kilobytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # Never the byte itself, nor the text around it: it may be part of a secret.
        line = data[: exc.start].count(b"\n") + 1
        raise UserError.one(
            name,
            f"line {line}",
            "is not UTF-8 text; save the file as UTF-8 (an editor set to Latin-1 wrote it)",
        ) from None
    try:
        line, document = _parsed(text)
        if line is not None:
            raise UserError.one(
                name,
                f"line {line}",
                "uses a YAML anchor or alias (&name, *name or <<:); write the value out in "
                "full: envkeeper reads no anchors or aliases",
            )
    except MarkedYAMLError as exc:
        where, fix = _yaml_problem(exc)
        raise UserError.one(name, where, fix) from None
    except YAMLError as exc:
        raise UserError.one(
            name, "", f"not valid YAML ({type(exc).__name__}); fix the file's syntax"
        ) from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise UserError.one(name, "(top level)", f"{what} is a mapping with a `config:` key")
    config = document.get("config", {}) or {}
    if not isinstance(config, dict):
        raise UserError.one(name, "config", "must be a mapping of `namespace:key: value` entries")
    return config


def load_stack_file(path: Path) -> StackConfig:
    name = display_path(path)
    if path.is_dir():
        raise UserError.one(
            name, "", "is a folder, not a stack file; rename or remove it, or name another stack"
        )
    if path.is_symlink() and not path.exists():
        raise UserError.one(
            name, "", "is a link to nothing; point it at the stack file, or remove it"
        )
    if path.exists() and not path.is_file():
        raise UserError.one(name, "", "is not a regular file; replace it with the stack file")
    if not path.is_file():
        stacks = [p.name for p in _stack_files(path.parent) if p.is_file()]
        known = ", ".join(stacks) if stacks else "none"
        asked = path.name[len("Pulumi.") : -len(".yaml")]
        names = [s[len("Pulumi.") : -len(".yaml")] for s in stacks]
        close = [n for n in names if n.lower() == asked.lower()] or difflib.get_close_matches(
            asked.lower(), names, n=1, cutoff=0.6
        )
        hint = f"did you mean {close[0]}? " if close else ""
        raise UserError.one(
            name,
            "",
            f"no such stack file; {hint}stack files here: {known}; "
            "create one with `pulumi stack init` or copy Pulumi.dev.yaml",
        )
    result = StackConfig(origin=name)
    section = _config_section(path, "a stack file")
    problems = _secret_shaped_keys(name, section) or [
        p for key in section if (p := _key_problem(name, str(key), path.parent))
    ]
    if problems:
        raise UserError(problems)
    for key, value in section.items():
        key = str(key)
        if _is_secure(value):
            result.secure.add(key)
        else:
            result.values[key] = _plain(value)
    return result


def project_name(project_dir: Path) -> str:
    """The project's name, which Pulumi gives a stack-file key written without a namespace
    and which a fully qualified stack name must carry."""
    try:
        return _name_in(read_text(project_dir / PROJECT_FILE, "Pulumi.yaml names the project"))
    except UserError:
        return NAMESPACE  # no readable Pulumi.yaml: the command that needs one says so


@functools.lru_cache(maxsize=8)
def _name_in(text: str) -> str:
    """`name:` of a project file's text. Every stack name and every stack file a command
    reads asks for it: parsed once per text."""
    try:
        return str(round_trip_yaml().load(text)["name"])
    except (YAMLError, KeyError, TypeError):
        return NAMESPACE


def _secret_shaped_keys(origin: str, section: Any, depth: int = 0) -> list[Problem]:
    """A key, at any depth, shaped like a secret: a value pasted where a name belongs. Said
    by its line (the key itself is never repeated), so it can be found and deleted."""
    found: list[Problem] = []
    if not isinstance(section, dict) or depth > 4:
        return found
    for key, value in section.items():
        text = str(key)
        if hidden(text) != text:
            line = _line_of(section, key)
            found.append(
                Problem(
                    origin,
                    f"line {line}" if line else "a key",
                    "is a key shaped like a secret (a value pasted where a name belongs); "
                    "delete the line and treat the value as leaked",
                )
            )
        else:
            found += _secret_shaped_keys(origin, value, depth + 1)
    return found


def _line_of(mapping: Any, key: Any) -> int | None:
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (AttributeError, KeyError, TypeError, IndexError):
        return None


def _key_problem(origin: str, key: str, project_dir: Path) -> Problem | None:
    """A stack-file key Pulumi reads otherwise than it is written, or refuses."""
    if key.count(":") == 1:
        return None
    if ":" not in key:
        # Pulumi reads it as the project's own key: say which, so the file says what it means.
        meant = f"{project_name(project_dir)}:{key}"
        return Problem(
            origin,
            key,
            f"has no namespace, so Pulumi reads it as {meant}; write the namespace it belongs "
            f"to ({meant}, or a provider's, e.g. cloudflare:{key})",
        )
    return Problem(
        origin,
        key,
        "is not a key Pulumi can read (it refuses the whole file); write it as namespace:name",
    )


# Keys only the project file may set: every stack must see the same value.
PROJECT_ONLY_KEYS = (f"{NAMESPACE}:secrets",)


def project_config(project_dir: Path) -> dict[str, Any]:
    """The namespaced config `Pulumi.yaml` sets for every stack, as Pulumi reads it."""
    path = project_dir / PROJECT_FILE
    if not path.is_file():
        return {}
    values: dict[str, Any] = {}
    for key, value in _config_section(path, "a Pulumi project file").items():
        key = str(key)
        if ":" not in key:
            continue  # the project's own typed config schema, not a value
        if isinstance(value, dict) and set(value) == {"value"}:
            value = value["value"]  # the long form `key: {value: ...}`
        values[key] = _plain(value)
    return values


def refuse_project_only_keys(stack_config: StackConfig) -> None:
    """A stack file that sets a key only Pulumi.yaml may set is refused."""
    for key in PROJECT_ONLY_KEYS:
        if key in stack_config.values or key in stack_config.secure:
            raise UserError.one(
                stack_config.origin,
                key,
                f"belongs in {PROJECT_FILE}, so every stack shares one catalog; move it there "
                "(a stack file may not redefine a declared secret)",
            )


# Keys a provider read under another name before: set, they would be silently ignored.
RENAMED_KEYS = {
    # The native pulumi-neon beta read `api_key`; the bridged Neon provider reads `apiKey`.
    "neon:api_key": "neon:apiKey",
}


def refuse_renamed_keys(stack_config: StackConfig) -> None:
    """A stack file that still sets a key by its old name is refused, with the new name."""
    for old, new in RENAMED_KEYS.items():
        if old in stack_config.values or old in stack_config.secure:
            raise UserError.one(
                stack_config.origin,
                old,
                f"is no longer read (the provider reads {new}); set the value again as {new} "
                f"with `pulumi config set --secret {new}`, then `pulumi config rm {old}`",
            )


def load_config(project_dir: Path, stack: str) -> StackConfig:
    """One stack's config as `pulumi up` sees it: Pulumi.yaml's values, then the stack
    file's on top. A key only the project file may set is refused in a stack file."""
    stack = parse_stack_name(stack, project_name(project_dir)).given
    config = load_stack_file(stack_file(project_dir, stack))
    refuse_project_only_keys(config)
    refuse_renamed_keys(config)
    shared = project_config(project_dir)
    for key, value in shared.items():
        if key not in config.values and key not in config.secure:
            config.values[key] = value
    config.project_keys = {k for k in shared if k in PROJECT_ONLY_KEYS}
    config.project_origin = display_path(project_dir / PROJECT_FILE)
    return config


# `pulumi config set` rewrites the file through a YAML library that takes an unquoted
# `2026-10-05` for a timestamp and writes it back as Go prints one; the engine hands it to
# the program in the same form. Both mean the date.
ENGINE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2}) 00:00:00 \+0000 UTC")


def undo_engine_dates(value: Any) -> Any:
    """`value` with every date Pulumi rewrote back in its YYYY-MM-DD form."""
    if isinstance(value, dict):
        return {k: undo_engine_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [undo_engine_dates(v) for v in value]
    if isinstance(value, str) and (match := ENGINE_DATE.fullmatch(value)):
        return match.group(1)
    return value


def _plain(value: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists, as Pulumi would pass them."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return undo_engine_dates(str(value))
    return value

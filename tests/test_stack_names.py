"""A stack name is `NAME` or `ORG/<this project>/NAME`, for every command: never a path,
never another project's stack, and each stack once.

Written from the attacker's side: `validate ../prod` acted on prod, `prod/../dev` on dev,
and `myorg/otherproject/dev` passed dev's local-development check against this project's
file and then read the other project's outputs. The commands are the Typer app's own, so
a command added later that takes a stack some other way fails here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from envkeeper.doors.problems import UserError
from envkeeper.doors.stack_name import parse_stack_name, unique
from tests.test_canaries import APP_COMMANDS

# Each command with the stack as `{stack}`; the rest of its line as a user would write it.
TAKES_A_STACK: dict[str, list[str]] = {
    "validate": ["validate", "{stack}"],
    "plan": ["plan", "{stack}"],
    "wrangler-vars": ["wrangler-vars", "{stack}"],
    "dev-vars": ["dev-vars", "{stack}", "--output", "{tmp}/.dev.vars"],
    "run": ["run", "{stack}", "--", "true"],
    "rotation status": ["rotation", "status", "{stack}"],
    "rotation bump": ["rotation", "bump", "{stack}", "DATABASE_URL_READONLY"],
    "rotation autopilot": ["rotation", "autopilot", "{stack}"],
    "emergency": ["emergency", "{stack}"],
    "offboard": ["offboard", "{stack}"],
    "access-review": ["access-review", "{stack}"],
    "orphans": ["orphans", "{stack}"],
    "recover": ["recover", "{stack}"],
    "preview-plan": ["preview-plan", "{stack}", "{tmp}/plan"],
    "apply-plan": ["apply-plan", "{stack}", "{tmp}/plan"],
    "drift-report": ["drift-report", "{tmp}/preview.json", "--stack", "{stack}"],
}

NOT_STACKS = [
    "../prod",
    "prod/../dev",
    "./prod",
    "a/b/c/dev",
    "myorg/otherproject/dev",
    "myorg/prod",
    "..",
    "/etc/passwd",
    "dev\nprod",
    "sk_live CANARY pasted here",
]


def test_every_command_that_takes_a_stack_is_here() -> None:
    assert set(TAKES_A_STACK) == set(APP_COMMANDS)


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("given", NOT_STACKS)
@pytest.mark.parametrize("command", sorted(TAKES_A_STACK))
def test_a_name_that_is_not_a_stack_of_this_project_is_one_line_and_changes_nothing(
    cli: Any, project: Path, tmp_path: Path, command: str, given: str
) -> None:
    (tmp_path / "preview.json").write_text(json.dumps({"steps": [], "diagnostics": []}))
    args = [a.format(stack=given, tmp=tmp_path) for a in TAKES_A_STACK[command]]
    before = snapshot(project)
    result = cli(*args)
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    # Named as it was given: the positional STACK, or an option.
    given_as = "--stack" if "--stack" in TAKES_A_STACK[command] else "STACK"
    assert line.startswith(f"(command line): {given_as}: is not a stack name of this project"), line
    assert "envkeeper/NAME" in line
    assert given not in line and "CANARY" not in line
    assert result.stdout == ""
    assert snapshot(project) == before
    assert not (tmp_path / ".dev.vars").exists()


# The old form, the stack given by --stack, of the commands that still take it.
OLD_FORMS = {
    "emergency": ["emergency", "--stack", "{stack}", "--dry-run"],
    "access-review": ["access-review", "--stack", "{stack}"],
    "rotation bump": ["rotation", "bump", "DATABASE_URL_READONLY", "--stack", "{stack}"],
    "emergency -s": ["emergency", "-s", "{stack}", "--dry-run"],
}


@pytest.mark.parametrize("given", ["../prod", "Pulumi.prod.yaml", "myorg/otherproject/dev"])
@pytest.mark.parametrize("command", sorted(OLD_FORMS))
def test_a_bad_name_given_by_the_stack_option_names_the_option(
    cli: Any, project: Path, command: str, given: str
) -> None:
    before = snapshot(project)
    result = cli(*[a.format(stack=given) for a in OLD_FORMS[command]])
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()  # no note first, repeating the name
    assert line.startswith("(command line): --stack: "), line
    assert "STACK" not in line and given not in line.replace("Pulumi.prod.yaml is", "")
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("given", "short"),
    [("prod", "prod"), ("example-org/envkeeper/prod", "prod"), ("qa.eu-1", "qa.eu-1")],
)
def test_a_name_or_this_projects_qualified_name_is_a_stack(given: str, short: str) -> None:
    name = parse_stack_name(given, "envkeeper")
    assert (name.short, name.given) == (short, given)


def test_another_projects_qualified_name_is_refused() -> None:
    with pytest.raises(UserError):
        parse_stack_name("example-org/envkeeper/prod", "another-project")


def test_the_qualified_name_is_what_pulumi_is_told(cli: Any) -> None:
    result = cli("rotation", "status", "example-org/envkeeper/dev", "--format", "json")
    assert result.exit_code in (0, 1), result.output
    assert {row["stack"] for row in json.loads(result.stdout)["secrets"]} == {
        "example-org/envkeeper/dev"
    }


def test_each_stack_is_reported_once(cli: Any) -> None:
    once = json.loads(cli("rotation", "status", "dev", "--format", "json").stdout)["secrets"]
    named_thrice = cli(
        "rotation", "status", "dev", "dev", "example-org/envkeeper/dev", "--format", "json"
    )
    assert json.loads(named_thrice.stdout)["secrets"] == once


def test_unique_keeps_the_first_of_each_stack() -> None:
    names = [parse_stack_name(n, "p") for n in ("dev", "o/p/dev", "prod", "dev")]
    assert [n.given for n in unique(names)] == ["dev", "prod"]


# A value pasted where a secret's name goes: never repeated, in a note or in the error.
PASTED = ["CANARY pasted value", "CANARYx9Kq2LmN4pR7sT1vW3yZ", "CANARY=value"]


@pytest.mark.parametrize("pasted", PASTED)
@pytest.mark.parametrize(
    "args",
    [
        ["rotation", "bump", "dev", "{}"],
        ["rotation", "bump", "{}", "--stack", "dev"],
        ["emergency", "dev", "--secret", "{}", "--dry-run"],
    ],
)
def test_a_value_where_a_secret_name_goes_is_never_repeated(
    cli: Any, project: Path, args: list[str], pasted: str
) -> None:
    before = snapshot(project)
    result = cli(*[a.format(pasted) for a in args])
    assert result.exit_code == 2, result.output
    assert "CANARY" not in result.output + result.stderr
    assert "is not a secret's name" in " ".join(result.stderr.split())
    assert snapshot(project) == before


def test_a_misspelt_secret_name_is_repeated(cli: Any) -> None:
    result = cli("rotation", "bump", "dev", "DATABASE_URLX")
    assert result.exit_code == 2
    assert "unknown secret DATABASE_URLX" in " ".join(result.stderr.split())

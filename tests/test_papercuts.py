"""Small things a new user tripped over: each is one clear line, or output that says what
it means."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envkeeper.config.clock import utc_today
from tests.conftest import pinned_env


def one_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "╭" not in result.output  # no Typer box
    (line,) = result.stderr.splitlines()
    return line


def test_a_window_that_is_no_number_is_one_line_that_does_not_repeat_it(cli: Any) -> None:
    line = one_line(cli("rotation", "autopilot", "--within", "abc"))
    assert line == "(command line): --within: is not a whole number of days, 0 to 366"


def test_the_old_bump_form_says_the_whole_new_command(cli: Any) -> None:
    result = cli("rotation", "bump", "prod", "DATABASE_URL_READONLY", "--stack", "prod")
    assert result.exit_code == 0, result.output
    assert (
        "note: --stack is going away; write the stack first: "
        "envkeeper rotation bump prod DATABASE_URL_READONLY"
    ) in result.stderr


def test_a_second_bump_on_one_day_says_tomorrow_not_a_later_date(cli: Any) -> None:
    assert cli("rotation", "bump", "dev", "DATABASE_URL_READONLY").exit_code == 0
    line = one_line(cli("rotation", "bump", "dev", "DATABASE_URL_READONLY"))
    assert f"was rotated today already ({utc_today()})" in line
    assert "bump it again tomorrow (UTC)" in line
    assert "use a later --date" not in line


@pytest.mark.parametrize(
    "command",
    [["rotation", "autopilot"], ["emergency", "dev"], ["offboard", "dev"]],
    ids=["autopilot", "emergency", "offboard"],
)
def test_dry_run_is_a_switch_in_help_and_refuses_a_value(
    cli: Any, project: Path, command: list[str]
) -> None:
    help_text = cli(*command[:2], "--help").stdout
    (row,) = [line for line in help_text.splitlines() if "--dry-run" in line]
    assert "<bool>" not in row
    before = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    line = one_line(cli(*command, "--dry-run", "true"))
    assert line == (
        "(command line): --dry-run: takes no value; write --dry-run alone (it is on when given)"
    )
    assert {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == before


def test_a_status_as_of_a_day_before_the_keeper_dates_warns(cli: Any) -> None:
    result = cli("rotation", "status", "dev", "--today", "2020-01-01")
    assert result.exit_code == 0
    assert result.stderr.startswith(
        "warning: --today 2020-01-01 is before the keeper date of 14 of 14 secrets"
    )
    assert cli("rotation", "status", "dev", "--today", "2026-11-28").stderr == ""


def test_a_setting_written_as_a_secret_is_one_line(cli: Any, project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(
        path.read_text().replace(
            "  envkeeper:environment: staging\n",
            "  envkeeper:environment:\n    secure: v1:CANARY-encrypted-setting\n",
        )
    )
    line = one_line(cli("validate", "staging"))
    assert line == (
        f"{path}: envkeeper:environment: is a setting, not a secret, and is written in clear: "
        "`pulumi config set --stack staging envkeeper:environment VALUE` (without --secret)"
    )


def test_a_file_that_is_not_utf8_says_so_and_where(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_bytes(path.read_bytes().replace(b"# Dev:", b"# D\xe9v:"))
    line = one_line(cli("validate", "dev"))
    assert line.startswith(f"{path}: line 1: is not UTF-8 text; save the file as UTF-8")
    assert "UnicodeDecodeError" not in line and "\\xe9" not in line


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "region",
            "region: has no namespace, so Pulumi reads it as envkeeper:region; write the "
            "namespace it belongs to (envkeeper:region, or a provider's, e.g. cloudflare:region)",
        ),
        (
            "aws:eu:region",
            "aws:eu:region: is not a key Pulumi can read (it refuses the whole file); write it "
            "as namespace:name",
        ),
    ],
)
def test_a_key_pulumi_reads_otherwise_is_one_line(
    cli: Any, project: Path, key: str, message: str
) -> None:
    # Pulumi 3.274 reads a stack-file key with no namespace as the project's own
    # (envkeeper:region), and refuses the file for a key with two colons.
    path = project / "Pulumi.prod.yaml"
    path.write_text(path.read_text().replace("config:\n", f"config:\n  {key}: us-east-1\n", 1))
    assert one_line(cli("validate", "prod")) == f"{path}: {message}"


def test_at_60_columns_plan_keeps_each_command_whole(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = cli("plan", "dev").stdout
    commands = [line for line in out.splitlines() if "pulumi config set" in line]
    assert commands
    assert all(line.split()[-1].count(":") == 1 for line in commands)  # the key is on it
    assert "  pulumi config set --secret --stack dev envkeeper:stripeAdminKey" in commands


def test_at_60_columns_the_status_note_names_every_column_it_dropped(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = cli("rotation", "status", "prod", "--today", "2026-11-28").stdout
    assert "Active" not in out
    note = " ".join(out.split("(", 1)[1].split(")", 1)[0].split())
    assert note.startswith("last rotated, every, slots, active, standby: left out to fit 60")


@pytest.mark.parametrize("group", [(), ("rotation",)], ids=["envkeeper", "rotation"])
def test_the_command_list_keeps_each_description_whole(group: tuple[str, ...]) -> None:
    # A docstring's line breaks once reached the command list (rich keeps them), breaking
    # sentences mid-way. On a wide terminal each command's description is one line.
    envkeeper = str(Path(sys.executable).parent / "envkeeper")
    env = {**os.environ, "COLUMNS": "400", "TERM": "dumb"}
    shown = subprocess.run([envkeeper, *group, "--help"], capture_output=True, text=True, env=env)
    assert shown.returncode == 0, shown.stderr
    # The rows of every panel of commands (envkeeper's are headed by their module's PANEL).
    rows, inside = [], False
    for line in shown.stdout.splitlines():
        if line.startswith("╭─"):
            inside = not any(w in line for w in ("Options", "Arguments"))
        elif line.startswith("╰"):
            inside = False
        elif inside:
            rows.append(line.strip(" │"))
    assert len(rows) >= 3
    # Every row starts with a command's name: no row continues the one before.
    assert all(not row.startswith(" ") and "  " in row for row in rows), rows


@pytest.mark.parametrize(
    "command",
    [
        ("emergency", "prod", "--dry-run"),
        ("emergency", "dev", "--dry-run"),
        ("rotation", "bump", "prod", "DATABASE_URL"),
        ("rotation", "bump", "prod", "STRIPE_SECRET_KEY"),
    ],
    ids=" ".join,
)
def test_prose_fits_80_columns_when_piped(project: Path, command: tuple[str, ...]) -> None:
    # The playbook once printed lines of 727 columns into CI logs and terminals alike.
    envkeeper = str(Path(sys.executable).parent / "envkeeper")
    env = {k: v for k, v in pinned_env().items() if k != "COLUMNS"}
    done = subprocess.run(
        [envkeeper, *command], cwd=project, capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    long = [ln for ln in done.stdout.splitlines() if len(ln) > 80 and " " in ln.strip()]
    assert long == []
    assert len(done.stdout.splitlines()) > 3


def test_a_command_in_prose_is_never_broken_so_it_copies_whole(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from envkeeper.doors.terminal import say

    monkeypatch.setenv("COLUMNS", "40")
    command = "    pulumi config set --secret --stack example-org/envkeeper/dev github:token"
    say(f"needed before pulumi up, with a sentence long enough to wrap:\n{command}")
    lines = capsys.readouterr().out.splitlines()
    assert command in lines  # whole, on its own line
    assert all(len(line) <= 40 for line in lines if line != command)


# Commands that need a stack, and the arguments their usage line shows.
NEEDED_ARGUMENTS = {
    "validate": "STACK",
    "plan": "STACK",
    "wrangler-vars": "STACK",
    "dev-vars": "STACK",
    "run": "STACK COMMAND...",
    "rotation bump": "STACK SECRET",
    "emergency": "STACK",
    "offboard": "STACK...",
    "access-review": "STACK",
    "orphans": "STACK",
    "recover": "STACK",
    "preview-plan": "STACK FOLDER",
    "apply-plan": "STACK FOLDER",
    "rotation status": "[STACK]...",  # every stack file when none is named
    "rotation autopilot": "[STACK]...",
    "drift-report": "PREVIEW",
}


def test_every_command_that_takes_arguments_is_here() -> None:
    from tests.test_stack_names import TAKES_A_STACK

    assert set(NEEDED_ARGUMENTS) == set(TAKES_A_STACK)


@pytest.mark.parametrize("command", sorted(NEEDED_ARGUMENTS))
def test_help_shows_what_a_command_needs_as_required(
    cli: Any, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # `[STACK]` read as "may be left out" to a newcomer, and Typer's `{STACK}` as a set.
    monkeypatch.setenv("COLUMNS", "80")
    shown = cli(*command.split(), "--help")
    assert shown.exit_code == 0, shown.output
    (usage,) = [line.strip() for line in shown.stdout.splitlines() if "Usage:" in line]
    assert usage == f"Usage: envkeeper {command} [OPTIONS] {NEEDED_ARGUMENTS[command]}"


# A mistake the parser catches, and the one line it gets (never Typer's usage box).
USAGE_MISTAKES = [
    (["plan"], "(command line): STACK: name the stack, for example: envkeeper plan dev"),
    (["orphans"], "(command line): STACK: name the stack, for example: envkeeper orphans dev"),
    (
        ["preview-plan", "dev"],
        "(command line): FOLDER: is missing; write envkeeper preview-plan STACK FOLDER",
    ),
    (["plan", "dev", "prod"], "(command line): envkeeper plan takes only STACK (see its --help)"),
    (
        ["plan", "dev", "--formt", "json"],
        "(command line): --formt: not an option of envkeeper plan; did you mean --format?",
    ),
    (
        ["validate", "dev", "--nope"],
        "(command line): --nope: not an option of envkeeper validate; see its --help",
    ),
    (
        ["rotation", "status", "--today"],
        "(command line): --today: needs a value (see envkeeper rotation status --help)",
    ),
    (["plna", "dev"], "(command line): plna: not a command of envkeeper; did you mean plan?"),
    (
        ["rotation", "stat"],
        "(command line): stat: not a command of envkeeper rotation; did you mean status?",
    ),
    (["--project-dir"], "(command line): --project-dir: needs a value (see envkeeper --help)"),
    # What may be a value pasted into the wrong place is never repeated.
    (
        ["plan", "dev", "--CANARY_pasted_here"],
        "(command line): envkeeper plan has no such option; see its --help",
    ),
    (
        ["CANARY pasted here"],
        "(command line): COMMAND: envkeeper has no such command; see its --help",
    ),
]


@pytest.mark.parametrize(
    ("args", "line"), USAGE_MISTAKES, ids=[" ".join(a) for a, _ in USAGE_MISTAKES]
)
def test_a_usage_mistake_is_one_line_of_80_columns_in_process(
    cli: Any, monkeypatch: pytest.MonkeyPatch, args: list[str], line: str
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*args)
    assert one_line(result) == line
    assert len(line) <= 80 and result.stdout == ""


@pytest.mark.parametrize(
    ("args", "line"), USAGE_MISTAKES, ids=[" ".join(a) for a, _ in USAGE_MISTAKES]
)
def test_a_usage_mistake_is_one_line_of_80_columns_from_the_entry_point(
    project: Path, args: list[str], line: str
) -> None:
    envkeeper = str(Path(sys.executable).parent / "envkeeper")
    env = {k: v for k, v in pinned_env().items() if k != "COLUMNS"}
    done = subprocess.run([envkeeper, *args], cwd=project, capture_output=True, text=True, env=env)
    assert done.returncode == 2, done.stderr
    said = [ln for ln in done.stderr.splitlines() if not ln.startswith("note: today is")]
    assert said == [line] and done.stdout == ""


def test_help_and_no_arguments_still_show_help(cli: Any) -> None:
    assert cli("--help").exit_code == 0 and "Usage: envkeeper" in cli("--help").stdout
    assert cli("rotation", "bump", "--help").exit_code == 0
    bare = cli("rotation")
    assert bare.exit_code == 2 and "Usage: envkeeper rotation" in bare.output
    assert "Traceback" not in bare.output


def test_no_help_shows_a_type_after_a_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    # `--help <bool>` read as if it took a value.
    from typer.testing import CliRunner

    from envkeeper.cli import app
    from tests.test_bad_targets import _commands

    for command in {name for name, _ in _commands(app)}:
        shown = CliRunner().invoke(app, [*command.split(), "--help"], env={"COLUMNS": "80"})
        assert shown.exit_code == 0, (command, shown.output)
        assert "<bool>" not in shown.stdout, command
        assert "--help " in shown.stdout


def help_rows(text: str) -> dict[str, str]:
    """Each option's row of a --help panel, its wrapped lines joined: option -> its text."""
    rows: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        cells = line.strip("│ ╭╰─").strip()
        if cells.startswith("--"):
            current = cells.split()[0]
            rows[current] = cells
        elif current and line.startswith("│") and cells:
            rows[current] += " " + cells
        else:
            current = None
    return {k: " ".join(v.split()) for k, v in rows.items()}


@pytest.mark.parametrize(
    "command",
    ["plan", "wrangler-vars", "rotation status", "rotation autopilot", "access-review", "orphans"],
)
def test_format_help_says_what_the_option_is_first(
    cli: Any, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    # It read `--format  mermaid is a flowchart for a PR (table, json, mermaid)`.
    monkeypatch.setenv("COLUMNS", "80")
    row = help_rows(cli(*command.split(), "--help").stdout)["--format"]
    assert row.split("<str>", 1)[1].strip().startswith("The output: "), row


def test_help_sentences_a_newcomer_reads(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    # The project's folder is found here or above, not only above.
    assert "here or above" in help_rows(cli("--help").stdout)["--project-dir"]
    # `STACK...` in the middle of a sentence read as if it trailed off.
    assert "read in STACK..." not in " ".join(cli("offboard", "--help").stdout.split())
    assert "read in STACK..." not in " ".join(cli("--help").stdout.split())
    # A switch that takes a value per use names the value, as --keep-env NAME does.
    assert help_rows(cli("emergency", "--help").stdout)["--secret"].startswith("--secret NAME ")
    for command in ("emergency", "access-review", "rotation bump"):
        row = help_rows(cli(*command.split(), "--help").stdout)["--stack"]
        assert row.endswith("name the stack first instead."), row

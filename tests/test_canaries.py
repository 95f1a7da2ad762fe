"""Secret values never appear in clear: not in any plan format, stack output, input or log.

Every secret input gets a distinctive canary, and generated values get a canary prefix.
The canaries are first shown to reach the program (so the test can fail), then searched
for everywhere a person or a log could read them.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import pytest
import typer.core
import typer.main
from rich.console import Console

from envkeeper.cli import app
from envkeeper.offline.plan import build_plan
from envkeeper.offline.program import ProgramRun, redact, unwrap_all
from envkeeper.offline.render import as_json, as_mermaid, as_table
from envkeeper.stack.settings import missing_secrets
from tests.conftest import PROJECT, STACKS
from tests.declared_project import declare
from tests.programs import canaries, environment_secrets, load, run
from tests.pulumi_standin import StandInPulumi

GENERATED = "CANARY-generated-"


def readable_text(result: ProgramRun) -> dict[str, str]:
    """Everything an engine would show in clear, by where it would show it."""
    places = {
        "stack outputs": json.dumps(redact(result.stack_outputs)),
        "logs": "\n".join(result.logs),
    }
    for reg in result.registrations:
        places[f"inputs of {reg.urn}"] = json.dumps(redact(reg.inputs))
        places[f"outputs of {reg.urn}"] = json.dumps(redact(reg.outputs))
        # An id is kept and shown in clear (the state, the console, a preview's [id=...]).
        places[f"id of {reg.urn}"] = reg.id
    for urn, outputs in result.component_outputs.items():
        places[f"outputs of {urn}"] = json.dumps(redact(outputs))
    return places


def leaks(places: dict[str, str], secrets: list[str]) -> list[str]:
    return [
        f"{secret} in {where}"
        for where, text in places.items()
        for secret in secrets
        if secret in text
    ]


@pytest.mark.parametrize("declared", [False, True], ids=["shipped", "with-declared-secrets"])
@pytest.mark.parametrize("stack", STACKS)
def test_no_canary_in_clear_anywhere(
    stack: str, declared: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = PROJECT
    if declared:  # a team's own secrets, external and generated, get the same search
        folder = tmp_path
        for file in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
            shutil.copy(PROJECT / file, folder / file)
        declare(folder)
    secrets = canaries(stack, folder)
    result = run(stack, folder, secrets=secrets, generated_prefix=GENERATED)

    everything = json.dumps(
        [unwrap_all(r.outputs) for r in result.registrations]
        + [unwrap_all(o) for o in result.component_outputs.values()]
    )
    reached = [value for value in secrets.values() if value in everything]
    assert reached, "no canary reached the program: this test could not see a leak"
    assert GENERATED in everything
    if declared:
        assert secrets["envkeeper:openaiApiKey"] in reached
        held = environment_secrets(result, stack)
        assert held["SESSION_SIGNING_KEY"].startswith(GENERATED)

    config, settings = load(stack, folder)
    plan = build_plan(result, settings, missing_secrets(config, settings))
    console = Console(record=True, width=200)
    as_table(plan, console)
    places = readable_text(result)
    places["plan table"] = console.export_text()
    places["plan json"] = as_json(plan)
    places["plan mermaid"] = as_mermaid(plan)
    captured = capsys.readouterr()
    places["program stdout and stderr"] = captured.out + captured.err

    assert leaks(places, [*secrets.values(), GENERATED]) == []


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("fmt", ["table", "json", "mermaid"])
def test_cli_plan_never_prints_secure_values(
    cli: object, project: Path, stack: str, fmt: str
) -> None:
    path = project / f"Pulumi.{stack}.yaml"
    secrets = canaries(f"cli-{stack}", stack=stack)
    lines = "".join(f"  {key}:\n    secure: {value}\n" for key, value in secrets.items())
    path.write_text(path.read_text() + lines)

    result = cli("plan", stack, "--format", fmt)  # type: ignore[operator]

    assert result.exit_code == 0, result.output
    assert "needed before" not in result.output.lower()
    assert leaks({"plan output": result.output}, list(secrets.values())) == []


LEAKY_PROGRAM = """
import pulumi
from components.program import run

run()
stripe = pulumi.Config("envkeeper").require_secret("stripeSecretKey")
pulumi.export("oops", pulumi.Output.unsecret(stripe))
pulumi.log.info("debugging")
"""


def test_the_canary_search_finds_a_real_leak(project: Path) -> None:
    (project / "__main__.py").write_text(LEAKY_PROGRAM)
    secrets = canaries("leak")
    result = run("dev", project, secrets=secrets)
    found = leaks(readable_text(result), list(secrets.values()))
    assert found == ["CANARY-leak-envkeeper-stripeSecretKey-7f3a in stack outputs"]


# How each command of the app is run against stack files full of canaries. The list of
# commands is the Typer app's own: a new command without an entry here fails
# test_every_command_is_run_with_canaries rather than escaping these tests.
INVOCATIONS: dict[str, list[list[str]]] = {
    "validate": [["validate", "{stack}"]],
    "plan": [
        ["plan", "{stack}"],
        ["plan", "{stack}", "--format", "json"],
        ["plan", "{stack}", "--format", "mermaid"],
    ],
    "rotation status": [
        ["rotation", "status"],
        ["rotation", "status", "{stack}", "--format", "json", "--today", "2099-01-01"],
    ],
    "rotation bump": [
        ["rotation", "bump", "{stack}", "BETTER_AUTH_SECRETS"],
        ["rotation", "bump", "{stack}", "NOT_A_SECRET"],
    ],
    "rotation autopilot": [
        ["rotation", "autopilot", "{stack}", "--dry-run"],
        ["rotation", "autopilot", "{stack}", "--dry-run", "--format", "json"],
    ],
    "emergency": [["emergency", "{stack}", "--dry-run"], ["emergency", "{stack}"]],
    "offboard": [["offboard", "{stack}", "--dry-run"]],
    "access-review": [
        ["access-review", "{stack}"],
        ["access-review", "{stack}", "--format", "json"],
    ],
    "wrangler-vars": [
        ["wrangler-vars", "{stack}"],
        ["wrangler-vars", "{stack}", "--format", "json"],
    ],
    # With no pulumi CLI on PATH (see no_pulumi_cli), after the stack file is read.
    "orphans": [["orphans", "{stack}"]],
    "recover": [["recover", "{stack}"]],
    "preview-plan": [["preview-plan", "{stack}", "plan-folder"]],
    "apply-plan": [["apply-plan", "{stack}", "plan-folder"]],
}
# Commands these tests do not run, and where their values are looked for instead.
ELSEWHERE = {
    "dev-vars": "LOCAL_COMMANDS below: it reads a deployed stack's values",
    "run": "LOCAL_COMMANDS below: it reads a deployed stack's values",
    "drift-report": "tests/test_drift.py: it reads no stack file, only the preview it is given",
}


def command_paths(group: typer.core.TyperGroup, prefix: str = "") -> list[str]:
    """Every command of the app, as typed: `plan`, `rotation status`..."""
    found: list[str] = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, typer.core.TyperGroup):
            found += command_paths(command, f"{path} ")
        else:
            found.append(path)
    return found


APP_COMMANDS = command_paths(cast(typer.core.TyperGroup, typer.main.get_command(app)))
COMMANDS = [c for path in APP_COMMANDS if path in INVOCATIONS for c in INVOCATIONS[path]]


def test_every_command_is_run_with_canaries() -> None:
    assert set(APP_COMMANDS) - set(ELSEWHERE) == set(INVOCATIONS)
    assert not set(ELSEWHERE) & set(INVOCATIONS)
    assert {c[0] for c in LOCAL_COMMANDS} == {
        p for p in ELSEWHERE if "LOCAL_COMMANDS" in ELSEWHERE[p]
    }


@pytest.fixture
def no_pulumi_cli(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The commands that call the pulumi CLI stop once they have read the stack file."""
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("no-pulumi-here")))


def with_secure_canaries(project: Path, tag: str) -> list[str]:
    """Every stack file gets every secret key as a `secure:` value holding a canary."""
    found: list[str] = []
    for stack in STACKS:
        secrets = canaries(f"{tag}-{stack}", stack=stack)
        path = project / f"Pulumi.{stack}.yaml"
        lines = "".join(f"  {key}:\n    secure: {value}\n" for key, value in secrets.items())
        path.write_text(path.read_text() + lines)
        found += secrets.values()
    return found


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:3]))
@pytest.mark.usefixtures("no_pulumi_cli")
def test_no_command_prints_a_secure_value(
    cli: Any, project: Path, stack: str, command: list[str]
) -> None:
    secrets = with_secure_canaries(project, "cmd")
    result = cli(*(part.format(stack=stack) for part in command))
    assert "Traceback" not in result.output
    assert leaks({"output": result.output}, secrets) == []


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:3]))
@pytest.mark.usefixtures("no_pulumi_cli")
def test_no_command_repeats_a_plaintext_secret_in_its_error(
    cli: Any, project: Path, stack: str, command: list[str]
) -> None:
    plaintext = f"CANARY-plaintext-{stack}-7f3a"
    path = project / f"Pulumi.{stack}.yaml"
    before = path.read_text() + f"  envkeeper:resendApiKey: {plaintext}\n"
    path.write_text(before)
    result = cli(*(part.format(stack=stack) for part in command))
    assert plaintext not in result.output
    assert "Traceback" not in result.output
    if "{stack}" in " ".join(command):
        assert result.exit_code == 2, result.output
        assert "envkeeper:resendApiKey: holds a plaintext value" in result.stderr
        assert path.read_text() == before


# The local-development commands read a deployed stack's values: each must reach only the
# file it writes (git-ignored, 0600) or the child it runs, never a terminal, a log, the
# record of local files, or a file git would commit.
PRINT_NAMES = "import os; print(sorted(k for k in os.environ if k.isupper()))"
LOCAL_COMMANDS = [
    ["dev-vars", "dev", "--output", "{project}/.dev.vars"],
    ["dev-vars", "dev", "--output", "{project}/.env"],  # refused: git would track it
    ["dev-vars", "dev", "--worker", "nope", "--output", "{project}/.dev.vars"],
    ["run", "dev", "--", sys.executable, "-c", PRINT_NAMES],
    ["run", "dev", "--", "no-such-command-here"],
    ["dev-vars", "staging", "--output", "{project}/.dev.vars"],
    ["run", "prod", "--", sys.executable, "-c", PRINT_NAMES],
]


def local_canaries(project: Path) -> tuple[dict[str, Any], list[str]]:
    """The dev stack's outputs after an up, every secret a canary, and those values."""
    secrets = canaries("local", project, stack="dev")
    result = run("dev", project, secrets=secrets, generated_prefix="CANARY-local-generated-")
    outputs = unwrap_all(result.stack_outputs)
    held = outputs["localDevelopment"]["workers"]["example-api-dev"]
    assert any(v.startswith("CANARY-local-generated-") for v in held.values())
    return outputs, [v for v in held.values() if v.startswith("CANARY") or "CANARY" in v]


def committable_text(project: Path) -> dict[str, str]:
    """Every file git would commit from `project`: tracked, or new and not ignored."""
    listed = subprocess.run(
        ["git", "-C", str(project), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return {f"file {name}": (project / name).read_text(errors="replace") for name in listed}


@pytest.mark.parametrize("command", LOCAL_COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_no_local_command_lets_a_value_out(
    cli: Any,
    project: Path,
    command: list[str],
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".gitignore").write_text(".dev.vars\n")
    outside = tmp_path_factory.mktemp("outside-the-project")  # the project is tmp_path
    pulumi = StandInPulumi(outside / "bin")
    outputs, values = local_canaries(project)
    assert values, "no canary reached the output: this test could not see a leak"
    pulumi.outputs(outputs)
    monkeypatch.setenv("PATH", pulumi.path_first())
    monkeypatch.setenv("XDG_STATE_HOME", str(outside / "state"))
    capfd.readouterr()

    with caplog.at_level(logging.DEBUG):
        result = cli(*(part.format(project=project) for part in command))

    child = capfd.readouterr()
    assert "Traceback" not in result.output
    places = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "the child's output": child.out + child.err,
        "logs": "\n".join(r.getMessage() for r in caplog.records),
        **committable_text(project),
    }
    record = outside / "state" / "envkeeper" / "local-files.json"
    if command[0] == "dev-vars" and result.exit_code == 0:
        places["the record of local files"] = record.read_text()
    assert leaks(places, values) == []
    written = project / ".dev.vars"
    if command[0] == "dev-vars" and result.exit_code == 0:
        assert all(v in written.read_text() for v in values)  # the file, and only the file
    else:
        assert result.exit_code != 0 or command[0] == "run"
        assert not written.exists()

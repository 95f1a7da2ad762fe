"""Secret values never appear in clear: not in any plan format, stack output, input or log.

Every secret input gets a distinctive canary, and generated values get a canary prefix.
The canaries are first shown to reach the program (so the test can fail), then searched
for everywhere a person or a log could read them.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from envkeeper.offline import ProgramRun, redact, unwrap_all
from envkeeper.plan import build_plan
from envkeeper.render import as_json, as_mermaid, as_table
from envkeeper.settings import missing_secrets
from tests.conftest import ROOT, STACKS
from tests.declared_project import declare
from tests.programs import canaries, environment_secrets, load, run

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
    folder = ROOT
    if declared:  # a team's own secrets, external and generated, get the same search
        folder = tmp_path
        for file in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
            shutil.copy(ROOT / file, folder / file)
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


COMMANDS = [
    ["validate", "{stack}"],
    ["plan", "{stack}"],
    ["plan", "{stack}", "--format", "json"],
    ["plan", "{stack}", "--format", "mermaid"],
    ["rotation", "status"],
    ["rotation", "status", "{stack}", "--format", "json", "--today", "2099-01-01"],
    ["rotation", "bump", "{stack}", "BETTER_AUTH_SECRETS"],
    ["rotation", "bump", "{stack}", "NOT_A_SECRET"],
    ["emergency", "{stack}", "--dry-run"],
    ["emergency", "{stack}"],
    ["access-review", "{stack}"],
    ["access-review", "{stack}", "--format", "json"],
    ["wrangler-vars", "{stack}"],
    ["wrangler-vars", "{stack}", "--format", "json"],
]


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
def test_no_command_prints_a_secure_value(
    cli: Any, project: Path, stack: str, command: list[str]
) -> None:
    secrets = with_secure_canaries(project, "cmd")
    result = cli(*(part.format(stack=stack) for part in command))
    assert "Traceback" not in result.output
    assert leaks({"output": result.output}, secrets) == []


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:3]))
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

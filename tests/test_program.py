"""The whole program per stack, under Pulumi's mock runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from envkeeper.config.stackfile import load_config
from envkeeper.doors.problems import UserError
from envkeeper.offline.program import ProgramError, is_secret, run_program, unwrap_all
from envkeeper.stack import catalog
from tests.conftest import STACKS
from tests.programs import (
    SHIPPED,
    changed_resources,
    environment_secrets,
    load,
    run,
    set_rotation,
)

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


@pytest.mark.parametrize("stack", STACKS)
def test_every_resource_hangs_under_the_environment_component(stack: str) -> None:
    result = run(stack)
    env = result.one(catalog.ENVIRONMENT_TYPE, stack)
    assert env.parent is not None and env.parent.endswith(f"::envkeeper-{stack}")
    parents = {reg.urn: reg.parent for reg in result.registrations}
    for reg in result.registrations:
        ancestors, urn = [], reg.urn
        while urn in parents:
            urn = parents[urn]
            ancestors.append(urn)
        assert reg is env or env.urn in ancestors, reg.urn
    assert result.stack_outputs["environment"] in ("dev", "staging", "production")


@pytest.mark.parametrize("stack", STACKS)
def test_better_auth_secret_is_32_random_bytes_kept_by_its_rotation_date(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    auth = result.one(RANDOM_PASSWORD, "better-auth-secret")
    # 43 characters of the 64 of base64 (258 bits), then its padding: 32 bytes to a decoder.
    assert auth.inputs["length"] == 43
    assert (auth.inputs["upper"], auth.inputs["lower"], auth.inputs["numeric"]) == (True,) * 3
    assert auth.inputs["special"] is True and auth.inputs["overrideSpecial"] == "+/"
    assert auth.inputs["keepers"] == {
        "rotated": settings.single_date("BETTER_AUTH_SECRET").isoformat()
    }
    # The engine marks the output secret (the SDK asks it to); so must the harness, or a
    # leak would hide. Its id is "none", never the value.
    assert is_secret(auth.outputs["result"])
    assert auth.id == "none"
    held = environment_secrets(result, stack)["BETTER_AUTH_SECRET"]
    assert held == unwrap_all(auth.outputs["result"]) + "="


EACH_VALUE = """
import pulumi
from components.program import run

env = run()
for name, value in env.secrets.items():
    pulumi.export(f"held:{name}", value)
"""


@pytest.mark.parametrize("stack", STACKS)
def test_every_value_the_environment_holds_is_a_secret_on_its_own(
    stack: str, project: Path
) -> None:
    # The registered `secrets` map is secret as soon as one value is; this looks at each.
    (project / "__main__.py").write_text(EACH_VALUE)
    outputs = run(stack, project).stack_outputs
    held = {k.removeprefix("held:"): v for k, v in outputs.items() if k.startswith("held:")}
    _, settings = load(stack, project)
    assert set(held) == {e.name for e in settings.catalog.delivered if e.secret}
    assert [name for name, value in held.items() if not is_secret(value)] == []


@pytest.mark.parametrize("stack", STACKS)
def test_environment_registers_every_secret_it_holds_as_secret(stack: str) -> None:
    result = run(stack)
    env = result.one(catalog.ENVIRONMENT_TYPE, stack)
    secrets = result.component_outputs[env.urn]["secrets"]
    assert is_secret(secrets)
    values = unwrap_all(secrets)
    assert set(values) == {e.name for e in SHIPPED.delivered if e.secret}
    # External values arrive from secret config unchanged.
    assert values["STRIPE_SECRET_KEY"] == "placeholder:envkeeper:stripeSecretKey"


def test_bumping_better_auth_secret_changes_it_and_nothing_else(project: Path) -> None:
    before = run("dev", project)
    set_rotation(project, "dev", "BETTER_AUTH_SECRET", "2026-11-20")
    after = run("dev", project)
    # The secret, and the Worker secret that carries it.
    assert changed_resources(before, after) == {
        "better-auth-secret",
        "example-api-dev-BETTER_AUTH_SECRET",
    }


def test_the_program_rejects_bad_config_with_the_same_line_as_the_cli(project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(
        path.read_text().replace("https://staging.example.com", "https://*.example.com")
    )
    with pytest.raises(UserError) as cli_error:
        load("staging", project)
    config = load_config(project, "staging")  # merged with Pulumi.yaml, as the engine does
    with pytest.raises(ProgramError) as program_error:
        run_program(project, "staging", config.values, {})
    # The same key, rule and fix; only the file is named as the engine's (relative) one.
    (problem,) = cli_error.value.problems
    assert str(program_error.value) == f"Pulumi.staging.yaml: {problem.key}: {problem.message}"


def test_the_program_refuses_a_plaintext_secret_in_pulumi_config(project: Path) -> None:
    config = load_config(project, "dev")
    values = dict(config.values)
    values["envkeeper:stripeSecretKey"] = "CANARY-plain-7f3a"
    with pytest.raises(ProgramError) as excinfo:
        run_program(project, "dev", values, {})
    assert "envkeeper:stripeSecretKey: holds a plaintext value" in str(excinfo.value)
    assert "CANARY-plain-7f3a" not in str(excinfo.value)


def test_a_missing_secret_stops_pulumi_up(project: Path) -> None:
    config = load_config(project, "dev")
    with pytest.raises(ProgramError) as excinfo:
        run_program(project, "dev", config.values, {})
    assert "Missing required configuration variable 'envkeeper:stripeSecretKey'" in str(
        excinfo.value
    )


def test_a_manual_pulumi_up_cannot_skip_environment_isolation(project: Path) -> None:
    # `validate` is not in the way of `pulumi up`: the program checks the same thing.
    staging = project / "Pulumi.staging.yaml"
    _, dev = load("dev", project)
    _, mine = load("staging", project)
    staging.write_text(
        staging.read_text().replace(mine.cloudflare.account_id, dev.cloudflare.account_id)
    )
    with pytest.raises(ProgramError) as excinfo:
        run("staging", project)
    assert "envkeeper:cloudflare.accountId:" in str(excinfo.value)
    assert "also belongs to stack dev" in str(excinfo.value)


@pytest.mark.parametrize("where", ["Pulumi.dev.yaml", "Pulumi.yaml", "Pulumi.staging.yaml"])
def test_pulumi_up_refuses_yaml_aliases_in_the_files_it_reads(project: Path, where: str) -> None:
    config = load_config(project, "dev")  # what the engine hands over, already expanded
    path = project / where
    text = path.read_text()
    if "config:" not in text:
        text += "config:\n"
    path.write_text(text + "  envkeeper:x: &a [x, x]\n  envkeeper:y: [*a, *a]\n")
    # A sibling stack file is read too (isolation): refused, it stops this stack as well.
    with pytest.raises(ProgramError) as excinfo:
        run_program(project, "dev", config.values, {})
    (line,) = str(excinfo.value).splitlines()
    assert f"{where}: line " in line and "uses a YAML anchor or alias" in line

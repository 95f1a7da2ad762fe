"""No line any command prints repeats a secret that came from outside, wherever it came in.

Written from the user's side of a bad day: a secret pasted into a stack file as a key (at
the top level, under `envkeeper:rotation`, as `envkeeper:<secret>`) was echoed back up to
three times, and a Pulumi CLI error line carrying a backend URL with its password was
repeated whole (that one is tested with `recover`, in tests/test_orphans.py). Every problem
line now leaves through one redactor (envkeeper/doors/redaction.py, called by
envkeeper/doors/problems.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envkeeper.doors.redaction import HIDDEN, hidden
from tests.conftest import said

PASTED = {
    "a Stripe key": "sk_live_CANARY_FAKE_NOT_A_REAL_KEY",
    "a random token": "CANARY-Xk9mP2qR7tL4wZ8vB3nC6yJ1",
}
WHERE = {
    "a top-level key": lambda s: f"  {s}: x\n",
    "a rotation name": lambda s: f"    {s}: '2026-10-12'\n",
    "an envkeeper key": lambda s: f"  envkeeper:{s}: x\n",
}


def pasted_into(project: Path, where: str, secret: str) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    line = WHERE[where](secret)
    if where == "a rotation name":
        anchor = "    STRIPE_SECRET_KEY: '2026-10-12'\n"
        text = text.replace(anchor, anchor + line)
    else:
        text += line
    path.write_text(text)


COMMANDS = [
    ["validate", "dev"],
    ["plan", "dev"],
    ["rotation", "status", "dev"],
    ["rotation", "bump", "dev", "DATABASE_URL_READONLY"],
]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("where", sorted(WHERE))
@pytest.mark.parametrize("kind", sorted(PASTED))
def test_a_secret_pasted_as_a_key_is_never_printed(
    cli: Any, project: Path, command: list[str], where: str, kind: str
) -> None:
    secret = PASTED[kind]
    pasted_into(project, where, secret)
    before = (project / "Pulumi.dev.yaml").read_bytes()
    result = cli(*command)
    assert result.exit_code == 2, result.output
    assert secret not in result.output and "CANARY" not in result.output
    # Said by its line, so it can be found, with what to do about a leaked value.
    line = (before.decode().splitlines().index(WHERE[where](secret).rstrip("\n"))) + 1
    assert f"Pulumi.dev.yaml: line {line}: is a key shaped like a secret" in result.stderr
    assert "treat the value as leaked" in result.stderr
    assert (project / "Pulumi.dev.yaml").read_bytes() == before


@pytest.mark.parametrize(
    "plain",
    [
        "Pulumi.dev.yaml: envkeeper:cloudflare.accountId: 0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "/tmp/pytest-of-root/pytest-55/test_broken_stack_file_is_one_0/Pulumi.staging.yaml",
        "envkeeper:rotation.BETTER_AUTH_SECRETS.b: 2026-12-03 is in the future",
        "example-api-staging-STRIPE_WEBHOOK_SECRET",
        "outside production only test-mode keys (sk_test_ or rk_test_) may be used",
    ],
)
def test_what_is_no_secret_is_printed_as_it_is(plain: str) -> None:
    assert hidden(plain) == plain


def test_a_stripe_object_id_is_shown_and_its_secrets_are_not() -> None:
    endpoint = "we_1FakeEndpointCanary0000"  # what orphans lists: an id anyone may see
    assert hidden(f"stripe webhook endpoint {endpoint}") == f"stripe webhook endpoint {endpoint}"
    assert hidden("whsec_CANARY_FAKE_NOT_A_REAL_SECRET") == HIDDEN
    assert hidden("rk_live_CANARY_FAKE_NOT_A_REAL_KEY") == HIDDEN


def test_every_line_a_command_prints_passes_the_redactor_on_both_streams(tmp_path: Path) -> None:
    # Written from the attacker's side: text the command repeats from outside (here a saved
    # preview's property names, which drift-report lists) carries a secret, and so does a
    # line on standard error. Neither stream repeats it: main() puts the redactor in front
    # of both, so a command added later cannot forget it.
    import json
    import subprocess
    import sys

    from tests.conftest import PROJECT, pinned_env

    secret = PASTED["a Stripe key"]
    urn = "urn:pulumi:dev::envkeeper::envkeeper:index:Thing::thing"
    step = {"op": "update", "urn": urn, "diffReasons": [secret],
            "detailedDiff": {secret: {"kind": "update"}}}  # fmt: skip
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps({"steps": [step], "diagnostics": []}))
    envkeeper = str(Path(sys.executable).parent / "envkeeper")
    done = subprocess.run(
        [envkeeper, "drift-report", str(preview), "--stack", "dev"],
        cwd=PROJECT, env=pinned_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "thing" in done.stdout and HIDDEN in done.stdout
    assert "CANARY" not in done.stdout + done.stderr

    from envkeeper.doors.output import Guarded, Redacted

    class Sink:
        text = ""

        def write(self, text: str) -> int:
            self.text += text
            return len(text)

    for stream in (Guarded, Redacted):
        sink = Sink()
        stream(sink).write(f"postgres://app:{secret}@db.example.com/app\n")  # type: ignore[arg-type]
        assert sink.text == "postgres://***@db.example.com/app\n", stream


# --- What a person types: control characters, URLs as paths, swapped words ------------------

ENVKEEPER = str(Path(sys.executable).parent / "envkeeper")


def run(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """The command as a person runs it, stdout and stderr piped as in a CI log."""
    return subprocess.run(
        [ENVKEEPER, *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )


def problems(stderr: str) -> list[str]:
    return [line for line in said(stderr) if not line.startswith("note: today")]


@pytest.mark.parametrize("name", ["CANARY\nsecond line", "CANARY\x1b[31mred", "CANARY\rback"])
@pytest.mark.parametrize(
    "args",
    [
        ["-C", "{}", "validate", "dev"],
        ["drift-report", "{}"],
        ["apply-plan", "dev", "{}"],
        ["offboard", "dev", "--dry-run", "--body", "{}/body.md"],
    ],
)
def test_a_name_with_control_characters_is_shown_escaped(
    project: Path, args: list[str], name: str
) -> None:
    # A newline would start a line of its own in a CI log, read as another problem; an
    # escape sequence would be run by the terminal.
    result = run(project, *[a.format(name) for a in args])
    assert result.returncode == 2, result.stdout + result.stderr
    assert len(problems(result.stderr)) == 1, result.stderr
    assert not any(c in result.stderr for c in "\x1b\r"), result.stderr
    assert not any(line.startswith(("second", "back")) for line in result.stderr.splitlines())


@pytest.mark.parametrize(
    "args",
    [
        ["drift-report", "https://user:CANARYpw@host/x"],
        ["-C", "https://user:CANARYpw@host/x", "validate", "dev"],
        ["offboard", "dev", "--dry-run", "--body", "https://user:CANARYpw@host/x"],
    ],
)
def test_a_url_given_as_a_path_keeps_its_password(project: Path, args: list[str]) -> None:
    result = run(project, *args)
    assert result.returncode == 2
    assert "CANARY" not in result.stdout + result.stderr
    assert "host/x" in result.stderr  # the rest still says which was meant


def test_the_swapped_bump_names_no_pasted_value(project: Path) -> None:
    result = run(project, "rotation", "bump", "DATABASE_URL", "CANARY pasted value")
    assert result.returncode == 2
    assert "CANARY" not in result.stdout + result.stderr
    assert "the stack comes first" in " ".join(problems(result.stderr))


@pytest.mark.parametrize("stack_option", [[], ["--stack", "dev"]])
def test_a_preview_names_its_stack_only_when_it_is_a_name(
    project: Path, stack_option: list[str]
) -> None:
    urn = "urn:pulumi:CANARY pasted\x1b[31m\nsecond::envkeeper::pulumi:pulumi:Stack::x"
    preview = project / "preview.json"
    preview.write_text(json.dumps({"steps": [{"op": "same", "urn": urn}], "diagnostics": []}))
    result = run(project, "drift-report", str(preview), *stack_option)
    assert "CANARY" not in result.stdout + result.stderr
    assert "\x1b" not in result.stdout + result.stderr


def test_a_width_of_billions_is_a_wide_terminal_not_a_crash(project: Path) -> None:
    result = run(project, "--help", COLUMNS="999999999999")
    assert result.returncode == 0, result.stderr[-300:]
    assert "Traceback" not in result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 1000

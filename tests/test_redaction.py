"""No line any command prints repeats a secret that came from outside, wherever it came in.

Written from the user's side of a bad day: a secret pasted into a stack file as a key (at
the top level, under `envkeeper:rotation`, as `envkeeper:<secret>`) was echoed back up to
three times, and a Pulumi CLI error line carrying a backend URL with its password was
repeated whole (that one is tested with `recover`, in tests/test_orphans.py). Every problem
line now leaves through one redactor (envkeeper/redaction.py, called by
envkeeper/problems.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envkeeper.redaction import HIDDEN, hidden

PASTED = {
    "a Stripe key": "sk_live_CANARY51HxAbCdEfGh",
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
    assert HIDDEN in result.stderr
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

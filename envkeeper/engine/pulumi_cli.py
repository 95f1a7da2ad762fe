"""The few `pulumi` CLI calls envkeeper's own commands make: read a stack's state and one
secret config value, cancel the update a dead run left holding the stack, and clear the
creates it was interrupted in.

A failure is one line (the command and the CLI's own first error line, which names a stack
or a key, never a value); a value read is only returned, never printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from envkeeper.doors.problems import COMMAND_LINE, UserError

# What `pulumi cancel` says when the update it would cancel has already ended (Pulumi
# Cloud; the file backends just remove their lock). pulumi/pulumi#5364.
NOTHING_TO_CANCEL = ("has already completed", "has never been updated")


# One sentence wherever the CLI is missing.
MISSING = (
    "not found on PATH; install the Pulumi CLI (https://www.pulumi.com/docs/install/) "
    "and log in to the backend that holds the stack"
)


def executable() -> str:
    """The pulumi on PATH, or one line saying it is missing."""
    found = shutil.which("pulumi")
    if found is None:
        raise UserError.one(COMMAND_LINE, "pulumi", MISSING)
    return found


def _command(args: list[str]) -> list[str]:
    return [executable(), *args, "--non-interactive"]


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        _command(args),
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def stream(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
    """Run pulumi with its output going where envkeeper's goes (Pulumi masks secrets in
    it); its exit status."""
    done = subprocess.run(_command(args), cwd=cwd, env=env, check=False)  # noqa: S603
    return done.returncode


def failed(args: list[str], done: subprocess.CompletedProcess[str]) -> UserError:
    said = next((line.strip() for line in done.stderr.splitlines() if line.strip()), "")
    return UserError.one(
        COMMAND_LINE,
        "",
        f"`pulumi {' '.join(args)}` failed (exit {done.returncode}): {said or 'no message'}",
    )


def state(stack: str, cwd: Path) -> dict[str, Any]:
    """The stack's state as `pulumi stack export` gives it (secrets stay encrypted)."""
    args = ["stack", "export", "--stack", stack]
    done = run(args, cwd)
    if done.returncode != 0:
        raise failed(args, done)
    try:
        found = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise UserError.one(COMMAND_LINE, "", f"`pulumi {' '.join(args)}` gave no JSON") from None
    return found if isinstance(found, dict) else {}


def config_value(stack: str, key: str, cwd: Path) -> str | None:
    """One config value, a secret decrypted, or None when the stack does not set it."""
    args = ["config", "get", key, "--stack", stack, "--json"]
    done = run(args, cwd)
    if done.returncode != 0:
        if "not found" in done.stderr:
            return None
        raise failed(args, done)
    value = json.loads(done.stdout).get("value")
    return value if isinstance(value, str) and value else None


def backend_url(cwd: Path) -> str:
    """Where the CLI keeps state: `https://api.pulumi.com`, `s3://…`, `file://…`."""
    args = ["whoami", "--json"]
    done = run(args, cwd)
    if done.returncode != 0:
        raise failed(args, done)
    return str(json.loads(done.stdout).get("url") or "")


def cancel(stack: str, cwd: Path) -> bool:
    """Cancel the update holding the stack, if one does; whether there was one to cancel
    (the file backends cannot tell: they remove their lock either way)."""
    args = ["cancel", "--yes", "--stack", stack]
    done = run(args, cwd)
    if done.returncode != 0:
        if any(said in done.stderr for said in NOTHING_TO_CANCEL):
            return False
        raise failed(args, done)
    return True


def latest_update(stack: str, cwd: Path) -> dict[str, Any] | None:
    """The stack's newest update that can hold it (not a preview, which takes no lock), as
    `pulumi stack history --json` gives it, or None."""
    args = ["stack", "history", "--json", "--page-size", "10", "--stack", stack]
    done = run(args, cwd)
    if done.returncode != 0:
        raise failed(args, done)
    try:
        found = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        raise UserError.one(COMMAND_LINE, "", f"`pulumi {' '.join(args)}` gave no JSON") from None
    entries = [e for e in found if isinstance(e, dict)] if isinstance(found, list) else []
    return next((e for e in entries if e.get("kind") != "preview"), None)


def clear_pending_creates(stack: str, cwd: Path) -> None:
    """Refresh the stack, dropping the creates a dead run was interrupted in."""
    args = ["refresh", "--clear-pending-creates", "--yes", "--skip-preview", "--stack", stack]
    done = run(args, cwd)
    if done.returncode != 0:
        raise failed(args, done)

"""A deployed stack's outputs, read with the user's own Pulumi CLI.

Whoever can read the stack (its backend login and its secrets provider: a passphrase, a
KMS key, Pulumi Cloud) gets its outputs, and nobody else: envkeeper keeps no store of its
own. The CLI's exit codes are documented and stable (3: not logged in or not allowed,
6: no such stack), so each failure gets its own line. No value is ever repeated: the
CLI's answer is parsed, never printed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from envkeeper.doors.problems import COMMAND_LINE, UserError
from envkeeper.engine import pulumi_cli

# The Pulumi CLI's exit codes (pkg/cmd/pulumi/cmdutil): stable, for scripts to rely on.
EXIT_AUTHENTICATION = 3
EXIT_STACK_NOT_FOUND = 6
TIMEOUT = 120
# What the CLI says when the stack's secrets provider refuses (a wrong passphrase, no
# access to the KMS key or the service's decryption).
_DECRYPT = re.compile(r"decrypt|secrets manager|passphrase", re.IGNORECASE)
# userinfo in a backend URL (postgres://user:password@host) never reaches a message.
_USERINFO = re.compile(r"(\w+://)[^/\s@]+@")


def _first_line(text: str) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "no message")
    return _USERINFO.sub(r"\1…@", line.removeprefix("error: "))[:200]


def _failure(stack: str, where: str, done: subprocess.CompletedProcess[str]) -> UserError:
    if done.returncode == EXIT_AUTHENTICATION:
        fix = (
            "the Pulumi CLI is not logged in to the backend that holds this stack (or may "
            "not read it); run `pulumi login` with your own account, then run this again"
        )
    elif done.returncode == EXIT_STACK_NOT_FOUND:
        fix = (
            f"the backend the Pulumi CLI is logged in to has no stack {stack}; log in to the "
            "one that holds it (`pulumi login ...`) or check the name with `pulumi stack ls`"
        )
    elif _DECRYPT.search(done.stderr):
        fix = (
            "the Pulumi CLI cannot decrypt this stack's outputs: its secrets provider refused "
            "(set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE for a passphrase "
            "stack, or get access to its key); only people who may read the stack get them"
        )
    else:
        fix = f"`pulumi stack output` failed (exit {done.returncode}): {_first_line(done.stderr)}"
    return UserError.one(where, "", fix)


def read_outputs(project_dir: Path, stack: str) -> dict[str, Any]:
    """Every output of the deployed `stack`, secrets decrypted. UserError (one line) when
    there is no CLI, no login, no such stack, or no key to decrypt it."""
    where = f"stack {stack}"
    exe = pulumi_cli.executable()
    command = [exe, "stack", "output", "--json", "--show-secrets", "--stack", stack]
    try:
        done = subprocess.run(  # noqa: S603 (the user's pulumi, arguments as a list)
            [*command, "--non-interactive"],
            cwd=project_dir,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise UserError.one(
            where, "", f"`pulumi stack output` gave no answer in {TIMEOUT} s; check the backend"
        ) from None
    except OSError as exc:
        raise UserError.one(
            COMMAND_LINE, "pulumi", f"could not run it ({exc.strerror or exc}); reinstall it"
        ) from None
    if done.returncode != 0:
        raise _failure(stack, where, done)
    try:
        outputs = json.loads(done.stdout)
    except json.JSONDecodeError:
        outputs = None
    if not isinstance(outputs, dict):
        raise UserError.one(
            where, "", "`pulumi stack output --json` gave no JSON object; update the Pulumi CLI"
        )
    return outputs

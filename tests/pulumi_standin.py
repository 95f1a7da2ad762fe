"""A stand-in `pulumi` on PATH that answers `pulumi stack output` as the real CLI does.

Each answer is what the real CLI (v3.274) printed and exited with, under a file backend:
its documented exit codes (3 not logged in, 6 no such stack, 1 a general error such as a
refused decryption) and its own messages. The tests/test_engine_local.py tests meet the
same cases with the real CLI. Every call is recorded, so a test can assert exactly what
was asked (arguments and working folder).
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = """#!{python}
import json, os, sys
from pathlib import Path

here = Path(__file__).resolve().parent
answer = json.loads((here / "answer.json").read_text())
with (here / "calls.jsonl").open("a") as log:
    log.write(json.dumps({{"argv": sys.argv[1:], "cwd": os.getcwd()}}) + "\\n")
sys.stdout.write(answer["stdout"])
sys.stderr.write(answer["stderr"])
sys.exit(answer["code"])
"""

# (exit code, stderr) as the real CLI gives them.
NOT_LOGGED_IN = (
    3,
    "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n",
)
NO_STACK = (6, "error: no stack named 'dev' found\n")
WRONG_PASSPHRASE = (
    1,
    "error: failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the "
    "correct passphrase or set PULUMI_CONFIG_PASSPHRASE_FILE to a file containing the passphrase\n",
)
NO_PASSPHRASE = (
    1,
    'error: constructing secrets manager of type "passphrase": constructing secrets manager: '
    "passphrase must be set with PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE "
    "environment variables\n",
)


@dataclass
class StandInPulumi:
    folder: Path  # holds `pulumi`: put it first on PATH
    calls_file: Path = field(init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        script = self.folder / "pulumi"
        script.write_text(SCRIPT.format(python=sys.executable))
        script.chmod(0o755)
        self.calls_file = self.folder / "calls.jsonl"
        self.outputs({})

    def answer(self, code: int, stdout: str = "", stderr: str = "") -> None:
        (self.folder / "answer.json").write_text(
            json.dumps({"code": code, "stdout": stdout, "stderr": stderr})
        )

    def outputs(self, outputs: dict[str, Any]) -> None:
        """A deployed stack's outputs, printed as `--json --show-secrets` prints them."""
        self.answer(0, json.dumps(outputs, indent=2) + "\n")

    def fails(self, failure: tuple[int, str]) -> None:
        self.answer(failure[0], stderr=failure[1])

    def calls(self) -> list[dict[str, Any]]:
        if not self.calls_file.exists():
            return []
        return [json.loads(line) for line in self.calls_file.read_text().splitlines()]

    def path_first(self) -> str:
        return os.pathsep.join([str(self.folder), os.environ.get("PATH", "")])

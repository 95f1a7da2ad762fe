"""A `pulumi` executable for the tests of envkeeper's own commands that call the CLI
(`orphans`, `recover`): it answers `stack export`, `stack history`, `config get`, `cancel`
and `refresh`
from a file the test writes, and records every call. The engine tests run the real CLI;
this one lets the commands' own logic be tested in seconds."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCRIPT = """\
import json, os, sys
root = os.environ["ENVKEEPER_FAKE_PULUMI"]
args = [a for a in sys.argv[1:] if a != "--non-interactive"]
with open(os.path.join(root, "calls"), "a") as log:
    log.write(json.dumps(args) + "\\n")
with open(os.path.join(root, "answers.json")) as file:
    answers = json.load(file)
if args[:2] == ["stack", "export"]:
    exports = sum(1 for line in open(os.path.join(root, "calls")) if '"export"' in line)
    states = answers["states"]
    print(json.dumps(states[min(exports, len(states)) - 1]))
elif args[:2] == ["config", "get"]:
    value = answers["config"].get(args[2])
    if value is None:
        print(f"error: configuration key '{args[2]}' not found for stack 'prod'", file=sys.stderr)
        sys.exit(1)
    print(json.dumps({"value": value, "secret": True}))
elif args[:2] == ["stack", "history"]:
    print(json.dumps(answers.get("history", [])))
elif args[0] == "whoami":
    print(json.dumps({"user": "ci", "url": answers.get("url", "https://api.pulumi.com")}))
elif args[0] == "cancel":
    if answers.get("cancel_error"):
        print(answers["cancel_error"], file=sys.stderr)
        sys.exit(255)
    print("The currently running update for 'prod' has been canceled!")
elif args[0] != "refresh":
    sys.exit(f"the fake pulumi does not know {args}")
"""


@dataclass
class FakePulumi:
    root: Path

    def answer(self, **answers: Any) -> None:
        """`states` (one per `stack export`, the last repeated), `config`, `cancel_error`,
        `url` (the backend), `history` (`stack history --json`)."""
        (self.root / "answers.json").write_text(json.dumps({"config": {}, **answers}))

    def calls(self) -> list[list[str]]:
        log = self.root / "calls"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def installed(root: Path, monkeypatch: Any) -> FakePulumi:
    """Put the fake `pulumi` first on PATH, for this test."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    program = bin_dir / "pulumi"
    program.write_text(f"#!{sys.executable}\n{SCRIPT}")
    program.chmod(0o755)
    monkeypatch.setenv("ENVKEEPER_FAKE_PULUMI", str(root))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    fake = FakePulumi(root)
    fake.answer(states=[{"deployment": {"resources": []}}])
    return fake

"""No secret in the repository: detect-secrets against the committed, audited baseline.

The baseline is the one place where findings are allowed: each was audited as not a
secret (type names, config keys, example account ids), and the tests' fake values all
start with CANARY-, which the baseline's filter excludes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT, tool

BASELINE = ROOT / ".secrets.baseline"


def scan(files: list[str], cwd: Path, baseline: Path) -> subprocess.CompletedProcess[str]:
    """The pre-commit hook's check. It runs inside a git work tree, as at commit time."""
    if not (cwd / ".git").exists():
        subprocess.run(["git", "init", "-q"], cwd=cwd, check=True)
    hook = tool("detect-secrets-hook")
    return subprocess.run(
        [hook, "--baseline", str(baseline), *files], cwd=cwd, capture_output=True, text=True
    )


def tracked_files() -> list[str]:
    out = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return [f for f in out.splitlines() if f not in ("uv.lock", ".secrets.baseline")]


def test_nothing_new_against_the_baseline_and_the_baseline_is_current(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"  # the hook rewrites a stale baseline: use a copy
    shutil.copy(BASELINE, baseline)
    result = scan(tracked_files(), ROOT, baseline)
    # Exit 1: a new finding. Exit 3: known findings moved, so the committed baseline no
    # longer says where they are; refresh it (docs/security.md) and audit the diff.
    assert result.returncode == 0, (
        result.stdout
        + result.stderr
        + (
            "\nrefresh: uv run detect-secrets scan --baseline .secrets.baseline"
            if result.returncode == 3
            else ""
        )
    )
    assert "Potential secrets" not in result.stdout


def test_every_finding_in_the_baseline_was_audited() -> None:
    data = json.loads(BASELINE.read_text())
    findings = [f for items in data["results"].values() for f in items]
    assert findings, "an empty baseline would hide that the scanner runs"
    assert all(f.get("is_secret") is False for f in findings)
    patterns = [f.get("pattern") for f in data["filters_used"]]
    assert ["CANARY-[A-Za-z0-9_.:/%-]+"] in patterns


def test_a_real_looking_key_is_caught(tmp_path: Path) -> None:
    leaked = tmp_path / "settings.py"
    # Built at run time so this file itself holds no key-shaped string.
    key = "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    leaked.write_text(f'STRIPE_KEY = "{key}"\n')
    baseline = tmp_path / "baseline.json"
    shutil.copy(BASELINE, baseline)
    result = scan([str(leaked)], tmp_path, baseline)
    assert result.returncode == 1
    assert "Stripe Access Key" in result.stdout


def test_a_canary_is_allowed(tmp_path: Path) -> None:
    fake = tmp_path / "fixture.py"
    fake.write_text('TOKEN = "CANARY-api-token-9c1e2a7b4d5f6e8a0b3c"\n')
    baseline = tmp_path / "baseline.json"
    shutil.copy(BASELINE, baseline)
    assert scan([str(fake)], tmp_path, baseline).returncode == 0


def test_pre_commit_runs_the_same_checks() -> None:
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    for hook in ("ruff-check", "ruff-format", "detect-secrets", "actionlint", "zizmor"):
        assert f"- id: {hook}\n" in config
    result = subprocess.run(
        [tool("pre-commit"), "validate-config", ".pre-commit-config.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr

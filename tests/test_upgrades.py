"""Upgrades a bot can propose: renovate.json covers every file that pins a version.

Renovate reads pyproject.toml and uv.lock (pep621), the workflows' pinned actions
(github-actions), the engine module (gomod) and .pulumi.version (a regex manager), and
moves everything Pulumi in one pull request, so no upgrade bumps one pin and breaks the
test that holds it to another.
"""

from __future__ import annotations

import json
import re
import tomllib
from fnmatch import fnmatchcase
from typing import Any

from tests.conftest import ROOT
from tests.test_workflows import workflow

CONFIG: dict[str, Any] = json.loads((ROOT / "renovate.json").read_text())


def python_regex(js: str) -> re.Pattern[str]:
    """A Renovate pattern (JavaScript's named groups, /slashes/ for file patterns)."""
    if js.startswith("/") and js.endswith("/"):
        js = js[1:-1]
    return re.compile(js.replace("(?<", "(?P<"), re.MULTILINE)


def matches(rule: dict[str, Any], name: str) -> bool:
    """Renovate's matchPackageNames: globs, and `!glob` to leave a name out."""
    patterns = rule.get("matchPackageNames", [])
    positive = [p for p in patterns if not p.startswith("!")]
    negative = [p[1:] for p in patterns if p.startswith("!")]
    if any(fnmatchcase(name, p) for p in negative):
        return False
    return not positive or any(fnmatchcase(name, p) for p in positive)


def group_of(name: str, manager: str) -> str | None:
    """The group a dependency lands in: the last matching rule with a groupName wins."""
    group = None
    for rule in CONFIG["packageRules"]:
        if "matchManagers" in rule and manager not in rule["matchManagers"]:
            continue
        if "matchDepTypes" in rule:
            continue  # by type, not by name; Pulumi's rule comes after and wins
        if matches(rule, name) and "groupName" in rule:
            group = rule["groupName"]
    return group


def test_every_kind_of_pin_has_its_manager() -> None:
    assert (ROOT / "pyproject.toml").is_file() and (ROOT / "uv.lock").is_file()
    # The policy pack is a project of its own; pep621 finds its pyproject and lock too.
    pack = ROOT / "policy"
    assert (pack / "pyproject.toml").is_file() and (pack / "uv.lock").is_file()
    assert (ROOT / ".github" / "workflows").is_dir()
    assert (ROOT / "scripts" / "engine" / "go.mod").is_file()
    assert set(CONFIG["enabledManagers"]) == {"pep621", "github-actions", "gomod", "custom.regex"}
    assert "helpers:pinGitHubActionDigests" in CONFIG["extends"]
    assert CONFIG["lockFileMaintenance"]["enabled"] is True  # uv.lock's indirect pins too
    assert "gomodTidy" in CONFIG["postUpdateOptions"]  # go.sum moves with go.mod


def test_the_cli_pin_is_read_where_it_lives() -> None:
    manager = CONFIG["customManagers"][0]
    pinned = (ROOT / ".pulumi.version").read_text()
    assert any(python_regex(p).search(".pulumi.version") for p in manager["managerFilePatterns"])
    (match_string,) = manager["matchStrings"]
    found = python_regex(match_string).search(pinned)
    assert found and found["currentValue"] == pinned.strip()
    assert manager["depNameTemplate"] == "pulumi/pulumi"
    assert manager["datasourceTemplate"] == "github-releases"
    assert python_regex(manager["extractVersionTemplate"]).search("v3.274.1")


def test_everything_pulumi_moves_in_one_pull_request() -> None:
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    pulumi_packages = [p["name"] for p in lock["package"] if p["name"].startswith("pulumi")]
    assert {"pulumi", "pulumi-policy", "pulumi-random", "pulumi-cloudflare"} <= set(pulumi_packages)
    for name in pulumi_packages:
        assert group_of(name, "pep621") == "Pulumi", name
    engine = (ROOT / "scripts" / "engine" / "go.mod").read_text()
    go_modules = re.findall(r"(github\.com/pulumi/pulumi/\w+/v3) v", engine)
    assert set(go_modules) == {"github.com/pulumi/pulumi/sdk/v3", "github.com/pulumi/pulumi/pkg/v3"}
    for module in go_modules:
        assert group_of(module, "gomod") == "Pulumi", module
    assert group_of("pulumi/pulumi", "custom.regex") == "Pulumi"
    assert group_of("pulumi/actions", "github-actions") == "Pulumi"


def test_the_engine_modules_other_pins_follow_pulumi_rather_than_move_alone() -> None:
    (off,) = [r for r in CONFIG["packageRules"] if r.get("enabled") is False]
    assert off["matchManagers"] == ["gomod"]
    assert matches(off, "google.golang.org/grpc")
    assert not matches(off, "github.com/pulumi/pulumi/pkg/v3")


def test_every_action_is_pinned_by_a_digest_the_bot_can_move() -> None:
    uses = re.findall(
        r"uses: (\S+)", "".join(p.read_text() for p in (ROOT / ".github" / "workflows").glob("*"))
    )
    assert uses
    for ref in uses:
        if ref.startswith(("./", "$/")):  # this repository's own reusable workflows
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), ref


def test_every_job_installs_one_pinned_uv_release_the_bot_can_move() -> None:
    """setup-uv installs the newest uv unless told: every job is told the same release."""
    manager = next(m for m in CONFIG["customManagers"] if m["depNameTemplate"] == "astral-sh/uv")
    pattern = python_regex(manager["matchStrings"][0])
    versions = []
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        assert any(python_regex(p).search(f".github/workflows/{path.name}")
                   for p in manager["managerFilePatterns"])  # fmt: skip
        flow = workflow(path)
        for job in flow["jobs"].values():
            for step in job.get("steps", []):
                if step.get("uses", "").startswith("astral-sh/setup-uv@"):
                    versions.append(str(step["with"]["version"]))
        assert len(pattern.findall(path.read_text())) == path.read_text().count("setup-uv@")
    assert len(versions) >= 5 and len(set(versions)) == 1, versions
    assert re.fullmatch(r"\d+\.\d+\.\d+", versions[0])

"""The policy pack stands alone: published, it is its folder and nothing else.

What it knows of envkeeper comes from pack_facts.json, which the core generates; these
tests hold that file, and the pack's own readings of the core's rules, to the core. The
engine test (tests/test_engine.py) runs a copy of the folder, installed from its own files.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib

import pytest

from envkeeper.config import ci
from envkeeper.config.environments import Environment
from envkeeper.config.url_rules import origin_problem
from envkeeper.infra import cloudflare as cf
from envkeeper.infra import pack_facts, resource_types
from policy import rules
from tests.conftest import ROOT
from tests.docs_pages import all_pages

POLICY = ROOT / "policy"


def test_the_pack_ships_the_cores_facts_as_they_are() -> None:
    assert pack_facts.PACK_FACTS == POLICY / "pack_facts.json"
    assert POLICY.joinpath("pack_facts.json").read_text() == pack_facts.text(), (
        "policy/pack_facts.json is behind the core; "
        "run `uv run python -m envkeeper.infra.pack_facts`"
    )


def test_the_pack_imports_nothing_of_the_project() -> None:
    own = {path.stem for path in POLICY.glob("*.py")}
    allowed = set(sys.stdlib_module_names) | {"pulumi", "pulumi_policy", "__future__"} | own
    checked = 0
    for path in POLICY.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                assert node.level == 0, f"{path.name}: a relative import needs a package"
                names = [node.module or ""]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"
                checked += 1
    assert checked >= 5


def test_the_pack_pins_its_own_dependencies_at_the_programs_sdk() -> None:
    pack = tomllib.loads((POLICY / "pyproject.toml").read_text())
    pins = dict(d.split("==") for d in pack["project"]["dependencies"])
    assert set(pins) == {"pulumi", "pulumi-policy"}

    def locked(lock_file: str) -> dict[str, str]:
        lock = tomllib.loads((ROOT / lock_file).read_text())
        return {p["name"]: p["version"] for p in lock["package"] if "version" in p}

    pack_lock, program_lock = locked("policy/uv.lock"), locked("uv.lock")
    assert pack_lock["pulumi"] == pins["pulumi"] == program_lock["pulumi"]
    assert pack_lock["pulumi-policy"] == pins["pulumi-policy"] == program_lock["pulumi-policy"]
    assert "envkeeper" not in pack_lock
    # The lock was written from this pyproject (a stale one is re-resolved, or refused).
    assert pack_lock["envkeeper-policy"] == pack["project"]["version"]


TYPES = [
    *sorted(resource_types.DECLARED),
    resource_types.STACK,
    "pulumi:providers:cloudflare",
    "pulumi:providers:aws",
    "github:index/actionsSecret:ActionsSecret",
    "cloudflare:index/apiToken:ApiToken",
    "envkeeper:something:New",
]


@pytest.mark.parametrize("resource_type", TYPES)
def test_the_packs_type_allowlist_is_the_cores(resource_type: str) -> None:
    assert rules._allowed_type(resource_type) is resource_types.allowed(resource_type)  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize("zones", [[], ["a" * 32], ["a" * 32, "b" * 32]])
def test_the_packs_deploy_scope_is_the_cores(zones: list[str]) -> None:
    account = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    core = [
        ([p.name for p in policy.permissions], policy.resources)
        for policy in cf.deploy_policies_for(account, zones)
    ]
    assert rules._deploy_scope(account, zones) == core  # pyright: ignore[reportPrivateUsage]


@pytest.mark.parametrize(
    "name", ["preview", "Preview", "rotation", "drift-prod", "DRIFT-dev", "production", "dev"]
)
def test_the_pack_reads_a_github_environment_name_as_the_core_does(name: str) -> None:
    assert rules._is_ci_environment(name) is ci.is_ci_environment(name)  # pyright: ignore[reportPrivateUsage]
    assert rules._same_environment(name, "PREVIEW") is ci.same_environment(name, "PREVIEW")  # pyright: ignore[reportPrivateUsage]


ORIGINS = [
    "https://app.example.com",
    "https://app.example.com:8443",
    "http://localhost:5173",
    "http://app.example.com",
    "https://*.example.com",
    "*",
    "https://app.example.com/",
    "https://app.example.com/path",
    "https://app.example.com?x=1",
    "https://app.example.com#top",
    "https://user:pw@app.example.com",
    "https://app.example.com:99999",
    "https://App.Example.com",
    "ftp://app.example.com",
    "app.example.com",
    "https://",
    "",
    7,
]


@pytest.mark.parametrize("origin", ORIGINS)
@pytest.mark.parametrize("environment", list(Environment))
def test_the_pack_reads_an_origin_as_the_core_does(
    origin: object, environment: Environment
) -> None:
    core = origin_problem(origin, environment)
    pack = rules._origin_problem(origin, environment.value)  # pyright: ignore[reportPrivateUsage]
    assert (pack is None) is (core is None), (origin, environment, core, pack)


def test_the_docs_publish_the_pack_from_their_folder_at_its_version() -> None:
    """`pulumi policy publish [org-name]` publishes the pack in the working directory; its
    one argument is an organization. `pulumi policy publish policy` would publish whatever
    pack the current folder holds into an organization called "policy"."""
    docs = (ROOT / "README.md").read_text() + all_pages()
    commands = re.findall(r"^.*pulumi policy publish.*$", docs, flags=re.MULTILINE)
    assert commands == ["cd policy && pulumi policy publish <your-org>"]
    from envkeeper.config.stackfile import round_trip_yaml

    policy_yaml = round_trip_yaml().load((POLICY / "PulumiPolicy.yaml").read_text())
    pack = tomllib.loads((POLICY / "pyproject.toml").read_text())
    assert str(policy_yaml["version"]) == pack["project"]["version"]

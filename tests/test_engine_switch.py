"""A stack deployed by the program as it was, through the provider SDKs, shows no change
in a preview by the program with the light declarations (components/bridged.py): the
same URNs, the same default providers (their URNs carry the plugin versions), the same
inputs and secrets. Under the real engine, on a stack of its own.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components import bridged
from tests.engine import ROOT, Workspace, engine_or_skip
from tests.engine_stack import Vendors, neon_like_database, prepared_workspace, running_vendors
from tests.pgserver import required_bindir

pytestmark = pytest.mark.engine

# The real program, its bridged resources and invokes built through the provider SDKs.
THROUGH_THE_SDKS = '''"""envkeeper's program as it ran before components/bridged.py."""

from tests.sdk_declarations import install

install()

from components.program import run  # noqa: E402

run()
'''


@pytest.fixture(scope="module")
def deployed_through_the_sdks(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Workspace, Vendors]]:
    engine = engine_or_skip()
    with running_vendors() as vendors, neon_like_database(required_bindir()) as (_, owner_url):
        ws = prepared_workspace(engine, tmp_path_factory.mktemp("switch"), vendors, owner_url)
        main = ws.project / "__main__.py"
        main.write_text(THROUGH_THE_SDKS)
        ws.run("up", "--yes", "--skip-preview")
        shutil.copy(ROOT / "__main__.py", main)  # from here on, today's program
        yield ws, vendors


# The types of the bridged providers' resources (their providers aside).
BRIDGED = ("random:", "postgresql:", "github:", "cloudflare:")


def resources(ws: Workspace) -> dict[str, dict[str, Any]]:
    """The state's resources by URN, secrets opened (their ciphertext changes on a write)."""
    state = json.loads(ws.run("stack", "export", "--show-secrets").stdout)["deployment"]
    return {r["urn"]: r for r in state["resources"]}


def recorded(resource: dict[str, Any]) -> dict[str, Any]:
    """What the state holds of a resource, but where it was made; dependencies in order
    (the SDK collects them in a set)."""
    found = {
        k: v for k, v in resource.items() if k not in ("sourcePosition", "stackTrace", "modified")
    }
    found["dependencies"] = sorted(found.get("dependencies", []))
    found["propertyDependencies"] = {
        k: sorted(v) for k, v in found.get("propertyDependencies", {}).items()
    }
    return found


def made_at(resource: dict[str, Any]) -> str:
    """The file of the line that made the resource, as the engine recorded it."""
    return Path(str(resource.get("sourcePosition", "")).split("#")[0]).name


def test_the_sdks_made_the_deployed_stack(
    deployed_through_the_sdks: tuple[Workspace, Vendors],
) -> None:
    ws, _ = deployed_through_the_sdks
    state = resources(ws)
    custom = [r for r in state.values() if r["type"].startswith(BRIDGED)]
    assert len(custom) > 30
    # Each was made by an SDK class called from the swap, not from the components.
    assert {made_at(r) for r in custom} == {"sdk_declarations.py"}
    # The default providers' URNs carry the versions the SDKs asked for (postgresql's
    # provider is explicit).
    defaults = {
        r["type"].rsplit(":", 1)[1]: r["urn"].rsplit("::", 1)[1]
        for r in state.values()
        if r["type"].startswith("pulumi:providers:") and "::default" in r["urn"]
    }
    for sdk in (bridged.RANDOM, bridged.GITHUB, bridged.CLOUDFLARE):
        version = bridged.plugin(sdk)[0]
        assert defaults[sdk.removeprefix("pulumi_")] == "default_" + version.replace(".", "_")


def test_todays_program_previews_no_change_and_an_up_sends_nothing(
    deployed_through_the_sdks: tuple[Workspace, Vendors],
) -> None:
    ws, vendors = deployed_through_the_sdks
    before = resources(ws)
    preview = ws.json("preview", "--diff")
    assert {s["urn"]: s["op"] for s in preview["steps"] if s["op"] != "same"} == {}
    ws.run("preview", "--expect-no-changes")

    vendors.changes()
    ws.run("up", "--yes", "--skip-preview")
    assert vendors.changes() == []
    after = resources(ws)
    assert after.keys() == before.keys()
    for urn, resource in after.items():
        assert recorded(resource) == recorded(before[urn]), urn
    # The same resources, now made by the components themselves.
    custom = [r for r in after.values() if r["type"].startswith(BRIDGED)]
    assert {made_at(r) for r in custom} == {
        "neon.py", "environment.py", "cloudflare.py", "github.py"
    }  # fmt: skip

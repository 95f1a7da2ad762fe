"""A rotation touches exactly the catalog's dependents of the secret: no more, no less.

For every managed secret and every slot, the keeper date moves forward and two runs of the
program are compared. What changes between them must be what `rotation.dependents` says,
which is also what `rotation bump` tells the user it will rotate.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from envkeeper.offline.program import SLOT_SWITCH, FakeProviders, ProgramRun, unwrap_all
from envkeeper.rotation.schedule import dependents
from envkeeper.stack import catalog
from envkeeper.stack.catalog import Catalog
from envkeeper.stack.declared import project_catalog
from tests.conftest import PROJECT, STACKS, TODAY
from tests.declared_project import DECLARED, declare
from tests.programs import changed_resources, load, run, set_rotation

NEW_DATE = TODAY.isoformat()


def managed(project_catalog: Catalog, declared: bool) -> list[tuple[str, str | None, bool]]:
    return [
        (entry.name, slot, declared)
        for entry in project_catalog.rotated
        if entry.managed and entry.declared == declared
        for slot in (catalog.SLOTS if entry.two_slots else (None,))
    ]


@pytest.fixture(scope="module")
def declared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped project with the declared secrets of docs/catalog.md added."""
    folder = tmp_path_factory.mktemp("declared")
    for file in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(PROJECT / file, folder / file)
    declare(folder)
    return folder


# Every stack of the shipped project mints the same kinds of credential (Resend keys and
# the Stripe endpoint included), so prod's catalog names them all.
MANAGED = managed(load("prod")[1].catalog, False) + managed(
    project_catalog(DECLARED, "Pulumi.yaml"), True
)


@pytest.fixture(scope="module")
def baselines(declared_root: Path) -> dict[tuple[str, bool], ProgramRun]:
    runs = {(stack, False): run(stack) for stack in STACKS}
    runs |= {(stack, True): run(stack, declared_root) for stack in STACKS}
    return runs


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(
    ("name", "slot", "declared"), MANAGED, ids=[f"{n}-{s or ''}" for n, s, _ in MANAGED]
)
def test_rotation_changes_exactly_the_dependents(
    tmp_path: Path,
    baselines: dict[tuple[str, bool], ProgramRun],
    declared_root: Path,
    stack: str,
    name: str,
    slot: str | None,
    declared: bool,
) -> None:
    source = declared_root if declared else PROJECT
    # Every stack file: the program reads the others (production makes their GitHub
    # environments), as the baseline's did.
    for file in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(source / file, tmp_path / file)
    _, settings = load(stack, source)
    set_rotation(tmp_path, stack, name, {slot: NEW_DATE} if slot else NEW_DATE)

    # As the engine would, against the records of the switches the baseline deployed.
    baseline = baselines[(stack, declared)]
    deployed = {r.name: unwrap_all(r.outputs) for r in baseline.by_type(SLOT_SWITCH)}
    fakes = FakeProviders("generated-", stack, deployed=deployed)
    changed = changed_resources(baseline, run(stack, tmp_path, providers=fakes))

    expected = dependents(settings, name, {slot} if slot else None, date.fromisoformat(NEW_DATE))
    assert changed == expected
    assert changed, "a rotation that changes nothing rotates nothing"


def test_every_managed_secret_and_slot_is_covered(declared_root: Path) -> None:
    names = {name for name, _, _ in MANAGED}
    stack_catalog = load("prod", declared_root)[1].catalog
    assert names == {e.name for e in stack_catalog if e.managed and e.rotated}
    assert ("DATABASE_URL", "a", False) in MANAGED
    assert ("CLOUDFLARE_API_TOKEN", "b", False) in MANAGED
    assert ("SESSION_SIGNING_KEY", None, True) in MANAGED

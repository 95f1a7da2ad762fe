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

from envkeeper import catalog
from envkeeper.offline import ProgramRun
from envkeeper.rotation import dependents
from tests.conftest import ROOT, STACKS
from tests.programs import changed_resources, load, run, set_rotation

MANAGED = [
    (entry.name, slot)
    for entry in catalog.ROTATED
    if entry.managed
    for slot in (catalog.SLOTS if entry.two_slots else (None,))
]
NEW_DATE = date.today().isoformat()


@pytest.fixture(scope="module")
def baselines() -> dict[str, ProgramRun]:
    return {stack: run(stack) for stack in STACKS}


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(("name", "slot"), MANAGED, ids=[f"{n}-{s or ''}" for n, s in MANAGED])
def test_rotation_changes_exactly_the_dependents(
    tmp_path: Path, baselines: dict[str, ProgramRun], stack: str, name: str, slot: str | None
) -> None:
    for file in ("Pulumi.yaml", "__main__.py", f"Pulumi.{stack}.yaml"):
        shutil.copy(ROOT / file, tmp_path / file)
    _, settings = load(stack)
    set_rotation(tmp_path, stack, name, {slot: NEW_DATE} if slot else NEW_DATE)

    changed = changed_resources(baselines[stack], run(stack, tmp_path))

    expected = dependents(settings, name, {slot} if slot else None)
    assert changed == expected
    assert changed, "a rotation that changes nothing rotates nothing"


def test_every_managed_secret_and_slot_is_covered() -> None:
    names = {name for name, _ in MANAGED}
    assert names == {e.name for e in catalog.CATALOG if e.managed}
    assert ("DATABASE_URL", "a") in MANAGED and ("CLOUDFLARE_API_TOKEN", "b") in MANAGED

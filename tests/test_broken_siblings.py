"""A stack file beside this one that cannot be read stops the command and is named.

Written from the attacker's side: with `Pulumi.staging.yaml` a folder or a dangling link,
`validate prod` said valid, `rotation status` left staging out without a word, and `plan
prod` declared 77 resources instead of 81: staging's GitHub environments were gone from
production's program, so its next `up` would have deleted them. A sibling that failed to
validate was likewise left out of the isolation checks of every other stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envkeeper.offline.program import ProgramError
from tests.programs import run


def folder(path: Path) -> None:
    path.unlink()
    path.mkdir()


def dangling_link(path: Path) -> None:
    path.unlink()
    path.symlink_to(path.parent / "Pulumi.gone.yaml")


def not_yaml(path: Path) -> None:
    path.write_text("config: [\n")


def invalid_settings(path: Path) -> None:
    path.write_text(path.read_text().replace("environment: staging", "environment: stage"))


BREAKS: dict[str, Callable[[Path], None]] = {
    "a folder": folder,
    "a dangling link": dangling_link,
    "not YAML": not_yaml,
    "invalid settings": invalid_settings,
}


@pytest.mark.parametrize("stack", ["prod", "dev"])
@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_validate_and_plan_name_the_broken_sibling(
    cli: Any, project: Path, kind: str, stack: str
) -> None:
    BREAKS[kind](project / "Pulumi.staging.yaml")
    for command in (["validate", stack], ["plan", stack]):
        result = cli(*command)
        assert result.exit_code == 2, (command, result.output)
        assert "Pulumi.staging.yaml" in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.output
    # The program refuses as validate does: `pulumi up` reads the same siblings.
    with pytest.raises(ProgramError, match=r"Pulumi\.staging\.yaml"):
        run(stack, project)


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_rotation_status_names_the_broken_stack_file(cli: Any, project: Path, kind: str) -> None:
    BREAKS[kind](project / "Pulumi.staging.yaml")
    result = cli("rotation", "status")
    assert result.exit_code == 2, result.output
    assert "Pulumi.staging.yaml" in result.stderr


def test_with_every_sibling_readable_production_declares_staging_environments(
    project: Path,
) -> None:
    environments = [
        r.inputs["environment"]
        for r in run("prod", project).by_type(
            "github:index/repositoryEnvironment:RepositoryEnvironment"
        )
    ]
    assert "staging" in environments

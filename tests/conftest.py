"""Shared fixtures: the project, stack files in a scratch project, and offline runs."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from envkeeper.cli import _state, app

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("dev", "staging", "prod")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A scratch copy of the project: its program and its three stack files."""
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(ROOT / name, tmp_path / name)
    return tmp_path


class Cli:
    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        self.runner = CliRunner()

    def __call__(self, *args: str) -> Any:
        _state.clear()
        result = self.runner.invoke(app, ["--project-dir", str(self.project_dir), *args])
        _state.clear()
        return result


@pytest.fixture
def cli(project: Path) -> Callable[..., Any]:
    """Run `envkeeper ARGS` in-process against the scratch project."""
    return Cli(project)

"""Shared fixtures: the project, stack files in a scratch project, and offline runs."""

from __future__ import annotations

import shutil
import sys
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


def tool(name: str) -> str:
    """A dev tool of this environment: beside the running interpreter, so the tests need no
    activated virtualenv (`.venv/bin/python -m pytest` works too)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    assert found, f"{name} is not installed: run `uv sync`"
    return found

"""Lint, format and types are part of the tests."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["basedpyright"],
    ],
    ids=["ruff-check", "ruff-format", "pyright"],
)
def test_tool_is_clean(command: list[str]) -> None:
    tool = shutil.which(command[0])
    assert tool, f"{command[0]} is not installed: run `uv sync`"
    result = subprocess.run([tool, *command[1:]], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

"""Lint, format and types are part of the tests."""

from __future__ import annotations

import subprocess

import pytest

from tests.conftest import ROOT, tool


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
    found = tool(command[0])
    result = subprocess.run([found, *command[1:]], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

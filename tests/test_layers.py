"""The core's folders as layers: what each may import, held by import-linter's contracts in
pyproject.toml (type-only imports included), and shown to fail when a planted import breaks
them. A new folder under envkeeper/ has to be placed in the layers before anything passes."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")
LONG = 400  # lines: a core module longer than this says why in its docstring


def lint(project: Path) -> subprocess.CompletedProcess[str]:
    # The copy under test comes first on the path, before the installed project.
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=project, env=env, capture_output=True, text=True
    )


def copy_of_project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "pyproject.toml", project)
    for package in ("envkeeper", "components"):
        shutil.copytree(
            ROOT / package, project / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return project


def plant(module: Path, line: str) -> None:
    text = module.read_text()
    module.write_text(text + "\n" + line + "\n")


def test_the_core_keeps_its_layers() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        # the lowest door reaching up to the plan
        (
            "envkeeper/doors/problems.py",
            "from envkeeper.offline import plan  # noqa",
            "The core's packages import downward only",
        ),
        # a vendor naming the settings that gather it, for a type hint only
        (
            "envkeeper/vendors/naming.py",
            "if TYPE_CHECKING:\n    from envkeeper.stack.settings import Settings  # noqa",
            "The core's packages import downward only",
        ),
        # a type-only circle between two doors
        (
            "envkeeper/doors/reading.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from envkeeper.doors import writing  # noqa",
            "No import circle inside a package",
        ),
        # the pure core importing a Pulumi resource
        (
            "envkeeper/rotation/bump.py",
            "import components.worker_secret  # noqa",
            "The core never imports the Pulumi resources",
        ),
    ],
)
def test_a_planted_import_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    project = copy_of_project(tmp_path)
    plant(project / module, line)
    result = lint(project)
    assert result.returncode != 0
    assert f"{broken}" in result.stdout
    assert "BROKEN" in result.stdout


def test_a_new_folder_must_be_placed_in_the_layers(tmp_path: Path) -> None:
    project = copy_of_project(tmp_path)
    (project / "envkeeper" / "misc").mkdir()
    (project / "envkeeper" / "misc" / "__init__.py").write_text('"""Anything."""\n')
    result = lint(project)
    assert result.returncode != 0
    assert "envkeeper.misc" in result.stdout


def core_modules() -> list[Path]:
    return sorted((ROOT / "envkeeper").rglob("*.py"))


def test_every_folder_says_what_it_holds_and_what_it_may_import() -> None:
    for folder in sorted(p for p in (ROOT / "envkeeper").iterdir() if p.is_dir()):
        if folder.name == "__pycache__":
            continue
        init = folder / "__init__.py"
        assert init.is_file(), f"{folder.name}/ has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text())) or ""
        assert "import" in doc.lower(), f"{folder.name}/__init__.py: say what it may import"


def test_a_long_core_module_says_why() -> None:
    for module in core_modules():
        lines = module.read_text().count("\n")
        if lines <= LONG:
            continue
        doc = ast.get_docstring(ast.parse(module.read_text())) or ""
        assert "Long because" in doc, (
            f"{module.relative_to(ROOT)} has {lines} lines: split it, or say in its docstring "
            "why it is one module (`Long because ...`)"
        )


def test_the_command_line_holds_no_command_body() -> None:
    """cli.py wires the apps of envkeeper/commands/; a command defined there would bring
    back the one long file the commands were split out of."""
    tree = ast.parse((ROOT / "envkeeper" / "cli.py").read_text())
    commands = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and any("command" in ast.unparse(d) for d in node.decorator_list)
    ]
    assert commands == [], f"cli.py defines {commands}: move them to envkeeper/commands/"


def test_a_state_names_no_core_module_so_the_core_can_move() -> None:
    """Each dynamic provider is pickled into the state and unpickled by every later
    `pulumi up`. Pickled by reference to components/ alone, a state written today still
    loads after the core's modules move again; a reference into envkeeper/ would not."""
    import base64
    import importlib
    import inspect
    import pkgutil

    from pulumi.dynamic import ResourceProvider
    from pulumi.dynamic.dynamic import serialize_provider

    import components

    found = []
    for info in pkgutil.iter_modules(components.__path__):
        module = importlib.import_module(f"components.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ResourceProvider) and cls.__module__ == module.__name__:
                if inspect.isabstract(cls) or cls.__name__.startswith("_"):
                    continue
                try:
                    provider = cls()
                except TypeError:
                    continue  # a base that needs arguments: its subclasses are checked
                pickled = base64.b64decode(serialize_provider(provider))
                assert b"components." in pickled, cls.__name__
                assert b"envkeeper" not in pickled, f"{cls.__name__} pickles a core module"
                found.append(cls.__name__)
    assert "WorkerSecretProvider" in found and len(found) >= 7, found


def test_help_lists_the_commands_as_the_command_modules_hold_them() -> None:
    """A newcomer finds a command's module from the heading it has in `envkeeper --help`;
    a command module the app does not add, or adds without its heading, fails here."""
    import importlib
    import pkgutil

    from envkeeper import cli, commands
    from envkeeper.commands import rotation

    added = {id(group.typer_instance) for group in cli.app.registered_groups}
    modules = []
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"envkeeper.commands.{info.name}")
        if not hasattr(module, "app"):
            continue  # what the commands share, not a command
        modules.append(info.name)
        assert id(module.app) in added, f"cli.py does not add commands/{info.name}.py"
        assert isinstance(module.PANEL, str), f"commands/{info.name}.py: give it a PANEL"
        for command in module.app.registered_commands:
            if module is not rotation:
                assert command.rich_help_panel == module.PANEL, command.name
    assert len(modules) >= 6, modules
    text = CliRunner().invoke(cli.app, ["--help"], env={"COLUMNS": "100"}).output
    for name in modules:
        panel = importlib.import_module(f"envkeeper.commands.{name}").PANEL
        assert f"─ {panel} ─" in text, panel

"""The real Pulumi engine for the engine tests: a `pulumi` CLI with a file backend.

A `pulumi` on PATH is used as it is (every real user has one; GitHub's runners get one
from pulumi/actions), with the provider plugins installed for it. Elsewhere the CLI built
by scripts/pulumi-from-source.sh is used, with the plugins scripts/provider-plugins.sh
built. Each workspace is self-contained: its own PULUMI_HOME (sharing only the installed
plugins), a file backend in a temporary folder, a passphrase secrets provider, and no
update check or plugin download.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envkeeper.config.stackfile import round_trip_yaml
from tests.conftest import pinned_env

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "engine-test-passphrase"  # encrypts throwaway test state only
# How long one CLI call may take; a first run starts Python and the plugins cold.
TIMEOUT = 300


def built_engine_dir() -> Path:
    """Where scripts/pulumi-from-source.sh puts what it builds."""
    home = os.environ.get("ENVKEEPER_ENGINE_HOME")
    if home:
        return Path(home) / "bin"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "envkeeper" / "pulumi-engine" / "bin"


def find_engine() -> Path | None:
    """The folder holding the `pulumi` CLI the tests should run, or None."""
    on_path = shutil.which("pulumi")
    if on_path:
        return Path(on_path).resolve().parent
    built = built_engine_dir()
    return built if (built / "pulumi").is_file() else None


# The provider plugins the real program needs; terraform-provider runs Neon's (sdks/neon).
PLUGINS = ("random", "postgresql", "github", "cloudflare", "terraform-provider")


def plugins_dir(engine: Path) -> Path:
    """Where the plugins for `engine` are installed: the built engine's own PULUMI_HOME
    (scripts/provider-plugins.sh build), else the CLI's usual home (`pulumi plugin
    install`, as scripts/provider-plugins.sh install does)."""
    if engine == built_engine_dir():
        return engine.parent / "pulumi-home" / "plugins"
    home = os.environ.get("PULUMI_HOME")
    return (Path(home) if home else Path.home() / ".pulumi") / "plugins"


def missing_plugins(engine: Path) -> list[str]:
    """The plugins of PLUGINS that are not installed for `engine`."""
    folder = plugins_dir(engine)
    found = {p.name for p in folder.glob("resource-*")} if folder.is_dir() else set()
    return [name for name in PLUGINS if not any(f.startswith(f"resource-{name}-v") for f in found)]


def engine_or_skip() -> Path:
    """The engine for an engine test; skipped where there is none, except in CI, where a
    missing engine is a broken run (CI builds it first)."""
    import pytest

    found = find_engine()
    why = None
    if os.environ.get("ENVKEEPER_NO_PROVIDER_SOURCES"):
        # .ci/run found no provider sources to build the plugins from on this machine.
        pytest.skip("the provider plugins could not be built here: no provider sources")
    if found is None:
        why = "no pulumi CLI: put one on PATH or run scripts/pulumi-from-source.sh"
    elif missing := missing_plugins(found):
        why = f"no provider plugin for {', '.join(missing)}: run scripts/provider-plugins.sh"
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    assert found is not None
    return found


class EngineError(AssertionError):
    pass


@dataclass
class Workspace:
    """One project folder and its backend; `run` calls the CLI there."""

    engine: Path
    root: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    # What each CLI call runs inside (e.g. a mount namespace with its own /etc/hosts).
    wrapper: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Each workspace has its own PULUMI_HOME; the provider plugins are shared.
        plugins = plugins_dir(self.engine)
        if plugins.is_dir():
            (self.root / "home").mkdir(parents=True, exist_ok=True)
            link = self.root / "home" / "plugins"
            if not link.exists():
                link.symlink_to(plugins, target_is_directory=True)
            # Where the terraform-provider plugin finds the Terraform providers it runs.
            providers = plugins.parent / "dynamic_tf_plugins"
            link = self.root / "home" / "dynamic_tf_plugins"
            if providers.is_dir() and not link.exists():
                link.symlink_to(providers, target_is_directory=True)

    @property
    def project(self) -> Path:
        return self.root / "project"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def env(self) -> dict[str, str]:
        venv_bin = str(Path(sys.executable).parent)
        env = {
            k: v
            for k, v in os.environ.items()
            # A developer's own Pulumi settings must not leak into the test backend.
            if not k.startswith(("PULUMI_", "CLOUDFLARE_"))
        }
        env.update(
            PATH=os.pathsep.join([str(self.engine), venv_bin, env.get("PATH", "")]),
            PULUMI_HOME=str(self.root / "home"),
            PULUMI_BACKEND_URL=self.state.as_uri(),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_CONFIRMATIONS="true",
            NO_COLOR="1",
        )
        env = pinned_env(env)  # the program's "today" is the suite's
        env.update(self.env_extra)
        return env

    def run(
        self, *args: str, check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*self.wrapper, "pulumi", *args, "--non-interactive"],
            cwd=cwd or self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        if check and done.returncode != 0:
            raise EngineError(
                f"pulumi {' '.join(args)} exited {done.returncode}\n"
                f"--- stdout\n{done.stdout[-6000:]}\n--- stderr\n{done.stderr[-6000:]}"
            )
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def start(self, *args: str) -> subprocess.Popen[str]:
        """`pulumi ARGS` in the background, its output to a pipe; `kill_tree` ends it."""
        return subprocess.Popen(
            [*self.wrapper, "pulumi", *args, "--non-interactive"],
            cwd=self.project,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def envkeeper(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`envkeeper ARGS` in this workspace, as a deploy job runs it: with the pulumi CLI
        and the backend the workspace uses."""
        return subprocess.run(
            [sys.executable, "-m", "envkeeper", "--project-dir", str(self.project), *args],
            cwd=self.project,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )


def new_workspace(
    engine: Path, root: Path, stack: str, stack_file: str, declared: list[Any] | None = None
) -> Workspace:
    """The real program (`__main__.py`, importing envkeeper from the project's virtualenv)
    with the project's own Pulumi.yaml, `declared` as its envkeeper:secrets, and
    `stack_file` (the text of a Pulumi.<stack>.yaml) as its stack's settings."""
    ws = Workspace(engine=engine, root=root)
    ws.project.mkdir(parents=True)
    ws.state.mkdir()
    shutil.copy(ROOT / "__main__.py", ws.project / "__main__.py")
    yaml = round_trip_yaml()
    project = yaml.load((ROOT / "Pulumi.yaml").read_text())
    # The project's runtime is `toolchain: uv`, which would make a new virtualenv from
    # pyproject.toml here; the tests' own virtualenv already holds everything.
    project["runtime"]["options"] = {"virtualenv": str(Path(sys.prefix))}
    if declared is not None:
        project.setdefault("config", {})["envkeeper:secrets"] = declared
    with (ws.project / "Pulumi.yaml").open("w") as handle:
        yaml.dump(project, handle)
    (ws.project / f"Pulumi.{stack}.yaml").write_text(stack_file)
    ws.run("stack", "init", stack, "--secrets-provider", "passphrase")
    return ws


def required_engine() -> Path:
    """The engine's folder for a test module's fixture (`engine_or_skip`, by its other name)."""
    return engine_or_skip()


def process_tree(root: int) -> list[int]:
    """`root` and every process below it. The CLI starts its plugins in process groups of
    their own, so killing its group would leave them running."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def kill_tree(root: int) -> None:
    """SIGKILL every process of a run at once, as a dying CI runner does."""
    import contextlib
    import signal

    for pid in process_tree(root):
        with contextlib.suppress(ProcessLookupError):  # ended meanwhile
            os.kill(pid, signal.SIGKILL)

"""Local development under the real engine: a dev stack that allows it, deployed with the
real program, CLI and plugins (the same stand-ins and PostgreSQL as tests/test_engine.py,
in a workspace of its own), then `envkeeper dev-vars` and `envkeeper run` as a developer
runs them: a separate process, reading the stack with the real `pulumi` on PATH.

The stack is dev's shipped file with a second Worker that gets three secrets only, so each
Worker's own set is what reaches a laptop. Each test can run alone: the stack is deployed
by the first test that needs it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pytest

from envkeeper.config.stackfile import round_trip_yaml
from envkeeper.local import exports as local
from tests.conftest import PROJECT, said
from tests.declared_project import DATES, DECLARED
from tests.dotenv_parse import parse
from tests.engine import Workspace, new_workspace, required_engine
from tests.engine_stack import (
    CONFIG_SECRETS,
    OWNER_PASSWORD,
    Vendors,
    neon_like_database,
    prepared_workspace,
    running_vendors,
    stack_file,
)
from tests.pgserver import Server, required_bindir
from tests.programs import load
from tests.test_readme import local_loop

pytestmark = pytest.mark.engine

STACK = "dev"
ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
API, WEBHOOKS = "example-api-dev", "example-webhooks-dev"
WEBHOOK_SECRETS = ["DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]
DOMAIN = "dev.mail.example.com"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # a secret value's marker in the state
ENVKEEPER = str(Path(sys.executable).parent / "envkeeper")


def dev_file(vendors: Vendors) -> str:
    """Dev's shipped file as the engine runs it, with a second, narrower Worker."""
    yaml = round_trip_yaml()
    document = yaml.load(stack_file(vendors, STACK))
    document["config"]["envkeeper:cloudflare"]["workers"] = [
        API,
        {"name": WEBHOOKS, "secrets": WEBHOOK_SECRETS},
    ]
    out = StringIO()
    yaml.dump(document, out)
    return out.getvalue()


def with_declared_dates(text: str) -> str:
    """A shipped stack file with the keeper dates of the secrets the workspace declares."""
    yaml = round_trip_yaml()
    document = yaml.load(text)
    document["config"]["envkeeper:rotation"].update(DATES)
    out = StringIO()
    yaml.dump(document, out)
    return out.getvalue()


@pytest.fixture(scope="module")
def engine() -> Path:
    return required_engine()


@pytest.fixture(scope="module")
def database() -> Iterator[tuple[Server, str]]:
    with neon_like_database(required_bindir()) as found:
        yield found


@pytest.fixture(scope="module")
def vendors() -> Iterator[Vendors]:
    with running_vendors(ACCOUNT, (API, WEBHOOKS), DOMAIN) as found:
        yield found


@dataclass
class LocalStack:
    ws: Workspace
    vendors: Vendors
    owner_url: str
    deployed: bool = False
    state_home: Path = field(init=False)

    def __post_init__(self) -> None:
        self.state_home = self.ws.root / "state-home"

    @property
    def app(self) -> Path:
        """The app's repository beside the project, ignoring .dev.vars as the docs say."""
        folder = self.ws.root / "example-app"
        if not folder.is_dir():
            folder.mkdir()
            subprocess.run(["git", "init", "-q", str(folder)], check=True)
            (folder / ".gitignore").write_text(".dev.vars\n")
        return folder

    def up(self) -> LocalStack:
        if not self.deployed:
            self.ws.run("up", "--yes", "--skip-preview")
            self.deployed = True
        return self

    def env(self, **extra: str) -> dict[str, str]:
        return {**self.ws.env(), "XDG_STATE_HOME": str(self.state_home), **extra}

    def envkeeper(
        self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`envkeeper ARGS` as a developer runs it: its own process, the real pulumi."""
        return subprocess.run(
            [ENVKEEPER, *args],
            cwd=cwd or self.ws.project,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def held(self, worker: str) -> dict[str, str]:
        """What the Worker stand-in received: each secret's value, as Cloudflare keeps it."""
        return {n: v for (w, n), v in self.vendors.cloudflare.secrets.items() if w == worker}


@pytest.fixture(scope="module")
def stack(
    engine: Path,
    database: tuple[Server, str],
    vendors: Vendors,
    tmp_path_factory: pytest.TempPathFactory,
) -> LocalStack:
    _, owner_url = database
    root = tmp_path_factory.mktemp("engine-local")
    ws = prepared_workspace(engine, root, vendors, owner_url, STACK, dev_file(vendors))
    return LocalStack(ws, vendors, owner_url)


def refused(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = said(done.stderr)
    # The suite's pinned day (ENVKEEPER_TODAY), which every command names first.
    assert lines[0].startswith("note: today is "), lines
    (line,) = lines[1:]
    return line


def test_dev_vars_writes_exactly_what_each_worker_received_mode_0600(stack: LocalStack) -> None:
    stack.up()
    settings = load(STACK, stack.ws.project)[1]
    for worker in (API, WEBHOOKS):
        path = stack.app / f".dev.vars.{worker}"
        (stack.app / ".gitignore").write_text(".dev.vars\n.dev.vars.*\n")
        done = stack.envkeeper("dev-vars", STACK, "--worker", worker, "--output", str(path))
        assert done.returncode == 0, done.stderr
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        held = stack.held(worker)
        assert set(held) == set(settings.cloudflare.secrets_of(worker))
        assert parse(path.read_text()) == {**held, "CORS_ORIGIN": "http://localhost:3001"}
        for value in held.values():
            assert value not in done.stdout + done.stderr
    assert set(stack.held(WEBHOOKS)) == set(WEBHOOK_SECRETS)


CHECKER = """
import hashlib, json, os, sys
want = json.loads(sys.argv[1])
ok = [n for n, h in want.items() if hashlib.sha256(os.environ.get(n, "").encode()).hexdigest() == h]
print(" ".join(sorted(ok)))
sys.exit(0 if len(ok) == len(want) else 3)
"""


def test_run_hands_the_values_to_a_child_that_checks_them(stack: LocalStack) -> None:
    stack.up()
    held = {**stack.held(WEBHOOKS), "CORS_ORIGIN": "http://localhost:3001"}
    digests = json.dumps({k: hashlib.sha256(v.encode()).hexdigest() for k, v in held.items()})
    before = sorted(p.name for p in stack.ws.project.iterdir())

    done = stack.envkeeper(
        "run", STACK, "--worker", WEBHOOKS, "--", sys.executable, "-c", CHECKER, digests
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == sorted(held)  # its names, checked by the child itself
    for value in held.values():
        assert value not in done.stdout + done.stderr
    assert sorted(p.name for p in stack.ws.project.iterdir()) == before  # no file written


def test_the_state_holds_the_output_encrypted_and_no_value_in_clear(stack: LocalStack) -> None:
    stack.up()
    exported = stack.ws.run("stack", "export").stdout
    values = [*CONFIG_SECRETS.values(), stack.owner_url, OWNER_PASSWORD]
    for worker in (API, WEBHOOKS):
        values += stack.held(worker).values()
    for value in values:
        assert value not in exported
    assert "CANARY" not in exported
    (root,) = [
        r for r in json.loads(exported)["deployment"]["resources"]
        if r["type"] == "pulumi:pulumi:Stack"
    ]  # fmt: skip
    assert SECRET_SIG in root["outputs"][local.OUTPUT]
    assert root["outputs"]["environment"] == "dev"


def test_what_the_real_cli_refuses_is_one_line(stack: LocalStack) -> None:
    stack.up()
    path = stack.app / ".dev.vars"
    args = ("dev-vars", STACK, "--worker", API, "--output", str(path))
    wrong = stack.env(PULUMI_CONFIG_PASSPHRASE="not-the-passphrase")
    assert "cannot decrypt this stack's outputs" in refused(stack.envkeeper(*args, env=wrong))
    no_key = {k: v for k, v in stack.env().items() if k != "PULUMI_CONFIG_PASSPHRASE"}
    assert "cannot decrypt this stack's outputs" in refused(stack.envkeeper(*args, env=no_key))
    # Nobody logged in: no backend URL, a Pulumi home of its own, no access token.
    home = stack.ws.root / "nobody-home"
    home.mkdir(exist_ok=True)
    nobody = {k: v for k, v in stack.env().items() if k != "PULUMI_BACKEND_URL"}
    nobody["PULUMI_HOME"] = str(home)
    assert "not logged in" in refused(stack.envkeeper(*args, env=nobody))
    no_cli = stack.env(PATH=str(Path(sys.executable).parent) + os.pathsep + "/usr/bin")
    assert "pulumi: not found on PATH" in refused(stack.envkeeper(*args, env=no_cli))
    assert not path.exists()


def test_a_stack_not_there_or_never_deployed_is_named(
    engine: Path, stack: LocalStack, tmp_path: Path
) -> None:
    # A workspace of its own, on its own backend: the stack is made, never deployed.
    ws = new_workspace(engine, tmp_path, STACK, dev_file(stack.vendors), DECLARED)
    env = {**ws.env(), "XDG_STATE_HOME": str(tmp_path / "state-home")}
    args = ("dev-vars", STACK, "--worker", API, "--output", str(tmp_path / ".dev.vars"))

    def envkeeper() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [ENVKEEPER, *args], cwd=ws.project, env=env, capture_output=True, text=True
        )

    assert refused(envkeeper()) == (
        "stack dev: has never been deployed; run `pulumi up --stack dev` first"
    )
    ws.run("stack", "rm", STACK, "--yes", "--preserve-config")  # the file stays, the stack goes
    assert "has no stack dev" in refused(envkeeper())
    assert not (tmp_path / ".dev.vars").exists()


def test_production_refuses_both_commands_and_the_program_refuses_it_too(
    engine: Path, stack: LocalStack, tmp_path: Path
) -> None:
    ws = new_workspace(engine, tmp_path, STACK, dev_file(stack.vendors), DECLARED)
    env = {**ws.env(), "XDG_STATE_HOME": str(tmp_path / "state-home")}
    prod = with_declared_dates((PROJECT / "Pulumi.prod.yaml").read_text())
    for name, text, key in (
        ("prod", prod, "envkeeper:environment: is production"),
        ("live", prod + "  envkeeper:localDevelopment: true\n", "envkeeper:localDevelopment:"),
    ):
        (ws.project / f"Pulumi.{name}.yaml").write_text(text)
        for command in (
            ["dev-vars", name, "--output", str(tmp_path / ".dev.vars")],
            ["run", name, "--", sys.executable, "-c", "print('ran')"],
        ):
            done = subprocess.run(
                [ENVKEEPER, *command], cwd=ws.project, env=env, capture_output=True, text=True
            )
            line = refused(done)
            assert f"Pulumi.{name}.yaml: {key}" in line and "ran" not in done.stdout
    # The real program under the real engine: a production stack never exports them.
    ws.run("stack", "init", "live", "--secrets-provider", "passphrase")
    preview = ws.run("preview", "--stack", "live", check=False)
    assert preview.returncode != 0
    assert (
        "Pulumi.live.yaml: envkeeper:localDevelopment: production is never run locally"
        in preview.stdout + preview.stderr
    )
    assert not (tmp_path / ".dev.vars").exists()


def test_the_docs_local_loop_runs_as_shown(stack: LocalStack) -> None:
    deploy, write, start = local_loop("index.md", "## Try it")
    stack.ws.run(*shlex.split(deploy)[1:])  # pulumi up --stack dev
    stack.deployed = True
    uv_run, envkeeper = shlex.split(write)[:3], shlex.split(write)[3:]
    assert uv_run == ["uv", "run", "envkeeper"]  # the project's own entry point
    assert stack.app.is_dir()  # the app's repository beside this one, ignoring .dev.vars
    done = stack.envkeeper(*envkeeper)
    assert done.returncode == 0, done.stderr
    # `cd ../example-app && npx wrangler dev`: wrangler reads .dev.vars from that folder.
    folder = shlex.split(start)[1]
    written = parse((stack.ws.project / folder / ".dev.vars").read_text())
    assert written == {**stack.held(API), "CORS_ORIGIN": "http://localhost:3001"}
    assert set(written) >= {"OPENAI_API_KEY", "SESSION_SIGNING_KEY"}

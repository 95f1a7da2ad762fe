"""Local development: a stack that allows it exports its Workers' values as one secret
output, and `envkeeper dev-vars` / `envkeeper run` read it back with the user's own Pulumi
CLI (here a stand-in on PATH that answers as the real one; tests/test_engine_local.py runs
the real one). Never production, never a provider credential, never a value on screen.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from envkeeper.config.stackfile import load_config
from envkeeper.local import dotenv
from envkeeper.local import exports as local
from envkeeper.offline.program import ProgramError, is_secret, run_program, unwrap_all
from tests.conftest import ROOT, Cli
from tests.dotenv_parse import parse
from tests.programs import canaries, load, plan_json, run, set_rotation
from tests.pulumi_standin import (
    NO_PASSPHRASE,
    NO_STACK,
    NOT_LOGGED_IN,
    WRONG_PASSPHRASE,
    StandInPulumi,
)

WEBHOOKS = "example-webhooks-dev"
WEBHOOK_SECRETS = ["DATABASE_URL", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"]


def two_workers(project: Path) -> None:
    """Dev with a second Worker that gets three secrets only, as production's webhook one."""
    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    old = "    workers: [example-api-dev]\n"
    assert old in text
    path.write_text(
        text.replace(
            old,
            "    workers:\n      - example-api-dev\n"
            f"      - name: {WEBHOOKS}\n        secrets: [{', '.join(WEBHOOK_SECRETS)}]\n",
        )
    )


def deployed_outputs(project: Path, tag: str = "local") -> tuple[dict[str, Any], dict[str, str]]:
    """The dev stack's outputs as `pulumi stack output --json --show-secrets` would print
    them after an up, from a real (offline) run of the program with canary secrets."""
    secrets = canaries(tag, project, stack="dev")
    result = run("dev", project, secrets=secrets, generated_prefix=f"CANARY-{tag}-generated-")
    return unwrap_all(result.stack_outputs), secrets


@pytest.fixture
def git_project(project: Path) -> Path:
    """The scratch project as a repository that ignores .dev.vars, as the docs say."""
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / ".gitignore").write_text(".dev.vars\n")
    return project


@pytest.fixture
def pulumi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StandInPulumi:
    standin = StandInPulumi(tmp_path / "bin")
    monkeypatch.setenv("PATH", standin.path_first())
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return standin


def one_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# ---- the setting ------------------------------------------------------------------------


def test_dev_says_yes_and_staging_and_production_say_no_by_default() -> None:
    assert load("dev")[1].local_development is True
    assert load("staging")[1].local_development is False
    assert load("prod")[1].local_development is False


@pytest.mark.parametrize("name", ["prod", "live"])
def test_production_with_local_development_is_refused_whatever_the_stack_is_called(
    cli: Cli, project: Path, name: str
) -> None:
    text = (project / "Pulumi.prod.yaml").read_text()
    (project / "Pulumi.prod.yaml").unlink()
    (project / f"Pulumi.{name}.yaml").write_text(text + "  envkeeper:localDevelopment: true\n")

    line = one_line(cli("validate", name))

    _, problem = line.split(f"Pulumi.{name}.yaml: ", 1)
    assert problem.startswith("envkeeper:localDevelopment: production is never run locally")
    assert "delete this line" in problem
    # The program refuses it too, with the same line: a manual `pulumi up` cannot skip it.
    config = load_config(project, name)
    with pytest.raises(ProgramError) as refused:
        run_program(project, name, config.values, {})
    assert str(refused.value) == f"Pulumi.{name}.yaml: {problem}"


# ---- the export -------------------------------------------------------------------------


def test_only_a_local_stack_exports_its_workers_values_as_one_secret_output(project: Path) -> None:
    two_workers(project)
    secrets = canaries("export", project, stack="dev")
    result = run("dev", project, secrets=secrets, generated_prefix="CANARY-export-generated-")
    output = result.stack_outputs[local.OUTPUT]
    assert is_secret(output)  # encrypted in the state like every other secret
    value = unwrap_all(output)
    _, settings = load("dev", project)
    assert value["format"] == local.FORMAT and value["environment"] == "dev"
    assert value["vars"] == {"CORS_ORIGIN": "http://localhost:3001"}
    # Each Worker exactly its own set; the values are the ones its Worker secrets carry.
    assert {w: set(v) for w, v in value["workers"].items()} == {
        "example-api-dev": set(settings.catalog.worker_secret_names()),
        WEBHOOKS: set(WEBHOOK_SECRETS),
    }
    carried = {
        (r.inputs["scriptName"], r.inputs["name"]): unwrap_all(r.inputs["text"])
        for r in result.by_type("pulumi-python:dynamic/envkeeper:WorkerSecret")
    }
    for worker, held in value["workers"].items():
        assert held == {name: carried[(worker, name)] for name in held}
    # No provider credential, and nothing that goes to CI only.
    text = json.dumps(value)
    for key in settings.catalog.secure_config_keys():
        if key not in ("envkeeper:stripeSecretKey",):  # the app's own key is a Worker secret
            assert secrets[key] not in text, key
    assert "CLOUDFLARE_API_TOKEN" not in text and "MIGRATION_DATABASE_URL" not in text
    assert set(value["keeperDates"]) == set(value["workers"]["example-api-dev"])

    for stack in ("staging", "prod"):
        assert local.OUTPUT not in run(stack, project).stack_outputs


def test_the_offline_plan_shows_the_output_as_secret(cli: Cli, project: Path) -> None:
    plan = plan_json(cli, "dev")
    assert plan["outputs"][local.OUTPUT] == "[secret]"
    table = cli("plan", "dev").stdout
    assert f"{local.OUTPUT} [secret]" in table
    assert local.OUTPUT not in plan_json(cli, "staging")["outputs"]


# ---- dev-vars ---------------------------------------------------------------------------


def read_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_dev_vars_writes_the_workers_own_secrets_and_plain_vars_mode_0600(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    two_workers(git_project)
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)

    done = cli("dev-vars", "dev", "--worker", WEBHOOKS, "--output", str(git_project / ".dev.vars"))

    assert done.exit_code == 0, done.output
    path = git_project / ".dev.vars"
    assert read_mode(path) == 0o600
    held = outputs[local.OUTPUT]["workers"][WEBHOOKS]
    assert parse(path.read_text()) == {**held, "CORS_ORIGIN": "http://localhost:3001"}
    assert set(held) == set(WEBHOOK_SECRETS)
    # What was asked, and where: the user's CLI, in the project, the stack named.
    (call,) = pulumi.calls()
    assert call["argv"] == [
        "stack", "output", "--json", "--show-secrets", "--stack", "dev", "--non-interactive"
    ]  # fmt: skip
    assert Path(call["cwd"]) == git_project
    # Names only on the terminal.
    for value in held.values():
        assert value not in done.output
    assert "3 secrets (DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET)" in done.stdout
    assert "mode 0600" in done.stdout


def test_a_rerun_after_a_rotation_replaces_the_file_whole(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    path = git_project / ".dev.vars"
    path.write_text("OLD=1\n")
    path.chmod(0o644)
    outputs, _ = deployed_outputs(git_project, "before")
    pulumi.outputs(outputs)
    assert cli("dev-vars", "dev", "-o", str(path)).exit_code == 0
    first = parse(path.read_text())
    assert "OLD" not in first and read_mode(path) == 0o600

    set_rotation(git_project, "dev", "DATABASE_URL_READONLY", "2026-11-20")
    outputs, _ = deployed_outputs(git_project, "before")  # same canaries, new keeper date
    pulumi.outputs(outputs)
    assert cli("dev-vars", "dev", "-o", str(path)).exit_code == 0
    second = parse(path.read_text())
    assert second["DATABASE_URL_READONLY"] != first["DATABASE_URL_READONLY"]
    assert {k for k in first if first[k] != second[k]} == {"DATABASE_URL_READONLY"}
    # No temporary file is left beside it.
    assert sorted(p.name for p in git_project.iterdir() if p.name.startswith(".dev.vars")) == [
        ".dev.vars"
    ]


def test_rotation_status_names_a_local_file_older_than_a_rotation(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    path = git_project / ".dev.vars"
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    assert cli("dev-vars", "dev", "-o", str(path)).exit_code == 0
    fresh = cli("rotation", "status", "dev", "--today", "2026-11-21")
    assert ".dev.vars" not in fresh.stderr

    set_rotation(git_project, "dev", "DATABASE_URL", {"a": "2026-11-20"})  # the older slot
    stale = cli("rotation", "status", "dev", "--today", "2026-11-21")
    (note,) = [line for line in stale.stderr.splitlines() if ".dev.vars" in line]
    assert "older than the last rotation of DATABASE_URL (2026-11-20)" in note
    assert "envkeeper dev-vars dev --worker example-api-dev --output" in note
    # Written again after the up (the stack now exports the new date): no note.
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    assert cli("dev-vars", "dev", "-o", str(path)).exit_code == 0
    assert ".dev.vars" not in cli("rotation", "status", "dev", "--today", "2026-11-21").stderr
    # A deleted file is no longer reported.
    set_rotation(git_project, "dev", "DATABASE_URL", {"b": "2026-11-21"})
    path.unlink()
    assert ".dev.vars" not in cli("rotation", "status", "dev", "--today", "2026-11-21").stderr


# ---- bad input: one line, exit 2, no file ------------------------------------------------


def tail(command: str, folder: Path) -> list[str]:
    """What each command needs besides the stack: a file to write, or a command to run."""
    if command == "run":
        return ["--", sys.executable, "-c", "raise SystemExit(9)"]
    return ["-o", str(folder / ".dev.vars")]


def files_in(folder: Path) -> list[str]:
    """Every file under `folder` but the stand-in CLI's own and the record of local files."""
    return sorted(str(p) for p in folder.rglob("*") if not {"bin", "state"} & set(p.parts))


def assert_refused(cli: Cli, folder: Path, *args: str) -> str:
    before = sorted(p.name for p in folder.iterdir())
    line = one_line(cli(*args))
    assert sorted(p.name for p in folder.iterdir()) == before, "a file was left behind"
    return line


@pytest.mark.parametrize(
    ("failure", "words"),
    [
        (NOT_LOGGED_IN, "not logged in to the backend that holds this stack"),
        (NO_STACK, "has no stack dev; log in to the one that holds it"),
        (WRONG_PASSPHRASE, "cannot decrypt this stack's outputs"),
        (NO_PASSPHRASE, "cannot decrypt this stack's outputs"),
    ],
    ids=["no login", "no such stack", "wrong passphrase", "no passphrase"],
)
@pytest.mark.parametrize("command", ["dev-vars", "run"])
def test_what_the_pulumi_cli_refuses_is_one_line(
    cli: Cli,
    git_project: Path,
    pulumi: StandInPulumi,
    failure: tuple[int, str],
    words: str,
    command: str,
) -> None:
    pulumi.fails(failure)
    args = [command, "dev", *tail(command, git_project)]
    line = assert_refused(cli, git_project, *args)
    assert line.startswith("stack dev: ") and words in line
    assert "error:" not in line  # envkeeper's own words, not the CLI's


@pytest.mark.parametrize("command", ["dev-vars", "run"])
def test_a_stack_never_deployed_or_deployed_before_the_setting_is_named(
    cli: Cli, git_project: Path, pulumi: StandInPulumi, command: str
) -> None:
    rest = tail(command, git_project)
    pulumi.outputs({})  # what the CLI prints for a stack that was never deployed
    line = assert_refused(cli, git_project, command, "dev", *rest)
    assert line == "stack dev: has never been deployed; run `pulumi up --stack dev` first"

    outputs, _ = deployed_outputs(git_project)
    del outputs[local.OUTPUT]
    pulumi.outputs(outputs)
    line = assert_refused(cli, git_project, command, "dev", *rest)
    assert line.startswith("stack dev: localDevelopment: the deployed stack has no such output")

    outputs, _ = deployed_outputs(git_project)
    outputs["environment"] = "production"  # a local file edited to say dev: the state says no
    pulumi.outputs(outputs)
    line = assert_refused(cli, git_project, command, "dev", *rest)
    assert "deployed as production" in line


def test_no_pulumi_cli_is_one_line(
    cli: Cli, git_project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    only_git = tmp_path / "only-git"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "git")
    monkeypatch.setenv("PATH", str(only_git))
    line = assert_refused(cli, git_project, "dev-vars", "dev", "-o", str(git_project / ".dev.vars"))
    assert line.startswith("(command line): pulumi: not found on PATH; install the Pulumi CLI")


def test_production_and_stacks_without_the_setting_are_refused_before_pulumi_is_asked(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    for command in (["dev-vars", "prod"], ["run", "prod", "--", "true"]):
        line = assert_refused(cli, git_project, *command)
        assert "Pulumi.prod.yaml: envkeeper:environment: is production" in line
    for command in (["dev-vars", "staging"], ["run", "staging", "--", "true"]):
        line = assert_refused(cli, git_project, *command)
        assert "Pulumi.staging.yaml: envkeeper:localDevelopment: is not true" in line
        assert "add `envkeeper:localDevelopment: true`" in line
    assert pulumi.calls() == []


def test_an_unknown_worker_or_an_unnamed_one_of_several_is_one_line(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    line = assert_refused(cli, git_project, "dev-vars", "dev", "--worker", "example-api")
    assert line.startswith("(command line): --worker: ")
    assert line.endswith("Pulumi.dev.yaml has no such Worker; use one of: example-api-dev")
    two_workers(git_project)
    line = assert_refused(cli, git_project, "run", "dev", "--", "true")
    assert "several Workers; name one: example-api-dev, example-webhooks-dev" in line
    assert pulumi.calls() == []


def test_a_path_git_would_track_is_refused_with_how_to_ignore_it(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    line = assert_refused(cli, git_project, "dev-vars", "dev", "-o", str(git_project / ".env"))
    assert "git would track" in line and "echo .env >> " in line and ".gitignore" in line

    # Ignored, but already tracked: git keeps committing a tracked file.
    tracked = git_project / ".dev.vars"
    tracked.write_text("")
    subprocess.run(["git", "-C", str(git_project), "add", "-f", ".dev.vars"], check=True)
    line = assert_refused(cli, git_project, "dev-vars", "dev", "-o", str(tracked))
    assert "is tracked by git" in line and "git rm --cached .dev.vars" in line
    assert tracked.read_text() == ""
    assert pulumi.calls() == []  # refused before the stack was read


def test_outside_any_repository_the_file_is_written(
    cli: Cli, git_project: Path, pulumi: StandInPulumi, tmp_path: Path
) -> None:
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    elsewhere = tmp_path / "not-a-repo"
    elsewhere.mkdir()
    done = cli("dev-vars", "dev", "-o", str(elsewhere / ".dev.vars"))
    assert done.exit_code == 0, done.output
    assert read_mode(elsewhere / ".dev.vars") == 0o600


def test_a_write_cut_off_halfway_leaves_the_old_file_and_no_temporary_one(
    cli: Cli, git_project: Path, pulumi: StandInPulumi, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    path = git_project / ".dev.vars"
    path.write_text("KEEP=1\n")

    def full_disk(*_: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("envkeeper.local.files.os.replace", full_disk)
    line = one_line(cli("dev-vars", "dev", "-o", str(path)))
    assert line.endswith(".dev.vars: could not write it (No space left on device); nothing changed")
    assert path.read_text() == "KEEP=1\n"
    assert [p.name for p in git_project.iterdir() if p.name.startswith(".dev.vars")] == [
        ".dev.vars"
    ]


# ---- run --------------------------------------------------------------------------------

CHECKER = """
import hashlib, json, os, sys
want = json.loads(sys.argv[1])
ok = [n for n, h in want.items() if hashlib.sha256(os.environ.get(n, "").encode()).hexdigest() == h]
print(" ".join(sorted(ok)))
sys.exit(0 if len(ok) == len(want) else 3)
"""


def hashes(values: dict[str, str]) -> str:
    import hashlib

    return json.dumps({k: hashlib.sha256(v.encode()).hexdigest() for k, v in values.items()})


def test_run_hands_the_values_to_the_child_only_and_writes_no_file(
    cli: Cli,
    git_project: Path,
    pulumi: StandInPulumi,
    capfd: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    two_workers(git_project)
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    held = {**outputs[local.OUTPUT]["workers"][WEBHOOKS], "CORS_ORIGIN": "http://localhost:3001"}
    before = files_in(tmp_path)

    done = cli(
        "run", "dev", "--worker", WEBHOOKS, "--", sys.executable, "-c", CHECKER, hashes(held)
    )

    child = capfd.readouterr()
    assert done.exit_code == 0, (done.output, child.err)
    assert child.out.split() == sorted(held)
    assert files_in(tmp_path) == before
    for value in held.values():
        assert value not in done.output and value not in child.out + child.err
    # The other Worker's secrets stay out of this one's environment.
    extra = set(outputs[local.OUTPUT]["workers"]["example-api-dev"]) - set(held)
    probe = f"import os,sys; sys.exit(1 if any(n in os.environ for n in {sorted(extra)!r}) else 0)"
    assert cli("run", "dev", "--worker", WEBHOOKS, "--", sys.executable, "-c", probe).exit_code == 0


# What a developer's shell holds besides the stack's values: each would let a test
# runner's dependency, running in the child, decrypt a stack or reach a vendor's admin API.
HELD_BY_THE_SHELL = {
    "PULUMI_ACCESS_TOKEN": "pul-CANARY-access-token",
    "PULUMI_CONFIG_PASSPHRASE": "CANARY-passphrase",
    "AWS_SECRET_ACCESS_KEY": "CANARY-kms-key",
    "CLOUDFLARE_API_TOKEN": "CANARY-cloudflare-admin",
    "NEON_API_KEY": "CANARY-neon-admin",
    "GITHUB_TOKEN": "CANARY-github-admin",
    "STRIPE_API_KEY": "CANARY-stripe-admin",
}
PRINTS_ITS_ENVIRONMENT = "import json, os; print(json.dumps(dict(os.environ)))"


def test_run_keeps_pulumis_and_the_vendors_credentials_from_the_child(
    cli: Cli,
    git_project: Path,
    pulumi: StandInPulumi,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    for name, value in HELD_BY_THE_SHELL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("APP_PLAIN_SETTING", "kept")
    capfd.readouterr()

    done = cli("run", "dev", "--", sys.executable, "-c", PRINTS_ITS_ENVIRONMENT)
    printed = capfd.readouterr().out
    assert done.exit_code == 0, done.output
    env = json.loads(printed)
    assert not set(HELD_BY_THE_SHELL) & set(env)
    assert not [v for v in HELD_BY_THE_SHELL.values() if v in printed + done.output]
    assert env["APP_PLAIN_SETTING"] == "kept"
    assert set(outputs[local.OUTPUT]["workers"]["example-api-dev"]) <= set(env)
    (said,) = [line for line in done.stderr.splitlines() if "withheld" in line]
    assert all(name in said for name in HELD_BY_THE_SHELL)

    # Asked for by name, one is passed on; the rest still are not.
    done = cli("run", "dev", "--keep-env", "GITHUB_TOKEN", "--", sys.executable, "-c",
               PRINTS_ITS_ENVIRONMENT)  # fmt: skip
    env = json.loads(capfd.readouterr().out)
    assert done.exit_code == 0, done.output
    assert env["GITHUB_TOKEN"] == HELD_BY_THE_SHELL["GITHUB_TOKEN"]
    assert not (set(HELD_BY_THE_SHELL) - {"GITHUB_TOKEN"}) & set(env)


def test_run_returns_the_childs_exit_code_and_names_a_missing_command(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    assert cli("run", "dev", "--", sys.executable, "-c", "raise SystemExit(7)").exit_code == 7
    line = one_line(cli("run", "dev", "--", "no-such-command-here"))
    assert line == (
        "(command line): COMMAND: no-such-command-here: no such command; check its name and PATH"
    )
    line = one_line(cli("run", "dev"))
    assert "name the command after --" in line


# ---- the file format --------------------------------------------------------------------

AWKWARD = {
    "URL": "postgresql://u:p@h:5432/db?sslmode=require&x=1#frag",
    "HASH": "a # not a comment",
    "SPACES": "  padded  ",
    "SINGLE": "it's",
    "DOUBLE": 'say "hi"',
    "BOTH": 'it\'s "quoted"',
    "BACKSLASH_N": "C:\\new\\dir",
    "NEWLINES": "-----BEGIN KEY-----\nabc\n-----END KEY-----",
    "ENDS_WITH_BACKSLASH": "abc\\",
    "EQUALS": "a=b==",
    "EMPTY": "",
    "VERSIONED": "20261104:abc+/=,20260503:def",
    "EXPORT_LIKE": "export X=1",
}


def test_every_value_reads_back_from_the_file_as_wrangler_reads_it() -> None:
    assert dotenv.unwritable(AWKWARD) == []
    text = dotenv.render(AWKWARD, ["a header: with words", "KEY=not a value"])
    assert parse(text) == AWKWARD


def test_a_value_no_quoting_keeps_whole_is_refused_by_name(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    impossible = "CANARY-quotes-'\"`\\n-7f3a"
    assert dotenv.quoted(impossible) is None
    outputs, _ = deployed_outputs(git_project)
    outputs[local.OUTPUT]["workers"]["example-api-dev"]["STRIPE_SECRET_KEY"] = impossible
    pulumi.outputs(outputs)
    done = cli("dev-vars", "dev", "-o", str(git_project / ".dev.vars"))
    line = one_line(done)
    assert "STRIPE_SECRET_KEY cannot be written to a dotenv file whole" in line
    assert "envkeeper run dev" in line and impossible not in done.output
    assert not (git_project / ".dev.vars").exists()


def test_the_commands_import_no_provider_sdk(git_project: Path, pulumi: StandInPulumi) -> None:
    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    code = (
        "import sys; from envkeeper.cli import main; sys.argv=['envkeeper','-C',"
        f"{str(git_project)!r},'dev-vars','dev','-o',{str(git_project / '.dev.vars')!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad=[m for m in sys.modules if m.split('.')[0] in "
        "('pulumi','pulumi_cloudflare','pulumi_github','pulumi_random','pulumi_postgresql',"
        "'pulumi_neon','cloudflare','resend','stripe')]\n"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (git_project / ".dev.vars").is_file()


def test_a_stack_file_changed_since_the_up_gets_a_note_naming_what_differs(
    cli: Cli, git_project: Path, pulumi: StandInPulumi
) -> None:
    outputs, _ = deployed_outputs(git_project)  # deployed: the Worker gets every secret
    pulumi.outputs(outputs)
    path = git_project / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text().replace(
            "    workers: [example-api-dev]\n",
            "    workers:\n      - name: example-api-dev\n        secrets: [DATABASE_URL]\n",
        )
    )
    done = cli("dev-vars", "dev", "-o", str(git_project / ".dev.vars"))
    assert done.exit_code == 0, done.output
    (note,) = [line for line in done.stderr.splitlines() if line.startswith("note:")]
    assert "deployed but no longer listed: BETTER_AUTH_SECRET, BETTER_AUTH_SECRETS" in note
    assert "`pulumi up --stack dev` brings them in line" in note


TRAPS = """
import signal, sys, time
from pathlib import Path
def stop(signum, frame):
    Path(sys.argv[1]).write_text(signal.Signals(signum).name)
    sys.exit(5)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
Path(sys.argv[1] + ".ready").write_text("")
time.sleep(60)
sys.exit(1)
"""


@pytest.mark.parametrize("signum", ["SIGINT", "SIGTERM"])
def test_a_signal_reaches_the_child_and_its_exit_code_comes_back(
    git_project: Path, pulumi: StandInPulumi, tmp_path: Path, signum: str
) -> None:
    import signal
    import time

    outputs, _ = deployed_outputs(git_project)
    pulumi.outputs(outputs)
    marker = tmp_path / "stopped"
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "envkeeper"), "-C", str(git_project), "run", "dev",
         "--", sys.executable, "-c", TRAPS, str(marker)],
        env={**os.environ}, start_new_session=True, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not Path(f"{marker}.ready").exists():
        assert process.poll() is None and time.monotonic() < deadline, process.stderr
        time.sleep(0.1)
    if signum == "SIGINT":  # Ctrl-C: the terminal signals the whole process group
        os.killpg(process.pid, signal.SIGINT)
    else:  # a TERM sent to envkeeper alone is passed on
        process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 5, err
    assert marker.read_text() == signum
    assert "Traceback" not in err

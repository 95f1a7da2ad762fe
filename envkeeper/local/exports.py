"""Local development: what a stack that allows it exports for local Workers, and what
`envkeeper dev-vars` and `envkeeper run` do with it.

The program exports one secret stack output, `localDevelopment`, only on a stack whose
settings say `localDevelopment: true` (never production): each Worker's own secrets (its
`secrets:` set), the plain Worker variables, and the keeper date each value was made
from. No provider credential is in it: only Worker-bound catalog values are. Whoever can
read the stack reads it back with their own Pulumi CLI (envkeeper/engine/stack_outputs.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from envkeeper.config.stackfile import NAMESPACE, StackConfig
from envkeeper.doors.problems import COMMAND_LINE, Problem, UserError
from envkeeper.doors.reading import display_path
from envkeeper.doors.terminal import progress, tell
from envkeeper.doors.writing import writable_target
from envkeeper.engine.stack_outputs import read_outputs
from envkeeper.infra import cloudflare as cf
from envkeeper.local import dotenv
from envkeeper.local.files import tracking_problem, write_private
from envkeeper.local.record import LocalFile, remember
from envkeeper.stack.settings import Environment, Settings, SlotDates

OUTPUT = "localDevelopment"
FORMAT = 1
SETTING = f"{NAMESPACE}:localDevelopment"
DEFAULT_FILE = ".dev.vars"


def exported_names(settings: Settings) -> list[str]:
    """The secrets the output holds: every one some Worker of the stack receives."""
    wanted = {name for _, name in cf.worker_secret_targets(settings)}
    return [name for name in settings.catalog.worker_secret_names() if name in wanted]


def payload(settings: Settings, values: Mapping[str, str]) -> dict[str, Any]:
    """The output's value, from the secrets' values by name (the program makes it secret)."""
    dates: dict[str, str] = {}
    for name in exported_names(settings):
        when = settings.rotation.get(name)
        if when is not None:
            dates[name] = (when.latest if isinstance(when, SlotDates) else when).isoformat()
    return {
        "format": FORMAT,
        "environment": settings.environment.value,
        "workers": {
            worker: {name: values[name] for name in settings.cloudflare.secrets_of(worker)}
            for worker in settings.cloudflare.workers
        },
        "vars": cf.worker_vars(settings),
        "keeperDates": dates,
    }


@dataclass(frozen=True)
class WorkerValues:
    worker: str
    secrets: dict[str, str]
    variables: dict[str, str]
    keeper_dates: dict[str, str]

    @property
    def everything(self) -> dict[str, str]:
        return {**self.secrets, **self.variables}


def allowed(config: StackConfig, settings: Settings) -> None:
    """Refuse a stack that may not be used locally: production, whatever its name, and
    every stack whose file does not say `localDevelopment: true`."""
    if settings.environment is Environment.PRODUCTION:
        raise UserError.one(
            config.origin,
            f"{NAMESPACE}:environment",
            "is production, which is never used locally: its values stay with its Workers "
            "and CI; use the dev stack",
        )
    if not settings.local_development:
        raise UserError.one(
            config.origin,
            SETTING,
            "is not true, so this stack's values stay with its Workers and CI; to let whoever "
            f"can read the stack use them locally, add `{SETTING}: true` and run pulumi up",
        )


def chosen_worker(config: StackConfig, settings: Settings, worker: str | None) -> str:
    workers = settings.cloudflare.workers
    if worker is None:
        if len(workers) == 1:
            return workers[0]
        raise UserError.one(
            COMMAND_LINE,
            "--worker",
            f"stack has several Workers; name one: {', '.join(workers)}",
        )
    if worker not in workers:
        raise UserError.one(
            COMMAND_LINE,
            "--worker",
            f"{config.origin} has no such Worker; use one of: {', '.join(workers)}",
        )
    return worker


def _strings(value: Any) -> dict[str, str] | None:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return None
    return value


def deployed_values(project_dir: Path, stack: str, worker: str) -> WorkerValues:
    """`worker`'s values as the deployed stack holds them. Every problem is one line that
    names no value."""
    where = f"stack {stack}"
    outputs = read_outputs(project_dir, stack)
    if not outputs:
        raise UserError.one(
            where, "", f"has never been deployed; run `pulumi up --stack {stack}` first"
        )
    if outputs.get("environment") == Environment.PRODUCTION.value:
        raise UserError.one(
            where, "", "is deployed as production, which is never used locally; use dev"
        )
    found = outputs.get(OUTPUT)
    if found is None:
        raise UserError.one(
            where,
            OUTPUT,
            f"the deployed stack has no such output: its last `pulumi up` ran before "
            f"{SETTING} was true (or with an older envkeeper); run `pulumi up --stack {stack}`",
        )
    if not isinstance(found, dict) or found.get("format") != FORMAT:
        raise UserError.one(
            where,
            OUTPUT,
            "is not in the form this envkeeper reads; run `pulumi up` with this version",
        )
    workers = found.get("workers")
    secrets = _strings(workers.get(worker)) if isinstance(workers, dict) else None
    variables = _strings(found.get("vars"))
    dates = _strings(found.get("keeperDates"))
    if isinstance(workers, dict) and worker not in workers:
        raise UserError.one(
            where,
            OUTPUT,
            f"holds no Worker {worker}: it was added after the last `pulumi up`; "
            f"run `pulumi up --stack {stack}`",
        )
    if secrets is None or variables is None or dates is None:
        raise UserError.one(
            where,
            OUTPUT,
            "is not in the form this envkeeper reads; run `pulumi up` with this version",
        )
    return WorkerValues(worker, secrets, variables, dates)


def _drift_note(settings: Settings, values: WorkerValues, stack: str) -> str | None:
    """Names (never values) where the stack file and the deployed Worker disagree."""
    wanted = set(settings.cloudflare.secrets_of(values.worker))
    held = set(values.secrets)
    if wanted == held:
        return None
    parts = []
    if held - wanted:
        parts.append(f"deployed but no longer listed: {', '.join(sorted(held - wanted))}")
    if wanted - held:
        parts.append(f"listed but not deployed yet: {', '.join(sorted(wanted - held))}")
    return (
        f"note: Worker {values.worker} holds what was deployed ({'; '.join(parts)}); "
        f"`pulumi up --stack {stack}` brings them in line"
    )


def _summary(values: WorkerValues) -> str:
    secrets, plain = sorted(values.secrets), sorted(values.variables)
    return (
        f"{len(secrets)} secret{'s' if len(secrets) != 1 else ''} ({', '.join(secrets)}) and "
        f"{len(plain)} plain variable{'s' if len(plain) != 1 else ''} ({', '.join(plain)})"
    )


def dev_vars(
    project_dir: Path,
    config: StackConfig,
    settings: Settings,
    stack: str,
    worker: str | None,
    output: Path | None,
) -> None:
    """Write one Worker's `.dev.vars`. Every check runs before the first write."""
    allowed(config, settings)
    chosen = chosen_worker(config, settings, worker)
    path = (output or Path(DEFAULT_FILE)).absolute()
    problem = tracking_problem(path, "--output")
    if problem is not None:
        raise UserError([problem])
    writable_target(path)  # never a device, a pipe or a folder: said before Pulumi is asked
    with progress(f"reading stack {stack}'s outputs…"):
        values = deployed_values(project_dir, stack, chosen)
    bad = dotenv.unwritable(values.everything)
    if bad:
        raise UserError([unwritable_problem(stack, bad)])
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = [
        f"Written by `envkeeper dev-vars {stack} --worker {chosen}` at {now}: the values of",
        f"stack {stack} for Worker {chosen}. Never commit it; after a rotation, run it again.",
    ]
    write_private(path, dotenv.render(values.everything, header))
    remember(
        LocalFile(
            path=str(path),
            project=str(project_dir.resolve()),
            stack=stack,
            worker=chosen,
            keeper_dates=values.keeper_dates,
        )
    )
    note = _drift_note(settings, values, stack)
    if note:
        tell(note)
    print(f"{display_path(path)}: wrote {_summary(values)} for Worker {chosen}, mode 0600.")


# What a child of `envkeeper run` does not inherit unless the person names it (--keep-env):
# whatever decrypts a stack (Pulumi's token and passphrase, a cloud KMS's credentials) or
# reaches a vendor's admin API (the providers' settings). A test runner's dependency runs
# in that child; with these it could read every stack the person can.
WITHHELD_PREFIXES = (
    "PULUMI_",
    "AWS_",
    "AZURE_",
    "ARM_",
    "GOOGLE_",
    "CLOUDSDK_",
    "VAULT_",
    "CLOUDFLARE_",
    "NEON_",
    "RESEND_",
    "STRIPE_",
)
WITHHELD_NAMES = frozenset(
    {"GITHUB_TOKEN", "GH_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"}
)


def child_environment(
    parent: Mapping[str, str], values: Mapping[str, str], keep: Sequence[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """The child's environment: the parent's without the withheld variables (but those
    named in `keep`), then the Worker's values; and the names withheld."""
    withheld = sorted(
        name
        for name in parent
        if (name.startswith(WITHHELD_PREFIXES) or name in WITHHELD_NAMES)
        and name not in keep
        and name not in values
    )
    env = {k: v for k, v in parent.items() if k not in withheld}
    return {**env, **values}, withheld


def run(
    project_dir: Path,
    config: StackConfig,
    settings: Settings,
    stack: str,
    worker: str | None,
    command: Sequence[str],
    keep: Sequence[str] = (),
) -> int:
    """Run `command` with one Worker's values added to its environment, and without the
    credentials of Pulumi and the vendors (but those in `keep`); write no file. The child's
    exit code is returned."""
    allowed(config, settings)
    chosen = chosen_worker(config, settings, worker)
    if not command:
        raise UserError.one(
            COMMAND_LINE,
            "COMMAND",
            f"name the command after --, for example: envkeeper run {stack} -- npm test",
        )
    with progress(f"reading stack {stack}'s outputs…"):
        values = deployed_values(project_dir, stack, chosen)
    note = _drift_note(settings, values, stack)
    if note:
        tell(note)
    env, withheld = child_environment(os.environ, values.everything, keep)
    try:
        # The user's own command, as a list: no shell reads it.
        child = subprocess.Popen(list(command), env=env)  # noqa: S603
    except FileNotFoundError:
        raise UserError.one(
            COMMAND_LINE, "COMMAND", f"{command[0]}: no such command; check its name and PATH"
        ) from None
    except PermissionError:
        raise UserError.one(
            COMMAND_LINE, "COMMAND", f"{command[0]}: not executable; check its permissions"
        ) from None
    tell(f"envkeeper run: {_summary(values)} of Worker {chosen} in its environment")
    if withheld:
        # Names only. What reaches Pulumi or a vendor's admin API stays with envkeeper.
        tell(
            f"envkeeper run: withheld {', '.join(withheld)} (they reach Pulumi or a vendor's "
            "admin API); --keep-env NAME passes one on"
        )
    with _signals_go_to(child):
        code = child.wait()
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as a shell says


@contextlib.contextmanager
def _signals_go_to(child: subprocess.Popen[bytes]) -> Iterator[None]:
    """While the child runs, Ctrl-C is the child's to handle (the terminal sends it to
    both), and a TERM or HUP sent to envkeeper is passed on, so a migration is never cut
    off by envkeeper dying first."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    passed = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s]
    before = {s: signal.signal(s, forward) for s in passed}
    before[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        for signum, handler in before.items():
            signal.signal(signum, handler)


def unwritable_problem(stack: str, names: list[str]) -> Problem:
    return Problem(
        f"stack {stack}",
        OUTPUT,
        f"{', '.join(names)} cannot be written to a dotenv file whole (it holds every kind of "
        f"quote); pass it with `envkeeper run {stack} -- ...` instead",
    )

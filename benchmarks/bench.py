"""How long people wait: `rotation status` and the other commands that import no provider
SDK against a bare Python start, `envkeeper plan prod` against a bare replay of its
resources under the same mocks, and how `plan` grows with the size of a stack.

    uv run python -m benchmarks.bench [--runs N]

Prints medians and ratios, with the machine's load: the commands run interleaved, one of
each in turn, so a busy neighbour slows them alike. Targets: `plan prod` within 1.5x the
bare replay (which imports no provider SDK either); plan time per resource flat as Workers
(and so Worker secrets) double.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import bare as bare_program
from benchmarks.timing import interleaved, load, median_peak, median_seconds, pair_ratio

ROOT = Path(__file__).resolve().parent.parent
# The commands other than plan, as people run them on the shipped stacks.
COMMANDS = {
    "envkeeper rotation status --format json": ("rotation", "status", "--format", "json"),
    "envkeeper rotation status (table)": ("rotation", "status"),
    "envkeeper validate prod": ("validate", "prod"),
    "envkeeper access-review prod": ("access-review", "prod"),
    "envkeeper wrangler-vars prod": ("wrangler-vars", "prod"),
    "envkeeper emergency prod --dry-run": ("emergency", "prod", "--dry-run"),
}


def bytecode_missing() -> bool:
    """Whether the libraries would be parsed from source on every start (no .pyc beside them),
    as where Python is told not to write bytecode: the times would then be twice what users see.
    """
    import typer

    return not Path(importlib.util.cache_from_source(typer.__file__)).exists()


def bench_commands(runs: int) -> None:
    if bytecode_missing():
        print(
            "note: the installed libraries have no bytecode, so every start parses their source;"
            "\n      run `uv sync --compile-bytecode` once to time what users see"
        )
    if sys.flags.dont_write_bytecode:
        print(
            "note: PYTHONDONTWRITEBYTECODE is set, so envkeeper's own modules are parsed on"
            "\n      every start; unset it to time what users see"
        )
    python = sys.executable
    envkeeper = str(Path(sys.executable).parent / "envkeeper")
    commands: dict[str, Any] = {"bare Python start": ([python, "-c", "pass"], ROOT, None)}
    # What the libraries every command loads cost on their own, before envkeeper does
    # anything: the floor under any command built on them.
    for label, code in (
        ("import typer (the CLI)", "import typer"),
        ("import pydantic (settings)", "from pydantic import BaseModel"),
        ("import ruamel.yaml (stack files)", "import ruamel.yaml"),
        ("all three", "import typer, ruamel.yaml; from pydantic import BaseModel"),
    ):
        commands[label] = ([python, "-c", code], ROOT, None)
    for label, args in COMMANDS.items():
        commands[label] = ([envkeeper, *args], ROOT, None)
    uv = shutil.which("uv")
    if uv:
        # How people run it: uv checks the environment first, on both sides alike.
        commands["uv run python -c pass"] = ([uv, "run", "python", "-c", "pass"], ROOT, None)
        commands["uv run envkeeper rotation status"] = (
            [uv, "run", "envkeeper", "rotation", "status"], ROOT, None
        )  # fmt: skip

    print(f"commands other than plan, against a bare Python start ({load()})")
    found = interleaved(commands, runs)
    bare = found["bare Python start"]
    for label, timed in found.items():
        base = found["uv run python -c pass"] if label.startswith("uv run envkeeper") else bare
        seconds = median_seconds(timed)
        print(
            f"  {label:<42}{seconds * 1000:8.1f} ms  {pair_ratio(timed, base):5.1f}x"
            f"  {median_peak(timed):5.0f} MiB"
        )
    print(f"  ({load()} at the end)")


def plan_config(project: Path, stack: str) -> tuple[dict[str, Any], dict[str, str]]:
    """The config `plan` runs the program with: the stack's values, and every secret, set
    or not, as a placeholder."""
    from envkeeper.config.stackfile import load_config
    from envkeeper.offline.plan import stand_in_secrets
    from envkeeper.stack.settings import missing_secrets, parse_settings

    config = load_config(project, stack)
    needed = missing_secrets(config, parse_settings(config, stack))
    return config.values, stand_in_secrets(config, needed)


def marked(value: Any) -> Any:
    """A registration's inputs with each secret as the bare program reads one."""
    from envkeeper.offline.program import is_secret

    if is_secret(value):
        return {"secret": True, "value": marked(value["value"])}
    if isinstance(value, dict):
        return {k: marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [marked(v) for v in value]
    return value


def replay_project(folder: Path, stack: str) -> int:
    """The bare replay of `plan STACK` in `folder`; returns how many resources it registers."""
    from envkeeper.offline.program import run_program

    result = run_program(ROOT, stack, *plan_config(ROOT, stack))
    resources = [
        {
            "urn": r.urn,
            "type": r.type,
            "package": r.type.rsplit(":", 1)[1],
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "inputs": marked(r.inputs),
            "provider": r.provider.rsplit("::", 1)[0],
            "dependsOn": r.dependencies,
            "retain": r.retain_on_delete,
            "secretOutputs": r.additional_secret_outputs,
        }
        for r in result.registrations
    ]
    bare_program.write(folder, resources)
    (folder / "Pulumi.yaml").write_text("name: bare\nruntime: python\n")
    return len(resources)


def bench_plan_against_replay(runs: int, stack: str = "prod") -> None:
    envkeeper = str(Path(sys.executable).parent / "envkeeper")
    with tempfile.TemporaryDirectory(prefix="envkeeper-replay-") as folder:
        count = replay_project(Path(folder), stack)
        replay = (
            "from pathlib import Path\n"
            "from envkeeper.offline.program import run_program\n"
            f"result = run_program(Path({folder!r}), {stack!r}, {{}}, {{}})\n"
            f"assert len(result.registrations) == {count}\n"
        )
        print(f"envkeeper plan {stack} against a bare replay of its {count} resources ({load()})")
        found = interleaved(
            {
                f"envkeeper plan {stack}": ([envkeeper, "plan", stack], ROOT, None),
                "bare replay under the mocks": ([sys.executable, "-c", replay], ROOT, None),
            },
            runs,
        )
    plan, bare = found[f"envkeeper plan {stack}"], found["bare replay under the mocks"]
    for label, timed in found.items():
        print(f"  {label:<42}{median_seconds(timed):8.2f} s  {median_peak(timed):5.0f} MiB")
    print(
        f"  ratio {pair_ratio(plan, bare):.2f}x (median of pairs; target 1.5x),"
        f" peak memory {median_peak(plan) / median_peak(bare):.2f}x  ({load()} at the end)"
    )


def synthetic_project(folder: Path, workers: int) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    names = ", ".join(f"bench-api-{i}" for i in range(workers))
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    text = text.replace("workers: [example-api-dev]", f"workers: [{names}]")
    (folder / "Pulumi.dev.yaml").write_text(text)


def median_of(action: Any, runs: int) -> float:
    import statistics
    import time

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_plan(runs: int) -> None:
    from envkeeper.offline.program import run_program

    print("plan (the program offline, in process, after imports) on synthetic dev stacks")
    base: float | None = None
    for scale in (1, 2, 4):
        with tempfile.TemporaryDirectory() as folder:
            project = Path(folder)
            synthetic_project(project, workers=scale)
            values, secrets = plan_config(project, "dev")
            result = run_program(project, "dev", values, secrets)  # warm-up
            count = len(result.registrations)
            seconds = median_of(
                lambda p=project, v=values, s=secrets: run_program(p, "dev", v, s), runs
            )
        per = seconds / count
        base = base or per
        print(
            f"  {scale}x Workers: {count:3d} resources  {seconds * 1000:7.1f} ms  "
            f"{per * 1000:5.2f} ms/resource  ({per / base:4.2f}x the 1x cost per resource)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="How long people wait for envkeeper.")
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    bench_commands(runs)
    bench_plan_against_replay(runs)
    bench_plan(runs)


if __name__ == "__main__":
    main()

"""How long people wait: `rotation status` against a bare Python start, and how `plan`
grows with the size of a stack.

    uv run python -m benchmarks.bench [--runs N]

Prints medians and ratios. Targets: status within 4x a bare Python start; plan time per
resource flat as Workers (and so Worker secrets) double.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def command(*args: str) -> Callable[[], object]:
    # The benchmark's own interpreter and console script, nothing from outside.
    return lambda: subprocess.run(args, cwd=ROOT, capture_output=True, check=False)  # noqa: S603


def bytecode_missing() -> bool:
    """Whether the libraries would be parsed from source on every start (no .pyc beside them),
    as where Python is told not to write bytecode: the times would then be twice what users see.
    """
    import typer

    return not Path(importlib.util.cache_from_source(typer.__file__)).exists()


def bench_status(runs: int) -> None:
    if bytecode_missing():
        print(
            "note: the installed libraries have no bytecode, so every start parses their source;"
            "\n      run `uv sync --compile-bytecode` once to time what users see"
        )
    python = sys.executable
    bare = median_seconds(command(python, "-c", "pass"), runs)
    envkeeper = str(Path(sys.executable).parent / "envkeeper")

    def line(label: str, seconds: float, note: str = "") -> None:
        print(f"  {label:<34}{seconds * 1000:8.1f} ms  {seconds / bare:5.1f}x  {note}".rstrip())

    print("rotation status over three stacks, against a bare Python start")
    line("bare Python start", bare, f"(the 4x target: {4 * bare * 1000:.0f} ms)")
    # What the libraries every command loads cost on their own, before envkeeper does
    # anything: the floor under any command built on them.
    for label, code in (
        ("import typer (the CLI)", "import typer"),
        ("import pydantic (settings)", "from pydantic import BaseModel"),
        ("import ruamel.yaml (stack files)", "import ruamel.yaml"),
        ("all three", "import typer, ruamel.yaml; from pydantic import BaseModel"),
    ):
        line(label, median_seconds(command(python, "-c", code), runs))
    for label, args in (
        ("envkeeper rotation status --json", ("rotation", "status", "--json")),
        ("envkeeper rotation status (table)", ("rotation", "status")),
    ):
        line(label, median_seconds(command(envkeeper, *args), runs))
    uv = shutil.which("uv")
    if uv:
        # How people run it: uv checks the environment first, on both sides alike.
        uv_bare = median_seconds(command(uv, "run", "python", "-c", "pass"), runs)
        uv_status = median_seconds(command(uv, "run", "envkeeper", "rotation", "status"), runs)
        print(
            f"  as run through uv: `uv run envkeeper rotation status` {uv_status * 1000:.0f} ms,"
            f" {uv_status / uv_bare:.1f}x `uv run python -c pass` ({uv_bare * 1000:.0f} ms)"
        )


def synthetic_project(folder: Path, workers: int) -> None:
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(ROOT / name, folder / name)
    names = ", ".join(f"bench-api-{i}" for i in range(workers))
    text = (ROOT / "Pulumi.dev.yaml").read_text()
    text = text.replace("workers: [example-api-dev]", f"workers: [{names}]")
    (folder / "Pulumi.dev.yaml").write_text(text)


def bench_plan(runs: int) -> None:
    from envkeeper.offline import run_program
    from envkeeper.stackfile import load_stack_file

    print("plan (the program offline, in process, after imports) on synthetic dev stacks")
    base: float | None = None
    for scale in (1, 2, 4):
        with tempfile.TemporaryDirectory() as folder:
            project = Path(folder)
            synthetic_project(project, workers=scale)
            config = load_stack_file(project / "Pulumi.dev.yaml")
            secrets = {
                k: "placeholder"
                for k in (
                    "envkeeper:stripeSecretKey",
                    "envkeeper:stripeWebhookSecret",
                    "envkeeper:resendApiKey",
                )
            }
            result = run_program(project, "dev", config.values, secrets)  # warm-up
            count = len(result.registrations)
            seconds = median_seconds(
                lambda p=project, c=config, s=secrets: run_program(p, "dev", c.values, s), runs
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
    bench_status(runs)
    bench_plan(runs)


if __name__ == "__main__":
    main()

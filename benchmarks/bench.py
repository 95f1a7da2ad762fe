"""How long people wait: `rotation status` against a bare Python start, and how `plan`
grows with the size of a stack.

    uv run python -m benchmarks.bench [--runs N]

Prints medians and ratios. Targets: status within 4x a bare Python start; plan time per
resource flat as Workers (and so Worker secrets) double.
"""

from __future__ import annotations

import argparse
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


def bench_status(runs: int) -> None:
    bare = median_seconds(command(sys.executable, "-c", "pass"), runs)
    envkeeper = str(Path(sys.executable).parent / "envkeeper")
    # The floor set by the libraries every command loads (settings, stack files, CLI).
    libraries = median_seconds(
        command(sys.executable, "-c", "import pydantic, ruamel.yaml, typer"), runs
    )
    status = median_seconds(command(envkeeper, "rotation", "status", "--json"), runs)
    print("rotation status over three stacks")
    print(f"  bare Python start     {bare * 1000:8.1f} ms")
    print(f"  importing the libs    {libraries * 1000:8.1f} ms   {libraries / bare:5.1f}x")
    print(f"  envkeeper status      {status * 1000:8.1f} ms   {status / bare:5.1f}x (target 4x)")


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

"""How the benchmarks time a command: wall time and peak memory of one run, runs of
several commands interleaved (so a busy neighbour slows each alike), and the machine's load
printed beside the figures."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float  # the largest resident set of the command or any process it started
    returncode: int
    stdout: str


def measured(args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None) -> Run:
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 (the benchmark's own commands)
            args, cwd=cwd, env=env, stdout=out, stderr=subprocess.DEVNULL
        )
        # wait4 reports the child's own usage and that of every process it waited for:
        # ru_maxrss is the peak of the largest (KiB on Linux).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        stdout = out.read().decode(errors="replace")
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode, stdout)


def interleaved(
    commands: Mapping[str, tuple[Sequence[str], Path, Mapping[str, str] | None]], runs: int
) -> dict[str, list[Run]]:
    """Each command `runs` times, one of each in turn, after one warm-up round."""
    found: dict[str, list[Run]] = {label: [] for label in commands}
    for round_ in range(runs + 1):
        for label, (args, cwd, env) in commands.items():
            run = measured(args, cwd, env)
            if run.returncode not in (0, 1):
                raise SystemExit(f"{label} failed ({run.returncode}): {' '.join(args)}")
            if round_:
                found[label].append(run)
    return found


def median_seconds(runs: Sequence[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def median_peak(runs: Sequence[Run]) -> float:
    return statistics.median(r.peak_mib for r in runs)


def pair_ratio(runs: Sequence[Run], base: Sequence[Run]) -> float:
    """The median over rounds of each run against the base run of the same round."""
    return statistics.median(r.seconds / b.seconds for r, b in zip(runs, base, strict=True))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"

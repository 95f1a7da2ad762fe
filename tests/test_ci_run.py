""".ci/run: the tests that need no engine run while the engine is prepared, the engine tests
only once it is ready, and one exit status that fails when any part fails.

Run on a copy of the script with stand-ins for uv and the engine scripts, which record
when each step starts and ends.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.engine import ROOT

STAND_IN_UV = """#!/bin/sh
# uv: `sync` does nothing; `run pytest -m MARK` records its start and end.
[ "$1" = run ] || exit 0
mark="$(echo "$4" | cut -d' ' -f1)"  # "not" for -m "not engine", "engine" for -m engine
[ -n "${FAR_DATE:-}" ] && mark=far  # run under the faketime stand-in
echo "start $mark $(date +%s.%N) ${ENVKEEPER_NO_PROVIDER_SOURCES:-}" >> "$LOG"
sleep "$TESTS_SLEEP"
echo "end $mark $(date +%s.%N)" >> "$LOG"
[ "$mark" = engine ] && exit "$ENGINE_TESTS_EXIT"
[ "$mark" = far ] && exit "$FAR_TESTS_EXIT"
exit "$TESTS_EXIT"
"""
STAND_IN_FAKETIME = """#!/bin/sh
# faketime DATE COMMAND...: runs the command, telling it the date it would have seen.
date="$1"; shift
FAR_DATE="$date" exec "$@"
"""
STAND_IN_BUILD = """#!/bin/sh
# An engine script: records its start and end, and exits as told.
echo "start build-$(basename "$0") $(date +%s.%N)" >> "$LOG"
echo "building with $(basename "$0")" >&2
sleep "$BUILD_SLEEP"
echo "built $(basename "$0") $(date +%s.%N)" >> "$LOG"
[ "$(basename "$0")" = pulumi-from-source.sh ] && echo "$PWD/engine-bin" && exit 0
exit "$BUILD_EXIT"
"""


def ci_run(
    tmp_path: Path, **exits: str
) -> tuple[subprocess.CompletedProcess[str], list[list[str]]]:
    repo = tmp_path / "repo"
    (repo / ".ci").mkdir(parents=True)
    (repo / "scripts").mkdir()
    shutil.copy(ROOT / ".ci" / "run", repo / ".ci" / "run")
    for name in ("pulumi-from-source.sh", "provider-plugins.sh"):
        (repo / "scripts" / name).write_text(STAND_IN_BUILD)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stand_ins = {"uv": STAND_IN_UV, "initdb": "#!/bin/sh\n", "faketime": STAND_IN_FAKETIME,
                 "pgbouncer": "#!/bin/sh\n"}  # fmt: skip
    for name, text in stand_ins.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "log"
    env = {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "LOG": str(log),
        "TESTS_SLEEP": "1",
        "BUILD_SLEEP": "1",
        "TESTS_EXIT": "0",
        "BUILD_EXIT": "0",
        "ENGINE_TESTS_EXIT": "0",
        "FAR_TESTS_EXIT": "0",
        **exits,
    }
    done = subprocess.run(
        ["bash", str(repo / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )
    return done, [line.split() for line in log.read_text().splitlines()]


def at(events: list[list[str]], kind: str, what: str) -> float:
    (found,) = [float(e[2]) for e in events if e[0] == kind and e[1] == what]
    return found


def test_the_tests_without_the_engine_run_beside_its_build_and_its_tests_after(
    tmp_path: Path,
) -> None:
    done, events = ci_run(tmp_path, TESTS_SLEEP="2", BUILD_SLEEP="1")
    assert done.returncode == 0, done.stdout + done.stderr
    build_start = at(events, "start", "build-pulumi-from-source.sh")
    built = at(events, "built", "provider-plugins.sh")
    # Beside the build: the tests began before it ended.
    assert at(events, "start", "not") < built
    assert build_start < at(events, "end", "not")
    # Never beside a build: the engine tests began after it ended, and after the others.
    assert at(events, "start", "engine") > built
    assert at(events, "start", "engine") > at(events, "end", "not")
    # Then once more with the clock on a far date, still beside the build, before the
    # engine tests.
    assert at(events, "start", "far") > at(events, "end", "not")
    assert build_start < at(events, "end", "far")
    assert at(events, "start", "engine") > at(events, "end", "far")
    # What the build said is shown, after the tests' own output.
    assert "engine build | building with provider-plugins.sh" in done.stdout
    assert "engine tests:             exit 0" in done.stdout


def test_a_slow_build_is_waited_for(tmp_path: Path) -> None:
    done, events = ci_run(tmp_path, TESTS_SLEEP="0", BUILD_SLEEP="2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert at(events, "start", "engine") > at(events, "built", "provider-plugins.sh")


@pytest.mark.parametrize(
    ("exits", "status"),
    [
        ({"TESTS_EXIT": "1"}, 1),
        ({"FAR_TESTS_EXIT": "1"}, 1),
        ({"ENGINE_TESTS_EXIT": "1"}, 1),
        ({"BUILD_EXIT": "2"}, 2),
    ],
    ids=[
        "tests without the engine fail",
        "they fail on the far date",
        "engine tests fail",
        "the build fails",
    ],
)
def test_one_exit_status_fails_when_any_part_fails(
    tmp_path: Path, exits: dict[str, str], status: int
) -> None:
    done, events = ci_run(tmp_path, **exits)
    assert done.returncode == status, done.stdout + done.stderr
    ran_engine_tests = any(e[:2] == ["start", "engine"] for e in events)
    # After a failed build the engine tests do not run; after failed tests, they still do.
    assert ran_engine_tests is ("BUILD_EXIT" not in exits)
    if "BUILD_EXIT" in exits:
        assert "engine tests:             not run" in done.stdout


def test_without_provider_sources_the_engine_tests_run_to_say_they_skip(tmp_path: Path) -> None:
    done, events = ci_run(tmp_path, BUILD_EXIT="3")
    assert done.returncode == 0, done.stdout + done.stderr
    (engine_start,) = [e for e in events if e[:2] == ["start", "engine"]]
    assert engine_start[3:] == ["1"]  # ENVKEEPER_NO_PROVIDER_SOURCES, so they skip

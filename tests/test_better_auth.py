"""BETTER_AUTH_SECRETS: two versioned slots, so a rotation signs people out but loses no data.

The delivered value is read back with Better Auth's own rules for BETTER_AUTH_SECRETS, written
here from its documentation rather than from envkeeper's builder: comma-separated entries,
each `<version>:<secret>` with one colon, versions non-negative integers and unique, secrets
non-empty, the first entry current.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from envkeeper.config.clock import utc_today
from envkeeper.offline.program import ProgramRun, is_secret, unwrap_all
from tests.conftest import STACKS
from tests.programs import environment_secrets, load, run

RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"
WORKER_SECRET = "pulumi-python:dynamic/envkeeper:WorkerSecret"


def better_auth_reads(value: str) -> tuple[int, list[tuple[int, str]]]:
    """(current version, every (version, secret)) as Better Auth would accept them."""
    entries: list[tuple[int, str]] = []
    for part in value.split(","):
        assert part.count(":") == 1, "each entry is <version>:<secret>"
        version, secret = part.split(":")
        assert re.fullmatch(r"\d+", version), f"version {version!r} is not a non-negative integer"
        assert secret, "a secret is never empty"
        entries.append((int(version), secret))
    versions = [v for v, _ in entries]
    assert len(set(versions)) == len(versions), "versions are unique"
    return entries[0][0], entries


def slot_value(result: ProgramRun, slot: str) -> str:
    made = result.one(RANDOM_PASSWORD, f"better-auth-secrets-{slot}")
    return unwrap_all(made.outputs)["result"] + "="  # base64 of 32 bytes: 43 characters, "="


@pytest.mark.parametrize("stack", STACKS)
def test_the_worker_gets_both_versions_newest_first(stack: str) -> None:
    _, settings = load(stack)
    slots = settings.slots("BETTER_AUTH_SECRETS")
    result = run(stack)

    value = environment_secrets(result, stack)["BETTER_AUTH_SECRETS"]
    current, entries = better_auth_reads(value)

    newer, older = slots.active, slots.inactive
    assert current == int(slots.date_of(newer).strftime("%Y%m%d"))
    assert entries == [
        (current, slot_value(result, newer)),
        (int(slots.date_of(older).strftime("%Y%m%d")), slot_value(result, older)),
    ]
    for slot in ("a", "b"):
        made = result.one(RANDOM_PASSWORD, f"better-auth-secrets-{slot}")
        assert made.inputs["length"] == 43
        assert made.inputs["keepers"] == {"rotated": str(slots.date_of(slot))}
    carriers = [
        r for r in result.by_type(WORKER_SECRET) if r.inputs["name"] == "BETTER_AUTH_SECRETS"
    ]
    assert carriers and all(is_secret(r.inputs["text"]) for r in carriers)


def test_a_bump_puts_a_higher_version_first_and_keeps_the_other(project: Path, cli: Any) -> None:
    before = run("prod", project)
    _, settings = load("prod", project)
    older = settings.slots("BETTER_AUTH_SECRETS").inactive
    kept = slot_value(before, settings.slots("BETTER_AUTH_SECRETS").active)

    assert cli("rotation", "bump", "prod", "BETTER_AUTH_SECRETS").exit_code == 0
    after = run("prod", project)

    current, entries = better_auth_reads(environment_secrets(after, "prod")["BETTER_AUTH_SECRETS"])
    assert current == int(utc_today().strftime("%Y%m%d"))
    assert entries[0][1] == slot_value(after, older) != slot_value(before, older)
    assert entries[1][1] == kept  # what it encrypted stays readable
    assert current > entries[1][0]


def test_the_legacy_key_is_delivered_until_turned_off(project: Path, cli: Any) -> None:
    result = run("dev", project)
    assert "BETTER_AUTH_SECRET" in environment_secrets(result, "dev")
    assert result.one(RANDOM_PASSWORD, "better-auth-secret").inputs["keepers"] == {
        "rotated": "2026-10-05"  # unchanged from before versioning: the same value
    }

    path = project / "Pulumi.dev.yaml"
    text = path.read_text() + "  envkeeper:betterAuthLegacySecret: false\n"
    path.write_text(text)
    refused = cli("validate", "dev")
    assert refused.exit_code == 2
    assert refused.stderr.splitlines() == [
        f"{path}: envkeeper:rotation.BETTER_AUTH_SECRET: the legacy key is off "
        "(betterAuthLegacySecret: false); remove this date"
    ]

    path.write_text(
        "".join(ln for ln in text.splitlines(keepends=True) if "BETTER_AUTH_SECRET:" not in ln)
    )
    assert cli("validate", "dev").exit_code == 0
    without = run("dev", project)
    assert "BETTER_AUTH_SECRET" not in environment_secrets(without, "dev")
    assert not [r for r in without.by_type(RANDOM_PASSWORD) if r.name == "better-auth-secret"]
    names = {r.inputs["name"] for r in without.by_type(WORKER_SECRET)}
    assert "BETTER_AUTH_SECRETS" in names and "BETTER_AUTH_SECRET" not in names


def test_bumping_the_legacy_key_is_refused_and_says_why(cli: Any, project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    before = path.read_bytes()

    result = cli("rotation", "bump", "staging", "BETTER_AUTH_SECRET")

    assert result.exit_code == 2
    assert "makes data written before versioned secrets unreadable" in result.stderr
    assert "Rotate BETTER_AUTH_SECRETS instead" in result.stderr
    assert path.read_bytes() == before


def test_emergency_says_what_a_leak_costs(cli: Any) -> None:
    out = cli("emergency", "prod", "--dry-run").stdout
    assert "BETTER_AUTH_SECRETS slot a" in out and "BETTER_AUTH_SECRETS slot b" in out
    assert "data encrypted under the leaked versions and not yet re-written" in out
    assert "BETTER_AUTH_SECRET (the legacy key) is not rotated" in out


def test_plan_lists_both_slots_on_the_workers_that_need_it(cli: Any) -> None:
    plan = json.loads(cli("plan", "prod", "--format", "json").stdout)
    entry = next(s for s in plan["secrets"] if s["name"] == "BETTER_AUTH_SECRETS")
    assert set(entry["rotation"]["slots"]) == {"a", "b"}
    assert [d["target"] for d in entry["destinations"]] == ["example-api"]
    assert all(d["delivered"] for d in entry["destinations"])

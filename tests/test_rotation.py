"""`envkeeper rotation status` and `rotation bump`."""

from __future__ import annotations

import json
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper.rotation.schedule import State, secret_status
from tests.conftest import STACKS, TODAY
from tests.programs import SHIPPED, load, tracked


def latest_shipped_date() -> date:
    latest = date.min
    for stack in STACKS:
        _, settings = load(stack)
        for when in settings.rotation.values():
            latest = max(latest, getattr(when, "latest", when))  # type: ignore[arg-type]
    return latest


def test_far_future_names_every_secret_of_every_stack_as_overdue(cli: Any) -> None:
    result = cli("rotation", "status", "--today", "2099-01-01")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == sum(len(tracked(stack)) for stack in STACKS)
    for stack in STACKS:
        for name in tracked(stack):
            assert any(line.startswith(f"{stack}: {name}") for line in lines), name
    assert all(" is overdue since " in line for line in lines)


def test_the_day_after_the_shipped_dates_nothing_is_overdue(cli: Any) -> None:
    day_after = latest_shipped_date() + timedelta(days=1)
    result = cli("rotation", "status", "--today", day_after.isoformat())
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert f"{sum(len(tracked(stack)) for stack in STACKS)} ok" in result.stdout


def stripe_stack(project: Path, rotated: str) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text().replace(
        "STRIPE_SECRET_KEY: '2026-10-12'", f"STRIPE_SECRET_KEY: {rotated}"
    )
    path.write_text(text)


@pytest.mark.parametrize(
    ("days_after", "state", "exit_code"),
    [
        (75, "ok", 0),  # 15 days left
        (76, "due soon", 0),  # 14 days left: due soon starts here
        (90, "due soon", 0),  # due today, not yet overdue
        (91, "overdue", 1),  # overdue by one day
    ],
)
def test_stripe_key_boundaries(
    cli: Any, project: Path, days_after: int, state: str, exit_code: int
) -> None:
    rotated = date(2026, 10, 1)
    stripe_stack(project, rotated.isoformat())
    today = rotated + timedelta(days=days_after)
    result = cli("rotation", "status", "dev", "--today", today.isoformat(), "--format", "json")
    assert result.exit_code == exit_code
    rows = {r["name"]: r for r in json.loads(result.stdout)["secrets"]}
    stripe = rows["STRIPE_SECRET_KEY"]
    assert stripe["due"] == "2026-12-30"
    assert stripe["days_left"] == 90 - days_after
    assert stripe["state"] == state
    if state == "overdue":
        assert result.stderr.strip() == (
            "dev: STRIPE_SECRET_KEY is overdue since 2026-12-30 (1 day; last rotated "
            "2026-10-01, every 90 days)"
        )


def test_a_two_slot_secret_is_as_old_as_its_active_slot() -> None:
    _, settings = load("prod")
    entry = SHIPPED.by_name["DATABASE_URL"]
    slots = settings.slots("DATABASE_URL")
    status = secret_status("prod", settings, entry, slots.latest + timedelta(days=10))
    assert status.last_rotated == slots.latest
    assert status.active_slot == slots.active
    assert status.slots == {"a": slots.a, "b": slots.b}
    assert status.days_left == 170
    assert status.state is State.OK


def test_external_secrets_are_reported_like_the_rest(cli: Any) -> None:
    result = cli("rotation", "status", "prod", "--today", "2026-11-28", "--format", "json")
    rows = {r["name"]: r for r in json.loads(result.stdout)["secrets"]}
    assert rows["STRIPE_SECRET_KEY"]["source"] == "external"
    assert rows["STRIPE_SECRET_KEY"]["policy_days"] == 90
    assert rows["RESEND_API_KEY"]["source"] == "resend-key"  # minted in prod
    assert rows["RESEND_API_KEY"]["policy_days"] == 180
    assert rows["STRIPE_WEBHOOK_SECRET"]["policy_days"] == 90
    assert set(rows) == set(tracked("prod"))


def test_the_table_names_every_stack_and_counts_states(cli: Any) -> None:
    result = cli("rotation", "status", "--today", "2026-11-28")
    for stack in STACKS:
        assert f"│ {stack}" in result.stdout
    ok = sum(len(tracked(stack)) for stack in STACKS)
    assert result.stdout.rstrip().endswith(f"{ok} ok, 0 due soon, 0 overdue")


def test_github_actions_gets_an_annotation_per_overdue_secret(
    cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("rotation", "status", "prod", "--today", "2099-01-01")
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == len(tracked("prod"))


@pytest.mark.parametrize("args", [["--today", "tomorrow"], ["--today", "2026-02-30"], ["nope"]])
def test_bad_input_is_one_line_and_exit_2(cli: Any, args: list[str]) -> None:
    result = cli("rotation", "status", *args)
    assert result.exit_code == 2
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.output


# --- bump -------------------------------------------------------------------------------


def changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_bump_changes_exactly_one_date_and_keeps_every_other_byte(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    before = path.read_text()
    result = cli("rotation", "bump", "dev", "DATABASE_URL_READONLY")
    assert result.exit_code == 0, result.output
    after = path.read_text()
    assert changed_lines(before, after) == [
        (
            "    DATABASE_URL_READONLY: '2026-11-02'\n",
            f"    DATABASE_URL_READONLY: '{TODAY.isoformat()}'\n",
        )
    ]
    assert "# Keeper dates: bump one" in after


def test_bump_picks_the_older_slot_of_a_two_slot_secret(cli: Any, project: Path) -> None:
    path = project / "Pulumi.prod.yaml"
    before = path.read_text()
    result = cli("rotation", "bump", "prod", "DATABASE_URL", "--date", TODAY.isoformat())
    assert result.exit_code == 0, result.output
    assert changed_lines(before, path.read_text()) == [
        (
            "    DATABASE_URL: {a: '2026-08-05', b: '2026-11-04'}\n",
            f"    DATABASE_URL: {{a: '{TODAY.isoformat()}', b: '2026-11-04'}}\n",
        )
    ]
    out = result.stdout
    assert "app_runtime_a-password" in out and "example-api-DATABASE_URL" in out
    # Slot b becomes the standby: its login is updated with an expiry, not re-minted.
    assert "  - app_runtime_b\n" in out and "app_runtime_b-password" not in out
    standby_dies = TODAY + timedelta(days=7)
    assert f"slot b keeps working until {standby_dies}" in out
    assert 'Suggested commit message: "Rotate DATABASE_URL slot a in prod"' in out


@pytest.mark.parametrize(
    ("written", "bumped"),
    [
        ("'2026-10-13'  # rolled by Ana", "'{today}'  # rolled by Ana"),
        ('"2026-10-13"', '"{today}"'),
        # An unquoted date comes back quoted, the form `pulumi config set` keeps a date in.
        ("2026-10-13  # unquoted", "'{today}'  # unquoted"),
        # What `pulumi config set` leaves of an unquoted date: the whole scalar is replaced.
        ("2026-10-13 00:00:00 +0000 UTC", "'{today}'"),
    ],
)
def test_bump_keeps_the_scalars_quoting_and_comment(
    cli: Any, project: Path, written: str, bumped: str
) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(
        path.read_text().replace("STRIPE_SECRET_KEY: '2026-10-13'", f"STRIPE_SECRET_KEY: {written}")
    )
    before = path.read_text()
    assert cli("rotation", "bump", "staging", "STRIPE_SECRET_KEY").exit_code == 0
    assert changed_lines(before, path.read_text()) == [
        (
            f"    STRIPE_SECRET_KEY: {written}\n",
            f"    STRIPE_SECRET_KEY: {bumped.format(today=TODAY.isoformat())}\n",
        )
    ]


def test_dates_rewritten_by_pulumi_config_set_still_read_as_dates(cli: Any, project: Path) -> None:
    # `pulumi config set` rewrites a stack file; an unquoted date comes back as Go prints a
    # timestamp. What it meant must not change (the shipped files quote their dates).
    path = project / "Pulumi.prod.yaml"
    before = cli("rotation", "status", "prod", "--format", "json", "--today", "2026-11-29").stdout
    path.write_text(re.sub(r"'(\d{4}-\d{2}-\d{2})'", r"\1 00:00:00 +0000 UTC", path.read_text()))
    assert "00:00:00 +0000 UTC" in path.read_text()
    assert cli("validate", "prod").exit_code == 0
    after = cli("rotation", "status", "prod", "--format", "json", "--today", "2026-11-29").stdout
    assert after == before
    done = cli("rotation", "bump", "prod", "DATABASE_URL")
    assert done.exit_code == 0, done.output
    assert f"DATABASE_URL: {{a: '{TODAY.isoformat()}', b: 2026-11-04 00:00:00 +0000 UTC}}" in (
        path.read_text()
    )


def test_bumping_an_external_secret_says_where_to_roll_it(cli: Any) -> None:
    result = cli("rotation", "bump", "dev", "STRIPE_SECRET_KEY")
    assert result.exit_code == 0
    assert "nothing in Pulumi changes" in result.stdout
    assert "pulumi config set --secret --stack dev envkeeper:stripeSecretKey" in result.stdout


def test_bumping_the_auth_secrets_warns_everyone_is_signed_out(cli: Any) -> None:
    result = cli("rotation", "bump", "prod", "BETTER_AUTH_SECRETS")
    assert result.exit_code == 0, result.output
    assert "every signed-in user is signed out" in result.stdout
    assert "data encrypted under the older version stays readable" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["STRIPE_KEY"], "(command line): SECRET: unknown secret STRIPE_KEY; known: DATABASE_URL"),
        (["CORS_ORIGIN"], "(command line): SECRET: unknown secret CORS_ORIGIN"),
        (
            ["DATABASE_URL_READONLY", "--date", "2099-01-01"],
            "(command line): --date: 2099-01-01 is in",
        ),
        (["DATABASE_URL_READONLY", "--date", "2026-01-01"], "is not after the current date"),
        (["DATABASE_URL_READONLY", "--date", "2026-11-02"], "is not after the current date"),
        (["DATABASE_URL", "--date", "2026-11-01"], "must move past 2026-11-02"),
        (["DATABASE_URL_READONLY", "--date", "yesterday"], "is not a date"),
    ],
)
def test_bump_refuses_and_leaves_the_file_alone(
    cli: Any, project: Path, args: list[str], message: str
) -> None:
    path = project / "Pulumi.dev.yaml"
    before = path.read_bytes()
    result = cli("rotation", "bump", "dev", *args)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert message in line
    assert path.read_bytes() == before


def test_bump_twice_in_a_day_on_two_slots_says_come_back_tomorrow(cli: Any, project: Path) -> None:
    assert cli("rotation", "bump", "dev", "CLOUDFLARE_API_TOKEN").exit_code == 0
    result = cli("rotation", "bump", "dev", "CLOUDFLARE_API_TOKEN")
    assert result.exit_code == 2
    assert "was rotated today; rotate slot b tomorrow" in result.stderr


def test_a_failed_write_leaves_the_original_intact(
    cli: Any, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = project / "Pulumi.dev.yaml"
    before = path.read_bytes()

    def broken_rename(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_rename)
    result = cli("rotation", "bump", "dev", "DATABASE_URL_READONLY")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{path}: could not write it (disk full); it is unchanged"
    assert path.read_bytes() == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (["rotation", "bump", "DATABASE_URL_READONLY", "--stack", "dev"], "rotation bump dev"),
        (["emergency", "--stack", "dev", "--dry-run"], "emergency dev"),
        (["access-review", "--stack", "dev"], "access-review dev"),
        (["rotation", "status", "dev", "--json"], "--format json"),
    ],
)
def test_the_old_forms_still_work_and_say_the_new_one(cli: Any, old: list[str], new: str) -> None:
    result = cli(*old)
    assert result.exit_code == 0, result.output
    (note,) = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert new in note


def test_status_says_when_each_standby_dies(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = cli("rotation", "status", "prod", "--format", "json", "--today", "2026-11-12")
    rows = {r["name"]: r for r in json.loads(result.stdout)["secrets"]}
    # DATABASE_URL b took over on 2026-11-04; the token's b on 2026-11-11 (grace 7 days).
    assert rows["DATABASE_URL"]["standby_dies"] == "2026-11-11"
    assert rows["CLOUDFLARE_API_TOKEN"]["standby_dies"] == "2026-11-18"
    # A Resend key cannot expire: this is the day the next `pulumi up` deletes it.
    assert rows["RESEND_API_KEY"]["standby_dies"] == "2026-09-30"
    assert rows["BETTER_AUTH_SECRETS"]["standby_dies"] is None  # an old version only decrypts
    assert rows["STRIPE_SECRET_KEY"]["standby_dies"] is None

    table = cli("rotation", "status", "prod", "--today", "2026-11-12").stdout
    assert "Standby" in table
    assert "a died 2026-11-11" in table and "a dies 2026-11-18" in table


@pytest.mark.parametrize(
    ("name", "fate"),
    [
        ("DATABASE_URL", f"slot b keeps working until {TODAY + timedelta(days=7)} "
                         "(standbyGraceDays: 7, counted from the `pulumi up` that deploys this "
                         f"if it runs after {TODAY}), then stops by itself."),
        ("CLOUDFLARE_API_TOKEN", f"slot b keeps working until {TODAY + timedelta(days=7)} "
                                 "(standbyGraceDays: 7, counted from the `pulumi up` that "
                                 f"deploys this if it runs after {TODAY}), then stops by "
                                 "itself."),
        ("RESEND_API_KEY", f"the slot b key keeps working until {TODAY + timedelta(days=7)} "
                           "(standbyGraceDays: 7, counted from the `pulumi up` that deploys "
                           f"this if it runs after {TODAY}). Resend keys never expire, so the "
                           "first `pulumi up` from that day deletes it."),
        ("BETTER_AUTH_SECRETS", "slot b stays in BETTER_AUTH_SECRETS only to read what it "
                                "wrote, until slot b is bumped in turn."),
    ],
)  # fmt: skip
def test_bump_says_what_really_becomes_of_the_other_slot(cli: Any, name: str, fate: str) -> None:
    result = cli("rotation", "bump", "prod", name)
    assert result.exit_code == 0, result.output
    assert fate in result.stdout
    if name in ("RESEND_API_KEY", "BETTER_AUTH_SECRETS"):
        assert "stops by itself" not in result.stdout


def test_a_back_dated_bump_leaves_the_slot_in_use_its_grace_from_the_deploy(
    cli: Any, project: Path
) -> None:
    # The standby's grace counts from the day the switch is deployed (envkeeper/rotation/switch.py),
    # so a date written long ago cannot cut the slot every consumer uses now.
    back = TODAY - timedelta(days=10)
    result = cli("rotation", "bump", "prod", "DATABASE_URL", "--date", back.isoformat())
    assert result.exit_code == 0, result.output
    assert (
        f"slot b keeps working until {back + timedelta(days=7)} (standbyGraceDays: 7, counted "
        f"from the `pulumi up` that deploys this if it runs after {back})"
    ) in result.stdout


def test_bump_keeps_crlf_line_endings(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    before = path.read_bytes()
    assert cli("rotation", "bump", "dev", "DATABASE_URL_READONLY").exit_code == 0
    after = path.read_bytes()
    assert after.count(b"\r\n") == before.count(b"\r\n") and b"\n" not in after.replace(
        b"\r\n", b""
    )
    assert after == before.replace(
        b"DATABASE_URL_READONLY: '2026-11-02'", f"DATABASE_URL_READONLY: '{TODAY}'".encode()
    )


def test_bump_keeps_the_files_permissions_and_owner(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(path, 4321, 4321)  # someone else's file, edited by root
    before = path.stat()
    assert cli("rotation", "bump", "dev", "DATABASE_URL_READONLY").exit_code == 0
    after = path.stat()
    assert after.st_mode & 0o7777 == 0o640
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert after.st_ino != before.st_ino  # replaced whole, by rename, not rewritten in place

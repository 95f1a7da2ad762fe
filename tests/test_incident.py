"""`envkeeper emergency` (the incident playbook) and `envkeeper access-review`."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper import vendors
from envkeeper.rotation.incident import audit_checklist
from envkeeper.rotation.schedule import minted_by, standby_dies
from envkeeper.stack.settings import Settings, SlotDates
from envkeeper.stack.versioned import version_of
from envkeeper.vendors.resend import resend_key_name
from tests.conftest import TODAY
from tests.programs import adopt_in, changed_resources, load, pasted, run, set_rotation

RESTART = "pulumi-python:dynamic/envkeeper:EndpointRestart"


def test_dry_run_changes_no_file_and_shows_the_whole_playbook(cli: Any, project: Path) -> None:
    path = project / "Pulumi.prod.yaml"
    before = path.read_bytes()
    result = cli("emergency", "prod", "--dry-run")
    assert result.exit_code == 0, result.output
    assert path.read_bytes() == before
    out = result.stdout
    assert "Would rotate now" in out and "Nothing was written (--dry-run)" in out
    # Each slot keeps its role: the active one (b) to today, the standby to the day before.
    assert f"DATABASE_URL slot b: 2026-11-04 -> {TODAY}" in out
    assert f"DATABASE_URL slot a: 2026-08-05 -> {TODAY - timedelta(days=1)}" in out
    assert "pulumi config set --secret --stack prod envkeeper:stripeSecretKey" in out
    # Minted here in prod: both Resend slots and the webhook endpoint are re-made.
    assert f"RESEND_API_KEY slot b: 2026-09-23 -> {TODAY}" in out
    assert f"STRIPE_WEBHOOK_SECRET: 2026-10-14 -> {TODAY}" in out
    assert "STRIPE_WEBHOOK_SECRET: rotating it means for the seconds of the `pulumi up`" in out
    assert "BETTER_AUTH_SECRETS: rotating it means every signed-in user is signed out" in out
    for item in audit_checklist(load("prod", project)[1]):
        assert item in out


def test_the_audit_checklist_names_each_leaked_credential_and_since_when(
    cli: Any, project: Path
) -> None:
    # What a person filters each vendor's log by: the names the credentials carry there
    # before the incident (the leaked ones), and the window since their keeper dates.
    out = cli("emergency", "prod").stdout
    audit = out.split("Audit for misuse")[1]
    mark = vendors.stack_mark(load("prod", project)[1])
    for name in (
        f"`envkeeper production deploy a 2026-08-12 {mark}`",
        f"`envkeeper production deploy b 2026-11-11 {mark}`",
        f"`envkeeper production sending a 2026-06-24 {mark}`",
        f"`envkeeper production webhook 2026-10-14 {mark}`",
    ):
        assert name in audit
    assert "Cloudflare audit log (Manage Account > Audit Log), from 2026-08-12 (UTC)" in audit
    assert "`repo:example-org/example-app created:>=2026-10-21`" in audit
    assert "app_runtime_a, app_runtime_b, app_readonly, app_migrator" in audit
    assert "CANARY" not in out


def test_an_emergency_on_a_stack_with_local_development_names_the_dev_vars_files(
    cli: Any,
) -> None:
    # dev's values were copied onto laptops: the playbook says those copies retire too.
    line = "each `.dev.vars` written from this stack holds the retired values"
    assert line in cli("emergency", "dev", "--dry-run").stdout
    assert line not in cli("emergency", "prod", "--dry-run").stdout


def test_emergency_rotates_every_managed_credential_both_slots(cli: Any, project: Path) -> None:
    _, before_settings = load("prod", project)
    before = run("prod", project)
    result = cli("emergency", "prod")
    assert result.exit_code == 0, result.output
    _, after = load("prod", project)
    for entry in after.tracked:
        old, new = before_settings.rotation[entry.name], after.rotation[entry.name]
        if not entry.managed:
            assert new == old, entry.name
        elif entry.two_slots:
            assert new.a != old.a and new.b != old.b  # type: ignore[union-attr]
            assert new.latest == TODAY  # type: ignore[union-attr]
        else:
            assert isinstance(new, date) and new != old and new <= TODAY
    # Every generated credential, login, token and carrier is replaced.
    changed = changed_resources(before, run("prod", project))
    for name in ("deploy-a", "deploy-b", "app_runtime_a", "app_runtime_b"):
        assert name in changed
    assert {"better-auth-secrets-a", "better-auth-secrets-b"} <= changed
    assert "better-auth-secret" not in changed  # the legacy key keeps the old rows readable
    assert "app_migrator-password" in changed and "app_readonly-password" in changed
    # The created project's owner too: Neon resets its password (components/neon_owner.py).
    assert "owner-password" in changed


def never_lower(before: Settings, after: Settings) -> None:
    """No keeper date and no Better Auth version went down."""
    for entry in after.tracked:
        old, new = before.rotation[entry.name], after.rotation[entry.name]
        if isinstance(old, SlotDates) and isinstance(new, SlotDates):
            for slot in ("a", "b"):
                assert new.date_of(slot) >= old.date_of(slot), (entry.name, slot)
        else:
            assert new >= old, entry.name  # type: ignore[operator]
    old_versions = before.slots("BETTER_AUTH_SECRETS")
    new_versions = after.slots("BETTER_AUTH_SECRETS")
    for slot in ("a", "b"):
        assert version_of(new_versions.date_of(slot)) >= version_of(old_versions.date_of(slot))


def test_a_second_emergency_on_the_same_day_moves_no_date_back_and_replaces_in_place(
    cli: Any, project: Path
) -> None:
    assert cli("emergency", "prod").exit_code == 0
    _, first = load("prod", project)

    second = cli("emergency", "prod")
    assert second.exit_code == 0, second.output
    _, settings = load("prod", project)
    never_lower(first, settings)
    for entry in settings.tracked:
        new, old = settings.rotation[entry.name], first.rotation[entry.name]
        if entry.managed:
            # No later day is free for either slot, and today's stays today's.
            assert new == old, entry.name
    out = second.stdout
    assert "Already rotated today; their dates stay as they are:" in out
    assert "Re-mint in place (no later day is free for a new date" in out
    # Both slots of every two-slot secret are named for replacement: today's, should that
    # up have run before the leak, and the standby, which no date can move forward.
    assert (
        "BETTER_AUTH_SECRETS: pulumi up --stack prod --replace URN, for better-auth-secrets-b\n"
    ) in out
    assert (
        "BETTER_AUTH_SECRETS: pulumi up --stack prod --replace URN, for better-auth-secrets-a\n"
    ) in out
    # Only what mints a credential is replaced: a replaced role would lose its grants.
    replace_db = "DATABASE_URL: pulumi up --stack prod --replace URN, for "
    assert f"{replace_db}app_runtime_a-password\n" in out
    assert f"{replace_db}app_runtime_b-password\n" in out
    assert "MIGRATION_DATABASE_URL: pulumi up --stack prod --replace URN, for app_migrator" in out
    # The steps are numbered one after another, whatever is left out.
    numbers = [line.split(".")[0] for line in out.splitlines() if line[:2].rstrip(".").isdigit()]
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)]


def test_an_emergency_the_day_after_a_rotation_moves_every_date_forward(
    cli: Any, project: Path
) -> None:
    # Rotated yesterday: the active slot is dated the day before today.
    yesterday = TODAY - timedelta(days=1)
    for name in ("BETTER_AUTH_SECRETS", "DATABASE_URL"):
        set_rotation(project, "prod", name, {"a": "2026-06-01", "b": yesterday.isoformat()})
    _, before = load("prod", project)
    run_before = run("prod", project)
    result = cli("emergency", "prod")
    assert result.exit_code == 0, result.output
    _, after = load("prod", project)
    never_lower(before, after)
    for name in ("BETTER_AUTH_SECRETS", "DATABASE_URL"):
        slots = after.slots(name)
        # The leaked version of yesterday is not given to the new standby.
        assert (slots.b, slots.a) == (TODAY, TODAY - timedelta(days=2)), name
    changed = changed_resources(run_before, run("prod", project))
    assert {"better-auth-secrets-a", "better-auth-secrets-b"} <= changed
    assert "Re-mint in place" not in result.stdout


@pytest.mark.parametrize("name", ["DATABASE_URL", "RESEND_API_KEY", "CLOUDFLARE_API_TOKEN"])
def test_an_emergency_after_a_routine_bump_today_re_mints_the_slot_minted_before_it(
    cli: Any, project: Path, name: str
) -> None:
    assert cli("rotation", "bump", "prod", name).exit_code == 0
    _, bumped = load("prod", project)
    before = run("prod", project)

    result = cli("emergency", "prod", "--secret", name)
    assert result.exit_code == 0, result.output
    _, after = load("prod", project)
    old, new = bumped.rotation[name], after.rotation[name]
    assert isinstance(old, SlotDates) and isinstance(new, SlotDates)
    # The slot bumped today stays; the one minted before today gets a new date.
    assert new.date_of(old.active) == TODAY and new.active == old.active
    assert new.date_of(old.inactive) != old.date_of(old.inactive)
    entry = after.catalog[name]
    stale = minted_by(entry, {old.inactive})
    assert stale <= changed_resources(before, run("prod", project))
    assert f"{name}: pulumi up --stack prod --replace URN, for " in result.stdout


def test_a_secret_named_twice_is_rotated_once(cli: Any, project: Path) -> None:
    dry = cli(
        "emergency", "prod", "--secret", "DATABASE_URL", "--secret", "DATABASE_URL", "--dry-run"
    )
    assert dry.exit_code == 0, dry.output
    assert dry.stdout.count("DATABASE_URL slot a:") == 1
    done = cli("emergency", "prod", "--secret", "DATABASE_URL", "--secret", "DATABASE_URL")
    assert done.exit_code == 0, done.output
    assert load("prod", project)[1].rotation["DATABASE_URL"].latest == TODAY  # type: ignore[union-attr]


def test_the_legacy_auth_key_is_explained_not_unknown(cli: Any, project: Path) -> None:
    path = project / "Pulumi.prod.yaml"
    before = path.read_bytes()
    result = cli("emergency", "prod", "--secret", "BETTER_AUTH_SECRET")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("(command line): --secret: BETTER_AUTH_SECRET is Better Auth's legacy")
    assert "Rotate BETTER_AUTH_SECRETS instead" in line
    assert path.read_bytes() == before


def test_emergency_for_external_secrets_only_prints_vendor_steps(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    before = path.read_bytes()
    result = cli("emergency", "dev", "--secret", "STRIPE_SECRET_KEY")
    assert result.exit_code == 0
    assert path.read_bytes() == before
    assert "roll the restricted key" in result.stdout
    assert "Rotated now" not in result.stdout


def test_emergency_refuses_an_unknown_secret(cli: Any, project: Path) -> None:
    result = cli("emergency", "dev", "--secret", "STRIPE")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "--secret: unknown secret STRIPE; known: DATABASE_URL" in line


def test_access_review_markdown_is_a_record_fit_to_file(cli: Any) -> None:
    result = cli("access-review", "prod")
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith(f"# Access review: production (stack `prod`), {TODAY}")
    for heading in (
        "## Who can deploy",
        "## Deploy tokens",
        "## Database roles",
        "## Where each secret goes",
        "## Checklist",
    ):
        assert heading in out
    assert "Approval by: team `platform`" in out
    assert "From: branches main" in out
    assert (
        "| `app_readonly` | yes | read-only queries | CONNECT on the database; "
        "USAGE on schema app; SELECT on all tables in app" in out
    )
    assert "Reviewed by:" in out


def test_access_review_json_has_tokens_scope_and_expiry(cli: Any) -> None:
    data = json.loads(cli("access-review", "prod", "--format", "json").stdout)
    _, settings = load("prod")
    tokens = {t["slot"]: t for t in data["deploy_tokens"]}
    assert tokens[settings.slots("CLOUDFLARE_API_TOKEN").active]["active"] is True
    assert tokens["a"]["permissions"] == ["Workers Scripts Write", "Workers Routes Write"]
    # b is active (2026-11-11): it lives 180 + 30 days; standby a dies 7 days after b took over.
    assert tokens["b"]["expires_on"] == "2027-06-09T00:00:00Z"
    assert tokens["a"]["expires_on"] == "2026-11-18T00:00:00Z"
    assert all("*" not in r for r in tokens["a"]["resources"])
    roles = {r["role"]: r for r in data["database_roles"]}
    assert roles["app_runtime_a"]["member_of"] == ["app_runtime"]
    assert data["deploys"]["prevent_self_review"] is True


def test_dev_access_review_says_no_approval_is_needed(cli: Any) -> None:
    out = cli("access-review", "dev").stdout
    assert "Approval by: nobody (no approval needed)" in out
    assert "From: branches main" in out


def test_access_review_counts_local_development_among_who_holds_the_workers_values(
    cli: Any,
) -> None:
    # dev ships with localDevelopment: every reader of the stack may copy its values.
    sentence = "everyone who can read this stack can write them into a local `.dev.vars`"
    assert sentence in cli("access-review", "dev").stdout
    assert json.loads(cli("access-review", "dev", "--format", "json").stdout)["local_development"]
    assert sentence not in cli("access-review", "prod").stdout


def test_access_review_marks_a_standby_token_that_has_expired(cli: Any) -> None:
    # prod's standby token (slot a) died on 2026-11-18, a week after slot b took over.
    data = json.loads(cli("access-review", "prod", "--format", "json").stdout)
    tokens = {t["slot"]: t for t in data["deploy_tokens"]}
    assert tokens["a"]["expired"] is (date(2026, 11, 18) <= TODAY)
    assert tokens["b"]["expired"] is False
    out = cli("access-review", "prod").stdout
    if tokens["a"]["expired"]:
        assert "| 2026-08-12 | 2026-11-18T00:00:00Z (expired) |" in out
    assert "a standby marked expired no longer works" in out


def test_access_review_lists_the_resend_keys_and_stripe_endpoint_envkeeper_mints(
    cli: Any,
) -> None:
    data = json.loads(cli("access-review", "prod", "--format", "json").stdout)
    _, settings = load("prod")
    slots = settings.slots("RESEND_API_KEY")
    keys = {k["slot"]: k for k in data["resend_keys"]}
    assert keys["b"] == {
        "slot": "b",
        "name": resend_key_name(settings, "b"),
        "active": True,
        "made_on": slots.b.isoformat(),
        "dies_on": None,
        "access": "sending only, domain mail.example.com",
    }
    assert keys["a"]["active"] is False and keys["a"]["made_on"] == slots.a.isoformat()
    # The standby's end is the one rotation decides for it, not a second computation.
    entry = settings.catalog["RESEND_API_KEY"]
    dies = standby_dies(settings, entry)
    assert keys["a"]["dies_on"] == (dies.isoformat() if dies else None)
    assert data["stripe_webhook"] == {
        "url": "https://api.example.com/webhooks/stripe",
        "events": list(settings.stripe.webhook.events),  # type: ignore[union-attr]
        "api_version": "2026-10-28.endive",
        "connect": False,
        "made_on": settings.single_date("STRIPE_WEBHOOK_SECRET").isoformat(),
    }
    out = cli("access-review", "prod").stdout
    assert "## Resend sending keys (minted by envkeeper)" in out
    assert (
        f"| b | {resend_key_name(settings, 'b')} | yes | {slots.b} | when slot b is bumped "
        "(Resend keys never expire) | sending only, domain mail.example.com |"
    ) in out
    assert "## Stripe webhook endpoint (owned by envkeeper)" in out
    assert "- URL: https://api.example.com/webhooks/stripe" in out
    assert "- API version: `2026-10-28.endive`" in out


def test_access_review_says_when_a_vendor_secret_is_pasted_in(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(pasted(path.read_text()))
    result = cli("access-review", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["resend_keys"] is None and data["stripe_webhook"] is None
    out = cli("access-review", "dev").stdout
    assert "None: RESEND_API_KEY is pasted in by hand" in out


def test_access_review_says_when_each_standby_dies_resends_included(cli: Any) -> None:
    data = json.loads(cli("access-review", "prod", "--format", "json").stdout)
    standbys = {s["name"]: (s["slot"], s["dies"], s["dead"]) for s in data["standbys"]}
    assert standbys == {
        "DATABASE_URL": ("a", "2026-11-11", True),
        "RESEND_API_KEY": ("a", "2026-09-30", True),
        "CLOUDFLARE_API_TOKEN": ("a", "2026-11-18", True),
    }
    out = cli("access-review", "prod").stdout
    assert (
        "| `RESEND_API_KEY` | a | 2026-09-30 (died) | Resend keys cannot expire: the first "
        "`pulumi up` from that day deletes it |"
    ) in out
    runtime = next(r for r in data["database_roles"] if r["role"] == "app_runtime")
    assert "EXECUTE on all functions in app" in runtime["privileges"]


def test_an_emergency_that_rotates_a_pooled_login_has_the_up_restart_the_endpoint(
    cli: Any, project: Path
) -> None:
    # Ending a login's backends leaves a session through the pooler working
    # (tests/test_pooled_sessions.py); restarting the compute endpoint ends it. A created
    # project's stack file names the day a restart was last asked for: emergency moves it to
    # today, and the up restarts the endpoint after delivering the URLs.
    said = "the up restarts the compute endpoint: every session ends, pooled ones too"
    assert said in " ".join(cli("emergency", "prod", "--dry-run").stdout.split())
    direct = cli("emergency", "prod", "--dry-run", "--secret", "MIGRATION_DATABASE_URL").stdout
    assert "restartEndpoint" not in direct  # the direct host: ending its backends ends them

    done = cli("emergency", "prod", "--secret", "DATABASE_URL_READONLY")
    assert done.exit_code == 0, done.output
    assert load("prod", project)[1].neon.restart_endpoint == TODAY
    restart = run("prod", project).one(RESTART, "endpoint-restart")
    assert restart.inputs["requested"] == TODAY.isoformat()


def test_without_a_restart_day_the_playbook_says_how_to_ask_for_one(
    cli: Any, project: Path
) -> None:
    path = project / "Pulumi.prod.yaml"
    path.write_text(re.sub(r"^    restartEndpoint: .*\n", "", path.read_text(), flags=re.M))
    whole = cli("emergency", "prod", "--dry-run").stdout
    assert "Add `restartEndpoint: '<today>'` under envkeeper:neon" in " ".join(whole.split())
    # An adopted project: envkeeper holds no Neon API key, so a person restarts it.
    adopt_in("prod", "ep-prod-123456")(project)
    path.write_text(re.sub(r"^    restartEndpoint: .*\n", "", path.read_text(), flags=re.M))
    adopted = " ".join(cli("emergency", "prod", "--dry-run").stdout.split())
    assert "End pooled sessions: after the up has delivered the new URLs, restart" in adopted
    assert "Sessions opened with DATABASE_URL and DATABASE_URL_READONLY through" in adopted


def test_an_adopted_project_cannot_ask_envkeeper_for_a_restart(cli: Any, project: Path) -> None:
    adopt_in("prod", "ep-prod-123456")(project)
    path = project / "Pulumi.prod.yaml"
    adopted = "    existingProjectId: ep-prod-123456\n"
    path.write_text(
        path.read_text().replace(adopted, adopted + "    restartEndpoint: '2026-11-02'\n")
    )
    done = cli("validate", "prod")
    assert done.exit_code == 2
    assert "envkeeper:neon.restartEndpoint: an adopted project holds no Neon API key" in (
        done.stderr
    )


def test_an_emergency_that_rotates_the_deploy_token_says_to_redeploy_from_a_trusted_commit(
    cli: Any,
) -> None:
    # The leaked deploy token could deploy its holder's code; the up's secret puts would go
    # into that version. The playbook says to redeploy first and remove what nobody made.
    step = "Before the up: redeploy example-api, example-webhooks from a trusted commit of main"
    assert step in cli("emergency", "prod", "--dry-run").stdout
    token = cli("emergency", "prod", "--dry-run", "--secret", "CLOUDFLARE_API_TOKEN").stdout
    assert step in token and "The up puts every Worker secret again" in token
    other = cli("emergency", "prod", "--dry-run", "--secret", "DATABASE_URL_READONLY").stdout
    assert step not in other


def test_a_token_re_minted_in_place_says_its_new_id_puts_the_worker_secrets_again(
    cli: Any,
) -> None:
    # A second emergency on one day moves no deploy-token date (the tokens are replaced in
    # place). Every Worker secret carries the tokens' ids, so the replacement puts them
    # all again all the same, and the playbook says why.
    assert cli("emergency", "prod").exit_code == 0
    again = " ".join(cli("emergency", "prod").stdout.split())  # as read, not as wrapped
    assert "A token re-minted in place (`--replace`) gets a new id, which every Worker" in again

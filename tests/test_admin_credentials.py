"""The providers' own credentials have keeper dates like every other secret: status,
the weekly check, bump, emergency, access review and validate all know them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.test_neon import adopt

CREDENTIALS = [
    "cloudflare:apiToken",
    "github:token",
    "neon:apiKey",
    "envkeeper:resendAdminKey",
    "envkeeper:stripeAdminKey",
]


def test_status_lists_each_provider_credential_with_its_policy(cli: Any) -> None:
    result = cli("rotation", "status", "staging", "--format", "json", "--today", "2026-11-29")

    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.stdout)["secrets"]}
    for key in CREDENTIALS:
        assert rows[key]["source"] == "provider-credential"
        assert rows[key]["policy_days"] == 180
        assert rows[key]["last_rotated"] == "2026-10-20"
        assert rows[key]["due"] == "2027-04-18"


def test_an_overdue_admin_credential_fails_the_weekly_check(cli: Any, project: Path) -> None:
    path = project / "Pulumi.prod.yaml"
    path.write_text(
        path.read_text().replace("github:token: '2026-10-21'", "github:token: '2026-03-02'")
    )

    result = cli("rotation", "status", "prod", "--today", "2026-11-29")

    assert result.exit_code == 1
    overdue = [line for line in result.stdout.splitlines() if "│ overdue" in line]
    assert len(overdue) == 1 and "github:token" in overdue[0]
    assert "1 overdue" in result.stdout


def test_validate_names_every_missing_credential_date_in_one_line(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    text = "".join(
        line
        for line in path.read_text().splitlines(keepends=True)
        if not any(f"{key}: '2026" in line for key in CREDENTIALS)
    )
    path.write_text(text)

    result = cli("validate", "dev")

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}: envkeeper:rotation: missing keeper dates for cloudflare:apiToken, "
        "github:token, neon:apiKey, envkeeper:resendAdminKey, envkeeper:stripeAdminKey; add "
        "each as `NAME: YYYY-MM-DD`, the day it was last rotated"
    ]
    assert path.read_text() == text


def test_an_adopted_project_dates_its_owner_url_instead_of_the_api_key(
    cli: Any, project: Path
) -> None:
    adopt(project)

    result = cli("rotation", "status", "dev", "--format", "json", "--today", "2026-11-29")

    assert result.exit_code == 0, result.output
    names = {r["name"] for r in json.loads(result.stdout)["secrets"]}
    assert "envkeeper:neonOwnerUrl" in names and "neon:apiKey" not in names


def test_bump_records_a_rolled_credential_and_says_how_to_set_it(cli: Any, project: Path) -> None:
    result = cli("rotation", "bump", "prod", "cloudflare:apiToken", "--date", "2026-11-28")

    assert result.exit_code == 0, result.output
    assert "cloudflare:apiToken: '2026-11-28'" in (project / "Pulumi.prod.yaml").read_text()
    assert "pulumi config set --secret --stack prod cloudflare:apiToken" in result.stdout
    assert "nothing in Pulumi changes" in result.stdout


def test_emergency_lists_how_to_roll_each_credential(cli: Any) -> None:
    result = cli("emergency", "prod", "--dry-run")

    assert result.exit_code == 0, result.output
    out = result.stdout
    for key in CREDENTIALS:
        assert f"pulumi config set --secret --stack prod {key}" in out
    assert "Account API Tokens: roll the token" in out


def test_access_review_lists_the_admin_credentials(cli: Any) -> None:
    data = json.loads(cli("access-review", "prod", "--format", "json").stdout)
    assert [c["key"] for c in data["admin_credentials"]] == CREDENTIALS
    markdown = cli("access-review", "prod").stdout
    assert "## Admin credentials" in markdown
    assert "| `github:token` | GitHub token that manages environments and secrets |" in markdown

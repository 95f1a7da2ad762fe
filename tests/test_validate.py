"""`envkeeper validate` and `plan` on good and broken stack files.

A broken file gets one line naming the file, the key and the fix, exit code 2, no
traceback, and the file is left exactly as it was.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import STACKS
from tests.programs import pasted

PLAINTEXT = "sk_test_PLAINTEXT_CANARY_0000"


def replace(old: str, new: str) -> Callable[[str], str]:
    def edit(text: str) -> str:
        assert old in text, f"test setup: {old!r} not in the stack file"
        return text.replace(old, new, 1)

    return edit


def append(line: str) -> Callable[[str], str]:
    return lambda text: text + line + "\n"


# (stack, edit, key named in the error, a word of the fix)
BROKEN: dict[str, tuple[str, Callable[[str], str], str, str]] = {
    "unknown environment": (
        "prod",
        replace("environment: production", "environment: prod"),
        "envkeeper:environment",
        "dev, staging, production",
    ),
    "missing neon organization": (
        "dev",
        replace("    orgId: org-example-12345678\n", ""),
        "envkeeper:neon.orgId",
        "set the Neon organization id the project belongs to",
    ),
    "missing github owner": (
        "staging",
        lambda text: "\n".join(ln for ln in text.splitlines() if "github:owner" not in ln) + "\n",
        "github:owner",
        "organization (or user) that owns the repository",
    ),
    "missing environment": (
        "dev",
        replace("  envkeeper:environment: dev\n", ""),
        "envkeeper:environment",
        "one of dev, staging, production",
    ),
    "webhook over plain http outside dev": (
        "staging",
        replace("url: https://api-staging.example.com", "url: http://api-staging.example.com"),
        "envkeeper:stripe.webhook.url",
        "only dev may use a plain http webhook URL",
    ),
    "webhook URL that is not one": (
        "prod",
        replace("url: https://api.example.com/webhooks/stripe", "url: api.example.com/stripe"),
        "envkeeper:stripe.webhook.url",
        "is not a URL",
    ),
    "wildcard webhook events": (
        "prod",
        replace("        - invoice.paid\n", "        - '*'\n"),
        "envkeeper:stripe.webhook.events",
        "Stripe would send every event type",
    ),
    "webhook without the app's API version": (
        "prod",
        replace("      apiVersion: 2026-10-28.endive\n", ""),
        "envkeeper:stripe.webhook.apiVersion",
        "missing; set the Stripe API version the app's Stripe library is pinned to",
    ),
    "webhook API version that is not one": (
        "staging",
        replace("apiVersion: 2026-10-28.endive", "apiVersion: latest"),
        "envkeeper:stripe.webhook.apiVersion",
        "is not a Stripe API version",
    ),
    "resend domain that is not a domain": (
        "dev",
        replace("domain: dev.mail.example.com", "domain: https://mail.example.com"),
        "envkeeper:resend.domain",
        "is not a domain name",
    ),
    "minted resend key with one date": (
        "dev",
        replace(
            "RESEND_API_KEY: {a: '2026-06-22', b: '2026-09-21'}", "RESEND_API_KEY: '2026-09-21'"
        ),
        "envkeeper:rotation.RESEND_API_KEY",
        "a two-slot secret needs both slots",
    ),
    "standby grace of yes": (
        "staging",
        append("  envkeeper:standbyGraceDays: true"),
        "envkeeper:standbyGraceDays",
        "must be a whole number of days",
    ),
    "standby grace too long": (
        "staging",
        append("  envkeeper:standbyGraceDays: 31"),
        "envkeeper:standbyGraceDays",
        "1 to 30",
    ),
    "wildcard origin": (
        "prod",
        replace("https://www.example.com", "https://*.example.com"),
        "envkeeper:corsOrigins",
        "exact origin",
    ),
    "bare star origin": (
        "staging",
        replace("https://staging.example.com", '"*"'),
        "envkeeper:corsOrigins",
        "wildcard",
    ),
    "origin with trailing slash": (
        "prod",
        replace("https://app.example.com", "https://app.example.com/"),
        "envkeeper:corsOrigins",
        "scheme://host[:port]",
    ),
    "origin with a path": (
        "staging",
        replace("https://staging.example.com", "https://staging.example.com/app"),
        "envkeeper:corsOrigins",
        "scheme://host[:port]",
    ),
    "http origin in production": (
        "prod",
        replace("https://app.example.com", "http://app.example.com"),
        "envkeeper:corsOrigins",
        "only dev may allow plain http origins",
    ),
    "http origin in staging": (
        "staging",
        replace("https://staging.example.com", "http://staging.example.com"),
        "envkeeper:corsOrigins",
        "only dev may allow plain http origins",
    ),
    "impossible date": (
        "dev",
        replace("BETTER_AUTH_SECRET: '2026-10-05'", "BETTER_AUTH_SECRET: '2026-02-30'"),
        "envkeeper:rotation.BETTER_AUTH_SECRET",
        "real calendar date",
    ),
    "date in the future": (
        "dev",
        replace("STRIPE_SECRET_KEY: '2026-10-12'", "STRIPE_SECRET_KEY: '2099-01-01'"),
        "envkeeper:rotation.STRIPE_SECRET_KEY",
        "in the future",
    ),
    "words for a date": (
        "staging",
        replace("STRIPE_SECRET_KEY: '2026-10-13'", "STRIPE_SECRET_KEY: last week"),
        "envkeeper:rotation.STRIPE_SECRET_KEY",
        "YYYY-MM-DD",
    ),
    "unknown secret name": (
        "dev",
        replace(
            "STRIPE_SECRET_KEY: '2026-10-12'",
            "STRIPE_SECRET_KEY: '2026-10-12'\n    STRIPE_KEY: '2026-10-01'",
        ),
        "envkeeper:rotation.STRIPE_KEY",
        "STRIPE_SECRET_KEY",
    ),
    "two-slot secret with one slot": (
        "prod",
        replace(
            "DATABASE_URL: {a: '2026-08-05', b: '2026-11-04'}", "DATABASE_URL: {a: '2026-08-05'}"
        ),
        "envkeeper:rotation.DATABASE_URL",
        "both slots",
    ),
    "two slots on one date": (
        "prod",
        replace(
            "CLOUDFLARE_API_TOKEN: {a: '2026-08-12', b: '2026-11-11'}",
            "CLOUDFLARE_API_TOKEN: {a: '2026-11-11', b: '2026-11-11'}",
        ),
        "envkeeper:rotation.CLOUDFLARE_API_TOKEN",
        "earlier date",
    ),
    "rotated secret without a date": (
        "dev",
        replace("    MIGRATION_DATABASE_URL: '2026-11-02'\n", ""),
        "envkeeper:rotation.MIGRATION_DATABASE_URL",
        "add `MIGRATION_DATABASE_URL",
    ),
    "plaintext Stripe key": (
        "dev",
        append(f"  envkeeper:stripeSecretKey: {PLAINTEXT}"),
        "envkeeper:stripeSecretKey",
        "pulumi config set --secret --stack dev envkeeper:stripeSecretKey",
    ),
    "plaintext provider token": (
        "prod",
        append(f"  cloudflare:apiToken: {PLAINTEXT}"),
        "cloudflare:apiToken",
        "pulumi config set --secret --stack prod cloudflare:apiToken",
    ),
    "plaintext GitHub token": (
        "staging",
        append(f"  github:token: {PLAINTEXT}"),
        "github:token",
        "pulumi config set --secret --stack staging github:token",
    ),
    "misspelt key": (
        "dev",
        replace("envkeeper:corsOrigins:", "envkeeper:corsOrigin:"),
        "envkeeper:corsOrigin",
        "corsOrigins",
    ),
    "account id that is not hex": (
        "dev",
        replace("0a1b2c3d4e5f60718293a4b5c6d7e8f9", "my-account"),
        "envkeeper:cloudflare.accountId",
        "32 lower-case hex",
    ),
    "Worker name with capitals": (
        "staging",
        replace("workers: [example-api-staging]", "workers: [Example_API]"),
        "envkeeper:cloudflare.workers[0]",
        "lower-case",
    ),
    "unknown key under cloudflare": (
        "dev",
        replace(
            "    workers: [example-api-dev]\n", "    workers: [example-api-dev]\n    zone: []\n"
        ),
        "envkeeper:cloudflare.zone",
        "unknown key; expected one of: accountId, workers, zones, tokenIpAllowlist",
    ),
    "production without reviewers": (
        "prod",
        replace("    reviewers:\n      teams: [platform]\n", ""),
        "envkeeper:github.reviewers",
        "at least one reviewer",
    ),
    "broken YAML": (
        "dev",
        replace("  envkeeper:neon:\n", "  envkeeper:neon: [\n"),
        "line ",
        "fix the",
    ),
    "config is a list": (
        "dev",
        lambda text: "config:\n  - envkeeper:environment: dev\n",
        "config",
        "mapping",
    ),
}


BROKEN.update(
    {
        "empty date": (
            "dev",
            replace("STRIPE_SECRET_KEY: '2026-10-12'", "STRIPE_SECRET_KEY:"),
            "envkeeper:rotation.STRIPE_SECRET_KEY",
            "is empty; write the date as YYYY-MM-DD",
        ),
        "slot dates for a one-slot secret": (
            "dev",
            replace("STRIPE_SECRET_KEY: '2026-10-12'", "STRIPE_SECRET_KEY: {a: '2026-10-12'}"),
            "envkeeper:rotation.STRIPE_SECRET_KEY",
            "holds slot dates, but this secret has one slot",
        ),
        "one slot's date is words": (
            "prod",
            replace("DATABASE_URL: {a: '2026-08-05',", "DATABASE_URL: {a: yesterday,"),
            "envkeeper:rotation.DATABASE_URL.a",
            "is not a date",
        ),
        "adopted project keeps the API key's date": (
            "dev",
            lambda text: re.sub(
                r"^    NEON_OWNER_PASSWORD: .*\n|^    restartEndpoint: .*\n",
                "",
                text.replace(
                    "    orgId: org-example-12345678\n", "    existingProjectId: ep-cool-123\n"
                ),
                flags=re.M,
            ),
            "envkeeper:rotation.neon:apiKey",
            "move this date to envkeeper:neonOwnerUrl",
        ),
        "created project dated by an owner URL": (
            "dev",
            replace("neon:apiKey: '2026-10-19'", "envkeeper:neonOwnerUrl: '2026-10-19'"),
            "envkeeper:rotation.envkeeper:neonOwnerUrl",
            "move this date to neon:apiKey",
        ),
        "an admin key nothing uses": (
            "prod",
            lambda text: text.replace(
                "  envkeeper:resend:\n    domain: mail.example.com\n", ""
            ).replace(
                "RESEND_API_KEY: {a: '2026-06-24', b: '2026-09-23'}", "RESEND_API_KEY: '2026-09-23'"
            ),
            "envkeeper:rotation.envkeeper:resendAdminKey",
            "you removed envkeeper:resend, so nothing uses this admin key",
        ),
        "keeper dates pasted as a second block": (
            "dev",
            append("  envkeeper:rotation:\n    OPENAI_API_KEY: 2026-11-02"),
            "envkeeper:rotation is written twice",
            "merge this one into the first envkeeper:rotation above and delete it",
        ),
        "an unclosed quote": (
            "dev",
            replace("domain: dev.mail.example.com", 'domain: "dev.mail.example.com'),
            "line 29",
            "a quote opened on this line is never closed",
        ),
        "an empty secret set": (
            "prod",
            replace(
                "secrets: [DATABASE_URL, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET]", "secrets: []"
            ),
            "envkeeper:cloudflare.workers.example-webhooks.secrets",
            "is empty; list the secrets this Worker receives",
        ),
        "a Worker's set names an unknown secret": (
            "prod",
            replace(
                "secrets: [DATABASE_URL, STRIPE_SECRET_KEY,", "secrets: [DATABASE_URL, STRIPE_KEY,"
            ),
            "envkeeper:cloudflare.workers.example-webhooks.secrets[1]",
            "is not a secret in the catalog",
        ),
    }
)


@pytest.mark.parametrize("command", ["validate", "plan"])
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_stack_file_is_one_line_exit_2_and_untouched(
    cli: Any, project: Path, case: str, command: str
) -> None:
    stack, edit, key, fix = BROKEN[case]
    path = project / f"Pulumi.{stack}.yaml"
    path.write_text(edit(path.read_text()))
    before = path.read_bytes()

    result = cli(command, stack)

    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith(str(path)) or line.startswith(path.name) or path.name in line
    assert key in line and fix in line, line
    assert "Traceback" not in result.output
    assert PLAINTEXT not in result.output
    assert result.stdout == ""
    assert path.read_bytes() == before


def test_several_problems_are_one_line_each(cli: Any, project: Path) -> None:
    path = project / "Pulumi.prod.yaml"
    text = path.read_text()
    text = text.replace("environment: production", "environment: live")
    text = text.replace("STRIPE_SECRET_KEY: '2026-10-14'", "STRIPE_SECRET_KEY: '2026-13-01'")
    path.write_text(text + f"  envkeeper:resendApiKey: {PLAINTEXT}\n")

    result = cli("validate", "prod")

    assert result.exit_code == 2
    keys = [line.split(": ")[1] for line in result.stderr.splitlines()]
    assert sorted(keys) == [
        "envkeeper:environment",
        "envkeeper:resendApiKey",
        "envkeeper:rotation.STRIPE_SECRET_KEY",
    ]
    assert PLAINTEXT not in result.output


def test_unknown_stack_names_the_stack_files_there(cli: Any) -> None:
    result = cli("validate", "qa")
    assert result.exit_code == 2
    assert "Pulumi.qa.yaml" in result.stderr
    assert "Pulumi.dev.yaml, Pulumi.prod.yaml, Pulumi.staging.yaml" in result.stderr


@pytest.mark.parametrize("stack", STACKS)
def test_shipped_stacks_are_valid_and_list_the_secrets_still_needed(cli: Any, stack: str) -> None:
    result = cli("validate", stack)
    assert result.exit_code == 0, result.output
    assert f"Pulumi.{stack}.yaml: valid" in result.stdout
    for key in ("envkeeper:stripeSecretKey", "cloudflare:apiToken", "github:token", "neon:apiKey"):
        assert f"pulumi config set --secret --stack {stack} {key}" in result.stdout


def test_secure_values_are_not_needed_any_more(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(
        path.read_text() + "  envkeeper:stripeSecretKey:\n    secure: v1:AAAAbm90LXJlYWw=\n"
    )
    result = cli("validate", "dev")
    assert result.exit_code == 0, result.output
    assert "envkeeper:stripeSecretKey" not in result.stdout
    assert "envkeeper:resendAdminKey" in result.stdout


def test_validate_says_which_vendor_secrets_are_minted_or_pasted(cli: Any, project: Path) -> None:
    assert cli("validate", "prod").stdout.splitlines()[1:3] == [
        "Resend: envkeeper mints the sending keys (two slots) for mail.example.com",
        "Stripe: envkeeper owns the webhook endpoint https://api.example.com/webhooks/stripe",
    ]
    path = project / "Pulumi.prod.yaml"
    path.write_text(pasted(path.read_text()))

    result = cli("validate", "prod")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1:3] == [
        "Resend: RESEND_API_KEY is pasted in as secret config (envkeeper:resendApiKey)",
        "Stripe: STRIPE_WEBHOOK_SECRET is pasted in as secret config",
    ]
    assert any(
        "pulumi config set --secret --stack prod envkeeper:resendApiKey" in ln for ln in lines
    )
    assert not any("AdminKey" in ln for ln in lines)


def test_dev_may_use_plain_http_localhost(cli: Any) -> None:
    result = cli("validate", "dev")
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("args", "line"),
    [
        # Each in the product's words: no parser or validation-library wording.
        (
            ["plan", "dev", "--format", "yaml"],
            "(command line): --format: is not a format here; use one of:",
        ),
        (["validate"], "(command line): STACK: name the stack, for example: envkeeper validate"),
        (
            ["wrangler-vars", "dev", "-f", "ini"],
            "(command line): --format: is not a format here; use one of:",
        ),
        (
            ["rotation", "status", "-f", "xml"],
            "(command line): --format: is not a format here; use one of:",
        ),
        (
            ["access-review", "prod", "-f", "pdf"],
            "(command line): --format: is not a format here; use one of:",
        ),
        (
            ["emergency"],
            "(command line): STACK: name the stack, for example: envkeeper emergency dev",
        ),
        (
            ["rotation", "bump", "BETTER_AUTH_SECRETS", "dev"],
            "(command line): STACK: the stack comes first: envkeeper rotation bump dev "
            "BETTER_AUTH_SECRETS",
        ),
        (["rotation", "bump", "dev"], "(command line): SECRET: name the secret"),
        (
            ["access-review", "dev", "--stack", "prod"],
            "(command line): --stack: names prod but the command names dev",
        ),
        (
            ["validate", "nope"],
            "Pulumi.nope.yaml: no such stack file; stack files here: Pulumi.dev",
        ),
        (
            ["validate", "Pulumi.prod.yaml"],
            "(command line): STACK: Pulumi.prod.yaml is the stack's file; name the stack "
            "instead: prod",
        ),
        (["validate", "prd"], "Pulumi.prd.yaml: no such stack file; did you mean prod? stack"),
        (["rotation", "status", "PROD"], "no such stack file; did you mean prod?"),
        (["plan", "stagin"], "no such stack file; did you mean staging?"),
    ],
)
def test_command_line_mistakes_get_one_line_in_our_words(
    cli: Any, args: list[str], line: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    (only,) = result.stderr.splitlines()
    assert line in only, only
    for library_words in ("Value error", "Invalid value", "Usage:", "(file)", "after validation"):
        assert library_words not in only


def test_a_qualified_stack_name_reads_its_stack_file(cli: Any) -> None:
    result = cli("validate", "example-org/envkeeper/prod")
    assert result.exit_code == 0, result.output
    assert "Pulumi.prod.yaml: valid (environment production" in result.stdout.splitlines()[0]


def test_a_stack_file_for_the_wrong_environment_names_the_mismatch(cli: Any, project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(path.read_text().replace("environment: staging", "environment: production"))
    result = cli("validate", "staging")
    assert result.exit_code == 2
    (only,) = result.stderr.splitlines()
    assert only.endswith(
        "envkeeper:environment: says production but this is the staging stack; "
        "write `envkeeper:environment: staging` (or copy the right stack's file)"
    )


def test_an_empty_worker_list_is_named_in_our_words(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text().replace("workers: [example-api-dev]", "workers: []"))
    (only,) = cli("validate", "dev").stderr.splitlines()
    assert only.endswith(
        "envkeeper:cloudflare.workers: is empty; expected the names of this "
        "environment's Workers, e.g. [example-api-dev]"
    )


# Written out, not read from the catalog: a key the catalog forgot must still fail here.
SECRET_KEYS = [
    "envkeeper:stripeSecretKey",
    "envkeeper:stripeWebhookSecret",
    "envkeeper:resendApiKey",
    "envkeeper:neonOwnerUrl",
    "cloudflare:apiToken",
    "github:token",
    "neon:apiKey",
]


@pytest.mark.parametrize("key", SECRET_KEYS)
@pytest.mark.parametrize("command", ["validate", "plan"])
def test_every_secret_key_written_in_clear_is_refused(
    cli: Any, project: Path, key: str, command: str
) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + f"  {key}: {PLAINTEXT}\n")
    before = path.read_bytes()
    result = cli(command, "dev")
    assert result.exit_code == 2
    (only,) = result.stderr.splitlines()
    assert f"{key}: holds a plaintext value where a secret belongs" in only
    assert PLAINTEXT not in result.output
    assert path.read_bytes() == before


# A secret pasted where a setting belongs: every refusal says where, never what.
PASTED_WHERE = {
    "as a keeper date": replace(
        "STRIPE_SECRET_KEY: '2026-10-14'", f"STRIPE_SECRET_KEY: {PLAINTEXT}"
    ),
    "as a slot's date": replace("{a: '2026-08-05',", f"{{a: {PLAINTEXT},"),
    "twice under one key": append(
        f"  envkeeper:stripeSecretKey: {PLAINTEXT}\n  envkeeper:stripeSecretKey: {PLAINTEXT}x"
    ),
    "as a Worker name": replace("- example-api\n", f"- {PLAINTEXT}\n"),
    "as an origin": replace("https://www.example.com", PLAINTEXT),
    "inside an origin": replace("https://www.example.com", f"https://u:{PLAINTEXT}@example.com"),
    "in an origin's query": replace("https://www.example.com", f"https://x.com/?t={PLAINTEXT}"),
    "inside the webhook URL": replace(
        "url: https://api.example.com", f"url: https://u:{PLAINTEXT}@api.example.com"
    ),
    "as the webhook URL": replace(
        "url: https://api.example.com/webhooks/stripe", f"url: {PLAINTEXT}"
    ),
    "as an event": replace("- invoice.paid\n", f"- {PLAINTEXT}\n"),
    "as the Resend domain": replace("domain: mail.example.com", f"domain: {PLAINTEXT}"),
    "as the database": replace("database: app", f"database: {PLAINTEXT}x!"),
    "as the repository": replace("repository: example-app", f"repository: {PLAINTEXT}/x"),
    "in a Worker's secret set": replace("secrets: [DATABASE_URL,", f"secrets: [{PLAINTEXT},"),
    "as a network": replace("    zones: [", f"    tokenIpAllowlist: [{PLAINTEXT}]\n    zones: ["),
}


@pytest.mark.parametrize("command", ["validate", "plan", "rotation status"])
@pytest.mark.parametrize("case", sorted(PASTED_WHERE))
def test_a_value_pasted_in_the_wrong_place_is_never_repeated(
    cli: Any, project: Path, case: str, command: str
) -> None:
    path = project / "Pulumi.prod.yaml"
    path.write_text(PASTED_WHERE[case](path.read_text()))
    before = path.read_bytes()

    result = cli(*command.split(), "prod")

    assert result.exit_code == 2, result.output
    assert PLAINTEXT not in result.output
    assert "PLAINTEXT" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Pulumi.prod.yaml" in lines[0], lines
    assert path.read_bytes() == before


def without_block(text: str, vendor: str) -> str:
    """`text` with its `envkeeper:<vendor>:` block (and its lines) deleted."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  envkeeper:{vendor}:\n")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    return "".join(lines[:start] + lines[end:])


@pytest.mark.parametrize("vendor", ["resend", "stripe"])
def test_switching_a_vendor_block_off_takes_the_steps_the_stack_file_names(
    cli: Any, project: Path, vendor: str
) -> None:
    path = project / "Pulumi.dev.yaml"
    shipped = path.read_text()
    admin = f"envkeeper:{vendor}AdminKey"
    pasted = {"resend": "envkeeper:resendApiKey", "stripe": "envkeeper:stripeWebhookSecret"}
    # The comment above the blocks names every step.
    for step in (admin, pasted[vendor], "RESEND_API_KEY below as one date", "pulumi config rm"):
        assert step in shipped, step

    path.write_text(without_block(shipped, vendor))
    removed = cli("validate", "dev")
    assert removed.exit_code == 2
    for line in removed.stderr.splitlines():
        assert f"you removed envkeeper:{vendor}" in line, line
        assert f"pulumi config set --secret --stack dev {pasted[vendor]}" in line

    # Each step, as the comment gives it.
    text = path.read_text()
    if vendor == "resend":
        text = text.replace(
            "RESEND_API_KEY: {a: '2026-06-22', b: '2026-09-21'}", "RESEND_API_KEY: '2026-09-21'"
        )
    text = text.replace(f"    {admin}: '2026-10-19'\n", "")
    path.write_text(text)
    done = cli("validate", "dev")
    assert done.exit_code == 0, done.output
    assert f"  {pasted[vendor]} (" in done.stdout  # still needed before pulumi up


def test_a_secure_admin_key_left_behind_says_the_block_was_removed(cli: Any, project: Path) -> None:
    path = project / "Pulumi.dev.yaml"
    text = without_block(path.read_text(), "stripe").replace(
        "    envkeeper:stripeAdminKey: '2026-10-19'\n", ""
    )
    path.write_text(text + "  envkeeper:stripeAdminKey:\n    secure: v1:CANARY-not-a-real-cipher\n")
    result = cli("validate", "dev")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "envkeeper:stripeAdminKey: you removed envkeeper:stripe" in line
    assert "pulumi config rm --stack dev envkeeper:stripeAdminKey" in line
    assert "CANARY" not in line


def test_a_wrong_format_is_never_repeated(cli: Any) -> None:
    # A value pasted into the wrong place may be a secret: the line names the option only.
    result = cli("plan", "dev", "--format", "CANARY-pasted-format-5e1d")
    assert result.exit_code == 2
    assert "CANARY" not in result.output


def alias_bomb(levels: int) -> str:
    """A few hundred bytes of nested YAML aliases that expand to 10**levels values."""
    lines = ["  envkeeper:x0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"  envkeeper:x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]"
        for i in range(1, levels)
    ]
    return "\n".join(lines) + "\n"


ALIASES = {
    "a nested alias bomb": alias_bomb(7),
    "an anchor and a merge key": (
        "  envkeeper:x: &shared {projectName: example-dev, database: app}\n"
        "  envkeeper:y:\n    <<: *shared\n"
    ),
}


@pytest.mark.parametrize("command", ["validate", "plan", "rotation status", "access-review"])
@pytest.mark.parametrize("case", sorted(ALIASES))
def test_a_stack_file_with_yaml_aliases_is_refused_in_one_line_at_once(
    cli: Any, project: Path, case: str, command: str
) -> None:
    path = project / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + ALIASES[case])
    before = path.read_bytes()
    line = len(path.read_text().splitlines()) - ALIASES[case].count("\n") + 1

    started = time.monotonic()
    result = cli(*command.split(), "dev")

    assert time.monotonic() - started < 2  # 10**7 values would take minutes to expand
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"{path}: line {line}: uses a YAML anchor or alias (&name, *name or <<:); write the "
        "value out in full: envkeeper reads no anchors or aliases"
    ]
    assert path.read_bytes() == before


def test_a_project_file_with_an_alias_is_refused_by_every_stack(cli: Any, project: Path) -> None:
    path = project / "Pulumi.yaml"
    path.write_text(path.read_text() + "config:\n" + alias_bomb(7))
    for stack in STACKS:
        result = cli("validate", stack)
        assert result.exit_code == 2, result.output
        (only,) = result.stderr.splitlines()
        assert only.startswith(f"{path}: line ") and "anchor or alias" in only


def test_bump_refuses_a_stack_file_with_aliases_and_leaves_it_alone(
    cli: Any, project: Path
) -> None:
    path = project / "Pulumi.dev.yaml"
    text = path.read_text().replace("  envkeeper:rotation:\n", "  envkeeper:rotation: &dates\n", 1)
    path.write_text(text)
    result = cli("rotation", "bump", "dev", "DATABASE_URL")
    assert result.exit_code == 2, result.output
    assert "anchor or alias" in result.stderr and "Traceback" not in result.output
    assert path.read_text() == text


def test_a_neon_project_id_that_is_a_path_is_refused(cli: Any, project: Path) -> None:
    # The orphan check puts the id into a Neon API path: `../prod` would ask about another
    # resource and read its 404 as "not reached".
    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    adopted = "    orgId: org-example-12345678\n    existingProjectId: ../prod\n"
    path.write_text(text.replace("    orgId: org-example-12345678\n", adopted))
    done = cli("validate", "dev")
    assert done.exit_code == 2
    assert "envkeeper:neon.existingProjectId: is not a Neon project id" in done.stderr


def test_the_neon_key_by_its_old_name_is_refused_with_the_new_one(cli: Any, project: Path) -> None:
    # The native beta read `neon:api_key`; the bridged provider reads `neon:apiKey` and
    # would deploy as if no key were set. The value, a secret, is never repeated.
    path = project / "Pulumi.dev.yaml"
    text = path.read_text()
    path.write_text(
        text.replace(
            "config:\n", "config:\n  neon:api_key:\n    secure: v1:CANARY-old-neon-key-7f3a\n", 1
        )
    )
    before = path.read_bytes()

    done = cli("validate", "dev")

    assert done.exit_code == 2
    assert done.stderr.splitlines() == [
        f"{path}: neon:api_key: is no longer read (the provider reads neon:apiKey); set the "
        "value again as neon:apiKey with `pulumi config set --secret neon:apiKey`, then "
        "`pulumi config rm neon:api_key`"
    ]
    assert "CANARY" not in done.stdout + done.stderr
    assert path.read_bytes() == before

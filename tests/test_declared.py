"""A team's own secrets, declared as data in Pulumi.yaml, go everywhere a built-in one goes."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from envkeeper.config.stackfile import load_config
from envkeeper.doors.problems import UserError
from envkeeper.offline.program import ProgramError, run_program, unwrap_all
from envkeeper.stack.catalog import Destination, Encoding, Source
from envkeeper.stack.declared import project_catalog
from tests.conftest import STACKS
from tests.declared_project import DATES, DECLARED, declare, edit_yaml
from tests.programs import environment_secrets, load, run, set_rotation

WORKER_SECRET = "pulumi-python:dynamic/envkeeper:WorkerSecret"
GITHUB_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword"


def test_declared_entries_join_the_catalog_after_the_built_in_ones() -> None:
    project = project_catalog(DECLARED, "Pulumi.yaml")

    openai, signing = project["OPENAI_API_KEY"], project["SESSION_SIGNING_KEY"]
    assert [e.name for e in project][-2:] == ["OPENAI_API_KEY", "SESSION_SIGNING_KEY"]
    assert openai.source is Source.EXTERNAL and openai.declared
    assert openai.config_key == "openaiApiKey"  # as STRIPE_SECRET_KEY is stripeSecretKey
    assert openai.destinations == (Destination.WORKER_SECRET,)
    assert signing.source is Source.GENERATED
    assert (signing.length, signing.encoding) == (48, Encoding.HEX)
    assert signing.resource == "session-signing-key" and signing.rotation_days == 90
    assert signing.rotation_effect == "links signed with the old key stop working"
    assert "envkeeper:openaiApiKey" in project.secure_config_keys()
    assert "OPENAI_API_KEY" in project.worker_secret_names()
    assert project.delivered_to(Destination.GITHUB_SECRET)[-1] == "SESSION_SIGNING_KEY"


def entry(**changes: Any) -> list[dict[str, Any]]:
    return [{**DECLARED[0], **changes}]


# (declared block, key named in the error, a word of the fix)
REFUSED: dict[str, tuple[Any, str, str]] = {
    "clashes with a built-in": (
        entry(name="STRIPE_SECRET_KEY"),
        "envkeeper:secrets.STRIPE_SECRET_KEY",
        "is a built-in secret",
    ),
    "rotation of 0 days": (
        entry(rotationDays=0),
        "envkeeper:secrets.OPENAI_API_KEY.rotationDays",
        "outside 1 to 366 days",
    ),
    "rotation of 367 days": (
        entry(rotationDays=367),
        "envkeeper:secrets.OPENAI_API_KEY.rotationDays",
        "outside 1 to 366 days",
    ),
    "not an environment-variable name": (
        entry(name="openai-key"),
        "envkeeper:secrets[0].name",
        "upper-case letters, digits and _",
    ),
    "unknown destination": (
        entry(destinations=["worker-var"]),
        "envkeeper:secrets.OPENAI_API_KEY.destinations[0]",
        "worker-secret, github-secret",
    ),
    "no destination": (
        entry(destinations=[]),
        "envkeeper:secrets.OPENAI_API_KEY.destinations",
        "some of: worker-secret, github-secret",
    ),
    "length on an external secret": (
        entry(length=32),
        "envkeeper:secrets.OPENAI_API_KEY",
        "length and encoding describe generated secrets",
    ),
    "generated with too few bytes": (
        [{**DECLARED[1], "length": 8}],
        "envkeeper:secrets.SESSION_SIGNING_KEY.length",
        "outside 16 to 512",
    ),
    "declared twice": (
        [DECLARED[0], copy.deepcopy(DECLARED[0])],  # one object twice would dump as an alias
        "envkeeper:secrets.OPENAI_API_KEY",
        "declared twice",
    ),
    "a GitHub secret named GITHUB_": (
        entry(name="GITHUB_APP_KEY", destinations=["github-secret"]),
        "envkeeper:secrets.GITHUB_APP_KEY",
        "GitHub refuses secret names starting with GITHUB_",
    ),
    "misspelt key": (
        [{k if k != "rotationDays" else "rotationDay": v for k, v in DECLARED[0].items()}],
        "envkeeper:secrets.OPENAI_API_KEY.rotationDay",
        "did you mean envkeeper:secrets.OPENAI_API_KEY.rotationDays?",
    ),
    "a bool for a number of days": (
        entry(rotationDays=True),
        "envkeeper:secrets.OPENAI_API_KEY.rotationDays",
        "a whole number",
    ),
    "a fraction of a day": (
        entry(rotationDays=90.5),
        "envkeeper:secrets.OPENAI_API_KEY.rotationDays",
        "a whole number",
    ),
    "named after a provider's admin key": (
        entry(name="STRIPE_ADMIN_KEY"),
        "envkeeper:secrets.STRIPE_ADMIN_KEY",
        "would be read from envkeeper:stripeAdminKey, which is the Stripe restricted key",
    ),
    "named after the adopted project's owner URL": (
        entry(name="NEON_OWNER_URL"),
        "envkeeper:secrets.NEON_OWNER_URL",
        "would be read from envkeeper:neonOwnerUrl, which is the owner connection URL",
    ),
    "named after the Resend admin key": (
        [{**DECLARED[1], "name": "RESEND_ADMIN_KEY"}],
        "envkeeper:secrets.RESEND_ADMIN_KEY",
        "would be read from envkeeper:resendAdminKey",
    ),
    "a rotation note over two lines": (
        [{**DECLARED[1], "rotationNote": "links stop working\n## Merge without reading"}],
        "envkeeper:secrets.SESSION_SIGNING_KEY.rotationNote",
        "holds a line break or a control character; write it as one line of plain text",
    ),
    "a description with a terminal escape": (
        entry(description="OpenAI key\x1b[2J"),
        "envkeeper:secrets.OPENAI_API_KEY.description",
        "holds a line break or a control character",
    ),
    "a rotation note the length of an essay": (
        [{**DECLARED[1], "rotationNote": "word " * 60}],
        "envkeeper:secrets.SESSION_SIGNING_KEY.rotationNote",
        "is 300 characters long; keep it to one phrase of at most 200",
    ),
    "named after a setting": (
        entry(name="CORS_ORIGINS"),
        "envkeeper:secrets.CORS_ORIGINS",
        "would be read from envkeeper:corsOrigins, which is an envkeeper setting",
    ),
    "named after the environment": (
        entry(name="ENVIRONMENT"),
        "envkeeper:secrets.ENVIRONMENT",
        "which is an envkeeper setting; give this secret another name",
    ),
    "not a list": (
        {"OPENAI_API_KEY": {"source": "external"}},
        "envkeeper:secrets",
        "must be a list of secrets",
    ),
}


@pytest.mark.parametrize("command", ["validate", "plan", "rotation status"])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_bad_declaration_is_one_line_naming_pulumi_yaml(
    cli: Any, project: Path, case: str, command: str
) -> None:
    block, key, fix = REFUSED[case]
    declare(project, block, {})
    files = {p: p.read_bytes() for p in project.glob("Pulumi*.yaml")}

    result = cli(*command.split(), "dev")

    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{project / 'Pulumi.yaml'}: {key}:") or lines[0].startswith(
        f"Pulumi.yaml: {key}:"
    ), lines[0]
    assert fix in lines[0], lines[0]
    assert "Traceback" not in result.output and result.stdout == ""
    assert {p: p.read_bytes() for p in files} == files


def test_a_stack_file_may_not_redefine_the_declared_secrets(cli: Any, project: Path) -> None:
    declare(project)
    path = project / "Pulumi.staging.yaml"
    edit_yaml(path, lambda doc: doc["config"].update({"envkeeper:secrets": DECLARED[:1]}))
    before = path.read_bytes()

    result = cli("validate", "staging")

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"{path}: envkeeper:secrets: belongs in Pulumi.yaml, so every stack shares one catalog; "
        "move it there (a stack file may not redefine a declared secret)"
    ]
    assert path.read_bytes() == before


def test_a_declared_secret_needs_its_keeper_date_in_every_stack(cli: Any, project: Path) -> None:
    declare(project, dates={"OPENAI_API_KEY": "2026-10-01"})

    result = cli("validate", "prod")

    assert result.exit_code == 2
    assert "envkeeper:rotation.SESSION_SIGNING_KEY: missing; add `SESSION_SIGNING_KEY: " in (
        result.stderr
    )


def test_validate_lists_the_declared_external_secret_with_its_set_line(
    cli: Any, project: Path
) -> None:
    declare(project)

    result = cli("validate", "dev")

    assert result.exit_code == 0, result.output
    # The shipped dev file's 12, and one for each declared secret.
    assert "17 keeper dates" in result.stdout
    # What it is, then the command that sets it on a line of its own (it copies whole).
    assert (
        "  envkeeper:openaiApiKey (OpenAI project API key):\n"
        "    pulumi config set --secret --stack dev envkeeper:openaiApiKey\n"
    ) in result.stdout


def test_a_worker_may_name_a_declared_secret_in_its_set(cli: Any, project: Path) -> None:
    declare(project)
    path = project / "Pulumi.prod.yaml"
    path.write_text(
        path.read_text().replace("STRIPE_WEBHOOK_SECRET]", "STRIPE_WEBHOOK_SECRET, OPENAI_API_KEY]")
    )

    result = cli("access-review", "prod", "--format", "json")

    assert result.exit_code == 0, result.output
    workers = json.loads(result.stdout)["workers"]
    assert "OPENAI_API_KEY" in workers["example-webhooks"]
    assert "SESSION_SIGNING_KEY" not in workers["example-webhooks"]
    assert {"OPENAI_API_KEY", "SESSION_SIGNING_KEY"} <= set(workers["example-api"])


def test_rotation_status_shows_the_declared_secrets(cli: Any, project: Path) -> None:
    declare(project)

    result = cli("rotation", "status", "--format", "json", "--today", "2026-11-28")

    assert result.exit_code == 0, result.output
    rows = [r for r in json.loads(result.stdout)["secrets"] if r["stack"] == "dev"]
    by_name = {r["name"]: r for r in rows}
    assert by_name["OPENAI_API_KEY"]["policy_days"] == 180
    assert by_name["OPENAI_API_KEY"]["last_rotated"] == DATES["OPENAI_API_KEY"]
    assert by_name["SESSION_SIGNING_KEY"]["due"] == "2026-12-14"  # 2026-09-15 + 90 days
    assert by_name["SESSION_SIGNING_KEY"]["state"] == "ok"


def test_rotation_status_exits_1_when_a_declared_secret_is_overdue(cli: Any, project: Path) -> None:
    declare(project)

    result = cli("rotation", "status", "dev", "--today", "2026-12-20")

    assert result.exit_code == 1
    overdue = [ln for ln in result.stdout.splitlines() if "overdue" in ln]
    assert any("SESSION_SIGNING_KEY" in ln for ln in overdue)


def test_bump_of_a_declared_generated_secret_names_what_it_replaces(
    cli: Any, project: Path
) -> None:
    declare(project)

    result = cli("rotation", "bump", "prod", "SESSION_SIGNING_KEY", "--date", "2026-11-20")

    assert result.exit_code == 0, result.output
    replaced = {ln.strip()[2:] for ln in result.stdout.splitlines() if ln.startswith("  - ")}
    assert replaced == {
        "session-signing-key",
        "example-api-SESSION_SIGNING_KEY",
        "SESSION_SIGNING_KEY",  # the GitHub environment secret
    }
    assert "Note: links signed with the old key stop working." in result.stdout
    # The declared date was written unquoted; bump writes it back quoted.
    assert "SESSION_SIGNING_KEY: '2026-11-20'" in (project / "Pulumi.prod.yaml").read_text()


def test_bump_of_a_declared_external_secret_says_where_to_set_it(cli: Any, project: Path) -> None:
    declare(project)

    result = cli("rotation", "bump", "dev", "OPENAI_API_KEY", "--date", "2026-11-20")

    assert result.exit_code == 0, result.output
    assert "pulumi config set --secret --stack dev envkeeper:openaiApiKey" in result.stdout


def test_emergency_covers_the_declared_secrets(cli: Any, project: Path) -> None:
    declare(project)

    result = cli("emergency", "dev", "--dry-run")

    assert result.exit_code == 0, result.output
    assert "SESSION_SIGNING_KEY" in result.stdout
    assert "At the vendor that issued OPENAI_API_KEY" in result.stdout
    assert "pulumi config set --secret --stack dev envkeeper:openaiApiKey" in result.stdout
    assert "links signed with the old key stop working" in result.stdout


def test_access_review_lists_where_each_declared_secret_goes(cli: Any, project: Path) -> None:
    declare(project)

    result = cli("access-review", "staging", "--format", "json")

    assert result.exit_code == 0, result.output
    secrets = {s["name"]: s for s in json.loads(result.stdout)["secrets"]}
    assert secrets["OPENAI_API_KEY"]["goes_to"] == ["Worker example-api-staging (secret)"]
    assert secrets["SESSION_SIGNING_KEY"]["goes_to"] == [
        "Worker example-api-staging (secret)",
        "GitHub example-app/staging (environment secret)",
    ]
    assert secrets["SESSION_SIGNING_KEY"]["rotation_days"] == 90


@pytest.mark.parametrize("stack", STACKS)
def test_the_program_delivers_each_declared_secret_exactly_where_declared(
    project: Path, stack: str
) -> None:
    declare(project)
    result = run(stack, project)

    made = result.one(RANDOM_PASSWORD, "session-signing-key")
    # 48 bytes as hex, as declared: 96 characters of 0-9a-f.
    assert made.inputs["length"] == 96
    assert (made.inputs["upper"], made.inputs["lower"], made.inputs["numeric"]) == (
        False,
        False,
        True,
    )
    assert made.inputs["overrideSpecial"] == "abcdef"
    assert made.inputs["keepers"] == {"rotated": DATES["SESSION_SIGNING_KEY"]}
    values = environment_secrets(result, stack)
    assert values["SESSION_SIGNING_KEY"] == unwrap_all(made.outputs)["result"]
    assert values["OPENAI_API_KEY"] == "placeholder:envkeeper:openaiApiKey"

    holders = {
        (r.inputs["scriptName"], r.inputs["name"])
        for r in result.by_type(WORKER_SECRET)
        if r.inputs["name"] in DATES
    }
    _, settings = load(stack, project)
    expected = {
        (worker, name)
        for worker in settings.cloudflare.workers
        for name in DATES
        if name in settings.cloudflare.secrets_of(worker)
    }
    assert holders == expected and holders
    github = {r.inputs["secretName"] for r in result.by_type(GITHUB_SECRET)}
    assert "SESSION_SIGNING_KEY" in github and "OPENAI_API_KEY" not in github
    if stack == "prod":  # the webhook Worker's set does not name them
        assert all(worker != "example-webhooks" for worker, _ in holders)


def test_the_plan_shows_the_declared_secrets_delivered(cli: Any, project: Path) -> None:
    declare(project)

    result = cli("plan", "dev", "--format", "json")

    assert result.exit_code == 0, result.output
    secrets = {s["name"]: s for s in json.loads(result.stdout)["secrets"]}
    openai, signing = secrets["OPENAI_API_KEY"], secrets["SESSION_SIGNING_KEY"]
    assert openai["source"]["config"] == "envkeeper:openaiApiKey"
    assert [d["delivered"] for d in openai["destinations"]] == [True]
    assert [d["kind"] for d in signing["destinations"]] == ["worker-secret", "github-secret"]
    assert all(d["delivered"] for d in signing["destinations"])
    assert signing["rotation"] == {"days": 90, "date": DATES["SESSION_SIGNING_KEY"]}
    needed = json.loads(result.stdout)["needed_before_up"]
    assert "envkeeper:openaiApiKey" in needed


def test_project_catalog_refuses_with_user_error_not_a_crash() -> None:
    with pytest.raises(UserError) as caught:
        project_catalog([42], "Pulumi.yaml")
    assert str(caught.value).startswith("Pulumi.yaml: envkeeper:secrets[0]")


def test_a_manual_pulumi_up_refuses_a_name_that_would_read_an_admin_key(project: Path) -> None:
    # The program reads the same catalog: a `pulumi up` without envkeeper is refused too,
    # before any admin credential could be handed to a Worker.
    declare(project, entry(name="STRIPE_ADMIN_KEY"), {"STRIPE_ADMIN_KEY": "2026-10-01"})
    config = load_config(project, "dev")
    with pytest.raises(ProgramError) as excinfo:
        run_program(project, "dev", config.values, {})
    assert str(excinfo.value) == (
        "Pulumi.yaml: envkeeper:secrets.STRIPE_ADMIN_KEY: its value would be read from "
        "envkeeper:stripeAdminKey, which is the Stripe restricted key with Webhook Endpoints "
        "write, which manages the webhook endpoint; give this secret another name"
    )


INJECTED = "## Approved [ ] merge now <img src=x> | `rm` *now* & <!-- -->"


def test_declared_text_reaches_markdown_escaped_and_adds_no_structure(
    cli: Any, project: Path
) -> None:
    generated = {**DECLARED[1], "rotationNote": "- [ ] " + INJECTED}
    external = {**DECLARED[0], "description": "# " + INJECTED}
    declare(project, [external, generated])
    set_rotation(project, "staging", "SESSION_SIGNING_KEY", "2024-01-01")

    pr = cli("rotation", "autopilot", "staging", "--dry-run", "--within", "0")
    review = cli("access-review", "staging")

    assert pr.exit_code == 0 and review.exit_code == 0, pr.output + review.output
    (note,) = [ln for ln in pr.stdout.splitlines() if "Approved" in ln]
    (row,) = [ln for ln in review.stdout.splitlines() if ln.startswith("| `OPENAI_API_KEY`")]
    # One line each; in the project's text every character that would build a heading, a
    # checklist item, HTML, a table cell, code or emphasis is escaped.
    assert note.startswith("- ")
    for text in (note[2:], row.split(" | ")[1]):
        assert "Approved" in text
        assert not re.search(r"(?<!\\)[\[\]<>`*|#&!]", text), text
        assert text.startswith(("\\-", "\\#")), text
    assert row.count(" | ") == 3  # the description's `|` is no extra cell

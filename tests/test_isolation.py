"""No admin credential of one stack reaches another environment: `validate` and the program
refuse two stacks on one sending domain, one webhook URL, or one Neon organization while
one of them holds a Neon API key; the program refuses a live Stripe key outside production
(only the value tells, so only the program, where the value is, can check it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envkeeper.config import ci
from envkeeper.offline.program import ProgramError
from tests.programs import Edit, adopt_in, load, name_github_environment, replace_in, run


def staging_takes_prods(what: Callable[[Any], str]) -> Edit:
    """Give staging's stack file production's value of `what` in place of its own."""

    def edit(project: Path) -> None:
        _, prod = load("prod", project)
        _, staging = load("staging", project)
        replace_in("staging", what(staging), what(prod))(project)

    return edit


# (edit, the key named, the line's ending) for each way a lower stack reaches production.
CROSSINGS: dict[str, tuple[Edit, str, str]] = {
    "one Resend domain": (
        staging_takes_prods(lambda s: f"domain: {s.resend.domain}"),
        "envkeeper:resend.domain",
        "mail.example.com also belongs to stack prod; give each environment its own (its "
        "sending keys would send as the other environment; give production a Resend team of "
        "its own, whose admin key cannot reach the other domains)",
    ),
    "one Stripe webhook URL": (
        staging_takes_prods(lambda s: f"url: {s.stripe.webhook.url}"),
        "envkeeper:stripe.webhook.url",
        "https://api.example.com/webhooks/stripe also belongs to stack prod; give each "
        "environment its own (one Worker would take both environments' events, test and live "
        "alike)",
    ),
    "a Neon API key in production's organization": (
        staging_takes_prods(lambda s: f"orgId: {s.neon.org_id}"),
        "envkeeper:neon.orgId",
        "org-example-prod-12345678 is also stack prod's Neon organization, and this stack's "
        "neon:apiKey reaches every project of it, stack prod's too; give each stack that "
        "holds a Neon API key an organization of its own, or adopt the project "
        "(neon.existingProjectId and envkeeper:neonOwnerUrl, which reach that project only)",
    ),
}


@pytest.mark.parametrize("crossing", sorted(CROSSINGS))
def test_validate_refuses_what_crosses_into_production(
    cli: Any, project: Path, crossing: str
) -> None:
    edit, key, ending = CROSSINGS[crossing]
    edit(project)
    before = {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")}
    result = cli("validate", "staging")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line == f"{project / 'Pulumi.staging.yaml'}: {key}: {ending}"
    assert {p.name: p.read_bytes() for p in project.glob("Pulumi.*.yaml")} == before


@pytest.mark.parametrize("crossing", sorted(CROSSINGS))
def test_the_program_refuses_it_too(project: Path, crossing: str) -> None:
    # A manual `pulumi up` does not pass through `validate`.
    edit, key, ending = CROSSINGS[crossing]
    edit(project)
    with pytest.raises(ProgramError) as excinfo:
        run("staging", project)
    assert f"Pulumi.staging.yaml: {key}: {ending}" in str(excinfo.value)


def adopt_staging(project: Path) -> None:
    """Staging adopts its Neon project: its credential is that project's owner URL."""
    replace_in(
        "staging",
        "    orgId: org-example-staging-12345678\n",
        "    orgId: org-example-prod-12345678\n",
    )(project)
    adopt_in("staging", "ep-staging-123456")(project)


def test_an_adopted_project_in_an_organization_whose_key_another_stack_holds_is_refused(
    cli: Any, project: Path
) -> None:
    # Production's API key would reach staging's project: the line says whose key it is.
    adopt_staging(project)
    result = cli("validate", "staging")
    assert result.exit_code == 2
    assert (
        "envkeeper:neon.orgId: org-example-prod-12345678 is also stack prod's Neon organization, "
        "and stack prod's neon:apiKey reaches every project of it, this stack's too"
    ) in result.stderr


def test_an_adopted_project_that_names_no_organization_beside_a_key_holder_is_refused(
    cli: Any, project: Path
) -> None:
    # Written from the attacker's side: staging adopts a project that is in fact in
    # production's organization, and leaves orgId out, so no organization was compared and
    # production's key (or, the other way round, a lower stack's) reached it unnoticed.
    adopt_staging(project)
    replace_in("staging", "    orgId: org-example-prod-12345678\n", "")(project)
    staging, prod = cli("validate", "staging"), cli("validate", "prod")
    assert staging.exit_code == prod.exit_code == 2
    assert (
        "envkeeper:neon.orgId: missing; stack prod's neon:apiKey reaches every project of "
        "Neon organization org-example-prod-12345678, so name the organization this adopted "
        "project is in"
    ) in staging.stderr
    assert (
        "envkeeper:neon.orgId: this stack's neon:apiKey reaches every project of "
        "org-example-prod-12345678, and stack staging adopts a project without naming its "
        "organization"
    ) in prod.stderr


def test_stacks_that_adopt_their_projects_may_share_an_organization(
    cli: Any, project: Path
) -> None:
    # An owner URL reaches its own project only.
    adopt_staging(project)
    adopt_in("prod", "ep-prod-123456")(project)
    for stack in ("staging", "prod"):
        result = cli("validate", stack)
        assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize("name", [ci.PREVIEW, ci.ROTATION, ci.drift_environment("prod")])
def test_no_stack_delivers_into_an_environment_of_the_repositorys_own_workflows(
    cli: Any, project: Path, name: str
) -> None:
    # Previews run a branch's code there; the drift check and rotation are not deploys.
    replace_in("dev", "    environment: dev\n", f"    environment: {name}\n")(project)
    result = cli("validate", "dev")
    assert result.exit_code == 2
    assert f"envkeeper:github.environment: {name} is an environment of this repository's own" in (
        result.stderr
    )


# --- Stripe: test mode outside production, checked where the value is -------------------------

LIVE = {
    "envkeeper:stripeSecretKey": "rk_live_CANARY-isolation-app-key-9c1e",
    "envkeeper:stripeAdminKey": "rk_live_CANARY-isolation-admin-key-9c1e",
}


def secrets_with(stack: str, **overrides: str) -> dict[str, str]:
    used = load(stack)[1].catalog.secure_config_keys()
    return {**{k: f"rk_test_placeholder-{k}" for k in used}, **overrides}


@pytest.mark.parametrize("key", sorted(LIVE))
@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_a_live_stripe_key_outside_production_stops_the_program(stack: str, key: str) -> None:
    with pytest.raises(ProgramError) as excinfo:
        run(stack, secrets=secrets_with(stack, **{key: LIVE[key]}))
    message = str(excinfo.value)
    assert f"Pulumi.{stack}.yaml: {key}: is a live-mode Stripe key in {stack}; outside" in message
    assert "only test-mode keys (sk_test_ or rk_test_)" in message
    assert "CANARY" not in message  # never the value, not even a part of it


def test_test_keys_outside_production_and_live_keys_in_production_run() -> None:
    assert run("dev", secrets=secrets_with("dev")).registrations
    assert run("prod", secrets=secrets_with("prod", **LIVE)).registrations


# --- Environment names that differ only by case --------------------------------------------
# Written from the attacker's side: a pull request set `github.environment: Production` in
# Pulumi.dev.yaml. GitHub reads it as production's environment, so dev's deploy would
# overwrite production's secrets and production's program would declare it twice.


@pytest.mark.parametrize("look_alike", ["Production", "PRODUCTION", "producTion"])
def test_a_look_alike_of_productions_environment_is_refused_by_both_stacks(
    cli: Any, project: Path, look_alike: str
) -> None:
    name_github_environment(project, "dev", look_alike)
    for stack in ("dev", "prod"):
        result = cli("validate", stack)
        assert result.exit_code == 2, result.output
        assert "envkeeper:github.environment: production also belongs to stack" in result.stderr
    with pytest.raises(ProgramError, match=r"envkeeper:github\.environment"):
        run("prod", project)


@pytest.mark.parametrize("look_alike", ["Preview", "ROTATION", "Drift-prod"])
def test_a_look_alike_of_a_workflow_environment_is_refused(
    cli: Any, project: Path, look_alike: str
) -> None:
    name_github_environment(project, "dev", look_alike)
    result = cli("validate", "dev")
    assert result.exit_code == 2, result.output
    assert "is an environment of this repository's own workflows" in result.stderr

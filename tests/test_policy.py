"""The policy pack's rules, each with a resource that passes and one that fails.

The tests call the rules directly (there is no Pulumi CLI here) with pulumi-policy's own
argument classes, built from what the real program registers under the mocks.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)

from envkeeper.offline.program import Registration, redact
from policy import rules
from tests.conftest import PROJECT, ROOT
from tests.declared_project import declare
from tests.programs import run

OPTIONS = PolicyResourceOptions(
    protect=False,
    ignore_changes=[],
    delete_before_replace=None,
    aliases=[],
    additional_secret_outputs=[],
    custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
)


class Violations(list[str]):
    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append(message)


def props_of(reg: Registration, outputs: dict[str, Any] | None = None) -> dict[str, Any]:
    # The pack sees secret values as secret; the rules never need them.
    return redact(outputs if outputs is not None else reg.inputs)


def stack_args(stack: str, edit: Any = None, project_dir: Path = PROJECT) -> StackValidationArgs:
    result = run(stack, project_dir)
    resources = []
    for reg in result.registrations:
        if reg.type == rules.ENVIRONMENT_TYPE:
            props = props_of(reg, result.component_outputs[reg.urn])
        else:
            props = props_of(reg)
        resources.append(
            PolicyResource(reg.type, props, reg.urn, reg.name, OPTIONS, None, None, [], {})
        )
    if edit:
        edit(resources)
    return StackValidationArgs(resources)


def resource_args(reg: Registration, props: dict[str, Any]) -> ResourceValidationArgs:
    return ResourceValidationArgs(reg.type, props, reg.urn, reg.name, OPTIONS, None)


def find(args: StackValidationArgs, type_: str, name: str | None = None) -> PolicyResource:
    return next(r for r in args.resources if r.resource_type == type_ and name in (None, r.name))


NOW = datetime(2026, 11, 28, tzinfo=UTC)


# --- Cloudflare tokens ---------------------------------------------------------------------


def token(stack: str = "prod") -> Registration:
    return run(stack).one(rules.TOKEN, "deploy-b")


def test_the_programs_tokens_pass() -> None:
    for stack in ("dev", "staging", "prod"):
        for slot in ("a", "b"):
            reg = run(stack).one(rules.TOKEN, f"deploy-{slot}")
            found = Violations()
            rules.token_is_short_lived_and_scoped(resource_args(reg, props_of(reg)), found, NOW)
            assert found == []


def test_a_token_that_lives_too_long_fails() -> None:
    reg = token()
    props = {**props_of(reg), "expiresOn": "2028-01-01T00:00:00Z"}
    found = Violations()
    rules.token_is_short_lived_and_scoped(resource_args(reg, props), found, NOW)
    assert found == ["token deploy-b expires 2028-01-01T00:00:00Z, later than 210 days from now"]


def test_a_token_that_never_expires_fails() -> None:
    reg = token()
    props = {k: v for k, v in props_of(reg).items() if k != "expiresOn"}
    found = Violations()
    rules.token_is_short_lived_and_scoped(resource_args(reg, props), found, NOW)
    assert found == ["token deploy-b never expires; set expires_on (at most 210 days ahead)"]


def test_a_token_for_every_account_fails() -> None:
    reg = token()
    props = copy.deepcopy(props_of(reg))
    props["policies"][0]["resources"] = json.dumps({"com.cloudflare.api.account.*": "*"})
    found = Violations()
    rules.token_is_short_lived_and_scoped(resource_args(reg, props), found, NOW)
    assert found == [
        "token deploy-b reaches com.cloudflare.api.account.*; name one account or zone by its id"
    ]


# --- Production GitHub environment -----------------------------------------------------------


def test_the_programs_production_environment_passes() -> None:
    found = Violations()
    rules.production_environment_is_protected(stack_args("prod"), found)
    assert found == []


def production_environment(resources: list[PolicyResource]) -> PolicyResource:
    return next(
        r
        for r in resources
        if r.resource_type == rules.GITHUB_ENVIRONMENT and r.props["environment"] == "production"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reviewers": []}, "has no required reviewers"),
        ({"preventSelfReview": False}, "lets people approve their own deploys"),
        ({"canAdminsBypass": True}, "lets admins bypass its rules"),
        (
            {"deploymentBranchPolicy": None},
            "deploys from any branch; give it a branch policy of exactly main",
        ),
        (
            {"deploymentBranchPolicy": {"protectedBranches": True, "customBranchPolicies": False}},
            "deploys from any protected branch; give it a branch policy of exactly main",
        ),
    ],
)
def test_an_unprotected_production_environment_fails(change: dict[str, Any], message: str) -> None:
    def weaken(resources: list[PolicyResource]) -> None:
        env = production_environment(resources)
        env.props = {**env.props, **change}

    found = Violations()
    rules.production_environment_is_protected(stack_args("prod", weaken), found)
    assert found == [f"GitHub environment production {message}"]


@pytest.mark.parametrize("pattern", ["*", "main*", "releases/*"])
def test_a_production_branch_policy_other_than_main_fails(pattern: str) -> None:
    def widen(resources: list[PolicyResource]) -> None:
        policy = next(
            r
            for r in resources
            if r.resource_type == rules.GITHUB_BRANCH_POLICY
            and r.props["environment"] == "production"
        )
        policy.props = {**policy.props, "branchPattern": pattern}

    found = Violations()
    rules.production_environment_is_protected(stack_args("prod", widen), found)
    assert found == [
        f"GitHub environment production deploys from {pattern}; give it a branch policy of "
        "exactly main"
    ]


def test_dev_may_be_open() -> None:
    found = Violations()
    rules.production_environment_is_protected(stack_args("dev"), found)
    assert found == []


# --- PostgreSQL roles ------------------------------------------------------------------------


def test_the_programs_login_roles_pass() -> None:
    for reg in run("prod").by_type(rules.ROLE):
        found = Violations()
        rules.logins_are_not_privileged(resource_args(reg, props_of(reg)), found)
        assert found == []


@pytest.mark.parametrize(
    ("flag", "what"),
    [
        ("superuser", "a superuser"),
        ("createRole", "allowed to create roles"),
        ("createDatabase", "allowed to create databases"),
    ],
)
def test_a_privileged_login_fails(flag: str, what: str) -> None:
    reg = run("prod").one(rules.ROLE, "app_migrator")
    found = Violations()
    rules.logins_are_not_privileged(resource_args(reg, {**props_of(reg), flag: True}), found)
    assert found == [f"login role app_migrator is {what}"]


def test_runtime_logins_own_nothing_in_the_program() -> None:
    found = Violations()
    rules.runtime_logins_own_nothing(stack_args("prod"), found)
    assert found == []


def test_a_schema_owned_by_a_runtime_login_fails() -> None:
    def hand_over(resources: list[PolicyResource]) -> None:
        schema = next(r for r in resources if r.resource_type == "postgresql:index/schema:Schema")
        schema.props = {**schema.props, "owner": "app_runtime_a"}

    found = Violations()
    rules.runtime_logins_own_nothing(stack_args("prod", hand_over), found)
    assert found == ["runtime login app_runtime_a owns app"]


# --- Stack boundaries ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_programs_secrets_stay_in_their_stack(stack: str) -> None:
    found = Violations()
    rules.secrets_stay_in_this_stack(stack_args(stack), found)
    assert found == []


def test_a_worker_secret_on_another_stacks_worker_fails() -> None:
    def misdirect(resources: list[PolicyResource]) -> None:
        secret = next(r for r in resources if r.resource_type == rules.WORKER_SECRET)
        secret.props = {**secret.props, "scriptName": "example-api"}  # prod's Worker

    found = Violations()
    rules.secrets_stay_in_this_stack(stack_args("staging", misdirect), found)
    assert len(found) == 1
    assert "targets Worker example-api, which is not one of this stack's" in found[0]


def test_a_worker_secret_outside_its_workers_set_fails() -> None:
    # prod's example-webhooks holds three secrets; a hand-added fourth is refused.
    def widen(resources: list[PolicyResource]) -> None:
        secret = next(
            r
            for r in resources
            if r.resource_type == rules.WORKER_SECRET
            and r.props["scriptName"] == "example-api"
            and r.props["name"] == "BETTER_AUTH_SECRET"
        )
        extra = copy.deepcopy(secret)
        extra.props = {**secret.props, "scriptName": "example-webhooks"}
        extra.urn = secret.urn.replace("example-api-", "example-webhooks-")
        resources.append(extra)

    found = Violations()
    rules.secrets_stay_in_this_stack(stack_args("prod", widen), found)
    assert found == [
        "Worker secret BETTER_AUTH_SECRET is not in Worker example-webhooks's secret set; "
        "list it under its secrets, or remove the resource"
    ]


def test_declared_secrets_are_held_to_each_workers_set(project: Path) -> None:
    declare(project)
    found = Violations()
    rules.secrets_stay_in_this_stack(stack_args("prod", project_dir=project), found)
    assert found == [], "the program's own declared Worker secrets pass"

    def widen(resources: list[PolicyResource]) -> None:
        secret = next(
            r
            for r in resources
            if r.resource_type == rules.WORKER_SECRET and r.props["name"] == "OPENAI_API_KEY"
        )
        extra = copy.deepcopy(secret)
        extra.props = {**secret.props, "scriptName": "example-webhooks"}
        extra.urn = secret.urn.replace("example-api-", "example-webhooks-")
        resources.append(extra)

    rules.secrets_stay_in_this_stack(stack_args("prod", widen, project), found)
    assert found == [
        "Worker secret OPENAI_API_KEY is not in Worker example-webhooks's secret set; "
        "list it under its secrets, or remove the resource"
    ]


def test_a_github_secret_in_another_environment_fails() -> None:
    def misdirect(resources: list[PolicyResource]) -> None:
        secret = find_type(
            resources, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
        )
        secret.props = {**secret.props, "environment": "production"}

    found = Violations()
    rules.secrets_stay_in_this_stack(stack_args("dev", misdirect), found)
    assert len(found) == 1
    assert "targets GitHub environment production of example-app" in found[0]


def find_type(resources: list[PolicyResource], type_: str) -> PolicyResource:
    return next(r for r in resources if r.resource_type == type_)


# --- CORS ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_programs_cors_origins_pass(stack: str) -> None:
    found = Violations()
    rules.cors_origins_are_exact(stack_args(stack), found)
    assert found == []


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("http://app.example.com", "is not https"),
        ("https://*.example.com", "is not one exact origin"),
        ("https://app.example.com/path", "is not an exact origin"),
    ],
)
@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_an_inexact_or_plain_http_origin_outside_dev_fails(
    origin: str, message: str, stack: str
) -> None:
    def loosen(resources: list[PolicyResource]) -> None:
        env = find_type(resources, rules.ENVIRONMENT_TYPE)
        env.props = {**env.props, "corsOrigins": [origin]}

    found = Violations()
    rules.cors_origins_are_exact(stack_args(stack, loosen), found)
    assert len(found) == 1 and message in found[0]


def test_dev_may_allow_a_plain_http_origin() -> None:
    def local(resources: list[PolicyResource]) -> None:
        env = find_type(resources, rules.ENVIRONMENT_TYPE)
        env.props = {**env.props, "corsOrigins": ["http://localhost:3001"]}

    found = Violations()
    rules.cors_origins_are_exact(stack_args("dev", local), found)
    assert found == []


def loaded_pack(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The pack as the analyzer loads it, with pulumi_policy's own policy classes; only the
    gRPC server its PolicyPack starts is replaced by a recorder. (The engine tests run the
    pack under the real analyzer.)"""
    import runpy

    import pulumi_policy

    packs: list[dict[str, Any]] = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", lambda **kwargs: packs.append(kwargs))
    # As pulumi.policy starts it: the folder, whose __main__ imports its neighbours.
    runpy.run_path(str(ROOT / "policy"), run_name="__main__")
    (pack,) = packs
    return pack


def test_the_pack_enforces_every_rule_as_mandatory(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi_policy

    pack = loaded_pack(monkeypatch)
    assert pack["name"] == "envkeeper"
    assert pack["enforcement_level"] is pulumi_policy.EnforcementLevel.MANDATORY
    policies = {p.name: p for p in pack["policies"]}
    assert {name: type(p).__name__ for name, p in policies.items()} == {
        "resource-types-envkeeper-makes": "ResourceValidationPolicy",
        "cloudflare-token-short-lived-and-scoped": "ResourceValidationPolicy",
        "postgres-logins-not-privileged": "ResourceValidationPolicy",
        "cloudflare-deploy-token-scope-exact": "StackValidationPolicy",
        "production-environment-protected": "StackValidationPolicy",
        "github-environment-names-unique": "StackValidationPolicy",
        "postgres-runtime-logins-own-nothing": "StackValidationPolicy",
        "postgres-memberships-as-designed": "StackValidationPolicy",
        "github-no-repository-wide-secrets": "StackValidationPolicy",
        "secrets-stay-in-their-stack": "StackValidationPolicy",
        "cors-origins-exact": "StackValidationPolicy",
    }
    for policy in policies.values():
        assert policy.enforcement_level in (None, pulumi_policy.EnforcementLevel.MANDATORY)
        assert policy.description and policy.description != policy.name


def _set(type_: str, name: str | None, **changes: Any) -> Any:
    def edit(resources: list[PolicyResource]) -> None:
        found = next(r for r in resources if r.resource_type == type_ and name in (None, r.name))
        found.props = {**found.props, **changes}

    return edit


def _add(type_: str, resource_name: str, **props: Any) -> Any:
    """A hand-written resource of `type_` beside the program's."""

    def edit(resources: list[PolicyResource]) -> None:
        urn = f"urn:pulumi:prod::envkeeper::{type_}::{resource_name}"
        resources.append(
            PolicyResource(type_, props, urn, resource_name, OPTIONS, None, None, [], {})
        )

    return edit


def _token(edit_policies: Any) -> Any:
    def edit(resources: list[PolicyResource]) -> None:
        found = next(
            r for r in resources if r.resource_type == rules.TOKEN and r.name == "deploy-b"
        )
        props = copy.deepcopy(found.props)
        edit_policies(props["policies"])
        found.props = props

    return edit


def _extra_group(policies: list[dict[str, Any]]) -> None:
    policies[0]["permissionGroups"].append({"id": "c1a5e0fe000000000000000000000000"})


def _nested_zone_wildcard(policies: list[dict[str, Any]]) -> None:
    account = next(iter(json.loads(policies[0]["resources"])))
    policies[0]["resources"] = json.dumps({account: {"com.cloudflare.api.account.zone.*": "*"}})


def _member_of_owner(resources: list[PolicyResource]) -> None:
    login = next(
        r for r in resources if r.resource_type == rules.ROLE and r.props["name"] == "app_runtime_a"
    )
    login.props = {**login.props, "roles": ["app_runtime", "app_owner"]}


DEV_ACCOUNT = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
PROD_ACCOUNT_RESOURCE = "com.cloudflare.api.account.9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def look_alike_of(name: str, written: str) -> Any:
    """An edit adding a second GitHub environment that differs from `name` only by case."""

    def edit(resources: list[PolicyResource]) -> None:
        environments = [r for r in resources if r.resource_type == rules.GITHUB_ENVIRONMENT]
        original = next(r for r in environments if r.props["environment"] == name)
        props = {**original.props, "environment": written}
        resources.append(
            PolicyResource(rules.GITHUB_ENVIRONMENT, props, original.urn + "-2", "look-alike",
                           OPTIONS, None, None, [], {})
        )  # fmt: skip

    return edit


# For each rule, one change to production's resources that breaks that rule and no other.
BREAKS: dict[str, Any] = {
    "github-environment-names-unique": look_alike_of("preview", "Preview"),
    "cloudflare-token-short-lived-and-scoped": _set(
        rules.TOKEN, "deploy-b", expiresOn="2099-01-01T00:00:00Z"
    ),
    "postgres-logins-not-privileged": _set(rules.ROLE, "app_readonly", superuser=True),
    "production-environment-protected": _set(
        rules.GITHUB_ENVIRONMENT, "environment", preventSelfReview=False
    ),
    "postgres-runtime-logins-own-nothing": _set(
        "postgresql:index/schema:Schema", None, owner="app_runtime_a"
    ),
    # A Worker secret on another Cloudflare account, though the Worker's name is this stack's.
    "secrets-stay-in-their-stack": _set(
        rules.WORKER_SECRET, "example-api-STRIPE_SECRET_KEY", accountId=DEV_ACCOUNT
    ),
    "cors-origins-exact": _set(rules.ENVIRONMENT_TYPE, None, corsOrigins=["https://*.example.com"]),
    "cloudflare-deploy-token-scope-exact": _token(_extra_group),
    "postgres-memberships-as-designed": _member_of_owner,
    "resource-types-envkeeper-makes": _add(
        "random:index/randomString:RandomString", "stray", length=32
    ),
}

# The review's gaps, each passing with no violation before these rules: what each does to
# production's stack, and every rule that must report it.
GAPS: dict[str, tuple[Any, set[str]]] = {
    "production lets admins bypass": (
        _set(rules.GITHUB_ENVIRONMENT, "environment", canAdminsBypass=True),
        {"production-environment-protected"},
    ),
    "production deploys from branch pattern *": (
        _set(rules.GITHUB_BRANCH_POLICY, "branch-main", branchPattern="*"),
        {"production-environment-protected"},
    ),
    "a repository-level Actions secret holds DATABASE_URL": (
        _add(
            "github:index/actionsSecret:ActionsSecret",
            "database-url",
            repository="example-app",
            secretName="DATABASE_URL",
        ),
        {"github-no-repository-wide-secrets", "resource-types-envkeeper-makes"},
    ),
    "a runtime login made a member of app_owner": (
        _member_of_owner,
        {"postgres-memberships-as-designed"},
    ),
    "app_owner granted to a login by a GrantRole": (
        _add(rules.GRANT_ROLE, "owner-to-readonly", role="app_readonly", grantRole="app_owner"),
        {"postgres-memberships-as-designed", "resource-types-envkeeper-makes"},
    ),
    "a deploy token with a permission group beyond the deploy set": (
        _token(_extra_group),
        {"cloudflare-deploy-token-scope-exact"},
    ),
    "a deploy token whose resources nest a wildcard": (
        _token(_nested_zone_wildcard),
        {"cloudflare-deploy-token-scope-exact", "cloudflare-token-short-lived-and-scoped"},
    ),
    "a user-owned ApiToken": (
        _add(
            rules.USER_TOKEN,
            "personal",
            expiresOn="2026-12-01T00:00:00Z",
            policies=[{"effect": "allow", "resources": json.dumps({PROD_ACCOUNT_RESOURCE: "*"})}],
        ),
        {"resource-types-envkeeper-makes", "cloudflare-token-short-lived-and-scoped"},
    ),
    "a Worker-secret-like resource of another type on another account": (
        _add(
            "cloudflare:index/workersSecret:WorkersSecret",
            "stray",
            accountId=DEV_ACCOUNT,
            scriptName="example-api",
            name="STRIPE_SECRET_KEY",
        ),
        {"resource-types-envkeeper-makes", "secrets-stay-in-their-stack"},
    ),
}


def reported_by(policy: Any, args: StackValidationArgs) -> list[str]:
    """What `policy` reports on the stack `args`, run the way the analyzer runs it."""
    import pulumi_policy

    found = Violations()
    if isinstance(policy, pulumi_policy.ResourceValidationPolicy):
        for r in args.resources:
            policy.validate(
                ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, OPTIONS, None),
                found,
            )
    else:
        policy.validate(args, found)
    return list(found)


def test_the_shipped_production_stack_passes_every_rule_of_the_pack(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rules, "_now", lambda: NOW)
    args = stack_args("prod")
    for policy in loaded_pack(monkeypatch)["policies"]:
        assert reported_by(policy, args) == [], policy.name


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_the_shipped_lower_stacks_pass_every_rule_of_the_pack(
    monkeypatch: pytest.MonkeyPatch, stack: str
) -> None:
    monkeypatch.setattr(rules, "_now", lambda: NOW)
    args = stack_args(stack)
    for policy in loaded_pack(monkeypatch)["policies"]:
        assert reported_by(policy, args) == [], policy.name


# Its types are none of envkeeper's, so the allowlist reports them too: its own break is a gap.
ONLY_WITH_THE_ALLOWLIST = {"github-no-repository-wide-secrets"}


def test_every_rule_has_a_break(monkeypatch: pytest.MonkeyPatch) -> None:
    names = {p.name for p in loaded_pack(monkeypatch)["policies"]}
    assert set(BREAKS) | ONLY_WITH_THE_ALLOWLIST == names
    for rule in ONLY_WITH_THE_ALLOWLIST:
        assert any(rule in expected for _, expected in GAPS.values())


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_break_is_reported_under_its_own_rule_name_and_no_other(
    monkeypatch: pytest.MonkeyPatch, rule: str
) -> None:
    # A pack that ran the wrong function under a rule's name would report this break
    # under another name, or not at all.
    monkeypatch.setattr(rules, "_now", lambda: NOW)
    args = stack_args("prod", BREAKS[rule])
    reports = {p.name: reported_by(p, args) for p in loaded_pack(monkeypatch)["policies"]}
    assert {name for name, found in reports.items() if found} == {rule}
    assert len(reports[rule]) == 1, reports[rule]


@pytest.mark.parametrize("gap", sorted(GAPS))
def test_each_gap_of_the_review_is_a_violation_of_the_loaded_pack(
    monkeypatch: pytest.MonkeyPatch, gap: str
) -> None:
    monkeypatch.setattr(rules, "_now", lambda: NOW)
    edit, expected = GAPS[gap]
    args = stack_args("prod", edit)
    reports = {p.name: reported_by(p, args) for p in loaded_pack(monkeypatch)["policies"]}
    assert {name for name, found in reports.items() if found} == expected
    for name in expected:
        assert len(reports[name]) == 1, reports[name]
        assert "CANARY" not in reports[name][0] and "placeholder" not in reports[name][0]


# --- The allowlist is exactly what envkeeper makes ---------------------------------------------


def declared_types(project: Path) -> set[str]:
    """Every resource type the program declares, over the stacks and modes a team can
    choose: created or adopted Neon project, minted or pasted Resend and Stripe secrets, a
    stack with or without production beside it."""
    from tests.programs import load, pasted
    from tests.test_neon import OWNER, adopt

    found = {r.type for s in ("dev", "staging", "prod") for r in run(s, project).registrations}
    adopt(project, "staging")
    secrets = {
        k: f"placeholder:{k}" for k in load("staging", project)[1].catalog.secure_config_keys()
    }
    found |= {
        r.type
        for r in run(
            "staging", project, secrets={**secrets, "envkeeper:neonOwnerUrl": OWNER}
        ).registrations
    }
    dev = project / "Pulumi.dev.yaml"
    dev.write_text(pasted(dev.read_text()))
    (project / "Pulumi.prod.yaml").unlink()
    found |= {r.type for r in run("dev", project).registrations}
    return found


def test_the_allowlist_is_every_type_envkeeper_declares_and_no_other(project: Path) -> None:
    from envkeeper.infra import resource_types

    declared = declared_types(project)
    # A new resource type must be named in envkeeper/infra/resource_types.py, or the pack refuses
    # the program's own resource on every preview.
    assert [t for t in sorted(declared) if not resource_types.allowed(t)] == []
    # No entry the program never makes: each one is a type a stack may hold unreviewed.
    assert resource_types.DECLARED - declared == set()
    assert {t for t in declared if t.startswith(resource_types.PROVIDER_PREFIX)} == {
        "pulumi:providers:postgresql"
    }


def test_the_allowlist_refuses_what_envkeeper_does_not_make() -> None:
    from envkeeper.infra import resource_types

    for stray in (
        rules.USER_TOKEN,
        "github:index/actionsSecret:ActionsSecret",
        "random:index/randomString:RandomString",
        "pulumi-python:dynamic/envkeeper:Anything",
        "pulumi:providers:aws",
        "cloudflare:index/workersScript:WorkersScript",
    ):
        assert not resource_types.allowed(stray), stray
    for engine in (
        "pulumi:pulumi:Stack",
        "pulumi:providers:cloudflare",
        "pulumi:providers:pulumi-python",
    ):
        assert resource_types.allowed(engine), engine


@pytest.mark.parametrize(
    ("name", "written"), [("production", "Production"), ("preview", "PREVIEW")]
)
def test_two_environments_that_differ_only_by_case_fail(name: str, written: str) -> None:
    found = Violations()
    rules.environment_names_differ_by_more_than_case(
        stack_args("prod", look_alike_of(name, written)), found
    )
    assert found == [
        f"GitHub environments {name} and {written} are one environment to GitHub, which "
        "ignores case; keep one"
    ]


def test_the_programs_environments_all_differ_by_more_than_case() -> None:
    for stack in ("dev", "staging", "prod"):
        found = Violations()
        rules.environment_names_differ_by_more_than_case(stack_args(stack), found)
        assert found == [], stack

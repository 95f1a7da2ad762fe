"""The Neon database component, on the mocks: resources, secrecy, URLs and rotation."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pulumi_neon as neon
import pytest

from envkeeper.infra import database as db
from envkeeper.offline.program import ProgramError, is_secret, unwrap_all
from envkeeper.rotation.schedule import dependents
from envkeeper.stack import catalog
from tests.conftest import STACKS
from tests.programs import SHIPPED, changed_resources, database_urls, load, run, set_rotation

ROLE = "postgresql:index/role:Role"
PASSWORD = "random:index/randomPassword:RandomPassword"
PROJECT = "neon:index/project:Project"
PROVIDER = "pulumi:providers:postgresql"
OWNER_PASSWORD = "pulumi-python:dynamic/envkeeper:NeonOwnerPassword"
DEFAULTS = "postgresql:index/defaultPrivileges:DefaultPrivileges"
LOGINS = ("app_migrator", "app_readonly", "app_runtime_a", "app_runtime_b")


def sdk_credentials() -> list[str]:
    """The Project outputs that carry a credential, by wire name, as the installed SDK
    names them: a new one in an SDK upgrade must be marked secret too."""
    return sorted(
        _camel(name)
        for name, attr in vars(neon.Project).items()
        if isinstance(attr, property)
        and re.search(r"password|uri|secret|token|key", name)
        and name != "store_password"  # a setting: whether Neon keeps the password
    )


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def test_the_sdk_still_has_the_credential_outputs_envkeeper_reads() -> None:
    assert {"databasePassword", "connectionUri", "connectionUriPooler"} <= set(sdk_credentials())


@pytest.mark.parametrize("stack", STACKS)
def test_one_neon_project_named_by_config_with_its_secrets_marked(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    (project,) = result.by_type(PROJECT)
    assert project.inputs["name"] == settings.neon.project_name
    for key in sdk_credentials():
        assert key in project.additional_secret_outputs, key
        assert is_secret(project.outputs[key]), key


@pytest.mark.parametrize("stack", STACKS)
def test_roles_are_least_privilege_and_logins_have_rotating_passwords(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    roles = {r.inputs["name"]: r for r in result.by_type(ROLE)}
    assert set(roles) == {
        "app_owner",
        "app_migrator",
        "app_runtime",
        "app_runtime_a",
        "app_runtime_b",
        "app_readonly",
    }
    for name, role in roles.items():
        assert role.inputs["superuser"] is False
        assert role.inputs["createRole"] is False and role.inputs["createDatabase"] is False
        assert role.inputs["login"] is (name not in ("app_runtime", "app_owner"))
        if role.inputs["login"]:
            assert is_secret(role.inputs["password"]), name
        else:
            assert "password" not in role.inputs
    assert roles["app_runtime_a"].inputs["roles"] == ["app_runtime"]
    assert roles["app_runtime_b"].inputs["roles"] == ["app_runtime"]
    assert roles["app_readonly"].inputs["roles"] == []
    # The migrator works as the owner in every session, so whatever it creates is the
    # owner's, and the migrator itself owns nothing.
    assert roles["app_migrator"].inputs["roles"] == ["app_owner"]
    assert roles["app_migrator"].inputs["assumeRole"] == "app_owner"
    assert [n for n, r in roles.items() if r.inputs.get("assumeRole")] == ["app_migrator"]

    slots = settings.slots("DATABASE_URL")
    expected_dates = {
        "app_migrator": settings.single_date("MIGRATION_DATABASE_URL"),
        "app_readonly": settings.single_date("DATABASE_URL_READONLY"),
        "app_runtime_a": slots.a,
        "app_runtime_b": slots.b,
    }
    for login, when in expected_dates.items():
        password = result.one(PASSWORD, f"{login}-password")
        assert password.inputs["length"] >= 32
        assert password.inputs["keepers"] == {"rotated": when.isoformat()}
        assert set(password.inputs["overrideSpecial"]) <= set("-_.~")
        assert is_secret(password.outputs["result"])
        # The role's password is exactly the generated one.
        assert unwrap_all(roles[login].inputs["password"]) == unwrap_all(password.outputs["result"])


@pytest.mark.parametrize("stack", STACKS)
def test_schema_grants_and_default_privileges(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    (schema,) = result.by_type("postgresql:index/schema:Schema")
    assert schema.inputs == {
        "name": "app",
        "database": settings.neon.database,
        "owner": "app_owner",
    }
    app = settings.neon.database
    grants = {
        (g.inputs["role"], g.inputs["objectType"], g.inputs.get("schema"), g.inputs["database"]): (
            g.inputs["privileges"]
        )
        for g in result.by_type("postgresql:index/grant:Grant")
    }
    # The owner's own database (Neon's neondb), which the project names.
    maintenance = result.one(PROJECT, "project").outputs["databaseName"]
    assert grants == {
        ("public", "database", None, app): [],
        ("public", "database", None, maintenance): [],
        ("app_migrator", "database", None, app): ["CONNECT"],
        ("app_runtime", "database", None, app): ["CONNECT"],
        ("app_readonly", "database", None, app): ["CONNECT"],
        ("public", "schema", "public", app): ["USAGE"],
        ("app_runtime", "schema", "app", app): ["USAGE"],
        ("app_runtime", "table", "app", app): ["SELECT", "INSERT", "UPDATE", "DELETE"],
        ("app_runtime", "sequence", "app", app): ["USAGE", "SELECT"],
        ("public", "function", "app", app): [],
        ("app_runtime", "function", "app", app): ["EXECUTE"],
        ("app_readonly", "schema", "app", app): ["USAGE"],
        ("app_readonly", "table", "app", app): ["SELECT"],
    }
    defaults = {
        (d.inputs["role"], d.inputs["objectType"], d.inputs.get("schema")): (
            d.inputs["owner"],
            d.inputs["privileges"],
        )
        for d in result.by_type("postgresql:index/defaultPrivileges:DefaultPrivileges")
    }
    assert {d.inputs["database"] for d in result.by_type(DEFAULTS)} == {app}
    assert defaults == {
        ("app_runtime", "table", "app"): ("app_owner", ["SELECT", "INSERT", "UPDATE", "DELETE"]),
        ("app_runtime", "sequence", "app"): ("app_owner", ["USAGE", "SELECT"]),
        # PUBLIC's EXECUTE on new functions can only be revoked for every schema at once.
        ("public", "function", None): ("app_owner", []),
        ("app_runtime", "function", "app"): ("app_owner", ["EXECUTE"]),
        ("app_readonly", "table", "app"): ("app_owner", ["SELECT"]),
    }
    (provider,) = result.by_type(PROVIDER)
    for reg in result.registrations:
        if reg.type.startswith("postgresql:"):
            # A provider reference is "<provider urn>::<provider id>".
            assert reg.provider.rsplit("::", 1)[0] == provider.urn, reg.urn


@pytest.mark.parametrize("stack", STACKS)
def test_the_sql_provider_uses_the_direct_host_with_tls_and_no_superuser(stack: str) -> None:
    result = run(stack)
    (project,) = result.by_type(PROJECT)
    (provider,) = result.by_type(PROVIDER)
    assert provider.inputs["host"] == project.outputs["databaseHost"]
    assert "-pooler" not in provider.inputs["host"]
    assert provider.inputs["sslmode"] == "require"
    assert provider.inputs["superuser"] == "false"
    assert is_secret(provider.inputs["password"])


@pytest.mark.parametrize("stack", STACKS)
def test_urls_carry_the_right_login_host_and_tls(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    (project,) = result.by_type(PROJECT)
    direct = project.outputs["databaseHost"]
    pooled = project.outputs["databaseHostPooler"]
    passwords = {
        login: unwrap_all(result.one(PASSWORD, f"{login}-password").outputs["result"])
        for login in ("app_migrator", "app_readonly", "app_runtime_a", "app_runtime_b")
    }
    active = f"app_runtime_{settings.slots('DATABASE_URL').active}"
    expected = {
        "DATABASE_URL": (active, pooled),
        "DATABASE_URL_READONLY": ("app_readonly", pooled),
        "MIGRATION_DATABASE_URL": ("app_migrator", direct),
    }
    for name, url in database_urls(result).items():
        login, host = expected[name]
        parts = urlsplit(url)
        assert parts.scheme == "postgresql"
        assert parts.username == login
        assert unquote(parts.password or "") == passwords[login]
        assert parts.hostname == host
        assert parts.path == f"/{settings.neon.database}"
        assert parts.query == "sslmode=require"


def test_connection_urls_percent_encode_every_part() -> None:
    url = db.connection_url("app user", "p@ss:w/rd?#%", "h.example", "my db")
    assert (
        url == "postgresql://app%20user:p%40ss%3Aw%2Frd%3F%23%25@h.example/my%20db?sslmode=require"
    )
    parts = urlsplit(url)
    assert unquote(parts.password or "") == "p@ss:w/rd?#%"


def test_pooled_host_inserts_pooler_after_the_endpoint() -> None:
    host = "ep-cool-darkness-123456.us-east-2.aws.neon.tech"
    assert db.pooled_host(host) == "ep-cool-darkness-123456-pooler.us-east-2.aws.neon.tech"
    pooled = db.pooled_host(host)
    assert db.pooled_host(pooled) == pooled


@pytest.mark.parametrize("stack", STACKS)
def test_bumping_the_older_runtime_slot_rotates_it_and_moves_database_url_to_it(
    project: Path, stack: str
) -> None:
    _, settings = load(stack, project)
    slots = settings.slots("DATABASE_URL")
    older = slots.inactive
    before = run(stack, project)
    set_rotation(project, stack, "DATABASE_URL", {older: "2026-11-27"})
    after = run(stack, project)

    assert changed_resources(before, after) >= {
        f"app_runtime_{older}-password",
        f"app_runtime_{older}",
    }
    # Beyond the login itself and what ends its old sessions once the URL is delivered,
    # only what carries DATABASE_URL changes, the record of the switch, and the login that
    # becomes the standby, which gets its expiry (VALID UNTIL the grace after the switch:
    # here, with nothing deployed before, its date).
    assert changed_resources(before, after) - {
        f"app_runtime_{older}-password",
        f"app_runtime_{older}",
        f"app_runtime_{older}-sessions",
    } == {f"{worker}-DATABASE_URL" for worker in settings.cloudflare.workers} | {
        f"app_runtime_{slots.active}",
        "database-url-switch",
    }
    roles = {r.name: unwrap_all(r.inputs) for r in after.by_type(ROLE)}
    assert roles[f"app_runtime_{older}"]["validUntil"] == "infinity"
    assert roles[f"app_runtime_{slots.active}"]["validUntil"] == "2026-12-04 00:00:00+00"
    old_urls, new_urls = database_urls(before), database_urls(after)
    assert {k for k in new_urls if new_urls[k] != old_urls[k]} == {"DATABASE_URL"}
    assert urlsplit(new_urls["DATABASE_URL"]).username == f"app_runtime_{older}"
    assert urlsplit(old_urls["DATABASE_URL"]).username == f"app_runtime_{slots.active}"


def test_the_owner_login_configures_the_provider_and_goes_nowhere_else() -> None:
    result = run("prod")
    (project,) = result.by_type(PROJECT)
    # The password the project was made with reaches nothing: the first `up` resets it.
    first = unwrap_all(project.outputs["databasePassword"])
    assert not [r for r in result.registrations if first in str(unwrap_all(r.inputs))]
    reset = result.one(OWNER_PASSWORD, "owner-password")
    assert "password" in reset.additional_secret_outputs
    owner_password = unwrap_all(reset.outputs["password"])
    carriers = [r for r in result.registrations if owner_password in str(unwrap_all(r.inputs))]
    # The SQL provider, and what ends each login's old sessions after a rotation, as a secret.
    assert sorted(r.name for r in carriers) == sorted(
        ["sql", *(f"{login}-sessions" for login in LOGINS)]
    )
    assert all(is_secret(r.inputs["owner"]) for r in carriers if r.name != "sql")
    env = result.one(catalog.ENVIRONMENT_TYPE, "prod")
    assert owner_password not in str(unwrap_all(result.component_outputs[env.urn]))


ADOPTED = (
    "  envkeeper:neon:\n"
    "    projectName: example-dev\n"
    "    database: app\n"
    # Named, as isolation requires beside stacks that hold Neon API keys.
    "    orgId: org-example-dev-adopted\n"
    "    existingProjectId: proud-sky-123456\n"
)


def adopt(project_dir: Path, stack: str = "dev") -> None:
    path = project_dir / f"Pulumi.{stack}.yaml"
    text = path.read_text()
    start = text.index("  envkeeper:neon:\n")
    end = text.index("  envkeeper:github:")
    text = text[:start] + ADOPTED.replace("example-dev", f"example-{stack}") + text[end:]
    # An adopted project is managed through its owner URL: that is the credential to date,
    # and its owner's password is not envkeeper's to reset.
    text = re.sub(r"^    NEON_OWNER_PASSWORD: .*\n", "", text, flags=re.M)
    path.write_text(text.replace("    neon:apiKey: ", "    envkeeper:neonOwnerUrl: "))


OWNER = (
    "postgresql://neondb_owner:CANARY-owner-pw%2F7f3a"
    "@ep-proud-sky-123456.eu-central-1.aws.neon.tech/neondb?sslmode=require"
)


def test_an_adopted_project_is_reached_through_its_owner_url(project: Path) -> None:
    adopt(project)
    owner = OWNER
    secrets = {k: f"placeholder:{k}" for k in SHIPPED.secure_config_keys()}
    secrets["envkeeper:neonOwnerUrl"] = owner
    result = run("dev", project, secrets=secrets)

    assert result.by_type(PROJECT) == []
    (provider,) = result.by_type(PROVIDER)
    assert unwrap_all(provider.inputs["host"]) == "ep-proud-sky-123456.eu-central-1.aws.neon.tech"
    assert unwrap_all(provider.inputs["password"]) == "CANARY-owner-pw/7f3a"
    assert is_secret(provider.inputs["password"])
    found = database_urls(result)
    assert (
        urlsplit(found["DATABASE_URL"]).hostname
        == "ep-proud-sky-123456-pooler.eu-central-1.aws.neon.tech"
    )
    assert (
        urlsplit(found["MIGRATION_DATABASE_URL"]).hostname
        == "ep-proud-sky-123456.eu-central-1.aws.neon.tech"
    )
    assert "CANARY-owner-pw" not in str(found)


def test_an_adopted_project_needs_the_owner_url_not_a_neon_api_key(
    cli: object, project: Path
) -> None:
    adopt(project)
    out = cli("validate", "dev").stdout  # type: ignore[operator]
    assert (
        "envkeeper:neonOwnerUrl (owner connection URL of an existing Neon project):\n"
        "    pulumi config set --secret --stack dev envkeeper:neonOwnerUrl"
    ) in out
    assert "neon:apiKey" not in out


def test_a_malformed_owner_url_is_named_without_repeating_it(project: Path) -> None:
    adopt(project)
    secrets = {k: f"placeholder:{k}" for k in SHIPPED.secure_config_keys()}
    secrets["envkeeper:neonOwnerUrl"] = "mysql://CANARY-owner-7f3a@somewhere"
    with pytest.raises(ProgramError) as excinfo:
        run("dev", project, secrets=secrets)
    assert "envkeeper:neonOwnerUrl: the owner URL must start with postgresql://" in str(
        excinfo.value
    )
    assert "CANARY-owner" not in str(excinfo.value)
    # A failed run leaves nothing behind that breaks the next one.
    assert run("dev", project, secrets={**secrets, "envkeeper:neonOwnerUrl": OWNER}).by_type(
        PROVIDER
    )


@pytest.mark.parametrize(
    "url",
    [
        # A typo that makes the password the port: urllib's own message quotes it.
        "postgresql://neondb_owner@ep-x.neon.tech:CANARY-owner-pw-7f3a/neondb",
        "postgresql://neondb_owner:pw@ep-x.neon.tech:99999/neondb?CANARY-owner-7f3a",
        "postgresql://neondb_owner:CANARY-owner-pw-7f3a@[ep-x.neon.tech/neondb",
    ],
)
def test_an_owner_url_with_a_bad_port_or_host_is_named_by_its_key_never_its_text(
    project: Path, url: str
) -> None:
    adopt(project)
    secrets = {k: f"placeholder:{k}" for k in SHIPPED.secure_config_keys()}
    secrets["envkeeper:neonOwnerUrl"] = url
    with pytest.raises(ProgramError) as excinfo:
        run("dev", project, secrets=secrets)
    message = str(excinfo.value)
    assert message.startswith("envkeeper:neonOwnerUrl: the owner URL is not one envkeeper can")
    assert "copy it again from the Neon console" in message
    assert "CANARY" not in message and "ep-x" not in message and len(message.splitlines()) == 1


def test_the_offline_plan_of_an_adopted_project_shows_its_roles(cli: Any, project: Path) -> None:
    adopt(project)
    result = cli("plan", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    roles = {r["name"] for r in plan["resources"] if r["type"] == "postgresql:index/role:Role"}
    assert roles == {
        "app_owner",
        "app_migrator",
        "app_runtime",
        "app_runtime_a",
        "app_runtime_b",
        "app_readonly",
    }
    assert not [r for r in plan["resources"] if r["type"] == PROJECT]  # adopted, not created
    # The owner URL was never read; its stand-in stays as secret as a real one would.
    (provider,) = [r for r in plan["resources"] if r["type"] == PROVIDER]
    assert provider["inputs"]["host"] == provider["inputs"]["password"] == "[secret]"
    assert "offline-stand-in" not in result.stdout


def test_a_second_stack_adopting_the_same_project_is_refused(cli: Any, project: Path) -> None:
    adopt(project)
    adopt(project, "staging")
    result = cli("validate", "staging")
    assert result.exit_code == 2
    (only,) = result.stderr.splitlines()
    assert only.endswith(
        "envkeeper:neon.existingProjectId: proud-sky-123456 also belongs to stack dev; "
        "give each environment its own"
    )


def test_a_pooled_owner_url_is_used_through_its_direct_host_and_its_port(project: Path) -> None:
    adopt(project)
    secrets = {k: f"placeholder:{k}" for k in SHIPPED.secure_config_keys()}
    secrets["envkeeper:neonOwnerUrl"] = OWNER.replace(
        "ep-proud-sky-123456.", "ep-proud-sky-123456-pooler."
    ).replace(".neon.tech/", ".neon.tech:6432/")
    result = run("dev", project, secrets=secrets)
    (provider,) = result.by_type(PROVIDER)
    # DDL and grants never go through PgBouncer; the port is the URL's own.
    assert unwrap_all(provider.inputs["host"]) == "ep-proud-sky-123456.eu-central-1.aws.neon.tech"
    assert int(unwrap_all(provider.inputs["port"])) == 6432  # provider config travels as text
    found = {name: urlsplit(url) for name, url in database_urls(result).items()}
    assert found["MIGRATION_DATABASE_URL"].netloc.endswith(
        "@ep-proud-sky-123456.eu-central-1.aws.neon.tech:6432"
    )
    assert found["DATABASE_URL"].netloc.endswith(
        "@ep-proud-sky-123456-pooler.eu-central-1.aws.neon.tech:6432"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_no_database_url_is_delivered_before_its_role_and_grants(stack: str) -> None:
    result = run(stack)
    role_urns = {r.name: r.urn for r in result.by_type(ROLE)}
    grant_urns = {
        r.urn
        for r in result.registrations
        if r.type
        in ("postgresql:index/grant:Grant", "postgresql:index/defaultPrivileges:DefaultPrivileges")
    }
    _, settings = load(stack)
    active = db.runtime_login(settings.slots("DATABASE_URL").active)
    logins = {
        "DATABASE_URL": active,
        "DATABASE_URL_READONLY": db.READONLY,
        "MIGRATION_DATABASE_URL": db.MIGRATOR,
    }
    carriers = [
        r
        for r in result.registrations
        if r.custom
        and (r.inputs.get("name") in logins or r.inputs.get("secretName") in logins)
        and not r.type.startswith("postgresql:")
    ]
    assert carriers
    for carrier in carriers:
        name = str(carrier.inputs.get("name") or carrier.inputs.get("secretName"))
        assert role_urns[logins[name]] in carrier.dependencies, carrier.name
        assert grant_urns <= set(carrier.dependencies), carrier.name


@pytest.mark.parametrize("stack", STACKS)
def test_the_project_always_names_its_organization(stack: str) -> None:
    _, settings = load(stack)
    (project,) = run(stack).by_type(PROJECT)
    assert project.inputs["orgId"] == settings.neon.org_id
    # Each in an organization of its own: an API key reaches every project of its org.
    others = {load(s)[1].neon.org_id for s in STACKS if s != stack}
    assert settings.neon.org_id not in others


@pytest.mark.parametrize("stack", STACKS)
def test_a_destroy_lets_go_of_the_data_and_removes_every_login(stack: str) -> None:
    # The database, its schema and their owner hold the product's data: deleting the
    # stack's resources leaves them in PostgreSQL. Logins and grants are not. The project and
    # the database are protected too: a destroy stops at them. The engine tests run one.
    result = run(stack)
    retained = {(r.type, r.name) for r in result.registrations if r.retain_on_delete}
    created = set() if load(stack)[1].neon.adopted else {(PROJECT, "project")}
    assert retained == created | {
        ("postgresql:index/database:Database", "database"),  # whatever the setting names
        ("postgresql:index/schema:Schema", "app"),
        ("postgresql:index/role:Role", "app_owner"),  # owns the data; no login
    }
    protected = {r.name for r in result.registrations if r.protect}
    assert protected == ({"database"} if load(stack)[1].neon.adopted else {"project", "database"})


SESSIONS = "pulumi-python:dynamic/envkeeper:LoginSessions"


@pytest.mark.parametrize("stack", STACKS)
def test_each_logins_old_sessions_end_only_after_every_url_is_delivered(stack: str) -> None:
    _, settings = load(stack)
    result = run(stack)
    delivered = {
        r.urn
        for r in result.registrations
        if r.type
        in (
            "pulumi-python:dynamic/envkeeper:WorkerSecret",
            "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret",
        )
    }
    slots = settings.slots("DATABASE_URL")
    for login in LOGINS:
        sessions = result.one(SESSIONS, f"{login}-sessions")
        assert delivered <= set(sessions.dependencies), login
        assert result.one(ROLE, login).urn in sessions.dependencies
        inputs = unwrap_all(sessions.inputs)
        assert inputs["login"] == login and inputs["database"] == settings.neon.database
        assert inputs["password"] == unwrap_all(
            result.one(PASSWORD, f"{login}-password").outputs["result"]
        )
        assert is_secret(sessions.inputs["password"])
        # Only a standby past its end is retired: the shipped ones ended in November.
        assert inputs["retired"] is (login == f"app_runtime_{slots.inactive}"), login


@pytest.mark.parametrize("stack", STACKS)
def test_the_owner_password_is_reset_by_its_own_keeper_date(project: Path, stack: str) -> None:
    # Its date moves (bump, emergency, offboard): Neon resets it, and the provider and the
    # session ender log in with the new one; no login, URL or other credential changes.
    _, settings = load(stack, project)
    before = run(stack, project)
    reset = before.one(OWNER_PASSWORD, "owner-password")
    assert reset.inputs["rotated"] == settings.single_date("NEON_OWNER_PASSWORD").isoformat()
    made = before.one(PROJECT, "project").outputs
    assert unwrap_all(reset.inputs["role"]) == unwrap_all(made["databaseUser"])
    assert unwrap_all(reset.inputs["branch_id"]) == unwrap_all(made["defaultBranchId"])
    set_rotation(project, stack, "NEON_OWNER_PASSWORD", "2026-11-30")
    after = run(stack, project)

    # The session enders hold the owner's URL too, but act only on their own logins'
    # changes (their provider's diff), so the engine leaves them alone: test_engine_neon.py.
    predicted = dependents(settings, "NEON_OWNER_PASSWORD", None, None)
    assert changed_resources(before, after) == predicted == {"owner-password", "sql"}

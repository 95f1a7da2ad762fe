"""The roles and grants the program declares, applied to a real PostgreSQL 15.

The SQL is derived from the program's own registrations (tests/sqlgen.py); each login
then connects with its generated password over TCP (scram-sha-256), and the tests prove
what it can and cannot do. The superuser stands in for the Neon project owner.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import psycopg
import pytest

from envkeeper.offline.program import ProgramRun, unwrap_all
from tests.conftest import TODAY
from tests.pgserver import Server, required_bindir, running_server, superuser
from tests.programs import database_urls, load, run, set_rotation
from tests.role_checks import (
    migrate,
    migrator_may_exactly,
    reaches_no_other_database,
    readonly_may_exactly,
    refused,
    runtime_may_exactly,
)
from tests.sqlgen import Statement, program_sql, update_sql

pytestmark = pytest.mark.postgres

ROLE = "postgresql:index/role:Role"
ROLES = (
    "app_runtime_a",
    "app_runtime_b",
    "app_readonly",
    "app_migrator",
    "app_runtime",
    "app_owner",
)
DATABASE = "app"


# The maintenance database of the project the offline run creates (its owner's database).
MAINTENANCE = "neondb"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server(required_bindir()) as found:
        with superuser(found) as conn:
            conn.execute(f"CREATE DATABASE {MAINTENANCE}")
        yield found


def apply(server: Server, statements: list[Statement]) -> None:
    for statement in statements:
        with superuser(server, statement.database or "postgres") as conn:
            conn.execute(statement.sql.encode())


def password(result: ProgramRun, login: str) -> str:
    return unwrap_all(
        result.one("random:index/randomPassword:RandomPassword", f"{login}-password").outputs[
            "result"
        ]
    )


@dataclass
class Deployment:
    server: Server
    result: ProgramRun
    project: Path

    def login(
        self, user: str, secret: str | None = None, dbname: str = DATABASE
    ) -> psycopg.Connection:
        return psycopg.connect(
            host=self.server.host,
            port=self.server.port,
            user=user,
            password=secret if secret is not None else password(self.result, user),
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )

    def login_url(self, url: str, dbname: str | None = None) -> psycopg.Connection:
        """Log in with a catalog URL's own user, password and database (or `dbname`), on the
        local server."""
        parts = urlsplit(url)
        assert parts.query == "sslmode=require"  # the local server has no TLS; Neon does
        return psycopg.connect(
            host=self.server.host,
            port=self.server.port,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            dbname=dbname or unquote(parts.path.lstrip("/")),
            autocommit=True,
        )


def days_ago(days: int) -> str:
    return (TODAY - timedelta(days=days)).isoformat()


@pytest.fixture
def deployed(server: Server, project: Path) -> Iterator[Deployment]:
    # Slot b took over two days ago: standby a still works, inside its 7-day grace.
    set_rotation(project, "dev", "DATABASE_URL", {"a": days_ago(90), "b": days_ago(2)})
    result = run("dev", project)
    apply(server, program_sql(result))
    deployment = Deployment(server, result, project)
    # A migration, run as the migrator the way CI runs them.
    with deployment.login("app_migrator") as conn:
        migrate(conn)
    yield deployment
    with superuser(server) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        for role in ROLES:
            conn.execute(f"DROP ROLE IF EXISTS {role}")


@pytest.mark.parametrize("slot", ["a", "b"])
def test_runtime_slots_read_and_write_rows_but_change_no_schema(
    deployed: Deployment, slot: str
) -> None:
    with deployed.login(f"app_runtime_{slot}") as conn:
        runtime_may_exactly(conn)
        conn.execute("UPDATE app.items SET name = 'renamed' WHERE name = 'first'")
        assert conn.execute("SELECT name FROM app.items").fetchall() == [("renamed",)]


def test_readonly_login_can_only_select(deployed: Deployment) -> None:
    with deployed.login("app_readonly") as conn:
        assert conn.execute("SELECT name FROM app.items").fetchall() == [("first",)]
        readonly_may_exactly(conn)


def test_migrator_changes_the_schema_but_makes_no_roles_or_databases(deployed: Deployment) -> None:
    with deployed.login("app_migrator") as conn:
        migrator_may_exactly(conn)


def test_what_the_migrations_make_belongs_to_the_owner_not_the_migrator_login(
    deployed: Deployment,
) -> None:
    # So the login can be dropped (a `pulumi destroy`, a new migrator) while the data stays.
    with deployed.login("app_migrator") as conn:
        assert conn.execute("SELECT session_user, current_user").fetchone() == (
            "app_migrator",
            "app_owner",
        )
    with superuser(deployed.server, DATABASE) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'app'"
        ).fetchall()
        assert owners == [("app_owner",)]


def test_tables_created_later_reach_runtime_and_readonly(deployed: Deployment) -> None:
    with deployed.login("app_migrator") as conn:
        conn.execute("CREATE TABLE app.orders (id bigserial PRIMARY KEY, total int)")
    with deployed.login("app_runtime_a") as conn:
        conn.execute("INSERT INTO app.orders (total) VALUES (42)")
    with deployed.login("app_readonly") as conn:
        assert conn.execute("SELECT total FROM app.orders").fetchall() == [(42,)]
        refused(conn, "INSERT INTO app.orders (total) VALUES (1)")


def test_other_roles_cannot_even_connect(deployed: Deployment) -> None:
    with superuser(deployed.server) as conn:
        conn.execute("CREATE ROLE bystander LOGIN PASSWORD 'bystander-password'")
    try:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            deployed.login("bystander", "bystander-password")
    finally:
        with superuser(deployed.server) as conn:
            conn.execute("DROP ROLE bystander")


def test_the_grants_reach_the_maintenance_database_the_owner_names(deployed: Deployment) -> None:
    (grant,) = [
        r.inputs
        for r in deployed.result.by_type("postgresql:index/grant:Grant")
        if r.name == "public-database-maintenance"
    ]
    assert unwrap_all(grant)["database"] == MAINTENANCE


def test_no_url_reaches_the_maintenance_database(deployed: Deployment) -> None:
    for name, url in database_urls(deployed.result).items():
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            deployed.login_url(url, dbname=MAINTENANCE)
        with deployed.login_url(url) as conn:
            reaches_no_other_database(conn, MAINTENANCE)
            assert conn.execute("SELECT current_database()").fetchone() == (DATABASE,), name


def test_functions_the_migrations_make_later_run_for_the_runtime_only(
    deployed: Deployment,
) -> None:
    with deployed.login("app_migrator") as conn:
        conn.execute(
            "CREATE FUNCTION app.wipe() RETURNS void LANGUAGE sql SECURITY DEFINER "
            "AS $$ DELETE FROM app.items $$"
        )
        conn.execute(
            "CREATE PROCEDURE app.rename(n text) LANGUAGE sql SECURITY DEFINER "
            "AS $$ UPDATE app.items SET name = n $$"
        )
    with deployed.login("app_readonly") as conn:
        refused(conn, "SELECT app.wipe()")
        refused(conn, "CALL app.rename('x')")
    with deployed.login("app_runtime_b") as conn:
        conn.execute("CALL app.rename('renamed')")
    with deployed.login("app_readonly") as conn:
        assert conn.execute("SELECT name FROM app.items").fetchall() == [("renamed",)]


def test_a_function_made_before_this_grant_loses_publics_execute_at_the_next_up(
    deployed: Deployment,
) -> None:
    # A stack deployed before EXECUTE was revoked: its functions still have PUBLIC's.
    with superuser(deployed.server, DATABASE) as conn:
        conn.execute("GRANT EXECUTE ON FUNCTION app.add_item(text) TO PUBLIC")
    with deployed.login("app_readonly") as conn:
        conn.execute("SELECT app.add_item('written by the read-only login')")
    again = [
        s
        for s in program_sql(deployed.result)
        if "FUNCTIONS IN SCHEMA" in s.sql and "ON ALL" in s.sql
    ]
    assert again, "the program grants nothing on existing functions"
    apply(deployed.server, again)
    with deployed.login("app_readonly") as conn:
        refused(conn, "SELECT app.add_item('nope')")
        readonly_may_exactly(conn)
    with deployed.login("app_runtime_a") as conn:
        runtime_may_exactly(conn)


def test_each_catalog_url_logs_in_as_its_own_role(deployed: Deployment) -> None:
    _, settings = load("dev", deployed.project)
    expected = {
        "DATABASE_URL": f"app_runtime_{settings.slots('DATABASE_URL').active}",
        "DATABASE_URL_READONLY": "app_readonly",
        "MIGRATION_DATABASE_URL": "app_migrator",
    }
    for name, url in database_urls(deployed.result).items():
        with deployed.login_url(url) as conn:
            assert conn.execute("SELECT session_user").fetchone() == (expected[name],), name


def test_rotating_a_slot_kills_its_old_password_with_no_downtime(deployed: Deployment) -> None:
    _, settings = load("dev", deployed.project)
    slots = settings.slots("DATABASE_URL")
    older, active = slots.inactive, slots.active
    old_password = password(deployed.result, f"app_runtime_{older}")

    # A Worker holding the active slot keeps its connection through the rotation.
    worker = deployed.login_url(database_urls(deployed.result)["DATABASE_URL"])
    set_rotation(deployed.project, "dev", "DATABASE_URL", {older: TODAY.isoformat()})
    rotated = run("dev", deployed.project)
    statements = update_sql(deployed.result, rotated)
    # The older login gets a new password and never expires; the one it replaces becomes
    # the standby, valid for the grace so Workers still on it finish their move.
    by_role = {s.sql.split('"')[1]: s.sql for s in statements}
    assert set(by_role) == {f"app_runtime_{older}", f"app_runtime_{active}"}
    assert " PASSWORD " in by_role[f"app_runtime_{older}"]
    assert by_role[f"app_runtime_{older}"].endswith("VALID UNTIL 'infinity'")
    assert by_role[f"app_runtime_{active}"] == (
        f'ALTER ROLE "app_runtime_{active}" WITH VALID UNTIL '
        f"'{TODAY + timedelta(days=7)} 00:00:00+00'"
    )
    apply(deployed.server, statements)

    assert worker.execute("SELECT count(*) FROM app.items").fetchone() == (1,)
    worker.close()
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        deployed.login(f"app_runtime_{older}", old_password)
    new_url = database_urls(rotated)["DATABASE_URL"]
    with deployed.login_url(new_url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (f"app_runtime_{older}",)
    with deployed.login(f"app_runtime_{active}") as conn:
        assert conn.execute("SELECT count(*) FROM app.items").fetchone() == (1,)


def test_the_standby_login_dies_after_its_grace_and_the_active_one_never(
    deployed: Deployment,
) -> None:
    _, settings = load("dev", deployed.project)
    slots = settings.slots("DATABASE_URL")
    assert (slots.active, slots.inactive) == ("b", "a")
    roles = {r.name: unwrap_all(r.inputs) for r in deployed.result.by_type(ROLE)}
    assert roles["app_runtime_b"]["validUntil"] == "infinity"
    assert roles["app_runtime_a"]["validUntil"] == f"{TODAY + timedelta(days=5)} 00:00:00+00"

    # Inside the grace: a Worker not yet on the new URL still gets in.
    with deployed.login("app_runtime_a") as conn:
        assert conn.execute("SELECT count(*) FROM app.items").fetchone() == (1,)
    worker = deployed.login_url(database_urls(deployed.result)["DATABASE_URL"])

    # A one-day grace puts the standby's end in the past: the same update `pulumi up` makes.
    path = deployed.project / "Pulumi.dev.yaml"
    path.write_text(path.read_text() + "  envkeeper:standbyGraceDays: 1\n")
    shortened = run("dev", deployed.project)
    statements = update_sql(deployed.result, shortened)
    assert [s.sql for s in statements] == [
        f"ALTER ROLE \"app_runtime_a\" WITH VALID UNTIL '{TODAY - timedelta(days=1)} 00:00:00+00'"
    ]
    apply(deployed.server, statements)

    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        deployed.login("app_runtime_a")
    # The active login kept its connection and still opens new ones.
    assert worker.execute("SELECT count(*) FROM app.items").fetchone() == (1,)
    worker.close()
    with deployed.login("app_runtime_b") as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("app_runtime_b",)

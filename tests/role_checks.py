"""What each database login may do, and what it must be refused: one definition, used by
the real-database tests (roles applied from the program's SQL) and the engine tests
(roles made by the real pulumi-postgresql provider). Each works on `app.items` (a
bigserial `id`, a text `name`), a table the migrator made, and `app.add_item`, a function
it made after the grants (FIRST_MIGRATION)."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors

# What CI's first migration makes, as the migrator; it may run again. The function runs
# as its owner (SECURITY DEFINER), as migrations often write them: whoever may EXECUTE it
# can write.
FIRST_MIGRATION = (
    "CREATE TABLE IF NOT EXISTS app.items (id bigserial PRIMARY KEY, name text NOT NULL)",
    "CREATE OR REPLACE FUNCTION app.add_item(n text) RETURNS void LANGUAGE sql "
    "SECURITY DEFINER AS $$ INSERT INTO app.items (name) VALUES (n) $$",
)


def migrate(conn: psycopg.Connection) -> None:
    for statement in FIRST_MIGRATION:
        conn.execute(statement.encode())
    if conn.execute(b"SELECT count(*) FROM app.items").fetchone() == (0,):
        conn.execute(b"INSERT INTO app.items (name) VALUES ('first')")


def refused(conn: psycopg.Connection, sql: str) -> None:
    with pytest.raises(errors.InsufficientPrivilege):
        conn.execute(sql.encode())


def runtime_may_exactly(conn: psycopg.Connection) -> None:
    """Reads and writes rows; changes no schema, here or in `public`."""
    marker = f"runtime-{uuid.uuid4().hex[:8]}"
    conn.execute(b"INSERT INTO app.items (name) VALUES (%s)", (marker,))
    conn.execute(b"UPDATE app.items SET name = %s WHERE name = %s", (f"{marker}!", marker))
    found = conn.execute(b"SELECT count(*) FROM app.items WHERE name = %s", (f"{marker}!",))
    assert found.fetchone() == (1,)
    conn.execute(b"DELETE FROM app.items WHERE name = %s", (f"{marker}!",))
    # The app calls the functions its migrations make.
    conn.execute(b"SELECT app.add_item(%s)", (marker,))
    conn.execute(b"DELETE FROM app.items WHERE name = %s", (marker,))
    refused(conn, "CREATE TEMP TABLE sneaky (id int)")
    refused(conn, "CREATE TABLE app.sneaky (id int)")
    refused(conn, "ALTER TABLE app.items ADD COLUMN sneaky int")
    refused(conn, "DROP TABLE app.items")
    refused(conn, "TRUNCATE app.items")
    refused(conn, "CREATE TABLE public.sneaky (id int)")


def readonly_may_exactly(conn: psycopg.Connection) -> None:
    """Selects; nothing else."""
    conn.execute(b"SELECT name FROM app.items").fetchall()
    refused(conn, "INSERT INTO app.items (name) VALUES ('nope')")
    refused(conn, "UPDATE app.items SET name = 'nope'")
    refused(conn, "DELETE FROM app.items")
    refused(conn, "TRUNCATE app.items")
    refused(conn, "CREATE TABLE app.sneaky (id int)")
    refused(conn, "SELECT nextval('app.items_id_seq')")
    # Not even through a function that would write as its owner.
    refused(conn, "SELECT app.add_item('nope')")
    refused(conn, "CREATE TEMP TABLE sneaky (id int)")


def migrator_may_exactly(conn: psycopg.Connection) -> None:
    """Changes the app's schema; makes no roles or databases, touches no other login."""
    column = f"c_{uuid.uuid4().hex[:8]}"  # a fresh name: it may run more than once
    conn.execute(f"ALTER TABLE app.items ADD COLUMN {column} timestamptz".encode())
    conn.execute(f"CREATE INDEX {column}_idx ON app.items ({column})".encode())
    refused(conn, "CREATE ROLE sneaky LOGIN")
    refused(conn, "CREATE DATABASE sneaky")
    refused(conn, "CREATE TABLE public.sneaky (id int)")
    refused(conn, "ALTER ROLE app_runtime_a WITH PASSWORD 'taken'")


def reaches_no_other_database(conn: psycopg.Connection, maintenance: str) -> None:
    """The login may neither connect to the maintenance database nor make temporary tables
    there (PUBLIC's defaults, revoked where the owner may)."""
    for privilege in ("CONNECT", "TEMPORARY"):
        found = conn.execute(
            b"SELECT has_database_privilege(session_user, %s, %s)", (maintenance, privilege)
        ).fetchone()
        assert found == (False,), f"{privilege} on {maintenance}"

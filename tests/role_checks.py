"""What each database login may do, and what it must be refused: one definition, used by
the real-database tests (roles applied from the program's SQL) and the engine tests
(roles made by the real pulumi-postgresql provider). Each works on `app.items` (a
bigserial `id`, a text `name`), a table the migrator made."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg import errors


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


def migrator_may_exactly(conn: psycopg.Connection) -> None:
    """Changes the app's schema; makes no roles or databases, touches no other login."""
    column = f"c_{uuid.uuid4().hex[:8]}"  # a fresh name: it may run more than once
    conn.execute(f"ALTER TABLE app.items ADD COLUMN {column} timestamptz".encode())
    conn.execute(f"CREATE INDEX {column}_idx ON app.items ({column})".encode())
    refused(conn, "CREATE ROLE sneaky LOGIN")
    refused(conn, "CREATE DATABASE sneaky")
    refused(conn, "CREATE TABLE public.sneaky (id int)")
    refused(conn, "ALTER ROLE app_runtime_a WITH PASSWORD 'taken'")

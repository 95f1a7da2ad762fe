"""A session through the connection pooler, after its login was rotated: real PgBouncer in
front of the real PostgreSQL 15, as Neon's pooled host (`-pooler`) is.

`DATABASE_URL` and `DATABASE_URL_READONLY` point at the pooled host. Ending a login's
backends (components/login_sessions.py) ends the pooler's server connections, not a
client's connection to the pooler: that client is handed a server connection the Workers
open with the new password. Only restarting the pooler (on Neon: the compute endpoint)
ends it. These tests show both, on the real thing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from components.login_sessions import keep_only_new_sessions
from envkeeper.infra import database as db
from tests.pgbouncer import Pooler, find_pgbouncer, running_pooler
from tests.pgserver import Server, neon_like_owner, required_bindir, running_server, superuser

pytestmark = pytest.mark.postgres

LOGIN = "app_readonly"
OLD = "CANARY-leaked-readonly-5e1d"  # what the attacker holds
NEW = "CANARY-rotated-readonly-5e1d"  # what envkeeper set and delivered to the Workers
OWNER_PASSWORD = "CANARY-owner-password-pooled-5e1d"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if find_pgbouncer() is None:
        if os.environ.get("CI"):
            pytest.fail("pgbouncer is missing; .ci/run installs it")
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    with running_server(required_bindir(), tls=True) as found:
        yield found


@pytest.fixture
def pooled(server: Server) -> Iterator[tuple[Pooler, db.OwnerLogin]]:
    owner = db.parse_owner_url(neon_like_owner(server, "neondb_owner", OWNER_PASSWORD))
    with superuser(server) as conn:
        conn.execute("CREATE DATABASE app")
        conn.execute(f"CREATE ROLE {LOGIN} LOGIN PASSWORD '{OLD}'".encode())
        conn.execute(f"GRANT CONNECT ON DATABASE app TO {LOGIN}".encode())
    try:
        with running_pooler(server, "app") as pooler:
            yield pooler, owner
    finally:
        with superuser(server) as conn:
            conn.execute("DROP DATABASE IF EXISTS app WITH (FORCE)")
            conn.execute("DROP DATABASE IF EXISTS neondb WITH (FORCE)")
            for role in (LOGIN, "neondb_owner", "pgbouncer_auth"):
                conn.execute(f"DROP ROLE IF EXISTS {role}".encode())


def through(pooler: Pooler, password: str) -> psycopg.Connection:
    return psycopg.connect(
        host=pooler.host,
        port=pooler.port,
        dbname=pooler.database,
        user=LOGIN,
        password=password,
        autocommit=True,
        connect_timeout=5,
    )


def works(conn: psycopg.Connection) -> bool:
    try:
        return conn.execute("SELECT current_user").fetchone() == (LOGIN,)
    except psycopg.OperationalError:
        return False


def rotate(owner: db.OwnerLogin) -> None:
    """What the `up` of a rotation does to the login: envkeeper's new password, and every
    session opened before it ended (components/login_sessions.py)."""
    keep_only_new_sessions(owner, LOGIN, NEW, "app")


def test_a_pooled_session_outlives_the_rotation_and_the_end_of_its_backends(
    pooled: tuple[Pooler, db.OwnerLogin],
) -> None:
    pooler, owner = pooled
    attacker = through(pooler, OLD)
    assert works(attacker)

    rotate(owner)
    # The leaked password no longer logs in, through the pooler or not...
    with pytest.raises(psycopg.OperationalError):
        through(pooler, OLD)
    # ...the Workers log in with the new one...
    worker = through(pooler, NEW)
    assert works(worker)
    # ...and the attacker's client, authenticated before, is served by the pool the
    # Workers' log-in refilled: it keeps working. (Reproduced: the issue's suspicion.)
    assert works(attacker)
    worker.close()
    attacker.close()


def test_restarting_the_pooler_ends_the_pooled_session_and_the_leaked_password_stays_out(
    pooled: tuple[Pooler, db.OwnerLogin],
) -> None:
    pooler, owner = pooled
    attacker = through(pooler, OLD)
    rotate(owner)
    worker = through(pooler, NEW)
    assert works(worker) and works(attacker)  # as above: the hole

    pooler.restart()  # as Neon's endpoint restart does to its pooler

    assert not works(attacker) and not works(worker)  # every connection ended
    with pytest.raises(psycopg.OperationalError):
        through(pooler, OLD)
    again = through(pooler, NEW)  # the Workers reconnect with what was delivered
    assert works(again)
    again.close()
    attacker.close()

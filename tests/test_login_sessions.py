"""Ending a rotated login's old sessions, on a real PostgreSQL 15, as a Neon-like owner.

What PostgreSQL does by itself (a session outlives a password change and may re-key its
own login), then what the LoginSessions provider makes of it: afterwards the password is
envkeeper's, no older session is left, and a retired standby never logs in again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.login_sessions import (
    LoginSessionsError,
    LoginSessionsProvider,
    keep_only_new_sessions,
    retire,
)
from envkeeper.infra import database as db
from tests.pgserver import Server, neon_like_owner, required_bindir, running_server, superuser

pytestmark = pytest.mark.postgres

LOGIN = "app_runtime_b"
OLD = "CANARY-old-password-5e1d"  # the leaked one
NEW = "CANARY-new-password-5e1d"  # what envkeeper just set and delivered
ATTACKER = "CANARY-attacker-password-5e1d"
OWNER_PASSWORD = "CANARY-owner-password-5e1d"


@dataclass
class Database:
    server: Server
    owner_url: str

    @property
    def owner(self) -> db.OwnerLogin:
        return db.parse_owner_url(self.owner_url)

    def login(self, password: str, user: str = LOGIN) -> psycopg.Connection:
        return psycopg.connect(
            host=self.server.host,
            port=self.server.port,
            user=user,
            password=password,
            dbname="app",
            sslmode="require",
            autocommit=True,
            connect_timeout=5,
        )

    def sessions(self, user: str = LOGIN) -> int:
        with superuser(self.server) as conn:
            found = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = %s", (user,)
            ).fetchone()
        return found[0] if found else 0


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server(required_bindir(), tls=True) as found:
        yield found


@pytest.fixture
def database(server: Server) -> Iterator[Database]:
    url = neon_like_owner(server, "neondb_owner", OWNER_PASSWORD)
    with superuser(server) as conn:
        conn.execute("CREATE DATABASE app")
        conn.execute(f"CREATE ROLE {LOGIN} LOGIN PASSWORD '{OLD}'".encode())
        conn.execute(f"GRANT CONNECT ON DATABASE app TO {LOGIN}".encode())
    yield Database(server, url)
    with superuser(server) as conn:
        conn.execute("DROP DATABASE IF EXISTS app WITH (FORCE)")
        conn.execute("DROP DATABASE IF EXISTS neondb WITH (FORCE)")
        for role in (LOGIN, "neondb_owner"):
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s",
                (role,),
            )
            conn.execute(f"DROP ROLE IF EXISTS {role}".encode())


def refused(database: Database, password: str) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        database.login(password)


def gone(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.OperationalError):
        conn.execute("SELECT 1")


def test_postgresql_ends_no_session_and_lets_a_login_re_key_itself(database: Database) -> None:
    # Why the provider exists: the rotation alone leaves the leaked session in charge.
    leaked = database.login(OLD)
    with psycopg.connect(database.owner_url, autocommit=True) as owner:
        owner.execute(f"ALTER ROLE {LOGIN} PASSWORD '{NEW}'".encode())
    assert leaked.execute("SELECT 1").fetchone() == (1,)
    leaked.execute(f"ALTER ROLE {LOGIN} PASSWORD '{ATTACKER}'".encode())
    refused(database, NEW)  # the URL just delivered no longer works
    database.login(ATTACKER).close()
    leaked.close()


def test_after_it_the_password_is_envkeepers_and_no_old_session_is_left(
    database: Database,
) -> None:
    leaked = database.login(OLD)
    idle_in_transaction = database.login(OLD)
    idle_in_transaction.autocommit = False
    # The leaked session re-keyed the login and holds the role's row in an open
    # transaction (an uncommitted change of the password again).
    leaked.execute(f"ALTER ROLE {LOGIN} PASSWORD '{ATTACKER}'".encode())
    idle_in_transaction.execute(f"ALTER ROLE {LOGIN} PASSWORD 'CANARY-pending-5e1d'".encode())

    keep_only_new_sessions(database.owner, LOGIN, NEW, "app")

    gone(leaked)
    gone(idle_in_transaction)
    refused(database, OLD)
    refused(database, ATTACKER)
    with database.login(NEW) as conn:
        assert conn.execute("SELECT session_user").fetchone() == (LOGIN,)
    assert database.sessions() == 0


def test_a_session_re_keying_the_login_all_along_never_wins(database: Database) -> None:
    # An attacker's script: log in with whatever password it last set, set it again, and
    # again, as fast as it can, while envkeeper ends the old sessions.
    stop = threading.Event()

    def attack() -> None:
        while not stop.is_set():
            for password in (ATTACKER, OLD):
                try:
                    with database.login(password) as conn:
                        while not stop.is_set():
                            conn.execute(f"ALTER ROLE {LOGIN} PASSWORD '{ATTACKER}'".encode())
                except psycopg.Error:
                    continue

    attacker = threading.Thread(target=attack, daemon=True)
    attacker.start()
    try:
        outcome: Exception | None = None
        try:
            keep_only_new_sessions(database.owner, LOGIN, NEW, "app")
        except LoginSessionsError as exc:
            outcome = exc  # it says so, and says what to do; it never claims success
        if outcome is None:
            # Whatever the attacker does from now on, it has no way in.
            with database.login(NEW):
                pass
            refused(database, ATTACKER)
    finally:
        stop.set()
        attacker.join(timeout=10)
    if outcome is not None:
        assert "treat the login as compromised" in str(outcome)
        assert "CANARY" not in str(outcome)
    else:
        assert database.sessions() == 0


def test_a_retired_standby_never_logs_in_again_even_if_its_end_moved(database: Database) -> None:
    leaked = database.login(OLD)
    with superuser(database.server) as conn:
        conn.execute(f"ALTER ROLE {LOGIN} VALID UNTIL '2026-01-01 00:00:00+00'".encode())
    assert leaked.execute("SELECT 1").fetchone() == (1,)  # VALID UNTIL ends no session

    retire(database.owner, LOGIN)

    gone(leaked)
    assert database.sessions() == 0
    # Should its end ever move (a longer grace, a revert), its old password is gone.
    with superuser(database.server) as conn:
        conn.execute(f"ALTER ROLE {LOGIN} VALID UNTIL 'infinity'".encode())
    refused(database, OLD)


def props(**extra: Any) -> dict[str, Any]:
    return {
        "login": LOGIN,
        "rotated": "2026-12-01",
        "password": NEW,
        "retired": False,
        "database": "app",
        **extra,
    }


def configured(owner_url: str | None) -> LoginSessionsProvider:
    provider = LoginSessionsProvider()
    raw = {"envkeeper:neonOwnerUrl": owner_url} if owner_url else {}
    provider.configure(ConfigureRequest(Config(raw_config=raw, project_name="envkeeper")))
    return provider


def test_the_provider_acts_with_the_owner_url_from_config_or_its_input(
    database: Database,
) -> None:
    leaked = database.login(OLD)
    configured(database.owner_url).create(props())
    gone(leaked)
    database.login(NEW).close()
    # A created project's owner comes as a (secret) input instead.
    again = database.login(NEW)
    configured(None).update(LOGIN, props(), props(password=OLD, owner=database.owner_url))
    gone(again)
    database.login(OLD).close()


def test_an_owner_without_pg_signal_backend_is_named_and_nothing_secret_is(
    database: Database,
) -> None:
    with superuser(database.server) as conn:
        conn.execute("CREATE ROLE plain_owner LOGIN CREATEROLE PASSWORD 'CANARY-plain-5e1d'")
    plain = database.owner_url.replace(
        "neondb_owner:" + OWNER_PASSWORD, "plain_owner:CANARY-plain-5e1d"
    )
    leaked = database.login(OLD)
    try:
        with pytest.raises(LoginSessionsError) as refused_owner:
            configured(plain).update(LOGIN, props(), props())
        assert str(refused_owner.value) == (
            f"{LOGIN}: the project owner may not end other roles' sessions; it needs "
            "pg_signal_backend (Neon's owner has it through neon_superuser)"
        )
        wrong = database.owner_url.replace(OWNER_PASSWORD, "CANARY-wrong-5e1d")
        with pytest.raises(LoginSessionsError) as unreachable:
            configured(wrong).update(LOGIN, props(), props())
        for error in (refused_owner.value, unreachable.value):
            assert "CANARY" not in str(error) and database.server.host not in str(error)
    finally:
        leaked.close()
        with superuser(database.server) as conn:
            conn.execute("DROP ROLE plain_owner")


def test_what_triggers_it_again_is_a_new_password_or_the_retirement() -> None:
    provider = LoginSessionsProvider()
    assert not provider.diff(LOGIN, props(), props()).changes
    assert provider.diff(LOGIN, props(), props(password=OLD)).changes
    assert provider.diff(LOGIN, props(), props(rotated="2026-12-02")).changes
    assert provider.diff(LOGIN, props(), props(retired=True)).changes
    assert not provider.diff(LOGIN, props(), props(retired=True)).replaces


class StagedLogin:
    """A log-in over PostgreSQL's wire protocol (SCRAM-SHA-256), held halfway: the server
    reads the role's password when the log-in starts, so one begun before a rotation may
    finish after it with the old password, up to authentication_timeout later."""

    def __init__(self, server: Server, user: str, password: str) -> None:
        self.password = password
        self.sock = socket.create_connection((server.host, server.port), timeout=5)
        params = f"user\0{user}\0database\0app\0\0".encode()
        self.sock.sendall(struct.pack("!ii", 8 + len(params), 196608) + params)
        kind, body = self._read()
        assert kind == b"R" and struct.unpack("!i", body[:4])[0] == 10  # SASL, SCRAM-SHA-256
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.first_bare = f"n=,r={self.nonce}"
        first = f"n,,{self.first_bare}".encode()
        mechanism = b"SCRAM-SHA-256\0"
        payload = mechanism + struct.pack("!i", len(first)) + first
        self.sock.sendall(b"p" + struct.pack("!i", 4 + len(payload)) + payload)
        kind, body = self._read()
        assert kind == b"R" and struct.unpack("!i", body[:4])[0] == 11
        self.server_first = body[4:].decode()

    def _read(self) -> tuple[bytes, bytes]:
        head = self._exactly(5)
        return head[:1], self._exactly(struct.unpack("!i", head[1:])[0] - 4)

    def _exactly(self, count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            assert chunk, "the server closed the connection"
            data += chunk
        return data

    def finish(self) -> bool:
        """Complete the log-in; whether the server let it in."""
        fields = dict(item.split("=", 1) for item in self.server_first.split(","))
        salted = hashlib.pbkdf2_hmac(
            "sha256", self.password.encode(), base64.b64decode(fields["s"]), int(fields["i"])
        )
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        final_bare = f"c=biws,r={fields['r']}"
        message = f"{self.first_bare},{self.server_first},{final_bare}".encode()
        signature = hmac.digest(hashlib.sha256(client_key).digest(), message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
        final = f"{final_bare},p={base64.b64encode(proof).decode()}".encode()
        self.sock.sendall(b"p" + struct.pack("!i", 4 + len(final)) + final)
        while True:
            kind, _ = self._read()
            if kind == b"E":
                return False
            if kind == b"Z":  # ready for query: logged in
                return True

    def alive(self) -> bool:
        query = b"SELECT 1\0"
        try:
            self.sock.sendall(b"Q" + struct.pack("!i", 4 + len(query)) + query)
            while True:
                kind, _ = self._read()
                if kind == b"Z":
                    return True
                if kind == b"E":
                    return False
        except (OSError, AssertionError):
            return False


def test_a_log_in_begun_with_the_old_password_and_finished_after_is_ended_too(
    database: Database,
) -> None:
    staged = StagedLogin(database.server, LOGIN, OLD)  # the password was checked: OLD
    done = threading.Thread(
        target=keep_only_new_sessions, args=(database.owner, LOGIN, NEW, "app"), daemon=True
    )
    done.start()
    while True:  # until envkeeper's password has been committed
        try:
            database.login(NEW).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.01)
    assert staged.finish()  # PostgreSQL lets it in, with the old password, after the change
    done.join(timeout=30)
    assert not done.is_alive()
    assert not staged.alive()  # ended all the same
    assert database.sessions() == 0

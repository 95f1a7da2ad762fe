"""A real PgBouncer in front of the test PostgreSQL server, as Neon's pooled host is one:
transaction pooling, clients checked with SCRAM against the server's own verifiers through
`auth_query` (a SECURITY DEFINER function, as PgBouncer's documentation sets it up).

PgBouncer refuses to run as root, so when the tests do it runs as the `postgres` OS user,
like the server. `restart()` stops it and starts it again on the same port: every client
and server connection ends, as when Neon restarts a branch's compute endpoint (the pooler
runs beside the compute and goes down with it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.pgserver import Server, as_user, superuser

AUTH_USER = "pgbouncer_auth"
AUTH_PASSWORD = "CANARY-pooler-auth-5e1d"


def find_pgbouncer() -> str | None:
    return shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )


def prepare_auth_query(server: Server, database: str) -> None:
    """The lookup PgBouncer's auth_user runs in `database`: the verifier of a login, and
    nothing else of pg_shadow."""
    with superuser(server) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (AUTH_USER,)).fetchone():
            conn.execute(f"CREATE ROLE {AUTH_USER} LOGIN PASSWORD '{AUTH_PASSWORD}'".encode())
    with superuser(server, database) as conn:
        for statement in (
            "CREATE SCHEMA IF NOT EXISTS pgbouncer",
            "CREATE OR REPLACE FUNCTION pgbouncer.get_auth(p_usename text) "
            "RETURNS TABLE(username text, password text) LANGUAGE sql SECURITY DEFINER AS "
            "$$ SELECT usename::text, passwd::text FROM pg_catalog.pg_shadow "
            "WHERE usename = p_usename $$",
            "REVOKE ALL ON FUNCTION pgbouncer.get_auth(text) FROM PUBLIC",
            f"GRANT USAGE ON SCHEMA pgbouncer TO {AUTH_USER}",
            f"GRANT EXECUTE ON FUNCTION pgbouncer.get_auth(text) TO {AUTH_USER}",
            f"GRANT CONNECT ON DATABASE {database} TO {AUTH_USER}",
        ):
            conn.execute(statement.encode())


@dataclass
class Pooler:
    host: str
    port: int
    database: str  # the name clients ask the pooler for
    folder: Path
    run_as: list[str]
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [*self.run_as, _binary(), str(self.folder / "pgbouncer.ini")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"pgbouncer did not start: {self.log()[-2000:]}")

    def stop(self) -> None:
        pid_file = self.folder / "pgbouncer.pid"
        if pid_file.exists():  # the daemon's own pid: runuser stands between us and it
            with suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), 15)
        if self.process is not None:
            self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.folder / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _binary() -> str:
    found = find_pgbouncer()
    assert found is not None, "pgbouncer is not installed (apt-get install pgbouncer)"
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_pooler(server: Server, database: str) -> Iterator[Pooler]:
    prepare_auth_query(server, database)
    folder = Path(tempfile.mkdtemp(prefix="envkeeper-pgbouncer-"))
    port = _free_port()
    (folder / "userlist.txt").write_text(f'"{AUTH_USER}" "{AUTH_PASSWORD}"\n')
    (folder / "pgbouncer.ini").write_text(
        "\n".join(
            [
                "[databases]",
                f"{database} = host={server.host} port={server.port} dbname={database}",
                "",
                "[pgbouncer]",
                f"listen_addr = {server.host}",
                f"listen_port = {port}",
                "unix_socket_dir =",
                "pool_mode = transaction",
                "auth_type = scram-sha-256",
                f"auth_file = {folder / 'userlist.txt'}",
                f"auth_user = {AUTH_USER}",
                "auth_query = SELECT username, password FROM pgbouncer.get_auth($1)",
                "server_tls_sslmode = require",
                f"logfile = {folder / 'pgbouncer.log'}",
                f"pidfile = {folder / 'pgbouncer.pid'}",
                "",
            ]
        )
    )
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (folder, *folder.iterdir()):
            os.chown(path, user.pw_uid, user.pw_gid)
    pooler = Pooler(server.host, port, database, folder, as_user("postgres"))
    pooler.start()
    try:
        yield pooler
    finally:
        pooler.stop()
        shutil.rmtree(folder, ignore_errors=True)

"""A throwaway PostgreSQL server for the real-database tests.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` OS user (runuser), in a temporary directory, on a free loopback port.
Logins over TCP use scram-sha-256, so a wrong password is really refused; with `tls`, the
server also speaks TLS on a throwaway certificate.

The server runs on the suite's pinned day (libfaketime, Debian's `faketime` package): it
judges a login's VALID UNTIL by its own clock, and the program wrote that date from the
same "today" as the test.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg


def find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def find_faketime() -> Path | None:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    return Path(found[0]) if found else None


def required_bindir() -> Path:
    """The server binaries, for a test that needs them: skipped without them, except in CI,
    which installs them (.ci/run) and must run every test."""
    import pytest

    bindir = find_bindir()
    if bindir is None or find_faketime() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL or libfaketime is missing; .ci/run installs them")
        pytest.skip(
            "PostgreSQL server binaries or libfaketime are not installed "
            "(apt-get install postgresql faketime)"
        )
    return bindir


def on_the_pinned_day() -> list[str]:
    """`env` arguments that start a program on the suite's day, ticking from where the
    suite's clock starts."""
    from tests.conftest import PINNED_AT

    library = find_faketime()
    assert library is not None, "libfaketime is not installed (apt-get install faketime)"
    return ["env", f"LD_PRELOAD={library}", f"FAKETIME=@{PINNED_AT:%Y-%m-%d %H:%M:%S}"]


# Under an outer `faketime` (CI's far-date pass) every process inherits its LD_PRELOAD and
# FAKETIME_SHARED, the wrapper's semaphore, which root made: a process of the `postgres`
# user that loads libfaketime with it fails ("sem_open failed ... Permission denied") before
# it starts, runuser's next command included. So the outer clock is dropped first, as
# root, and a server's tools get their own absolute day (on_the_pinned_day).
WITHOUT_OUTER_FAKETIME = ["env", "-u", "FAKETIME_SHARED", "-u", "LD_PRELOAD", "-u", "FAKETIME"]


def as_user(user: str) -> list[str]:
    """The command prefix that runs a program as `user` (when the tests run as root)."""
    if os.geteuid() != 0:
        return [*WITHOUT_OUTER_FAKETIME]
    return [*WITHOUT_OUTER_FAKETIME, "runuser", "-u", user, "--"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    socket_dir: str  # the superuser connects here, trusted, over a Unix socket


def _self_signed(folder: Path, pg: Callable[..., None]) -> list[str]:
    """A throwaway certificate, so clients that insist on TLS (sslmode=require, as every
    URL envkeeper hands out does) can connect. Made as the server's user: PostgreSQL
    refuses a key file anyone else can read."""
    cert, key = folder / "server.crt", folder / "server.key"
    pg(
        "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
    )  # fmt: skip
    key.chmod(0o600)
    return ["-c ssl=on", f"-c ssl_cert_file={cert}", f"-c ssl_key_file={key}"]


@contextmanager
def running_server(
    bindir: Path, tls: bool = False, address: str = "127.0.0.1", port: int | None = None
) -> Iterator[Server]:
    """A PostgreSQL 15 server of its own, on `address` (any of 127.0.0.0/8) and `port`
    (a free one by default; Neon's 5432 where a host name must reach it without a port)."""
    base = Path(tempfile.mkdtemp(prefix="envkeeper-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    as_postgres = [*as_user("postgres"), *on_the_pinned_day()]
    data, log = base / "data", base / "server.log"
    port = port or _free_port()

    def pg(*args: str) -> None:
        done = subprocess.run([*as_postgres, *args], capture_output=True, text=True)
        if done.returncode != 0:  # what the server's own tools said, for whoever reads CI
            raise RuntimeError(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")

    try:
        pg(
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-p {port} -k {base} -c listen_addresses={address} -c fsync=off",
                # Ending a rotated login's sessions waits out log-ins already under way:
                # as long as this (a minute by default).
                "-c authentication_timeout=1s",
                *(_self_signed(base, pg) if tls else []),
            ]
        )
        pg(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")
        yield Server(host=address, port=port, socket_dir=str(base))
    finally:
        subprocess.run(
            [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(base, ignore_errors=True)


def superuser(server: Server, dbname: str = "postgres") -> psycopg.Connection:
    """The server's superuser, over its Unix socket (trusted): for setting up and looking."""
    return psycopg.connect(
        host=server.socket_dir, port=server.port, user="postgres", dbname=dbname, autocommit=True
    )


# The roles Neon gives a project's owner (compute_ctl makes neon_superuser with these
# attributes and roles; Neon's migrations grant it pg_monitor and pg_signal_backend with
# admin option). Attributes are not inherited: the owner has its own CREATEDB CREATEROLE.
NEON_SUPERUSER = (
    "CREATE ROLE neon_superuser CREATEDB CREATEROLE NOLOGIN REPLICATION BYPASSRLS "
    "IN ROLE pg_read_all_data, pg_write_all_data",
    "GRANT pg_monitor TO neon_superuser WITH ADMIN OPTION",
    "GRANT pg_signal_backend TO neon_superuser WITH ADMIN OPTION",
)


def neon_like_owner(server: Server, owner: str, password: str, database: str = "neondb") -> str:
    """A project owner as Neon makes one (a member of neon_superuser, no superuser) with
    its own database; its connection URL, over TLS."""
    with superuser(server) as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'neon_superuser'").fetchone():
            for statement in NEON_SUPERUSER:
                conn.execute(statement.encode())
        conn.execute(
            f"CREATE ROLE {owner} LOGIN CREATEDB CREATEROLE IN ROLE neon_superuser "
            f"PASSWORD '{password}'".encode()
        )
        conn.execute(f"CREATE DATABASE {database} OWNER {owner}".encode())
    return f"postgresql://{owner}:{password}@{server.host}:{server.port}/{database}?sslmode=require"

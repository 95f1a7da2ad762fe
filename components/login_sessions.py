"""Ending the sessions a rotated database login still holds.

PostgreSQL never ends an open session when a password changes or VALID UNTIL passes, and
any login may change its own password from a session it holds: a session opened with a
leaked URL would outlive `emergency` and `up`, and could re-key the login to a password of
its own so that the URL just delivered to the Workers stops working.

So every login has a `LoginSessions` resource that runs after its new URL has been
delivered (the Environment makes it depend on the Worker secrets and GitHub), and again
whenever the login's password changes or its standby slot is retired:

- a login in use: set envkeeper's password again and end every session of the login, in
  one transaction (the password change locks the role's row, so no session re-keys it
  meanwhile). A log-in checks the password when it starts and may finish up to the
  server's authentication_timeout later, so wait that long, then end every session that
  started before the commit; then log in with envkeeper's password. If that fails, a
  session changed the password in between: repeat. Once the log-in works, no session that
  started before the password is left, and nobody changed the password since, so every
  session there is was opened with envkeeper's. Sessions the Workers opened with the new
  URL after the commit are left alone.
- a retired standby (past its grace, VALID UNTIL passed): remove its password and end all
  its sessions. Nobody can log in as it again, even if its end were ever moved later.

It acts as the project's owner (on Neon a member of neon_superuser, which holds
pg_signal_backend): from the adopted project's `envkeeper:neonOwnerUrl`, read when the
provider runs and never kept, or from a created project's owner outputs, a secret input.
No message ever holds a password or the URL. Passwords are sent as SCRAM verifiers made
here, so not even the server's statement log sees one.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.admin_key import AdminKeyProvider
from envkeeper.infra import database as db
from envkeeper.infra import resource_types
from envkeeper.stack.catalog import NEON_OWNER_URL

if TYPE_CHECKING:
    import psycopg

TYPE = resource_types.LOGIN_SESSIONS
# What makes the provider act again: a new password, or the standby's retirement.
TRIGGERS = ("password", "rotated", "retired")
PROPERTIES = ("login", "database", *TRIGGERS)
ATTEMPTS = 5
WAIT_MS = 5000  # how long pg_terminate_backend waits for a session to end


class LoginSessionsError(Exception):
    """One line for the user: which login, what failed, what to do. Never a secret."""


_RUNTIME: dict[str, str | None] = {}


class LoginSessionsProvider(AdminKeyProvider):
    config_key = NEON_OWNER_URL.key
    env_var = "ENVKEEPER_NEON_OWNER_URL"
    runtime = _RUNTIME

    def _owner(self, props: dict[str, Any]) -> db.OwnerLogin:
        url = props.get("owner") or self.admin_key()
        if not url:
            raise LoginSessionsError(
                f"{props['login']}: no owner connection to end its old sessions with; set "
                f"`pulumi config set --secret {NEON_OWNER_URL.key}` (an adopted project)"
            )
        try:
            return db.parse_owner_url(str(url))
        except ValueError as exc:
            raise LoginSessionsError(f"{NEON_OWNER_URL.key}: {exc}") from None

    def _act(self, props: dict[str, Any]) -> None:
        owner = self._owner(props)
        login = str(props["login"])
        try:
            if props.get("retired"):
                retire(owner, login)
            else:
                keep_only_new_sessions(owner, login, str(props["password"]), str(props["database"]))
        except LoginSessionsError:
            raise
        except Exception as exc:
            raise _explain(exc, login) from None

    def create(self, props: dict[str, Any]) -> CreateResult:
        # Also on the first deploy of a login that already exists: the password this `up`
        # set is the only one any session holds afterwards.
        self._act(props)
        return CreateResult(id_=str(props["login"]), outs=_kept(props))

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        self._act(_news)
        return UpdateResult(outs=_kept(_news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Nothing to undo: the login itself belongs to its Role, which drops it.
        return None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=_kept(props))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        changed = [k for k in PROPERTIES if _olds.get(k) != _news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], stables=["login"])


def _kept(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in (*PROPERTIES, "owner") if k in props}


def _explain(exc: Exception, login: str) -> LoginSessionsError:
    """A PostgreSQL failure in words, never its text (a connection error names the host)."""
    import psycopg
    from psycopg import errors

    if isinstance(exc, errors.InsufficientPrivilege):
        return LoginSessionsError(
            f"{login}: the project owner may not end other roles' sessions; it needs "
            "pg_signal_backend (Neon's owner has it through neon_superuser)"
        )
    if isinstance(exc, psycopg.OperationalError):
        return LoginSessionsError(
            f"{login}: could not reach the database as the project owner to end the login's "
            f"old sessions; check {NEON_OWNER_URL.key} (or the project) and run pulumi up again"
        )
    return LoginSessionsError(
        f"{login}: ending the login's old sessions failed ({type(exc).__name__}); run pulumi "
        "up again"
    )


def _connect(owner: db.OwnerLogin) -> psycopg.Connection:
    import psycopg

    return psycopg.connect(
        host=owner.host,
        port=owner.port,
        user=owner.user,
        password=owner.password,
        dbname=owner.database,
        sslmode="require",
        connect_timeout=10,
        autocommit=True,
        application_name="envkeeper login sessions",
        # Never wait long for the role's row: a session holding it is ended, then retried.
        options="-c lock_timeout=5s",
    )


def _alter_password(conn: psycopg.Connection, login: str, password: str | None) -> None:
    from psycopg import sql

    if password is None:
        verifier = sql.SQL("NULL")
    else:
        # A SCRAM verifier, made here: the password itself never reaches the server's log.
        made = conn.pgconn.encrypt_password(password.encode(), login.encode(), b"scram-sha-256")
        verifier = sql.Literal(made.decode())
    conn.execute(sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(sql.Identifier(login), verifier))


def _sessions(
    conn: psycopg.Connection, login: str, started_by: datetime | None = None
) -> list[int]:
    """The pids of the login's sessions now (a fresh look, not the transaction's snapshot):
    all of them, or those that started by `started_by`. A start the owner may not see (it
    needs pg_monitor, which Neon's owner has) counts as early."""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    rows = conn.execute(
        "SELECT pid FROM pg_stat_activity WHERE usename = %s AND pid <> pg_backend_pid() "
        "AND (%s::timestamptz IS NULL OR backend_start IS NULL OR backend_start <= %s)",
        (login, started_by, started_by),
    ).fetchall()
    return [pid for (pid,) in rows]


def _now(conn: psycopg.Connection) -> datetime:
    found = conn.execute("SELECT clock_timestamp()").fetchone()
    assert found is not None
    return found[0]


def _wait_out_log_ins(conn: psycopg.Connection) -> None:
    """Until every log-in that checked a password before now has finished or failed: a
    log-in reads the role's password when it starts, and may take the server's
    authentication_timeout to finish."""
    found = conn.execute(
        "SELECT setting::int FROM pg_settings WHERE name = 'authentication_timeout'"
    ).fetchone()
    time.sleep((found[0] if found else 60) + 0.5)


def _end(conn: psycopg.Connection, pids: Sequence[int]) -> None:
    """End these sessions and wait until each is gone."""
    for pid in pids:
        conn.execute("SELECT pg_terminate_backend(%s, %s)", (pid, WAIT_MS))
    deadline = time.monotonic() + WAIT_MS / 1000
    while pids and time.monotonic() < deadline:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        alive = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),)
        ).fetchone()
        if alive == (0,):
            return
        time.sleep(0.05)
    if pids:
        raise LoginSessionsError("a session did not end when asked; run pulumi up again")


def _set_and_end_all(conn: psycopg.Connection, login: str, password: str | None) -> None:
    """In one transaction: the password, and every session of the login ended. Until the
    commit, another session's change of the role waits for this one, then fails."""
    with conn.transaction():
        _alter_password(conn, login, password)
        _end(conn, _sessions(conn, login))


def _logs_in(owner: db.OwnerLogin, login: str, password: str, database: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(
            host=owner.host,
            port=owner.port,
            user=login,
            password=password,
            dbname=database,
            sslmode="require",
            connect_timeout=10,
        ):
            return True
    except psycopg.OperationalError:
        return False


def keep_only_new_sessions(owner: db.OwnerLogin, login: str, password: str, database: str) -> None:
    """Afterwards the login's password is `password` and every session of it was opened
    with that password."""
    from psycopg import errors

    for _ in range(ATTEMPTS):
        with _connect(owner) as conn:
            # First, whoever holds the role's row in an open transaction (an uncommitted
            # password change would make ours wait for ever).
            _end(conn, _sessions(conn, login))
            try:
                _set_and_end_all(conn, login, password)
            except (errors.LockNotAvailable, errors.InternalError_):
                # Another session changed the role at the same moment ("tuple concurrently
                # updated"), or holds it: once more.
                continue
            changed = _now(conn)
            # Log-ins begun before the commit checked the password from before it.
            _wait_out_log_ins(conn)
            _end(conn, _sessions(conn, login, started_by=changed))
        if _logs_in(owner, login, password, database):
            return
        # A session changed the password before it ended: again, and end that one too.
    raise LoginSessionsError(
        f"{login}: a session kept changing the login's password while envkeeper ended the "
        "old sessions; treat the login as compromised, look at pg_stat_activity and run "
        "pulumi up again"
    )


def retire(owner: db.OwnerLogin, login: str) -> None:
    """No password and no session: the standby past its end never logs in again."""
    with _connect(owner) as conn:
        _end(conn, _sessions(conn, login))
        _set_and_end_all(conn, login, None)
        # Its VALID UNTIL has passed: a log-in can only be one begun before, still finishing.
        _wait_out_log_ins(conn)
        _end(conn, _sessions(conn, login))
        _alter_password(conn, login, None)  # whatever such a session set on its way out
        if _sessions(conn, login):
            raise LoginSessionsError(
                f"{login}: a session of the retired login is still open; run pulumi up again"
            )


@dataclass(frozen=True)
class LoginSessionsArgs:
    login: str
    rotated: date  # the login's keeper date
    password: pulumi.Input[str]  # envkeeper's password for it (a secret)
    retired: pulumi.Input[bool]  # a standby past its end
    database: pulumi.Input[str]  # the app's database, where the login logs in
    owner: pulumi.Input[str] | None = None  # a created project's owner URL (a secret)


class LoginSessions(Resource, module="envkeeper", name="LoginSessions"):
    """After delivery: the login's password is envkeeper's and no older session is left."""

    def __init__(
        self,
        resource_name: str,
        args: LoginSessionsArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "login": args.login,
            "rotated": args.rotated.isoformat(),
            "password": pulumi.Output.secret(args.password),
            "retired": args.retired,
            "database": args.database,
        }
        if args.owner is not None:
            props["owner"] = pulumi.Output.secret(args.owner)
        secret = pulumi.ResourceOptions(additional_secret_outputs=["password", "owner"])
        super().__init__(
            LoginSessionsProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret),
        )


class OldSessionsEnded(pulumi.ComponentResource):
    """One LoginSessions per database login, each after everything in `after` (the
    delivery of the new URLs) is done."""

    def __init__(
        self,
        name: str,
        logins: Sequence[LoginSessionsArgs],
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(resource_types.OLD_SESSIONS_ENDED, name, None, opts)
        for args in logins:
            LoginSessions(
                db.sessions_resource(args.login),
                args,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
            )
        self.register_outputs({})

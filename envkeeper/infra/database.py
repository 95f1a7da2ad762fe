"""The database's least-privilege model, as data: roles, grants, and connection URLs.

The Neon component turns this into pulumi-postgresql resources; the access review reads it.
Roles are SQL roles, not Neon-API roles: every Neon-API role is a member of
`neon_superuser`, which would break least privilege.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, unquote, urlsplit

SCHEMA = "app"
# Owns the schema and everything the migrations create. No login: the migrator works as it,
# so the migrator owns nothing and can be dropped, while the data and its owner stay.
OWNER = "app_owner"
MIGRATOR = "app_migrator"
RUNTIME = "app_runtime"  # a group role: no login, holds the runtime's privileges
READONLY = "app_readonly"
PUBLIC = "public"

TABLE_DML = ("SELECT", "INSERT", "UPDATE", "DELETE")
SEQUENCE_USE = ("USAGE", "SELECT")


def runtime_login(slot: str) -> str:
    return f"{RUNTIME}_{slot}"


# pulumi-postgresql's value for a login that never expires.
NEVER = "infinity"


def valid_until(expires: date | None) -> str:
    """A login's VALID UNTIL, as the provider reads it back from PostgreSQL (UTC)."""
    return NEVER if expires is None else f"{expires.isoformat()} 00:00:00+00"


# The Pulumi name of the application database: fixed, so that no setting moves the data.
# Stacks deployed before it was fixed knew it by `envkeeper:neon.database`'s value (an alias).
DATABASE_RESOURCE = "database"
DATABASE_KEY = "envkeeper:neon.database"


def rename_refused(deployed: str, wanted: str) -> str | None:
    """Why a changed database name is refused, or None. Renaming in place would move the
    data from under the schema and grants the stack made in the old one (the provider
    replaces those, and cannot revoke in a database that is gone) while the Workers still
    hold URLs to the old name; a new name would make a new, empty database."""
    if deployed == wanted:
        return None
    return (
        f"{DATABASE_KEY} names {wanted}, but this stack's database is {deployed}, and a "
        f"database keeps its name (the data, the grants and every delivered URL are there): "
        f'set {DATABASE_KEY} back to {deployed} (docs/database.md: "The database keeps its name")'
    )


# A created project's owner password (components/neon_owner.py), and the PostgreSQL
# provider that logs in with it: a new password updates the provider's configuration.
OWNER_PASSWORD_RESOURCE = "owner-password"  # noqa: S105 (a resource name)
SQL_PROVIDER = "sql"
# What restarts a created project's compute endpoint when envkeeper:neon.restartEndpoint moves.
ENDPOINT_RESTART_RESOURCE = "endpoint-restart"


def password_resource(login: str) -> str:
    """The Pulumi name of a login's RandomPassword (the role's own resource is `login`)."""
    return f"{login}-password"


def sessions_resource(login: str) -> str:
    """The Pulumi name of what ends a login's old sessions after a rotation."""
    return f"{login}-sessions"


@dataclass(frozen=True)
class RoleSpec:
    name: str
    login: bool
    purpose: str
    member_of: tuple[str, ...] = ()
    # The catalog secret whose keeper date rotates this login's password, and its slot.
    rotated_by: str | None = None
    slot: str | None = None
    # The role every session of this login works as (ALTER ROLE ... SET role).
    assumes: str | None = None
    # Kept in PostgreSQL when the stack lets go of it (`pulumi destroy`): it owns the data.
    kept: bool = False


ROLES: tuple[RoleSpec, ...] = (
    RoleSpec(
        OWNER,
        login=False,
        purpose=f"owns schema {SCHEMA} and what the migrations create (no login; kept when "
        "the stack is destroyed)",
        kept=True,
    ),
    RoleSpec(
        MIGRATOR,
        login=True,
        purpose=f"CI migrations: works as {OWNER}, owns nothing itself",
        member_of=(OWNER,),
        rotated_by="MIGRATION_DATABASE_URL",
        assumes=OWNER,
    ),
    RoleSpec(RUNTIME, login=False, purpose="the running app's privileges (group, no login)"),
    RoleSpec(
        runtime_login("a"),
        login=True,
        purpose="runtime login, slot a",
        member_of=(RUNTIME,),
        rotated_by="DATABASE_URL",
        slot="a",
    ),
    RoleSpec(
        runtime_login("b"),
        login=True,
        purpose="runtime login, slot b",
        member_of=(RUNTIME,),
        rotated_by="DATABASE_URL",
        slot="b",
    ),
    RoleSpec(
        READONLY,
        login=True,
        purpose="read-only queries",
        rotated_by="DATABASE_URL_READONLY",
    ),
)


# Where a grant on a database applies: the app's database, or the maintenance database
# the owner's URL names (Neon: `neondb`), which the app's roles never need.
APP_DATABASE = "app-database"
MAINTENANCE_DATABASE = "maintenance"


@dataclass(frozen=True)
class GrantSpec:
    role: str
    object_type: str  # database, schema, table, sequence, function
    privileges: tuple[str, ...]
    # A schema, or None: the database itself, or (default privileges) every schema.
    schema: str | None = None
    database: str = APP_DATABASE

    @property
    def key(self) -> str:
        if self.database == MAINTENANCE_DATABASE:
            where = MAINTENANCE_DATABASE
        else:
            where = self.schema or ("db" if self.object_type == "database" else "all-schemas")
        return f"{self.role}-{self.object_type}-{where}"


# Privileges on what exists now. An empty tuple revokes everything the role had there.
GRANTS: tuple[GrantSpec, ...] = (
    # Only the app's roles may connect; PUBLIC keeps nothing on the database.
    GrantSpec(PUBLIC, "database", ()),
    # Nor on the maintenance database, which the owner owns (CONNECT and TEMP are PUBLIC's
    # by default): no login connects there or makes temporary tables.
    GrantSpec(PUBLIC, "database", (), database=MAINTENANCE_DATABASE),
    GrantSpec(MIGRATOR, "database", ("CONNECT",)),
    GrantSpec(RUNTIME, "database", ("CONNECT",)),
    GrantSpec(READONLY, "database", ("CONNECT",)),
    # Nobody creates objects in `public` (PostgreSQL < 15 let everyone).
    GrantSpec(PUBLIC, "schema", ("USAGE",), schema=PUBLIC),
    GrantSpec(RUNTIME, "schema", ("USAGE",), schema=SCHEMA),
    GrantSpec(RUNTIME, "table", TABLE_DML, schema=SCHEMA),
    GrantSpec(RUNTIME, "sequence", SEQUENCE_USE, schema=SCHEMA),
    # Functions the migrations made keep PostgreSQL's EXECUTE for PUBLIC unless revoked; a
    # SECURITY DEFINER one would let the read-only login write. The app's runtime calls them.
    GrantSpec(PUBLIC, "function", (), schema=SCHEMA),
    GrantSpec(RUNTIME, "function", ("EXECUTE",), schema=SCHEMA),
    GrantSpec(READONLY, "schema", ("USAGE",), schema=SCHEMA),
    GrantSpec(READONLY, "table", ("SELECT",), schema=SCHEMA),
)

# Privileges on what the migrations create later (ALTER DEFAULT PRIVILEGES FOR ROLE owner).
DEFAULT_GRANTS: tuple[GrantSpec, ...] = (
    GrantSpec(RUNTIME, "table", TABLE_DML, schema=SCHEMA),
    GrantSpec(RUNTIME, "sequence", SEQUENCE_USE, schema=SCHEMA),
    # PUBLIC's EXECUTE on new functions is a default of every schema: a default revoked in
    # one schema only adds to it, so this one has no schema (PostgreSQL's rule).
    GrantSpec(PUBLIC, "function", ()),
    GrantSpec(RUNTIME, "function", ("EXECUTE",), schema=SCHEMA),
    GrantSpec(READONLY, "table", ("SELECT",), schema=SCHEMA),
)

# Which login each catalog URL carries, and on which host.
URL_LOGINS: dict[str, tuple[str, bool]] = {
    # name: (login, pooled host?)
    "DATABASE_URL_READONLY": (READONLY, True),
    "MIGRATION_DATABASE_URL": (MIGRATOR, False),
}

# The URLs on Neon's pooled host (PgBouncer): DATABASE_URL (the runtime login's active
# slot) and those URL_LOGINS marks pooled.
POOLED_URLS = ("DATABASE_URL", *(name for name, (_, pooled) in URL_LOGINS.items() if pooled))

PASSWORD_LENGTH = 40
# Unreserved in URLs (RFC 3986), so a password never needs escaping in a connection URL.
PASSWORD_SPECIALS = "-_.~"  # noqa: S105 (a character set, not a password)


DEFAULT_PORT = 5432


def connection_url(
    user: str, password: str, host: str, database: str, port: int = DEFAULT_PORT
) -> str:
    """A libpq URL that requires TLS. Every part is percent-encoded."""
    where = host if port == DEFAULT_PORT else f"{host}:{port}"
    return (
        f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@{where}"
        f"/{quote(database, safe='')}?sslmode=require"
    )


def direct_host(host: str) -> str:
    """Neon's direct endpoint: the host without `-pooler` after the endpoint id. DDL and
    migrations must not go through PgBouncer."""
    endpoint, dot, rest = host.partition(".")
    return endpoint.removesuffix("-pooler") + dot + rest


def pooled_host(direct_host: str) -> str:
    """Neon's pooled endpoint: `-pooler` after the endpoint id (the host's first label)."""
    endpoint, _, rest = direct_host.partition(".")
    if endpoint.endswith("-pooler"):
        return direct_host
    return f"{endpoint}-pooler.{rest}" if rest else f"{endpoint}-pooler"


@dataclass(frozen=True)
class OwnerLogin:
    """The Neon project owner's login, parsed from its connection URL."""

    user: str
    password: str
    host: str
    port: int
    database: str

    def __repr__(self) -> str:  # never show the password, even in a debugger or a log
        return f"OwnerLogin(user={self.user!r}, host={self.host!r}, database={self.database!r})"


def parse_owner_url(url: str) -> OwnerLogin:
    """Raises ValueError with a message that never repeats any part of the URL: it holds
    a password, and a malformed URL may have it anywhere (urllib's own messages quote the
    text after the host's colon, which for `user:pass@host` typos is the password)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(
            "the owner URL is not one envkeeper can read (a port that is not a number from 1 "
            "to 65535, or a malformed host); copy it again from the Neon console"
        ) from None
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError("the owner URL must start with postgresql://")
    if not (parts.username and parts.password and parts.hostname):
        raise ValueError("the owner URL must carry a user, a password and a host")
    if port == 0:
        raise ValueError("the owner URL's port must be a number from 1 to 65535")
    database = parts.path.lstrip("/") or "neondb"
    return OwnerLogin(
        user=unquote(parts.username),
        password=unquote(parts.password),
        # An owner URL copied from the console is often the pooled one.
        host=direct_host(parts.hostname),
        port=port or DEFAULT_PORT,
        database=unquote(database),
    )

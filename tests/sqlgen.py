"""The SQL that pulumi-postgresql runs for the resources the program registers.

The real-database tests apply exactly what the program declares: each registration of a
`postgresql:` resource becomes the statements the provider issues for it (the provider
revokes what a role had on an object before granting the declared privileges, so an empty
list revokes everything). Anything it does not know fails the test instead of being skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from envkeeper.offline.program import ProgramRun, Registration, unwrap_all

# The order the provider's dependency graph creates them in.
ORDER = [
    "postgresql:index/role:Role",
    "postgresql:index/database:Database",
    "postgresql:index/schema:Schema",
    "postgresql:index/grant:Grant",
    "postgresql:index/defaultPrivileges:DefaultPrivileges",
]


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def grantee(role: str) -> str:
    return "PUBLIC" if role == "public" else ident(role)


@dataclass(frozen=True)
class Statement:
    database: str | None  # None: the maintenance database
    sql: str


def _role(inputs: dict) -> list[Statement]:
    flags = [
        "SUPERUSER" if inputs.get("superuser") else "NOSUPERUSER",
        "CREATEDB" if inputs.get("createDatabase") else "NOCREATEDB",
        "CREATEROLE" if inputs.get("createRole") else "NOCREATEROLE",
        "INHERIT" if inputs.get("inherit", True) else "NOINHERIT",
        "LOGIN" if inputs.get("login") else "NOLOGIN",
        "REPLICATION" if inputs.get("replication") else "NOREPLICATION",
        "BYPASSRLS" if inputs.get("bypassRowLevelSecurity") else "NOBYPASSRLS",
    ]
    if inputs.get("password"):
        flags.append(f"PASSWORD {literal(inputs['password'])}")
    if inputs.get("validUntil"):
        flags.append(f"VALID UNTIL {literal(inputs['validUntil'])}")
    out = [Statement(None, f"CREATE ROLE {ident(inputs['name'])} WITH {' '.join(flags)}")]
    out += [
        Statement(None, f"GRANT {ident(group)} TO {ident(inputs['name'])}")
        for group in inputs.get("roles", [])
    ]
    if inputs.get("assumeRole"):
        name, role = ident(inputs["name"]), ident(inputs["assumeRole"])
        out.append(Statement(None, f"ALTER ROLE {name} SET role = {role}"))
    return out


def _object_clause(inputs: dict) -> str:
    kind, schema = inputs["objectType"], str(inputs.get("schema"))
    if kind == "database":
        return f"DATABASE {ident(inputs['database'])}"
    if kind == "schema":
        return f"SCHEMA {ident(schema)}"
    if kind in ("table", "sequence", "function"):
        return f"ALL {kind.upper()}S IN SCHEMA {ident(schema)}"
    raise AssertionError(f"grant on {kind!r} is not translated")


def _revoke_then_grant(inputs: dict, revoke: str, grant: str) -> list[Statement]:
    """What the provider runs for a grant: revoke everything, then grant what is listed.
    `grant` has a {privileges} slot; with no privileges only the revoke runs."""
    out = [Statement(inputs["database"], revoke)]
    if inputs["privileges"]:
        privileges = ", ".join(inputs["privileges"])
        out.append(Statement(inputs["database"], grant.replace("{privileges}", privileges)))
    return out


def _grant(inputs: dict) -> list[Statement]:
    where, who = _object_clause(inputs), grantee(inputs["role"])
    return _revoke_then_grant(
        inputs,
        f"REVOKE ALL PRIVILEGES ON {where} FROM {who}",
        f"GRANT {{privileges}} ON {where} TO {who}",
    )


def _default_privileges(inputs: dict) -> list[Statement]:
    # Without a schema, the owner's defaults for every schema.
    schema = f" IN SCHEMA {ident(inputs['schema'])}" if inputs.get("schema") else ""
    prefix = f"ALTER DEFAULT PRIVILEGES FOR ROLE {ident(inputs['owner'])}{schema}"
    kind, who = inputs["objectType"].upper() + "S", grantee(inputs["role"])
    return _revoke_then_grant(
        inputs,
        f"{prefix} REVOKE ALL ON {kind} FROM {who}",
        f"{prefix} GRANT {{privileges}} ON {kind} TO {who}",
    )


def create_sql(reg: Registration) -> list[Statement]:
    inputs = unwrap_all(reg.inputs)
    if reg.type == "postgresql:index/role:Role":
        return _role(inputs)
    if reg.type == "postgresql:index/database:Database":
        return [Statement(None, f"CREATE DATABASE {ident(inputs['name'])}")]
    if reg.type == "postgresql:index/schema:Schema":
        owner = f" AUTHORIZATION {ident(inputs['owner'])}" if inputs.get("owner") else ""
        return [Statement(inputs["database"], f"CREATE SCHEMA {ident(inputs['name'])}{owner}")]
    if reg.type == "postgresql:index/grant:Grant":
        return _grant(inputs)
    if reg.type == "postgresql:index/defaultPrivileges:DefaultPrivileges":
        return _default_privileges(inputs)
    raise AssertionError(f"{reg.type} is not translated to SQL: add it to tests/sqlgen.py")


def program_sql(run: ProgramRun) -> list[Statement]:
    """Every statement the provider would run to create the program's database objects."""
    sql_resources = [r for r in run.registrations if r.type.startswith("postgresql:")]
    unknown = {r.type for r in sql_resources} - set(ORDER)
    assert not unknown, f"not translated to SQL: {sorted(unknown)}"
    ordered = sorted(sql_resources, key=lambda r: (ORDER.index(r.type), r.name))
    # Group roles (no members of their own) before the logins that join them.
    ordered.sort(key=lambda r: bool(unwrap_all(r.inputs).get("roles")))
    ordered.sort(key=lambda r: ORDER.index(r.type))
    return [statement for reg in ordered for statement in create_sql(reg)]


def update_sql(before: ProgramRun, after: ProgramRun) -> list[Statement]:
    """What `pulumi up` runs between two runs: only a role's password and expiry may change."""
    old = {r.urn: unwrap_all(r.inputs) for r in before.registrations}
    out: list[Statement] = []
    for reg in after.registrations:
        new = unwrap_all(reg.inputs)
        if not reg.type.startswith("postgresql:") or old[reg.urn] == new:
            continue
        changed = {k for k in new if new[k] != old[reg.urn].get(k)}
        assert reg.type == "postgresql:index/role:Role" and changed <= {"password", "validUntil"}, (
            f"unexpected change to {reg.urn}: {sorted(changed)}"
        )
        flags = [f"PASSWORD {literal(new['password'])}"] if "password" in changed else []
        if "validUntil" in changed:
            flags.append(f"VALID UNTIL {literal(new['validUntil'])}")
        out.append(Statement(None, f"ALTER ROLE {ident(new['name'])} WITH {' '.join(flags)}"))
    return out

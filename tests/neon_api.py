"""A local stand-in for the Neon API (v2): what envkeeper's orphan check asks (whether an API
key sees a project) and what the Terraform provider kislerdm/neon (v0.13.0, through the
neon-sdk-go client) calls for a `neon_project`'s create, read, update and delete, plus the
two calls the program makes itself: restarting an endpoint and resetting a role's password.

Answers have Neon's JSON shapes (neon-sdk-go's structs), ids (`dawn-lake-12345678`,
`br-...`, `ep-...`) and defaults: branch `main`, database `neondb` owned by
`neondb_owner`, one read-write endpoint. Errors have Neon's shape, `{code, message}`.

An organization key sees every project of its organization and no other; Neon answers any
other with 404, as it does for a project that does not exist. A key creates projects in
its own organization only.

Operations a call starts are `running` in its answer and `finished` the first time they are
read, so the provider polls each once. Passwords are random. A `Postgres` given to the
stand-in makes each project's owner and database real, and follows its password resets.

Every request is recorded, and faults are played (tests/standin.py).
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standin import Handler, StandIn, json_response

REGION = "aws-us-east-2"
PG_VERSION = 17
BRANCH = "main"
DATABASE = "neondb"
HISTORY_SECONDS = 86400  # a day, Neon's default
# Neon's ids are two words and a number: dawn-lake-12345678, br-icy-dream-a1b2c3d4.
FIRST_WORDS = ("bold", "cool", "dawn", "icy", "proud", "quiet", "shy", "wispy")
SECOND_WORDS = ("bush", "cloud", "darkness", "dream", "lake", "meadow", "sky", "sound")


class Postgres(Protocol):
    """Where a project's owner role and database become real (a test's server, or a fake)."""

    def create_owner(self, role: str, password: str, database: str) -> None: ...

    def set_password(self, role: str, password: str) -> None: ...


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _words() -> str:
    return f"{secrets.choice(FIRST_WORDS)}-{secrets.choice(SECOND_WORDS)}"


def new_project_id() -> str:
    return f"{_words()}-{secrets.randbelow(10**8):08d}"


def new_password() -> str:
    return secrets.token_urlsafe(16)


@dataclass
class Branch:
    id: str
    name: str
    created_at: str = field(default_factory=_now)


@dataclass
class Endpoint:
    id: str
    branch_id: str
    host: str
    type: str = "read_write"
    created_at: str = field(default_factory=_now)


@dataclass
class Role:
    name: str
    branch_id: str
    password: str
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)


@dataclass
class Database:
    id: int
    name: str
    owner_name: str
    branch_id: str
    created_at: str = field(default_factory=_now)


@dataclass
class Operation:
    id: str
    action: str
    branch_id: str
    endpoint_id: str | None = None
    status: str = "running"
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)


@dataclass
class Project:
    id: str
    name: str
    org_id: str
    region_id: str = REGION
    pg_version: int = PG_VERSION
    provisioner: str = "k8s-neonvm"
    store_passwords: bool = True
    history_retention_seconds: int = HISTORY_SECONDS
    # The provider reads settings.allowed_ips whenever settings is there: never leave it out.
    settings: dict[str, Any] = field(
        default_factory=lambda: {"allowed_ips": {"ips": [], "protected_branches_only": False}}
    )
    default_endpoint_settings: dict[str, Any] = field(
        default_factory=lambda: {
            "autoscaling_limit_min_cu": 0.25,
            "autoscaling_limit_max_cu": 2,
            "suspend_timeout_seconds": 0,
        }
    )
    created_at: str = field(default_factory=_now)
    updated_at: str = field(default_factory=_now)
    branches: list[Branch] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    databases: list[Database] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)

    def branch(self, branch_id: str) -> Branch | None:
        return next((b for b in self.branches if b.id == branch_id), None)

    def role(self, branch_id: str, name: str) -> Role | None:
        return next((r for r in self.roles if r.branch_id == branch_id and r.name == name), None)

    def start(self, action: str, branch_id: str, endpoint_id: str | None = None) -> Operation:
        operation = Operation(str(uuid.uuid4()), action, branch_id, endpoint_id)
        self.operations.append(operation)
        return operation


class NeonApi(StandIn):
    """API keys, each of one organization, and the projects of every organization."""

    vendor = "neon"
    prefix = "/api/v2"

    def __init__(
        self,
        server: HTTPServer,
        keys: dict[str, str],
        postgres: Postgres | None = None,
        endpoint_host: Callable[[str], str] | None = None,
    ) -> None:
        super().__init__(server)
        self.keys = keys  # API key -> the organization it belongs to
        self.projects: dict[str, Project] = {}
        self.postgres = postgres
        self.endpoint_host = endpoint_host  # endpoint id -> host; else Neon's own form
        self.restarts: list[tuple[str, str]] = []  # (project id, endpoint id), in order
        # How many more reads of a running operation answer "running" before it finishes.
        self.slow_operations = 0
        self._database_ids = itertools.count(1001)

    def _org(self, request: Request) -> str | None:
        given = request.headers.get("Authorization", "")
        return self.keys.get(given.removeprefix("Bearer "))

    def authorized(self, request: Request) -> bool:
        return self._org(request) is not None

    def refused(self) -> Response:
        return error(401, "", "authentication required")

    def not_found(self, path: str) -> Response:
        return error(404, "", "not found")

    def failure(self, status: int) -> Response:
        if status == 429:
            return error(429, "", "rate limit exceeded")
        return error(status, "", "internal server error")

    def routes(self) -> list[tuple[str, Handler]]:
        project = "/projects/([^/]+)"
        branch = f"{project}/branches/([^/]+)"
        return [
            ("/projects", self._methods(POST=self._create)),
            (project, self._methods(GET=self._get, PATCH=self._update, DELETE=self._delete)),
            (f"{project}/operations", self._methods(GET=self._operations)),
            (f"{project}/operations/([^/]+)", self._methods(GET=self._operation)),
            (f"{project}/branches", self._methods(GET=self._branches)),
            (f"{branch}/endpoints", self._methods(GET=self._branch_endpoints)),
            (f"{branch}/databases", self._methods(GET=self._branch_databases)),
            (f"{branch}/roles/([^/]+)/reveal_password", self._methods(GET=self._reveal)),
            (f"{branch}/roles/([^/]+)/reset_password", self._methods(POST=self._reset)),
            (f"{project}/endpoints/([^/]+)/restart", self._methods(POST=self._restart)),
        ]

    def _methods(self, **handlers: Handler) -> Handler:
        """A route's handler per HTTP method. Every route but `/projects` starts with a
        project's id: the handler gets the project, if this key's organization sees it."""

        def handle(request: Request, body: Any, *ids: str) -> Response:
            handler = handlers.get(request.method)
            if handler is None:
                return error(405, "", "method not allowed")
            if not ids:
                return handler(request, body)
            found = self.projects.get(ids[0])
            if found is None or found.org_id != self._org(request):
                return error(404, "", "project not found")
            return handler(request, body, found, *ids[1:])

        return handle

    # --- projects ------------------------------------------------------------------------

    def _create(self, request: Request, body: Any) -> Response:
        spec = body.get("project") if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            return error(400, "", "project: required")
        org = self._org(request)
        assert org is not None  # authorized
        if spec.get("org_id") not in (None, org):
            return error(403, "", "the API key cannot create projects in this organization")
        project_id = new_project_id()
        project = Project(
            project_id,
            spec.get("name") or project_id,
            org,
            region_id=spec.get("region_id") or REGION,
            pg_version=spec.get("pg_version") or PG_VERSION,
            provisioner=spec.get("provisioner") or "k8s-neonvm",
            store_passwords=spec.get("store_passwords", True),
            history_retention_seconds=spec.get("history_retention_seconds", HISTORY_SECONDS),
        )
        project.settings.update(spec.get("settings") or {})
        project.default_endpoint_settings.update(spec.get("default_endpoint_settings") or {})

        wanted = spec.get("branch") or {}
        database_name = wanted.get("database_name") or DATABASE
        role_name = wanted.get("role_name") or f"{database_name}_owner"
        branch = Branch(f"br-{_words()}-{secrets.token_hex(4)}", wanted.get("name") or BRANCH)
        endpoint_id = f"ep-{_words()}-{secrets.token_hex(4)}"
        endpoint = Endpoint(endpoint_id, branch.id, self._host(project, endpoint_id))
        role = Role(role_name, branch.id, new_password())
        database = Database(next(self._database_ids), database_name, role_name, branch.id)
        if self.postgres is not None:
            self.postgres.create_owner(role.name, role.password, database.name)
        project.branches.append(branch)
        project.endpoints.append(endpoint)
        project.roles.append(role)
        project.databases.append(database)
        started = [
            project.start("create_timeline", branch.id),
            project.start("start_compute", branch.id, endpoint.id),
        ]
        self.projects[project.id] = project

        pooler = pooler_host(endpoint.host)
        uri = f"postgresql://{role.name}:{role.password}@{{}}/{database.name}?sslmode=require"
        connection = {
            "connection_uri": uri.format(endpoint.host),
            "connection_parameters": {
                "database": database.name,
                "password": role.password,
                "role": role.name,
                "host": endpoint.host,
                "pooler_host": pooler,
            },
        }
        answer = {
            "project": _project(project),
            "connection_uris": [connection],
            "roles": [_role(role, with_password=True)],
            "databases": [_database(database)],
            "operations": [_operation(project, o) for o in started],
            "branch": _branch(project, branch),
            "endpoints": [_endpoint(project, endpoint)],
        }
        return json_response(answer, 201)

    def _host(self, project: Project, endpoint_id: str) -> str:
        if self.endpoint_host is not None:
            return self.endpoint_host(endpoint_id)
        platform, _, region = project.region_id.partition("-")  # aws-us-east-2
        return f"{endpoint_id}.c-2.{region}.{platform}.neon.tech"

    def _get(self, request: Request, body: Any, project: Project) -> Response:
        return json_response({"project": _project(project)})

    def _update(self, request: Request, body: Any, project: Project) -> Response:
        spec = body.get("project") if isinstance(body, dict) else None
        if not isinstance(spec, dict):
            return error(400, "", "project: required")
        if spec.get("name"):
            project.name = spec["name"]
        if spec.get("history_retention_seconds") is not None:
            project.history_retention_seconds = spec["history_retention_seconds"]
        # Only what is given changes: the provider sends allowed_ips on every update, often
        # as {}, which keeps the list.
        for key, value in (spec.get("settings") or {}).items():
            kept = project.settings.get(key)
            if isinstance(value, dict) and isinstance(kept, dict):
                kept.update(value)
            elif value is not None:
                project.settings[key] = value
        project.updated_at = _now()
        return json_response({"project": _project(project), "operations": []})

    def _delete(self, request: Request, body: Any, project: Project) -> Response:
        del self.projects[project.id]
        return json_response({"project": _project(project)})

    # --- operations ----------------------------------------------------------------------

    def _operations(self, request: Request, body: Any, project: Project) -> Response:
        listed = [_operation(project, o) for o in reversed(project.operations)]
        cursor = project.operations[0].created_at if project.operations else _now()
        return json_response({"operations": listed, "pagination": {"cursor": cursor}})

    def _operation(self, request: Request, body: Any, project: Project, op_id: str) -> Response:
        found = next((o for o in project.operations if o.id == op_id), None)
        if found is None:
            return error(404, "", "operation not found")
        if found.status == "running" and self.slow_operations > 0:
            self.slow_operations -= 1  # still running: the caller must wait and look again
        elif found.status == "running":  # done by the time anyone looks
            found.status, found.updated_at = "finished", _now()
        return json_response({"operation": _operation(project, found)})

    # --- branches, and what is on them -------------------------------------------------

    def _branches(self, request: Request, body: Any, project: Project) -> Response:
        return json_response(
            {
                "branches": [_branch(project, b) for b in project.branches],
                "annotations": {},
                "pagination": {"sort_by": "updated_at", "sort_order": "DESC"},
            }
        )

    def _branch_endpoints(
        self, request: Request, body: Any, project: Project, branch_id: str
    ) -> Response:
        if project.branch(branch_id) is None:
            return error(404, "", "branch not found")
        found = [_endpoint(project, e) for e in project.endpoints if e.branch_id == branch_id]
        return json_response({"endpoints": found})

    def _branch_databases(
        self, request: Request, body: Any, project: Project, branch_id: str
    ) -> Response:
        if project.branch(branch_id) is None:
            return error(404, "", "branch not found")
        found = [_database(d) for d in project.databases if d.branch_id == branch_id]
        return json_response({"databases": found})

    def _reveal(
        self, request: Request, body: Any, project: Project, branch_id: str, name: str
    ) -> Response:
        role = project.role(branch_id, name)
        if role is None:
            return error(404, "", "role not found")
        if not project.store_passwords:
            return error(412, "", "storing passwords is disabled for this project")
        return json_response({"password": role.password})

    def _reset(
        self, request: Request, body: Any, project: Project, branch_id: str, name: str
    ) -> Response:
        role = project.role(branch_id, name)
        if role is None:
            return error(404, "", "role not found")
        password = new_password()
        if self.postgres is not None:
            self.postgres.set_password(role.name, password)
        role.password, role.updated_at = password, _now()
        on_branch = [e for e in project.endpoints if e.branch_id == branch_id]
        started = [project.start("apply_config", branch_id, e.id) for e in on_branch]
        return json_response(
            {
                "role": _role(role, with_password=True),
                "operations": [_operation(project, o) for o in started],
            }
        )

    def _restart(self, request: Request, body: Any, project: Project, endpoint_id: str) -> Response:
        endpoint = next((e for e in project.endpoints if e.id == endpoint_id), None)
        if endpoint is None:
            return error(404, "", "endpoint not found")
        self.restarts.append((project.id, endpoint.id))
        started = [
            project.start(action, endpoint.branch_id, endpoint.id)
            for action in ("suspend_compute", "start_compute")
        ]
        return json_response(
            {
                "endpoint": _endpoint(project, endpoint),
                "operations": [_operation(project, o) for o in started],
            }
        )


def error(status: int, code: str, message: str) -> Response:
    return json_response({"code": code, "message": message}, status)


def pooler_host(host: str) -> str:
    """The pooled host, as Neon names it: `-pooler` after the endpoint's id (none for a host
    without a domain, as the provider reckons it)."""
    first, dot, rest = host.partition(".")
    return f"{first}-pooler.{rest}" if dot else ""


# --- JSON, in neon-sdk-go's shapes ---------------------------------------------------------


def _project(p: Project) -> dict[str, Any]:
    platform, _, region = p.region_id.partition("-")
    return {
        "id": p.id,
        "platform_id": platform,
        "region_id": p.region_id,
        "name": p.name,
        "provisioner": p.provisioner,
        "default_endpoint_settings": p.default_endpoint_settings,
        "settings": p.settings,
        "pg_version": p.pg_version,
        "proxy_host": f"c-2.{region}.{platform}.neon.tech",
        "branch_logical_size_limit": 0,
        "branch_logical_size_limit_bytes": 0,
        "store_passwords": p.store_passwords,
        "active_time_seconds": 0,
        "cpu_used_sec": 0,
        "compute_time_seconds": 0,
        "written_data_bytes": 0,
        "data_transfer_bytes": 0,
        "data_storage_bytes_hour": 0,
        "creation_source": "console",
        "history_retention_seconds": p.history_retention_seconds,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "consumption_period_start": f"{p.created_at[:7]}-01T00:00:00Z",
        "consumption_period_end": _next_month(p.created_at),
        "owner_id": p.org_id,
        "org_id": p.org_id,
    }


def _next_month(stamp: str) -> str:
    """The first of the month after `stamp`'s: when Neon's consumption period ends."""
    year, month = int(stamp[:4]), int(stamp[5:7])
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return f"{year:04d}-{month:02d}-01T00:00:00Z"


def _branch(p: Project, b: Branch) -> dict[str, Any]:
    first = b is p.branches[0]
    return {
        "id": b.id,
        "project_id": p.id,
        "name": b.name,
        "current_state": "ready",
        "state_changed_at": b.created_at,
        "logical_size": 30785536,
        "creation_source": "console",
        "default": first,
        # Deprecated, yet the only field the provider's read looks for.
        "primary": first,
        "protected": False,
        "cpu_used_sec": 0,
        "compute_time_seconds": 0,
        "active_time_seconds": 0,
        "written_data_bytes": 0,
        "data_transfer_bytes": 0,
        "init_source": "parent-data",
        "created_at": b.created_at,
        "updated_at": b.created_at,
    }


def _endpoint(p: Project, e: Endpoint) -> dict[str, Any]:
    settings = p.default_endpoint_settings
    return {
        "host": e.host,
        "id": e.id,
        "project_id": p.id,
        "branch_id": e.branch_id,
        "autoscaling_limit_min_cu": settings["autoscaling_limit_min_cu"],
        "autoscaling_limit_max_cu": settings["autoscaling_limit_max_cu"],
        "region_id": p.region_id,
        "type": e.type,
        "current_state": "active",
        "settings": {},
        "pooler_enabled": False,
        "pooler_mode": "transaction",
        "disabled": False,
        "passwordless_access": False,
        "creation_source": "console",
        "created_at": e.created_at,
        "updated_at": e.created_at,
        "proxy_host": e.host.partition(".")[2],
        "suspend_timeout_seconds": settings["suspend_timeout_seconds"],
        "provisioner": p.provisioner,
    }


def _role(r: Role, with_password: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "branch_id": r.branch_id,
        "name": r.name,
        "protected": False,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }
    if with_password:
        answer["password"] = r.password
    return answer


def _database(d: Database) -> dict[str, Any]:
    return {
        "id": d.id,
        "branch_id": d.branch_id,
        "name": d.name,
        "owner_name": d.owner_name,
        "created_at": d.created_at,
        "updated_at": d.created_at,
    }


def _operation(p: Project, o: Operation) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "id": o.id,
        "project_id": p.id,
        "branch_id": o.branch_id,
        "action": o.action,
        "status": o.status,
        "failures_count": 0,
        "created_at": o.created_at,
        "updated_at": o.updated_at,
        "total_duration_ms": 0 if o.status == "running" else 100,
    }
    if o.endpoint_id is not None:
        answer["endpoint_id"] = o.endpoint_id
    return answer

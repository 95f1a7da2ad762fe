"""A local stand-in for the Cloudflare API (v4), as envkeeper reaches it: Worker secrets
(the `cloudflare` SDK in envkeeper's dynamic provider), account API tokens and the
permission-group lookup (the Cloudflare provider plugin), and what is deployed: each
Worker's versions and deployments and each zone's Worker routes.

A secret put makes a new version of the Worker (its code unchanged) and deploys it at 100%,
as Cloudflare does; `upload`, `deploy` and `add_route` are what someone else holding a
deploy token does (the app's own deploy, or an attacker).

It answers as Cloudflare does: the `{success, errors, messages, result}` envelope, its
error codes (10007 no such Worker, 10215 the latest version not deployed, 10000 bad
token), a token's value only when it is created, and a policy's `resources` written back
as compact JSON. Every request is recorded (tests/standin.py).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standin import Handler, StandIn, json_response

# Permission groups as Cloudflare names them; ids are Cloudflare's, looked up by name.
PERMISSION_GROUPS = (
    {"id": "e086da7e2179491d91ee5f35b3ca210a", "name": "Workers Scripts Write",
     "scopes": ["com.cloudflare.api.account"]},
    {"id": "28f4b596e7d643029c524985477ae49a", "name": "Workers Routes Write",
     "scopes": ["com.cloudflare.api.account.zone"]},
    {"id": "c8fed203ed3043cba015a93ad1616f1f", "name": "Zone Read",
     "scopes": ["com.cloudflare.api.account.zone"]},
)  # fmt: skip
WORKER_NOT_FOUND = 10007
GRADUAL_DEPLOYMENT = 10215
STAMP = "2026-11-30T09:00:00Z"


@dataclass
class Deployed:
    """One Worker's versions and deployments, newest first, as Cloudflare lists them."""

    versions: list[dict[str, Any]] = field(default_factory=list)
    deployments: list[dict[str, Any]] = field(default_factory=list)


class CloudflareApi(StandIn):
    """One account: its Workers' secrets and its account-owned API tokens."""

    vendor = "cloudflare"
    prefix = "/client/v4"

    def __init__(self, server: HTTPServer, token: str, account: str, workers: set[str]) -> None:
        super().__init__(server)
        self.token = token
        self.account = account
        self.workers = set(workers)  # the Worker scripts that exist
        self.secrets: dict[tuple[str, str], str] = {}  # (worker, name) -> text
        self.tokens: dict[str, dict[str, Any]] = {}  # id -> token as Cloudflare keeps it
        self.gradual: set[str] = set()  # Workers whose latest version is not deployed
        # How a missing Worker is answered: 404 and 10007 for most calls, 10090 for some.
        self.missing_worker: tuple[int, int] = (404, WORKER_NOT_FOUND)
        # What the admin token can see beyond its own account (a token made by a member
        # of several accounts can reach them all), and the zones it can see: id -> name.
        self.other_accounts: list[str] = []
        self.zones: dict[str, str] = {}
        self._serial = 0
        self.deployed: dict[str, Deployed] = {w: Deployed() for w in self.workers}
        self.worker_routes: dict[str, list[dict[str, Any]]] = {}  # zone id -> its Worker routes
        # Zones whose routes the admin token may not read (no Workers Routes Read there).
        self.unreadable_zones: set[str] = set()
        self._stamps = 0

    # -- what a deploy token's holder does (tests only) ---------------------------------

    def _stamp(self) -> str:
        # Distinct, increasing times: one second apart from the suite's pinned day on.
        self._stamps += 1
        return f"2026-11-30T09:{self._stamps // 60:02d}:{self._stamps % 60:02d}.000000Z"

    def upload(self, worker: str, source: str = "wrangler", triggered_by: str = "upload") -> str:
        """A new version of the Worker (`wrangler versions upload`); its id."""
        deployed = self.deployed.setdefault(worker, Deployed())
        version_id = str(uuid.uuid4())
        deployed.versions.insert(0, {
            "id": version_id,
            "number": len(deployed.versions) + 1,
            "metadata": {"created_on": self._stamp(), "modified_on": self._stamp(),
                         "source": source, "author_email": "deploy@example.com",
                         "hasPreview": True},
            "annotations": {"workers/triggered_by": triggered_by},
        })  # fmt: skip
        return version_id

    def deploy(self, worker: str, version_id: str, triggered_by: str = "deployment") -> str:
        """Deploy that version to 100% (`wrangler versions deploy`); the deployment's id."""
        deployment_id = str(uuid.uuid4())
        self.deployed.setdefault(worker, Deployed()).deployments.insert(0, {
            "id": deployment_id,
            "created_on": self._stamp(),
            "source": "wrangler",
            "strategy": "percentage",
            "author_email": "deploy@example.com",
            "annotations": {"workers/triggered_by": triggered_by},
            "versions": [{"version_id": version_id, "percentage": 100.0}],
        })  # fmt: skip
        return deployment_id

    def add_route(self, zone: str, pattern: str, script: str) -> str:
        route_id = uuid.uuid4().hex
        self.worker_routes.setdefault(zone, []).append({"id": route_id, "pattern": pattern,
                                                 "script": script})  # fmt: skip
        return route_id

    def token_values(self) -> dict[str, str]:
        """Token id -> the value Cloudflare handed out when it was created (tests only)."""
        return {i: t["value"] for i, t in self.tokens.items()}

    # -- the API ---------------------------------------------------------------------

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    def refused(self) -> Response:
        return _failure(403, 10000, "Authentication error")

    def not_found(self, path: str) -> Response:
        return _failure(
            404, 7003, f"Could not route to {path}, perhaps your object identifier is invalid?"
        )

    def failure(self, status: int) -> Response:
        if status == 429:
            return _failure(429, 971, "Please wait and consider throttling your request speed")
        return _failure(status, 10000, "Internal server error")

    def routes(self) -> list[tuple[str, Handler]]:
        account = f"/accounts/{re.escape(self.account)}"
        return [
            (f"{account}/workers/scripts/([^/]+)/secrets", self._secrets),
            (f"{account}/workers/scripts/([^/]+)/secrets/([^/]+)", self._secret),
            (f"{account}/workers/scripts/([^/]+)/versions", self._versions),
            (f"{account}/workers/scripts/([^/]+)/deployments", self._deployments),
            ("/zones/([0-9a-f]{32})/workers/routes", self._routes),
            (f"{account}/tokens/permission_groups", self._permission_groups),
            (f"{account}/tokens", self._new_token),
            (f"{account}/tokens/([0-9a-f]{{32}})", self._token),
            ("/accounts", self._accounts),
            ("/zones", self._zones),
        ]

    def _paged(self, request: Request, items: list[dict[str, Any]]) -> Response:
        """A page at a time, as Cloudflare lists: an empty page ends the list."""
        page = int(request.args.get("page", "1"))
        per_page = int(request.args.get("per_page", "20"))
        listed = items[(page - 1) * per_page : page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(listed),
                "total_count": len(items)}  # fmt: skip
        return _ok(listed, result_info=info)

    def _accounts(self, request: Request, _body: Any) -> Response:
        ids = [self.account, *self.other_accounts]
        return self._paged(request, [{"id": i, "name": f"account {i[:6]}"} for i in ids])

    def _zones(self, request: Request, _body: Any) -> Response:
        found = [
            {"id": i, "name": name, "status": "active", "account": {"id": self.account}}
            for i, name in self.zones.items()
        ]
        return self._paged(request, found)

    def _worker_problem(self, worker: str) -> Response | None:
        if worker not in self.workers:
            status, code = self.missing_worker
            return _failure(status, code, "workers.api.error.script_not_found")
        return None

    def _secrets(self, request: Request, body: Any, worker: str) -> Response:
        problem = self._worker_problem(worker)
        if problem:
            return problem
        if request.method == "PUT":
            if worker in self.gradual:
                return _failure(
                    400,
                    GRADUAL_DEPLOYMENT,
                    "Secret edit failed. Latest version not deployed. You must deploy the "
                    "latest version before editing secrets.",
                )
            self.secrets[(worker, body["name"])] = body["text"]
            # A new version with the same code and the new secret, deployed at 100%.
            made = self.upload(worker, source="api", triggered_by="secret")
            self.deploy(worker, made, triggered_by="secret")
            return _ok({"name": body["name"], "type": "secret_text"})
        listed = [{"name": n, "type": "secret_text"} for (w, n) in self.secrets if w == worker]
        return _ok(listed)

    def _secret(self, request: Request, _body: Any, worker: str, name: str) -> Response:
        problem = self._worker_problem(worker)
        if problem:
            return problem
        if (worker, name) not in self.secrets:
            return _failure(404, 10056, "This secret does not exist")
        if request.method == "DELETE":
            del self.secrets[(worker, name)]
            return _ok(None)
        return _ok({"name": name, "type": "secret_text"})

    def _versions(self, request: Request, _body: Any, worker: str) -> Response:
        problem = self._worker_problem(worker)
        if problem:
            return problem
        # Versions come as `result.items`, a page at a time (an empty page ends the list).
        items = self.deployed.setdefault(worker, Deployed()).versions
        page = int(request.args.get("page", "1"))
        per_page = int(request.args.get("per_page", "10"))
        listed = items[(page - 1) * per_page : page * per_page]
        info = {"page": page, "per_page": per_page, "count": len(listed),
                "total_count": len(items)}  # fmt: skip
        return _ok({"items": listed}, result_info=info)

    def _deployments(self, _request: Request, _body: Any, worker: str) -> Response:
        problem = self._worker_problem(worker)
        if problem:
            return problem
        # The newest deployment first: the one serving traffic.
        return _ok({"deployments": self.deployed.setdefault(worker, Deployed()).deployments})

    def _routes(self, _request: Request, _body: Any, zone: str) -> Response:
        if zone in self.unreadable_zones:
            return _failure(403, 10000, "Authentication error")
        return _ok(self.worker_routes.get(zone, []))

    def _permission_groups(self, request: Request, _body: Any) -> Response:
        query = parse_qs(request.query_string.decode())
        name = (query.get("name") or [None])[0]
        scope = (query.get("scope") or [None])[0]
        found = [
            g
            for g in PERMISSION_GROUPS
            if (name is None or g["name"] == name) and (scope is None or scope in g["scopes"])
        ]
        return _ok(found, result_info={"page": 1, "per_page": 20, "count": len(found),
                                       "total_count": len(found)})  # fmt: skip

    def _new_token(self, request: Request, body: Any) -> Response:
        if request.method != "POST":
            # A page at a time, as Cloudflare lists them: an empty page ends the list.
            page = int(request.args.get("page", "1"))
            per_page = int(request.args.get("per_page", "20"))
            shown = [self._shown(t) for t in self.tokens.values()]
            listed = shown[(page - 1) * per_page : page * per_page]
            info = {"page": page, "per_page": per_page, "count": len(listed),
                    "total_count": len(shown)}  # fmt: skip
            return _ok(listed, result_info=info)
        problem = self._token_problem(body)
        if problem:
            return problem
        self._serial += 1
        token_id = f"{self._serial:032x}"
        self.tokens[token_id] = {
            "id": token_id,
            "status": "active",
            "issued_on": STAMP,
            "modified_on": STAMP,
            **self._kept(body),
            # 40 characters, as Cloudflare's are, and obviously fake.
            "value": f"CANARY-cf-deploy-{self._serial:04d}".ljust(40, "x"),
        }
        return _ok(self.tokens[token_id])

    def _token(self, request: Request, body: Any, token_id: str) -> Response:
        if token_id not in self.tokens:
            return _failure(404, 1003, "Invalid or missing token identifier")
        if request.method == "DELETE":
            del self.tokens[token_id]
            return _ok({"id": token_id})
        if request.method == "PUT":
            problem = self._token_problem(body)
            if problem:
                return problem
            kept = self.tokens[token_id]
            for key in ("expires_on", "not_before", "condition"):
                kept.pop(key, None)
            kept.update(self._kept(body), modified_on=STAMP)
        return _ok(self._shown(self.tokens[token_id]))

    def _token_problem(self, body: Any) -> Response | None:
        known = {g["id"] for g in PERMISSION_GROUPS}
        for policy in body.get("policies") or []:
            if not isinstance(policy.get("resources"), dict):
                return _failure(400, 400, "policies.resources must be an object")
            for group in policy.get("permission_groups") or []:
                if group.get("id") not in known:
                    return _failure(400, 1001, f"Permission group {group.get('id')} not found")
        if not body.get("name") or not body.get("policies"):
            return _failure(400, 1001, "name and policies are required")
        return None

    @staticmethod
    def _kept(body: dict[str, Any]) -> dict[str, Any]:
        names = {g["id"]: g["name"] for g in PERMISSION_GROUPS}
        kept: dict[str, Any] = {
            "name": body["name"],
            "policies": [
                {
                    "id": f"{index:032x}",
                    "effect": policy["effect"],
                    "permission_groups": [
                        {"id": g["id"], "name": names[g["id"]]} for g in policy["permission_groups"]
                    ],
                    "resources": policy["resources"],
                }
                for index, policy in enumerate(body["policies"], start=1)
            ],
        }
        for key in ("expires_on", "not_before", "condition"):
            if body.get(key) is not None:
                kept[key] = body[key]
        return kept

    @staticmethod
    def _shown(token: dict[str, Any]) -> dict[str, Any]:
        # Cloudflare shows a token's value once, when it is created.
        return {k: v for k, v in token.items() if k != "value"}


def _envelope(success: bool, result: Any, errors: list[Any], **extra: Any) -> dict[str, Any]:
    return {"success": success, "errors": errors, "messages": [], "result": result, **extra}


# Cloudflare writes compact JSON; a policy's resources come back in that form.
def _ok(result: Any, **extra: Any) -> Response:
    return json_response(_envelope(True, result, [], **extra), compact=True)


def _failure(status: int, code: int, message: str) -> Response:
    errors = [{"code": code, "message": message}]
    return json_response(_envelope(False, None, errors), status, compact=True)

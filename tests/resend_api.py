"""A local stand-in for the Resend API, as envkeeper's ResendApiKey provider calls it
(through Resend's official SDK, pointed here with RESEND_API_URL): the domain list, and
API keys created, listed (a page at a time), renamed and deleted.

It answers as Resend does: `{statusCode, name, message}` errors, a key's token only when
it is created, no idempotency for keys (the same request twice makes two keys). Every
request is recorded (tests/standin.py).
"""

from __future__ import annotations

import itertools
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standin import Handler, StandIn, json_response


class ResendApi(StandIn):
    """One account with its verified domains and its API keys."""

    vendor = "resend"

    def __init__(self, server: HTTPServer, admin_key: str, domains: dict[str, str]) -> None:
        super().__init__(server)
        self.admin_key = admin_key
        self.domains = domains  # name -> id
        self.keys: dict[str, dict[str, Any]] = {}  # id -> {name, permission, domain_id, token}
        self._serial = itertools.count(1)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.admin_key}"

    def refused(self) -> Response:
        return error(401, "validation_error", "API key is invalid")

    def not_found(self, path: str) -> Response:
        return error(404, "not_found", "The requested endpoint does not exist.")

    def failure(self, status: int) -> Response:
        if status == 429:
            return error(429, "rate_limit_exceeded", "Too many requests. Please slow down.")
        return error(status, "internal_server_error", "An unexpected error occurred.")

    def routes(self) -> list[tuple[str, Handler]]:
        return [
            ("/domains", self._domains),
            ("/api-keys", self._api_keys),
            ("/api-keys/([^/]+)", self._api_key),
        ]

    def tokens(self) -> dict[str, str]:
        """Key id -> the token Resend handed out when it was made (tests only)."""
        return {key: made["token"] for key, made in self.keys.items()}

    def domain_list(self) -> Response:
        data = [
            {"id": ident, "name": name, "status": "verified", "region": "us-east-1"}
            for name, ident in self.domains.items()
        ]
        return json_response({"object": "list", "has_more": False, "data": data})

    def _domains(self, request: Request, _body: Any) -> Response:
        return self.domain_list()

    def _api_keys(self, request: Request, body: Any) -> Response:
        if request.method == "GET":
            ids = list(self.keys)
            after = request.args.get("after")
            start = ids.index(after) + 1 if after in ids else 0
            limit = int(request.args.get("limit", "20"))
            data = [
                {"id": k, "name": self.keys[k]["name"], "created_at": self.keys[k]["created_at"]}
                for k in ids[start : start + limit]
            ]
            more = start + limit < len(ids)
            return json_response({"object": "list", "has_more": more, "data": data})
        if request.method != "POST":
            return error(405, "method_not_allowed", "Method not allowed")
        if not body or not body.get("name"):
            return error(422, "validation_error", "Missing `name` field.")
        if body.get("domain_id") is not None and body["domain_id"] not in self.domains.values():
            return error(422, "validation_error", "Domain not found")
        key = f"key-{next(self._serial)}"
        self.keys[key] = {
            "name": body["name"],
            "permission": body.get("permission", "full_access"),
            "domain_id": body.get("domain_id"),
            "token": f"re_CANARY-sending-{key}-5e1d",
            "created_at": "2026-11-30 09:00:00.000000+00",
        }
        return json_response({"id": key, "token": self.keys[key]["token"]}, 201)

    def _api_key(self, request: Request, body: Any, key: str) -> Response:
        if request.method not in ("DELETE", "PATCH"):
            return error(405, "method_not_allowed", "Method not allowed")
        if key not in self.keys:
            return error(404, "not_found", "API key not found")
        if request.method == "PATCH":
            if not body or not body.get("name"):
                return error(422, "validation_error", "Missing `name` field.")
            self.keys[key]["name"] = body["name"]
            return json_response({"object": "api_key", "id": key})
        del self.keys[key]
        return json_response({"object": "api_key", "id": key, "deleted": True})


def error(status: int, name: str, message: str) -> Response:
    return json_response({"statusCode": status, "name": name, "message": message}, status)

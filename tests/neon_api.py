"""A local stand-in for the Neon API (v2), as far as envkeeper asks it today: whether an
API key sees a project (`GET /projects/{id}`). An organization key sees every project of its
organization and no other; Neon answers any other with 404, as it does for a project that
does not exist.

Errors have Neon's shape, `{code, message}`. Every request is recorded (tests/standin.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standin import Handler, StandIn, json_response


@dataclass
class Project:
    id: str
    name: str
    org_id: str


class NeonApi(StandIn):
    """API keys, each of one organization, and the projects of every organization."""

    vendor = "neon"
    prefix = "/api/v2"

    def __init__(self, server: HTTPServer, keys: dict[str, str]) -> None:
        super().__init__(server)
        self.keys = keys  # API key -> the organization it belongs to
        self.projects: dict[str, Project] = {}

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
        return [("/projects/([^/]+)", self._project)]

    def _project(self, request: Request, _body: Any, project_id: str) -> Response:
        found = self.projects.get(project_id)
        if found is None or found.org_id != self._org(request):
            return error(404, "", "project not found")
        project = {"id": found.id, "name": found.name, "org_id": found.org_id}
        return json_response({"project": project})


def error(status: int, code: str, message: str) -> Response:
    return json_response({"code": code, "message": message}, status)

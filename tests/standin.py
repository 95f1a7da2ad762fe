"""What every vendor stand-in shares: a local HTTP server (pytest-httpserver) that routes
each request to the vendor's handler, after recording it.

Every recorded call carries a number from one sequence shared by all stand-ins, so a test
can put the calls several vendors received into the order they were made in.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

_SEQUENCE = itertools.count()

Handler = Callable[..., Response]


@dataclass(frozen=True)
class Call:
    seq: int  # shared by every stand-in: the order calls were made in
    vendor: str
    method: str
    path: str  # without the API's prefix
    body: Any  # the JSON or form body, if any
    query: str = ""

    @property
    def changes_something(self) -> bool:
        return self.method not in ("GET", "HEAD")


class StandIn:
    """A vendor API on a local server. Subclasses give `routes` and `authorized`."""

    vendor = "vendor"
    prefix = ""  # the API's path prefix, e.g. /client/v4

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.requests: list[Call] = []
        # Answers to give, in turn, before routing: the vendor's refusals a test needs
        # (rate limits, a bad request), built by the vendor module's own error function.
        self.next_answers: list[Response] = []
        server.expect_request(re.compile(f"{re.escape(self.prefix)}/.*")).respond_with_handler(
            self._handle
        )

    @property
    def base_url(self) -> str:
        return self.server.url_for(self.prefix or "/").rstrip("/")

    def routes(self) -> list[tuple[str, Handler]]:
        raise NotImplementedError

    def authorized(self, request: Request) -> bool:
        raise NotImplementedError

    def refused(self) -> Response:
        raise NotImplementedError

    def not_found(self, path: str) -> Response:
        raise NotImplementedError

    def changes(self) -> list[Call]:
        """Every request that changed something since the last call, and forget all."""
        found = [c for c in self.requests if c.changes_something]
        self.requests.clear()
        return found

    def _handle(self, request: Request) -> Response:
        path = request.path.removeprefix(self.prefix)
        body: Any = None
        if request.is_json and request.data:
            body = request.get_json(silent=True)
        elif request.form:
            body = request.form.to_dict(flat=False)
        call = Call(
            next(_SEQUENCE),
            self.vendor,
            request.method,
            path,
            body,
            request.query_string.decode(),
        )
        self.requests.append(call)
        if self.next_answers:
            return self.next_answers.pop(0)
        if not self.authorized(request):
            return self.refused()
        for pattern, handler in self.routes():
            match = re.fullmatch(pattern, path)
            if match:
                return handler(request, body, *match.groups())
        return self.not_found(path)


def in_order(*groups: Iterable[Call]) -> list[Call]:
    """The calls of several stand-ins, in the order they were made."""
    return sorted((c for group in groups for c in group), key=lambda c: c.seq)


def json_response(body: Any, status: int = 200, compact: bool = False) -> Response:
    text = json.dumps(body, separators=(",", ":")) if compact else json.dumps(body)
    return Response(text, status=status, content_type="application/json")


def started_server() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    return server


def stopped(server: HTTPServer) -> None:
    server.clear()
    if server.is_running():
        server.stop()

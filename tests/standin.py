"""What every vendor stand-in shares: a local HTTP server (pytest-httpserver) that routes
each request to the vendor's handler, after recording it.

Every recorded call carries a number from one sequence shared by all stand-ins, so a test
can put the calls several vendors received into the order they were made in.

A stand-in also fails the way networks and vendors fail, once per `Fault` a test plans:
- `fail`: answer the vendor's own 5xx or 429 (with Retry-After) before acting;
- `lose`: act, then cut the connection, so the answer never arrives;
- `kill`: act, then call `on_kill` (the test kills every process of the `pulumi up`),
  then cut the connection;
- `pause`: call `on_pause` while the request waits (the `pulumi up` that sent it is alive
  and holds its stack meanwhile), then act and answer.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
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


@dataclass(frozen=True)
class Fault:
    """One failure to play on the next request with this method whose path (without the
    API's prefix) matches `path`, a regular expression."""

    kind: str  # "fail", "lose", "kill" or "pause" (see the module's docstring)
    method: str
    path: str
    status: int = 503  # for "fail": the vendor's 5xx or 429
    retry_after: int | None = None  # for "fail": the Retry-After header, in seconds

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and re.fullmatch(self.path, path) is not None


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
        self.faults: list[Fault] = []  # each played once, in order
        self.played: list[tuple[Fault, Call]] = []
        self.on_kill: Callable[[], None] | None = None
        self.on_pause: Callable[[], None] | None = None
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

    def failure(self, status: int) -> Response:
        """The vendor's own answer to a request it could not serve (5xx) or rate limits."""
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
        fault = next((f for f in self.faults if f.matches(request.method, path)), None)
        if fault is not None:
            self.faults.remove(fault)
            self.played.append((fault, call))
            if fault.kind == "fail":
                answer = self.failure(fault.status)
                if fault.retry_after is not None:
                    answer.headers["Retry-After"] = str(fault.retry_after)
                return answer
            if fault.kind == "pause":
                assert self.on_pause is not None, "a pause fault needs on_pause"
                self.on_pause()
                return self.dispatch(request, path, body)
        answer = self.dispatch(request, path, body)
        if fault is not None:
            if fault.kind == "kill":
                assert self.on_kill is not None, "a kill fault needs on_kill"
                self.on_kill()
            # The vendor acted; the answer never arrives.
            request.environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
        return answer

    def dispatch(self, request: Request, path: str, body: Any) -> Response:
        """The vendor's answer to an authorized request."""
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

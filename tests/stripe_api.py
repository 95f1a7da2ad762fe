"""A local stand-in for the Stripe API's webhook endpoints, as envkeeper's
StripeWebhookEndpoint provider calls them (through Stripe's official SDK, pointed here with
STRIPE_API_BASE): create, retrieve, update, delete.

It answers as Stripe does: form-encoded requests, `{"error": {...}}` bodies, and an
endpoint's signing secret only in the answer to its creation. Every request is recorded
(tests/standin.py).
"""

from __future__ import annotations

import itertools
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standin import Handler, StandIn, json_response

LATEST_API_VERSION = "2025-09-30.clover"


class StripeApi(StandIn):
    """One account's webhook endpoints."""

    vendor = "stripe"

    def __init__(self, server: HTTPServer, admin_key: str) -> None:
        super().__init__(server)
        self.admin_key = admin_key
        self.endpoints: dict[str, dict[str, Any]] = {}
        self._serial = itertools.count(1)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.admin_key}"

    def refused(self) -> Response:
        return error(401, "invalid_request_error", "Invalid API Key provided")

    def not_found(self, path: str) -> Response:
        return error(404, "invalid_request_error", f"Unrecognized request URL (GET: {path})")

    def routes(self) -> list[tuple[str, Handler]]:
        return [
            ("/v1/webhook_endpoints", self._create),
            ("/v1/webhook_endpoints/(we_[A-Za-z0-9]+)", self._endpoint),
        ]

    def secrets(self) -> dict[str, str]:
        """Endpoint id -> its signing secret (tests only)."""
        return {i: e["secret"] for i, e in self.endpoints.items()}

    def _create(self, request: Request, form: Any) -> Response:
        if request.method != "POST":
            return self.not_found(request.path)
        form = form or {}
        events = [v for k, values in form.items() if k.startswith("enabled_events") for v in values]
        if not form.get("url") or not events:
            return error(400, "invalid_request_error", "Missing required param: url.")
        endpoint = f"we_1Q{next(self._serial):04d}EnvKeeperTest"
        self.endpoints[endpoint] = {
            "id": endpoint,
            "object": "webhook_endpoint",
            "url": form["url"][0],
            "enabled_events": events,
            "api_version": (form.get("api_version") or [None])[0],
            "application": None,
            "description": (form.get("description") or [None])[0],
            "status": "enabled",
            "livemode": False,
            "connect": (form.get("connect") or ["false"])[0] == "true",
            "secret": f"whsec_CANARY-{endpoint}-5e1d",
        }
        return json_response(self.endpoints[endpoint])

    def _endpoint(self, request: Request, form: Any, endpoint: str) -> Response:
        if endpoint not in self.endpoints:
            return error(
                404,
                "invalid_request_error",
                f"No such webhook endpoint: '{endpoint}'",
                code="resource_missing",
            )
        kept = self.endpoints[endpoint]
        if request.method == "DELETE":
            del self.endpoints[endpoint]
            return json_response({"id": endpoint, "object": "webhook_endpoint", "deleted": True})
        if request.method == "POST":
            form = form or {}
            if "url" in form:
                kept["url"] = form["url"][0]
            events = [v for k, vs in form.items() if k.startswith("enabled_events") for v in vs]
            if events:
                kept["enabled_events"] = events
        # Stripe shows the signing secret only when the endpoint is created.
        return json_response({k: v for k, v in kept.items() if k != "secret"})


def error(status: int, kind: str, message: str, code: str | None = None) -> Response:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return json_response({"error": error}, status)

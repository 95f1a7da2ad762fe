"""A local stand-in for the Stripe API's webhook endpoints, as envkeeper's
StripeWebhookEndpoint provider calls them (through Stripe's official SDK, pointed here with
STRIPE_API_BASE): create, list, retrieve, update, delete.

It answers as Stripe does: form-encoded requests, `{"error": {...}}` bodies, and an
endpoint's signing secret only in the answer to its creation. A POST with an
Idempotency-Key is idempotent as Stripe documents it: once the request began executing,
its status and body are saved under the key, and a request with the same key and the same
parameters gets that saved answer again (with `Idempotent-Replayed: true`) and makes
nothing; the same key with other parameters is refused with a 400 `idempotency_error`.
Refusals before execution (a 429, a 5xx in front of the API, a bad request) save nothing.
Stripe prunes keys after a day: `forget_idempotency_keys` plays that. Every request is
recorded (tests/standin.py).
"""

from __future__ import annotations

import itertools
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.standin import Handler, StandIn, json_response

LATEST_API_VERSION = "2025-09-30.clover"
CREATED = 1_796_000_000  # a Unix time, as Stripe's `created`


class StripeApi(StandIn):
    """One account's webhook endpoints."""

    vendor = "stripe"

    def __init__(self, server: HTTPServer, admin_key: str) -> None:
        super().__init__(server)
        self.admin_key = admin_key
        self.endpoints: dict[str, dict[str, Any]] = {}
        # Idempotency-Key -> (the request's parameters, the saved status and body)
        self.saved: dict[str, tuple[Any, int, bytes]] = {}
        self._serial = itertools.count(1)

    def authorized(self, request: Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.admin_key}"

    def refused(self) -> Response:
        return error(401, "invalid_request_error", "Invalid API Key provided")

    def not_found(self, path: str) -> Response:
        return error(404, "invalid_request_error", f"Unrecognized request URL (GET: {path})")

    def failure(self, status: int) -> Response:
        if status == 429:
            return error(
                429,
                "invalid_request_error",
                "Request rate limit exceeded. Learn more about rate limits here "
                "https://stripe.com/docs/rate-limits.",
                code="rate_limit",
            )
        return error(status, "api_error", "An unknown error occurred")

    def routes(self) -> list[tuple[str, Handler]]:
        return [
            ("/v1/webhook_endpoints", self._collection),
            ("/v1/webhook_endpoints/(we_[A-Za-z0-9]+)", self._endpoint),
        ]

    def secrets(self) -> dict[str, str]:
        """Endpoint id -> its signing secret (tests only)."""
        return {i: e["secret"] for i, e in self.endpoints.items()}

    def forget_idempotency_keys(self) -> None:
        """A day has passed: Stripe no longer knows any key."""
        self.saved.clear()

    def dispatch(self, request: Request, path: str, body: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        if request.method != "POST" or not key:
            return super().dispatch(request, path, body)
        params = (path, body)
        if key in self.saved:
            first, status, saved = self.saved[key]
            if first != params:
                return error(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with.",
                )
            replay = Response(saved, status=status, content_type="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        answer = super().dispatch(request, path, body)
        if answer.status_code < 400:  # the endpoint ran: its answer is kept for the key
            self.saved[key] = (params, answer.status_code, answer.get_data())
        return answer

    def _collection(self, request: Request, form: Any) -> Response:
        if request.method == "GET":
            return self._list(request)
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
            "created": CREATED + len(self.endpoints),
            "description": (form.get("description") or [None])[0],
            "metadata": _metadata(form),
            "status": "enabled",
            "livemode": False,
            "connect": (form.get("connect") or ["false"])[0] == "true",
            "secret": f"whsec_CANARY-{endpoint}-5e1d",
        }
        return json_response(self.endpoints[endpoint])

    def _list(self, request: Request) -> Response:
        limit = int(request.args.get("limit", "10"))
        after = request.args.get("starting_after")
        ids = sorted(self.endpoints)
        start = ids.index(after) + 1 if after in ids else 0
        page = ids[start : start + limit]
        return json_response(
            {
                "object": "list",
                "url": "/v1/webhook_endpoints",
                "has_more": start + limit < len(ids),
                "data": [_shown(self.endpoints[i]) for i in page],
            }
        )

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
            for field in ("url", "description"):
                if field in form:
                    kept[field] = form[field][0]
            events = [v for k, vs in form.items() if k.startswith("enabled_events") for v in vs]
            if events:
                kept["enabled_events"] = events
            kept["metadata"].update(_metadata(form))
        return json_response(_shown(kept))


def _metadata(form: dict[str, list[str]]) -> dict[str, str]:
    return {k[len("metadata[") : -1]: v[0] for k, v in form.items() if k.startswith("metadata[")}


def _shown(endpoint: dict[str, Any]) -> dict[str, Any]:
    # Stripe shows the signing secret only when the endpoint is created.
    return {k: v for k, v in endpoint.items() if k != "secret"}


def error(status: int, kind: str, message: str, code: str | None = None) -> Response:
    error: dict[str, Any] = {"type": kind, "message": message}
    if code:
        error["code"] = code
    return json_response({"error": error}, status)

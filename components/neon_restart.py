"""Restarting a created Neon project's compute endpoint: the end of every pooled session.

Ending a login's backends does not end a session held through Neon's pooler (PgBouncer):
the client stays connected to the pooler, which serves it with server connections the
Workers open with the new password (tests/test_pooled_sessions.py shows it on a real
PgBouncer). Neon has no console on its pooler; restarting the branch's compute endpoint
drops every connection, pooled ones included. So a stack that creates its project has an
`EndpointRestart` while `envkeeper:neon.restartEndpoint` names a day: when that day moves
(`emergency` sets it to today), the `up` restarts the endpoint once every new URL has been
delivered and every login's old direct sessions have ended. A routine rotation restarts
nothing unless someone moves the day: the restart drops the Workers' connections for a
moment too.

A restart is safe to repeat; a lost answer or a 429/5xx is tried again.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.neon_calls import part
from components.neon_key import NeonKeyProvider
from components.vendor_calls import VendorError

INPUTS = ("project_id", "endpoint_id", "requested")


class EndpointRestartError(VendorError):
    pass


_RUNTIME: dict[str, str | None] = {}


class EndpointRestartProvider(NeonKeyProvider):
    runtime = _RUNTIME
    error = EndpointRestartError

    def _restart(self, props: dict[str, Any]) -> dict[str, Any]:
        endpoint = str(props["endpoint_id"])
        where = f"envkeeper:neon.restartEndpoint: restarting compute endpoint {endpoint}"
        project = str(props["project_id"])
        path = f"/projects/{part(project)}/endpoints/{part(endpoint)}/restart"
        self.neon(where).act(path, project)
        return {k: props[k] for k in INPUTS if k in props}

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._restart(props)
        return CreateResult(id_=f"{props['project_id']}/{props['endpoint_id']}", outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._restart(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None  # a restart is not undone

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in INPUTS if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], stables=[])


class EndpointRestart(Resource, module="envkeeper", name="EndpointRestart"):
    """Restarts the endpoint when `requested` (a day) moves; after everything in `opts`'
    depends_on."""

    def __init__(
        self,
        name: str,
        project_id: pulumi.Input[str],
        endpoint_id: pulumi.Input[str],
        requested: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            EndpointRestartProvider(),
            name,
            {"project_id": project_id, "endpoint_id": endpoint_id, "requested": requested},
            opts,
        )

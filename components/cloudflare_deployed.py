"""What is deployed on a stack's Workers and zones, as Cloudflare lists it: each Worker's
versions and deployments, each zone's Worker routes. Ids, times and sources only, never a
version's content or message (envkeeper/infra/worker_code.py says why they are listed).

The Worker secrets' provider records these after each put; the orphan check lists them to
compare. Imports no Pulumi; the SDK retries as components/vendor_calls.py bounds it.
"""

from __future__ import annotations

from typing import Any

from envkeeper.infra.worker_code import DEPLOYMENTS, ROUTES, VERSIONS, Deployed, route_mark

VERSIONS_PAGE = 100  # the most Cloudflare lists at once


def worker_listed(client: Any, account: str, worker: str) -> list[Deployed]:
    """The Worker's versions (every page) and deployments, newest first."""
    found: list[Deployed] = []
    versions = client.workers.scripts.versions.list(
        worker, account_id=account, per_page=VERSIONS_PAGE
    )
    for version in versions:
        metadata = version.metadata
        found.append(
            Deployed(
                "version",
                worker,
                str(version.id),
                str(getattr(metadata, "created_on", None) or ""),
                str(getattr(metadata, "source", None) or ""),
            )
        )
    # The SDK's pager reads this list's `result.deployments` as no items: asked as it is.
    answer = client.get(f"/accounts/{account}/workers/scripts/{worker}/deployments", cast_to=object)
    for deployment in ((answer or {}).get("result") or {}).get("deployments") or []:
        found.append(
            Deployed(
                "deployment",
                worker,
                str(deployment.get("id") or ""),
                str(deployment.get("created_on") or ""),
                str(deployment.get("source") or ""),
            )
        )
    return found


def zone_routes(client: Any, zone: str) -> list[Deployed]:
    """The zone's Worker routes, each with a mark of what it matches and runs: a route the
    deploy token changes in place keeps its id, not its mark."""
    return [
        Deployed("route", zone, str(r.id), "", str(r.script or ""), route_mark(r.pattern, r.script))
        for r in client.workers.routes.list(zone_id=zone)
    ]


def record_of(client: Any, account: str, worker: str, zones: list[str]) -> dict[str, Any]:
    """What a put leaves in the state: the ids on its Worker and on the stack's zones."""
    listed = worker_listed(client, account, worker)
    return {
        "worker": worker,
        VERSIONS: [d.id for d in listed if d.kind == "version"],
        DEPLOYMENTS: [d.id for d in listed if d.kind == "deployment"],
        ROUTES: {zone: [d.kept for d in zone_routes(client, zone)] for zone in zones},
    }

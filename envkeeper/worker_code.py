"""Worker code no deploy of this stack recorded: the versions and deployments on the stack's
Workers and the routes on its zones that someone holding a deploy token added since
envkeeper last put a secret there.

Why a record: a leaked deploy token (Workers Scripts Write, Workers Routes Write) can
upload and deploy code of its holder's, and route a zone's traffic to it. Cloudflare's
lists cannot tell that code from the team's: the token is the team's. Only a trusted
deploy can say what it saw. envkeeper's `up` is that deploy (a reviewed commit of main, in
the stack's protected environment): each Worker secret it puts records, in the state, the
ids of every version and deployment of its Worker and every route on the stack's zones
right after the put (components/worker_secret.py). The team's own app deploys made since
then are listed too, until the next put records them; the list gives each one's time and
source so a person can match it to a run of the deploy job.

What the record cannot do: vouch for code against what was already live when the put ran.
That is why the incident playbook has the Workers redeployed from a trusted commit, and
unknown routes removed, before the `up` that puts every secret again.

Ids, times and sources only: a version's message is the uploader's text, never printed.
Pure: the Cloudflare calls are in components/cloudflare_deployed.py.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from envkeeper.resource_types import WORKER_SECRET

# The state's Worker secrets hold the record, in this output.
RECORD = "record"
VERSIONS, DEPLOYMENTS, ROUTES = "versions", "deployments", "routes"


@dataclass(frozen=True)
class Deployed:
    """One version, deployment or route, as Cloudflare lists it: never its content."""

    kind: str  # "version", "deployment" or "route"
    where: str  # the Worker's name, or the zone's id for a route
    id: str
    made: str = ""  # when Cloudflare says it was made ("" for a route: it keeps no time)
    source: str = ""  # how: wrangler, api, dash...; for a route, the Worker it runs


@dataclass
class Record:
    """Ids a deploy of this stack saw, by Worker (versions, deployments) and by zone."""

    versions: dict[str, set[str]] = field(default_factory=dict)
    deployments: dict[str, set[str]] = field(default_factory=dict)
    routes: dict[str, set[str]] = field(default_factory=dict)

    def add(self, kept: Any) -> None:
        """Add one Worker secret's kept record (its `record` output), if it is one."""
        if not isinstance(kept, dict):
            return
        worker = kept.get("worker")
        if not isinstance(worker, str):
            return
        for name, into in ((VERSIONS, self.versions), (DEPLOYMENTS, self.deployments)):
            into.setdefault(worker, set()).update(_strings(kept.get(name)))
        routes = kept.get(ROUTES)
        if isinstance(routes, dict):
            for zone, ids in routes.items():
                self.routes.setdefault(str(zone), set()).update(_strings(ids))


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def recorded(export: dict[str, Any]) -> Record:
    """Every record the stack's Worker secrets keep, joined (read from `pulumi stack
    export`). A value the state encrypted never reaches here: the record is plain."""
    found = Record()
    deployment = export.get("deployment") or {}
    for resource in deployment.get("resources") or []:
        outputs = resource.get("outputs") or {}
        if resource.get("type") == WORKER_SECRET and isinstance(outputs, dict):
            found.add(outputs.get(RECORD))
    return found


def unrecorded(
    listed: list[Deployed], record: Record, workers: list[str], zones: list[str]
) -> tuple[list[Deployed], list[str]]:
    """What no record holds, and the Workers no put has recorded yet (everything on them
    would be listed, so they are named instead)."""
    fresh = [w for w in workers if w not in record.versions]
    kept = {
        "version": record.versions,
        "deployment": record.deployments,
        "route": record.routes,
    }
    found = [
        d
        for d in listed
        if d.where not in fresh
        and (d.kind == "route" or d.where in workers)
        and (d.kind != "route" or d.where in zones)
        and d.id not in kept[d.kind].get(d.where, set())
    ]
    # A route is only judged once some put has recorded the zones.
    if not record.routes:
        found = [d for d in found if d.kind != "route"]
    return found, fresh


# What a person does about each one; said once, under the list.
FIX = (
    "Match each to a run of your app's deploy job by its time. One nobody on the team made "
    "is an incident: `envkeeper emergency {stack}` (redeploy each Worker from a trusted "
    "commit, delete the routes nobody made, then the up puts every secret again and "
    "records what is deployed)."
)
NOT_YET = (
    "no record yet for {workers}: envkeeper records what is deployed there the next time an "
    "up puts one of its secrets"
)


def _line(d: Deployed) -> str:
    if d.kind == "route":
        return f"  route {d.id} on zone {d.where} (runs {d.source or 'no Worker'})"
    return f"  {d.kind} {d.id} of Worker {d.where} (made {d.made or '?'} by {d.source or '?'})"


def as_text(stack: str, found: list[Deployed], fresh: list[str]) -> str:
    lines = []
    if found:
        count = f"{len(found)} version{'s' if len(found) != 1 else ''}, deployment(s) or route(s)"
        lines.append(f"{stack}: {count} on its Workers and zones no deploy of this stack recorded:")
        lines += [_line(d) for d in found]
        lines.append(FIX.format(stack=stack))
    else:
        lines.append(
            f"{stack}: every version, deployment and route on its Workers and zones was "
            "recorded by one of its deploys."
        )
    if fresh:
        lines.append(f"{stack}: " + NOT_YET.format(workers=", ".join(fresh)))
    return "\n".join(lines) + "\n"


def as_markdown(stack: str, found: list[Deployed], fresh: list[str]) -> str:
    lines = [""]
    if not found:
        lines += [
            f"### {stack}: no unrecorded Worker code",
            "",
            "Every version, deployment and route on its Workers and zones was recorded by "
            "one of its deploys.",
        ]
    else:
        lines += [
            f"### {stack}: {len(found)} version(s), deployment(s) or route(s) no deploy recorded",
            "",
            FIX.format(stack=stack),
            "",
            "| what | Worker or zone | id | made | source |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {d.kind} | `{d.where}` | `{d.id}` | {d.made or '-'} | {d.source or '-'} |"
            for d in found
        ]
    if fresh:
        lines += ["", NOT_YET.format(workers=", ".join(f"`{w}`" for w in fresh)).capitalize()]
    return "\n".join(lines) + "\n"


def as_json(found: list[Deployed], fresh: list[str]) -> dict[str, Any]:
    return {"unrecorded": [asdict(d) for d in found], "not_yet_recorded": fresh}

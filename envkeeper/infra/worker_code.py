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
then are listed too, until the next put records them; a person matches each by its id to
what the deploy job uploaded (not by its time: the token's holder can deploy seconds
later).

What the record cannot do: vouch for code against what was already live when the put ran.
That is why the incident playbook has the Workers redeployed from a trusted commit, and
unknown routes removed, before the `up` that puts every secret again.

Ids, times and sources only: a version's message is the uploader's text, never printed.
Pure: the Cloudflare calls are in components/cloudflare_deployed.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from envkeeper.doors.markdown import inline
from envkeeper.infra.resource_types import WORKER_SECRET

# The state's Worker secrets hold the record, in this output.
RECORD = "record"
VERSIONS, DEPLOYMENTS, ROUTES = "versions", "deployments", "routes"


@dataclass(frozen=True)
class Deployed:
    """One version, deployment or route, as Cloudflare lists it: never its content."""

    kind: str  # "version", "deployment", "route", "changed route" or "removed route"
    where: str  # the Worker's name, or the zone's id for a route
    id: str
    made: str = ""  # when Cloudflare says it was made ("" for a route: it keeps no time)
    source: str = ""  # how: wrangler, api, dash...; for a route, the Worker it runs
    mark: str = ""  # a route's: what it matches and runs, as route_mark makes it

    @property
    def kept(self) -> str:
        """What a record keeps of it: the id, and a route's mark with it."""
        return f"{self.id}:{self.mark}" if self.mark else self.id


def route_mark(pattern: Any, script: Any) -> str:
    """A digest of what a route matches and which Worker it runs: a route the deploy token
    points elsewhere keeps its id but not its mark. Never the pattern itself: the state
    keeps marks, and a pattern is the route maker's text."""
    text = f"{pattern or ''}\0{script or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


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
    """What no record holds (a route changed in place or gone included), and the Workers
    no put has recorded yet (everything on them would be listed, so they are named)."""
    fresh = [w for w in workers if w not in record.versions]
    found: list[Deployed] = []
    for d in listed:
        if d.kind == "route":
            continue
        if d.where in workers and d.where not in fresh:
            kept = record.versions if d.kind == "version" else record.deployments
            if d.id not in kept.get(d.where, set()):
                found.append(d)
    if record.routes:  # routes are judged once some put has recorded the zones
        found += _unrecorded_routes([d for d in listed if d.kind == "route"], record, zones)
    return found, fresh


def _unrecorded_routes(listed: list[Deployed], record: Record, zones: list[str]) -> list[Deployed]:
    found = []
    for zone in zones:
        kept = record.routes.get(zone, set())
        ids = {k.split(":", 1)[0] for k in kept}
        here = [d for d in listed if d.where == zone]
        for d in here:
            if d.kept not in kept:
                kind = "changed route" if d.id in ids else "route"
                found.append(Deployed(kind, zone, d.id, "", d.source, d.mark))
        now = {d.id for d in here}
        found += [Deployed("removed route", zone, i) for i in sorted(ids - now)]
    return found


# What a person does about each one; said once, under the list.
FIX = (
    "Match each to your app's deploy job by its id (`wrangler deploy` prints the version id "
    "it uploads), not by its time: the token's holder can deploy seconds after you. One "
    "nobody on the team made is an incident: `envkeeper emergency {stack}` (redeploy each "
    "Worker from a trusted commit, restore or delete the routes nobody changed or made, "
    "turn off Version URLs, then the up puts every secret again and records what is "
    "deployed)."
)
NOT_YET = (
    "no record yet for {workers}: nothing can be said of what is deployed there until an up "
    "puts one of its secrets and records it (the first up of this envkeeper version puts "
    "every Worker secret once for that)"
)


def _line(d: Deployed) -> str:
    if d.kind == "removed route":
        return f"  removed route {d.id} on zone {d.where} (recorded, now gone)"
    if d.kind.endswith("route"):
        return f"  {d.kind} {d.id} on zone {d.where} (runs {_plain(d.source) or 'no Worker'})"
    made, source = _plain(d.made) or "?", _plain(d.source) or "?"
    return f"  {d.kind} {d.id} of Worker {d.where} (made {made} by {source})"


def _plain(text: str) -> str:
    """Cloudflare's text, one line of printable characters: nothing it says can draw on
    the terminal or break a table."""
    return "".join(c for c in " ".join(text.split()) if c.isprintable())[:60]


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
            f"| {d.kind} | `{d.where}` | `{d.id}` | {inline(_plain(d.made)) or '-'} | "
            f"{inline(_plain(d.source)) or '-'} |"
            for d in found
        ]
    if fresh:
        lines += ["", NOT_YET.format(workers=", ".join(f"`{w}`" for w in fresh)).capitalize()]
    return "\n".join(lines) + "\n"


def as_json(found: list[Deployed], fresh: list[str]) -> dict[str, Any]:
    return {"unrecorded": [asdict(d) for d in found], "not_yet_recorded": fresh}

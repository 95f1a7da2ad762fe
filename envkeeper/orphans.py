"""Orphans: live credentials at a vendor that carry envkeeper's name for this stack, but
that the stack's state does not hold.

They come from creates whose answer never reached the state: the bridged Cloudflare
provider retrying a token create whose first answer was lost, or a runner killed right
after a vendor made something. Nobody rotates them and nothing deletes them, so
`envkeeper orphans` lists them (the daily drift check, `access-review --vendors`) and
deletes them with `--delete` (the deploy workflow, after every `pulumi up`).

What the state holds is read from `pulumi stack export`, whole: live resources, those
pending deletion (a replaced credential is deleted last, at the end of an `up`) and the
ids of interrupted operations. Only names of `envkeeper/vendors/naming.py`'s form with this
stack's mark count: a credential someone made by hand, another stack's or another
product's, or one named before names carried dates, is never an orphan.

Pure: the vendor calls are in components/vendor_credentials.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from envkeeper import vendors
from envkeeper.settings import Settings

CLOUDFLARE, RESEND, STRIPE = "cloudflare", "resend", "stripe"

# Each vendor's credential: its Pulumi type in the state, what its name calls it, and what
# people call it.
STATE_TYPES = {
    CLOUDFLARE: "cloudflare:index/accountToken:AccountToken",
    RESEND: vendors.RESEND_KEY_TYPE,
    STRIPE: vendors.STRIPE_ENDPOINT_TYPE,
}
NAME_KINDS = {
    CLOUDFLARE: vendors.DEPLOY_TOKEN,
    RESEND: vendors.SENDING_KEY,
    STRIPE: vendors.WEBHOOK,
}
WHAT = {CLOUDFLARE: "account token", RESEND: "API key", STRIPE: "webhook endpoint"}


@dataclass(frozen=True)
class Credential:
    """A credential as its vendor lists it: never its value."""

    vendor: str
    id: str
    name: str
    made: str  # when the vendor says it was made, as it says it


def vendors_of(settings: Settings) -> list[str]:
    """The vendors where this stack's program mints credentials."""
    found = [CLOUDFLARE]
    if settings.resend is not None:
        found.append(RESEND)
    if settings.stripe is not None:
        found.append(STRIPE)
    return found


def known_ids(export: dict[str, Any]) -> dict[str, set[str]]:
    """Every credential id the state holds, by vendor: of live resources, of those pending
    deletion, and of interrupted updates and deletes."""
    deployment = export.get("deployment") or {}
    resources = list(deployment.get("resources") or [])
    resources += [op.get("resource") or {} for op in deployment.get("pending_operations") or []]
    by_type = {kind: vendor for vendor, kind in STATE_TYPES.items()}
    found: dict[str, set[str]] = {vendor: set() for vendor in STATE_TYPES}
    for resource in resources:
        vendor = by_type.get(resource.get("type", ""))
        if vendor and resource.get("id"):
            found[vendor].add(str(resource["id"]))
    return found


def interrupted_creates(export: dict[str, Any]) -> list[str]:
    """The Pulumi names of the resources a killed `up` was creating when it died."""
    deployment = export.get("deployment") or {}
    return [
        str((op.get("resource") or {}).get("urn", "")).rsplit("::", 1)[-1]
        for op in deployment.get("pending_operations") or []
        if op.get("type") == "creating"
    ]


def orphans(
    settings: Settings, listed: list[Credential], known: dict[str, set[str]]
) -> list[Credential]:
    """The listed credentials named for this stack that the state does not hold."""
    return [
        c
        for c in listed
        if vendors.is_named_for(settings, NAME_KINDS[c.vendor], c.name)
        and c.id not in known.get(c.vendor, set())
    ]


def as_text(stack: str, found: list[Credential], deleted: bool) -> str:
    if not found:
        return f"{stack}: every credential envkeeper named for this stack is in its state.\n"
    verb = "deleted" if deleted else "found"
    lines = [
        f"{stack}: {verb} {len(found)} credential{'s' if len(found) != 1 else ''} envkeeper "
        "named for this stack that its state does not hold (orphans):"
    ]
    lines += [f"  {c.vendor} {WHAT[c.vendor]} {c.id}  {c.name}  (made {c.made})" for c in found]
    if not deleted:
        lines.append(
            f"Delete them with `envkeeper orphans {stack} --delete` (the deploy workflow "
            "does after every pulumi up)."
        )
    return "\n".join(lines) + "\n"


def as_markdown(stack: str, found: list[Credential], deleted: bool) -> str:
    if not found:
        return (
            f"### {stack}: no orphaned credential\n\n"
            "Every credential envkeeper named for this stack is in its state.\n"
        )
    lines = [
        f"### {stack}: {len(found)} orphaned credential{'s' if len(found) != 1 else ''}"
        + (" (deleted)" if deleted else ""),
        "",
        "Live at the vendor with envkeeper's name for this stack, but in no state: made by a "
        "create whose answer was lost, or by a deploy that died. The next deploy deletes "
        f"them (`envkeeper orphans {stack} --delete`).",
        "",
        "| vendor | what | id | name | made |",
        "| --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {c.vendor} | {WHAT[c.vendor]} | `{c.id}` | `{c.name}` | {c.made} |" for c in found
    ]
    return "\n".join(lines) + "\n"


def as_json(stack: str, found: list[Credential], deleted: bool) -> str:
    return json.dumps(
        {"stack": stack, "deleted": deleted, "orphans": [asdict(c) for c in found]}, indent=2
    )

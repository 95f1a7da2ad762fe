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
stack's mark count, and where the vendor keeps metadata (Stripe) only what it says was made
for this stack: a credential someone made by hand, another stack's or another product's,
or one named before names carried dates or the owner, is never an orphan.

Pure: the vendor calls are in components/vendor_credentials.py.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from envkeeper import vendors
from envkeeper.infra.github_inventory import Unmanaged
from envkeeper.stack.settings import Settings
from envkeeper.vendors.resend import RESEND_KEY_TYPE, SENDING_KEY
from envkeeper.vendors.stripe import STRIPE_ENDPOINT_TYPE, WEBHOOK

CLOUDFLARE, RESEND, STRIPE = "cloudflare", "resend", "stripe"

# Each vendor's credential: its Pulumi type in the state, what its name calls it, and what
# people call it.
STATE_TYPES = {
    CLOUDFLARE: "cloudflare:index/accountToken:AccountToken",
    RESEND: RESEND_KEY_TYPE,
    STRIPE: STRIPE_ENDPOINT_TYPE,
}
NAME_KINDS = {
    CLOUDFLARE: vendors.DEPLOY_TOKEN,
    RESEND: SENDING_KEY,
    STRIPE: WEBHOOK,
}
WHAT = {CLOUDFLARE: "account token", RESEND: "API key", STRIPE: "webhook endpoint"}


@dataclass(frozen=True)
class Credential:
    """A credential as its vendor lists it: never its value."""

    vendor: str
    id: str
    name: str
    made: str  # when the vendor says it was made, as it says it
    # Whose the vendor's metadata says it is (a stack identity), where the vendor keeps
    # metadata (Stripe); None where it keeps none.
    made_for: str | None = None


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
    """The listed credentials named for this stack that the state does not hold. Where the
    vendor keeps metadata, it must also say the credential was made for this stack: a name
    alone ends in a 40-bit digest, which another product's stack could share."""
    identity = vendors.stack_identity(settings)
    return [
        c
        for c in listed
        if vendors.is_named_for(settings, NAME_KINDS[c.vendor], c.name)
        and c.made_for in (None, identity)
        and c.id not in known.get(c.vendor, set())
    ]


def as_text(
    stack: str, found: list[Credential], deleted: bool, extra: list[Unmanaged] | None = None
) -> str:
    return _orphans_text(stack, found, deleted) + _unmanaged_text(stack, extra or [])


def _orphans_text(stack: str, found: list[Credential], deleted: bool) -> str:
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


def _unmanaged_text(stack: str, extra: list[Unmanaged]) -> str:
    if not extra:
        return f"{stack}: its GitHub environments hold only what envkeeper put there.\n"
    lines = [
        f"{stack}: {len(extra)} GitHub environment secret{'s' if len(extra) != 1 else ''} or "
        "variable(s) envkeeper did not put there (never deleted by envkeeper):"
    ]
    lines += [f"  {u.environment} {u.kind} {u.name}" for u in extra]
    lines.append(UNMANAGED_FIX)
    return "\n".join(lines) + "\n"


# What a person does about an unmanaged entry: it is a signal, not something to sweep.
UNMANAGED_FIX = (
    "A variable there overrides the repository's in the deploy job. Find out who added "
    "each (GitHub's audit log), then delete it, or declare it in envkeeper:secrets so "
    "envkeeper delivers it."
)


def as_markdown(
    stack: str, found: list[Credential], deleted: bool, extra: list[Unmanaged] | None = None
) -> str:
    return _orphans_markdown(stack, found, deleted) + _unmanaged_markdown(stack, extra or [])


def _unmanaged_markdown(stack: str, extra: list[Unmanaged]) -> str:
    if not extra:
        return (
            f"\n### {stack}: no unmanaged GitHub secret or variable\n\n"
            "Its GitHub environments hold only what envkeeper put there.\n"
        )
    lines = [
        "",
        f"### {stack}: {len(extra)} GitHub secret(s) or variable(s) envkeeper did not put there",
        "",
        UNMANAGED_FIX,
        "",
        "| environment | kind | name |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{u.environment}` | {u.kind} | `{u.name}` |" for u in extra]
    return "\n".join(lines) + "\n"


def _orphans_markdown(stack: str, found: list[Credential], deleted: bool) -> str:
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


def as_json(
    stack: str, found: list[Credential], deleted: bool, extra: list[Unmanaged] | None = None
) -> str:
    return json.dumps(
        {
            "stack": stack,
            "deleted": deleted,
            "orphans": [asdict(c) for c in found],
            "unmanaged": [asdict(u) for u in extra or []],
        },
        indent=2,
    )

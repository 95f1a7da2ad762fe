"""The quarterly access review: who and what can reach one environment, from config."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from envkeeper.doors import markdown
from envkeeper.guards.orphans import UNMANAGED_FIX, Credential
from envkeeper.infra import cloudflare as cf
from envkeeper.infra import database as db
from envkeeper.infra import github as gh
from envkeeper.infra.github_inventory import Unmanaged
from envkeeper.rotation.schedule import stack_status, standby_dies
from envkeeper.stack import catalog
from envkeeper.stack.catalog import Source
from envkeeper.stack.destinations import targets
from envkeeper.stack.settings import Settings
from envkeeper.vendors import MINTED_VENDORS
from envkeeper.vendors.resend import resend_key_name

# What a person compares at each vendor whose credentials envkeeper mints.
_PHRASES = [vendor.review_phrase for vendor in MINTED_VENDORS]
_AT_THE_VENDORS = " and ".join(
    [", ".join(_PHRASES[:-1]), _PHRASES[-1]] if _PHRASES[1:] else _PHRASES
)
CHECKLIST = [
    "Every reviewer above still works here and still needs to approve production deploys",
    "Nobody who left has a personal Cloudflare, Neon, Stripe, Resend or GitHub credential "
    "for this environment (deploy tokens are account-owned and survive offboarding)",
    "The active deploy token's expiry is in the future and each token's scope is only what "
    "CI deploys; a standby marked expired no longer works, as intended",
    "Each database role has only the privileges listed; no role was added by hand",
    "Each secret goes only where listed; nothing is overdue (`envkeeper rotation status`)",
    f"{_AT_THE_VENDORS[:1].upper()}{_AT_THE_VENDORS[1:]} for this environment are only the "
    "ones listed above (or the one pasted by hand)",
    "Each admin credential belongs to a service account or the organization, not a person, "
    "and has no more scope than its line above says",
    "No credential at a vendor carries envkeeper's name for this stack without being in its "
    "state (the orphans section; `envkeeper orphans STACK --delete` removes them)",
    "Pulumi Cloud grants this stack's deploy and drift team tokens only to envkeeper's own "
    "workflows on main: each OIDC policy pins the environment, `job_workflow_ref` and `ref` "
    "(docs/github.md: Pulumi Cloud)",
]


# How each kind of standby credential ends on its day: a minted vendor's keys cannot
# expire, so envkeeper deletes them.
STANDBY_END: dict[str, str] = {
    Source.NEON: "its login's VALID UNTIL; the next `pulumi up` also removes its password "
    "and ends its sessions",
    Source.CLOUDFLARE_TOKEN: "the token's own expiry",
    **{
        str(v.minted.source): f"{v.title} {v.credential_noun}s cannot expire: the first "
        "`pulumi up` from that day deletes it"
        for v in MINTED_VENDORS
        if v.minted.two_slots
    },
}


def _on(grant: db.GrantSpec) -> str:
    if grant.object_type == "database":
        return (
            "the maintenance database"
            if grant.database == db.MAINTENANCE_DATABASE
            else "the database"
        )
    if grant.object_type == "schema":
        return f"schema {grant.schema}"
    return f"all {grant.object_type}s in {grant.schema}"


def _privileges(role: str) -> list[str]:
    now = [
        f"{', '.join(g.privileges) or 'nothing'} on {_on(g)}" for g in db.GRANTS if g.role == role
    ]
    later = [
        f"{', '.join(g.privileges)} on future {g.object_type}s in {g.schema or 'every schema'} "
        "(default privileges)"
        for g in db.DEFAULT_GRANTS
        if g.role == role
    ]
    if role == db.OWNER:
        now.append(f"owns schema {db.SCHEMA} and all in it")
    spec = next((r for r in db.ROLES if r.name == role), None)
    if spec is not None and spec.assumes:
        now.append(f"works as {spec.assumes} (every session)")
    return now + later


def _resend_keys(settings: Settings) -> list[dict[str, Any]] | None:
    """The two sending keys envkeeper mints, when it mints them: each slot's key is made by
    the `up` that applies its date, and the standby's end is the one rotation decides."""
    if settings.resend is None:
        return None
    entry = settings.catalog["RESEND_API_KEY"]
    slots = settings.slots(entry.name)
    standby_end = standby_dies(settings, entry)
    return [
        {
            "slot": slot,
            "name": resend_key_name(settings, slot),
            "active": slot == slots.active,
            "made_on": slots.date_of(slot).isoformat(),
            # None: it lives until its slot is bumped in turn, which deletes it.
            "dies_on": None
            if slot == slots.active or standby_end is None
            else standby_end.isoformat(),
            "access": f"sending only, domain {settings.resend.domain}",
        }
        for slot in catalog.SLOTS
    ]


def _stripe_webhook(settings: Settings) -> dict[str, Any] | None:
    """The webhook endpoint envkeeper owns, when it owns it; made by the `up` that applies
    STRIPE_WEBHOOK_SECRET's date (a new date or apiVersion makes a new endpoint)."""
    if settings.stripe is None:
        return None
    webhook = settings.stripe.webhook
    return {
        "url": webhook.url,
        "events": list(webhook.events),
        "api_version": webhook.api_version,
        "connect": webhook.connect,
        "made_on": settings.single_date("STRIPE_WEBHOOK_SECRET").isoformat(),
    }


@dataclass(frozen=True)
class AccessReview:
    """The review's record of one stack on one day. Rows are plain data, as `as_json` gives
    them; `as_markdown` is the same record fit to file."""

    stack: str
    environment: str
    reviewed_on: str
    deploys: dict[str, Any]
    deploy_tokens: list[dict[str, Any]]
    resend_keys: list[dict[str, Any]] | None
    stripe_webhook: dict[str, Any] | None
    database_roles: list[dict[str, Any]]
    secrets: list[dict[str, Any]]
    admin_credentials: list[dict[str, Any]]  # the providers' own: the most powerful
    standbys: list[dict[str, Any]]
    workers: dict[str, list[str]]  # least privilege: what a leak of each would expose
    local_development: bool  # every reader of the stack may copy the Workers' values
    orphans: list[dict[str, Any]] | None  # None: the vendors were not asked
    # Secrets and variables in its GitHub environments envkeeper did not put there.
    unmanaged: list[dict[str, Any]] | None
    checklist: list[str]

    def as_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def review(
    stack: str,
    settings: Settings,
    today: date,
    orphans: list[Credential] | None = None,
    unmanaged: list[Unmanaged] | None = None,
) -> AccessReview:
    """The review's record. `orphans` and `unmanaged`: what `envkeeper orphans` found at
    the vendors and in GitHub, or None when they were not asked (`--vendors`)."""
    protection = gh.protection(settings)
    slots = settings.slots("CLOUDFLARE_API_TOKEN")
    policies = cf.deploy_policies(settings)
    return AccessReview(
        stack=stack,
        environment=settings.environment.value,
        reviewed_on=today.isoformat(),
        deploys={
            "repository": settings.github.repository,
            "github_environment": settings.github.environment,
            "reviewer_teams": list(protection.reviewer_teams),
            "reviewer_users": list(protection.reviewer_users),
            "prevent_self_review": protection.prevent_self_review,
            "admins_can_bypass": protection.admins_can_bypass,
            "branches": protection.summary.split("; ")[-1],
        },
        deploy_tokens=[
            {
                "slot": slot,
                "name": cf.token_name(settings, slot),
                "active": slot == slots.active,
                "rotated": slots.date_of(slot).isoformat(),
                "expires_on": cf.token_expiry(settings, slot),
                # A standby dies by design once the grace is over; the record says so.
                "expired": cf.token_dies(settings, slot) <= today,
                "permissions": [p.name for policy in policies for p in policy.permissions],
                "resources": [r for policy in policies for r in policy.resources],
                "ip_allowlist": list(settings.cloudflare.token_ip_allowlist),
            }
            for slot in catalog.SLOTS
        ],
        resend_keys=_resend_keys(settings),
        stripe_webhook=_stripe_webhook(settings),
        database_roles=[
            {
                "role": role.name,
                "login": role.login,
                "purpose": role.purpose,
                "member_of": list(role.member_of),
                "privileges": _privileges(role.name) or [f"those of {', '.join(role.member_of)}"],
            }
            for role in db.ROLES
        ],
        secrets=[
            {
                "name": entry.name,
                "source": entry.description,
                "goes_to": [t.label for t in targets(entry, settings)],
                "rotation_days": entry.rotation_days,
            }
            for entry in settings.catalog.delivered
        ],
        # The providers' own credentials: the most powerful secrets of the stack.
        admin_credentials=[
            {
                "key": row.name,
                "what": settings.catalog[row.name].description,
                "last_rotated": row.last_rotated.isoformat(),
                "due": row.due.isoformat(),
                "state": row.state.value,
            }
            for row in stack_status(stack, settings, today)
            if row.source == Source.PROVIDER.value
        ],
        # When each standby credential stops working (envkeeper/rotation/switch.py: counted from the
        # day its switch was deployed; these dates are for a switch deployed on its date).
        standbys=[
            {
                "name": row.name,
                "slot": "b" if row.active_slot == "a" else "a",
                "dies": row.standby_dies.isoformat(),
                "dead": row.standby_dies <= today,
                "how": STANDBY_END[settings.catalog[row.name].source],
            }
            for row in stack_status(stack, settings, today)
            if row.standby_dies is not None
        ],
        # Least privilege per Worker: what a leak of each one would expose.
        workers={
            worker: list(settings.cloudflare.secrets_of(worker))
            for worker in settings.cloudflare.workers
        },
        local_development=settings.local_development,
        # Live credentials with this stack's names that its state does not hold.
        orphans=None if orphans is None else [asdict(c) for c in orphans],
        unmanaged=None if orphans is None else [asdict(u) for u in unmanaged or []],
        checklist=CHECKLIST,
    )


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def as_markdown(record: AccessReview) -> str:
    data = record.as_json()
    d = data["deploys"]
    reviewers = [f"team `{t}`" for t in d["reviewer_teams"]] + [
        f"@{u}" for u in d["reviewer_users"]
    ]
    lines = [
        f"# Access review: {data['environment']} (stack `{data['stack']}`), {data['reviewed_on']}",
        "",
        "## Who can deploy",
        "",
        f"- GitHub environment `{d['github_environment']}` of `{d['repository']}`",
        f"- Approval by: {', '.join(reviewers) if reviewers else 'nobody (no approval needed)'}",
        f"- Self-review allowed: {'no' if d['prevent_self_review'] else 'yes'}; "
        f"admins can bypass: {'yes' if d['admins_can_bypass'] else 'no'}",
        f"- From: {d['branches']}",
        "",
        "## Deploy tokens (Cloudflare, account-owned)",
        "",
        _row("slot", "name", "active", "rotated", "expires", "permissions", "resources"),
        _row("---", "---", "---", "---", "---", "---", "---"),
    ]
    for t in data["deploy_tokens"]:
        lines.append(
            _row(
                t["slot"],
                t["name"],
                "yes" if t["active"] else "no",
                t["rotated"],
                f"{t['expires_on']} (expired)" if t["expired"] else t["expires_on"],
                ", ".join(t["permissions"]),
                ", ".join(f"`{r}`" for r in t["resources"]),
            )
        )
    lines += ["", "## Resend sending keys (minted by envkeeper)", ""]
    if data["resend_keys"] is None:
        lines.append("None: RESEND_API_KEY is pasted in by hand (envkeeper:resendApiKey).")
    else:
        lines += [_row("slot", "name", "active", "made on", "dies on", "access")]
        lines.append(_row(*["---"] * 6))
        for k in data["resend_keys"]:
            dies = k["dies_on"] or f"when slot {k['slot']} is bumped (Resend keys never expire)"
            active = "yes" if k["active"] else "no"
            lines.append(_row(k["slot"], k["name"], active, k["made_on"], dies, k["access"]))
    lines += ["", "## Stripe webhook endpoint (owned by envkeeper)", ""]
    hook = data["stripe_webhook"]
    if hook is None:
        lines.append("None: STRIPE_WEBHOOK_SECRET is pasted in by hand.")
    else:
        lines += [
            f"- URL: {hook['url']}",
            f"- Events: {', '.join(f'`{e}`' for e in hook['events'])}",
            f"- API version: `{hook['api_version']}`"
            + ("; events from connected accounts (Connect)" if hook["connect"] else ""),
            f"- Made on: {hook['made_on']}",
        ]
    lines += [
        "",
        "## Database roles (Neon)",
        "",
        _row("role", "login", "purpose", "privileges"),
        _row("---", "---", "---", "---"),
    ]
    for r in data["database_roles"]:
        lines.append(
            _row(
                f"`{r['role']}`",
                "yes" if r["login"] else "no",
                r["purpose"],
                "; ".join(r["privileges"]),
            )
        )
    lines += ["", "## Where each secret goes", "", _row("secret", "source", "goes to", "rotation")]
    lines.append(_row("---", "---", "---", "---"))
    for s in data["secrets"]:
        rotation = f"{s['rotation_days']} days" if s["rotation_days"] else "-"
        # A declared secret's description is the project's own text, from Pulumi.yaml.
        source = markdown.inline(s["source"])
        lines.append(_row(f"`{s['name']}`", source, "; ".join(s["goes_to"]), rotation))
    lines += ["", "## Admin credentials (provider config, never delivered)", ""]
    lines += [_row("key", "what", "last rotated", "due", "state"), _row(*["---"] * 5)]
    for c in data["admin_credentials"]:
        lines.append(_row(f"`{c['key']}`", c["what"], c["last_rotated"], c["due"], c["state"]))
    lines += ["", "## Standby credentials: when each stops working", ""]
    lines += [_row("secret", "standby slot", "stops working", "how"), _row(*["---"] * 4)]
    for st in data["standbys"]:
        when = f"{st['dies']} (died)" if st["dead"] else st["dies"]
        lines.append(_row(f"`{st['name']}`", st["slot"], when, st["how"]))
    lines += [
        "",
        "A standby's grace counts from the day its switch was deployed: a switch deployed "
        "after its date ends its standby that much later.",
    ]
    lines += ["", "## What each Worker holds", "", _row("Worker", "secrets"), _row("---", "---")]
    for worker, names in data["workers"].items():
        lines.append(_row(f"`{worker}`", ", ".join(f"`{n}`" for n in names)))
    if data["local_development"]:
        lines += [
            "",
            "Local development is on (`localDevelopment: true`): the stack output "
            "`localDevelopment` holds these values, and everyone who can read this stack can "
            "write them into a local `.dev.vars` (`envkeeper dev-vars`). Count them among "
            "who holds these secrets; a departing one is offboarded from this stack.",
        ]
    lines += ["", "## Credentials no state holds (orphans)", ""]
    if data["orphans"] is None:
        lines.append(
            f"Not looked up: run `envkeeper access-review {data['stack']} --vendors` where "
            "`pulumi` is logged in to this stack (it asks each vendor, names and ids only)."
        )
    elif not data["orphans"]:
        lines.append("None: every credential envkeeper named for this stack is in its state.")
    else:
        lines += [_row("vendor", "id", "name", "made"), _row(*["---"] * 4)]
        for c in data["orphans"]:
            lines.append(_row(c["vendor"], f"`{c['id']}`", f"`{c['name']}`", c["made"]))
    if data["unmanaged"]:
        lines += ["", "## GitHub secrets and variables envkeeper did not put there", ""]
        lines += [UNMANAGED_FIX, "", _row("environment", "kind", "name"), _row(*["---"] * 3)]
        for u in data["unmanaged"]:
            lines.append(_row(f"`{u['environment']}`", u["kind"], f"`{u['name']}`"))
    lines += ["", "## Checklist", ""] + [f"- [ ] {item}" for item in data["checklist"]]
    lines += ["", "Reviewed by: ______________________", ""]
    return "\n".join(lines)

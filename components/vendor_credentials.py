"""Each vendor's credentials as envkeeper lists and deletes them: Cloudflare account tokens,
Resend API keys, Stripe webhook endpoints. Ids, names and creation times only, never a
value; a credential already gone counts as deleted.

The dynamic providers and the orphan check (`envkeeper orphans`) share these. Imports no
Pulumi; every call is bounded and retried as components/vendor_calls.py says.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from components.neon_calls import neon_url, part
from components.vendor_calls import (
    RETRY,
    VendorError,
    cloudflare_answer,
    cloudflare_client,
    httpx_answer,
    refusal,
    resend_answer,
    resend_retried,
    resend_sdk,
    retried,
    stripe_answer,
    stripe_client,
    stripe_retried,
    tries_of,
)
from envkeeper.guards.orphans import CLOUDFLARE, RESEND, STRIPE, WHAT, Credential

T = TypeVar("T")
# The vendors as their users know them, and each one's way of reading a failure.
NAMES = {CLOUDFLARE: "Cloudflare", RESEND: "Resend", STRIPE: "Stripe"}
ANSWERS = {CLOUDFLARE: cloudflare_answer, RESEND: resend_answer, STRIPE: stripe_answer}

# The Stripe metadata key that holds whose an endpoint is (envkeeper/vendors/naming.py's
# stack identity, whole).
STACK_METADATA = "envkeeper_stack"

RESEND_PAGE = 100  # the most keys Resend lists at once
STRIPE_PAGE = 100


def listed_resend_keys(sdk: Any) -> list[dict[str, Any]]:
    """Every API key of the account (id, name, created_at; never a token), page by page."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": RESEND_PAGE, **({"after": after} if after else {})}
        page = sdk.ApiKeys.list(params)
        data = list(page.get("data") or [])
        found += data
        if not page.get("has_more") or not data:
            return found
        after = str(data[-1]["id"])


def remove_resend_key(sdk: Any, key_id: str) -> None:
    try:
        sdk.ApiKeys.remove(key_id)
    except sdk.exceptions.NoContentError:
        return  # deleted; Resend answered with no body
    except sdk.exceptions.ResendError as exc:
        if str(getattr(exc, "code", "")) == "404":
            return  # already gone: the desired state
        raise


def delete_stripe_endpoint(endpoints: Any, endpoint_id: str) -> None:
    try:
        endpoints.delete(endpoint_id)
    except Exception as exc:
        found = stripe_answer(exc)
        if found is not None and found.status == 404:
            return  # already gone: the desired state
        raise


def _explained(
    vendor: str,
    where: str,
    call: Callable[[], T],
    fix: str = "check the stack's admin key for it (the one its provider uses)",
) -> T:
    """`call()`, its vendor's failure turned into one line (`fix`: what to do about a
    refused key)."""
    try:
        return call()
    except Exception as exc:
        found = ANSWERS[vendor](exc)
        if found is None:
            raise
        # The Cloudflare SDK retries by itself: a transient failure got here after them all.
        tries = RETRY.attempts if vendor == CLOUDFLARE and found.transient else tries_of(exc)
        raise VendorError(refusal(where, NAMES[vendor], found, key_fix=fix, tries=tries)) from None


def explained_at_cloudflare(where: str, call: Callable[[], T], fix: str) -> T:
    """`call()` at Cloudflare, a refusal turned into one line saying `where` and `fix`."""
    return _explained(CLOUDFLARE, where, call, fix)


def listed(vendor: str, admin_key: str, account: str) -> list[Credential]:
    """Every credential of `vendor` that this admin key can see (`account`: Cloudflare's)."""
    where = f"listing the {WHAT[vendor]}s at {NAMES[vendor]}"
    return _explained(vendor, where, lambda: _listed(vendor, admin_key, account))


def resend_domains(admin_key: str) -> list[str]:
    """The names of every domain the Resend team of this admin key holds."""

    def names(_attempt: int) -> list[str]:
        listed = resend_sdk(admin_key).Domains.list().get("data") or []
        return [str(d.get("name") or "") for d in listed]

    return _explained(RESEND, "listing the domains at Resend", lambda: resend_retried(names))


def cloudflare_reach(admin_token: str) -> tuple[list[str], list[str]]:
    """The ids of every account and zone this Cloudflare token can see."""

    def seen() -> tuple[list[str], list[str]]:
        client = cloudflare_client(admin_token)
        return [a.id for a in client.accounts.list()], [z.id for z in client.zones.list()]

    return _explained(CLOUDFLARE, "listing the accounts and zones at Cloudflare", seen)


def neon_sees_project(api_key: str, project_id: str) -> bool:
    """Whether this Neon API key reaches the project: Neon answers 404 (or 403) for one the
    key's organization does not hold. NEON_API_URL points it elsewhere, as the tests do."""
    import httpx

    url = f"{neon_url()}/projects/{part(project_id)}"
    headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}

    def ask(_attempt: int) -> int:
        with httpx.Client(timeout=RETRY.timeout) as client:
            answer = client.get(url, headers=headers)
        if answer.status_code not in (403, 404):
            answer.raise_for_status()
        return answer.status_code

    try:
        return retried(ask, httpx_answer) == 200
    except Exception as exc:
        found = httpx_answer(exc)
        if found is None:
            raise
        fix = "check the stack's neon:apiKey"
        where = f"asking Neon whether neon:apiKey reaches project {project_id}"
        raise VendorError(refusal(where, "Neon", found, key_fix=fix, tries=tries_of(exc))) from None


def delete(credential: Credential, admin_key: str, account: str) -> None:
    """Delete one credential at its vendor; one already gone is fine."""
    where = f"deleting {NAMES[credential.vendor]} {WHAT[credential.vendor]} {credential.id}"
    _explained(credential.vendor, where, lambda: _delete(credential, admin_key, account))


def _listed(vendor: str, admin_key: str, account: str) -> list[Credential]:
    if vendor == CLOUDFLARE:
        tokens = cloudflare_client(admin_key).accounts.tokens.list(account_id=account)
        return [Credential(CLOUDFLARE, t.id, t.name or "", str(t.issued_on or "")) for t in tokens]
    if vendor == RESEND:
        sdk = resend_sdk(admin_key)
        keys = resend_retried(lambda _attempt: listed_resend_keys(sdk))
        return [
            Credential(RESEND, str(k["id"]), str(k.get("name") or ""), str(k.get("created_at")))
            for k in keys
        ]
    endpoints = stripe_client(admin_key).v1.webhook_endpoints

    def every(_attempt: int) -> list[Any]:
        return list(endpoints.list({"limit": STRIPE_PAGE}).auto_paging_iter())

    return [
        Credential(
            STRIPE,
            e.id,
            e.description or "",
            str(e.created),
            made_for=_made_for(e),
        )
        for e in stripe_retried(every)
    ]


def _made_for(endpoint: Any) -> str:
    """The stack identity an endpoint's metadata names ("" where it names none)."""
    try:
        return str(endpoint.metadata[STACK_METADATA] or "")
    except (AttributeError, KeyError, TypeError):
        return ""


def _delete(credential: Credential, admin_key: str, account: str) -> None:
    if credential.vendor == CLOUDFLARE:
        try:
            cloudflare_client(admin_key).accounts.tokens.delete(credential.id, account_id=account)
        except Exception as exc:
            found = cloudflare_answer(exc)
            if found is None or found.status != 404:
                raise
    elif credential.vendor == RESEND:
        sdk = resend_sdk(admin_key)
        resend_retried(lambda _attempt: remove_resend_key(sdk, credential.id))
    else:
        endpoints = stripe_client(admin_key).v1.webhook_endpoints
        stripe_retried(lambda _attempt: delete_stripe_endpoint(endpoints, credential.id))

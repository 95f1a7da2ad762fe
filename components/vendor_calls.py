"""How envkeeper calls Cloudflare, Resend and Stripe: what its three dynamic providers and
the orphan check share.

- One root error, `VendorError`: one line naming the credential, the environment and the
  fix, never a value. The vendors' refusals (401, 403, 404, 429, 5xx, no answer) are
  worded once, in `refusal`.
- Bounded retries: a transient failure (429, 5xx, a reset connection, a timeout) is tried
  again inside the same `pulumi up`, waiting as long as the vendor's Retry-After asks (up
  to `RETRY.longest_wait`), else backing off; at most `RETRY.attempts` tries and
  `RETRY.budget` seconds of waiting. A refusal that means "you are wrong" is never retried.
  The Cloudflare SDK retries by itself with these bounds; Resend's has no retries, and
  Stripe's neither retries a 429 nor honours Retry-After, so both go through `retried`.
- Idempotency: `idempotency_key` names one intended create from what identifies it (never
  a secret), so a create sent again by a later run is recognised by the vendor.
- Quiet SDKs: with CLOUDFLARE_LOG=debug, STRIPE_LOG=debug or logging at DEBUG, the SDKs
  print request and response bodies (Worker secret values, signing secrets) into the
  `pulumi up` output. `vendor_sdk` imports an SDK with every such logger held at WARNING,
  whatever the environment says.

Imports no Pulumi: `envkeeper orphans` uses it outside the engine.
"""

from __future__ import annotations

import email.utils
import hashlib
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


class VendorError(Exception):
    """One line for the user: which credential, which environment, what to do. Never a
    value: not the admin key, not what the vendor made, not the vendor's own message."""


@dataclass(frozen=True)
class Answer:
    """What a vendor's failed call told us, whatever its SDK calls it."""

    status: int | None  # None: no answer at all (connection reset, timeout)
    retry_after: float | None = None  # seconds, from the Retry-After header
    replayed: bool = False  # Stripe replayed a saved answer to an earlier request

    @property
    def transient(self) -> bool:
        """Worth the same request again: nothing came back, a rate limit, the vendor's own
        trouble, or (Stripe) a request with the same key still running."""
        if self.replayed:
            return False  # the same key can only give the same answer again
        status = self.status
        return status is None or status in (408, 409, 429) or status >= 500


@dataclass(frozen=True)
class Retry:
    attempts: int = 4  # the first try and three more
    first_wait: float = 0.5  # seconds before the second try; doubled each time after
    longest_wait: float = 20.0  # the longest Retry-After honoured; a longer one fails now
    budget: float = 45.0  # seconds spent waiting in all, across the tries of one call
    timeout: float = 30.0  # seconds one request may take before it counts as lost


RETRY = Retry()

# What `retried` sleeps with; the provider tests swap it for one that only records.
SLEEP: list[Callable[[float], None]] = [time.sleep]


def retried(
    call: Callable[[int], T], answer: Callable[[Exception], Answer | None], policy: Retry = RETRY
) -> T:
    """`call(attempt)` until it returns, trying again while `answer` calls the failure
    transient and the policy allows; then the last failure is raised as it came, with the
    number of tries it took (`tries_of`)."""
    waited = 0.0
    for attempt in range(1, policy.attempts + 1):
        try:
            return call(attempt)
        except Exception as exc:
            found = answer(exc)
            wait = found.retry_after if found is not None else None
            if wait is None:
                wait = policy.first_wait * 2 ** (attempt - 1)
            if (
                found is None
                or not found.transient
                or attempt == policy.attempts
                or wait > policy.longest_wait
                or waited + wait > policy.budget
            ):
                exc.envkeeper_tries = attempt  # pyright: ignore[reportAttributeAccessIssue]
                raise
            SLEEP[0](wait)
            waited += wait
    raise AssertionError("unreachable: the last attempt returns or raises")


def tries_of(exc: BaseException) -> int:
    """How many tries `retried` made before it gave up with `exc` (1 if it never tried)."""
    return int(getattr(exc, "envkeeper_tries", 1))


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (a number, or an HTTP date), or None."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in dict(headers).items()}
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(0.0, email.utils.mktime_tz(parsed) - time.time()) if parsed else None


def httpx_answer(exc: Exception) -> Answer | None:
    """What a failed call made with httpx directly (GitHub, Neon: no SDK here) was told."""
    httpx: Any = sys.modules.get("httpx")
    if httpx is None:
        return None
    if isinstance(exc, httpx.HTTPStatusError):
        failed: Any = exc
        status = failed.response.status_code
        waited = retry_after(failed.response.headers)
        # GitHub's secondary rate limit comes as 403 with Retry-After: worth waiting for.
        if status == 403 and waited is not None:
            return Answer(429, waited)
        return Answer(status, waited)
    if isinstance(exc, httpx.TransportError):
        return Answer(None)
    return None


def idempotency_key(kind: str, *parts: str) -> str:
    """The same key for the same intended create, in this run or a later one: a digest of
    what identifies it. Callers pass identifying, non-secret parts only."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:48]
    return f"envkeeper-{kind}-{digest}"


def refusal(where: str, vendor: str, answer: Answer, *, key_fix: str, tries: int = 1) -> str:
    """The one line for a failed call that no provider words more precisely itself."""
    status = answer.status
    if status in (401, 403):
        return f"{where}: {vendor} refused the admin key (HTTP {status}); {key_fix}"
    if status == 404:
        return f"{where}: {vendor} does not know it (HTTP 404); run pulumi refresh"
    after = f" after {tries} tries" if tries > 1 else ""
    if status == 429:
        wait = f", and asked to wait {answer.retry_after:.0f} s" if answer.retry_after else ""
        return (
            f"{where}: {vendor} is rate limiting (HTTP 429){after}{wait}; run pulumi up again "
            "in a few minutes"
        )
    if status is None:
        return (
            f"{where}: no answer from {vendor}{after} (connection lost or timed out); "
            "run pulumi up again"
        )
    return f"{where}: {vendor} answered HTTP {status}{after}; try again later (pulumi up)"


# The SDKs' environment switches that make them print bodies, and every logger that could.
SDK_LOG_SWITCHES = ("CLOUDFLARE_LOG", "STRIPE_LOG")
VENDOR_LOGGERS = ("cloudflare", "stripe", "resend", "httpx", "httpcore", "urllib3", "requests")


def vendor_sdk(name: str) -> Any:
    """Import a vendor SDK (cloudflare, resend, stripe) with its logging quiet."""
    for switch in SDK_LOG_SWITCHES:
        os.environ.pop(switch, None)  # read once, when the SDK is first imported
    module = importlib.import_module(name)
    quiet_loggers()
    return module


def quiet_loggers() -> None:
    """Hold every vendor logger at WARNING. The Cloudflare SDK sets its loggers to DEBUG
    when it is imported with CLOUDFLARE_LOG=debug; Stripe's prints to stderr (not through
    logging) when STRIPE_LOG was set as it was imported."""
    for name in VENDOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    stripe: Any = sys.modules.get("stripe")
    if stripe is not None:
        stripe.log = None
        stripe_util: Any = sys.modules.get("stripe._util")
        if stripe_util is not None and hasattr(stripe_util, "STRIPE_LOG"):
            stripe_util.STRIPE_LOG = None


# -- the three vendors' SDKs --------------------------------------------------------------


def cloudflare_client(token: str) -> Any:
    """The Cloudflare SDK with RETRY's bounds (it honours Retry-After itself). The base
    URL comes from CLOUDFLARE_BASE_URL, the SDK's own setting, as the tests do."""
    cloudflare = vendor_sdk("cloudflare")
    return cloudflare.Cloudflare(
        api_token=token, max_retries=RETRY.attempts - 1, timeout=RETRY.timeout
    )


def cloudflare_answer(exc: Exception) -> Answer | None:
    cloudflare: Any = sys.modules.get("cloudflare")
    if cloudflare is None:
        return None
    failed: Any = exc
    if isinstance(exc, cloudflare.APIStatusError):
        return Answer(failed.status_code, retry_after(failed.response.headers))
    if isinstance(exc, cloudflare.APIConnectionError):  # timeouts included
        return Answer(None)
    return None


DEFAULT_RESEND_URL = "https://api.resend.com"


def resend_sdk(key: str) -> Any:
    """Resend's SDK, set up for one call: its key and base URL are module globals
    (RESEND_API_URL, the SDK's own setting, points it elsewhere, as the tests do)."""
    resend = vendor_sdk("resend")
    resend.api_key = key
    resend.api_url = os.environ.get("RESEND_API_URL") or DEFAULT_RESEND_URL
    resend.default_http_client = resend.RequestsClient(timeout=int(RETRY.timeout))
    return resend


def resend_answer(exc: Exception) -> Answer | None:
    resend: Any = sys.modules.get("resend")
    if resend is None or not isinstance(exc, resend.exceptions.ResendError):
        return None
    if getattr(exc, "error_type", None) == "HttpClientError":
        return Answer(None)  # the SDK's name for a request that never got its answer
    try:
        status = int(str(getattr(exc, "code", "")))
    except ValueError:
        status = 500
    return Answer(status, retry_after(getattr(exc, "headers", None)))


def resend_retried(call: Callable[[int], T]) -> T:
    return retried(call, resend_answer)


def stripe_client(key: str) -> Any:
    """Stripe's client with its own retries off: `retried` tries again instead, so a 429
    waits as Retry-After says and a create knows which try got which answer. The base URL
    comes from STRIPE_API_BASE, as the tests do."""
    stripe = vendor_sdk("stripe")
    base = os.environ.get("STRIPE_API_BASE")
    return stripe.StripeClient(
        key,
        base_addresses={"api": base} if base else {},
        max_network_retries=0,
        http_client=stripe.RequestsClient(timeout=RETRY.timeout),
    )


def stripe_answer(exc: Exception) -> Answer | None:
    stripe: Any = sys.modules.get("stripe")
    if stripe is None or not isinstance(exc, stripe.StripeError):
        return None
    if isinstance(exc, stripe.APIConnectionError):
        return Answer(None)
    failed: Any = exc
    headers = {str(k).lower(): str(v) for k, v in dict(failed.headers or {}).items()}
    return Answer(
        failed.http_status,
        retry_after(headers),
        replayed=headers.get("idempotent-replayed") == "true",
    )


def stripe_retried(call: Callable[[int], T]) -> T:
    return retried(call, stripe_answer)

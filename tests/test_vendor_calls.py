"""What the three dynamic providers share (components/vendor_calls.py): bounded retries that
honour Retry-After, the refusals' one-line wording, idempotency keys, and vendor SDKs kept
quiet whatever their logging switches say."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from email.utils import formatdate
from time import time

import pytest

from components import vendor_calls
from components.vendor_calls import Answer, Retry, refusal, retried, retry_after, tries_of
from tests.engine import ROOT


class Refused(Exception):
    def __init__(self, answer: Answer) -> None:
        super().__init__("refused")
        self.answer = answer


def answer_of(exc: Exception) -> Answer | None:
    return exc.answer if isinstance(exc, Refused) else None


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    found: list[float] = []
    monkeypatch.setattr(vendor_calls, "SLEEP", [found.append])
    return found


def failing(*answers: Answer, then: str = "done") -> tuple[list[int], object]:
    tried: list[int] = []

    def call(attempt: int) -> str:
        tried.append(attempt)
        if len(tried) <= len(answers):
            raise Refused(answers[len(tried) - 1])
        return then

    return tried, call


def test_transient_failures_are_tried_again_with_backoff_or_as_retry_after_asks(
    waits: list[float],
) -> None:
    tried, call = failing(Answer(None), Answer(503), Answer(429, retry_after=7))
    assert retried(call, answer_of) == "done"  # type: ignore[arg-type]
    assert tried == [1, 2, 3, 4]
    assert waits == [0.5, 1.0, 7]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_a_refusal_that_means_you_are_wrong_is_never_tried_again(
    waits: list[float], status: int
) -> None:
    tried, call = failing(Answer(status))
    with pytest.raises(Refused):
        retried(call, answer_of)  # type: ignore[arg-type]
    assert tried == [1] and waits == []


def test_a_replayed_failure_is_not_tried_again_under_the_same_key(waits: list[float]) -> None:
    tried, call = failing(Answer(500, replayed=True))
    with pytest.raises(Refused):
        retried(call, answer_of)  # type: ignore[arg-type]
    assert tried == [1]


def test_tries_are_bounded_in_count_and_in_time(waits: list[float]) -> None:
    tried, call = failing(*[Answer(502)] * 10)
    with pytest.raises(Refused) as caught:
        retried(call, answer_of)  # type: ignore[arg-type]
    assert tried == [1, 2, 3, 4] and tries_of(caught.value) == 4

    waits.clear()
    tried, call = failing(*[Answer(429, retry_after=15)] * 10)
    with pytest.raises(Refused) as caught:
        retried(call, answer_of, Retry(attempts=10, budget=40))  # type: ignore[arg-type]
    assert waits == [15, 15] and tries_of(caught.value) == 3  # a third wait passes 40 s

    waits.clear()
    tried, call = failing(Answer(429, retry_after=3600))
    with pytest.raises(Refused):
        retried(call, answer_of)  # type: ignore[arg-type]
    assert waits == [] and tried == [1]  # asked to wait longer than envkeeper ever waits


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after({"Retry-After": "12"}) == 12
    assert retry_after({"retry-after": "0.5"}) == 0.5
    soon = retry_after({"Retry-After": formatdate(time() + 30, usegmt=True)})
    assert soon is not None and 25 < soon <= 30
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None and retry_after(None) is None


@pytest.mark.parametrize(
    ("answer", "tries", "line"),
    [
        (Answer(401), 1, "W: Acme refused the admin key (HTTP 401); FIX"),
        (Answer(403), 1, "W: Acme refused the admin key (HTTP 403); FIX"),
        (Answer(404), 1, "W: Acme does not know it (HTTP 404); run pulumi refresh"),
        (
            Answer(429, retry_after=30),
            4,
            "W: Acme is rate limiting (HTTP 429) after 4 tries, and asked to wait 30 s; run "
            "pulumi up again in a few minutes",
        ),
        (Answer(503), 4, "W: Acme answered HTTP 503 after 4 tries; try again later (pulumi up)"),
        (
            Answer(None),
            4,
            "W: no answer from Acme after 4 tries (connection lost or timed out); run pulumi "
            "up again",
        ),
    ],
)
def test_each_refusal_is_one_line_naming_the_fix(answer: Answer, tries: int, line: str) -> None:
    assert refusal("W", "Acme", answer, key_fix="FIX", tries=tries) == line


def test_an_idempotency_key_is_the_same_for_the_same_request_and_only_then() -> None:
    key = vendor_calls.idempotency_key("webhook-endpoint", "a", "b")
    assert key == vendor_calls.idempotency_key("webhook-endpoint", "a", "b")
    assert key != vendor_calls.idempotency_key("webhook-endpoint", "ab", "")
    assert key.startswith("envkeeper-webhook-endpoint-") and len(key) <= 255


# Each provider's create and its delivery, run in a fresh interpreter where every logging
# switch the SDKs know is on, and every logger prints at DEBUG. Nothing they were given or
# given back may reach its output.
CANARY_RUN = """
import logging
logging.basicConfig(level=logging.DEBUG)  # httpx, httpcore, urllib3, stripe: all at DEBUG

from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from components.resend_key import ResendKeyProvider
from components.stripe_webhook import WebhookEndpointProvider
from components.worker_secret import WorkerSecretProvider
from tests.cloudflare_api import CloudflareApi
from tests.resend_api import ResendApi
from tests.standin import started_server
from tests.stripe_api import StripeApi
import os

servers = [started_server() for _ in range(3)]
cf = CloudflareApi(servers[0], "CANARY-debug-cf-token", "0" * 32, {"w"})
resend = ResendApi(servers[1], "re_CANARY-debug-admin", {"mail.example.com": "d1"})
stripe = StripeApi(servers[2], "rk_test_CANARY-debug-admin")
os.environ["CLOUDFLARE_BASE_URL"] = cf.base_url
os.environ["RESEND_API_URL"] = resend.base_url
os.environ["STRIPE_API_BASE"] = stripe.base_url

def configured(provider, key, value):
    provider.configure(ConfigureRequest(Config({key: value}, "envkeeper")))
    return provider

base = {"environment": "dev", "rotated": "2026-11-28"}
made = configured(WebhookEndpointProvider(), "envkeeper:stripeAdminKey", stripe.admin_key).create(
    {**base, "url": "https://example.com/hook", "events": ["invoice.paid"], "connect": False,
     "apiVersion": "2026-10-28.endive", "name": "envkeeper dev webhook 2026-11-28 000000"})
key = configured(ResendKeyProvider(), "envkeeper:resendAdminKey", resend.admin_key).create(
    {**base, "name": "envkeeper dev sending a 2026-11-28 000000", "domain": "mail.example.com"})
configured(WorkerSecretProvider(), "cloudflare:apiToken", cf.token).create(
    {"accountId": "0" * 32, "scriptName": "w", "name": "STRIPE_WEBHOOK_SECRET",
     "text": made.outs["secret"], "environment": "dev"})
assert cf.secrets and resend.keys and stripe.endpoints
print("ran", len(cf.requests) + len(resend.requests) + len(stripe.requests))
"""


def test_no_value_reaches_the_output_with_every_sdk_log_switch_on() -> None:
    env = {**os.environ, "CLOUDFLARE_LOG": "debug", "STRIPE_LOG": "debug", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CANARY_RUN)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("ran ")
    output = done.stdout + done.stderr
    assert "INFO:werkzeug" in output  # logging was on: the stand-ins printed each request
    assert "CANARY" not in output

"""Resend sending keys and the Stripe webhook endpoint, minted by the program (on the mocks)."""

from __future__ import annotations

from pathlib import Path

import pytest

from envkeeper import vendors
from envkeeper.offline import is_secret, unwrap_all
from tests.conftest import STACKS
from tests.programs import environment_secrets, load, pasted, run

WORKER_SECRET = "pulumi-python:dynamic/envkeeper:WorkerSecret"


@pytest.mark.parametrize("stack", STACKS)
def test_two_resend_slots_bound_to_the_domain_and_the_active_one_delivered(stack: str) -> None:
    _, settings = load(stack)
    assert settings.resend is not None
    slots = settings.slots("RESEND_API_KEY")
    result = run(stack)

    keys = {r.name: r for r in result.by_type(vendors.RESEND_KEY_TYPE)}
    assert set(keys) == {"resend-a", "resend-b"}
    for slot in ("a", "b"):
        inputs = keys[f"resend-{slot}"].inputs
        assert inputs["domain"] == settings.resend.domain
        assert inputs["rotated"] == slots.date_of(slot).isoformat()
        assert inputs["name"] == f"envkeeper {settings.environment.value} sending ({slot})"
        assert is_secret(keys[f"resend-{slot}"].outputs["token"])
    active = unwrap_all(keys[f"resend-{slots.active}"].outputs)["token"]
    assert environment_secrets(result, stack)["RESEND_API_KEY"] == active
    carriers = [r for r in result.by_type(WORKER_SECRET) if r.inputs["name"] == "RESEND_API_KEY"]
    assert carriers and all(unwrap_all(r.inputs)["text"] == active for r in carriers)
    assert all(is_secret(r.inputs["text"]) for r in carriers)


@pytest.mark.parametrize("stack", STACKS)
def test_one_webhook_endpoint_per_environment_its_secret_to_the_workers_that_list_it(
    stack: str,
) -> None:
    _, settings = load(stack)
    assert settings.stripe is not None
    result = run(stack)

    (endpoint,) = result.by_type(vendors.STRIPE_ENDPOINT_TYPE)
    assert endpoint.name == vendors.STRIPE_ENDPOINT_RESOURCE
    assert endpoint.inputs["url"] == settings.stripe.webhook.url
    assert endpoint.inputs["events"] == settings.stripe.webhook.events
    assert endpoint.inputs["connect"] is False
    assert endpoint.inputs["rotated"] == settings.single_date("STRIPE_WEBHOOK_SECRET").isoformat()
    secret = unwrap_all(endpoint.outputs)["secret"]
    assert is_secret(endpoint.outputs["secret"])
    carriers = [
        r for r in result.by_type(WORKER_SECRET) if r.inputs["name"] == "STRIPE_WEBHOOK_SECRET"
    ]
    assert {r.inputs["scriptName"] for r in carriers} == {
        w
        for w in settings.cloudflare.workers
        if "STRIPE_WEBHOOK_SECRET" in settings.cloudflare.secrets_of(w)
    }
    for carrier in carriers:
        assert unwrap_all(carrier.inputs)["text"] == secret
        # The Worker secret waits for the endpoint: a new endpoint exists before it is put.
        assert endpoint.urn in carrier.dependencies


def test_a_stack_without_the_blocks_keeps_the_pasted_values(project: Path) -> None:
    path = project / "Pulumi.staging.yaml"
    path.write_text(pasted(path.read_text()))

    result = run("staging", project)

    assert not result.by_type(vendors.RESEND_KEY_TYPE)
    assert not result.by_type(vendors.STRIPE_ENDPOINT_TYPE)
    held = environment_secrets(result, "staging")
    assert held["RESEND_API_KEY"] == "placeholder:envkeeper:resendApiKey"
    assert held["STRIPE_WEBHOOK_SECRET"] == "placeholder:envkeeper:stripeWebhookSecret"

"""Resend sending keys and the Stripe webhook endpoint, minted by the program (on the mocks)."""

from __future__ import annotations

import base64
import itertools
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from envkeeper import vendors
from envkeeper.config.clock import utc_today
from envkeeper.config.stackfile import load_config
from envkeeper.offline.program import is_secret, unwrap_all
from envkeeper.stack import catalog
from envkeeper.stack.settings import GITHUB_OWNER, Settings, parse_settings
from envkeeper.vendors import MINTED_VENDORS, MintedVendor
from envkeeper.vendors.resend import RESEND_KEY_TYPE, SENDING_KEY, resend_key_name
from envkeeper.vendors.stripe import (
    STRIPE_ENDPOINT_RESOURCE,
    STRIPE_ENDPOINT_TYPE,
    WEBHOOK,
    stripe_endpoint_name,
)
from tests.conftest import STACKS
from tests.programs import (
    canaries,
    changed_resources,
    environment_secrets,
    load,
    name_github_environment,
    pasted,
    run,
    set_rotation,
)

WORKER_SECRET = "pulumi-python:dynamic/envkeeper:WorkerSecret"


@pytest.mark.parametrize("stack", STACKS)
def test_two_resend_slots_bound_to_the_domain_and_the_active_one_delivered(
    stack: str, project: Path
) -> None:
    # The active slot took over two days ago: the standby is inside its grace.
    two_days_ago = (utc_today() - timedelta(days=2)).isoformat()
    set_rotation(project, stack, "RESEND_API_KEY", {"a": "2026-01-05", "b": two_days_ago})
    _, settings = load(stack, project)
    assert settings.resend is not None
    slots = settings.slots("RESEND_API_KEY")
    result = run(stack, project)

    keys = {r.name: r for r in result.by_type(RESEND_KEY_TYPE)}
    assert set(keys) == {"resend-a", "resend-b"}
    for slot in ("a", "b"):
        inputs = keys[f"resend-{slot}"].inputs
        assert inputs["domain"] == settings.resend.domain
        assert inputs["rotated"] == slots.date_of(slot).isoformat()
        # Whose, what, which slot and date, and the stack's mark: a name no other stack has.
        assert inputs["name"] == (
            f"envkeeper {settings.environment.value} sending {slot} "
            f"{slots.date_of(slot).isoformat()} {vendors.stack_mark(settings)}"
        )
        assert len(inputs["name"]) <= 50  # Resend's limit
        assert is_secret(keys[f"resend-{slot}"].outputs["token"])
    active = unwrap_all(keys[f"resend-{slots.active}"].outputs)["token"]
    assert environment_secrets(result, stack)["RESEND_API_KEY"] == active
    carriers = [r for r in result.by_type(WORKER_SECRET) if r.inputs["name"] == "RESEND_API_KEY"]
    assert carriers and all(unwrap_all(r.inputs)["text"] == active for r in carriers)
    assert all(is_secret(r.inputs["text"]) for r in carriers)


@pytest.mark.parametrize("stack", STACKS)
def test_a_standby_resend_key_past_its_grace_is_retired(stack: str) -> None:
    # Resend keys never expire: on the day its grace ends (counted from the switch) the
    # standby key is retired, and the next `pulumi up` deletes it at Resend. The program
    # declares both keys every day, so what an up does is in its plan. The shipped stacks'
    # standby keys were superseded in September.
    _, settings = load(stack)
    slots = settings.slots("RESEND_API_KEY")
    assert slots.standby_dies(settings.standby_grace_days) <= utc_today()
    result = run(stack)
    keys = {r.name: r.inputs["retired"] for r in result.by_type(RESEND_KEY_TYPE)}
    assert keys == {f"resend-{slots.active}": False, f"resend-{slots.inactive}": True}
    switch = result.one("pulumi-python:dynamic/envkeeper:SlotSwitch", "resend-api-key-switch")
    assert switch.outputs["standbyEnds"] == slots.standby_dies(7).isoformat()


@pytest.mark.parametrize("stack", STACKS)
def test_one_webhook_endpoint_per_environment_its_secret_to_the_workers_that_list_it(
    stack: str,
) -> None:
    _, settings = load(stack)
    assert settings.stripe is not None
    result = run(stack)

    (endpoint,) = result.by_type(STRIPE_ENDPOINT_TYPE)
    assert endpoint.name == STRIPE_ENDPOINT_RESOURCE
    assert endpoint.inputs["url"] == settings.stripe.webhook.url
    assert endpoint.inputs["events"] == settings.stripe.webhook.events
    assert endpoint.inputs["connect"] is False
    assert (
        endpoint.inputs["apiVersion"] == settings.stripe.webhook.api_version == "2026-10-28.endive"
    )
    assert endpoint.inputs["rotated"] == settings.single_date("STRIPE_WEBHOOK_SECRET").isoformat()
    assert endpoint.inputs["name"] == stripe_endpoint_name(settings)
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

    assert not result.by_type(RESEND_KEY_TYPE)
    assert not result.by_type(STRIPE_ENDPOINT_TYPE)
    held = environment_secrets(result, "staging")
    assert held["RESEND_API_KEY"] == "placeholder:envkeeper:resendApiKey"
    assert held["STRIPE_WEBHOOK_SECRET"] == "placeholder:envkeeper:stripeWebhookSecret"


# Each dynamic provider and the admin key it acts with: a stack config key, or an
# environment variable in the provider's process.
ADMIN_KEYS = {
    WORKER_SECRET: ("cloudflare:apiToken", "CLOUDFLARE_API_TOKEN"),
    RESEND_KEY_TYPE: ("envkeeper:resendAdminKey", "RESEND_API_KEY"),
    STRIPE_ENDPOINT_TYPE: ("envkeeper:stripeAdminKey", "STRIPE_API_KEY"),
}


@pytest.mark.parametrize("kind", sorted(ADMIN_KEYS))
def test_no_admin_key_is_an_input_an_output_or_inside_the_pickled_provider(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The engine stores inputs, outputs and the pickled provider in the state: an admin key
    # in any of them would be kept there, readable by anyone who can decrypt the stack.
    config_key, env_var = ADMIN_KEYS[kind]
    secrets = canaries("admin", stack="prod")
    from_env = f"CANARY-env-{env_var}-7f3a"
    monkeypatch.setenv(env_var, from_env)
    result = run("prod", secrets=secrets)
    registrations = result.by_type(kind)
    assert registrations
    for reg in registrations:
        pickled = base64.b64decode(unwrap_all(reg.inputs["__provider"]))
        kept = json.dumps(unwrap_all(reg.inputs)) + json.dumps(unwrap_all(reg.outputs))
        for key in (secrets[config_key], from_env):
            assert key.encode() not in pickled, reg.name
            assert key not in kept, reg.name


def test_a_new_api_version_replaces_the_endpoint_and_so_its_secret(project: Path) -> None:
    # Stripe sets an endpoint's API version when it is made: a new one is a new endpoint,
    # with a new signing secret that every Worker carrying it receives.
    before = run("prod", project)
    path = project / "Pulumi.prod.yaml"
    path.write_text(
        path.read_text().replace("apiVersion: 2026-10-28.endive", "apiVersion: 2027-01-27.fig")
    )
    after = run("prod", project)
    changed = changed_resources(before, after)
    assert STRIPE_ENDPOINT_RESOURCE in changed
    assert {
        "example-api-STRIPE_WEBHOOK_SECRET",
        "example-webhooks-STRIPE_WEBHOOK_SECRET",
    } <= changed


def test_every_stack_marks_its_vendor_names_with_a_mark_no_other_stack_has() -> None:
    # A shared Resend or Stripe account holds several stacks' keys: the orphan check and a
    # Resend create may only ever touch names with their own stack's mark.
    marks = {stack: vendors.stack_mark(load(stack)[1]) for stack in STACKS}
    assert len(set(marks.values())) == len(STACKS)
    for stack in STACKS:
        settings = load(stack)[1]
        mine = resend_key_name(settings, "a")
        assert vendors.is_named_for(settings, SENDING_KEY, mine)
        assert not vendors.is_named_for(settings, vendors.DEPLOY_TOKEN, mine)
        for other in STACKS:
            theirs = resend_key_name(load(other)[1], "b")
            assert vendors.is_named_for(settings, SENDING_KEY, theirs) == (other == stack)
        # A name written before names carried dates, or by hand, is never envkeeper's.
        for foreign in (f"envkeeper {settings.environment.value} sending (a)", "Production"):
            assert not vendors.is_named_for(settings, SENDING_KEY, foreign)


@pytest.mark.parametrize("vendor", MINTED_VENDORS, ids=lambda v: v.key)
def test_each_vendor_module_agrees_with_the_catalog_and_the_settings(vendor: MintedVendor) -> None:
    pasted = catalog.BUILT_IN[vendor.pasted]
    assert pasted.source is catalog.Source.EXTERNAL
    assert pasted.full_config_key == vendor.pasted_config_key
    assert (vendor.minted.name, vendor.minted.vendor) == (vendor.pasted, vendor.key)
    assert vendor.minted.managed and not pasted.managed
    assert vendor.minted_type in vendor.resource_types
    assert Settings.model_fields[vendor.key].default is None  # absent: pasted in
    assert catalog.TOKENS_BY_KEY[vendor.admin.key] == vendor.admin


# --- A mark found by search -----------------------------------------------------------------
# Written from the attacker's side. A mark was once 24 bits of the repository and
# environment: a brute force found a dev environment name with production's mark in seconds,
# and dev's orphan check then selected production's Resend keys for deletion. Now it is 40
# bits of owner, repository and environment; a search of 2**40 is out of a test's reach, so
# the searches below shorten the mark (MARK_LENGTH) to what a search finds at once and
# check that everything else still stops the attacker.


def with_environment(settings: Settings, environment: str) -> Settings:
    return settings.model_copy(
        update={"github": settings.github.model_copy(update={"environment": environment})}
    )


def colliding_environment(settings: Settings) -> str:
    """A GitHub environment name that gives a stack of this repository `settings`' mark."""
    target = vendors.stack_mark(settings)
    for n in itertools.count():
        name = f"dev-{n}"
        if vendors.stack_mark(with_environment(settings, name)) == target:
            return name
    raise AssertionError("unreachable")


@pytest.fixture
def searchable_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Marks short enough for a test to search (three characters, 15 bits)."""
    monkeypatch.setattr("envkeeper.vendors.naming.MARK_LENGTH", 3)


def test_a_mark_is_forty_bits_of_owner_repository_and_environment(project: Path) -> None:
    prod = load("prod", project)[1]
    mark = vendors.stack_mark(prod)
    # 8 characters of base 32: 40 bits, out of reach of a search (2**40 digests).
    assert len(mark) * 5 >= 40 and set(mark) <= set("abcdefghijklmnopqrstuvwxyz234567")
    # Two products in different organizations, equal repository and environment names,
    # sharing a vendor account: their marks differ.
    assert prod.github.owner
    config = load_config(project, "prod")
    config.values[GITHUB_OWNER] = "another-organization"
    other = parse_settings(config, "prod")
    assert (other.github.repository, other.github.environment) == (
        prod.github.repository,
        prod.github.environment,
    )
    assert vendors.stack_mark(other) != mark
    assert not vendors.is_named_for(other, SENDING_KEY, resend_key_name(prod, "a"))
    # GitHub compares names without case: one environment, one mark.
    assert vendors.stack_mark(with_environment(prod, prod.github.environment.upper())) == mark


@pytest.mark.usefixtures("searchable_marks")
def test_a_lower_stack_with_productions_mark_is_refused(cli: Any, project: Path) -> None:
    environment = colliding_environment(load("prod", project)[1])
    name_github_environment(project, "dev", environment)
    for stack, other in (("dev", "prod"), ("prod", "dev")):
        result = cli("validate", stack)
        assert result.exit_code == 2, result.output
        assert f"gives this stack the vendor-name mark of stack {other}" in result.stderr


@pytest.mark.usefixtures("searchable_marks")
def test_a_lower_stack_with_productions_mark_never_takes_its_credentials(project: Path) -> None:
    prod = load("prod", project)[1]
    name_github_environment(project, "dev", colliding_environment(prod))
    dev = parse_settings(load_config(project, "dev"), "dev")  # alone, as an attacker's file
    assert vendors.stack_mark(dev) == vendors.stack_mark(prod)
    for slot in ("a", "b"):
        prods = resend_key_name(prod, slot)
        assert not vendors.is_named_for(dev, SENDING_KEY, prods)
    assert not vendors.is_named_for(dev, WEBHOOK, stripe_endpoint_name(prod))

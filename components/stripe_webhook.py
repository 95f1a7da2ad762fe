"""The environment's Stripe webhook endpoint, whose signing secret the Workers verify with.

A dynamic provider on Stripe's official SDK (`stripe`): create the endpoint (URL, enabled
events, Connect or not), change its URL or events in place, delete it when it is replaced
or removed, and retrieve it to notice a deletion outside Pulumi. Stripe returns the signing
secret only on create: it is a secret output, kept from then on.

The key that manages endpoints (a restricted key with Webhook Endpoints write) is read
when the provider runs, from `envkeeper:stripeAdminKey` or STRIPE_API_KEY in the provider's
environment, and is never serialized with the provider. STRIPE_API_BASE points it at
another server, as the tests do.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    UpdateResult,
)

from components.admin_key import AdminKeyProvider
from envkeeper.catalog import STRIPE_ADMIN_KEY

# Stripe cannot move an endpoint between Connect and the account itself, and sets an
# endpoint's API version only when it is created; a new keeper date is a new signing secret.
# Each means a new endpoint. URL and events change in place.
IDENTITY = ("connect", "apiVersion", "rotated")
IN_PLACE = ("url", "events")


class StripeWebhookError(Exception):
    """One line for the user: which endpoint, which environment, what to do. Never the key."""


_RUNTIME: dict[str, str | None] = {}


class WebhookEndpointProvider(AdminKeyProvider):
    config_key = STRIPE_ADMIN_KEY.key
    env_var = "STRIPE_API_KEY"
    runtime = _RUNTIME

    def _endpoints(self, props: dict[str, Any]) -> Any:
        import stripe  # imported when the provider runs, not when the program starts

        key = self.admin_key()
        if not key:
            raise StripeWebhookError(
                f"{_where(props)}: no Stripe key; set it with `pulumi config set --secret "
                f"{STRIPE_ADMIN_KEY.key}` (a restricted key with Webhook Endpoints write)"
            )
        base = os.environ.get("STRIPE_API_BASE")
        client = stripe.StripeClient(
            key, base_addresses={"api": base} if base else {}, max_network_retries=0
        )
        return client.v1.webhook_endpoints

    def create(self, props: dict[str, Any]) -> CreateResult:
        import stripe

        params: dict[str, Any] = {
            "url": props["url"],
            "enabled_events": list(props["events"]),
            # Events reach the Worker in the shape its Stripe library parses, not in the
            # account's default version.
            "api_version": props["apiVersion"],
            "description": f"envkeeper {props['environment']} (rotated {props['rotated']})",
            "metadata": {"envkeeper_environment": props["environment"]},
        }
        if props.get("connect"):
            params["connect"] = True
        try:
            made = self._endpoints(props).create(params)
        except stripe.StripeError as exc:
            raise _explain(exc, props) from None
        return CreateResult(id_=made.id, outs={**_inputs(props), "secret": made.secret})

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        import stripe

        try:
            self._endpoints(_news).update(
                _id, {"url": _news["url"], "enabled_events": list(_news["events"])}
            )
        except stripe.StripeError as exc:
            raise _explain(exc, _news) from None
        return UpdateResult(outs={**_olds, **_inputs(_news)})  # the secret stays the same

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        import stripe

        try:
            self._endpoints(_props).delete(_id)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return  # already gone: the desired state
            raise _explain(exc, _props) from None
        except stripe.StripeError as exc:
            raise _explain(exc, _props) from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        import stripe

        try:
            found = self._endpoints(props).retrieve(id_)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404:
                return ReadResult(id_="", outs={})  # deleted outside Pulumi: create it again
            raise _explain(exc, props) from None
        except stripe.StripeError as exc:
            raise _explain(exc, props) from None
        # What Stripe has now, so a change made in its dashboard shows as a diff.
        return ReadResult(
            id_=id_,
            outs={
                **props,
                "url": found.url,
                "events": list(found.enabled_events),
                "apiVersion": found.api_version,
            },
        )

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in IDENTITY if _olds.get(k) != _news.get(k)]
        changed = [k for k in (*IDENTITY, *IN_PLACE, "environment") if _olds.get(k) != _news.get(k)]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[k for k in IDENTITY if k not in replaces],
            delete_before_replace=False,  # the new endpoint exists before the old one dies
        )


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in (*IDENTITY, *IN_PLACE, "environment") if k in props}


def _where(props: dict[str, Any]) -> str:
    return (
        f"Stripe webhook endpoint {props.get('url', '?')} "
        f"(environment {props.get('environment', '?')})"
    )


def _explain(exc: Any, props: dict[str, Any]) -> StripeWebhookError:
    status = getattr(exc, "http_status", None)
    where = _where(props)
    if status in (401, 403):
        return StripeWebhookError(
            f"{where}: Stripe refused the key (HTTP {status}); it needs Webhook Endpoints write: "
            f"set one with `pulumi config set --secret {STRIPE_ADMIN_KEY.key}`"
        )
    if status == 404:
        return StripeWebhookError(
            f"{where}: Stripe does not know it (HTTP 404); run pulumi refresh"
        )
    if status in (400, 422):
        return StripeWebhookError(
            f"{where}: Stripe refused the endpoint (HTTP {status}); check "
            "envkeeper:stripe.webhook (a public https URL, event types Stripe knows)"
        )
    if status == 429:
        return StripeWebhookError(
            f"{where}: Stripe is rate limiting (HTTP 429); run pulumi up again"
        )
    return StripeWebhookError(f"{where}: Stripe answered HTTP {status or '?'}; try again later")


@dataclass(frozen=True)
class WebhookEndpointArgs:
    url: str
    events: list[str]
    connect: bool
    api_version: str  # fixed when the endpoint is made: a new one makes a new endpoint
    rotated: str  # the keeper date: moving it makes a new endpoint with a new secret
    environment: str


class WebhookEndpoint(Resource, module="envkeeper", name="StripeWebhookEndpoint"):
    """One Stripe webhook endpoint; its `secret` is STRIPE_WEBHOOK_SECRET."""

    secret: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        args: WebhookEndpointArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "url": args.url,
            "events": list(args.events),
            "connect": args.connect,
            "apiVersion": args.api_version,
            "rotated": args.rotated,
            "environment": args.environment,
            "secret": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["secret"])
        super().__init__(
            WebhookEndpointProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret),
        )

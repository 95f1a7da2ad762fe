"""The environment's Stripe webhook endpoint, whose signing secret the Workers verify with.

A dynamic provider on Stripe's official SDK (`stripe`): create the endpoint (URL, enabled
events, Connect or not), change its URL, events or name in place, delete it when it is
replaced or removed, and retrieve it to notice a deletion outside Pulumi. Stripe returns the
signing secret only on create: it is a secret output, kept from then on.

A create carries a deterministic Idempotency-Key, a digest of the request (stack, keeper
date, URL, API version, events; never a secret). A try whose answer was lost is answered by
Stripe's replay of the first answer, so a retry never makes a second endpoint. A replay to
a create's first try is an endpoint an earlier run made with this very request: either one
whose answer never reached the state, or the one this replacement retires (`pulumi up
--replace`, a renamed resource). Neither may be adopted, so it is deleted and the next key
in the sequence makes a new endpoint. Keys Stripe keeps (24 hours) that only replay a
failure are passed over the same way.

The key that manages endpoints (a restricted key with Webhook Endpoints write) is read
when the provider runs, from `envkeeper:stripeAdminKey` or STRIPE_API_KEY in the provider's
environment, and is never serialized with the provider. STRIPE_API_BASE points it at
another server, as the tests do. Every call is retried as components/vendor_calls.py says.
"""

from __future__ import annotations

import json
import sys
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
from components.vendor_calls import (
    VendorError,
    idempotency_key,
    stripe_answer,
    stripe_client,
    stripe_retried,
    tries_of,
)
from components.vendor_credentials import STACK_METADATA, delete_stripe_endpoint
from envkeeper import vendors
from envkeeper.stack.settings import Settings
from envkeeper.vendors.stripe import STRIPE, STRIPE_ENDPOINT_RESOURCE, stripe_endpoint_name

# Stripe cannot move an endpoint between Connect and the account itself, and sets an
# endpoint's API version only when it is created; a new keeper date is a new signing secret.
# Each means a new endpoint. URL, events and name change in place.
IDENTITY = ("connect", "apiVersion", "rotated")
IN_PLACE = ("url", "events", "name", "identity")
# How many idempotency keys one create may pass over before it gives up: each is spent only
# by an earlier run's create of this same request, within the day Stripe keeps keys.
KEYS_PER_CREATE = 8


class StripeWebhookError(VendorError):
    """One line for the user: which endpoint, which environment, what to do. Never the key."""


_RUNTIME: dict[str, str | None] = {}


class WebhookEndpointProvider(AdminKeyProvider):
    config_key = STRIPE.admin.key
    env_var = "STRIPE_API_KEY"
    runtime = _RUNTIME
    vendor = "Stripe"
    key_needs = "a restricted key with Webhook Endpoints write"
    error = StripeWebhookError

    def _endpoints(self, props: dict[str, Any]) -> Any:
        return stripe_client(self.require_admin_key(_where(props))).v1.webhook_endpoints

    def create(self, props: dict[str, Any]) -> CreateResult:
        endpoints = self._endpoints(props)
        params = create_params(props)
        request = json.dumps(params, sort_keys=True)
        for sequence in range(1, KEYS_PER_CREATE + 1):
            key = idempotency_key("webhook-endpoint", request, str(sequence))
            made = self._create_once(endpoints, params, key, props)
            if made is not None:
                return CreateResult(id_=made.id, outs={**_inputs(props), "secret": made.secret})
        raise StripeWebhookError(
            f"{_where(props)}: Stripe replayed {KEYS_PER_CREATE} earlier creates of this same "
            "endpoint today; run pulumi up again tomorrow, or bump STRIPE_WEBHOOK_SECRET"
        )

    def _create_once(
        self, endpoints: Any, params: dict[str, Any], key: str, props: dict[str, Any]
    ) -> Any | None:
        """The endpoint one key makes, or None when the key is spent by an earlier run."""
        # Whether a try of this call may have made the endpoint before its answer was lost:
        # only then is a replay this call's own endpoint.
        ours = [False]

        def attempt(_number: int) -> Any:
            try:
                return endpoints.create(params, options={"idempotency_key": key})
            except Exception as exc:
                found = stripe_answer(exc)
                if found is not None and (found.status is None or found.status >= 500):
                    ours[0] = True
                raise

        try:
            made = stripe_retried(attempt)
        except Exception as exc:
            found = stripe_answer(exc)
            if found is None:
                raise
            if found.replayed or _idempotency_refused(exc):
                return None  # this key only replays an old failure: take the next one
            raise self._explain(exc, props) from None
        if _replayed(made) and not ours[0]:
            # An earlier run's endpoint: deleted, whether it is an orphan or retired here.
            self._call(props, lambda: delete_stripe_endpoint(endpoints, made.id))
            return None
        return made

    def _call(self, props: dict[str, Any], call: Any) -> Any:
        try:
            return stripe_retried(lambda _attempt: call())
        except Exception as exc:
            raise self._explain(exc, props) from None

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        endpoints = self._endpoints(_news)
        changes = {k: v for k, v in create_params(_news).items() if k in UPDATABLE}
        self._call(_news, lambda: endpoints.update(_id, changes))
        return UpdateResult(outs={**_olds, **_inputs(_news)})  # the secret stays the same

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        endpoints = self._endpoints(_props)
        self._call(_props, lambda: delete_stripe_endpoint(endpoints, _id))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        endpoints = self._endpoints(props)
        found = self._call(props, lambda: _retrieve(endpoints, id_))
        if found is None:
            return ReadResult(id_="", outs={})  # deleted outside Pulumi: create it again
        # What Stripe has now, so a change made in its dashboard shows as a diff.
        return ReadResult(
            id_=id_,
            outs={
                **props,
                "url": found.url,
                "events": list(found.enabled_events),
                "apiVersion": found.api_version,
                **({"name": found.description} if "name" in props else {}),
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

    def _explain(self, exc: Exception, props: dict[str, Any]) -> VendorError:
        if isinstance(exc, VendorError):
            return exc
        found = stripe_answer(exc)
        if found is None:
            raise exc  # not Stripe's answer but a bug here: shown as it is
        if found.status in (400, 422):
            return StripeWebhookError(
                f"{_where(props)}: Stripe refused the endpoint (HTTP {found.status}); check "
                "envkeeper:stripe.webhook (a public https URL, event types Stripe knows)"
            )
        return self.refused(_where(props), found, tries_of(exc))


# What an update may change: Stripe fixes the API version and Connect when it creates.
UPDATABLE = ("url", "enabled_events", "description", "metadata")


def create_params(props: dict[str, Any]) -> dict[str, Any]:
    """The create request, from the resource's inputs: what the idempotency key digests."""
    params: dict[str, Any] = {
        "url": props["url"],
        "enabled_events": list(props["events"]),
        # Events reach the Worker in the shape its Stripe library parses, not in the
        # account's default version.
        "api_version": props["apiVersion"],
        # The name the orphan check knows the endpoint by (envkeeper/vendors/naming.py).
        "description": props.get("name") or f"envkeeper {props['environment']}",
        # Whose it is, whole (the name's mark is a digest of it): the orphan check deletes
        # only an endpoint made for its own stack.
        "metadata": {
            "envkeeper_environment": props["environment"],
            **({STACK_METADATA: props["identity"]} if props.get("identity") else {}),
        },
    }
    if props.get("connect"):
        params["connect"] = True
    return params


def _replayed(made: Any) -> bool:
    response = getattr(made, "last_response", None)
    headers = {str(k).lower(): str(v) for k, v in dict(getattr(response, "headers", {})).items()}
    return headers.get("idempotent-replayed") == "true"


def _idempotency_refused(exc: Exception) -> bool:
    """Stripe's 400 for a key sent with other parameters than the first time."""
    stripe = sys.modules.get("stripe")
    return stripe is not None and isinstance(exc, stripe.IdempotencyError)


def _retrieve(endpoints: Any, endpoint_id: str) -> Any | None:
    try:
        return endpoints.retrieve(endpoint_id)
    except Exception as exc:
        found = stripe_answer(exc)
        if found is not None and found.status == 404:
            return None
        raise


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in (*IDENTITY, *IN_PLACE, "environment") if k in props}


def _where(props: dict[str, Any]) -> str:
    return (
        f"Stripe webhook endpoint {props.get('url', '?')} "
        f"(environment {props.get('environment', '?')})"
    )


@dataclass(frozen=True)
class WebhookEndpointArgs:
    url: str
    events: list[str]
    connect: bool
    api_version: str  # fixed when the endpoint is made: a new one makes a new endpoint
    rotated: str  # the keeper date: moving it makes a new endpoint with a new secret
    environment: str
    name: str  # its description at Stripe: envkeeper's name for it (envkeeper/vendors/naming.py)
    identity: str  # the stack's owner/repository/environment, in its metadata


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
            "name": args.name,
            "identity": args.identity,
            "secret": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["secret"])
        super().__init__(
            WebhookEndpointProvider(),
            resource_name,
            props,
            pulumi.ResourceOptions.merge(opts, secret),
        )


def minted_secret(settings: Settings, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """STRIPE_WEBHOOK_SECRET where the stack lets envkeeper own the endpoint: its signing
    secret. Whatever carries it waits for the new endpoint; the old one is deleted last."""
    assert settings.stripe is not None
    webhook = settings.stripe.webhook
    endpoint = WebhookEndpoint(
        STRIPE_ENDPOINT_RESOURCE,
        WebhookEndpointArgs(
            url=webhook.url,
            events=list(webhook.events),
            connect=webhook.connect,
            api_version=webhook.api_version,
            rotated=settings.single_date("STRIPE_WEBHOOK_SECRET").isoformat(),
            environment=settings.environment.value,
            name=stripe_endpoint_name(settings),
            identity=vendors.stack_identity(settings),
        ),
        opts=opts,
    )
    return pulumi.Output.secret(endpoint.secret)

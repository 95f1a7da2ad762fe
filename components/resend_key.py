"""A Resend API key with sending access to one domain only, minted by envkeeper.

A dynamic provider on Resend's official SDK (`resend`): create the key (sending_access,
bound to the environment's domain, looked up by name), rename it in place, delete it when
it is replaced or removed, and read the key list to notice a key deleted outside Pulumi.
Resend shows a key's token once, on create; it is a secret output and never leaves the
state in clear.

Resend has no idempotency for API keys, so a key is named for its stack, slot and keeper
date (envkeeper/vendors/naming.py), and a create first deletes any key of exactly that name: one
an earlier create made whose answer was lost (a reset connection, a runner killed right
after). Its token was never seen, so it can only be deleted, never adopted.

The full-access key that manages keys is read when the provider runs, from the stack's
`envkeeper:resendAdminKey` or RESEND_API_KEY in the provider's environment; it is never an
attribute of the provider, so it is never serialized into the state with it. RESEND_API_URL
(the SDK's own setting) points it at another server, as the tests do. Every call is retried
as components/vendor_calls.py says.
"""

from __future__ import annotations

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
from components.slot_switch import SlotSwitch, SlotSwitchArgs, standby_end
from components.vendor_calls import (
    VendorError,
    resend_answer,
    resend_retried,
    resend_sdk,
    tries_of,
)
from components.vendor_credentials import listed_resend_keys, remove_resend_key
from envkeeper.config.clock import utc_today
from envkeeper.stack.settings import Settings
from envkeeper.vendors.resend import RESEND, resend_key_name, resend_key_resource

# A new domain or keeper date is a new key: Resend keys cannot be re-bound. A new name (the
# naming changed, the repository was renamed) renames the key in place. A standby past its
# end is retired in place: its key is deleted at Resend and the resource stays, holding no
# token, so the program declares the same resources whatever the day (nothing is declared
# inside an apply, and a saved plan names every step).
IDENTITY = ("domain", "rotated")
IN_PLACE = ("name", "environment")
RETIRED = "retired"


class ResendKeyError(VendorError):
    """One line for the user: which key, which environment, what to do. Never the key."""


_RUNTIME: dict[str, str | None] = {}


class ResendKeyProvider(AdminKeyProvider):
    config_key = RESEND.admin.key
    env_var = "RESEND_API_KEY"
    runtime = _RUNTIME
    vendor = "Resend"
    key_needs = "a full-access key"
    error = ResendKeyError

    def _sdk(self, props: dict[str, Any]) -> Any:
        return resend_sdk(self.require_admin_key(_where(props)))

    def _call(self, props: dict[str, Any], call: Any) -> Any:
        """`call(sdk)`, retried while Resend's failure is transient; else one line."""
        sdk = self._sdk(props)
        try:
            return resend_retried(lambda _attempt: call(sdk))
        except Exception as exc:
            raise self._explain(exc, props) from None

    def _domain_id(self, sdk: Any, props: dict[str, Any]) -> str:
        for domain in sdk.Domains.list().get("data") or []:
            if domain.get("name") == props["domain"]:
                return str(domain["id"])
        raise ResendKeyError(
            f"{_where(props)}: Resend has no domain {props['domain']} in this account; add and "
            "verify it in the Resend dashboard, or fix envkeeper:resend.domain"
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props.get(RETIRED):
            # A standby already past its end when first declared: no key is ever made.
            return CreateResult(
                id_=f"retired-{props['name']}", outs={**_inputs(props), "domainId": "", "token": ""}
            )
        domain_id = self._call(props, lambda sdk: self._domain_id(sdk, props))

        def make(sdk: Any) -> Any:
            # Each try first deletes what an earlier try (of this run or a dead one) may have
            # made under this exact name, then makes the key.
            for key in listed_resend_keys(sdk):
                if key.get("name") == props["name"]:
                    remove_resend_key(sdk, str(key["id"]))
            return sdk.ApiKeys.create(
                {"name": props["name"], "permission": "sending_access", "domain_id": domain_id}
            )

        made = self._call(props, make)
        return CreateResult(
            id_=str(made["id"]),
            outs={**_inputs(props), "domainId": domain_id, "token": made["token"]},
        )

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        if _news.get(RETIRED):
            if not _olds.get(RETIRED):  # its end has come: the key dies, nothing replaces it
                self._call(_olds, lambda sdk: remove_resend_key(sdk, _id))
            return UpdateResult(outs={**_olds, **_inputs(_news), "token": ""})
        # The token stays; a new name is given to the same key.
        if _olds.get("name") != _news["name"]:
            self._call(_news, lambda sdk: sdk.ApiKeys.update({"id": _id, "name": _news["name"]}))
        return UpdateResult(outs={**_olds, **_inputs(_news)})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        if not _props.get(RETIRED):
            self._call(_props, lambda sdk: remove_resend_key(sdk, _id))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if props.get(RETIRED):
            return ReadResult(id_=id_, outs=props)  # no key at Resend, by design
        listed = self._call(props, listed_resend_keys)
        if not any(key.get("id") == id_ for key in listed):
            return ReadResult(id_="", outs={})  # deleted outside Pulumi: plan to create it
        return ReadResult(id_=id_, outs=props)  # Resend never shows a token again

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        replaces = [k for k in IDENTITY if _olds.get(k) != _news.get(k)]
        if _olds.get(RETIRED) and not _news.get(RETIRED):
            replaces.append(RETIRED)  # a deleted key cannot come back: a new one is made
        changed = replaces or [k for k in (*IN_PLACE, RETIRED) if _olds.get(k) != _news.get(k)]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[k for k in IDENTITY if k not in replaces],
            delete_before_replace=False,  # the new key exists before the old one dies
        )

    def _explain(self, exc: Exception, props: dict[str, Any]) -> VendorError:
        if isinstance(exc, VendorError):
            return exc
        found = resend_answer(exc)
        if found is None:
            raise exc  # not Resend's answer but a bug here: shown as it is
        if found.status == 422:
            return ResendKeyError(
                f"{_where(props)}: Resend refused the request (HTTP 422); check "
                "envkeeper:resend.domain names a verified domain of this account"
            )
        return self.refused(_where(props), found, tries_of(exc))


def _inputs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in (*IDENTITY, *IN_PLACE, RETIRED) if k in props}


def _where(props: dict[str, Any]) -> str:
    return (
        f"Resend key {props.get('name', '?')} (environment {props.get('environment', '?')}, "
        f"domain {props.get('domain', '?')})"
    )


@dataclass(frozen=True)
class ResendApiKeyArgs:
    name: str
    domain: str
    rotated: str  # the slot's keeper date: moving it mints a new key
    environment: str
    retired: pulumi.Input[bool] = False  # a standby past its end: its key is deleted


class ResendApiKey(Resource, module="envkeeper", name="ResendApiKey"):
    """A sending-only Resend key for one domain."""

    token: pulumi.Output[str]

    def __init__(
        self, resource_name: str, args: ResendApiKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            "name": args.name,
            "domain": args.domain,
            "rotated": args.rotated,
            "environment": args.environment,
            RETIRED: args.retired,
            "domainId": None,
            "token": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["token"])
        super().__init__(
            ResendKeyProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )


class SendingKeys(pulumi.ComponentResource):
    """The environment's two Resend sending keys, slots a and b; the later date is active.

    A slot is replaced when its date moves: the new key is made before the old is deleted.
    Resend keys never expire, so the standby is declared only until its end (the grace
    after its switch was deployed): the first `pulumi up` from that day deletes it.
    """

    active_token: pulumi.Output[str]

    def __init__(
        self, name: str, settings: Settings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("envkeeper:resend:SendingKeys", name, None, opts)
        assert settings.resend is not None
        resend = settings.resend
        slots = settings.slots("RESEND_API_KEY")
        child = pulumi.ResourceOptions(parent=self)

        def key(slot: str, retired: pulumi.Input[bool] = False) -> ResendApiKey:
            return ResendApiKey(
                resend_key_resource(slot),
                ResendApiKeyArgs(
                    name=resend_key_name(settings, slot),
                    domain=resend.domain,
                    rotated=slots.date_of(slot).isoformat(),
                    environment=settings.environment.value,
                    retired=retired,
                ),
                opts=child,
            )

        active = key(slots.active)
        switch = SlotSwitch(
            SlotSwitchArgs("RESEND_API_KEY", slots, settings.standby_grace_days), opts=child
        )
        today = utc_today()
        # The standby works until the record says it dies (a preview knows that too: the
        # record is computed in its check); from that day its key is deleted.
        standby_retired = standby_end(switch).apply(lambda ends: ends <= today)
        key(slots.inactive, standby_retired)
        self.active_token = pulumi.Output.secret(active.token)
        self.register_outputs(
            {
                "activeSlot": slots.active,
                "activeToken": self.active_token,
                "standbyRetired": standby_retired,
            }
        )


def minted_secret(settings: Settings, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    """RESEND_API_KEY where the stack lets envkeeper mint it: the active sending key."""
    return SendingKeys("resend-keys", settings, opts=opts).active_token

"""One Cloudflare Worker secret, with the semantics of `wrangler secret put/delete`.

Cloudflare provider v6 only knows Worker secrets as bindings of a whole script upload,
which would make this program own the Worker's code. This dynamic provider, built on the
official `cloudflare` SDK, puts one secret in place (the Worker never runs without it),
updates it in place, and deletes it when the resource goes.

After each put it records, in its `record` output, the ids of every version and deployment
of its Worker and every route on the stack's zones (components/cloudflare_deployed.py):
what this trusted deploy saw, so that the orphan check can name what a leaked deploy
token's holder added later (envkeeper/infra/worker_code.py).

The API token is read when the provider runs, from the stack's `cloudflare:apiToken` or
the CLOUDFLARE_API_TOKEN environment variable. It is never an attribute of the provider,
so it is never serialized into the state with it. Every call goes through the shared
vendor base (components/admin_key.py, components/vendor_calls.py): bounded retries, quiet
SDK logging, one line per refusal.
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
from components.cloudflare_deployed import record_of
from components.vendor_calls import RETRY, VendorError, cloudflare_answer, cloudflare_client
from envkeeper.infra.worker_code import RECORD
from envkeeper.stack.catalog import CLOUDFLARE_API_TOKEN

# Changing any of these names a different secret: replace. Changing `text`: update in place.
IDENTITY = ("accountId", "scriptName", "name")
# `writers`: the deploy tokens' ids (components/cloudflare.py's DeployTokens.writer_ids);
# when a token is made anew, the secret is put again with its value unchanged.
# `recording`: the form of the record a put leaves; a stack whose secrets were put before
# records were kept (or in an older form) puts each once more, so every Worker has one.
PROPERTIES = (*IDENTITY, "text", "environment", "writers", "recording")
RECORDING = "2"  # routes kept with their marks
# Kept, never compared: the zones whose routes a put records, and that record. A stack that
# gains a zone records it at its next put; no secret is put again for it.
ZONES = "zones"
TOKEN_CONFIG_KEY = CLOUDFLARE_API_TOKEN.key
# Cloudflare's error code for a secret change while the Worker's latest version is not the
# deployed one (a gradual deployment, or `wrangler versions upload` not yet deployed).
LATEST_VERSION_NOT_DEPLOYED = 10215
# Cloudflare's error codes for a Worker that does not exist (the answer is not always a 404).
WORKER_NOT_FOUND = {10007, 10090}


class WorkerSecretError(VendorError):
    """One line for the user: which secret, which Worker, which environment, what to do."""


# Process-wide runtime settings of the provider; never pickled with it.
_RUNTIME: dict[str, str | None] = {}


class WorkerSecretProvider(AdminKeyProvider):
    config_key = TOKEN_CONFIG_KEY
    env_var = "CLOUDFLARE_API_TOKEN"
    runtime = _RUNTIME
    vendor = "Cloudflare"
    key_needs = "a token with 'Workers Scripts Write' on this account"
    error = WorkerSecretError

    def _client(self, props: dict[str, Any]) -> Any:
        # The SDK retries a 429, a 5xx, a lost connection or a timeout itself, as long as
        # Retry-After asks, within RETRY's bounds: putting the same value twice is harmless.
        return cloudflare_client(self.require_admin_key(_where(props)))

    def _put(self, props: dict[str, Any]) -> dict[str, Any]:
        """Put the secret, then record what is deployed: the outputs to keep."""
        client = self._client(props)
        try:
            client.workers.scripts.secrets.update(
                props["scriptName"],
                account_id=props["accountId"],
                name=props["name"],
                text=props["text"],
                type="secret_text",
            )
        except Exception as exc:
            raise self._explain(exc, props) from None
        try:
            record = record_of(
                client, props["accountId"], props["scriptName"], list(props.get(ZONES) or [])
            )
        except Exception as exc:
            # The step fails; the put is harmless to repeat on the next up.
            raise self._unrecorded(exc, props) from None
        return {**_outs(props), RECORD: record}

    def _unrecorded(self, exc: Exception, props: dict[str, Any]) -> VendorError:
        found = cloudflare_answer(exc)
        if found is None:
            raise exc  # a bug here: shown as it is
        where = f"{_where(props)}: put, but listing what is deployed there"
        if found.status in (401, 403):
            return WorkerSecretError(
                f"{where}: Cloudflare refused the admin key (HTTP {found.status}); give it "
                "Workers Routes Read on the stack's zones (it records their routes), then "
                "run pulumi up again"
            )
        return self.refused(where, found, tries=RETRY.attempts if found.transient else 1)

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(id_=secret_id(props), outs=self._put(props))

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._put(_news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        client = self._client(_props)
        try:
            client.workers.scripts.secrets.delete(
                _props["name"], account_id=_props["accountId"], script_name=_props["scriptName"]
            )
        except Exception as exc:
            if _gone(exc):
                return  # already gone: the desired state
            raise self._explain(exc, _props) from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self._client(props)
        try:
            client.workers.scripts.secrets.get(
                props["name"], account_id=props["accountId"], script_name=props["scriptName"]
            )
        except Exception as exc:
            if _gone(exc):
                return ReadResult(id_="", outs={})  # deleted outside Pulumi: plan to create it
            raise self._explain(exc, props) from None
        # Cloudflare never returns a secret's value; the state keeps what was put.
        return ReadResult(id_=id_, outs=_outs(props))

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        changed = [k for k in PROPERTIES if _olds.get(k) != _news.get(k)]
        replaces = [k for k in IDENTITY if k in changed]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[k for k in IDENTITY if k not in changed],
            delete_before_replace=False,
        )

    def _explain(self, exc: Exception, props: dict[str, Any]) -> VendorError:
        found = cloudflare_answer(exc)
        if found is None:
            raise exc  # not Cloudflare's answer but a bug here: shown as it is
        where = _where(props)
        codes = _codes(exc)
        if LATEST_VERSION_NOT_DEPLOYED in codes:
            # Rolling back does not help: the latest uploaded version must be the deployed one.
            return WorkerSecretError(
                f"{where}: the Worker's latest version is not deployed (a gradual deployment, "
                "or a `wrangler versions upload` not yet deployed), and Cloudflare refuses "
                "secret changes until it is; deploy that version to 100% (wrangler versions "
                "deploy <version-id>@100%), then run pulumi up again"
            )
        if found.status == 404 or codes & WORKER_NOT_FOUND:
            return WorkerSecretError(
                f"{where}: the Worker does not exist; deploy it once (wrangler deploy) "
                "or fix envkeeper:cloudflare.workers"
            )
        # The SDK already tried RETRY.attempts times before a transient failure got here.
        return self.refused(where, found, tries=RETRY.attempts if found.transient else 1)


def secret_id(props: dict[str, Any]) -> str:
    return f"{props['accountId']}/{props['scriptName']}/{props['name']}"


def _outs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in (*PROPERTIES, ZONES, RECORD) if k in props}


def _where(props: dict[str, Any]) -> str:
    return (
        f"Worker secret {props['name']} on Worker {props['scriptName']} "
        f"(environment {props.get('environment', '?')}, account {props['accountId']})"
    )


def _gone(exc: Exception) -> bool:
    found = cloudflare_answer(exc)
    return found is not None and found.status == 404


def _codes(exc: Exception) -> set[Any]:
    return {getattr(error, "code", None) for error in getattr(exc, "errors", None) or []}


@dataclass(frozen=True)
class WorkerSecretArgs:
    account_id: str
    script_name: str
    name: str
    text: pulumi.Input[str]  # a secret Output
    environment: str
    writers: pulumi.Input[str] = ""  # the deploy tokens' ids: a new token puts it again
    zones: tuple[str, ...] = ()  # the stack's zones, whose routes each put records


class WorkerSecret(Resource, module="envkeeper", name="WorkerSecret"):
    """`wrangler secret put NAME` for one Worker, as a resource."""

    def __init__(
        self, resource_name: str, args: WorkerSecretArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props: dict[str, Any] = {
            "accountId": args.account_id,
            "scriptName": args.script_name,
            "name": args.name,
            "text": pulumi.Output.secret(args.text),
            "environment": args.environment,
            "writers": args.writers,
            ZONES: list(args.zones),
            "recording": RECORDING,
            RECORD: None,  # an output: what the put saw deployed
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["text"])
        super().__init__(
            WorkerSecretProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )

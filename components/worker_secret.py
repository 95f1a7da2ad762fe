"""One Cloudflare Worker secret, with the semantics of `wrangler secret put/delete`.

Cloudflare provider v6 only knows Worker secrets as bindings of a whole script upload,
which would make this program own the Worker's code. This dynamic provider, built on the
official `cloudflare` SDK, puts one secret in place (the Worker never runs without it),
updates it in place, and deletes it when the resource goes.

The API token is read when the provider runs, from the stack's `cloudflare:apiToken` or
the CLOUDFLARE_API_TOKEN environment variable. It is never an attribute of the provider,
so it is never serialized into the state with it.
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

# Changing any of these names a different secret: replace. Changing `text`: update in place.
IDENTITY = ("accountId", "scriptName", "name")
PROPERTIES = (*IDENTITY, "text", "environment")
TOKEN_CONFIG_KEY = "cloudflare:apiToken"  # noqa: S105 (a config key, not a token)
# Cloudflare's error code for a secret change while the Worker's latest version is not the
# deployed one (a gradual deployment, or `wrangler versions upload` not yet deployed).
LATEST_VERSION_NOT_DEPLOYED = 10215
# Cloudflare's error codes for a Worker that does not exist (the answer is not always a 404).
WORKER_NOT_FOUND = {10007, 10090}


class WorkerSecretError(Exception):
    """One line for the user: which secret, which Worker, which environment, what to do."""


# Process-wide runtime settings of the provider; never pickled with it.
_RUNTIME: dict[str, str | None] = {}


class WorkerSecretProvider(AdminKeyProvider):
    config_key = TOKEN_CONFIG_KEY
    env_var = "CLOUDFLARE_API_TOKEN"
    runtime = _RUNTIME

    def _client(self) -> Any:
        import cloudflare  # imported when the provider runs, not when the program starts

        token = self.admin_key()
        if not token:
            raise WorkerSecretError(
                "no Cloudflare API token: set it with "
                "`pulumi config set --secret cloudflare:apiToken` or CLOUDFLARE_API_TOKEN"
            )
        return cloudflare.Cloudflare(api_token=token)

    def _put(self, props: dict[str, Any]) -> None:
        import cloudflare

        try:
            self._client().workers.scripts.secrets.update(
                props["scriptName"],
                account_id=props["accountId"],
                name=props["name"],
                text=props["text"],
                type="secret_text",
            )
        except cloudflare.APIStatusError as exc:
            raise _explain(exc, props) from None

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._put(props)
        return CreateResult(id_=secret_id(props), outs=_outs(props))

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        self._put(_news)
        return UpdateResult(outs=_outs(_news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        import cloudflare

        try:
            self._client().workers.scripts.secrets.delete(
                _props["name"], account_id=_props["accountId"], script_name=_props["scriptName"]
            )
        except cloudflare.NotFoundError:
            return  # already gone: the desired state
        except cloudflare.APIStatusError as exc:
            raise _explain(exc, _props) from None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        import cloudflare

        try:
            self._client().workers.scripts.secrets.get(
                props["name"], account_id=props["accountId"], script_name=props["scriptName"]
            )
        except cloudflare.NotFoundError:
            return ReadResult(id_="", outs={})  # deleted outside Pulumi: plan to create it
        except cloudflare.APIStatusError as exc:
            raise _explain(exc, props) from None
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


def secret_id(props: dict[str, Any]) -> str:
    return f"{props['accountId']}/{props['scriptName']}/{props['name']}"


def _outs(props: dict[str, Any]) -> dict[str, Any]:
    return {k: props[k] for k in PROPERTIES if k in props}


def _explain(exc: Any, props: dict[str, Any]) -> WorkerSecretError:
    where = (
        f"Worker secret {props['name']} on Worker {props['scriptName']} "
        f"(environment {props.get('environment', '?')}, account {props['accountId']})"
    )
    status = getattr(exc, "status_code", None)
    codes = {getattr(error, "code", None) for error in getattr(exc, "errors", None) or []}
    if LATEST_VERSION_NOT_DEPLOYED in codes:
        # Rolling back does not help: the latest uploaded version must be the deployed one.
        return WorkerSecretError(
            f"{where}: the Worker's latest version is not deployed (a gradual deployment, or a "
            "`wrangler versions upload` not yet deployed), and Cloudflare refuses secret changes "
            "until it is; deploy that version to 100% (wrangler versions deploy "
            "<version-id>@100%), then run pulumi up again"
        )
    if status == 404 or codes & WORKER_NOT_FOUND:
        return WorkerSecretError(
            f"{where}: the Worker does not exist; deploy it once (wrangler deploy) "
            "or fix envkeeper:cloudflare.workers"
        )
    if status in (401, 403):
        return WorkerSecretError(
            f"{where}: the Cloudflare API token may not change it; it needs the "
            "'Workers Scripts Write' permission on this account"
        )
    return WorkerSecretError(f"{where}: Cloudflare answered HTTP {status}; try again later")


@dataclass(frozen=True)
class WorkerSecretArgs:
    account_id: str
    script_name: str
    name: str
    text: pulumi.Input[str]  # a secret Output
    environment: str


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
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["text"])
        super().__init__(
            WorkerSecretProvider(), resource_name, props, pulumi.ResourceOptions.merge(opts, secret)
        )

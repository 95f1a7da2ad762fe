"""Run the real Pulumi program offline, under Pulumi's mock runtime.

This is what `envkeeper plan` and the tests use instead of an engine: the real `__main__.py`
runs, with the program's own declarations of the providers' resources
(components/bridged.py); a mock monitor records every registration.

Two things the mock runtime does not do and the engine does are done here, because a
test that skipped them could neither see a real leak nor trust a clean result:
- `additional_secret_outputs` are applied: the listed outputs come back as secrets;
- secret config stays secret: `secure:` keys are passed as secret keys.

Importing this module imports `pulumi`; only `plan` and the tests do.

Long because the stand-in providers, the recording monitor and the run share one run's
state and the SDK's private names; split, each part would reach into the others.
"""

from __future__ import annotations

import asyncio
import base64
import contextvars
import gc
import hashlib
import json
import logging
import runpy
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import config as runtime_config
from pulumi.runtime import mocks, rpc, settings
from pulumi.runtime.stack import run_in_stack

from envkeeper.config.clock import utc_today
from envkeeper.engine.sdk_internals import SECRET_SIG, SECRET_SIG_KEY, reset_root_resource
from envkeeper.infra import resource_types as types
from envkeeper.rotation.switch import Switch, record
from envkeeper.vendors import MINTED_VENDORS

STACK_TYPE = types.STACK
SLOT_SWITCH = types.SLOT_SWITCH
GITHUB_TEAM = "github:index/getTeam:getTeam"
GITHUB_USER = "github:index/getUser:getUser"
PERMISSION_GROUPS = (
    "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList"
)
_MINTED_BY_TYPE = {vendor.minted_type: vendor for vendor in MINTED_VENDORS}
SECRET = "[secret]"  # noqa: S105 (the marker printed instead of a value)


def is_secret(value: Any) -> bool:
    return rpc.is_rpc_secret(value)


def wrap_secret(value: Any) -> dict[str, Any]:
    return {SECRET_SIG_KEY: SECRET_SIG, "value": value}


def unwrap_all(value: Any) -> Any:
    """The value with every secret wrapper removed: what the engine would see decrypted."""
    if is_secret(value):
        return unwrap_all(value["value"])
    if isinstance(value, dict):
        return {k: unwrap_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap_all(v) for v in value]
    return value


def redact(value: Any) -> Any:
    """The value with every secret replaced by `[secret]`: safe to print."""
    if is_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if k != SECRET_SIG_KEY}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass
class Registration:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    inputs: dict[str, Any]  # secrets still wrapped
    outputs: dict[str, Any] = field(default_factory=dict)  # secrets still wrapped
    additional_secret_outputs: list[str] = field(default_factory=list)
    replace_on_changes: list[str] = field(default_factory=list)
    delete_before_replace: bool = False
    provider: str = ""
    replacement_trigger: Any = None  # a change to it replaces the resource
    dependencies: list[str] = field(default_factory=list)  # URNs it waits for
    id: str = ""  # the provider's id for it, which the engine never encrypts
    protect: bool = False
    retain_on_delete: bool = False


@dataclass
class ProgramRun:
    project: str
    stack: str
    registrations: list[Registration]
    stack_outputs: dict[str, Any]
    component_outputs: dict[str, dict[str, Any]]
    logs: list[str]
    stand_ins: frozenset[str] = frozenset()  # ids invented offline (see FakeProviders)

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str) -> Registration:
        found = [r for r in self.registrations if r.type == type_ and r.name == name]
        assert len(found) == 1, f"expected one {type_} named {name}, found {len(found)}"
        return found[0]


class ProgramError(Exception):
    """The program failed; the message is the program's own, without a traceback."""


def fake_value(prefix: str, *parts: Any) -> str:
    """A stable stand-in for a generated value: the same inputs give the same value."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()
    return prefix + base64.urlsafe_b64encode(digest[:18]).decode()


def switch_record(inputs: Mapping[str, Any], deployed: Mapping[str, Any] | None) -> dict[str, Any]:
    """A SlotSwitch's state as its provider's check makes it, from the record `deployed`
    (None: nothing deployed yet)."""
    dates = {slot: date.fromisoformat(str(v)) for slot, v in inputs["dates"].items()}
    old = Switch.from_props(dict(deployed)) if deployed else None
    made = record(str(inputs["secret"]), old, dates, int(inputs["graceDays"]), utc_today())
    return made.props()


def _group(name: str, scope: str) -> dict[str, Any]:
    number = hashlib.sha256(f"{name}|{scope}".encode()).hexdigest()[:32]
    return {"id": number, "name": name, "scopes": [scope], "category": "Workers"}


# Cloudflare's permission groups as far as a plan needs them, near misses included (names
# that contain another, the same name at another scope). Ids are offline stand-ins.
PERMISSION_GROUP_CATALOGUE: list[dict[str, Any]] = [
    _group("Workers Scripts Read", "com.cloudflare.api.account"),
    _group("Workers Scripts Write", "com.cloudflare.api.account"),
    _group("Workers Routes Read", "com.cloudflare.api.account.zone"),
    _group("Workers Routes Write", "com.cloudflare.api.account.zone"),
    _group("Workers KV Storage Write", "com.cloudflare.api.account"),
]


class FakeProviders(mocks.Mocks):
    """Stands in for the providers: echoes inputs and invents what only a provider knows.

    Generated values depend on the resource's inputs (its keepers included), so bumping a
    keeper date changes exactly the values a real `pulumi up` would replace.
    """

    def __init__(
        self,
        generated_prefix: str,
        stack: str,
        permission_groups: list[dict[str, Any]] | None = None,
        github_ids: dict[str, int] | None = None,
        deployed: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.prefix = generated_prefix
        # The SlotSwitch records of an earlier run, by resource name, as if deployed.
        self.deployed = dict(deployed or {})
        self.stack = stack  # two stacks never get the same generated value
        self.permission_groups = (
            PERMISSION_GROUP_CATALOGUE if permission_groups is None else permission_groups
        )
        self.github_ids = github_ids or {}
        # Ids invented for look-ups only a provider can answer, so a plan can mark them.
        self.stand_ins: set[str] = set()

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        state = dict(args.inputs)
        seed = (self.stack, args.typ, args.name, args.inputs)
        ident = f"{args.name}-id"
        if args.typ == "random:index/randomBytes:RandomBytes":
            raw = fake_value(self.prefix, *seed)
            state["base64"] = raw
            state["hex"] = raw.encode().hex()
            ident = raw  # as pulumi-random does: the value is the (never secret) id
        elif args.typ == types.RANDOM_PASSWORD:
            state["result"] = fake_value(self.prefix, *seed)
            state["bcryptHash"] = fake_value("bcrypt-", *seed)
            ident = "none"  # as pulumi-random does
        elif args.typ == types.ACCOUNT_TOKEN:
            state["value"] = fake_value(self.prefix, *seed)
            state["status"] = "active"
            # A token made anew (its name carries its date) has a new id, as at Cloudflare;
            # one updated in place (a shorter life) keeps it. Worker secrets carry the ids.
            made = f"{self.stack}/{args.name}/{args.inputs.get('name')}"
            ident = hashlib.sha256(made.encode()).hexdigest()[:32]
        elif args.typ in _MINTED_BY_TYPE:
            # What a minted vendor's resource outputs, as its module says.
            made, stand_ins = _MINTED_BY_TYPE[args.typ].offline_outputs(
                args.inputs, fake_value(self.prefix, *seed)
            )
            state.update(made)
            self.stand_ins.update(stand_ins)
        elif args.typ == SLOT_SWITCH:
            # As the provider's check computes it: from what `deployed` says was deployed
            # before, or with nothing deployed, each switch happened on its date.
            state.update(switch_record(args.inputs, self.deployed.get(args.name)))
        elif args.typ == types.NEON_PROJECT:
            state.update(self._neon_project(args.name, seed))
        elif args.typ == types.NEON_OWNER_PASSWORD:
            # The password Neon's reset answers with, new for each keeper date.
            state["password"] = fake_value(self.prefix, *seed)
        return ident, state

    def _neon_project(self, name: str, seed: tuple[Any, ...]) -> dict[str, Any]:
        endpoint = "ep-" + fake_value("", *seed)[:12].lower().replace("_", "0").replace("-", "0")
        host = f"{endpoint}.us-east-2.aws.neon.tech"
        pooler = f"{endpoint}-pooler.us-east-2.aws.neon.tech"
        password = fake_value(self.prefix, "owner", *seed)
        # As the Neon provider answers (kislerdm/neon through terraform-provider).
        return {
            "id": f"{name}-id",
            "databaseName": "neondb",
            "databaseUser": "neondb_owner",
            "databasePassword": password,
            "databaseHost": host,
            "databaseHostPooler": pooler,
            "defaultBranchId": "br-" + endpoint[3:],
            "defaultEndpointId": endpoint,
            "connectionUri": f"postgres://neondb_owner:{password}@{host}/neondb?sslmode=require",
            "connectionUriPooler": (
                f"postgres://neondb_owner:{password}@{pooler}/neondb?sslmode=require"
            ),
        }

    def call(self, args: mocks.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        if args.token == PERMISSION_GROUPS:
            # As the data source answers: every group whose name contains the one asked
            # for, with all its scopes; the program must pick the right one itself.
            wanted = str(args.args.get("name") or "")
            results = [g for g in self.permission_groups if wanted in g["name"]]
            self.stand_ins.update(g["id"] for g in results)
            return {"results": results}, []
        if args.token in (GITHUB_TEAM, GITHUB_USER):
            # GitHub's numeric ids, stable per name.
            name = args.args.get("slug") or args.args.get("username")
            number = self.github_ids.get(str(name))
            if number is None:
                number = int(hashlib.sha256(str(name).encode()).hexdigest()[:7], 16)
            self.stand_ins.add(str(number))
            return {"id": str(number), "nodeId": f"node-{number}", "slug": name}, []
        return {}, []


class RecordingMonitor(mocks.MockMonitor):
    """A mock monitor that keeps what the engine would see, secrets marked as such."""

    def __init__(self, fakes: mocks.Mocks) -> None:
        super().__init__(fakes)
        self.registrations: list[Registration] = []
        self.outputs: dict[str, dict[str, Any]] = {}
        self.loops: list[asyncio.AbstractEventLoop] = []
        self._loops_lock = threading.Lock()

    def _ensure_event_loop(self) -> None:
        # The SDK calls the monitor from worker threads, which have no event loop of their
        # own; the loops made here are closed when the run ends, not left to the collector.
        try:
            asyncio.get_event_loop()
        except RuntimeError:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            with self._loops_lock:
                self.loops.append(loop)

    def Invoke(self, request: Any) -> Any:  # the gRPC method's name
        self._ensure_event_loop()
        return super().Invoke(request)

    def RegisterResource(self, request: Any) -> Any:  # the gRPC method's name
        urn = self.make_urn(request.parent, request.type, request.name)
        if request.type == STACK_TYPE:
            return super().RegisterResource(request)
        self._ensure_event_loop()
        inputs = rpc.deserialize_properties(request.object, keep_unknowns=True)
        secret_outputs = list(request.additionalSecretOutputs)
        reg = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            inputs=inputs,
            additional_secret_outputs=secret_outputs,
            replace_on_changes=list(request.replaceOnChanges),
            delete_before_replace=bool(request.deleteBeforeReplace),
            provider=request.provider,
            dependencies=list(request.dependencies),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            replacement_trigger=(
                json_format.MessageToDict(request.replacement_trigger)
                if request.HasField("replacement_trigger")
                else None
            ),
        )
        response = super().RegisterResource(request)
        state = dict(self.resources[urn].state) if urn in self.resources else {}
        # The engine marks these outputs secret; the mock monitor does not.
        for key in secret_outputs:
            if key in state and not is_secret(state[key]):
                state[key] = wrap_secret(state[key])
        reg.outputs = state
        reg.id = response.id
        if request.custom:
            loop = asyncio.get_event_loop()
            obj = loop.run_until_complete(rpc.serialize_properties(state, {}))
            response = type(response)(urn=response.urn, id=response.id, object=obj)
        self.registrations.append(reg)
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # the gRPC method's name
        self._ensure_event_loop()
        self.outputs[request.urn] = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def run_program(
    project_dir: Path,
    stack: str,
    config: Mapping[str, Any],
    secret_config: Mapping[str, str],
    generated_prefix: str = "generated-",
    providers: FakeProviders | None = None,
    program: Callable[[], None] | None = None,
) -> ProgramRun:
    """Run `project_dir/__main__.py` (or `program`) for `stack` with the given config,
    offline.

    `config` holds plain values (objects are passed as JSON, as the engine does);
    `secret_config` holds the values of `secure:` keys, passed as secret config.
    """
    from envkeeper.config.stackfile import project_name

    project = project_name(project_dir)
    providers = providers or FakeProviders(generated_prefix, stack)
    monitor = RecordingMonitor(providers)
    handler = _ListHandler()
    logger = logging.getLogger(f"envkeeper.offline.{stack}")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)

    all_config = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    all_config.update(secret_config)

    def run() -> None:
        settings.configure(
            mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(
                    monitor.GetDeploymentInfo(None).supportedFeatures  # type: ignore[arg-type]
                ),
                engine=mocks.MockEngine(logger),
                project=project,
                stack=stack,
                root_directory=str(project_dir),
                dry_run=False,
                organization="organization",
                callbacks=None,
                # Fresh per run: the defaults are shared objects, and a failed run would
                # leave its tasks behind for the next one to await on a closed loop.
                outputs=set(),
                lock=threading.Lock(),
            )
        )
        reset_root_resource()
        runtime_config.set_all_config(all_config, list(secret_config))
        main = str(project_dir / "__main__.py")

        def main_program() -> None:
            runpy.run_path(main, run_name="__main__")

        asyncio.run(run_in_stack(program or main_program))

    # A fresh context per run: Pulumi keeps its settings, config and root stack in
    # context variables, so two runs in one process never see each other's state.
    # A failed program leaves futures whose errors asyncio would print to stderr; the
    # error itself is reported once, below.
    asyncio_log = logging.getLogger("asyncio")
    asyncio_level = asyncio_log.level
    asyncio_log.setLevel(logging.CRITICAL)
    try:
        contextvars.Context().run(run)
    except Exception as exc:
        message = str(exc) if type(exc).__name__ == "RunError" else f"{type(exc).__name__}: {exc}"
        raise ProgramError(message) from None
    finally:
        gc.collect()  # the failed run's futures report themselves now, while muted
        asyncio_log.setLevel(asyncio_level)
        for loop in monitor.loops:
            loop.close()

    stack_urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
    stack_outputs = monitor.outputs.pop(stack_urn, {})
    return ProgramRun(
        project=project,
        stack=stack,
        registrations=monitor.registrations,
        stack_outputs=stack_outputs,
        component_outputs=monitor.outputs,
        logs=handler.lines,
        stand_ins=frozenset(providers.stand_ins),
    )

"""components/bridged.py against the installed provider SDKs it stands in for.

Each light declaration must register exactly what its SDK class registers, or a stack
deployed before would show changes (or worse, replacements) after. Checked three ways:
its names against the SDK's signature (properties, wire names, required ones, outputs,
plugin version); one resource of each kind with every declared property set, registered
through both under the mocks; and the whole program, per stack, through both. An SDK
upgrade that renames a property fails here, not in a deploy.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from google.protobuf import json_format
from pulumi import _types

from components import bridged
from envkeeper.offline import program as offline
from tests.conftest import PROJECT, ROOT, STACKS
from tests.programs import SHIPPED, run
from tests.sdk_declarations import ARGS, INVOKES, RESOURCES, SDK_NAMES, sdk_declarations, sdk_of
from tests.test_neon import OWNER, adopt

# The Neon SDK is not among them: the program uses it as it is (only a stack that creates
# its project imports it, about 60 ms beside Pulumi's own import).
SDKS = (bridged.RANDOM, bridged.POSTGRESQL, bridged.CLOUDFLARE, bridged.GITHUB)
# Where a request names the line of code that made the resource: compared on its own.
POSITION = ("sourcePosition", "stackTrace")


def label(declaration: Any) -> str:
    return declaration.__name__


def required(parameters: dict[str, inspect.Parameter]) -> set[str]:
    return {n for n, p in parameters.items() if p.default is inspect.Parameter.empty}


def sdk_parameters(function: Any) -> dict[str, inspect.Parameter]:
    skip = {"__self__", "self", "opts", "args", "kwargs"}
    return {n: p for n, p in inspect.signature(function).parameters.items() if n not in skip}


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("args", ARGS, ids=label)
def test_each_property_is_the_sdks_with_its_wire_name_and_the_same_required_ones(
    args: Any,
) -> None:
    sdk = sdk_of(args)
    parameters = sdk_parameters(sdk.__init__)
    declared = {f.name: f for f in dataclasses.fields(args)}
    assert set(declared) <= set(parameters), "not in the SDK: " + ", ".join(
        sorted(set(declared) - set(parameters))
    )
    names = _types.input_type_py_to_pulumi_names(sdk)
    assert {n: bridged.wire_name(f) for n, f in declared.items()} == {n: names[n] for n in declared}
    light_required = {
        n
        for n, f in declared.items()
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    assert light_required == required(parameters)


@pytest.mark.parametrize("resource", RESOURCES, ids=label)
def test_each_output_the_program_reads_is_one_the_sdk_resource_has(resource: Any) -> None:
    sdk = sdk_of(resource)
    outputs = getattr(resource, "OUTPUTS", ())
    assert set(outputs) <= set(_types.resource_pulumi_to_py_names(sdk))
    # Every typed attribute is registered as an output, and only those.
    own = {k for k, v in vars(resource).get("__annotations__", {}).items() if "Output" in v}
    assert own == set(outputs)
    assert sdk.__module__.split(".")[0] == resource.SDK


@pytest.mark.parametrize("invoke", INVOKES, ids=label)
def test_each_invoke_takes_arguments_its_sdk_function_takes(invoke: Any) -> None:
    sdk_args = sdk_parameters(sdk_of(invoke))
    light_args = sdk_parameters(invoke)
    assert set(light_args) <= set(sdk_args)
    assert required(sdk_args) <= required(light_args)


@pytest.mark.parametrize("sdk", SDKS)
def test_the_plugin_version_is_the_one_the_installed_sdk_asks_for(sdk: str) -> None:
    utilities = importlib.import_module(f"{sdk}._utilities")
    assert bridged.plugin(sdk) == (utilities.get_version(), utilities.get_plugin_download_url())


def test_every_declaration_has_its_sdk_counterpart() -> None:
    public = {
        v
        for k, v in vars(bridged).items()
        if not k.startswith("_")
        and getattr(v, "__module__", None) == bridged.__name__
        and (inspect.isfunction(v) or inspect.isclass(v))
    }
    helpers = {bridged.Declared, bridged.plugin, bridged.wire, bridged.wire_name}
    assert public - helpers == set(SDK_NAMES)


# --- registrations -----------------------------------------------------------------------


class RawMonitor(offline.RecordingMonitor):
    """Keeps every request as the engine would receive it, whole."""

    last: RawMonitor | None = None

    def __init__(self, fakes: Any) -> None:
        super().__init__(fakes)
        self.registered: dict[str, dict[str, Any]] = {}
        self.invoked: list[dict[str, Any]] = []
        RawMonitor.last = self

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        self.registered[urn] = json_format.MessageToDict(request)
        return super().RegisterResource(request)

    def Invoke(self, request: Any) -> Any:
        self.invoked.append(json_format.MessageToDict(request))
        return super().Invoke(request)


@pytest.fixture
def raw(monkeypatch: pytest.MonkeyPatch) -> type[RawMonitor]:
    monkeypatch.setattr(offline, "RecordingMonitor", RawMonitor)
    return RawMonitor


def requests(run_it: Callable[[], Any]) -> tuple[dict[str, dict[str, Any]], list[str], Any]:
    """The resources' requests by URN, the invokes' (sorted), and the run."""
    result = run_it()
    monitor = RawMonitor.last
    assert monitor is not None
    invokes = sorted(json.dumps(i, sort_keys=True) for i in monitor.invoked)
    return monitor.registered, invokes, result


def without_position(request: dict[str, Any]) -> dict[str, Any]:
    """The request without where it was made, its dependencies in order (the SDK collects
    them in a set, so their order is not the program's)."""
    found = {k: v for k, v in request.items() if k not in POSITION}
    found["dependencies"] = sorted(found.get("dependencies", []))
    found["propertyDependencies"] = {
        k: sorted(v.get("urns", [])) for k, v in found.get("propertyDependencies", {}).items()
    }
    return found


# One of each, with every property the declaration has set (a secret among them), so each
# is compared with what its SDK sends for it.
SAMPLES: dict[Any, Any] = {
    bridged.RandomPassword: bridged.RandomPasswordArgs(
        length=24,
        keepers={"rotated": "2026-01-02"},
        lower=True,
        numeric=False,
        override_special="-_",
        special=True,
        upper=False,
    ),
    bridged.PostgresqlProvider: bridged.PostgresqlProviderArgs(
        host="db.example.test",
        port=5433,
        username="owner",
        password="CANARY-sample-owner",
        database="neondb",
        superuser=False,
        sslmode="require",
        connect_timeout=30,
    ),
    bridged.Role: bridged.RoleArgs(
        name="app_sample",
        login=True,
        password="CANARY-sample-role",
        valid_until="2027-01-07 00:00:00+00",
        roles=["app_runtime"],
        inherit=True,
        superuser=False,
        create_database=False,
        create_role=False,
        replication=False,
        bypass_row_level_security=False,
        assume_role="app_owner",
    ),
    bridged.Database: bridged.DatabaseArgs(name="app"),
    bridged.Schema: bridged.SchemaArgs(name="app", database="app", owner="app_owner"),
    bridged.Grant: bridged.GrantArgs(
        role="app_runtime",
        database="app",
        object_type="table",
        privileges=["SELECT"],
        schema="app",
    ),
    bridged.DefaultPrivileges: bridged.DefaultPrivilegesArgs(
        role="app_runtime",
        database="app",
        owner="app_owner",
        object_type="table",
        privileges=["SELECT"],
        schema="app",
    ),
    bridged.AccountToken: bridged.AccountTokenArgs(
        account_id="0123456789abcdef0123456789abcdef",
        name="sample deploy",
        policies=[
            bridged.AccountTokenPolicyArgs(
                effect="allow",
                permission_groups=[bridged.AccountTokenPolicyPermissionGroupArgs(id="g-1")],
                resources='{"com.cloudflare.api.account.0123":"*"}',
            )
        ],
        expires_on="2027-01-01T00:00:00Z",
        condition=bridged.AccountTokenConditionArgs(
            request_ip=bridged.AccountTokenConditionRequestIpArgs(ins=["203.0.113.0/24"])
        ),
    ),
    bridged.RepositoryEnvironment: bridged.RepositoryEnvironmentArgs(
        repository="example-app",
        environment="production",
        reviewers=[bridged.RepositoryEnvironmentReviewerArgs(teams=[4242], users=[7])],
        prevent_self_review=True,
        can_admins_bypass=False,
        deployment_branch_policy=bridged.RepositoryEnvironmentDeploymentBranchPolicyArgs(
            protected_branches=False, custom_branch_policies=True
        ),
    ),
    bridged.RepositoryEnvironmentDeploymentPolicy: (
        bridged.RepositoryEnvironmentDeploymentPolicyArgs(
            repository="example-app", environment="production", branch_pattern="main"
        )
    ),
    bridged.ActionsEnvironmentSecret: bridged.ActionsEnvironmentSecretArgs(
        repository="example-app",
        environment="production",
        secret_name="SAMPLE",
        value="CANARY-sample-secret",
    ),
    bridged.ActionsEnvironmentVariable: bridged.ActionsEnvironmentVariableArgs(
        repository="example-app", environment="production", variable_name="SAMPLE", value="v"
    ),
}
INVOKE_SAMPLES: dict[Any, dict[str, Any]] = {
    bridged.get_account_api_token_permission_groups_list: {
        "account_id": "0123456789abcdef0123456789abcdef",
        "name": "Workers Scripts Write",
        "scope": "com.cloudflare.api.account",
    },
    bridged.get_team: {"slug": "platform", "summary_only": True},
    bridged.get_user: {"username": "octocat"},
}


def unset_fields(args: Any, path: str = "") -> Iterator[str]:
    for f in dataclasses.fields(args):
        value = getattr(args, f.name)
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if value is None or value == default:
            yield f"{path}{f.name}"
        for item in value if isinstance(value, list) else [value]:
            if dataclasses.is_dataclass(item) and not isinstance(item, type):
                yield from unset_fields(item, f"{path}{f.name}.")


@pytest.mark.parametrize("resource", RESOURCES, ids=label)
def test_the_sample_sets_every_declared_property(resource: Any) -> None:
    assert list(unset_fields(SAMPLES[resource])) == []


def offline_run(program: Callable[[], None]) -> offline.ProgramRun:
    return offline.run_program(PROJECT, "dev", {}, {}, program=program)


@pytest.mark.parametrize("resource", RESOURCES, ids=label)
def test_each_declaration_registers_what_its_sdk_class_registers(
    raw: type[RawMonitor], resource: Any
) -> None:
    def program() -> None:
        parent = pulumi.ComponentResource("test:index:Parent", "parent")
        getattr(bridged, resource.__name__)(
            "sample", SAMPLES[resource], opts=pulumi.ResourceOptions(parent=parent)
        )

    light, _, _ = requests(lambda: offline_run(program))
    with sdk_declarations() as built:
        sdk, _, _ = requests(lambda: offline_run(program))
    assert built == [resource.__name__]
    assert light.keys() == sdk.keys()
    for urn in light:
        assert without_position(light[urn]) == without_position(sdk[urn]), urn


def within(part: Any, whole: Any) -> bool:
    """Whether every key of `part` is in `whole` with the same value, nested too."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and within(v, whole[k]) for k, v in part.items()
        )
    if isinstance(part, list):
        return (
            isinstance(whole, list)
            and len(part) == len(whole)
            and all(within(p, w) for p, w in zip(part, whole, strict=True))
        )
    return part == whole


@pytest.mark.parametrize("invoke", INVOKES, ids=label)
def test_each_invoke_sends_what_its_sdk_function_sends_and_reads_its_answer(
    raw: type[RawMonitor], invoke: Any
) -> None:
    answers: list[Any] = []

    def program() -> None:
        getattr(bridged, invoke.__name__)(**INVOKE_SAMPLES[invoke]).apply(answers.append)

    _, light, _ = requests(lambda: offline_run(program))
    with sdk_declarations() as built:
        _, sdk, _ = requests(lambda: offline_run(program))
    assert built == [invoke.__name__]
    assert light == sdk and len(light) == 1
    # The answer the program reads holds what the SDK's typed result held, by wire name.
    assert len(answers) == 2 and within(answers[1], answers[0])


# --- the whole program -------------------------------------------------------------------


def variant(project: Path) -> dict[str, str]:
    """Production adopting its Neon project, with a token IP allowlist and a reviewer
    by name: the paths the shipped stacks do not take. Returns its secret config."""
    adopt(project, "prod")
    path = project / "Pulumi.prod.yaml"
    text = path.read_text()
    text = text.replace("    zones: [", "    tokenIpAllowlist: [203.0.113.0/24]\n    zones: [")
    text = text.replace(
        "      teams: [platform]\n", "      teams: [platform]\n      users: [octocat]\n"
    )
    path.write_text(text)
    secrets = {k: f"placeholder:{k}" for k in SHIPPED.secure_config_keys()}
    secrets["envkeeper:neonOwnerUrl"] = OWNER
    return secrets


@pytest.mark.parametrize("stack", [*STACKS, "prod-adopted"])
def test_the_whole_program_registers_what_it_did_through_the_sdks(
    raw: type[RawMonitor], project: Path, stack: str
) -> None:
    name, secrets = stack, None
    if stack == "prod-adopted":
        name, secrets = "prod", variant(project)

    light, light_invokes, light_run = requests(lambda: run(name, project, secrets=secrets))
    with sdk_declarations() as built:
        sdk, sdk_invokes, sdk_run = requests(lambda: run(name, project, secrets=secrets))

    assert light.keys() == sdk.keys()
    for urn in light:
        assert without_position(light[urn]) == without_position(sdk[urn]), urn
    assert light_invokes == sdk_invokes
    assert light_run.component_outputs == sdk_run.component_outputs
    assert light_run.stack_outputs == sdk_run.stack_outputs
    # Every bridged resource and invoke of the run went through its SDK the second time.
    bridged_types = {
        r.type
        for r in light_run.registrations
        if not r.type.startswith(("envkeeper:", "pulumi-python:dynamic/", "neon:"))
    }
    tokens = {getattr(bridged, n).TYPE for n in built if hasattr(getattr(bridged, n), "TYPE")}
    assert bridged_types - {"pulumi:providers:postgresql"} == tokens
    assert len(built) == len([r for r in light_run.registrations if r.type in bridged_types]) + len(
        light_invokes
    )


def test_each_resource_is_placed_at_the_line_of_the_program_that_declares_it(
    raw: type[RawMonitor],
) -> None:
    registered, _, result = requests(lambda: run("prod"))
    for reg in result.registrations:
        if reg.type.startswith(("envkeeper:", "pulumi-python:", "pulumi:providers:")):
            continue
        uri = registered[reg.urn]["sourcePosition"]["uri"]
        assert "/components/" in uri and not uri.endswith("/bridged.py"), (reg.urn, uri)


def test_the_program_imports_no_provider_sdk() -> None:
    code = (
        "import sys\n"
        "from tests.programs import run\n"
        "result = run('prod')\n"
        "assert len(result.registrations) > 40\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in " + repr(SDKS) + "))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"

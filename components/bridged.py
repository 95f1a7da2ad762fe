"""The provider resources and look-ups the program uses, declared without their SDKs.

Importing `pulumi_cloudflare` takes seconds and hundreds of MiB (its `__init__` loads every
one of its ~780 modules and 12 MB of generated classes), `pulumi_github` most of a second,
for the handful of types the program uses; every preview, deploy, drift check and
`envkeeper plan` would pay it. Each class here registers exactly what its SDK class
registers: the type token, the property names on the wire, the inputs the SDK makes
secret, its secret outputs and aliases, and the plugin version (and download URL) the
installed SDK names in its `pulumi-plugin.json`, read as a file, never imported. The
default provider's URN carries that version: another one would show every resource as
changed.

The SDKs stay locked dependencies: they name the plugin versions, and
tests/test_bridged.py holds every declaration here against them. Only what the program
uses is declared. A property is named as the SDK's Args class names it (snake_case); on
the wire it is its camelCase unless its field says `wire`. Outputs are attributes named
as on the wire. Use these as `bridged.Role(...)`, not `from components.bridged import
Role`: the tests swap in the SDK's classes through this module's names. The args classes
are plain dataclasses, not frozen ones, whose generated methods would cost this module's
import several times over.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import pulumi
import pulumi.runtime

# The SDK packages, by import name: each one's pulumi-plugin.json names its plugin.
RANDOM = "pulumi_random"
POSTGRESQL = "pulumi_postgresql"
CLOUDFLARE = "pulumi_cloudflare"
GITHUB = "pulumi_github"

# Field metadata: how the SDK treats an input before it sends it.
SECRET = {"secret": True}  # made secret, whatever the caller passed
JSON = {"json": True}  # a provider's non-string setting: sent as JSON text


def wire(name: str) -> dict[str, str]:
    """A property whose wire name is not the camelCase of its Python name."""
    return {"wire": name}


@functools.cache
def plugin(sdk: str) -> tuple[str, str | None]:
    """The plugin version and download URL the installed SDK asks for."""
    spec = importlib.util.find_spec(sdk)  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{sdk} is not installed: run `uv sync`")
    folder = Path(next(iter(spec.submodule_search_locations)))
    info = json.loads((folder / "pulumi-plugin.json").read_text(encoding="utf-8"))
    return str(info["version"]), info.get("server")


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(word.title() for word in rest)


def wire_name(f: Any) -> str:
    return f.metadata.get("wire") or _camel(f.name)


def _in_sdk_order(args: Any) -> list[Any]:
    # The SDK's generated code sets properties in the order of their Python names; the
    # engine keeps that order, and so a plan shows the inputs as it did with the SDK.
    return sorted(fields(args), key=lambda f: f.name)


def _on_the_wire(value: Any) -> Any:
    """Nested args as the SDK's input types serialize them: wire names, unset fields left out."""
    if is_dataclass(value) and not isinstance(value, type):
        return {
            wire_name(f): _on_the_wire(getattr(value, f.name))
            for f in _in_sdk_order(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, list | tuple):
        return [_on_the_wire(v) for v in value]
    return value


def _props(args: Any, outputs: Sequence[str]) -> dict[str, Any]:
    props: dict[str, Any] = {}
    for f in _in_sdk_order(args):
        value = getattr(args, f.name)
        if value is not None and f.metadata.get("secret"):
            value = pulumi.Output.secret(value)
        if value is not None and f.metadata.get("json"):
            value = pulumi.Output.from_input(value).apply(pulumi.runtime.to_json)
        props[wire_name(f)] = _on_the_wire(value)
    # Unset here, resolved from the engine's answer: they become the resource's attributes.
    props.update(dict.fromkeys(o for o in outputs if o not in props))
    return props


def _options(
    sdk: str,
    secret_outputs: Sequence[str],
    aliases: Sequence[str],
    opts: pulumi.ResourceOptions | None,
) -> pulumi.ResourceOptions:
    """The caller's options over the SDK's defaults, then the SDK's own, merged as it does."""
    version, server = plugin(sdk)
    defaults = pulumi.ResourceOptions(version=version, plugin_download_url=server)
    merged = pulumi.ResourceOptions.merge(defaults, opts)
    if secret_outputs:
        secret = pulumi.ResourceOptions(additional_secret_outputs=list(secret_outputs))
        merged = pulumi.ResourceOptions.merge(merged, secret)
    if aliases:
        renamed = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=t) for t in aliases])
        merged = pulumi.ResourceOptions.merge(merged, renamed)
    return merged


ArgsT = TypeVar("ArgsT")


class Declared(pulumi.CustomResource, Generic[ArgsT]):
    """A bridged provider's resource type, registered as its SDK class registers it."""

    TYPE: ClassVar[str]
    SDK: ClassVar[str]
    OUTPUTS: ClassVar[tuple[str, ...]] = ()  # the outputs the program reads, wire names
    SECRET_OUTPUTS: ClassVar[tuple[str, ...]] = ()  # as the SDK lists them
    ALIASES: ClassVar[tuple[str, ...]] = ()  # earlier type tokens the SDK declares

    # The only __init__ between the caller and Pulumi's own, as in the SDK's classes: the
    # engine records the caller's line as the resource's source position.
    def __init__(
        self, resource_name: str, args: ArgsT, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        cls = type(self)
        super().__init__(
            cls.TYPE,
            resource_name,
            _props(args, cls.OUTPUTS),
            _options(cls.SDK, cls.SECRET_OUTPUTS, cls.ALIASES, opts),
        )


def _invoke(
    function: str, sdk: str, args: Mapping[str, Any], opts: pulumi.InvokeOutputOptions | None
) -> pulumi.Output[dict[str, Any]]:
    """A provider function's result as the wire has it (camelCase keys), as an Output."""
    version, server = plugin(sdk)
    defaults = pulumi.InvokeOptions(version=version, plugin_download_url=server)
    merged = pulumi.InvokeOutputOptions.merge(defaults, opts)
    return pulumi.runtime.invoke_output(function, dict(args), opts=merged)


# --- random ------------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class RandomPasswordArgs:
    length: pulumi.Input[int]
    keepers: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    lower: pulumi.Input[bool] | None = None
    numeric: pulumi.Input[bool] | None = None
    override_special: pulumi.Input[str] | None = None
    special: pulumi.Input[bool] | None = None
    upper: pulumi.Input[bool] | None = None


class RandomPassword(Declared[RandomPasswordArgs]):
    TYPE = "random:index/randomPassword:RandomPassword"
    SDK = RANDOM
    OUTPUTS = ("result",)
    SECRET_OUTPUTS = ("bcryptHash", "result")
    result: pulumi.Output[str]


# --- postgresql --------------------------------------------------------------------------


def _env_int(name: str) -> int | None:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return None


@dataclass(kw_only=True, eq=False)
class PostgresqlProviderArgs:
    host: pulumi.Input[str] | None = None
    port: pulumi.Input[int] | None = field(default=None, metadata=JSON)
    username: pulumi.Input[str] | None = None
    password: pulumi.Input[str] | None = field(default=None, metadata=SECRET)
    database: pulumi.Input[str] | None = None
    superuser: pulumi.Input[bool] | None = field(default=None, metadata=JSON)
    # The SDK's defaults for these two, from the same environment variables.
    sslmode: pulumi.Input[str] | None = field(default_factory=lambda: os.environ.get("PGSSLMODE"))
    connect_timeout: pulumi.Input[int] | None = field(
        default_factory=lambda: _env_int("PGCONNECT_TIMEOUT") or 180, metadata=JSON
    )


class PostgresqlProvider(pulumi.ProviderResource):
    """An explicit pulumi-postgresql provider (the SDK's `postgresql.Provider`)."""

    SDK: ClassVar[str] = POSTGRESQL
    SECRET_OUTPUTS: ClassVar[tuple[str, ...]] = ("password",)

    def __init__(
        self,
        resource_name: str,
        args: PostgresqlProviderArgs,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "postgresql",
            resource_name,
            _props(args, ()),
            _options(self.SDK, self.SECRET_OUTPUTS, (), opts),
        )


@dataclass(kw_only=True, eq=False)
class RoleArgs:
    name: pulumi.Input[str] | None = None
    login: pulumi.Input[bool] | None = None
    password: pulumi.Input[str] | None = field(default=None, metadata=SECRET)
    valid_until: pulumi.Input[str] | None = None
    roles: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    inherit: pulumi.Input[bool] | None = None
    superuser: pulumi.Input[bool] | None = None
    create_database: pulumi.Input[bool] | None = None
    create_role: pulumi.Input[bool] | None = None
    replication: pulumi.Input[bool] | None = None
    bypass_row_level_security: pulumi.Input[bool] | None = None
    assume_role: pulumi.Input[str] | None = None


class Role(Declared[RoleArgs]):
    TYPE = "postgresql:index/role:Role"
    SDK = POSTGRESQL
    SECRET_OUTPUTS = ("password", "passwordWo")


@dataclass(kw_only=True, eq=False)
class DatabaseArgs:
    name: pulumi.Input[str] | None = None


class Database(Declared[DatabaseArgs]):
    TYPE = "postgresql:index/database:Database"
    SDK = POSTGRESQL
    OUTPUTS = ("name",)
    name: pulumi.Output[str]


@dataclass(kw_only=True, eq=False)
class SchemaArgs:
    name: pulumi.Input[str] | None = None
    database: pulumi.Input[str] | None = None
    owner: pulumi.Input[str] | None = None


class Schema(Declared[SchemaArgs]):
    TYPE = "postgresql:index/schema:Schema"
    SDK = POSTGRESQL


@dataclass(kw_only=True, eq=False)
class GrantArgs:
    role: pulumi.Input[str]
    database: pulumi.Input[str]
    object_type: pulumi.Input[str]
    privileges: pulumi.Input[Sequence[pulumi.Input[str]]]
    schema: pulumi.Input[str] | None = None


class Grant(Declared[GrantArgs]):
    TYPE = "postgresql:index/grant:Grant"
    SDK = POSTGRESQL


@dataclass(kw_only=True, eq=False)
class DefaultPrivilegesArgs:
    role: pulumi.Input[str]
    database: pulumi.Input[str]
    owner: pulumi.Input[str]
    object_type: pulumi.Input[str]
    privileges: pulumi.Input[Sequence[pulumi.Input[str]]]
    schema: pulumi.Input[str] | None = None


class DefaultPrivileges(Declared[DefaultPrivilegesArgs]):
    TYPE = "postgresql:index/defaultPrivileges:DefaultPrivileges"
    SDK = POSTGRESQL
    ALIASES = ("postgresql:index/defaultPrivileg:DefaultPrivileg",)


# --- cloudflare --------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class AccountTokenPolicyPermissionGroupArgs:
    id: pulumi.Input[str]


@dataclass(kw_only=True, eq=False)
class AccountTokenPolicyArgs:
    effect: pulumi.Input[str]
    permission_groups: pulumi.Input[Sequence[AccountTokenPolicyPermissionGroupArgs]]
    resources: pulumi.Input[str]  # JSON text


@dataclass(kw_only=True, eq=False)
class AccountTokenConditionRequestIpArgs:
    ins: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None


@dataclass(kw_only=True, eq=False)
class AccountTokenConditionArgs:
    request_ip: AccountTokenConditionRequestIpArgs | None = None


@dataclass(kw_only=True, eq=False)
class AccountTokenArgs:
    account_id: pulumi.Input[str]
    name: pulumi.Input[str]
    policies: pulumi.Input[Sequence[AccountTokenPolicyArgs]]
    expires_on: pulumi.Input[str] | None = None
    condition: AccountTokenConditionArgs | None = None


class AccountToken(Declared[AccountTokenArgs]):
    TYPE = "cloudflare:index/accountToken:AccountToken"
    SDK = CLOUDFLARE
    OUTPUTS = ("value",)
    SECRET_OUTPUTS = ("value",)
    value: pulumi.Output[str]


def get_account_api_token_permission_groups_list(
    *,
    account_id: pulumi.Input[str],
    name: pulumi.Input[str],
    scope: pulumi.Input[str],
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """Cloudflare's permission groups whose name contains `name`: `results`, each with
    `id`, `name` and `scopes`."""
    args = {"accountId": account_id, "name": name, "scope": scope}
    function = "cloudflare:index/getAccountApiTokenPermissionGroupsList:getAccountApiTokenPermissionGroupsList"  # noqa: E501
    return _invoke(function, CLOUDFLARE, args, opts)


# --- github ------------------------------------------------------------------------------


@dataclass(kw_only=True, eq=False)
class RepositoryEnvironmentReviewerArgs:
    teams: pulumi.Input[Sequence[pulumi.Input[int]]] | None = None
    users: pulumi.Input[Sequence[pulumi.Input[int]]] | None = None


@dataclass(kw_only=True, eq=False)
class RepositoryEnvironmentDeploymentBranchPolicyArgs:
    protected_branches: pulumi.Input[bool]
    custom_branch_policies: pulumi.Input[bool]


@dataclass(kw_only=True, eq=False)
class RepositoryEnvironmentArgs:
    repository: pulumi.Input[str]
    environment: pulumi.Input[str]
    reviewers: Sequence[RepositoryEnvironmentReviewerArgs] | None = None
    prevent_self_review: pulumi.Input[bool] | None = None
    can_admins_bypass: pulumi.Input[bool] | None = None
    deployment_branch_policy: RepositoryEnvironmentDeploymentBranchPolicyArgs | None = None


class RepositoryEnvironment(Declared[RepositoryEnvironmentArgs]):
    TYPE = "github:index/repositoryEnvironment:RepositoryEnvironment"
    SDK = GITHUB
    OUTPUTS = ("environment",)
    environment: pulumi.Output[str]


@dataclass(kw_only=True, eq=False)
class RepositoryEnvironmentDeploymentPolicyArgs:
    repository: pulumi.Input[str]
    environment: pulumi.Input[str]
    branch_pattern: pulumi.Input[str] | None = None


class RepositoryEnvironmentDeploymentPolicy(Declared[RepositoryEnvironmentDeploymentPolicyArgs]):
    TYPE = (
        "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"
    )
    SDK = GITHUB


@dataclass(kw_only=True, eq=False)
class ActionsEnvironmentSecretArgs:
    repository: pulumi.Input[str]
    environment: pulumi.Input[str]
    secret_name: pulumi.Input[str]
    value: pulumi.Input[str] | None = field(default=None, metadata=SECRET)


class ActionsEnvironmentSecret(Declared[ActionsEnvironmentSecretArgs]):
    TYPE = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret"
    SDK = GITHUB
    SECRET_OUTPUTS = ("encryptedValue", "plaintextValue", "value", "valueEncrypted")


@dataclass(kw_only=True, eq=False)
class ActionsEnvironmentVariableArgs:
    repository: pulumi.Input[str]
    environment: pulumi.Input[str]
    variable_name: pulumi.Input[str]
    value: pulumi.Input[str]


class ActionsEnvironmentVariable(Declared[ActionsEnvironmentVariableArgs]):
    TYPE = "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable"
    SDK = GITHUB


def get_team(
    *,
    slug: pulumi.Input[str],
    summary_only: pulumi.Input[bool] | None = None,
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[dict[str, Any]]:
    """A GitHub team: `id` (its number, as text), `nodeId`, `slug`, ..."""
    args = {"slug": slug, "summaryOnly": summary_only}
    return _invoke("github:index/getTeam:getTeam", GITHUB, args, opts)


def get_user(
    *, username: pulumi.Input[str], opts: pulumi.InvokeOutputOptions | None = None
) -> pulumi.Output[dict[str, Any]]:
    """A GitHub user: `id` (their number, as text), `nodeId`, `login`, ..."""
    return _invoke("github:index/getUser:getUser", GITHUB, {"username": username}, opts)

"""The program's bridged resources as the provider SDKs declare them: the reference that
components/bridged.py is held against, and the program as it ran before it.

`SDK_NAMES` pairs every declaration in components/bridged.py with its SDK counterpart.
`sdk_declarations()` makes components.bridged build the SDK's own classes for as long as
it lasts, so the real program registers its resources through the SDKs, as it did before
the light declarations: the whole-program comparison under the mocks and the engine test
that deploys with these and previews with the light ones run it so. Invokes go through
the SDK's functions too, their typed results handed on in the wire form the light ones give.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pulumi
from pulumi import _types

from components import bridged

# Each light declaration -> the SDK's class or function, as `module.name`.
SDK_NAMES: dict[Any, str] = {
    bridged.RandomPassword: "pulumi_random.RandomPassword",
    bridged.RandomPasswordArgs: "pulumi_random.RandomPasswordArgs",
    bridged.PostgresqlProvider: "pulumi_postgresql.Provider",
    bridged.PostgresqlProviderArgs: "pulumi_postgresql.ProviderArgs",
    bridged.Role: "pulumi_postgresql.Role",
    bridged.RoleArgs: "pulumi_postgresql.RoleArgs",
    bridged.Database: "pulumi_postgresql.Database",
    bridged.DatabaseArgs: "pulumi_postgresql.DatabaseArgs",
    bridged.Schema: "pulumi_postgresql.Schema",
    bridged.SchemaArgs: "pulumi_postgresql.SchemaArgs",
    bridged.Grant: "pulumi_postgresql.Grant",
    bridged.GrantArgs: "pulumi_postgresql.GrantArgs",
    bridged.DefaultPrivileges: "pulumi_postgresql.DefaultPrivileges",
    bridged.DefaultPrivilegesArgs: "pulumi_postgresql.DefaultPrivilegesArgs",
    bridged.AccountToken: "pulumi_cloudflare.AccountToken",
    bridged.AccountTokenArgs: "pulumi_cloudflare.AccountTokenArgs",
    bridged.AccountTokenPolicyArgs: "pulumi_cloudflare.AccountTokenPolicyArgs",
    bridged.AccountTokenPolicyPermissionGroupArgs: (
        "pulumi_cloudflare.AccountTokenPolicyPermissionGroupArgs"
    ),
    bridged.AccountTokenConditionArgs: "pulumi_cloudflare.AccountTokenConditionArgs",
    bridged.AccountTokenConditionRequestIpArgs: (
        "pulumi_cloudflare.AccountTokenConditionRequestIpArgs"
    ),
    bridged.get_account_api_token_permission_groups_list: (
        "pulumi_cloudflare.get_account_api_token_permission_groups_list_output"
    ),
    bridged.RepositoryEnvironment: "pulumi_github.RepositoryEnvironment",
    bridged.RepositoryEnvironmentArgs: "pulumi_github.RepositoryEnvironmentArgs",
    bridged.RepositoryEnvironmentReviewerArgs: "pulumi_github.RepositoryEnvironmentReviewerArgs",
    bridged.RepositoryEnvironmentDeploymentBranchPolicyArgs: (
        "pulumi_github.RepositoryEnvironmentDeploymentBranchPolicyArgs"
    ),
    bridged.RepositoryEnvironmentDeploymentPolicy: (
        "pulumi_github.RepositoryEnvironmentDeploymentPolicy"
    ),
    bridged.RepositoryEnvironmentDeploymentPolicyArgs: (
        "pulumi_github.RepositoryEnvironmentDeploymentPolicyArgs"
    ),
    bridged.ActionsEnvironmentSecret: "pulumi_github.ActionsEnvironmentSecret",
    bridged.ActionsEnvironmentSecretArgs: "pulumi_github.ActionsEnvironmentSecretArgs",
    bridged.ActionsEnvironmentVariable: "pulumi_github.ActionsEnvironmentVariable",
    bridged.ActionsEnvironmentVariableArgs: "pulumi_github.ActionsEnvironmentVariableArgs",
    bridged.get_team: "pulumi_github.get_team_output",
    bridged.get_user: "pulumi_github.get_user_output",
}

RESOURCES = [d for d in SDK_NAMES if isinstance(d, type) and issubclass(d, pulumi.Resource)]
ARGS = [d for d in SDK_NAMES if dataclasses.is_dataclass(d)]
INVOKES = [d for d in SDK_NAMES if d not in RESOURCES and d not in ARGS]


def sdk_of(declaration: Any) -> Any:
    module, name = SDK_NAMES[declaration].rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _left_at_default(f: dataclasses.Field[Any], value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return value == f.default
    if f.default_factory is not dataclasses.MISSING:
        return value == f.default_factory()
    return False


def to_sdk(value: Any) -> Any:
    """Light args as the SDK's args classes, nested ones too. A field left at its default
    is not passed, so the SDK applies its own default, as it did for today's program."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        given = {
            f.name: to_sdk(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not _left_at_default(f, getattr(value, f.name))
        }
        return sdk_of(type(value))(**given)
    if isinstance(value, list | tuple):
        return [to_sdk(v) for v in value]
    return value


def wire_form(value: Any) -> Any:
    """An SDK's typed invoke result as the wire has it: what the light invokes return."""
    if _types.is_output_type(type(value)):
        return {k: wire_form(v) for k, v in _types.output_type_to_dict(value).items()}
    if isinstance(value, list | tuple):
        return [wire_form(v) for v in value]
    return value


def install(built: list[str] | None = None) -> dict[str, Any]:
    """Make components.bridged build the SDK's classes and call its functions; returns
    what it replaced. Each use of the SDK appends its declaration's name to `built`."""
    replaced: dict[str, Any] = {}
    for light in RESOURCES + INVOKES:
        sdk = sdk_of(light)

        def build(name: str, args: Any, opts: Any = None, sdk: Any = sdk, light: Any = light):
            if built is not None:
                built.append(light.__name__)
            return sdk(name, to_sdk(args), opts=opts)

        def call(sdk: Any = sdk, light: Any = light, **kwargs: Any) -> Any:
            if built is not None:
                built.append(light.__name__)
            return sdk(**kwargs).apply(wire_form)

        replaced[light.__name__] = getattr(bridged, light.__name__)
        setattr(bridged, light.__name__, build if light in RESOURCES else call)
    return replaced


@contextmanager
def sdk_declarations() -> Iterator[list[str]]:
    """While this lasts, components.bridged builds the SDK's classes; yields the names of
    the declarations built through them."""
    built: list[str] = []
    replaced = install(built)
    try:
        yield built
    finally:
        for name, light in replaced.items():
            setattr(bridged, name, light)

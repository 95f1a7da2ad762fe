"""The component of the vendor in acme_vendor.py: components/acme_key.py in the scratch
copy. Offline only: its provider is never called."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

from envkeeper.stack.settings import Settings


class _AcmeKeyProvider(ResourceProvider):
    def create(self, props: Any) -> CreateResult:
        raise NotImplementedError("offline only")


class AcmeKey(Resource, module="envkeeper", name="AcmeKey"):
    key: pulumi.Output[str]

    def __init__(self, name: str, project: str, opts: pulumi.ResourceOptions) -> None:
        secret = pulumi.ResourceOptions(additional_secret_outputs=["key"])
        props = {"project": project, "key": None}
        super().__init__(
            _AcmeKeyProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret)
        )


def minted_secret(settings: Settings, opts: pulumi.ResourceOptions) -> pulumi.Output[str]:
    block = getattr(settings, "acme")  # noqa: B009 (a field only the new vendor's module declares)
    return pulumi.Output.secret(AcmeKey("acme-key", block.project, opts).key)

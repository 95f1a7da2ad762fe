"""What envkeeper knows of a vendor whose credential it mints by API, where a stack lets
it: one `MintedVendor`, declared by the vendor's own module beside this one."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from envkeeper.config.catalog_model import CatalogEntry, ProviderToken
from envkeeper.config.config_model import ConfigModel

if TYPE_CHECKING:
    from envkeeper.config.stack_view import StackView


@dataclass(frozen=True)
class MintedVendor:
    # Its settings block, envkeeper:<key> (present: envkeeper mints), and its name in the
    # orphan check and in a removed block's fix.
    key: str
    title: str  # as people write it: Resend
    settings_model: type[ConfigModel]
    settings_help: str  # the block's field description (`validate` and errors quote it)
    # The catalog secret it mints, which a stack without the block pastes in instead, and
    # where the pasted value is set.
    pasted: str
    pasted_config_key: str
    minted: CatalogEntry  # that secret as envkeeper mints it (source: its own kind)
    admin: ProviderToken  # the key its provider mints with, secret config of the stack
    resource_types: tuple[str, ...]  # every Pulumi type its component declares
    minted_type: str  # of these, the dynamic resource whose outputs hold the credential
    # The Pulumi names of the resources that mint the credential (those of `slots`, for a
    # two-slot one): replacing one re-mints it.
    resources: Callable[[set[str] | None], set[str]]
    # What the minted resource outputs offline, given its inputs and a stable stand-in
    # value: its outputs, and the ids among them only the vendor could know.
    offline_outputs: Callable[[Mapping[str, Any], str], tuple[dict[str, Any], set[str]]]
    # What a person does at the vendor to roll each of its secrets by hand (the pasted one,
    # and any other of the vendor's that envkeeper never mints).
    vendor_steps: Mapping[str, str]
    audit_line: str  # where to look for misuse after a leak (the incident checklist)
    mode: Callable[[Any], str]  # what envkeeper does, given the block (`validate`)
    pasted_mode: str  # what happens without the block
    review_phrase: str  # what the access review has a person compare at the vendor
    # The module of components/ whose `minted_secret(settings, opts)` mints it.
    component: str
    credential_noun: str = "key"  # a two-slot credential's noun: "Resend keys never expire"
    # The pasted secret's entry, when the catalog has no such built-in entry.
    pasted_entry: CatalogEntry | None = None
    # The names its credentials carry at the vendor now (envkeeper/vendors/naming.py): what
    # a person filters the vendor's logs by after a leak.
    names: Callable[[StackView], list[str]] = lambda _settings: []

    def block(self, settings: StackView) -> Any | None:
        """This stack's settings block for the vendor; None: the secret is pasted in."""
        return getattr(settings, self.key)

    def mode_line(self, settings: StackView) -> str:
        block = self.block(settings)
        return f"{self.title}: {self.pasted_mode if block is None else self.mode(block)}"

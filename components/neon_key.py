"""The base of envkeeper's providers that act with the stack's Neon API key (the owner's
password reset, the compute endpoint's restart): the key's config and environment names,
and the Neon calls made with it, their failures in the provider's own error type."""

from __future__ import annotations

from components.admin_key import AdminKeyProvider
from components.neon_calls import NeonCalls
from envkeeper.stack.catalog import NEON_API_KEY


class NeonKeyProvider(AdminKeyProvider):
    config_key = NEON_API_KEY.key
    env_var = "NEON_API_KEY"
    vendor = "Neon"
    key_needs = "a Neon API key of the project's organization"

    def neon(self, where: str) -> NeonCalls:
        """Calls to Neon with the stack's key; `where` starts every line they fail with."""
        return NeonCalls(
            self.require_admin_key(where),
            where,
            self.error,
            lambda answer, tries: self.refused(where, answer, tries),
        )

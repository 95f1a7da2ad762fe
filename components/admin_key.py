"""The base of envkeeper's dynamic providers (Worker secrets, Resend keys, Stripe
endpoints): the vendor key they act with, and their one-line errors.

The engine hands a dynamic provider the stack's config in `configure`, after it has been
unpickled. Keeping the key in a module-level dict, never on the provider object, means it
is never serialized into the state with the provider. How the providers call their vendor
(retries, idempotency, quiet SDK logging, the refusals' wording) is in
components/vendor_calls.py, which the orphan check shares.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pulumi.dynamic import ConfigureRequest, ResourceProvider

from components.vendor_calls import Answer, VendorError, refusal


class AdminKeyProvider(ResourceProvider):
    # The provider captures no secret, so its serialized form need not be one.
    serialize_as_secret_always = False
    config_key: ClassVar[str]  # the stack config key of the vendor key, e.g. cloudflare:apiToken
    env_var: ClassVar[str]  # the environment variable read when the config key is unset
    runtime: ClassVar[dict[str, str | None]]  # per provider module, never pickled
    vendor: ClassVar[str]  # the vendor's name, as its users know it
    key_needs: ClassVar[str]  # what the key must be, for the lines that ask for one
    error: ClassVar[type[VendorError]]  # the provider's own error type

    def configure(self, req: ConfigureRequest) -> None:
        value: Any = req.config.get(self.config_key) if req.config is not None else None
        self.runtime["key"] = value if isinstance(value, str) and value else None

    def admin_key(self) -> str | None:
        return self.runtime.get("key") or os.environ.get(self.env_var) or None

    def require_admin_key(self, where: str) -> str:
        key = self.admin_key()
        if not key:
            raise self.error(
                f"{where}: no {self.vendor} admin key; set it with `pulumi config set --secret "
                f"{self.config_key}` ({self.key_needs}) or {self.env_var}"
            )
        return key

    def refused(self, where: str, answer: Answer, tries: int = 1) -> VendorError:
        """The provider's error for a refusal it has no more precise words for."""
        fix = (
            f"it must be {self.key_needs}: set one with "
            f"`pulumi config set --secret {self.config_key}`"
        )
        return self.error(refusal(where, self.vendor, answer, key_fix=fix, tries=tries))

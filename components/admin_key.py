"""What envkeeper's dynamic providers share: the vendor key they act with, read when the
provider runs and kept in the provider process only.

The engine hands a dynamic provider the stack's config in `configure`, after it has been
unpickled. Keeping the key in a module-level dict, never on the provider object, means it
is never serialized into the state with the provider.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

from pulumi.dynamic import ConfigureRequest, ResourceProvider


class AdminKeyProvider(ResourceProvider):
    # The provider captures no secret, so its serialized form need not be one.
    serialize_as_secret_always = False
    config_key: ClassVar[str]  # the stack config key of the vendor key, e.g. cloudflare:apiToken
    env_var: ClassVar[str]  # the environment variable read when the config key is unset
    runtime: ClassVar[dict[str, str | None]]  # per provider module, never pickled

    def configure(self, req: ConfigureRequest) -> None:
        value: Any = req.config.get(self.config_key) if req.config is not None else None
        self.runtime["key"] = value if isinstance(value, str) and value else None

    def admin_key(self) -> str | None:
        return self.runtime.get("key") or os.environ.get(self.env_var) or None

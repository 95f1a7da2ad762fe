"""The password of a created Neon project's owner, rotated by its keeper date.

The owner (`neondb_owner`, a member of neon_superuser) is the admin login the PostgreSQL
provider and the session ender act as; anyone who ever read the stack's state or the
project's first connection URL would hold it for good if it never changed. So a created
project's owner password has its own catalog entry (NEON_OWNER_PASSWORD) and this
resource: on create, and whenever the date moves (`bump`, `emergency`, `offboard`), it asks
Neon to reset the role's password (`POST .../roles/{role}/reset_password`), waits for the
operation Neon starts to finish, and outputs the new password as a secret. Everything that
logs in as the owner takes it from here, in the same `up`.

A reset is safe to repeat: a lost answer or a 429/5xx is tried again, and the last reset
is the password Neon and the state both hold. A run killed between the reset and the
state write leaves the resource's create pending, and the next `up` resets once more. It
acts with the stack's `neon:apiKey` (or NEON_API_KEY), read when the provider runs and
never kept.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.neon_calls import part
from components.neon_key import NeonKeyProvider
from components.vendor_calls import VendorError
from envkeeper.stack.catalog import NEON_OWNER_PASSWORD

INPUTS = ("project_id", "branch_id", "role", "rotated")


class NeonOwnerError(VendorError):
    pass


_RUNTIME: dict[str, str | None] = {}


class NeonOwnerPasswordProvider(NeonKeyProvider):
    runtime = _RUNTIME
    error = NeonOwnerError

    def _reset(self, props: dict[str, Any]) -> dict[str, Any]:
        role = str(props["role"])
        where = f"{NEON_OWNER_PASSWORD}: resetting the password of {role}"
        project = str(props["project_id"])
        body = self.neon(where).act(
            f"/projects/{part(project)}/branches/{part(props['branch_id'])}/roles/{part(role)}"
            "/reset_password",
            project,
        )
        try:
            password = str(body["role"]["password"])
        except (KeyError, TypeError):
            raise NeonOwnerError(f"{where}: Neon's answer was not understood") from None
        return {**{k: props[k] for k in INPUTS if k in props}, "password": password}

    def create(self, props: dict[str, Any]) -> CreateResult:
        # Also on the first deploy: the password the project was made with has been in the
        # provider's answer and the state; from here on only this one works.
        outs = self._reset(props)
        return CreateResult(id_=f"{props['project_id']}/{props['role']}", outs=outs)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs=self._reset(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        # Nothing to revoke: the owner role belongs to the project, which is kept.
        return None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_=id_, outs=props)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [k for k in INPUTS if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[], stables=[])


class NeonOwnerPassword(Resource, module="envkeeper", name="NeonOwnerPassword"):
    """Outputs `password`, a secret: the owner's password Neon holds now."""

    password: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        project_id: pulumi.Input[str],
        branch_id: pulumi.Input[str],
        role: pulumi.Input[str],
        rotated: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            NeonOwnerPasswordProvider(),
            name,
            {
                "project_id": project_id,
                "branch_id": branch_id,
                "role": role,
                "rotated": rotated,
                "password": None,
            },
            pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(additional_secret_outputs=["password"])
            ),
        )

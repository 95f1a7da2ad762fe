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

import os
import time
from typing import Any
from urllib.parse import quote

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.admin_key import AdminKeyProvider
from components.vendor_calls import RETRY, VendorError, httpx_answer, retried, tries_of
from envkeeper import resource_types
from envkeeper.catalog import NEON_API_KEY, NEON_OWNER_PASSWORD

TYPE = resource_types.NEON_OWNER_PASSWORD
DEFAULT_NEON_URL = "https://console.neon.tech/api/v2"
INPUTS = ("project_id", "branch_id", "role", "rotated")
OPERATION_WAIT_S = 120.0  # Neon applies a password change to the compute in seconds


class NeonOwnerError(VendorError):
    pass


_RUNTIME: dict[str, str | None] = {}


def neon_url() -> str:
    """Neon's API; NEON_API_URL points it elsewhere."""
    return os.environ.get("NEON_API_URL") or DEFAULT_NEON_URL


class NeonOwnerPasswordProvider(AdminKeyProvider):
    config_key = NEON_API_KEY.key
    env_var = "NEON_API_KEY"
    runtime = _RUNTIME
    vendor = "Neon"
    key_needs = "a Neon API key of the project's organization"
    error = NeonOwnerError

    def _reset(self, props: dict[str, Any]) -> dict[str, Any]:
        import httpx

        role = str(props["role"])
        where = f"{NEON_OWNER_PASSWORD}: resetting the password of {role}"
        key = self.require_admin_key(where)
        project = quote(str(props["project_id"]), safe="")
        base = f"{neon_url()}/projects/{project}"
        branch = quote(str(props["branch_id"]), safe="")
        path = f"{base}/branches/{branch}/roles/{quote(role, safe='')}"
        headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}

        def reset(_attempt: int) -> dict[str, Any]:
            with httpx.Client(timeout=RETRY.timeout) as client:
                answer = client.post(f"{path}/reset_password", headers=headers)
                answer.raise_for_status()
                return answer.json()

        def finished(operation: str) -> None:
            # Neon applies the new password with an operation; the old one works until then.
            deadline = time.monotonic() + OPERATION_WAIT_S
            while True:

                def read(_attempt: int) -> str:
                    with httpx.Client(timeout=RETRY.timeout) as client:
                        answer = client.get(
                            f"{base}/operations/{quote(operation, safe='')}", headers=headers
                        )
                        answer.raise_for_status()
                        return str(answer.json()["operation"]["status"])

                status = retried(read, httpx_answer)
                if status == "finished":
                    return
                if status in ("failed", "error", "cancelled", "skipped"):
                    raise NeonOwnerError(
                        f"{where}: Neon's operation {operation} ended {status}; run pulumi up again"
                    )
                if time.monotonic() > deadline:
                    raise NeonOwnerError(
                        f"{where}: Neon's operation {operation} is still {status}; run pulumi "
                        "up again once it has finished"
                    )
                time.sleep(1)

        try:
            body = retried(reset, httpx_answer)
            password = body["role"]["password"]
            for operation in body.get("operations") or []:
                if operation.get("status") != "finished":
                    finished(str(operation["id"]))
        except NeonOwnerError:
            raise
        except Exception as exc:
            answer = httpx_answer(exc)
            if answer is None:
                raise NeonOwnerError(f"{where}: Neon's answer was not understood") from None
            raise self.refused(where, answer, tries_of(exc)) from None
        return {**{k: props[k] for k in INPUTS if k in props}, "password": str(password)}

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

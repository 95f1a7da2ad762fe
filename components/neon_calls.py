"""Calls to Neon's API that envkeeper's own providers make (the owner's password reset, the
compute endpoint's restart): one request with retries, then Neon's operations waited for.

Neon answers an action with the operations it started; what the action does (a password
applied, a compute restarted) is done only once each has finished. A 429 or 5xx, or an
answer lost on the way, is tried again (components/vendor_calls.py); a refusal is one line
that names the key to check, never the key.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from components.vendor_calls import RETRY, Answer, httpx_answer, retried, tries_of

DEFAULT_NEON_URL = "https://console.neon.tech/api/v2"
OPERATION_WAIT_S = 120.0  # Neon finishes a password change or a restart in seconds
ENDED = ("failed", "error", "cancelled", "skipped")


def neon_url() -> str:
    """Neon's API; NEON_API_URL points it elsewhere."""
    return os.environ.get("NEON_API_URL") or DEFAULT_NEON_URL


def part(value: object) -> str:
    """One path segment, quoted: ids come from state and settings."""
    return quote(str(value), safe="")


class NeonCalls:
    """Calls with one key, each failure raised as `fail(line)` (a provider's own error)."""

    def __init__(
        self,
        key: str,
        where: str,
        fail: Callable[[str], Exception],
        refused: Callable[[Answer, int], Exception],
    ) -> None:
        self.headers = {"Authorization": f"Bearer {key}", "Accept": "application/json"}
        self.where = where
        self.fail = fail
        self.refused = refused

    def _request(self, method: str, path: str) -> dict[str, Any]:
        import httpx

        def once(_attempt: int) -> dict[str, Any]:
            with httpx.Client(timeout=RETRY.timeout) as client:
                answer = client.request(method, f"{neon_url()}{path}", headers=self.headers)
                answer.raise_for_status()
                return answer.json()

        try:
            return retried(once, httpx_answer)
        except Exception as exc:
            found = httpx_answer(exc)
            if found is None:
                raise self.fail(f"{self.where}: Neon's answer was not understood") from None
            raise self.refused(found, tries_of(exc)) from None

    def act(self, path: str, project_id: str) -> dict[str, Any]:
        """POST an action, then wait for every operation it started to finish."""
        body = self._request("POST", path)
        for operation in body.get("operations") or []:
            if operation.get("status") != "finished":
                self._finished(project_id, str(operation["id"]))
        return body

    def _finished(self, project_id: str, operation: str) -> None:
        deadline = time.monotonic() + OPERATION_WAIT_S
        path = f"/projects/{part(project_id)}/operations/{part(operation)}"
        while True:
            try:
                status = str(self._request("GET", path)["operation"]["status"])
            except (KeyError, TypeError):
                raise self.fail(f"{self.where}: Neon's answer was not understood") from None
            if status == "finished":
                return
            if status in ENDED:
                raise self.fail(
                    f"{self.where}: Neon's operation {operation} ended {status}; run pulumi up "
                    "again"
                )
            if time.monotonic() > deadline:
                raise self.fail(
                    f"{self.where}: Neon's operation {operation} is still {status}; run pulumi "
                    "up again once it has finished"
                )
            time.sleep(1)

"""Who holds a stack, and whether that update is provably dead.

`envkeeper recover` cancels the update holding a stack only when it can prove that update
is dead: its lock was taken on this machine by a process that no longer runs, or it began
longer ago than any deploy can run. Anything else may be a person's `pulumi up`, or Pulumi
Deployments, in the middle of its work; cancelling it would cut a rotation in half. Pure:
the caller reads the locks (a `file://` backend's lock files) or the stack's history
(`pulumi stack history --json`, any backend) and asks here.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

from envkeeper.config.stackfile import short_stack_name

# Longer than any deploy can run: GitHub ends a job after six hours, and the deploy job
# (pulumi-up.yml) after far less.
LONGEST_UPDATE = timedelta(hours=6)


@dataclass(frozen=True)
class Holder:
    who: str  # user@host (pid N), or the CI build that started it; never a value
    since: datetime | None
    dead: bool  # proved dead: nothing of it can still be running

    def line(self) -> str:
        since = f" since {self.since:%Y-%m-%d %H:%M} UTC" if self.since else ""
        return f"an update by {self.who}{since}"


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it runs, as another user
    return True


def _parsed_time(text: object) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def file_backend(backend: str) -> Path | None:
    """The `.pulumi` folder of a `file://` backend; None for any other backend."""
    url = urlsplit(backend)
    return Path(unquote(url.path)) / ".pulumi" if url.scheme == "file" else None


def lock_files(backend: str, stack: str, project: str) -> list[Path]:
    """The lock files of this stack in a `file://` backend (none for another backend)."""
    root = file_backend(backend)
    if root is None:
        return []
    locks = root / "locks"
    short = short_stack_name(stack)
    folders = (locks / "organization" / project / short, locks / short)
    return sorted(p for folder in folders if folder.is_dir() for p in folder.glob("*.json"))


def from_lock(
    text: str,
    host: str,
    now: datetime,
    alive: Callable[[int], bool] = process_alive,
) -> Holder:
    """The holder a file backend's lock names (pid, username, hostname, timestamp)."""
    try:
        lock = json.loads(text)
    except json.JSONDecodeError:
        lock = None
    if not isinstance(lock, dict):
        return Holder("an unreadable lock", None, dead=False)
    pid, since = lock.get("pid"), _parsed_time(lock.get("timestamp"))
    who = f"{lock.get('username', '?')}@{lock.get('hostname', '?')} (pid {pid})"
    here_and_gone = lock.get("hostname") == host and isinstance(pid, int) and not alive(pid)
    too_old = since is not None and now - since > LONGEST_UPDATE
    return Holder(who, since, dead=here_and_gone or too_old)


def from_history(latest: dict[str, object] | None, now: datetime) -> Holder | None:
    """The holder the stack's newest update is, if it is still in progress."""
    if not latest or latest.get("result") != "in-progress":
        return None
    since = _parsed_time(latest.get("startTime"))
    env = latest.get("environment")
    env = env if isinstance(env, dict) else {}
    who = str(
        env.get("ci.build.url")
        or env.get("git.author")
        or env.get("exec.agent")
        or f"a {latest.get('kind') or 'update'} of unknown origin"
    )
    too_old = since is not None and now - since > LONGEST_UPDATE
    return Holder(who, since, dead=too_old)

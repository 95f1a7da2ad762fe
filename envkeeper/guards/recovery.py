"""`envkeeper recover STACK`: what a deploy runs before its `pulumi up`, so that it
finishes the work of a deploy whose runner died halfway, with nobody at a terminal.

Measured on the real CLI, after SIGKILL of every process of an `up`:
- the stack stays locked (a file backend's lock file, or Pulumi Cloud's update still "in
  progress"), and every later `up` fails until `pulumi cancel`;
- once cancelled, the next `up` redoes the interrupted updates and deletes by itself, and
  creates again what the dead run was creating; the interrupted creates stay recorded in
  the state, with a warning on every `up`, until `pulumi refresh --clear-pending-creates`.

On a `file://` backend a SIGKILL can also land while the CLI rewrites a checkpoint's
metadata sidecar (`<stack>.json.attrs`, truncated and then written, unlike the checkpoint
itself, which is renamed into place): left empty, every later command fails with "failed
to load checkpoint: EOF". An empty sidecar holds nothing, and a missing one is read as no
metadata, so it is removed. Pulumi Cloud and the object-store backends write atomically.

So: find who holds the stack, and stop, naming them, unless that update is provably dead
(envkeeper/guards/stack_holder.py: its lock was taken on this machine by a process that is gone,
or it began longer ago than any deploy runs); a person's `pulumi up` or Pulumi Deployments
may be at work. Then repair the sidecar, cancel the dead update, and drop the interrupted
creates, saying what each was. What the dead run made at a vendor is not in the state: a
Stripe create replays it and deletes it, a Resend create deletes a key of its name first,
and `envkeeper orphans --delete` after the `up` removes a Cloudflare token it left.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from pathlib import Path

from envkeeper.config.stackfile import project_name, short_stack_name
from envkeeper.doors.problems import Problem, UserError
from envkeeper.engine import pulumi_cli
from envkeeper.guards.orphans import interrupted_creates
from envkeeper.guards.stack_holder import Holder, file_backend, from_history, from_lock, lock_files


def empty_sidecars(backend: str, stack: str, project: str) -> list[Path]:
    """The metadata sidecars of this stack's own checkpoint that a killed write left empty
    in a `file://` backend: never another stack's or another project's, which may be in
    the middle of their own deploy."""
    root = file_backend(backend)
    if root is None:
        return []
    stacks = root / "stacks"
    short = short_stack_name(stack)
    # A project-scoped backend keeps stacks/<project>/<stack>.json; an older one
    # stacks/<stack>.json; either may be gzipped.
    folders = (stacks / project, stacks)
    names = (f"{short}.json.attrs", f"{short}.json.gz.attrs")
    return [
        path
        for folder in folders
        for name in names
        if (path := folder / name).is_file() and not path.is_symlink() and path.stat().st_size == 0
    ]


def holders(backend: str, stack: str, project: str, cwd: Path) -> list[Holder]:
    """Every update holding the stack: a file backend's lock files, or the history's
    newest update still in progress (any other backend)."""
    now = datetime.now(UTC)
    if file_backend(backend) is not None:
        host = socket.gethostname()
        files = lock_files(backend, stack, project)
        return [from_lock(path.read_text(errors="replace"), host, now) for path in files]
    holder = from_history(pulumi_cli.latest_update(stack, cwd), now)
    return [holder] if holder else []


# What the native pulumi-neon beta called a Neon project. The bridged provider's type is
# another one: an `up` would create a second project beside the one the state holds.
BETA_NEON_PROJECT = "neon:resource:Project"


def refuse_the_beta_project(stack: str, deployment: dict[str, object]) -> None:
    """Stop the deploy, before its `up`, when the state holds a project the beta made."""
    resources = deployment.get("resources")
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and resource.get("type") == BETA_NEON_PROJECT:
            urn = resource.get("urn")
            raise UserError.one(
                f"stack {stack}",
                "",
                f"the state holds a Neon project the pulumi-neon beta created ({urn}); this "
                "version's up would create a second one. Adopt it first (neon.existingProjectId "
                "and envkeeper:neonOwnerUrl), then `pulumi state unprotect` and `pulumi state "
                "delete` that URN (docs/database.md: Neon's provider); nothing was changed",
            )


def recover(stack: str, cwd: Path) -> list[str]:
    """Make `stack` ready for the next `up`; one line per thing done. A live update holding
    the stack stops it before anything changes."""
    backend, project = pulumi_cli.backend_url(cwd), project_name(cwd)
    found = holders(backend, stack, project, cwd)
    live = [h for h in found if not h.dead]
    if live:
        raise UserError(
            [
                Problem(
                    f"stack {stack}",
                    "",
                    f"held by {h.line()}, which may still be running; nothing was changed. "
                    "Wait for it to end; once you know it is dead, run `pulumi cancel --stack "
                    f"{stack}`, then this again",
                )
                for h in live
            ]
        )
    lines = []
    sidecars = empty_sidecars(backend, stack, project)
    for sidecar in sidecars:
        sidecar.unlink()
        lines.append(f"{stack}: removed {sidecar.name}, a state file's metadata a killed write "
                     "left empty")  # fmt: skip
    if found and pulumi_cli.cancel(stack, cwd):
        dead = "; ".join(h.line() for h in found)
        lines.append(f"{stack}: cancelled {dead}, which a dead run left holding the stack")
    else:
        lines.append(f"{stack}: no update was holding the stack")
    export = pulumi_cli.state(stack, cwd)
    deployment = export.get("deployment") or {}
    refuse_the_beta_project(stack, deployment)
    creating = interrupted_creates(export)
    redone = [
        str((op.get("resource") or {}).get("urn", "")).rsplit("::", 1)[-1]
        for op in deployment.get("pending_operations") or []
        if op.get("type") != "creating"
    ]
    if redone:
        lines.append(f"{stack}: the next pulumi up redoes what a dead run left halfway: "
                     f"{', '.join(redone)}")  # fmt: skip
    if creating:
        pulumi_cli.clear_pending_creates(stack, cwd)
        lines.append(
            f"{stack}: a dead run was creating {', '.join(creating)}; the next pulumi up "
            "creates them again, and what the dead run made is deleted by that create "
            "(Stripe, Resend) or, after it, by `envkeeper orphans --delete` (Cloudflare)"
        )
    return lines

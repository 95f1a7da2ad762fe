"""What a `pulumi preview --refresh --json` found changed outside Pulumi, as Markdown for a
job summary: each resource by type and name, what would happen to it and which of its
properties differ. Names only: a property's value is never read, let alone printed.

Only a completed preview says anything about drift: a failed one (error diagnostics, no
steps) or anything that is not a preview's result is refused, never reported as "no drift".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envkeeper.doors.markdown import SUMMARY_LIMIT
from envkeeper.infra import resource_types as types

# Steps that change nothing.
_QUIET = {"same", "read", "refresh", "discard"}
# The steps of one replacement; the resource is listed once, as replaced.
_REPLACEMENT = {"replace", "create-replacement", "delete-replaced", "import-replacement"}


class NotAPreview(ValueError):
    """The input is not the result of a completed preview; the message says why, never
    quoting the input (a preview can hold values)."""


# What envkeeper schedules by date, not a hand's change: once a standby's end has passed,
# its Resend key is retired (an update that deletes it at Resend), and its login's sessions
# and password are ended. (A dynamic provider's update names no properties; the only other
# update of a Resend key, a rename, comes with a change of envkeeper, not with a day.)
SCHEDULED = {
    (types.RESEND_KEY, "update"),
    (types.LOGIN_SESSIONS, "update"),
}


@dataclass(frozen=True)
class Drift:
    type: str
    name: str
    op: str
    properties: tuple[str, ...]


@dataclass(frozen=True)
class Preview:
    stack: str  # as the preview's resource URNs name it
    drifted: list[Drift]


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _checked_step(step: Any, index: int) -> dict[str, Any]:
    malformed = NotAPreview(f"step {index + 1} is not a preview's step")
    if not isinstance(step, dict):
        raise malformed
    urn, op = step.get("urn"), step.get("op")
    if not isinstance(op, str) or not isinstance(urn, str) or not urn.startswith("urn:pulumi:"):
        raise malformed
    for reasons in ("diffReasons", "replaceReasons"):
        if step.get(reasons) is not None and not _strings(step[reasons]):
            raise malformed
    if step.get("detailedDiff") is not None and not isinstance(step["detailedDiff"], dict):
        raise malformed
    return step


def read_preview(data: Any) -> Preview:
    """The resources a refreshed preview would change, in the preview's order, each once."""
    if not isinstance(data, dict):
        raise NotAPreview("it is not the JSON object `pulumi preview --json` writes")
    diagnostics = data.get("diagnostics") or []
    if not isinstance(diagnostics, list):
        raise NotAPreview("its diagnostics are not a list")
    errors = [d for d in diagnostics if not isinstance(d, dict) or d.get("severity") == "error"]
    if errors:
        count = f"{len(errors)} error{'s' if len(errors) != 1 else ''}"
        raise NotAPreview(f"the preview failed with {count}; read the preview's own log")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise NotAPreview("it lists no steps, so the preview did not run to the end")
    checked = [_checked_step(step, index) for index, step in enumerate(steps)]
    # urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME
    stack = checked[0]["urn"].split("::", 1)[0].removeprefix("urn:pulumi:")
    found: dict[str, tuple[str, list[str]]] = {}
    for step in checked:
        op = step["op"]
        if op in _QUIET:
            continue
        keys = [*(step.get("diffReasons") or []), *(step.get("replaceReasons") or [])]
        keys += [str(k) for k in (step.get("detailedDiff") or {})]
        shown = "replace" if op in _REPLACEMENT else op
        if step["urn"] in found:
            before, properties = found[step["urn"]]
            found[step["urn"]] = ("replace" if "replace" in (shown, before) else before, properties)
            properties += keys
        else:
            found[step["urn"]] = (shown, keys)
    drifted = []
    for urn, (op, properties) in found.items():
        parts = urn.split("::")
        type_ = parts[-2].rsplit("$", 1)[-1] if len(parts) > 1 else ""
        drifted.append(Drift(type_, parts[-1], op, tuple(dict.fromkeys(properties))))
    return Preview(stack, drifted)


def as_markdown(stack: str, found: list[Drift], limit: int = SUMMARY_LIMIT) -> str:
    if not found:
        return f"### {stack}: no drift\n\nEvery resource is as the last `pulumi up` left it.\n"
    count = f"{len(found)} resource{'s' if len(found) != 1 else ''}"
    lines = [
        f"### {stack}: what is deployed differs from the program ({count})",
        "",
        "Something was changed outside Pulumi (deleted or edited in a dashboard, by hand): "
        "the next `pulumi up` with refresh, as the deploy runs it, would make these changes "
        "to put it back, and to what depends on it. Find out who changed it, and why.",
        "",
        "| resource | type | the next up would | properties that differ |",
        "| --- | --- | --- | --- |",
    ]
    # Room for the closing line, should rows have to be left out.
    room = limit - len("\n".join(lines).encode()) - 400
    for shown, d in enumerate(found):
        properties = ", ".join(f"`{p}`" for p in d.properties) or "-"
        row = f"| `{d.name}` | `{d.type}` | {d.op} | {properties} |"
        room -= len(row.encode()) + 1
        if room < 0:
            left = len(found) - shown
            lines += [
                "",
                f"{left} more resource{'s were' if left != 1 else ' was'} left out to fit "
                "GitHub's 1 MiB limit for a job summary; `pulumi preview --refresh --diff` "
                "lists every one.",
            ]
            break
        lines.append(row)
    scheduled = [d.name for d in found if (d.type, d.op) in SCHEDULED]
    if scheduled:
        lines += [
            "",
            "Some of these need no one to find out why: "
            + ", ".join(f"`{name}`" for name in scheduled)
            + " retire a standby credential whose grace is over (a Resend key, which "
            "cannot expire, is deleted; a login's sessions and password are ended). Run the "
            "deploy so the next `pulumi up` does it; until then the standby still works.",
        ]
    return "\n".join(lines) + "\n"

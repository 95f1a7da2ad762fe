"""What a `pulumi preview --refresh --json` found changed outside Pulumi, as Markdown for a
job summary: each resource by type and name, what would happen to it and which of its
properties differ. Names only: a property's value is never read, let alone printed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Steps that change nothing.
_QUIET = {"same", "read", "refresh", "discard"}


@dataclass(frozen=True)
class Drift:
    type: str
    name: str
    op: str
    properties: tuple[str, ...]


def drifted(preview: dict[str, Any]) -> list[Drift]:
    """The resources a refreshed preview would change, in the preview's order."""
    found = []
    for step in preview.get("steps") or []:
        op = str(step.get("op", ""))
        if op in _QUIET:
            continue
        # urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME
        parts = str(step.get("urn", "")).split("::")
        type_ = parts[-2].rsplit("$", 1)[-1] if len(parts) > 1 else ""
        keys = [*(step.get("diffReasons") or []), *(step.get("replaceReasons") or [])]
        keys += list((step.get("detailedDiff") or {}).keys())
        found.append(Drift(type_, parts[-1], op, tuple(dict.fromkeys(keys))))
    return found


def as_markdown(stack: str, found: list[Drift]) -> str:
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
    for d in found:
        properties = ", ".join(f"`{p}`" for p in d.properties) or "-"
        lines.append(f"| `{d.name}` | `{d.type}` | {d.op} | {properties} |")
    return "\n".join(lines) + "\n"

"""The offline plan as text: a rich table, JSON, or a Mermaid flowchart for a PR."""

from __future__ import annotations

import json
import re
from typing import Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree


def as_json(plan: dict[str, Any]) -> str:
    return json.dumps(plan, indent=2, sort_keys=False)


def _rotation_text(rotation: dict[str, Any] | None) -> str:
    if rotation is None:
        return "not rotated (plain setting)"
    if "slots" in rotation:
        slots = rotation["slots"]
        return (
            f"every {rotation['days']} d; a {slots['a']}, b {slots['b']}, "
            f"active {rotation['active']}"
        )
    return f"every {rotation['days']} d; last {rotation['date']}"


def _source_text(source: dict[str, Any]) -> str:
    text = source["description"]
    if "config" in source:
        text += f" (secret config {source['config']})"
    return text


def _destination_text(secret: dict[str, Any]) -> str:
    lines = []
    for dest in secret["destinations"]:
        lines.append(dest["label"] + ("" if dest["delivered"] else " *"))
    return "\n".join(lines) or "-"


def as_table(plan: dict[str, Any], console: Console) -> None:
    console.print(
        Text(
            f"envkeeper plan: stack {plan['stack']} (environment {plan['environment']}), "
            "offline, no values shown",
            style="bold",
        )
    )
    root = Tree(Text(f"pulumi:pulumi:Stack {plan['project']}-{plan['stack']}"))
    nodes: dict[str, Tree] = {}
    for resource in plan["resources"]:
        parent = nodes.get(resource["parent_urn"] or "", root)
        nodes[resource["urn"]] = parent.add(Text(f"{resource['type']}  {resource['name']}"))

    secrets = Table(title="Secrets and where they go", show_lines=True, expand=False)
    secrets.add_column("Name", no_wrap=True)
    # Fold long names rather than cut them: a reviewer must read every key in full.
    secrets.add_column("Source", overflow="fold")
    secrets.add_column("Rotation", overflow="fold")
    secrets.add_column("Goes to", overflow="fold")
    for secret in plan["secrets"]:
        secrets.add_row(
            secret["name"],
            _source_text(secret["source"]),
            _rotation_text(secret["rotation"]),
            _destination_text(secret),
        )
    console.print(Group(Text("Resources", style="bold"), root))
    console.print(secrets)
    if any(not d["delivered"] for s in plan["secrets"] for d in s["destinations"]):
        console.print("* declared in the catalog; no resource of this program delivers it yet")
    needed = plan["needed_before_up"]
    if needed:
        console.print(Text("Needed before `pulumi up` (secret config not set yet):", style="bold"))
        for key in needed:
            console.print(Text(f"  pulumi config set --secret --stack {plan['stack']} {key}"))


def _node_id(prefix: str, text: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", text)


def _label(text: str) -> str:
    # Mermaid labels are quoted; a quote inside would end the label early.
    return text.replace('"', "'")


def as_mermaid(plan: dict[str, Any]) -> str:
    """Sources -> secrets -> destinations. Dotted edges: declared, not delivered yet."""
    lines = [
        "flowchart LR",
        f"  %% envkeeper plan: stack {plan['stack']} ({plan['environment']}); no values",
    ]
    declared: list[str] = []
    for secret in plan["secrets"]:
        source = secret["source"]
        src_text = source.get("config") or source["kind"]
        src = _node_id("src_", src_text + "_" + secret["name"])
        sec = _node_id("sec_", secret["name"])
        declared.append(f'  {src}["{_label(_source_text(source))}"]')
        shape = f'(["{secret["name"]}"])' if secret["secret"] else f'["{secret["name"]}"]'
        declared.append(f"  {sec}{shape}")
        declared.append(f"  {src} --> {sec}")
        for dest in secret["destinations"]:
            node = _node_id("dst_", dest["kind"] + "_" + dest["target"])
            declared.append(f'  {node}["{_label(dest["label"])}"]')
            arrow = "-->" if dest["delivered"] else "-.->"
            declared.append(f"  {sec} {arrow} {node}")
    seen: set[str] = set()
    for line in declared:
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return "\n".join(lines) + "\n"

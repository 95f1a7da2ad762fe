"""The offline plan as text: a rich table, JSON, or a Mermaid flowchart for a PR."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
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


def fitted_widths(rows: Sequence[Sequence[str]], room: int) -> list[int]:
    """Column widths that fit `room` and break lines only between words, where they can.

    rich shrinks the widest columns first and then folds inside words, which split config
    keys and Worker names a reviewer must read and copy whole. Here every column gets at
    least its longest word, and the rest of the room goes where the text is longest.
    """
    columns = list(zip(*rows, strict=True))
    least = [max(len(word) for text in col for word in text.split()) for col in columns]
    most = [max(len(line) for text in col for line in text.splitlines()) for col in columns]
    spare, wanted = room - sum(least), [m - n for m, n in zip(most, least, strict=True)]
    if sum(wanted) <= spare:
        return most
    if spare <= 0:
        return least
    return [n + w * spare // sum(wanted) for n, w in zip(least, wanted, strict=True)]


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

    titles = ("Name", "Source", "Rotation", "Goes to")
    rows = [
        (
            secret["name"],
            _source_text(secret["source"]),
            _rotation_text(secret["rotation"]),
            _destination_text(secret),
        )
        for secret in plan["secrets"]
    ]
    # Each column, its padding and border take 3 characters besides its text, plus 1.
    widths = fitted_widths([titles, *rows], console.width - 3 * len(titles) - 1)
    secrets = Table(title="Secrets and where they go", show_lines=True, expand=False)
    for title, width in zip(titles, widths, strict=True):
        # Folding inside a word only happens on a terminal too narrow for the longest one.
        secrets.add_column(title, width=width, overflow="fold")
    for row in rows:
        secrets.add_row(*row)
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

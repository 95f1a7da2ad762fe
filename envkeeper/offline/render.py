"""The offline plan as text: a rich table, JSON, or a Mermaid flowchart for a PR."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

if TYPE_CHECKING:
    from envkeeper.offline.plan import Plan  # which imports Pulumi


def as_json(plan: Plan) -> str:
    return json.dumps(plan.as_json(), indent=2, sort_keys=False)


def _rotation_lines(secret: dict[str, Any]) -> list[str]:
    rotation = secret["rotation"]
    if rotation is None and secret["source"]["kind"] == "config":
        return ["not rotated (plain setting)"]
    if rotation is None:
        return ["never rotated: its date only keeps the value"]
    if "slots" in rotation:
        slots = rotation["slots"]
        return [
            f"every {rotation['days']} d;",
            f"a {slots['a']},",
            f"b {slots['b']},",
            f"active {rotation['active']}",
        ]
    return [f"every {rotation['days']} d;", f"last {rotation['date']}"]


def _source_lines(source: dict[str, Any]) -> list[str]:
    lines = [source["description"]]
    if "config" in source:
        lines.append(f"(secret config {source['config']})")
    return lines


def _destination_lines(secret: dict[str, Any]) -> list[str]:
    return [
        dest["label"]
        + (f" via {dest['via']}" if dest.get("via") else "")
        + ("" if dest["delivered"] else " *")
        for dest in secret["destinations"]
    ]


def _words(text: str) -> list[str]:
    return text.split() or [""]


def least_widths(rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's longest word: narrower, and a word would break."""
    return [max(len(w) for text in col for w in _words(text)) for col in zip(*rows, strict=True)]


def fitted_widths(rows: Sequence[Sequence[str]], room: int) -> list[int]:
    """Column widths that fit `room` and break lines only between words, where they can.

    rich shrinks the widest columns first and then folds inside words, which split config
    keys and Worker names a reviewer must read and copy whole. Here every column gets at
    least its longest word, and the rest of the room goes where the text is longest.
    """
    least = least_widths(rows)
    most = [
        max(len(line) for text in col for line in text.splitlines() or [""])
        for col in zip(*rows, strict=True)
    ]
    spare, wanted = room - sum(least), [m - n for m, n in zip(most, least, strict=True)]
    if sum(wanted) <= spare:
        return most
    if spare <= 0:
        return least
    return [n + w * spare // sum(wanted) for n, w in zip(least, wanted, strict=True)]


def _table_room(console: Console, columns: int) -> int:
    # Each column, its padding and border take 3 characters besides its text, plus 1.
    return console.width - 3 * columns - 1


def _secrets_table(plan: Plan, console: Console) -> Table:
    """Four columns where every word fits whole; on a narrower terminal (80 columns), two:
    the rotation stacked under the name, the destinations under the source."""
    titles: tuple[str, ...] = ("Name", "Source", "Rotation", "Goes to")
    rows: list[tuple[str, ...]] = [
        (
            secret["name"],
            " ".join(_source_lines(secret["source"])),
            " ".join(_rotation_lines(secret)),
            "\n".join(_destination_lines(secret)) or "-",
        )
        for secret in plan.secrets
    ]
    if sum(least_widths([titles, *rows])) > _table_room(console, len(titles)):
        titles = ("Secret and rotation", "Source, then where it goes")
        rows = [
            (
                "\n".join([secret["name"], *_rotation_lines(secret)]),
                "\n".join(
                    [
                        *_source_lines(secret["source"]),
                        *(f"→ {d}" for d in _destination_lines(secret) or ["-"]),
                    ]
                ),
            )
            for secret in plan.secrets
        ]
    widths = fitted_widths([titles, *rows], _table_room(console, len(titles)))
    table = Table(title="Secrets and where they go", show_lines=True, expand=False)
    for title, width in zip(titles, widths, strict=True):
        # Folding inside a word only happens on a terminal too narrow for the longest one.
        table.add_column(title, width=width, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def as_table(plan: Plan, console: Console) -> None:
    console.print(
        Text(
            f"envkeeper plan: stack {plan.stack} (environment {plan.environment}), "
            "offline, no values shown",
            style="bold",
        )
    )
    root = Tree(Text(f"pulumi:pulumi:Stack {plan.project}-{plan.stack}"))
    nodes: dict[str, Tree] = {}
    for resource in plan.resources:
        parent = nodes.get(resource["parent_urn"] or "", root)
        nodes[resource["urn"]] = parent.add(Text(f"{resource['type']}  {resource['name']}"))
    console.print(Group(Text("Resources", style="bold"), root))
    console.print(_secrets_table(plan, console))
    if any(not d["delivered"] for s in plan.secrets for d in s["destinations"]):
        console.print("* declared in the catalog; no resource of this program delivers it yet")
    outputs = plan.outputs or {}
    if outputs:
        shown = [f"{name} [secret]" if v == "[secret]" else name for name, v in outputs.items()]
        console.print(Text(f"Stack outputs: {', '.join(shown)}"))
    needed = plan.needed_before_up
    if needed:
        # Said as what a real deploy needs, not as a fault of this plan: it ran without them.
        console.print(
            Text(
                "Needed before a real `pulumi up` (secret config not set yet; this plan "
                "ran with stand-ins, see docs/use-it-for-real.md):",
                style="bold",
            )
        )
        for key in needed:
            # Whole on one line, however narrow the terminal: it is copied and run.
            command = f"  pulumi config set --secret --stack {plan.stack} {key}"
            console.print(Text(command), soft_wrap=True)


def _node_id(prefix: str, text: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9]", "_", text)


def _label(text: str) -> str:
    # Mermaid labels are quoted; a quote inside would end the label early.
    return text.replace('"', "'")


def as_mermaid(plan: Plan) -> str:
    """Sources -> secrets -> destinations. Dotted edges: declared, not delivered yet."""
    lines = [
        "flowchart LR",
        f"  %% envkeeper plan: stack {plan.stack} ({plan.environment}); no values",
    ]
    declared: list[str] = []
    for secret in plan.secrets:
        source = secret["source"]
        src_text = source.get("config") or source["kind"]
        src = _node_id("src_", src_text + "_" + secret["name"])
        sec = _node_id("sec_", secret["name"])
        declared.append(f'  {src}["{_label(" ".join(_source_lines(source)))}"]')
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
    # Ready to paste into a PR or an issue: GitHub draws a fenced mermaid block.
    legend = (
        f"Where each secret of stack {plan.stack} goes (no values). Solid arrow: delivered "
        "by this program; dotted: declared in the catalog, not delivered yet."
    )
    return "\n".join([legend, "", "```mermaid", *lines, "```"]) + "\n"

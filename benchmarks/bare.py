"""The bare program the benchmarks hold envkeeper's against: it reads `resources.json` beside
it and registers what it lists, as it lists it: the same types, names, parents, literal
inputs (secret ones still secret, as `{"secret": true, "value": ...}`), providers and
dependencies, and nothing else: no settings, no catalog, no components, no provider SDK,
not even envkeeper's own modules. A dynamic resource is registered with the provider the
real program serialized into its inputs (`__provider`), which is all `pulumi.dynamic`
adds on the wire: the engine's dynamic-provider process loads it from there, as for the
real program's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROGRAM = """
import json
from pathlib import Path

import pulumi


def value(v):
    if isinstance(v, dict) and v.get("secret") is True and set(v) == {"secret", "value"}:
        return pulumi.Output.secret(value(v["value"]))
    if isinstance(v, dict):
        return {k: value(x) for k, x in v.items()}
    if isinstance(v, list):
        return [value(x) for x in v]
    return v


made = {}
for r in json.loads(Path(__file__).with_name("resources.json").read_text()):
    inputs = {k: value(v) for k, v in r["inputs"].items()}
    opts = pulumi.ResourceOptions(
        parent=made.get(r.get("parent")),
        depends_on=[made[u] for u in r["dependsOn"] if u in made],
        provider=made.get(r["provider"]),
        retain_on_delete=r["retain"],
        additional_secret_outputs=r.get("secretOutputs") or None,
    )
    if not r.get("custom", True):
        made[r["urn"]] = pulumi.ComponentResource(r["type"], r["name"], None, opts)
    elif r["type"].startswith("pulumi:providers:"):
        made[r["urn"]] = pulumi.ProviderResource(r["package"], r["name"], inputs, opts)
    else:
        made[r["urn"]] = pulumi.CustomResource(r["type"], r["name"], inputs, opts)
"""


def write(folder: Path, resources: list[dict[str, Any]]) -> None:
    """The bare program and its resources.json in `folder`."""
    (folder / "__main__.py").write_text(PROGRAM)
    (folder / "resources.json").write_text(json.dumps(resources))

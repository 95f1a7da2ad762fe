"""What envkeeper costs on top of the resources it declares: `pulumi preview` of the real
program on the engine tests' production stack, against a bare program that declares the
same resources with literal inputs, through the same providers.

    uv run python -m benchmarks.preview [--runs N] [--hold]

Prints the median time and peak memory (of the largest process a preview starts: the CLI,
the program or a plugin) of each, and their ratios. Targets: 1.3x the bare program's time,
1.5x its peak memory.

Both stacks are deployed first (local stand-ins for the vendors, a throwaway PostgreSQL),
so each preview reads an up-to-date stack and changes nothing. Needs the engine the engine
tests use (a `pulumi` on PATH with the provider plugins, or `bash .ci/run` once).
`--hold` prints the two commands and keeps the stand-ins up until Enter, to time them with
another tool.
"""

from __future__ import annotations

import argparse
import json
import shlex
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import bare as bare_program
from benchmarks.timing import Run, load, measured, median_peak, median_seconds, pair_ratio
from envkeeper.engine.sdk_internals import SECRET_SIG_KEY
from envkeeper.infra.database import parse_owner_url
from tests.engine import Workspace, find_engine, missing_plugins
from tests.engine_stack import (
    Vendors,
    neon_like_database,
    prepared_workspace,
    running_vendors,
    vendor_settings,
)
from tests.pgserver import find_bindir


def plain(value: Any) -> Any:
    """A state value with every secret opened (`--show-secrets`), marked to stay secret."""
    if isinstance(value, dict) and SECRET_SIG_KEY in value:
        return {"secret": True, "value": json.loads(value["plaintext"])}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def bare_resources(export: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for r in export["deployment"]["resources"]:
        kind = r["type"]
        default = kind.startswith("pulumi:providers:") and "::default" in r["urn"]
        if not r.get("custom") or default:
            continue  # components and the stack add nothing; default providers are implicit
        inputs = {k: plain(v) for k, v in (r.get("inputs") or {}).items()}
        inputs.pop("version", None)
        found.append(
            {
                "urn": r["urn"],
                "type": kind,
                "package": kind.split(":", 2)[-1],
                "name": r["urn"].rsplit("::", 1)[1],
                "inputs": inputs,
                "dependsOn": r.get("dependencies") or [],
                "provider": (r.get("provider") or "").rsplit("::", 1)[0],
                "retain": bool(r.get("retainOnDelete")),
            }
        )
    return found


def bare_workspace(real: Workspace, root: Path, vendors: Vendors, owner_url: str) -> Workspace:
    """The bare program beside the real one, on a copy of its stack's config, with stand-ins
    and a database server of its own (the two must not fight over one role or token)."""
    export = json.loads(real.run("stack", "export", "--show-secrets").stdout)
    resources = bare_resources(export)
    owner = parse_owner_url(owner_url)
    for r in resources:
        if r["type"] == "pulumi:providers:postgresql":
            r["inputs"].update(host=owner.host, port=str(owner.port), password=owner.password)
    ws = Workspace(engine=real.engine, root=root, env_extra=vendor_settings(vendors))
    ws.project.mkdir(parents=True)
    ws.state.mkdir()
    bare_program.write(ws.project, resources)
    pulumi_yaml = (real.project / "Pulumi.yaml").read_text()
    (ws.project / "Pulumi.yaml").write_text(pulumi_yaml.replace("name: envkeeper", "name: bare"))
    (stack_file,) = real.project.glob("Pulumi.*.yaml")
    text = stack_file.read_text()
    for old, new in (
        (real.env_extra["CLOUDFLARE_BASE_URL"], vendors.cloudflare.base_url),
        (stack_url(text, "github:baseUrl"), vendors.github.provider_url),
    ):
        text = text.replace(old, new)
    (ws.project / stack_file.name).write_text(text)
    ws.run("stack", "init", stack_file.name.split(".")[1], "--secrets-provider", "passphrase")
    return ws


def stack_url(text: str, key: str) -> str:
    line = next(ln for ln in text.splitlines() if ln.strip().startswith(f"{key}:"))
    return line.split(":", 2)[2].strip()


def preview_command(ws: Workspace) -> tuple[list[str], dict[str, str]]:
    return ["pulumi", "preview", "--non-interactive"], ws.env()


def timed(ws: Workspace) -> Run:
    args, env = preview_command(ws)
    run = measured(args, ws.project, env)
    assert run.returncode == 0, run.stdout[-2000:]
    assert "to update" not in run.stdout and "to create" not in run.stdout, run.stdout
    return run


def shell_line(ws: Workspace) -> str:
    args, env = preview_command(ws)
    keep = {k: v for k, v in env.items() if k.startswith(("PULUMI_", "CLOUDFLARE_", "RESEND_",
                                                          "STRIPE_", "PATH"))}  # fmt: skip
    assigned = " ".join(f"{k}={shlex.quote(v)}" for k, v in sorted(keep.items()))
    return f"cd {shlex.quote(str(ws.project))} && env {assigned} {shlex.join(args)}"


def main() -> None:
    parser = argparse.ArgumentParser(description="pulumi preview: envkeeper against bare")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--hold", action="store_true")
    options = parser.parse_args()
    engine, bindir = find_engine(), find_bindir()
    if engine is None or missing_plugins(engine) or bindir is None:
        raise SystemExit("needs the engine, its provider plugins and PostgreSQL: bash .ci/run")
    with (
        tempfile.TemporaryDirectory(prefix="envkeeper-bench-") as folder,
        running_vendors() as vendors,
        running_vendors() as bare_vendors,
        neon_like_database(bindir) as (_, owner_url),
        neon_like_database(bindir) as (_, bare_owner_url),
    ):
        real = prepared_workspace(engine, Path(folder) / "real", vendors, owner_url)
        real.run("up", "--yes", "--skip-preview")
        bare = bare_workspace(real, Path(folder) / "bare", bare_vendors, bare_owner_url)
        bare.run("up", "--yes", "--skip-preview")
        count = len(json.loads((bare.project / "resources.json").read_text()))
        print(f"pulumi preview of an up-to-date stack, {count} resources, median of {options.runs}")
        if options.hold:
            print(f"real:  {shell_line(real)}\nbare:  {shell_line(bare)}")
            input("the stand-ins are up; press Enter to stop ")
            return
        print(f"  {load()}")
        runs: dict[str, list[Run]] = {"real": [], "bare": []}
        for warm_up in (real, bare):  # file caches, the plugins' first start
            timed(warm_up)
        for _ in range(options.runs):  # in pairs, so a busy neighbour slows both alike
            runs["real"].append(timed(real))
            runs["bare"].append(timed(bare))
        real_runs, bare_runs = runs["real"], runs["bare"]
        print(
            f"  envkeeper's program  {median_seconds(real_runs):6.2f} s  "
            f"{median_peak(real_runs):5.0f} MiB peak"
        )
        print(
            f"  bare program         {median_seconds(bare_runs):6.2f} s  "
            f"{median_peak(bare_runs):5.0f} MiB peak"
        )
        print(
            f"  ratio                {pair_ratio(real_runs, bare_runs):6.2f}x (median of pairs;"
            " target 1.3x)"
        )
        print(
            f"  peak memory          {median_peak(real_runs) / median_peak(bare_runs):6.2f}x"
            " (target 1.5x)"
        )
        print(f"  {load()} at the end")  # fmt: skip


if __name__ == "__main__":
    main()

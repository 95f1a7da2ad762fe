"""The offline plan: what the program would create and where each secret flows.

Built from one offline run of the real program (see offline.py). Values never appear:
every secret input reads `[secret]`, and flows are found by following each secret's value
from the environment component to the resources whose inputs carry it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from envkeeper.config.stackfile import StackConfig
from envkeeper.infra import cloudflare as cf
from envkeeper.infra import github as gh
from envkeeper.offline.program import ProgramRun, Registration, redact, unwrap_all
from envkeeper.rotation.schedule import minted_by
from envkeeper.stack import catalog
from envkeeper.stack.catalog import CatalogEntry, Destination, Source
from envkeeper.stack.destinations import Target, targets
from envkeeper.stack.settings import Settings, SlotDates

# What an adopted project's owner URL reads as offline: well formed, so the program builds
# its database roles, and plainly not a real host or password.
OFFLINE_OWNER_URL = (
    "postgresql://neondb_owner:offline-stand-in@ep-offline-stand-in.neon.invalid/neondb"
    "?sslmode=require"
)


def offline_stand_in(key: str) -> str:
    """The value `plan` gives a secret config key: never the real one, which it never reads."""
    return OFFLINE_OWNER_URL if key == catalog.NEON_OWNER_URL.key else f"placeholder:{key}"


def stand_in_secrets(config: StackConfig, needed: list[str]) -> dict[str, str]:
    """The secret config the offline run is given. Every secret, set or not, reaches the
    program as a secret placeholder: the plan never holds a real value, and an unset
    secret (`needed`) does not stop it."""
    return {key: offline_stand_in(key) for key in sorted(config.secure | set(needed))}


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value] if isinstance(value, str) else []


def plain_values(settings: Settings) -> dict[str, str]:
    """The catalog's non-secret values in this environment."""
    return {**cf.worker_vars(settings), **gh.variables(settings)}


def secret_values(run: ProgramRun) -> dict[str, str]:
    """Each catalog secret's value as the environment component registered it."""
    for reg in run.registrations:
        if reg.type == catalog.ENVIRONMENT_TYPE:
            outputs = unwrap_all(run.component_outputs.get(reg.urn, {}))
            return {k: v for k, v in outputs.get("secrets", {}).items() if isinstance(v, str)}
    return {}


def carriers(run: ProgramRun, value: str, where: str) -> list[Registration]:
    """Resources whose inputs (`where="inputs"`) or outputs carry exactly `value`, in the
    plan's stable order (resources made side by side register in either order)."""
    return [
        reg
        for reg in ordered(run.registrations)
        if reg.custom and value in _strings(unwrap_all(getattr(reg, where)))
    ]


def _destination(
    target: Target, resources: list[str], entry: CatalogEntry, run: ProgramRun
) -> dict[str, Any]:
    via = None
    if target.kind is Destination.WORKER_VAR and entry.name in (
        run.stack_outputs.get(cf.WRANGLER_VARS_OUTPUT) or {}
    ):
        via = f"stack output {cf.WRANGLER_VARS_OUTPUT} (envkeeper wrangler-vars)"
    return {
        "kind": target.kind.value,
        "target": target.target,
        "label": target.label,
        "resources": resources,
        "via": via,
        "delivered": bool(resources or via),
    }


def _names(reg: Registration, target: Target) -> bool:
    """Whether a resource is aimed at `target` (its Worker, or its repository and environment)."""
    plain = set(_strings(redact(reg.inputs)))
    return all(part in plain for part in target.target.split("/"))


def _rotation(entry: CatalogEntry, settings: Settings) -> dict[str, Any] | None:
    if not entry.rotated:
        return None
    when = settings.rotation[entry.name]
    info: dict[str, Any] = {"days": entry.rotation_days}
    if isinstance(when, SlotDates):
        info["slots"] = {"a": when.a.isoformat(), "b": when.b.isoformat()}
        info["active"] = when.active
    else:
        info["date"] = when.isoformat()
    return info


def _source(
    entry: CatalogEntry, run: ProgramRun, value: str | None, delivered: list[Registration]
) -> dict[str, Any]:
    source: dict[str, Any] = {"kind": str(entry.source), "description": entry.description}
    if entry.source is Source.EXTERNAL:
        source["config"] = entry.full_config_key
    elif entry.managed:
        # What mints it, by the same names as a rotation's blast radius.
        minted = minted_by(entry, set(catalog.SLOTS) if entry.two_slots else None)
        source["resources"] = [
            r.urn for r in ordered(run.registrations) if r.custom and r.name in minted
        ]
    elif value is not None and entry.secret:
        # The producer: it outputs the value without having been given it.
        given = {r.urn for r in delivered}
        source["resources"] = [r.urn for r in carriers(run, value, "outputs") if r.urn not in given]
    return source


def ordered(registrations: list[Registration]) -> list[Registration]:
    """Parents before children, siblings by type and name: a stable order for review diffs."""
    urns = {reg.urn for reg in registrations}
    children: dict[str | None, list[Registration]] = {}
    for reg in registrations:
        children.setdefault(reg.parent if reg.parent in urns else None, []).append(reg)
    out: list[Registration] = []

    def visit(parent: str | None) -> None:
        for reg in sorted(children.get(parent, []), key=lambda r: (r.type, r.name)):
            out.append(reg)
            visit(reg.urn)

    visit(None)
    return out


STAND_IN = "[offline stand-in]"


def mark_stand_ins(value: Any, stand_ins: frozenset[str]) -> Any:
    """Ids the offline run invented (a provider would look them up) read as what they are."""
    if isinstance(value, dict):
        return {k: mark_stand_ins(v, stand_ins) for k, v in value.items()}
    if isinstance(value, list):
        return [mark_stand_ins(v, stand_ins) for v in value]
    if isinstance(value, bool):
        return value
    # Numbers come back from the engine's wire format as floats: 220811212.0.
    if isinstance(value, float) and value.is_integer():
        return STAND_IN if str(int(value)) in stand_ins else value
    if isinstance(value, str | int) and str(value) in stand_ins:
        return STAND_IN
    return value


@dataclass(frozen=True)
class Plan:
    """What one offline run of the program would create, and where each secret goes; no
    value anywhere (every secret input reads `[secret]`)."""

    project: str
    stack: str
    environment: str
    resources: list[dict[str, Any]]  # parents before children (`ordered`)
    secrets: list[dict[str, Any]]  # each delivered catalog entry: source, destinations
    outputs: Any  # the stack's outputs, redacted
    needed_before_up: list[str]  # secret config keys not set yet

    def as_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "environment": self.environment,
            "resources": self.resources,
            "secrets": self.secrets,
            "outputs": self.outputs,
            "needed_before_up": self.needed_before_up,
        }


def build_plan(run: ProgramRun, settings: Settings, needed: list[str]) -> Plan:
    names = {reg.urn: reg.name for reg in run.registrations}
    resources = [
        {
            "urn": reg.urn,
            "type": reg.type,
            "name": reg.name,
            "parent": names.get(reg.parent or ""),
            "parent_urn": reg.parent if reg.parent in names else None,
            # `__provider` is a dynamic provider's serialized code: noise to a reviewer.
            "inputs": mark_stand_ins(
                {k: v for k, v in redact(reg.inputs).items() if not k.startswith("__")},
                run.stand_ins,
            ),
        }
        for reg in ordered(run.registrations)
    ]
    # Plain settings are traced the same way, by value.
    values = {**plain_values(settings), **secret_values(run)}
    secrets = []
    for entry in settings.catalog.delivered:
        value = values.get(entry.name)
        delivered = carriers(run, value, "inputs") if value is not None else []
        secrets.append(
            {
                "name": entry.name,
                "secret": entry.secret,
                "managed_here": value is not None,
                "source": _source(entry, run, value, delivered),
                "destinations": [
                    _destination(t, [r.urn for r in delivered if _names(r, t)], entry, run)
                    for t in targets(entry, settings)
                ],
                "rotation": _rotation(entry, settings),
            }
        )
    return Plan(
        project=run.project,
        stack=run.stack,
        environment=settings.environment.value,
        resources=resources,
        secrets=secrets,
        outputs=redact(run.stack_outputs),
        needed_before_up=needed,
    )

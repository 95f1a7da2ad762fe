"""Running the real program offline per stack, the way `envkeeper plan` does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from components import login_sessions
from envkeeper.config.stackfile import (
    StackConfig,
    load_config,
    project_config,
    round_trip_yaml,
    stack_file,
)
from envkeeper.infra import resource_types
from envkeeper.offline.program import FakeProviders, ProgramRun, is_secret, run_program, unwrap_all
from envkeeper.stack.catalog import ENVIRONMENT_TYPE, Catalog
from envkeeper.stack.declared import KEY as DECLARED_KEY
from envkeeper.stack.declared import project_catalog
from envkeeper.stack.settings import Settings, missing_secrets, parse_settings
from tests.conftest import PROJECT


def project(project_dir: Path = PROJECT) -> Catalog:
    """The catalog of the project in `project_dir`, declared entries included."""
    return project_catalog(project_config(project_dir).get(DECLARED_KEY), "Pulumi.yaml")


# The shipped project's catalog: the built-in entries and whatever its Pulumi.yaml declares.
SHIPPED = project(PROJECT)


def tracked(stack: str, project_dir: Path = PROJECT) -> list[str]:
    """The names with a keeper date that `rotation status` reports for `stack`."""
    return [e.name for e in load(stack, project_dir)[1].tracked]


def secret_keys(project_dir: Path = PROJECT) -> list[str]:
    return project(project_dir).secure_config_keys()


def canaries(tag: str, project_dir: Path = PROJECT, stack: str | None = None) -> dict[str, str]:
    """A distinctive, obviously fake value for every secret key (of `stack`, if given: a
    stack file refuses a secure value it does not use)."""
    keys = secret_keys(project_dir)
    if stack is not None:
        keys = load(stack, project_dir)[1].catalog.secure_config_keys()
    return {key: f"CANARY-{tag}-{key.replace(':', '-')}-7f3a" for key in keys}


def load(stack: str, project_dir: Path = PROJECT) -> tuple[StackConfig, Settings]:
    config = load_config(project_dir, stack)
    return config, parse_settings(config, stack)


def run(
    stack: str,
    project_dir: Path = PROJECT,
    secrets: dict[str, str] | None = None,
    generated_prefix: str = "generated-",
    providers: FakeProviders | None = None,
) -> ProgramRun:
    config, settings = load(stack, project_dir)
    # Only the keys this stack uses: a secure value it does not know is refused, as the
    # engine would refuse a stray `pulumi config set --secret`.
    used = settings.catalog.secure_config_keys()
    given = secrets if secrets is not None else {k: f"placeholder:{k}" for k in used}
    values = {k: v for k, v in given.items() if k in used}
    assert set(values) >= set(missing_secrets(config, settings))
    return run_program(project_dir, stack, config.values, values, generated_prefix, providers)


def set_rotation(project_dir: Path, stack: str, name: str, value: object) -> None:
    """Change one keeper date in a stack file (slot dates as {'a': ..., 'b': ...})."""
    path = stack_file(project_dir, stack)
    yaml = round_trip_yaml()
    document = yaml.load(path.read_text())
    rotation = document["config"]["envkeeper:rotation"]
    if isinstance(value, dict):
        for slot, when in value.items():
            rotation[name][slot] = when
    else:
        rotation[name] = value
    with path.open("w") as handle:
        yaml.dump(document, handle)


def environment_secrets(result: ProgramRun, stack: str) -> dict[str, str]:
    """The catalog values the stack's Environment component holds, in clear (tests only)."""
    env = result.one(ENVIRONMENT_TYPE, stack)
    secrets = result.component_outputs[env.urn]["secrets"]
    assert is_secret(secrets)
    return unwrap_all(secrets)


def database_urls(result: ProgramRun) -> dict[str, str]:
    """The Neon component's three URLs, in clear (tests only); each must be secret."""
    (component,) = result.by_type("envkeeper:neon:Database")
    outputs = result.component_outputs[component.urn]["urls"]
    assert is_secret(outputs) or all(is_secret(v) for v in outputs.values())
    return unwrap_all(outputs)


def changed_resources(before: ProgramRun, after: ProgramRun) -> set[str]:
    """Names of the resources a `pulumi up` would touch between two runs of the program:
    changed, and made or deleted (a standby Resend key past its end is not declared)."""
    old = {r.urn: r for r in before.registrations}
    new = {r.urn: r for r in after.registrations}
    added_or_gone = {r.name for urn, r in {**old, **new}.items() if (urn in old) != (urn in new)}
    return added_or_gone | {
        new[urn].name
        for urn in old.keys() & new.keys()
        if _acted_on(old[urn].type, old[urn].inputs) != _acted_on(new[urn].type, new[urn].inputs)
        or _acted_on(old[urn].type, old[urn].outputs) != _acted_on(new[urn].type, new[urn].outputs)
        or old[urn].replacement_trigger != new[urn].replacement_trigger
    }


def _acted_on(resource_type: str, inputs: dict[str, Any]) -> Any:
    """The inputs whose change makes the engine update a resource: all of them, except for
    a dynamic provider whose diff reads only some (a session ender holds the owner's URL,
    and acts only when its own login changes: components/login_sessions.py)."""
    if resource_type == resource_types.LOGIN_SESSIONS:
        return {k: unwrap_all(inputs.get(k)) for k in login_sessions.PROPERTIES}
    return unwrap_all(inputs)


def plan_json(cli: Any, stack: str) -> dict[str, Any]:
    """`envkeeper plan STACK --format json`, parsed; it must succeed."""
    result = cli("plan", stack, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pasted(stack_file_text: str) -> str:
    """A shipped stack file with RESEND_API_KEY and STRIPE_WEBHOOK_SECRET pasted in as
    secret config, as a stack without envkeeper:resend and envkeeper:stripe keeps them."""
    start = stack_file_text.index("  # envkeeper mints")
    end = stack_file_text.index("  envkeeper:rotation:")
    text = stack_file_text[:start] + stack_file_text[end:]
    text = re.sub(r"RESEND_API_KEY: \{a: '[\d-]+', b: ('[\d-]+')\}", r"RESEND_API_KEY: \1", text)
    return "".join(ln for ln in text.splitlines(keepends=True) if "AdminKey:" not in ln)


def without_declared(stack_file_text: str, project_dir: Path = PROJECT) -> str:
    """A stack file without the keeper dates of the secrets `project_dir` declares: the
    engine tests run their own small project, which declares none."""
    declared = {e.name for e in project(project_dir) if e.declared}
    return "".join(
        line
        for line in stack_file_text.splitlines(keepends=True)
        if line.strip().split(":", 1)[0] not in declared
    )


def name_github_environment(project_dir: Path, stack: str, name: str) -> None:
    """Give `stack` the GitHub environment `name`, as a person editing its file would."""
    path = stack_file(project_dir, stack)
    text = path.read_text()
    assert f"    environment: {stack}\n" in text
    path.write_text(text.replace(f"    environment: {stack}\n", f"    environment: {name}\n"))


Edit = Callable[[Path], None]


def adopted_text(text: str, project_id: str) -> str:
    """A shipped stack file's text, adopting Neon project `project_id` in the organization
    it names: dated by the owner URL instead of the API key, and no owner password of
    envkeeper's to reset nor endpoint to restart (both need the API key)."""
    org = re.search(r"^    orgId: .*\n", text, re.M)
    assert org, "test setup: no orgId in the stack file"
    text = text[: org.end()] + f"    existingProjectId: {project_id}\n" + text[org.end() :]
    text = re.sub(r"^    NEON_OWNER_PASSWORD: .*\n", "", text, flags=re.M)
    text = re.sub(r"^    # Moved by `emergency`.*\n    restartEndpoint: .*\n", "", text, flags=re.M)
    return re.sub(r"^    neon:apiKey: ", "    envkeeper:neonOwnerUrl: ", text, flags=re.M)


def adopt_in(stack: str, project_id: str) -> Edit:
    """The edit that makes `stack` adopt its Neon project (adopted_text)."""

    def edit(project: Path) -> None:
        path = project / f"Pulumi.{stack}.yaml"
        path.write_text(adopted_text(path.read_text(), project_id))

    return edit


def replace_in(stack: str, old: str, new: str) -> Edit:
    def edit(project: Path) -> None:
        path = project / f"Pulumi.{stack}.yaml"
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new))

    return edit

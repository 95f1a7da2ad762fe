"""The settings of the vendors every stack uses: Cloudflare, Neon and GitHub. (Those of the
vendors whose credentials envkeeper mints, where a stack lets it, are in envkeeper/vendors/.)"""

from __future__ import annotations

import ipaddress
import re
from datetime import date
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from envkeeper.config import ci
from envkeeper.config.config_model import ConfigModel, hex32, unique
from envkeeper.config.dates import iso_date
from envkeeper.config.stackfile import undo_engine_dates
from envkeeper.config.validation_messages import KeyedError
from envkeeper.stack import catalog
from envkeeper.stack.catalog import Catalog


def project_of(info: ValidationInfo) -> Catalog:
    """The project's catalog, which parse_settings hands to validation as context."""
    return (info.context or {}).get("catalog") or catalog.BUILT_IN


_WORKER = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_NEON_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+){0,9}$")
_GITHUB_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class CloudflareSettings(ConfigModel):
    account_id: str = Field(description="the 32-hex-character Cloudflare account id")
    workers: list[str] = Field(
        min_length=1, description="the names of this environment's Workers, e.g. [example-api-dev]"
    )
    # The Worker secrets each Worker receives, in catalog order: those named by an entry
    # written as {name: ..., secrets: [...]}, or every one for a Worker given by name alone.
    secret_sets: dict[str, tuple[str, ...]] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _split_worker_entries(cls, raw: Any, info: ValidationInfo) -> Any:
        if not isinstance(raw, dict) or not isinstance(raw.get("workers"), list):
            return raw
        if "secretSets" in raw or "secret_sets" in raw:
            raise KeyedError(
                "secretSets", "unknown key; write {name: ..., secrets: [...]} under workers"
            )
        names: list[Any] = []
        sets: dict[str, tuple[str, ...]] = {}
        project = project_of(info)
        allowed = project.worker_secret_names()
        for entry in raw["workers"]:
            if not isinstance(entry, dict):
                names.append(entry)
                if isinstance(entry, str):
                    sets[entry] = tuple(allowed)
                continue
            name, secrets = entry.get("name"), entry.get("secrets")
            extra = sorted(set(entry) - {"name", "secrets"})
            where = f"workers.{name}" if isinstance(name, str) else "workers"
            if isinstance(name, str) and secrets == []:
                raise KeyedError(
                    f"{where}.secrets",
                    "is empty; list the secrets this Worker receives, or write the Worker as a "
                    "plain name to give it every Worker secret",
                )
            if extra or not isinstance(name, str) or not isinstance(secrets, list) or not secrets:
                raise KeyedError(
                    where,
                    "a Worker is a name, or {name: example-webhooks, secrets: [STRIPE_SECRET_KEY, "
                    "...]} naming the catalog secrets it receives",
                )
            for index, secret in enumerate(secrets):
                if secret not in allowed:
                    # Repeated only when it is a catalog name: anything else may be a
                    # secret pasted in the wrong place.
                    what = (
                        f"{secret} is a secret that is not delivered to Workers"
                        if secret in project.by_name
                        else "is not a secret in the catalog"
                    )
                    raise KeyedError(
                        f"{where}.secrets[{index}]", f"{what}; use some of: {', '.join(allowed)}"
                    )
            try:
                unique(secrets, "secret")
            except ValueError as exc:
                raise KeyedError(f"{where}.secrets", str(exc)) from None
            names.append(name)
            sets[name] = tuple(s for s in allowed if s in secrets)  # catalog order
        return {**raw, "workers": names, "secretSets": sets}

    def secrets_of(self, worker: str) -> tuple[str, ...]:
        """The Worker secrets `worker` receives, in catalog order."""
        return self.secret_sets[worker]

    zones: list[str] = Field(
        default_factory=list, description="zone ids deploy tokens may route Workers on"
    )
    token_ip_allowlist: list[str] = Field(
        default_factory=list, description="CIDRs the deploy token may be used from"
    )

    @field_validator("account_id")
    @classmethod
    def _account(cls, v: str) -> str:
        return hex32(v, "the account id")

    @field_validator("workers")
    @classmethod
    def _workers(cls, v: list[str]) -> list[str]:
        for index, name in enumerate(v):
            if not _WORKER.match(name):
                raise KeyedError(
                    index,
                    "is not a valid Worker script name; use lower-case letters, digits and dashes",
                )
        return unique(v, "Worker")

    @field_validator("zones")
    @classmethod
    def _zones(cls, v: list[str]) -> list[str]:
        return unique([hex32(z, "a zone id") for z in v], "zone")

    @field_validator("token_ip_allowlist")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        for index, cidr in enumerate(v):
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError:
                raise KeyedError(
                    index, "is not a network; write it as CIDR, e.g. 203.0.113.0/24"
                ) from None
        return unique(v, "network")


class NeonSettings(ConfigModel):
    project_name: str = Field(
        min_length=1, max_length=64, description="this environment's Neon project name"
    )
    database: str = Field(description="the application database name, e.g. app")
    org_id: str | None = Field(default=None, description="the Neon organisation id, if any")
    existing_project_id: str | None = Field(
        default=None,
        description="the id of a Neon project to adopt instead of creating one; its owner URL "
        "then comes from secret config envkeeper:neonOwnerUrl",
    )

    restart_endpoint: date | None = Field(
        default=None,
        description="a day: the next pulumi up after it moves restarts the project's compute "
        "endpoint once the new URLs are delivered, ending every session, pooled ones too "
        "(emergency sets it to today; a created project only)",
    )

    @property
    def adopted(self) -> bool:
        return self.existing_project_id is not None

    @field_validator("restart_endpoint", mode="before")
    @classmethod
    def _restart_day(cls, v: Any) -> date | None:
        return None if v is None else iso_date(undo_engine_dates(v))

    @model_validator(mode="after")
    def _restart_needs_a_key(self) -> NeonSettings:
        if self.adopted and self.restart_endpoint is not None:
            raise KeyedError(
                "neon.restartEndpoint",
                "an adopted project holds no Neon API key to restart its endpoint with; "
                "restart it in the Neon console (the branch > Computes > Restart) and remove "
                "this line",
                top=True,
            )
        return self

    @field_validator("existing_project_id")
    @classmethod
    def _project_id(cls, v: str | None) -> str | None:
        # Neon's ids are lower-case words and digits joined by dashes (proud-sky-123456);
        # the orphan check puts it in a Neon API path.
        if v is not None and not _NEON_ID.match(v):
            raise ValueError(
                "is not a Neon project id; copy it from the console's project settings, "
                "e.g. proud-sky-123456"
            )
        return v

    @field_validator("database")
    @classmethod
    def _database(cls, v: str) -> str:
        if not _IDENT.match(v):
            raise ValueError(
                "is not a plain SQL identifier; use lower-case letters, digits and _, e.g. app"
            )
        return v


class Reviewers(ConfigModel):
    teams: list[str] = Field(default_factory=list, description="team slugs")
    users: list[str] = Field(default_factory=list, description="GitHub user names")


class GithubSettings(ConfigModel):
    repository: str = Field(description="the application repository's name, e.g. example-app")
    environment: str = Field(description="the GitHub environment name, e.g. production")
    reviewers: Reviewers = Field(
        default_factory=Reviewers, description="who approves deploys: {teams: [...], users: [...]}"
    )
    # The organization (or user) that owns the repository: `github:owner`, the provider's
    # own key outside envkeeper's block, handed in by parse_settings. Part of the stack's
    # identity at its vendors (envkeeper/vendors/naming.py).
    _owner: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _owned_by(self, info: ValidationInfo) -> GithubSettings:
        self._owner = str((info.context or {}).get("owner") or "")
        return self

    @property
    def owner(self) -> str:
        return self._owner

    @field_validator("repository", "environment")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _GITHUB_NAME.match(v):
            raise ValueError("is not a GitHub name; use letters, digits, '.', '_' or '-'")
        return v

    @field_validator("environment")
    @classmethod
    def _not_a_ci_environment(cls, v: str) -> str:
        # Pull-request previews, the drift check and the rotation run there: this stack's
        # secrets would reach jobs that are not its deploys.
        if ci.is_ci_environment(v):
            raise ValueError(
                f"{v} is an environment of this repository's own workflows (previews, drift "
                "check, rotation); name the environment this stack deploys to, e.g. production"
            )
        return v

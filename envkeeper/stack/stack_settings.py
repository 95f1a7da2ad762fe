"""The root model: everything under `envkeeper:` in one stack's config."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from envkeeper.config.clock import utc_today
from envkeeper.config.config_model import ConfigModel, unique
from envkeeper.config.dates import RotationDate, SlotDates, past_date
from envkeeper.config.environments import Environment
from envkeeper.config.url_rules import origin_problem, webhook_url_problem
from envkeeper.config.validation_messages import KeyedError
from envkeeper.stack import catalog
from envkeeper.stack.catalog import Catalog
from envkeeper.stack.stack_catalog import unused_credential, vendor_block_removed
from envkeeper.stack.vendor_settings import (
    CloudflareSettings,
    GithubSettings,
    NeonSettings,
    project_of,
)
from envkeeper.vendors import MINTED_VENDORS

if TYPE_CHECKING:
    from envkeeper.vendors.resend import ResendSettings
    from envkeeper.vendors.stripe import StripeSettings


class Settings(ConfigModel):
    """Everything under `envkeeper:` in one stack's config."""

    environment: Environment = Field(description="one of dev, staging, production")
    cors_origins: Annotated[list[str], Field(min_length=1)] = Field(
        description="exact origins allowed by CORS, e.g. [https://app.example.com]"
    )
    cloudflare: CloudflareSettings = Field(
        description="{accountId: ..., workers: [...], zones: [...]}"
    )
    neon: NeonSettings = Field(description="{projectName: ..., database: app}")
    github: GithubSettings = Field(description="{repository: ..., environment: ...}")
    rotation: dict[str, RotationDate] = Field(
        description="the keeper date (YYYY-MM-DD) of every rotated secret"
    )
    # Each minted vendor's block, declared by its module (envkeeper/vendors/): present,
    # envkeeper mints that vendor's secret; absent, it is pasted in. The checker reads the
    # two built-in vendors' types here; a new vendor's block is read with `vendor.block`.
    if TYPE_CHECKING:
        resend: ResendSettings | None
        stripe: StripeSettings | None
    else:
        for _vendor in MINTED_VENDORS:
            __annotations__[_vendor.key] = _vendor.settings_model | None
            locals()[_vendor.key] = Field(default=None, description=_vendor.settings_help)
        del _vendor
    better_auth_legacy_secret: bool = Field(
        default=True,
        description="true while rows written before versioned secrets may still need "
        "BETTER_AUTH_SECRET; false once every one has been re-written",
    )
    local_development: bool = Field(
        default=False,
        description="true to let people who can read this stack run its Workers locally "
        "(envkeeper dev-vars, envkeeper run); never in production",
    )
    standby_grace_days: int = Field(
        default=7,
        ge=1,
        le=30,
        description="how many days (1 to 30) a two-slot secret's standby credential keeps "
        "working after the other slot became active",
    )

    @field_validator("standby_grace_days", mode="before")
    @classmethod
    def _whole_days(cls, v: Any) -> Any:
        # YAML's `true` or `7.5` is a mistake, not 1 day or 7; the engine hands "7" as text.
        if isinstance(v, bool | float):
            raise ValueError("must be a whole number of days, 1 to 30")
        return v

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, v: list[str], info: ValidationInfo) -> list[str]:
        env = info.data.get("environment")
        for index, origin in enumerate(v):
            problem = origin_problem(origin, env)
            if problem:
                raise KeyedError(index, problem)
        return unique(v, "origin")

    @field_validator("rotation", mode="before")
    @classmethod
    def _rotation(cls, raw: Any, info: ValidationInfo) -> Any:
        today: date = (info.context or {}).get("today") or utc_today()
        stack: str = (info.context or {}).get("stack") or "STACK"
        if not isinstance(raw, dict):
            raise ValueError("must map each secret name to its keeper date (YYYY-MM-DD)")
        project = project_of(info)
        known = ", ".join(e.name for e in project if e.dated)
        out: dict[str, Any] = {}
        for name, value in raw.items():
            entry = project.get(name)
            if name == catalog.LEGACY_AUTH_SECRET and entry is None:
                raise KeyedError(
                    name,
                    "the legacy key is off (betterAuthLegacySecret: false); remove this date",
                )
            if entry is None and name == catalog.NEON_OWNER_PASSWORD:
                raise KeyedError(
                    name,
                    "this stack adopts its Neon project (neon.existingProjectId), whose owner "
                    f"is rolled by hand with {catalog.NEON_OWNER_URL.key}: remove this date",
                )
            if entry is None and name in catalog.TOKENS_BY_KEY:
                raise KeyedError(name, unused_credential(name, stack))
            vendor = next((v for v in MINTED_VENDORS if v.minted.name == name), None)
            if (
                vendor is not None
                and vendor.minted.two_slots
                and entry is not None
                and not entry.two_slots
                and isinstance(value, dict)
            ):
                # Slot dates are what envkeeper:resend leaves behind when it is deleted.
                raise KeyedError(name, vendor_block_removed(vendor.key, name, stack))
            if entry is None or not entry.dated:
                raise KeyedError(name, f"unknown secret; known names: {known}")
            if entry.two_slots:
                if not isinstance(value, dict) or set(value) != {"a", "b"}:
                    raise KeyedError(
                        name, "a two-slot secret needs both slots: {a: YYYY-MM-DD, b: YYYY-MM-DD}"
                    )
                parsed = {}
                for slot in ("a", "b"):
                    try:
                        parsed[slot] = past_date(value[slot], today)
                    except ValueError as exc:
                        raise KeyedError(f"{name}.{slot}", str(exc)) from None
                a, b = parsed["a"], parsed["b"]
                if a == b:
                    raise KeyedError(
                        name, "slots a and b share a date; give the older slot an earlier date"
                    )
                out[name] = SlotDates(a=a, b=b)
            else:
                try:
                    out[name] = past_date(value, today)
                except ValueError as exc:
                    raise KeyedError(name, str(exc)) from None
        needed = [e for e in project if e.dated]
        missing = [e for e in needed if e.name not in out]
        if len(missing) == 1:
            (entry,) = missing
            example = "{a: YYYY-MM-DD, b: YYYY-MM-DD}" if entry.two_slots else "YYYY-MM-DD"
            raise KeyedError(entry.name, f"missing; add `{entry.name}: {example}`")
        if missing:
            raise KeyedError(
                "",
                f"missing keeper dates for {', '.join(e.name for e in missing)}; add each as "
                "`NAME: YYYY-MM-DD`, the day it was last rotated",
            )
        return out

    @property
    def tracked(self) -> tuple[catalog.CatalogEntry, ...]:
        """Every entry with a keeper date in this stack, in catalog order: the rotated
        secrets, and the provider credentials this stack uses."""
        return self.catalog.rotated

    # The project's catalog (built-in and declared entries), kept from validation.
    _catalog: Catalog = PrivateAttr(default=catalog.BUILT_IN)

    @model_validator(mode="after")
    def _keep_catalog(self, info: ValidationInfo) -> Settings:
        self._catalog = project_of(info)
        return self

    @property
    def catalog(self) -> Catalog:
        """Every entry of this project's catalog; the program and every command read it."""
        return self._catalog

    @model_validator(mode="after")
    def _neon_project_has_an_org(self) -> Settings:
        # The organization is where the project is made, and where it stays: the provider
        # replaces a project whose organization changes (components/neon.py refuses that),
        # and isolation compares the organizations of every stack (envkeeper/stack/isolation.py).
        if not self.neon.adopted and not self.neon.org_id:
            raise KeyedError(
                "neon.orgId",
                "missing; set the Neon organization id the project belongs to "
                "(console: Organization settings), e.g. orgId: org-example-12345678",
                top=True,
            )
        return self

    @model_validator(mode="after")
    def _webhook_url(self) -> Settings:
        if self.stripe is not None:
            problem = webhook_url_problem(self.stripe.webhook.url, self.environment)
            if problem:
                raise KeyedError("stripe.webhook.url", problem, top=True)
        return self

    @model_validator(mode="after")
    def _production_stays_off_laptops(self) -> Settings:
        # Judged by the environment, not the stack's name: a production stack called
        # `live` must not export its Workers' values either.
        if self.environment is Environment.PRODUCTION and self.local_development:
            raise KeyedError(
                "localDevelopment",
                "production is never run locally: its values stay with its Workers and CI; "
                "delete this line (use the dev stack for local development)",
                top=True,
            )
        return self

    @model_validator(mode="after")
    def _production_has_reviewers(self) -> Settings:
        if self.environment is Environment.PRODUCTION and not (
            self.github.reviewers.teams or self.github.reviewers.users
        ):
            raise KeyedError(
                "github.reviewers",
                "production needs at least one reviewer; add {teams: [platform]} or users",
                top=True,
            )
        return self

    def slots(self, name: str) -> SlotDates:
        value = self.rotation[name]
        assert isinstance(value, SlotDates), f"{name} is not a two-slot secret"
        return value

    def single_date(self, name: str) -> date:
        value = self.rotation[name]
        assert isinstance(value, date), f"{name} is a two-slot secret"
        return value

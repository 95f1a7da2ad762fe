"""A project's own secrets, declared as data under `envkeeper:secrets` in `Pulumi.yaml`.

Each entry becomes a catalog entry like the built-in ones, so the program, `plan`,
`validate`, the rotation commands, `emergency`, `access-review` and the policy pack treat
it the same way. It lives in Pulumi.yaml so every stack shares one catalog; a stack file
that sets `envkeeper:secrets` is refused (envkeeper/config/stackfile.py).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from envkeeper.config.stackfile import NAMESPACE
from envkeeper.config.validation_messages import error_lines
from envkeeper.doors.problems import Problem, UserError
from envkeeper.stack.catalog import BUILT_IN, Catalog, CatalogEntry, Destination, Encoding, Source

KEY = f"{NAMESPACE}:secrets"
# An environment-variable name, as Workers and GitHub Actions both accept it.
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,99}$")
MIN_BYTES, MAX_BYTES = 16, 512
# A description or rotation note lands in pull requests, reviews and terminals: a phrase.
MAX_TEXT = 200


def config_key(name: str) -> str:
    """The stack config key (under `envkeeper:`) of an external secret: its name in
    camelCase, as for the built-in ones (STRIPE_SECRET_KEY is envkeeper:stripeSecretKey)."""
    return to_camel(name.lower())


def resource_name(name: str) -> str:
    """The Pulumi name of a generated secret's resource (BETTER_AUTH_SECRET's is
    better-auth-secret)."""
    return name.lower().replace("_", "-")


class DeclaredSecret(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    name: str = Field(description="an environment-variable name, e.g. OPENAI_API_KEY")
    source: Literal["external", "generated"] = Field(
        description="external (rolled at its vendor, set as secret config) or generated"
    )
    # Strict: YAML's `true` or `90.5` is a mistake, not 1 day or 90.
    rotation_days: StrictInt = Field(description="the rotation period, 1 to 366 days")
    destinations: list[Literal["worker-secret", "github-secret"]] = Field(
        min_length=1, description="some of: worker-secret, github-secret"
    )
    description: str | None = Field(default=None, description="what the value is, in a phrase")
    rotation_note: str | None = Field(
        default=None, description="what a rotation does to people, e.g. every user is signed out"
    )
    length: StrictInt | None = Field(
        default=None, description=f"random bytes, {MIN_BYTES} to {MAX_BYTES} (default 32)"
    )
    encoding: Encoding | None = Field(default=None, description="base64 (default) or hex")

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _ENV_NAME.match(v):
            raise ValueError(
                "is not an environment-variable name; use upper-case letters, digits "
                "and _, starting with a letter, e.g. OPENAI_API_KEY"
            )
        return v

    @field_validator("description", "rotation_note")
    @classmethod
    def _one_short_line(cls, v: str | None) -> str | None:
        if v is None:
            return v
        # Never repeated: a value in the wrong place may be a secret.
        if any(unicodedata.category(c).startswith("C") for c in v):
            raise ValueError(
                "holds a line break or a control character; write it as one line of plain text"
            )
        if not v.strip():
            raise ValueError("is empty; write a short phrase, or remove the key")
        if len(v) > MAX_TEXT:
            raise ValueError(
                f"is {len(v)} characters long; keep it to one phrase of at most {MAX_TEXT}"
            )
        return v

    @field_validator("rotation_days")
    @classmethod
    def _days(cls, v: int) -> int:
        if not 1 <= v <= 366:
            raise ValueError(f"{v} is outside 1 to 366 days; rotate at least once a year")
        return v

    @field_validator("destinations")
    @classmethod
    def _destinations(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a destination is listed twice; list each once")
        return v

    @field_validator("length")
    @classmethod
    def _length(cls, v: int | None) -> int | None:
        if v is not None and not MIN_BYTES <= v <= MAX_BYTES:
            raise ValueError(f"{v} bytes is outside {MIN_BYTES} to {MAX_BYTES}; 32 is usual")
        return v

    @model_validator(mode="after")
    def _fits_its_source(self) -> DeclaredSecret:
        if self.source == "external" and (self.length is not None or self.encoding is not None):
            raise ValueError(
                "length and encoding describe generated secrets; remove them, or write "
                "source: generated"
            )
        if "github-secret" in self.destinations and self.name.startswith("GITHUB_"):
            raise ValueError(
                f"GitHub refuses secret names starting with GITHUB_; rename {self.name}"
            )
        return self

    def entry(self) -> CatalogEntry:
        generated = self.source == "generated"
        length = self.length or 32
        encoding = self.encoding or Encoding.BASE64
        return CatalogEntry(
            name=self.name,
            source=Source.GENERATED if generated else Source.EXTERNAL,
            description=self.description
            or (
                f"{length} random bytes, {encoding.value}"
                if generated
                else "declared in Pulumi.yaml"
            ),
            destinations=tuple(Destination(d) for d in self.destinations),
            rotation_days=self.rotation_days,
            config_key=None if generated else config_key(self.name),
            rotation_effect=self.rotation_note,
            length=length if generated else None,
            encoding=encoding if generated else None,
            resource=resource_name(self.name) if generated else None,
            declared=True,
        )


def _where(raw: Any, index: int) -> str:
    """An entry's key: by its name where it has a good one, else by its place."""
    name = raw.get("name") if isinstance(raw, dict) else None
    return f"{KEY}.{name}" if isinstance(name, str) and _ENV_NAME.match(name) else f"{KEY}[{index}]"


def project_catalog(raw: Any, origin: str) -> Catalog:
    """The built-in catalog plus the entries `raw` (the value of envkeeper:secrets, or None)
    declares. Raises UserError with one line per problem, naming `origin` (Pulumi.yaml)."""
    if raw is None:
        return BUILT_IN
    if not isinstance(raw, list):
        raise UserError.one(
            origin,
            KEY,
            "must be a list of secrets, each {name: ..., source: external|generated, "
            "rotationDays: ..., destinations: [...]}; see docs/catalog.md, 'Add your own secret'",
        )
    problems: list[Problem] = []
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        where = _where(item, index)
        try:
            entry = DeclaredSecret.model_validate(item).entry()
        except ValidationError as exc:
            for key, message in error_lines(exc.errors(), DeclaredSecret, root=where):
                problems.append(Problem(origin, key, message))
            continue
        if entry.name in BUILT_IN.by_name:
            problems.append(
                Problem(
                    origin,
                    where,
                    f"{entry.name} is a built-in secret; envkeeper already manages it, so "
                    "remove this entry or give yours another name",
                )
            )
        elif entry.name in seen:
            problems.append(Problem(origin, where, "is declared twice; declare it once"))
        else:
            seen.add(entry.name)
            entries.append(entry)
    if problems:
        raise UserError(problems)
    return BUILT_IN.with_declared(entries)

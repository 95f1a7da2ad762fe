"""Resend: envkeeper mints the environment's two sending keys where a stack has
envkeeper:resend; otherwise RESEND_API_KEY is pasted in as secret config."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from envkeeper.config_model import ConfigModel

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


class ResendSettings(ConfigModel):
    """Present: envkeeper mints the environment's sending keys. Absent: RESEND_API_KEY is
    pasted in as secret config, as before."""

    domain: str = Field(
        description="the environment's verified Resend sending domain, e.g. mail.example.com"
    )

    @field_validator("domain")
    @classmethod
    def _domain(cls, v: str) -> str:
        if not _HOSTNAME.match(v):
            raise ValueError(
                "is not a domain name; write the sending domain as Resend lists it, "
                "e.g. mail.example.com"
            )
        return v

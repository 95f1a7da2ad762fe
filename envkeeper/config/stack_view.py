"""What a vendor's module reads of one stack's settings, as a type below both.

The settings (`envkeeper.stack`) gather every vendor's module, so a vendor's module cannot
import them, not even for a type hint, without an import circle. It names this instead;
`envkeeper.stack.settings.Settings` is one.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from envkeeper.config.dates import SlotDates
from envkeeper.config.environments import Environment


class GithubView(Protocol):
    """Whose repository and GitHub environment a stack's credentials are for."""

    @property
    def owner(self) -> str: ...
    @property
    def repository(self) -> str: ...
    @property
    def environment(self) -> str: ...


class StackView(Protocol):
    """One stack's settings, as the vendors' modules read them."""

    @property
    def environment(self) -> Environment: ...
    @property
    def github(self) -> GithubView: ...
    def slots(self, name: str) -> SlotDates: ...
    def single_date(self, name: str) -> date: ...

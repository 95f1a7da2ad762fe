"""Where tables are printed."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console


def console(piped_width: int) -> Console:
    """The terminal's own width; when piped (CI logs, PR comments), `piped_width` columns
    rather than rich's narrow default."""
    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else piped_width, highlight=False)

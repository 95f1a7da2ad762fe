"""The docs pages (`docs/*.md`), for the tests that hold their sentences to the code."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT

DOCS = ROOT / "docs"


def pages() -> list[Path]:
    """Every page of the docs site, in name order."""
    return sorted(DOCS.glob("*.md"))


def page(name: str) -> str:
    """One page's text, by its file name (`catalog.md`)."""
    return (DOCS / name).read_text()


def all_pages() -> str:
    """Every page's text, one after another: what the README held before the docs split."""
    return "\n\n".join(path.read_text() for path in pages())

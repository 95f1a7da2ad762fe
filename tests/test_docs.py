"""The docs site builds in strict mode, and the README stays a one-screen map of it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.conftest import ROOT
from tests.docs_pages import DOCS, pages

README = ROOT / "README.md"
CONFIG = ROOT / "mkdocs.yml"


def build(project: Path, site: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of the project in `project`, into `site`, with the locked
    MkDocs of this environment."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's banner, not a warning
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_of_the_docs(folder: Path) -> Path:
    """mkdocs.yml, its hook and docs/ in `folder`, to break without touching the real ones."""
    shutil.copytree(DOCS, folder / "docs")
    shutil.copy(CONFIG, folder / "mkdocs.yml")
    shutil.copy(ROOT / "mkdocs_hooks.py", folder / "mkdocs_hooks.py")
    return folder


def nav_pages(nav: Any) -> list[str]:
    """Every page file the nav names, however deep its sections go."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    return []


def test_the_docs_build_in_strict_mode(tmp_path: Path) -> None:
    done = build(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "adding" / "index.html").is_file()
    # The hook: a table's escaped pipe (GitHub's) reads as a plain one on the site.
    commands = (tmp_path / "site" / "commands" / "index.html").read_text()
    assert "--format table|json]" in commands
    assert "\\|" not in commands


def test_a_link_to_a_missing_page_or_anchor_fails_the_build(tmp_path: Path) -> None:
    """What makes the first test able to fail: strict mode stops on a broken link."""
    for n, link in enumerate(["no-such-page.md", "incident.md#no-such-anchor"]):
        project = copy_of_the_docs(tmp_path / f"project-{n}")
        page = project / "docs" / "rotation.md"
        page.write_text(page.read_text() + f"\nSee [nowhere]({link}).\n")
        done = build(project, tmp_path / f"site-{n}")
        assert done.returncode != 0, link
        assert link.split("#")[-1] in done.stdout + done.stderr, link


def test_the_readme_fits_on_one_screen() -> None:
    assert len(README.read_text().splitlines()) <= 100


def test_the_readme_maps_every_page_and_the_nav_holds_every_page() -> None:
    mapped = re.findall(r"^- \[[^]]+\]\(docs/([\w-]+\.md)\)", README.read_text(), re.M)
    names = [path.name for path in pages()]
    assert sorted(mapped) == names, "one line per docs page in the README's map"
    assert len(mapped) == len(set(mapped))
    config = YAML(typ="safe").load(CONFIG.read_text())
    assert config["theme"]["name"] == "material"
    assert config["strict"] is True
    in_nav = nav_pages(config["nav"])
    assert sorted(in_nav) == names, "every docs page in mkdocs.yml's nav, and no other"
    assert len(in_nav) == len(set(in_nav))

"""A new minted vendor is its own module and its component, and nothing else.

A scratch copy of the project gets a vendor envkeeper has never heard of (Acme, minting
ACME_API_KEY; tests/new_vendor/) as two new files, envkeeper/vendors/acme.py and
components/acme_key.py, and only keeper dates in its stack files. Every place that knows
of minted vendors then knows of Acme: the catalog and its admin key, the settings, the
offline plan, the incident playbook's steps and audit, the access review's checklist and
`validate`'s mode sentences.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT, ROOT, STACKS

HERE = Path(__file__).parent / "new_vendor"
NEW_FILES = {
    "envkeeper/vendors/acme.py": HERE / "acme_vendor.py",
    "components/acme_key.py": HERE / "acme_component.py",
}
DATES = "    ACME_API_KEY: '2026-10-12'\n"


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project as it is, the two new files, and keeper dates; dev mints Acme's key."""
    root = tmp_path_factory.mktemp("with-acme")
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("envkeeper", "components"):
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    for name in ("Pulumi.yaml", "__main__.py", *(f"Pulumi.{s}.yaml" for s in STACKS)):
        shutil.copy(PROJECT / name, root / name)
    for target, source in NEW_FILES.items():
        shutil.copy(source, root / target)
    for stack in STACKS:
        path = root / f"Pulumi.{stack}.yaml"
        text = path.read_text()
        if stack == "dev":
            text = text.replace(
                "  envkeeper:rotation:\n",
                "  envkeeper:acme:\n    project: acme-dev\n  envkeeper:rotation:\n",
            )
            text += "    envkeeper:acmeAdminKey: '2026-10-19'\n"
        path.write_text(text + DATES)
    return root


def envkeeper(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line of the copy, not of this checkout."""
    env = {**os.environ, "PYTHONPATH": str(copy), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "envkeeper", "--project-dir", str(copy), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=copy,  # the working folder comes first on the path
        timeout=300,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_the_copy_differs_from_the_project_by_the_new_files_only(copy: Path) -> None:
    for package in ("envkeeper", "components"):
        ours = {p.relative_to(ROOT) for p in (ROOT / package).rglob("*.py")}
        theirs = {p.relative_to(copy) for p in (copy / package).rglob("*.py")}
        assert theirs - ours == {Path(t) for t in NEW_FILES if t.startswith(package)}
        for path in ours:
            assert (copy / path).read_bytes() == (ROOT / path).read_bytes(), path


def test_the_copy_runs_its_own_modules(copy: Path) -> None:
    where = subprocess.run(
        [sys.executable, "-c", "import envkeeper.vendors.acme as m; print(m.__file__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(copy)},
        cwd=copy,
        check=True,
    )
    assert where.stdout.strip() == str(copy / "envkeeper/vendors/acme.py")


def test_validate_says_what_envkeeper_does_with_the_new_vendor(copy: Path) -> None:
    minted = ok(envkeeper(copy, "validate", "dev"))
    assert "Acme: envkeeper mints the project key for acme-dev" in minted
    pasted = ok(envkeeper(copy, "validate", "staging"))
    assert "Acme: ACME_API_KEY is pasted in as secret config (envkeeper:acmeApiKey)" in pasted
    assert "envkeeper:acmeApiKey (Acme project key)" in pasted  # needed before pulumi up


def test_the_settings_refuse_a_bad_block_and_a_leftover_admin_key(copy: Path) -> None:
    path = copy / "Pulumi.staging.yaml"
    before = path.read_text()
    try:
        path.write_text(
            before.replace(
                "  envkeeper:rotation:\n", "  envkeeper:acme: {}\n  envkeeper:rotation:\n"
            )
        )
        result = envkeeper(copy, "validate", "staging")
        assert result.returncode == 2
        assert "envkeeper:acme.project: missing" in result.stderr
        path.write_text(before + "    envkeeper:acmeAdminKey: '2026-10-19'\n")
        result = envkeeper(copy, "validate", "staging")
        assert result.returncode == 2
        assert "you removed envkeeper:acme, so nothing uses this admin key" in result.stderr
        assert "pulumi config set --secret --stack staging envkeeper:acmeApiKey" in result.stderr
    finally:
        path.write_text(before)


def test_the_catalog_and_rotation_hold_the_new_key_and_its_admin_key(copy: Path) -> None:
    rows = json.loads(
        ok(envkeeper(copy, "rotation", "status", "dev", "-f", "json", "--today", "2026-12-01"))
    )
    by_name = {row["name"]: row for row in rows["secrets"]}
    assert by_name["ACME_API_KEY"]["source"] == "acme-key"
    assert by_name["envkeeper:acmeAdminKey"]["source"] == "provider-credential"
    pasted = json.loads(
        ok(envkeeper(copy, "rotation", "status", "staging", "-f", "json", "--today", "2026-12-01"))
    )
    names = {row["name"]: row["source"] for row in pasted["secrets"]}
    assert names["ACME_API_KEY"] == "external"
    assert "envkeeper:acmeAdminKey" not in names


def test_the_offline_plan_mints_and_delivers_the_new_key(copy: Path) -> None:
    plan: dict[str, Any] = json.loads(ok(envkeeper(copy, "plan", "dev", "-f", "json")))
    key = next(r for r in plan["resources"] if r["name"] == "acme-key")
    assert key["type"] == "pulumi-python:dynamic/envkeeper:AcmeKey"
    secret = next(s for s in plan["secrets"] if s["name"] == "ACME_API_KEY")
    assert secret["source"] == {
        "kind": "acme-key",
        "description": "Acme project key, minted for the environment's project",
        "resources": [key["urn"]],
    }
    assert [d["delivered"] for d in secret["destinations"]] == [True]


def test_the_incident_playbook_rotates_it_or_names_the_vendor_steps(copy: Path) -> None:
    minted = ok(envkeeper(copy, "emergency", "dev", "--dry-run"))
    assert "ACME_API_KEY: 2026-10-12 -> " in minted
    assert "Acme: the project's usage log for calls made with the old key" in minted
    assert "acme-key" in minted  # what the next `pulumi up` replaces
    pasted = ok(envkeeper(copy, "emergency", "staging", "--dry-run"))
    assert "Acme console > Project keys: revoke the key, make another" in pasted
    assert "pulumi config set --secret --stack staging envkeeper:acmeApiKey" in pasted


def test_the_access_review_checks_the_new_vendor(copy: Path) -> None:
    record = json.loads(ok(envkeeper(copy, "access-review", "dev", "-f", "json")))
    line = "The Acme console's project keys, the Resend dashboard's API keys and the Stripe"
    assert any(item.startswith(line) for item in record["checklist"])
    admin = {c["key"]: c["what"] for c in record["admin_credentials"]}
    assert (
        admin["envkeeper:acmeAdminKey"]
        == "Acme admin key that creates this environment's project keys"
    )

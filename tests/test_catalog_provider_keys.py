"""Every provider credential the catalog names is a key its installed SDK really reads.

The keys come from each SDK's generated `config/vars.py` (`pulumi.Config(NS)` and its
`__config__.get('KEY')` calls), read as source so the test imports no provider SDK. A
provider upgrade that renames its key fails here instead of in a user's `pulumi up`.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from envkeeper.stack import catalog


def keys_read_by(package: str) -> set[str]:
    spec = importlib.util.find_spec(package)
    assert spec and spec.origin, f"{package} is not installed: run `uv sync`"
    tree = ast.parse((Path(spec.origin).parent / "config" / "vars.py").read_text())
    namespaces, names = set(), set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and node.args):
            continue
        arg = node.args[0]
        if not (isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "Config":
            namespaces.add(arg.value)
        elif isinstance(func, ast.Attribute) and func.attr.startswith("get"):
            names.add(arg.value)
    return {f"{ns}:{name}" for ns in namespaces for name in names}


@pytest.mark.parametrize("token", catalog.PROVIDER_TOKENS, ids=lambda t: t.key)
def test_the_key_is_the_one_the_sdk_reads(token: catalog.ProviderToken) -> None:
    namespace = token.key.split(":", 1)[0]
    assert token.key in keys_read_by(f"pulumi_{namespace}")


def test_the_neon_sdk_reads_camel_case() -> None:
    # The bridged SDK reads `apiKey`; the native beta it replaced read `api_key`, which a
    # stack file from before the switch still names (validate says so: test_upgrades.py).
    assert "neon:api_key" not in keys_read_by("pulumi_neon")
    assert "neon:apiKey" in keys_read_by("pulumi_neon")

"""The engine tests share one stack for speed, yet each runs alone (`-k NAME`).

Every engine test takes the `deployment` fixture, which deploys the shared stack first when
no test before it did; one that cannot must say in its name and docstring what it builds on.
Checked on the source, so it holds for engine tests added later, without the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

ENGINE_TESTS = Path(__file__).resolve().parent / "test_engine.py"


def test_every_engine_test_deploys_what_it_needs_or_says_what_it_builds_on() -> None:
    tree = ast.parse(ENGINE_TESTS.read_text())
    tests = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]
    assert tests
    for test in tests:
        arguments = {a.arg for a in test.args.args}
        assert "shared_stack" not in arguments, f"{test.name}: take `deployment`, which deploys"
        if "deployment" in arguments:
            continue
        docstring = ast.get_docstring(test) or ""
        assert "builds_on" in test.name and "builds on" in docstring, (
            f"{test.name} neither takes `deployment` nor says what it builds on"
        )


def test_the_deployment_fixture_deploys_each_time_it_is_not_deployed() -> None:
    tree = ast.parse(ENGINE_TESTS.read_text())
    (fixture,) = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "deployment"
    ]
    source = ast.get_source_segment(ENGINE_TESTS.read_text(), fixture) or ""
    decorator = ast.unparse(fixture.decorator_list[0])
    assert decorator == "pytest.fixture", "function-scoped: it checks before every test"
    assert "if not shared_stack.deployed:" in source and ".up(" in source

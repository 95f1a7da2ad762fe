"""The README's commands and the docs' catalog table and examples say what the code does."""

from __future__ import annotations

import json
import re
from typing import Any

from envkeeper.config.stackfile import round_trip_yaml
from envkeeper.stack import catalog
from envkeeper.stack.declared import KEY as DECLARED_KEY
from envkeeper.stack.declared import project_catalog
from tests.conftest import ROOT
from tests.declared_project import DECLARED
from tests.docs_pages import all_pages, page

README = (ROOT / "README.md").read_text()
DOCS = all_pages()
CI = (ROOT / ".ci" / "run").read_text()


def test_docs_catalog_rows_match_the_catalog() -> None:
    rows = re.findall(r"^\| `([A-Z_]+)` \| .*? \| (.*?) \| .*? \|$", DOCS, re.M)
    assert [name for name, _ in rows] == [e.name for e in catalog.BUILT_IN.delivered]
    for name, rotation in rows:
        entry = catalog.BUILT_IN.by_name[name]
        if entry.rotation_days is None:
            assert rotation == "—"
        else:
            assert rotation.startswith(f"{entry.rotation_days} days")
            assert ("two slots" in rotation) == entry.two_slots


def test_readme_starts_with_the_two_commands_and_ci_runs_the_test_one() -> None:
    # The docs' overview starts with them too.
    for text in (README, page("index.md")):
        block = text.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
        assert block == [
            "python3 -m pip install uv && uv run envkeeper plan dev",
            "uv run pytest",
        ]
    # CI runs that command whole, in its two parts: the tests that need no engine (while
    # the engine is built; a second time with the clock on a far date), then the engine
    # tests; no other selection.
    runs = [ln.split("||")[0].strip() for ln in CI.splitlines() if "uv run pytest" in ln]
    assert runs == [
        'uv run pytest -m "not engine"',
        'faketime "$far_date" uv run pytest -m "not engine" -p no:cacheprovider -q \\',
        "uv run pytest -m engine",
    ]


def test_docs_name_a_set_secret_line_for_every_secret_key() -> None:
    for key in catalog.BUILT_IN.secure_config_keys():
        assert f"pulumi config set --secret --stack dev {key}" in DOCS


def test_docs_example_of_a_declared_secret_is_what_the_tests_declare() -> None:
    section = page("catalog.md").split("\n## Add your own secret\n", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    block = round_trip_yaml().load(example)["config"][DECLARED_KEY]
    assert json.loads(json.dumps(block)) == DECLARED
    assert [e.name for e in project_catalog(block, "docs/catalog.md") if e.declared] == [
        "OPENAI_API_KEY",
        "SESSION_SIGNING_KEY",
    ]


def test_every_bump_the_docs_show_works(cli: Any) -> None:
    shown = re.findall(r"rotation bump ([a-z][a-z0-9-]*) ([A-Z][A-Z_]+)\b", README + DOCS)
    assert shown, "the docs show how to bump a date"
    for stack, name in shown:
        result = cli("rotation", "bump", stack, name)
        assert result.exit_code == 0, (stack, name, result.output)


def test_the_bump_help_names_a_secret_bump_accepts(cli: Any) -> None:
    help_text = cli("rotation", "bump", "--help").stdout
    (example,) = re.findall(r"e\.g\. ([A-Z_]+)", help_text)
    assert cli("rotation", "bump", "dev", example).exit_code == 0


def test_every_keeper_date_the_docs_show_is_quoted() -> None:
    # `pulumi config set` rewrites an unquoted date as a timestamp: the docs' own
    # snippets must not teach the form they warn about.
    yaml_blocks = re.findall(r"```yaml\n(.*?)```", README + DOCS, flags=re.DOTALL)
    dates = [
        line
        for block in yaml_blocks
        for line in block.splitlines()
        if re.search(r"\d{4}-\d{2}-\d{2}", line) and not line.lstrip().startswith("#")
    ]
    assert dates, "the docs show keeper dates"
    unquoted = [line for line in dates if re.search(r"(?<!['\"])\b\d{4}-\d{2}-\d{2}\b(?!\.)", line)]
    assert unquoted == []


def local_loop(name: str, section: str) -> list[str]:
    """The three-command local loop as the docs page `name` shows it in `section`."""
    text = page(name).split(section, 1)[1]
    block = next(b for b in text.split("```sh\n")[1:] if "envkeeper dev-vars" in b)
    return block.split("```", 1)[0].splitlines()


def test_try_it_and_use_it_for_real_show_the_same_three_command_local_loop() -> None:
    loop = local_loop("index.md", "## Try it")
    assert loop == local_loop("local-development.md", "# Run a Worker locally")
    assert len(loop) == 3
    assert loop[0] == "pulumi up --stack dev"
    assert loop[1].startswith("uv run envkeeper dev-vars dev ")
    assert loop[2].startswith("cd ../") and loop[2].endswith("npx wrangler dev")

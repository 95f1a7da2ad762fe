"""What `envkeeper apply-plan` compares before it applies an approved plan: each resource's
operations and input changes, secrets read as secrets. The engine tests run the commands
on a real stack (tests/test_engine.py)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from envkeeper.doors.markdown import SUMMARY_LIMIT
from envkeeper.doors.problems import UserError
from envkeeper.engine.secret_marks import SECRET_SIG, SECRET_SIG_KEY
from envkeeper.guards.approved_plan import Previewed, Saved, differing, steps, summary

STACK = "urn:pulumi:prod::envkeeper::envkeeper:environment:Environment$"
SWITCH = STACK + "pulumi-python:dynamic/envkeeper:SlotSwitch::resend-api-key-switch"
SECRET_URN = STACK + "pulumi-python:dynamic/envkeeper:WorkerSecret::example-api-RESEND_API_KEY"


def secret(ciphertext: str) -> dict[str, str]:
    return {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": ciphertext}


PLAN: dict[str, Any] = {
    "version": 1,
    "plan": {
        "manifest": {},
        "resourcePlans": {
            SWITCH: {
                "goal": {"inputDiff": {"updates": {"since": "2026-12-01"}}, "protect": False},
                "steps": ["update"],
            },
            SECRET_URN: {
                "goal": {"inputDiff": {"updates": {"text": secret("CANARY-one-encryption")}}},
                "steps": ["update"],
            },
        },
    },
}


def test_the_same_plan_encrypted_again_is_the_same() -> None:
    again = copy.deepcopy(PLAN)
    text = again["plan"]["resourcePlans"][SECRET_URN]["goal"]["inputDiff"]["updates"]
    text["text"] = secret("CANARY-another-encryption")  # a new nonce, the same value
    assert differing(PLAN, again) == []


def test_a_later_day_differs_and_is_named_by_its_resource_only() -> None:
    late = copy.deepcopy(PLAN)
    late["plan"]["resourcePlans"][SWITCH]["goal"]["inputDiff"]["updates"]["since"] = "2026-12-09"
    assert differing(PLAN, late) == ["resend-api-key-switch"]


@pytest.mark.parametrize(
    "change",
    ["a new step", "a step less", "another operation", "a protect flag"],
)
def test_any_other_step_differs(change: str) -> None:
    other = copy.deepcopy(PLAN)
    plans = other["plan"]["resourcePlans"]
    if change == "a new step":
        plans[STACK + "random:index/randomPassword:RandomPassword::x"] = {"steps": ["create"]}
    elif change == "a step less":
        del plans[SWITCH]
    elif change == "another operation":
        plans[SECRET_URN]["steps"] = ["replace"]
    else:
        plans[SWITCH]["goal"]["protect"] = True
    assert differing(PLAN, other)
    assert all("CANARY" not in name for name in differing(PLAN, other))


def test_a_file_that_is_no_plan_is_refused() -> None:
    with pytest.raises(ValueError, match="not a plan"):
        steps({"steps": []})


def test_a_saved_day_that_is_no_day_is_one_line_never_quoted(tmp_path: Path) -> None:
    (tmp_path / "day").write_text("CANARY-pasted-value\n")
    with pytest.raises(UserError) as found:
        Saved(tmp_path).day()
    assert "CANARY" not in str(found.value) and "envkeeper preview-plan" in str(found.value)


def test_a_plan_keeps_its_order_of_keys_out_of_the_comparison() -> None:
    shuffled = json.loads(json.dumps(PLAN, sort_keys=True))
    assert differing(PLAN, shuffled) == []


def test_the_summary_fits_githubs_limit_and_says_where_the_whole_preview_is() -> None:
    text = "\n".join(f"    ~ resource-{n:05d} update [diff: ~text]" for n in range(40_000))
    shown = summary("prod", Previewed(text, None))
    assert len(shown.encode()) <= SUMMARY_LIMIT
    assert "resource-00000" in shown and "resource-39999" not in shown
    assert shown.rstrip().endswith("the whole preview is preview.txt in the plan's artifact.")
    short = summary("prod", Previewed("    + resource-a create", None))
    assert "left out" not in short and "resource-a create" in short


def test_a_preview_cannot_close_its_block_and_write_markdown_of_its_own() -> None:
    shown = summary("prod", Previewed("```\n# Approved by security\n```", None))
    fence = shown.split("\n<details open><summary>Pulumi report</summary>\n\n", 1)[1]
    opening = fence.splitlines()[0]
    assert set(opening) == {"`"} and len(opening) > 3
    assert fence.count(opening) == 2  # the preview's own fences stay inside


def test_a_failed_preview_says_there_is_nothing_to_approve() -> None:
    failed = summary("prod", Previewed("error: boom", UserError.one("x", "", "failed")))
    assert "failed: there is nothing to approve" in failed.splitlines()[0]

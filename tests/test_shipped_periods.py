"""Shipped cases that read earlier results (issue 16). The expectations themselves are in
the case files (cases/tax/luoyang-2011-trend.yaml, cases/leshan/danwei-2013.yaml, run by
test_shipped_cases); here, that each earlier result shipped beside them is what the tool
writes today."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policyengine import api
from policyengine.render import render

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("ruleset, case", [
    ("rulesets/tax/2010.policy", "cases/tax/luoyang-2010.yaml"),
    ("rulesets/leshan/2012.policy", "cases/leshan/danwei-2012.yaml"),
])
def test_a_shipped_earlier_result_is_current(ruleset: str, case: str) -> None:
    # written from the checkout's root by `policyengine eval RULESET CASE -o <case>.result.json`:
    # if the method or the case changes, write it again
    shipped = json.loads((ROOT / case).with_suffix(".result.json").read_text(encoding="utf-8"))
    now = json.loads(render([api.load_ruleset(ROOT / ruleset).evaluate(ROOT / case)], "json"))
    assert shipped["case"]["file"] == case
    shipped["case"]["file"] = now["case"]["file"]
    assert shipped == now

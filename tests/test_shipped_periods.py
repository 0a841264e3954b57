"""Shipped cases that read earlier results (issue 16). The expectations themselves are in
the case files (cases/tax/luoyang-2011-trend.yaml, run by test_shipped_cases); here, that
the earlier result shipped beside them is what the tool writes today."""

from __future__ import annotations

import json
from pathlib import Path

from policyengine import api
from policyengine.render import render

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_2010_result_is_current() -> None:
    # written by `policyengine eval tax@2010 cases/tax/luoyang-2010.yaml -o cases/tax/luoyang-2010.result.json`
    # from the checkout's root: if the 2010 method or case changes, write it again
    shipped = json.loads((ROOT / "cases/tax/luoyang-2010.result.json").read_text(encoding="utf-8"))
    now = json.loads(render([api.load_ruleset(ROOT / "rulesets/tax/2010.policy").evaluate(
        ROOT / "cases/tax/luoyang-2010.yaml")], "json"))
    assert shipped["case"]["file"] == "cases/tax/luoyang-2010.yaml"
    shipped["case"]["file"] = now["case"]["file"]
    assert shipped == now

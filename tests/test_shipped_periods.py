"""Shipped rulesets that read earlier results (issue 16), hand-checked against the worked
rankings in the case files' comments."""

from __future__ import annotations

from pathlib import Path

from policyengine import api
from policyengine.case import load_case
from policyengine.previous import attach_earlier
from policyengine.render import render

from .conftest import D

ROOT = Path(__file__).resolve().parent.parent


def test_tax_2011_against_2010_flags_the_points_whose_grade_rose(tmp_path: Path) -> None:
    y2010 = tmp_path / "tax-2010.json"
    y2010.write_text(render([api.load_ruleset(ROOT / "rulesets/tax/2010.policy").evaluate(
        ROOT / "cases/tax/luoyang-2010.yaml")], "json"), encoding="utf-8")
    rs = api.load_ruleset(ROOT / "rulesets/tax/2011-trend.policy")
    case = load_case(ROOT / "cases/tax/luoyang-2011.yaml")
    attach_earlier(case, rs.id, [y2010])
    result = rs.evaluate(case)
    items = {i.id: i for i in result.items}
    changed = {i.id: (i.values["档次变化"], i.values["得分变化"]) for i in result.items
               if i.values["档次变化"] != "持平"}
    # luoyang-2011.yaml's worked rankings list every regrade from 2010 (the same 105 points, no
    # new one): 执法权 ZF-QZ-02 高→一般 (99 → 90), ZF-CF-06 低→一般 (46.8 → 50.7), ZF-QZ-03
    # 一般→低 (48.6 both years, others moved); 行政管理权 XZ-RS-02 高→一般 (84 → 75.6), XZ-CW-08
    # 一般→高 (79.2 both years), XZ-RC-06 低→一般 (45 both years)
    assert changed == {
        "ZF-QZ-02": ("下降", D(-9)), "ZF-CF-06": ("上升", D("3.9")), "ZF-QZ-03": ("下降", D(0)),
        "XZ-RS-02": ("下降", D("-8.4")), "XZ-CW-08": ("上升", D(0)), "XZ-RC-06": ("上升", D(0)),
    }
    # the three that rose get the new measures (假设 C1); nothing else does
    flagged = sorted(i.id for i in result.items if any(s.rule == "档次上升应对" for s in i.sanctions))
    assert flagged == ["XZ-CW-08", "XZ-RC-06", "ZF-CF-06"]
    # 2011's own grades and fines are untouched: 20 / 65 / 20 and 38000, as in luoyang-2011.yaml
    assert result.summary["levels"]["风险档次"] == {"高风险": 20, "一般风险": 65, "低风险": 20}
    assert result.summary["fines"] == D(38000)
    assert items["ZF-ZS-01"].values["档次变化"] == "持平"
    assert [p["period"] for p in result.previous] == [2010]

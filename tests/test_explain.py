"""`policyengine explain` and `pe.explain`: one item's values traced to inputs and rule lines."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import pytest

import policyengine as pe

from .conftest import D, cli, ruleset

# A held-out-style method: two coefficient tables, a composite score, a ranking grade
# within groups, supervision, and two fines that fire on one item.
RULES = """\
ruleset audit "审计局廉政风险评估"
version "2012"
subject 风险点
input 类别: one of ["执法", "管理"]
input 权力: text
input 次数: integer >= 0 = 0
input 事件: list of {类型: text, 金额: number = 0, 日期: date}
dimension 裁量: 1..5
dimension 透明: 1..5 weight 2
table 强度系数 {
  | 权力                    || 系数 |
  | in ["审计权", "处罚权"] || 1.3  |
  | "检查权"                || 1.2  |
  | -                       || 1.0  |
}
table 频率系数 hit first {
  | 次数   || 系数 |
  | >= 100 || 1.2  |
  | >= 10  || 1.1  |
  | -      || 0.9  |
}
let 基本分 = weighted(dimensions) * 5
let 综合分 = round(基本分 * 强度系数 * 频率系数, 2)
levels 档次 [高 red, 中 yellow, 低 green]
grade 档次 {
  top 2 by 综合分 within 类别    -> 高
  bottom 1 by 综合分 within 类别 -> 低
  otherwise                      -> 中
}
supervision 档次 {
  高        -> "纪检组" every 1 quarter
  otherwise -> "科长" every 1 year
}
sanction 吃请 for e in 事件 where e.类型 == "吃请" {
  fine 10 * e.金额
  action "经济处罚"
}
sanction 礼金 for e in 事件 where e.类型 == "礼金" {
  fine 2 * e.金额
  action "退还礼金"
  warning orange
}
sanction 经商 when any(e in 事件 where e.类型 == "经商") {
  action "诫勉谈话"
}
"""

# 执法 group (size 4), by hand:
#   A 审计权 150次 裁量4 透明3: weighted = 4 + 3*2 = 10, 基本分 = 50; 强度 row 1 = 1.3, 频率 row 1 (>= 100) = 1.2;
#     综合分 = round(50 * 1.3 * 1.2, 2) = 78                    -> rank 2 of 4 (top 2 holds) -> 高
#   B 检查权 50次 5/5: weighted 15, 基本分 75; 1.2 (row 2), 1.1 (row 2): 75 * 1.32 = 99 -> rank 1 -> 高
#   C 许可权 5次 2/2: weighted 6, 基本分 30; 1.0 (row 3), 0.9 (row 3): 27         -> rank 4 (top: no);
#     bottom rank 1 of 4 (bottom 1 holds) -> 低
#   D 处罚权 10次 3/2: weighted 7, 基本分 35; 1.3, 1.1: 35 * 1.43 = 50.05           -> rank 3 -> 中
# 管理 group (size 1): E 审计权 200次 1/1: weighted 3, 基本分 15; 1.3 * 1.2: 23.4  -> rank 1 -> 高
# A's sanctions: 吃请 on 事件 #1 (300): fine 10 * 300 = 3000; 礼金 on 事件 #3 (1000): 2 * 1000 = 2000;
# total 5000; 经商 does not fire.
CASE = """\
title: 审计局 2012 年度评估
unit: 某审计局
period: 2012
items:
  - id: A
    name: 审计实施
    类别: 执法
    权力: 审计权
    次数: 150
    裁量: 4
    透明: 3
    事件:
      - {类型: 吃请, 金额: 300, 日期: 2012-03-01}
      - {类型: 信访, 日期: 2012-04-01}
      - {类型: 礼金, 金额: 1000, 日期: 2012-05-02}
  - {id: B, 类别: 执法, 权力: 检查权, 次数: 50, 裁量: 5, 透明: 5}
  - {id: C, 类别: 执法, 权力: 许可权, 次数: 5, 裁量: 2, 透明: 2}
  - {id: D, 类别: 执法, 权力: 处罚权, 次数: 10, 裁量: 3, 透明: 2}
  - {id: E, 类别: 管理, 权力: 审计权, 次数: 200, 裁量: 1, 透明: 1}
"""


@pytest.fixture
def files(write) -> tuple[Path, Path]:
    return write("audit.policy", RULES), write("audit-2012.yaml", CASE)


def line_of(path: Path, text: str) -> str:
    """`file:line` of the first line of `path` containing `text`."""
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text in line:
            return f"{path}:{n}"
    raise AssertionError(text)


def test_explanation_data(files) -> None:
    r, c = files
    ex = pe.explain(pe.load_ruleset(r), c, item_id="A")
    assert ex["subject"] == "风险点" and ex["item"] == {"id": "A", "name": "审计实施", "at": f"{c}:5"}
    inputs = {i["name"]: i for i in ex["inputs"]}
    assert inputs["权力"]["value"] == "审计权" and inputs["次数"]["value"] == D(150)
    assert inputs["裁量"]["value"] == D(4) and inputs["透明"]["weight"] == D(2)
    assert inputs["透明"]["range"] == [D(1), D(5)] and inputs["透明"]["kind"] == "dimension"
    assert inputs["权力"]["at"] == line_of(r, "input 权力")

    strength = ex.find("values", "强度系数")
    assert strength["inputs"] == [{"header": "权力", "value": "审计权"}]
    assert [row["row"] for row in strength["rows"]] == [1]
    assert strength["rows"][0]["at"] == line_of(r, '| in ["审计权"')
    assert strength["value"] == D("1.3")
    frequency = ex.find("values", "频率系数")
    assert frequency["inputs"] == [{"header": "次数", "value": D(150)}]
    assert frequency["rows"][0]["row"] == 1 and frequency["rows"][0]["tests"] == [">= 100"]
    assert frequency["value"] == D("1.2") and frequency["at"] == line_of(r, "table 频率系数")

    base = ex.find("values", "基本分")
    assert base["expr"] == "weighted(dimensions) * 5" and base["value"] == D(50)
    assert base["operands"] == {"裁量": D(4), "透明": D(3)}
    score = ex.find("values", "综合分")
    assert score["expr"] == "round(基本分 * 强度系数 * 频率系数, 2)"
    assert score["operands"] == {"基本分": D(50), "强度系数": D("1.3"), "频率系数": D("1.2")}
    assert score["value"] == D(78) and score["at"] == line_of(r, "let 综合分")

    grade = ex.find("grades", "档次")
    assert (grade["level"], grade["color"], grade["rank"]) == ("高", "red", 2)
    [decided] = grade["lines"]
    assert decided["held"] and decided["line"] == 1 and decided["at"] == line_of(r, "top 2 by")
    assert decided["ranking"] == {"direction": "top", "by": "综合分", "value": D(78), "rank": 2,
                                  "within": "类别", "group": "执法", "size": 4, "count": D(2),
                                  "percent": False, "edge": D(2)}

    [supervision] = ex["supervision"]
    assert (supervision["line"], supervision["by"], supervision["every"]) == (1, ["纪检组"], "1 quarter")

    meal, gift = ex["sanctions"]
    assert (meal["name"], meal["element"], meal["fine"], meal["actions"]) == ("吃请", 1, D(3000), ["经济处罚"])
    assert meal["fields"] == {"类型": "吃请", "金额": D(300), "日期": _dt.date(2012, 3, 1)}
    assert (gift["name"], gift["element"], gift["fine"], gift["warning"]) == ("礼金", 3, D(2000), "orange")
    assert gift["at"] == line_of(r, "sanction 礼金")
    assert [n["name"] for n in ex["not_fired"]] == ["经商"]
    assert ex["fine"] == D(5000)


def test_explanation_text(files) -> None:
    r, c = files
    out = cli("explain", str(r), str(c), "--item", "A")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("风险点 A 审计实施\n")
    assert "inputs: 类别 = 执法, 权力 = 审计权, 次数 = 150" in text
    assert "dimensions: 裁量 = 4, 透明 = 3 (weight 2)" in text
    assert (f'table 强度系数: 权力 = 审计权 → row 1 [in ["审计权", "处罚权"]] → 1.3   '
            f'[{line_of(r, "| in [")}]') in text
    assert f"table 频率系数: 次数 = 150 → row 1 [>= 100] → 1.2   [{line_of(r, '| >= 100')}]" in text
    assert f"let 基本分 = weighted(dimensions) * 5 = 50   [{line_of(r, 'let 基本分')}]\n      裁量 = 4, 透明 = 3" in text
    assert "let 综合分 = round(基本分 * 强度系数 * 频率系数, 2) = 78" in text
    assert "基本分 = 50, 强度系数 = 1.3, 频率系数 = 1.2" in text
    assert "grade 档次 = 高 (red)" in text
    assert "line 1: top 2 by 综合分 within 类别: 78 is rank 2 of 4 in 执法 (≤ 2) → 高" in text
    assert "supervision 档次: line 1: 高 → 纪检组 every 1 quarter" in text
    assert "sanction 吃请 fired for element 1: {类型: 吃请, 金额: 300, 日期: 2012-03-01}" in text
    assert "fine 10 * e.金额 = 3000; actions 经济处罚" in text
    assert "sanction 礼金 fired for element 3: {类型: 礼金, 金额: 1000, 日期: 2012-05-02}" in text
    assert "fine 2 * e.金额 = 2000; actions 退还礼金; warning orange" in text
    assert "sanction 经商 did not fire" in text
    assert text.endswith("total fine 5000\n")


def test_lines_tried_before_the_deciding_one(files) -> None:
    r, c = files
    text = pe.explain(r, c, item_id="C").to_text()
    # C: 27 is last of 4 in 执法, so top 2 fails and bottom 1 decides
    assert "line 1: top 2 by 综合分 within 类别: 27 is rank 4 of 4 in 执法 (> 2): does not apply" in text
    assert "line 2: bottom 1 by 综合分 within 类别: 27 is rank 1 from the bottom of 4 in 执法 (≤ 1) → 低" in text
    assert "line 3" not in text  # never tried
    assert "supervision 档次: line 2: otherwise → 科长 every 1 year" in text


def test_json_is_stable_and_exact(files, tmp_path: Path) -> None:
    r, c = files
    first = cli("explain", str(r), str(c), "--item", "A", "--format", "json")
    second = cli("explain", str(r), str(c), "--item", "A", "-f", "json", "-o", str(tmp_path / "a.json"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert first.stdout == (tmp_path / "a.json").read_text(encoding="utf-8")
    assert '"value": 1.3,' in first.stdout  # an exact number, not a string or 1.3000000001
    data = json.loads(first.stdout)
    assert data["format"] == "policyengine-explain/1"
    assert list(data) == ["format", "ruleset", "case", "subject", "item", "inputs", "values", "grades",
                          "supervision", "sanctions", "not_fired", "fine"]
    assert [v["name"] for v in data["values"]] == ["强度系数", "频率系数", "基本分", "综合分"]
    assert data["grades"][0]["lines"][0]["ranking"]["rank"] == 2
    assert [(s["name"], s["fine"]) for s in data["sanctions"]] == [("吃请", 3000), ("礼金", 2000)]


def test_supervision_entries_have_every_key_in_the_documented_order() -> None:
    """docs/explain.md: keys always present, in order; a scale with no line for the item's
    level used to give only {scale, line, at}, and an applied line put `at` third."""
    rs = ruleset("""\
ruleset sup
input 分: number
levels 档 [高 red, 低 green]
grade 档 {
  分 >= 10 -> 高
  otherwise -> 低
}
supervision 档 {
  高 -> "纪检组" every 1 year
}
""")
    case = pe.Case(items=[{"id": "H", "分": 12}, {"id": "L", "分": 3}])
    keys = ["scale", "line", "text", "level", "when", "operands", "by", "every", "at", "calls"]
    # H: 12 >= 10 → 高 → line 1; L: 3 → 低, which no supervision line names
    [high] = pe.explain(rs, case, item_id="H")["supervision"]
    assert list(high) == keys and (high["line"], high["by"], high["every"]) == (1, ["纪检组"], "1 year")
    [low] = pe.explain(rs, case, item_id="L")["supervision"]
    assert list(low) == keys
    assert (low["line"], low["by"], low["operands"], low["calls"]) == (None, [], {}, [])


def test_unknown_item_exits_2_with_did_you_mean(files) -> None:
    r, c = files
    out = cli("explain", str(r), str(c), "--item", "AA")
    assert out.returncode == 2
    assert f"{c}: error[PE304]: no item 'AA' (did you mean 'A'?)" in out.stderr
    assert "Traceback" not in out.stderr and out.stdout == ""
    with pytest.raises(pe.CaseError) as caught:
        pe.explain(r, c, item_id="a")
    assert caught.value.code == "PE304" and caught.value.file == str(c)


def test_an_id_typed_in_the_wrong_case_is_suggested_as_itself(write) -> None:
    """'b1' is as close to 'A1' as to 'B1' by plain similarity; the suggestion is 'B1'."""
    r = write("audit.policy", RULES)
    c = write("two.yaml", "items:\n  - {id: A1, 类别: 执法, 权力: 检查权, 裁量: 1, 透明: 1}\n"
                          "  - {id: B1, 类别: 执法, 权力: 检查权, 裁量: 1, 透明: 1}\n")
    out = cli("explain", str(r), str(c), "--item", "b1")
    assert out.returncode == 2
    assert f"{c}: error[PE304]: no item 'b1' (did you mean 'B1'?)" in out.stderr


def test_text_of_a_case_built_in_memory_names_no_case_file() -> None:
    case = pe.Case(items=[{"id": "X", "类别": "执法", "权力": "检查权", "裁量": 1, "透明": 1}])
    text = pe.explain(ruleset(RULES), case, item_id="X").to_text()
    # it used to say "· case None"
    assert text.split("\n")[1] == "  ruleset audit 2012 (<test>)"
    # 1 + 1*2 = 3 → 基本分 15; 1.2 × 0.9 = 1.08 → 16.2
    assert "let 综合分 = round(基本分 * 强度系数 * 频率系数, 2) = 16.2" in text


def test_api_takes_loaded_rulesets_and_case_objects() -> None:
    rs = ruleset(RULES)
    case = pe.Case(items=[{"id": "X", "类别": "执法", "权力": "检查权", "裁量": 1, "透明": 1}], period=2012)
    for _ in range(2):  # pe.explain stays the function after its module is imported
        ex = pe.explain(rs, case, item_id="X")
    # weighted = 1 + 1*2 = 3, 基本分 15; 1.2 (row 2) and 0.9 (次数 0 by default, row 3): 15 * 1.08 = 16.2
    assert ex.find("values", "综合分")["value"] == D("16.2")
    assert ex.find("inputs", "次数") == {"name": "次数", "kind": "input", "value": D(0), "given": False,
                                        "at": "<test>:6"}
    assert ex["item"]["at"] is None and ex["case"]["period"] == 2012


def test_trace_code_only_when_asked() -> None:
    from policyengine.compile import compile_ruleset

    rs = ruleset(DEMO)
    plain = compile_ruleset(rs.model, rs.analysis, trace=False)
    traced = compile_ruleset(rs.model, rs.analysis, trace=True)
    for marker in ("TR", "traced_call", "hits"):
        assert marker not in plain.source
        assert marker in traced.source
    assert plain.trace_slot is None and plain.source == rs.compiled.source


# Calls of tables as functions, a collect table, a table header that is an expression,
# percent ranking, raises, a matrix on a grade, supervision `when`, `case.period`.
DEMO = """\
ruleset demo
subject 岗位
input 类别: one of ["甲", "乙"]
input 次数: integer >= 0 = 0
input 领导: bool = false
input 几率: one of ["高", "低"]
input 事件: list of {类型: text, 金额: number = 0}
dimension 难度: 1..5
dimension 风险: 1..5 weight 2
table 扣分标准 {
  | 类型   || 分 |
  | "迟到" || 1  |
  | -      || 3  |
}
table 加分 hit collect sum {
  | 次数 || 分 |
  | > 0  || 1  |
  | > 5  || 2  |
  | > 50 || 4  |
}
table 系数 {
  | 次数 * 2 | 类别 || 值  |
  | >= 10    | "甲" || 1.5 |
  | -        | -    || 1   |
}
let 扣分 = sum(扣分标准(e.类型) for e in 事件)
let 得分 = weighted(dimensions) * 系数 + 加分 - 扣分 + (if case.period == 2010 then 1 else 0)
levels 档次 [高 red, 中 yellow, 低 green]
grade 档次 {
  得分 >= 100                 -> 高
  top 20% by 得分 within 类别 -> 高
  bottom 1 by 得分            -> 低
  otherwise                   -> 中
  raise 1 when 领导
  raise to 高 when count(e in 事件 where e.类型 == "受贿") >= 1
}
levels 矩阵级 [三级 red, 二级 orange, 一级 yellow]
grade 矩阵级 by matrix 几率 x 档次 {
  |    | 高   | 中   | 低   |
  | 高 | 三级 | 三级 | 二级 |
  | 低 | 二级 | 一级 | 一级 |
}
supervision 档次 {
  高 when 领导 -> "纪委" every 1 year
  otherwise    -> "科长"
}
sanction 罚款 for e in 事件 where e.金额 > 100 {
  fine e.金额 * 2
  warning 矩阵级
}
"""

DEMO_ITEMS = [
    {"id": "A", "类别": "甲", "次数": 7, "领导": True, "几率": "高", "难度": 3, "风险": 4,
     "事件": [{"类型": "迟到"}, {"类型": "受贿", "金额": 500}]},
    {"id": "B", "类别": "甲", "次数": 0, "几率": "低", "难度": 1, "风险": 1},
    {"id": "C", "类别": "甲", "次数": 3, "几率": "低", "难度": 2, "风险": 2},
    {"id": "D", "类别": "乙", "次数": 3, "几率": "低", "难度": 2, "风险": 3},
    {"id": "E", "类别": "甲", "次数": 3, "几率": "低", "难度": 5, "风险": 5},
]


def test_calls_collect_raises_and_matrix() -> None:
    ex = pe.explain(ruleset(DEMO), pe.Case(items=DEMO_ITEMS, period=2010), item_id="A")
    # 加分: 7 > 0 (row 1, 1) and 7 > 5 (row 2, 2) both collected: 1 + 2 = 3
    bonus = ex.find("values", "加分")
    assert bonus["hit"] == "collect sum" and [r["row"] for r in bonus["rows"]] == [1, 2] and bonus["value"] == 3
    # 系数: header 次数 * 2 = 14 >= 10 and 甲 -> row 1, 1.5
    factor = ex.find("values", "系数")
    assert factor["inputs"] == [{"header": "次数 * 2", "value": D(14)}, {"header": "类别", "value": "甲"}]
    assert factor["rows"][0]["row"] == 1 and factor["value"] == D("1.5")
    # 扣分 = 扣分标准(迟到) row 1 = 1, + 扣分标准(受贿) row 2 (-) = 3: 4
    penalty = ex.find("values", "扣分")
    assert [(c["args"], c["rows"][0]["row"], c["value"]) for c in penalty["calls"]] == \
        [(["迟到"], 1, D(1)), (["受贿"], 2, D(3))]
    # 得分 = (3 + 4*2) * 1.5 + 3 - 4 + 1 (period 2010) = 16.5
    score = ex.find("values", "得分")
    assert score["value"] == D("16.5") and score["operands"]["case.period"] == 2010
    grade = ex.find("grades", "档次")
    # 甲 has 4 items (16.5, 4, 8, 17): A is rank 2, 2 * 100 > 20 * 4, so top 20% fails (edge 0.8);
    # bottom 1 over all 5: A is 4th from the bottom; otherwise -> 中, then raise 1 -> 高, raise to 高 keeps 高
    assert [(line["line"], line["held"]) for line in grade["lines"]] == [(1, False), (2, False), (3, False), (4, True)]
    assert grade["lines"][0]["operands"] == {"得分": D("16.5")}
    top = grade["lines"][1]["ranking"]
    assert (top["rank"], top["size"], top["group"], top["percent"], top["edge"]) == (2, 4, "甲", True, D("0.8"))
    assert grade["lines"][2]["ranking"]["rank"] == 4 and grade["lines"][2]["ranking"]["group"] is None
    assert grade["base"] == "中" and grade["level"] == "高"
    assert [(r["applied"], r["level"]) for r in grade["raises"]] == [(True, "高"), (True, "高")]
    assert grade["raises"][0]["operands"] == {"领导": True}
    matrix = ex.find("grades", "矩阵级")["matrix"]
    assert (matrix["row_value"], matrix["column_value"], matrix["cell"]) == ("高", "高", "三级")
    assert ex["supervision"][0]["line"] == 1 and ex["supervision"][0]["operands"] == {"领导": True}
    [fine] = ex["sanctions"]
    # element 2 (受贿, 500 > 100): fine 500 * 2 = 1000; warning colored by 矩阵级 三级 = red
    assert (fine["element"], fine["fine"], fine["warning"]) == (2, D(1000), "red")
    text = ex.to_text()
    assert "table 加分 (hit collect sum): 次数 = 7 → row 1 [> 0], row 2 [> 5] → 3" in text
    assert "call 扣分标准(受贿) → row 2 [-] → 3" in text
    assert "line 2: top 20% by 得分 within 类别: 16.5 is rank 2 of 4 in 甲 (> 20% of 4 = 0.8): does not apply" in text
    assert "raise 1 when 领导 (领导 = true): applies → 高" in text
    assert "matrix: 几率 = 高, 档次 = 高 → 三级" in text


def test_inherited_declarations_point_at_their_own_file(write) -> None:
    parent = write("base.policy", RULES)
    child = write("child.policy", """\
        ruleset audit
        version "2013"
        extends "base.policy"
        table 频率系数 {
          | 次数  || 系数 |
          | >= 10 || 2    |
          | -     || 1    |
        }
        """)
    case = write("c.yaml", CASE)
    ex = pe.explain(child, case, item_id="A")
    assert ex.find("values", "频率系数")["rows"][0]["at"] == line_of(child, "| >= 10")
    assert ex.find("values", "强度系数")["rows"][0]["at"] == line_of(parent, '| in ["审计权"')
    # 50 * 1.3 * 2 = 130
    assert ex.find("values", "综合分")["value"] == D(130)


def test_a_literal_fine_is_shown_once() -> None:
    rs = ruleset("""\
        input 经商: bool = false
        input 金额: number = 0
        sanction 参与经商 when 经商 {
          fine 1000
          action "诫勉谈话"
        }
        sanction 罚款 when 金额 > 0 {
          fine 金额 * 2
        }
    """)
    # A: 参与经商 fines the literal 1000; 罚款 fines 2 × 300 = 600
    text = pe.explain(rs, pe.Case(items=[{"id": "A", "经商": True, "金额": 300}]), item_id="A").to_text()
    assert "      fine 1000; actions 诫勉谈话\n" in text  # not "fine 1000 = 1000"
    assert "      fine 金额 * 2 = 600\n" in text
    assert text.endswith("total fine 1600\n")


def test_an_input_left_out_reads_as_its_default_and_a_note_left_out_as_not_given() -> None:
    # B gives neither the note nor 领导: 领导 takes its default false, the note holds nothing
    rs = ruleset('ruleset n\nnote 责任部门: text\ninput 领导: bool = false\ninput 分: number\n'
                              'levels 档 [高 red, 低 green]\ngrade 档 {\n  分 >= 60 -> 高\n  otherwise -> 低\n}\n')
    case = pe.Case(items=[{"id": "B", "分": 10}])
    line = pe.explain(rs, case, item_id="B").to_text().split("\n")[2]
    assert line == "  inputs: 责任部门 = none (not given), 领导 = false (default), 分 = 10"

"""Evaluator: results computed by hand (arithmetic in comments) for every construct."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

import policyengine as pe
from policyengine.errors import CaseError, EvaluationError
from policyengine.render import to_json

from .conftest import D, evaluate, ruleset

TAX = """\
ruleset tax "国税"
version "2010"
input 权力类别: one of ["执法权", "行政管理权"]
input 权力: text
input 运行次数: integer >= 0 = 0
input 是否领导岗位: bool = false
input 事件: list of {类型: text, 金额: number = 0, 日期: date}
dimension 自由裁量度: 1..5
dimension 透明度: 1..5
dimension 可复核度: 1..5
dimension 制约度: 1..5
table 风险强度系数 {
  | 权力                              || 系数 |
  | in ["征收权", "检查权", "处罚权"]   || 1.3  |
  | in ["强制权", "减免权"]            || 1.2  |
  | "许可权"                          || 1.1  |
  | -                                 || 1.0  |
}
table 运行频率系数 hit first {
  | 运行次数  || 系数 |
  | >= 1000  || 1.2  |
  | >= 100   || 1.1  |
  | >= 10    || 1.0  |
  | -        || 0.9  |
}
let 基本分 = sum(dimensions) * 5
let 综合得分 = round(基本分 * 风险强度系数 * 运行频率系数, 2)
levels 风险档次 [高风险 red, 一般风险 yellow, 低风险 green]
grade 风险档次 {
  top 2 by 综合得分 within 权力类别    -> 高风险
  bottom 1 by 综合得分 within 权力类别 -> 低风险
  otherwise                          -> 一般风险
}
supervision 风险档次 {
  高风险 when 是否领导岗位 -> "纪检监察机关" every 1 year
  高风险                 -> "派驻纪检组", "单位主要负责人" every 1 year
  otherwise             -> "分管领导" every 2 years
}
sanction 接受吃请 for e in 事件 where e.类型 == "接受吃请" {
  fine 10 * e.金额
  action "经济处罚"
}
sanction 参与经商 when any(e in 事件 where e.类型 == "参与经商") {
  action "诫勉谈话", "政纪处理"
}
summary {
  count by 风险档次, 权力类别
  sum fine
}
"""


def item(id_: str, cat: str, power: str, n: int, ratings: tuple[int, int, int, int], **more: object) -> dict:
    a, b, c, d = ratings
    return {"id": id_, "权力类别": cat, "权力": power, "运行次数": n, "自由裁量度": a, "透明度": b,
            "可复核度": c, "制约度": d, **more}


ITEMS = [
    # ZS: 基本分 (4+3+3+4)*5 = 70; 1.3 (征收权) * 1.2 (12000 >= 1000) * 70 = 109.2
    item("ZS", "执法权", "征收权", 12000, (4, 3, 3, 4),
         事件=[{"类型": "接受吃请", "金额": 800, "日期": "2010-05-03"},
               {"类型": "接受吃请", "金额": D("12.5"), "日期": "2010-06-01"}]),
    # QZ: (3+3+3+3)*5 = 60; 1.2 (强制权) * 1.1 (500 >= 100) * 60 = 79.2
    item("QZ", "执法权", "强制权", 500, (3, 3, 3, 3), 是否领导岗位=True),
    # XK: (2+2+2+2)*5 = 40; 1.1 (许可权) * 1.0 (50 >= 10) * 40 = 44
    item("XK", "执法权", "许可权", 50, (2, 2, 2, 2)),
    # GL: (3+3+2+2)*5 = 50; 1.0 (管理权, the '-' row) * 0.9 (5 < 10) * 50 = 45
    item("GL", "执法权", "管理权", 5, (3, 3, 2, 2)),
    # RS: (5+4+4+4)*5 = 85; 1.0 * 1.0 (10 >= 10) * 85 = 85
    item("RS", "行政管理权", "人事管理权", 10, (5, 4, 4, 4), 事件=[{"类型": "参与经商", "日期": "2010-01-01"}]),
    # CW: (1+1+1+2)*5 = 25; 1.0 * 0.9 * 25 = 22.5
    item("CW", "行政管理权", "财务管理权", 0, (1, 1, 1, 2)),
]


@pytest.fixture(scope="module")
def result() -> pe.Result:  # type: ignore[name-defined]
    return ruleset(TAX).evaluate(pe.Case(items=ITEMS, title="t", unit="u", period=2010))


def test_values(result) -> None:
    got = {i.id: (i.values["基本分"], i.values["风险强度系数"], i.values["运行频率系数"], i.values["综合得分"])
           for i in result.items}
    assert got == {
        "ZS": (70, D("1.3"), D("1.2"), D("109.2")),
        "QZ": (60, D("1.2"), D("1.1"), D("79.2")),
        "XK": (40, D("1.1"), D("1.0"), D("44")),
        "GL": (50, D("1.0"), D("0.9"), D("45")),
        "RS": (85, D("1.0"), D("1.0"), D("85")),
        "CW": (25, D("1.0"), D("0.9"), D("22.5")),
    }


def test_ranking_within_groups(result) -> None:
    # 执法权: 109.2 (1), 79.2 (2), 45 (3), 44 (4): top 2 = ZS, QZ; bottom 1 = XK (44); GL general
    # 行政管理权: 85 (1), 22.5 (2): both in the top 2, and CW is also the bottom 1 -> the first line wins
    levels = {i.id: (i.grades["风险档次"].level, i.grades["风险档次"].rank) for i in result.items}
    assert levels == {"ZS": ("高风险", 1), "QZ": ("高风险", 2), "XK": ("低风险", 4), "GL": ("一般风险", 3),
                      "RS": ("高风险", 1), "CW": ("高风险", 2)}
    assert result.item("ZS").grades["风险档次"].color == "red"


def test_supervision_first_matching_line(result) -> None:
    sup = {i.id: [(s.by, s.every) for s in i.supervision] for i in result.items}
    assert sup["QZ"] == [(("纪检监察机关",), "1 year")]          # 高风险 and 是否领导岗位
    assert sup["ZS"] == [(("派驻纪检组", "单位主要负责人"), "1 year")]
    assert sup["GL"] == [(("分管领导",), "2 years")]


def test_sanctions_per_element_and_at_most_once(result) -> None:
    zs = result.item("ZS")
    # 10 * 800 = 8000 and 10 * 12.5 = 125: one firing per matching incident
    assert [(s.rule, s.fine) for s in zs.sanctions] == [("接受吃请", 8000), ("接受吃请", 125)]
    assert zs.fine == 8125
    rs = result.item("RS")
    assert [(s.rule, s.actions, s.fine) for s in rs.sanctions] == [("参与经商", ("诫勉谈话", "政纪处理"), None)]


def test_summary(result) -> None:
    s = result.summary
    assert s["items"] == 6
    assert s["levels"] == {"风险档次": {"高风险": 4, "一般风险": 1, "低风险": 1}}
    assert s["fines"] == 8125
    assert s["counts"] == [{"by": ["风险档次", "权力类别"], "counts": {
        "高风险": {"执法权": 2, "行政管理权": 2},
        "一般风险": {"执法权": 1, "行政管理权": 0},
        "低风险": {"执法权": 1, "行政管理权": 0}}}]


def test_json_is_exact_and_deterministic(result) -> None:
    text = to_json(result.to_dict())
    assert '"综合得分": 109.2' in text and '"fines": 8125' in text and '"fine": 125' in text
    again = ruleset(TAX).evaluate(pe.Case(items=list(reversed(ITEMS)), title="t", unit="u", period=2010))
    # same items in another order: every item's result is identical
    a = {i["id"]: i for i in result.to_dict()["items"]}
    b = {i["id"]: i for i in again.to_dict()["items"]}
    assert a == b
    assert to_json(result.to_dict()) == text


RANK = """\
input v: number
input g: text = "x"
levels L [hi red, mid yellow, lo green]
grade L {
  top 2 by v within g -> hi
  bottom 2 by v within g -> lo
  otherwise -> mid
}
"""


def grades(text: str, values: list, **kw) -> dict[str, str]:
    items = [{"id": f"i{n}", "v": v, **kw} for n, v in enumerate(values)]
    return {i.id: i.grades["L"].level for i in evaluate(text, items).items}


def test_ties_at_the_top_edge_are_all_included() -> None:
    # 10, 9, 9, 8, 1 -> ranks 1, 2, 2, 4, 5: top 2 holds for both 9s
    # ascending ranks: 1 -> 1, 8 -> 2, 9 -> 3, 3, 10 -> 5: bottom 2 = 1 and 8
    assert grades(RANK, [10, 9, 9, 8, 1]) == {"i0": "hi", "i1": "hi", "i2": "hi", "i3": "lo", "i4": "lo"}


def test_ties_at_the_bottom_edge_and_overlap() -> None:
    # 5, 3, 3, 3: descending ranks 1, 2, 2, 2 -> all in top 2: the first line wins over bottom 2
    assert grades(RANK, [5, 3, 3, 3]) == {"i0": "hi", "i1": "hi", "i2": "hi", "i3": "hi"}
    # 9, 8, 7, 2, 2: top 2 = 9, 8; ascending: 2, 2 share rank 1 -> both bottom; 7 is rank 3 -> mid
    assert grades(RANK, [9, 8, 7, 2, 2]) == {"i0": "hi", "i1": "hi", "i2": "mid", "i3": "lo", "i4": "lo"}


def test_top_percent() -> None:
    text = RANK.replace("top 2 by v within g", "top 20% by v").replace("bottom 2 by v within g", "bottom 10% by v")
    # 10 items 1..10: top 20% -> rank <= 0.2 * 10 = 2 (10, 9); bottom 10% -> ascending rank <= 1 (value 1)
    got = grades(text, list(range(1, 11)))
    assert [got[f"i{n}"] for n in range(10)] == ["lo"] + ["mid"] * 7 + ["hi", "hi"]
    # 7 items: 20% of 7 = 1.4 -> only rank 1 qualifies (no rounding up)
    got = grades(text, list(range(1, 8)))
    assert [got[f"i{n}"] for n in range(7)].count("hi") == 1


MATRIX = """\
input 几率: one of ["高", "较高", "较低", "低"]
input 危害: one of ["严重", "较严重", "轻微"]
input 信访: integer >= 0 = 0
input 职责变动: bool = false
levels 风险等级 [三级 red, 二级 orange, 一级 yellow]
grade 风险等级 by matrix 几率 x 危害 {
  |      | 严重 | 较严重 | 轻微 |
  | 高   | 三级 | 三级   | 二级 |
  | 较高 | 三级 | 二级   | 一级 |
  | 较低 | 二级 | 二级   | 一级 |
  | 低   | 二级 | 一级   | 一级 |
  raise to 二级 when 信访 >= 3
  raise 1 when 职责变动
}
let 重点 = 风险等级 >= 二级
let 最高 = 风险等级 > 二级
sanction 红色预警 when 风险等级 == 三级 {
  warning red
}
"""


def test_matrix_where_三级_is_most_severe_with_raises_and_level_comparison() -> None:
    items = [
        {"id": "a", "几率": "高", "危害": "严重"},                        # 三级
        {"id": "b", "几率": "低", "危害": "轻微"},                        # 一级
        {"id": "c", "几率": "低", "危害": "轻微", "信访": 3},              # 一级, raised to 二级
        {"id": "d", "几率": "较低", "危害": "严重", "信访": 5},            # 二级: raise to 二级 never lowers
        {"id": "e", "几率": "较高", "危害": "较严重", "职责变动": True},    # 二级 + 1 -> 三级
        {"id": "f", "几率": "高", "危害": "严重", "职责变动": True},        # 三级 + 1 -> capped at 三级
        {"id": "g", "几率": "低", "危害": "轻微", "信访": 4, "职责变动": True},  # 一级 -> 二级 -> 三级
    ]
    r = evaluate(MATRIX, items)
    got = {i.id: (i.grades["风险等级"].level, i.values["重点"], i.values["最高"]) for i in r.items}
    assert got == {"a": ("三级", True, True), "b": ("一级", False, False), "c": ("二级", True, False),
                   "d": ("二级", True, False), "e": ("三级", True, True), "f": ("三级", True, True),
                   "g": ("三级", True, True)}
    assert [i.id for i in r.items if i.warning == "red"] == ["a", "e", "f", "g"]
    assert r.summary["levels"]["风险等级"] == {"三级": 4, "二级": 2, "一级": 1}


def test_half_up_rounding() -> None:
    text = "input x: number\nlet r2 = round(x, 2)\nlet r0 = round(x)\nlet rn = round(x, -1)\n"
    r = evaluate(text, [{"id": "a", "x": D("2.345")}, {"id": "b", "x": D("-2.345")},
                        {"id": "c", "x": D("2.5")}, {"id": "d", "x": D("15")}])
    got = {i.id: (i.values["r2"], i.values["r0"], i.values["rn"]) for i in r.items}
    # half-up (away from zero): 2.345 -> 2.35, 2.5 -> 3, 15 -> 20 (tens); banker's rounding would give 2.34, 2, 20
    assert got == {"a": (D("2.35"), D(2), D(0)), "b": (D("-2.35"), D(-2), D(0)),
                   "c": (D("2.50"), D(3), D(0)), "d": (D(15), D(15), D(20))}


def test_hit_policies_and_tables_called_as_functions() -> None:
    text = """\
input 事件: list of {类别: text, 对象: text}
input n: number
table 扣分 {
  | 类别   | 对象   || 分 |
  | "党纪" | "领导" || 5  |
  | "党纪" | -      || 3  |
  | -      | -      || 1  |
}
table 合计 hit collect sum {
  | n        || 分 |
  | >= 1     || 1  |
  | >= 10    || 10 |
  | >= 100   || 100 |
}
table 个数 hit collect count {
  | n        || 分 |
  | >= 1     || 1  |
  | >= 10    || 1  |
}
table 最小 hit collect min {
  | n      || 分 |
  | >= 1   || 7  |
  | >= 10  || 4  |
}
table 一致 hit any {
  | n      || 级 |
  | >= 1   || "a" |
  | <= 50  || "a" |
}
let 扣分合计 = sum(扣分(e.类别, e.对象) for e in 事件)
let 收集 = 合计 + 个数 + 最小
let 字 = 一致
"""
    r = evaluate(text, [{"id": "a", "n": 20, "事件": [
        {"类别": "党纪", "对象": "领导"}, {"类别": "党纪", "对象": "科员"}, {"类别": "政纪", "对象": "领导"}]}])
    v = r.items[0].values
    # 扣分: 5 + 3 + 1 = 9; collect sum at n=20: 1 + 10 = 11; count: 2 rows; min(7, 4) = 4 -> 11 + 2 + 4 = 17
    assert (v["扣分合计"], v["收集"], v["字"]) == (9, 17, "a")


def test_unique_overlap_and_any_disagreement_are_evaluation_errors() -> None:
    text = """\
input n: number
table U hit unique {
  | n     || v |
  | >= 1  || 1 |
  | >= 5  || 2 |
}
let x = U
"""
    assert evaluate(text, [{"id": "ok", "n": 3}]).items[0].values["x"] == 1
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "ok", "n": 3}, {"id": "bad", "n": 7}])
    assert info.value.item == "bad" and info.value.code == "PE403" and "rows 1 and 2" in info.value.message


def test_no_matching_row_names_table_and_item() -> None:
    text = "input n: number\ntable T {\n  | n || v |\n  | > 5 || 1 |\n}\nlet x = T\n"
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "A7", "n": 3}])
    err = info.value
    assert (err.code, err.item, err.line) == ("PE402", "A7", 2)
    assert "no row of table 'T' matches (3)" in err.message


def test_table_failures_name_columns_and_row_lines_once() -> None:
    # lines: 1 input 创新项目, 2 input 问卷得分, 3 table …, 4 header, 5 row 1, 6 row 2
    text = """\
input 创新项目: integer >= 0 = 0
input 问卷得分: 0..100
table 最高加分 hit collect max {
  | 创新项目 | 问卷得分 || 分 |
  | >= 1     | -        || 2  |
  | -        | >= 90    || 1.5 |
}
table 档 hit unique {
  | 问卷得分  || 档 |
  | >= 80     || 2  |
  | [60..85]  || 1  |
  | < 60      || 0  |
}
"""
    # 创新项目 3, 问卷 70: row 1 only -> max 2; 档: 70 matches row 2 only -> 1
    r = evaluate(text, [{"id": "U1", "创新项目": 3, "问卷得分": 70}])
    assert (r.items[0].values["最高加分"], r.items[0].values["档"]) == (2, 1)
    # 创新项目 0 (the default), 问卷 89: no row of 最高加分 matches, and max() of none is undefined
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "U4", "问卷得分": 89}])
    err = info.value
    assert (err.code, err.item_id, err.line) == ("PE402", "U4", 3)
    assert err.message == "no row of table '最高加分' matches (0, 89)"  # the table named once
    assert err.diagnostics[0].notes[0] == ("the input columns were 创新项目 = 0, 问卷得分 = 89; "
                                           "'collect max' needs at least one matching row (add a '-' row)")
    # 问卷 82 with 创新项目 1: 最高加分 = 2; 档: 82 >= 80 (row 1, line 10) and 82 in [60..85] (row 2,
    # line 11) both match a unique table
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "U5", "创新项目": 1, "问卷得分": 82}])
    assert info.value.message == "unique table '档': rows 1 and 2 (lines 10 and 11) both match"


def test_a_called_table_that_fails_still_names_the_caller() -> None:
    text = """\
input 事件: list of {类别: text}
table 扣分 {
  | 类别   || 分 |
  | "吃请" || 2  |
}
let 合计 = sum(扣分(e.类别) for e in 事件)
"""
    # 吃请 2 + 吃请 2 = 4
    assert evaluate(text, [{"id": "A", "事件": [{"类别": "吃请"}, {"类别": "吃请"}]}]).items[0].values["合计"] == 4
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "B", "事件": [{"类别": "经商"}]}])
    assert info.value.message == "no row of table '扣分' matches (\"经商\") in let 合计"
    assert info.value.diagnostics[0].notes[0].startswith('the input columns were 类别 = "经商"; add a row')


def test_division_by_zero_names_line_and_item() -> None:
    text = "input a: number\ninput b: number\nlet q = a / b\n"
    assert evaluate(text, [{"id": "x", "a": 1, "b": 3}]).items[0].values["q"] == D("0." + "3" * 40)  # 40 digits
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "x", "a": 1, "b": 3}, {"id": "y", "a": 1, "b": 0}])
    assert (info.value.code, info.value.item, info.value.line) == ("PE401", "y", 3)


def test_comprehensions_dates_and_case_header() -> None:
    text = """\
input 事件: list of {类型: text, 金额: number = 0, 日期: date}
let 本年 = count(e in 事件 where year(e.日期) == case.period)
let 最大 = max(e.金额 for e in 事件)
let 最小 = min(e.金额 for e in 事件 where e.金额 > 0)
let 全部 = all(e in 事件 where e.金额 >= 0)
let 天数 = days(2010-01-01, max(e.日期 for e in 事件))
let 个数 = len(事件)
let 比例 = 本年 / 个数 * 100%
"""
    r = evaluate(text, [{"id": "a", "事件": [
        {"类型": "信访", "金额": 0, "日期": "2010-03-01"},
        {"类型": "信访", "金额": 50, "日期": "2009-12-31"},
        {"类型": "吃请", "金额": D("20.5"), "日期": "2010-02-01"}]}], period=2010)
    v = r.items[0].values
    # 2 of 3 dated 2010; max 50; min over > 0 is 20.5; 2010-01-01 -> 2010-03-01 is 31 + 28 = 59 days
    assert (v["本年"], v["最大"], v["最小"], v["全部"], v["天数"], v["个数"]) == (2, 50, D("20.5"), True, 59, 3)
    # 2 / 3 to 40 significant digits, the last one rounded half-up; * 1.00 keeps them
    assert v["比例"] == D("0." + "6" * 39 + "7")


def test_a_quoted_year_as_period_is_the_year() -> None:
    # `period: "2010"` in a case file: as text it would never equal year(d), and 本年 would be
    # 0 without a word; the two events dated 2010 count, the 2009 one does not
    text = "input 事件: list of {日期: date}\nlet 本年 = count(e in 事件 where year(e.日期) == case.period)\n"
    items = [{"id": "a", "事件": [{"日期": "2010-03-01"}, {"日期": "2009-12-31"}, {"日期": "2010-02-01"}]}]
    for period in ("2010", 2010):
        assert evaluate(text, items, period=period).items[0].values["本年"] == 2
    assert pe.Case(items=[], period="2008Q3").period == "2008Q3"  # not a year: stays text


def test_case_validation_collects_every_problem(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text(textwrap.dedent("""\
        items:
          - {id: A, 权力类别: 执法权, 权力: 征收权, 运行次数: 5, 自由裁量度: 6, 透明度: 1, 可复核度: 1, 制约度: 1}
          - {id: A, 权力类别: 执法, 权力: 征收权, 运行次数: -1, 自由裁量度: 1, 透明度: 1, 可复核度: 1, 制约度: 1}
          - {id: C, 权力类别: 执法权, 权力: 征收权, 自由裁量度: 1, 透明度: 1, 可复核度: 1, 制约度: 1, 运行次教: 3}
        """), encoding="utf-8")
    with pytest.raises(CaseError) as info:
        ruleset(TAX).evaluate(pe.load_case(case))
    found = [(d.line, d.item, d.message) for d in info.value.diagnostics]
    assert (2, "A", "field '自由裁量度': 6 is outside 1..5") in found
    assert (3, "A", "duplicate id 'A' (first used by item 1)") in found
    assert (3, "A", "field '权力类别': must be one of 执法权, 行政管理权, not text \"执法\" (did you mean '执法权'?)") in found
    assert (3, "A", "field '运行次数': -1 is below the minimum >= 0") in found
    assert (4, "C", "unknown field '运行次教' (did you mean '运行次数'?)") in found


def test_a_case_file_saved_as_gbk_is_located_and_the_fix_named(tmp_path: Path) -> None:
    # 'items:\n  - {id: ' is ASCII; '甲' in GBK is bc d7 and bc is not valid UTF-8: line 2, column 10
    case = tmp_path / "c.yaml"
    case.write_bytes("items:\n  - {id: 甲, 权力类别: 执法权}\n".encode("gbk"))
    with pytest.raises(CaseError) as info:
        pe.load_case(case)
    d = info.value.diagnostics[0]
    assert (d.code, d.line, d.column, d.message) == ("PE302", 2, 10, "case file is not valid UTF-8 (byte 0xbc)")
    assert d.notes == ["it reads as GBK/GB18030 text: save it again as UTF-8 (in Notepad: 另存为, 编码 UTF-8)"]


def test_yaml_json_and_csv_cases_agree(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "items:\n  - {id: A, 权力类别: 执法权, 权力: 征收权, 运行次数: 1200, 自由裁量度: 4, 透明度: 3, "
        "可复核度: 3, 制约度: 4.5}\n", encoding="utf-8")
    (tmp_path / "c.json").write_text(
        '{"items": [{"id": "A", "权力类别": "执法权", "权力": "征收权", "运行次数": 1200, "自由裁量度": 4, '
        '"透明度": 3, "可复核度": 3, "制约度": 4.5}]}', encoding="utf-8")
    (tmp_path / "c.csv").write_text("id,权力类别,权力,运行次数,自由裁量度,透明度,可复核度,制约度\n"
                                    "A,执法权,征收权,1200,4,3,3,4.5\n", encoding="utf-8")
    rs = ruleset(TAX)
    got = [rs.evaluate(pe.load_case(tmp_path / f"c.{ext}")).items[0].values["综合得分"] for ext in ("yaml", "json", "csv")]
    # (4 + 3 + 3 + 4.5) * 5 = 72.5; 72.5 * 1.3 * 1.2 = 113.1
    assert got == [D("113.1")] * 3


def test_shipped_name_resolves() -> None:
    rs = pe.load_ruleset("tax@2010")
    assert rs.id == "tax" and rs.version == "2010"
    assert pe.load_ruleset("tax").version == "2012"  # the latest: 2012 adds the units' index
    assert pe.load_ruleset("tax@2011").version == "2011"


def test_ruleset_is_reusable_and_thread_safe() -> None:
    from concurrent.futures import ThreadPoolExecutor

    rs = ruleset(TAX)
    case = pe.Case(items=ITEMS, period=2010)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: to_json(rs.evaluate(case).to_dict()), range(8)))
    assert len(set(results)) == 1


def test_decimal_context_is_exact() -> None:
    r = evaluate("input a: number\nlet s = a * 3 + 0.1 + 0.2\n", [{"id": "x", "a": D("0.1")}])
    assert r.items[0].values["s"] == Decimal("0.6")


def test_a_grade_as_matrix_axis_and_warning_colored_by_grade() -> None:
    text = """\
input 分: number
input 倾向: one of ["苗头性", "倾向性"]
levels 风险等级 [A red, B orange, C yellow]
grade 风险等级 {
  分 >= 80  -> A
  分 >= 60  -> B
  otherwise -> C
}
levels 预警 [红 red, 橙 orange, 黄 yellow]
grade 预警 by matrix 风险等级 x 倾向 {
  |   | 苗头性 | 倾向性 |
  | A | 橙     | 红     |
  | B | 黄     | 橙     |
  | C | 黄     | 黄     |
}
sanction 预警提示 when 预警 >= 橙 {
  warning 预警
  action "预警提示"
}
"""
    r = evaluate(text, [{"id": "a", "分": 85, "倾向": "倾向性"},    # A x 倾向性 -> 红: fires, red
                        {"id": "b", "分": 60, "倾向": "倾向性"},    # B x 倾向性 -> 橙: fires, orange
                        {"id": "c", "分": 70, "倾向": "苗头性"}])   # B x 苗头性 -> 黄: does not fire
    got = {i.id: (i.grades["预警"].level, [s.warning for s in i.sanctions]) for i in r.items}
    assert got == {"a": ("红", ["red"]), "b": ("橙", ["orange"]), "c": ("黄", [])}


def test_items_aggregates_across_the_case() -> None:
    # Zhenhai compares each unit's per-capita cost with the district average
    text = """\
input 人均成本: number
input 类型: one of ["机关", "事业"]
let 区均 = mean(i.人均成本 for i in items)
let 偏离 = round((人均成本 - 区均) / 区均 * 100, 2)
let 同类数 = count(i in items where i.类型 == 类型)
let 高于均值 = count(i in items where i.偏离 > 0)
"""
    r = evaluate(text, [{"id": "a", "人均成本": 10, "类型": "机关"},
                        {"id": "b", "人均成本": 20, "类型": "机关"},
                        {"id": "c", "人均成本": 30, "类型": "事业"}])
    # mean = (10 + 20 + 30) / 3 = 20; a: (10 - 20) / 20 * 100 = -50; c: +50
    got = {i.id: (i.values["区均"], i.values["偏离"], i.values["同类数"], i.values["高于均值"]) for i in r.items}
    assert got == {"a": (20, -50, 2, 1), "b": (20, 0, 2, 1), "c": (20, 50, 1, 1)}
    # the average is the same for every item, so it is computed once per stage, not per item
    assert "h0 = average(" in ruleset(text).compiled.source


# ---------------------------------------------------------------- held-out checks (core audit)


def test_every_unary_test_on_text_and_number_columns() -> None:
    # `!= "征收权"` is an equality test: it must work on a text column, not only on numbers
    text = """\
input 类: text
input n: number
table 不等 {
  | 类          || v |
  | != "征收权" || 2 |
  | -           || 3 |
}
table 区间 {
  | n        || v   |
  | < 0      || "负" |
  | [0..10]  || "a" |
  | (10..20) || "b" |
  | [20..30) || "c" |
  | (30..40] || "d" |
  | -        || "e" |
}
let a = 不等
let b = 区间
"""
    r = evaluate(text, [{"id": i, "类": c, "n": n} for i, c, n in [
        ("p1", "征收权", 10), ("p2", "检查权", D("10.5")), ("p3", "检查权", 20), ("p4", "检查权", 30),
        ("p5", "检查权", 40), ("p6", "检查权", -1), ("p7", "检查权", 0)]])
    got = {i.id: (i.values["a"], i.values["b"]) for i in r.items}
    # 征收权 fails != and falls to '-' (3); every other power is != 征收权 (2).
    # 10 in [0..10]; 10.5 in (10..20); 20 not in (10..20) but in [20..30); 30 in neither [20..30)
    # nor (30..40] -> '-'; 40 in (30..40]; -1 < 0; 0 in [0..10]
    assert got == {"p1": (3, "a"), "p2": (2, "b"), "p3": (2, "c"), "p4": (2, "e"), "p5": (2, "d"),
                   "p6": (2, "负"), "p7": (2, "a")}


def test_python_api_accepts_whole_number_ids_and_plain_python_values() -> None:
    # SPEC §8: pe.Case(items=[…]) with what Python code naturally holds: int ids, ints and floats
    text = "input a: number\ninput n: integer\nlet s = a * n\n"
    r = evaluate(text, [{"id": 7, "a": 2.5, "n": 3}, {"id": "B", "a": 1, "n": 2}], unit="单位", period=2021)
    # 2.5 * 3 = 7.5 (the float 2.5 read by its text, not its binary value); 1 * 2 = 2
    assert [(i.id, i.values["s"]) for i in r.items] == [("7", D("7.5")), ("B", 2)]
    assert r.to_dict()["case"] == {"title": None, "unit": "单位", "period": 2021, "file": None}
    with pytest.raises(CaseError) as info:
        evaluate(text, [{"id": 1.5, "a": 1, "n": 1}])
    assert "'id' must be text or a whole number" in info.value.message
    with pytest.raises(CaseError) as info:
        evaluate(text, [])
    assert info.value.message == "the case has no items to assess"
    # items as a generator or a tuple: 3 * 2 = 6 for each
    r = evaluate(text, ({"id": f"i{n}", "a": 3, "n": 2} for n in range(2)))  # type: ignore[arg-type]
    assert [(i.id, i.values["s"]) for i in r.items] == [("i0", 6), ("i1", 6)]


def test_totals_are_exact_whatever_the_callers_decimal_context() -> None:
    import decimal

    text = """\
input 事件: list of {金额: number}
let 合计 = sum(e.金额 for e in 事件)
sanction 罚 for e in 事件 {
  fine 10 * e.金额
}
summary {
  sum 合计
  sum fine
}
"""
    items = [{"id": "a", "事件": [{"金额": D("12345.678")}, {"金额": D("0.001")}]},
             {"id": "b", "事件": [{"金额": D("99999.999")}]}]
    with decimal.localcontext(decimal.Context(prec=5)):
        r = evaluate(text, items)
    # a: 12345.678 + 0.001 = 12345.679, fines 123456.78 + 0.01 = 123456.79
    # b: 99999.999, fine 999999.99; totals 112345.678 and 1123456.78 (5 digits would give 1.1235E+6)
    assert r.item("a").fine == D("123456.79")
    assert r.summary["sums"] == {"合计": D("112345.678")}
    assert r.summary["fines"] == D("1123456.78")


def test_a_table_nobody_names_still_gives_each_item_its_value() -> None:
    # declared for its output (措施 per risk level), never referenced by a let: its value is still
    # published, and a '>= 二级' cell on a level column means "at least as severe as 二级"
    text = """\
input 可能性: 1..3
input 影响: 1..3
levels 风险 [三级 red, 二级 orange, 一级 yellow]
grade 风险 by matrix 可能性 x 影响 {
  |   | 3    | 2    | 1    |
  | 3 | 三级 | 三级 | 二级 |
  | 2 | 三级 | 二级 | 一级 |
  | 1 | 二级 | 一级 | 一级 |
}
table 处置 {
  | 风险    || 措施      |
  | >= 二级 || "重点监控" |
  | -       || "常规"    |
}
"""
    r = evaluate(text, [{"id": "a", "可能性": 3, "影响": 3}, {"id": "b", "可能性": 3, "影响": 1},
                        {"id": "d", "可能性": 1, "影响": 1}])
    # (3, 3) -> 三级, (3, 1) -> 二级: both at least 二级; (1, 1) -> 一级 falls to '-'
    assert [(i.grades["风险"].level, i.values) for i in r.items] == [
        ("三级", {"处置": "重点监控"}), ("二级", {"处置": "重点监控"}), ("一级", {"处置": "常规"})]


def test_a_missing_case_header_value_is_named_in_policy_words() -> None:
    text = "input a: number\nlet y = case.period + a\nlet z = if case.period > 2000 then 1 else 0\n"
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "A", "a": 1}])  # no period in the case header
    assert (info.value.code, info.value.item, info.value.line) == ("PE404", "A", 2)
    assert info.value.message == ("a value of the wrong kind in let y: cannot apply '+' to nothing (a "
                                  "missing value, such as a case header field the file does not give) "
                                  "and a number")
    with pytest.raises(EvaluationError) as info:
        evaluate(text.replace("case.period + a", "a"), [{"id": "A", "a": 1}], period="2010Q3")
    assert info.value.message.endswith("cannot compare text with a number ('>')")
    assert "NoneType" not in info.value.message and "decimal" not in info.value.message


def test_division_by_zero_points_at_the_division() -> None:
    text = "input a: number\ninput b: number\nlet q = 1 + round(\n  a * 2 /\n  b, 2)\n"
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "Z", "a": 0, "b": 0}])  # 0 / 0 is a division by zero too, not PE406
    err = info.value
    # the let starts on line 3; its only division `a * 2 / b` starts at line 4, column 3
    assert (err.code, err.item, err.line, err.column) == ("PE401", "Z", 4, 3)
    assert err.message == "division by zero in let q: a * 2 / b divides by 0"
    fine = "input b: number\nsanction s when b >= 0 {\n  fine 100 / b\n}\n"
    with pytest.raises(EvaluationError) as info:
        evaluate(fine, [{"id": "Z", "b": 0}])
    assert (info.value.line, info.value.column, info.value.message) == (
        3, 8, "division by zero in sanction s: 100 / b divides by 0")


def test_a_rounding_beyond_40_digits_is_a_located_error() -> None:
    # 123456789012345678 * 10^18 has 36 digits before the point; 20 decimals more make 56 > 40
    text = "input a: number\nlet b = round(a * 1000000000000000000, 20)\n"
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "A", "a": 123456789012345678}])
    assert (info.value.code, info.value.line, info.value.item) == ("PE406", 2, "A")
    assert info.value.message == "invalid arithmetic in let b: the result needs more than 40 significant digits"
    # to 2 decimals it fits (38 digits) and is exact
    r = evaluate(text.replace(", 20)", ", 2)"), [{"id": "A", "a": 123456789012345678}])
    assert r.items[0].values["b"] == D("123456789012345678" + "0" * 18)


def test_count_by_is_a_full_cross_table() -> None:
    text = """\
input 科室: text
input 级: number
input 领导: bool = false
levels 档 [高 red, 低 green]
grade 档 {
  级 >= 5   -> 高
  otherwise -> 低
}
summary {
  count by 档, 科室
  count by 级
  count by 科室, 领导
}
"""
    r = evaluate(text, [{"id": "a", "科室": "征管科", "级": 9}, {"id": "b", "科室": "稽查局", "级": 10},
                        {"id": "c", "科室": "征管科", "级": 1, "领导": True}])
    by_level, by_number, by_office = r.summary["counts"]
    # every 科室 of the case under every level, zeros included (稽查局 has no 低 item)
    assert by_level["counts"] == {"高": {"征管科": 1, "稽查局": 1}, "低": {"征管科": 1, "稽查局": 0}}
    # numbers in numeric order (1, 9, 10), not text order (1, 10, 9)
    assert list(by_number["counts"].items()) == [("1", 1), ("9", 1), ("10", 1)]
    assert by_office["counts"] == {"征管科": {"false": 1, "true": 1}, "稽查局": {"false": 1, "true": 0}}


def test_value_tables_answer_like_rows_tried_in_order_traced_or_not() -> None:
    # one input, literal cells and outputs: compiled to a lookup, which must keep the
    # table's meaning: the first row naming a value wins, 1.0 is the value 1, '-' catches
    # the rest, and without a '-' row an unlisted value is PE402
    text = """\
input 权力: text
input 档: number
table 系数 {
  | 权力                  || 系数 |
  | in ["征收权", "检查权"] || 1.3  |
  | "检查权"               || 9    |
  | "许可权"               || 1.1  |
  | -                     || 1.0  |
}
table 分 {
  | 档  || 分 |
  | 1.0 || 10 |
  | in [2, 3] || 20 |
}
"""
    items = [{"id": "A", "权力": "检查权", "档": 1}, {"id": "B", "权力": "许可权", "档": 3},
             {"id": "C", "权力": "其他", "档": 2}]
    rs = ruleset(text)
    result = rs.evaluate(pe.Case(items=items))
    expected = [(D("1.3"), 10), (D("1.1"), 20), (D("1.0"), 20)]
    assert [(i.values["系数"], i.values["分"]) for i in result.items] == expected
    # explain runs the traced compile, which tries the rows one by one: the same answers,
    # from rows A: 1 (not 2) and 1; B: 3 and 2; C: 4 ('-') and 2
    explained = []
    for item in items:
        data = pe.explain(rs, pe.Case(items=items), item["id"]).data
        explained.append([(v["rows"][0]["row"], v["value"]) for v in data["values"] if v["kind"] == "table"])
    assert explained == [[(1, D("1.3")), (1, 10)], [(3, D("1.1")), (2, 20)], [(4, D("1.0")), (2, 20)]]
    with pytest.raises(EvaluationError) as info:
        rs.evaluate(pe.Case(items=[{"id": "D", "权力": "其他", "档": 4}]))
    assert (info.value.code, info.value.item) == ("PE402", "D")


def test_count_by_text_and_bool_values_follow_the_documented_order() -> None:
    # docs/language.md: text values in Unicode order (丁 U+4E01 < 丙 U+4E19 < 乙 U+4E59 < 甲 U+7532),
    # whatever order the case lists them in; false before true; zeros filled in the cross-table
    text = """\
input 科室: text
input 领导: bool = false
summary {
  count by 科室, 领导
}
"""
    r = evaluate(text, [{"id": "1", "科室": "甲科"}, {"id": "2", "科室": "乙科", "领导": True},
                        {"id": "3", "科室": "丙科"}, {"id": "4", "科室": "丁科"}, {"id": "5", "科室": "甲科"}])
    counts = r.summary["counts"][0]["counts"]
    assert list(counts) == ["丁科", "丙科", "乙科", "甲科"]
    assert counts == {"丁科": {"false": 1, "true": 0}, "丙科": {"false": 1, "true": 0},
                      "乙科": {"false": 0, "true": 1}, "甲科": {"false": 2, "true": 0}}
    assert [list(v) for v in counts.values()] == [["false", "true"]] * 4


def test_every_items_run_time_error_comes_at_once_grouped_by_expression() -> None:
    # issue 14: fixing one division by zero must not merely reveal the next. Items w and y
    # divide by b = 0 in q; item x has b = 2 but a = 1, so r = 1 / (a - 1) divides by 0;
    # z is fine. One error per item (its first), grouped by expression: q's (w, y), then r's (x).
    text = "input a: number\ninput b: number\nlet q = a / b\nlet r = 1 / (a - 1)\n"
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": "w", "a": 1, "b": 0}, {"id": "x", "a": 1, "b": 2},
                        {"id": "y", "a": 5, "b": 0}, {"id": "z", "a": 3, "b": 1}])
    found = [(d.code, d.item, d.line) for d in info.value.diagnostics]
    assert found == [("PE401", "w", 3), ("PE401", "y", 3), ("PE401", "x", 4)]


def test_run_time_errors_stop_at_fifty() -> None:
    text = "input a: number\nlet q = 1 / a\n"
    with pytest.raises(EvaluationError) as info:
        evaluate(text, [{"id": f"i{n}", "a": 0} for n in range(60)])
    assert len(info.value.diagnostics) == 50
    assert info.value.diagnostics[-1].notes[-1] == "stopped after 50 problems"


def test_a_duplicate_id_names_the_item_that_first_used_it() -> None:
    # validation keeps only the set of ids met; the first use is looked up when a duplicate
    # is reported. An id is its text however it is given (7, "7", a decimal 7 from a file),
    # an item with other problems still uses its id, and one mapping listed twice is two uses.
    text = "input 次数: number\nlet 两倍 = 次数 * 2\n"
    same = {"id": "b", "次数": 1}
    items = [{"id": 7, "次数": 1}, {"id": "x", "次数": "bad"}, same, {"id": "7", "次数": 2},
             {"id": Decimal("7"), "次数": 3}, {"id": "x", "次数": 4}, same, {"id": "c", "次数": 5}]
    with pytest.raises(CaseError) as info:
        evaluate(text, items)
    found = [(d.item, d.message) for d in info.value.diagnostics]
    assert found == [("x", "field '次数': must be a number, not text \"bad\""),
                     ("7", "duplicate id '7' (first used by item 1)"),
                     ("7", "duplicate id '7' (first used by item 1)"),
                     ("x", "duplicate id 'x' (first used by item 2)"),
                     ("b", "duplicate id 'b' (first used by item 3)")]

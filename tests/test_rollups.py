"""Rollups: units and people graded from their items (docs/language.md "Rollups")."""

from __future__ import annotations

import pytest

import policyengine as pe
from policyengine.check import analyse
from policyengine.dsl import to_dsl
from policyengine.errors import CaseError
from policyengine.parse import parse_text
from policyengine.render import to_json

from .conftest import D, cli, ruleset

RULES = """\
ruleset 示例 "单位汇总示例"
subject 风险点

input 所属单位: text
input 责任人: text
input 分:     number

levels 等级 [高 red, 中 yellow, 低 green]

grade 等级 {
  分 >= 10  -> 高
  分 >= 5   -> 中
  otherwise -> 低
}

# the units that own the risk points
rollup 单位 by 所属单位 {
  input 目标完成: 0..40
  input 系统: one of ["市局", "县局"] = "市局"

  let 高数 = count(i in items where i.等级 == 高)
  let 占比 = share(i in items where i.等级 == 高)
  let 至少中 = count(i in items where i.等级 >= 中)
  let 平均 = mean(i.分 for i in items)
  let 最高 = max(i.分 for i in items)
  let 总分 = sum(i.分 for i in items where i.分 > 2)
  let 全低 = all(i in items where i.等级 == 低)
  let 指数 = 目标完成 - 高数 * 5

  levels 单位等级 [差 red, 好 green]

  grade 单位等级 {
    bottom 1 by 指数 within 系统 -> 差
    otherwise                   -> 好
  }

  sanction 约谈 when 高数 >= 2 {
    fine 100 * 高数
    action "约谈"
  }

  summary {
    count by 单位等级
    sum 高数
  }
}

rollup 干部 by 责任人 {
  sanction 警示谈话 when any(i in items where i.等级 == 高) {
    action "警示谈话"
  }
}
"""

ITEMS = [
    {"id": "A1", "所属单位": "甲局", "责任人": "张", "分": 12},
    {"id": "A2", "所属单位": "甲局", "责任人": "张", "分": 11},
    {"id": "A3", "所属单位": "甲局", "责任人": "李", "分": 3},
    {"id": "B1", "所属单位": "乙局", "责任人": "王", "分": 10},
    {"id": "B2", "所属单位": "乙局", "责任人": "王", "分": 2},
    {"id": "C1", "所属单位": "丙局", "责任人": "李", "分": 6},
]
UNITS = {"单位": [
    {"id": "甲局", "目标完成": 30},
    {"id": "乙局", "目标完成": 35},
    {"id": "丙局", "name": "丙县局", "目标完成": 20, "系统": "县局"},
]}


@pytest.fixture(scope="module")
def result() -> pe.Result:  # type: ignore[name-defined]
    return ruleset(RULES).evaluate(pe.Case(items=ITEMS, units=UNITS))


def test_aggregates_over_values_and_grades(result) -> None:
    jia = result.rollups["单位"].unit("甲局").values
    # 甲局: A1 12 (高), A2 11 (高), A3 3 (低)
    assert jia["高数"] == 2
    assert jia["占比"] == D("0." + "6" * 39 + "7")  # 2 of 3 points are 高: 40 digits, half-up
    assert jia["至少中"] == 2  # 高 and 中 are at least 中: A1, A2
    assert jia["平均"] == D("8." + "6" * 38 + "7")  # (12 + 11 + 3) / 3, 40 digits
    assert jia["最高"] == 12
    assert jia["总分"] == 26  # 12 + 11 + 3, all above 2
    assert jia["全低"] is False
    assert jia["指数"] == 20  # 30 - 2 * 5
    yi = result.rollups["单位"].unit("乙局").values
    assert (yi["高数"], yi["占比"], yi["总分"], yi["指数"]) == (1, D("0.5"), 10, 30)  # B2's 2 is not > 2
    bing = result.rollups["单位"].unit("丙局")
    assert bing.name == "丙县局"
    assert (bing.values["高数"], bing.values["全低"], bing.values["指数"]) == (0, False, 20)  # C1 6 is 中


def test_units_are_ranked_within_their_system_and_sanctioned_once(result) -> None:
    units = result.rollups["单位"]
    assert [u.id for u in units.units] == ["甲局", "乙局", "丙局"]  # the order of the units: section
    # 市局: 甲局 20, 乙局 30 -> 甲局 is the bottom one; 县局: 丙局 alone is its bottom one
    assert {u.id: u.grades["单位等级"].level for u in units.units} == {"甲局": "差", "乙局": "好", "丙局": "差"}
    jia = units.unit("甲局")
    assert [(s.rule, s.fine) for s in jia.sanctions] == [("约谈", 200)]  # 100 * 2
    assert units.unit("乙局").sanctions == []
    assert units.summary["levels"] == {"单位等级": {"差": 2, "好": 1}}
    assert units.summary["fines"] == 200
    assert units.summary["sums"] == {"高数": 3}  # 2 + 1 + 0


def test_a_person_is_warned_once_however_many_points(result) -> None:
    people = result.rollups["干部"]
    # 张 has two 高 points (A1, A2), 王 one (B1), 李 none (A3 低, C1 中)
    assert [u.id for u in people.units] == ["张", "李", "王"]  # first appearance
    warned = [u.id for u in people.units for s in u.sanctions if s.rule == "警示谈话"]
    assert warned == ["张", "王"]


def test_json_has_a_section_per_rollup_and_none_without(result) -> None:
    text = to_json(result.to_dict())
    assert '"rollups": {' in text
    assert list(result.to_dict()["rollups"]) == ["单位", "干部"]
    plain = ruleset("input a: number\nlet b = a * 2\n").evaluate(pe.Case(items=[{"id": "x", "a": 1}]))
    assert "rollups" not in plain.to_dict()


def test_format_round_trip_keeps_comments() -> None:
    once = to_dsl(parse_text(RULES, "r.policy"))
    assert "# the units that own the risk points\nrollup 单位 by 所属单位 {\n  input 目标完成: 0..40" in once
    assert to_dsl(parse_text(once, "r.policy")) == once


def errors(text: str) -> list[str]:
    return [f"{d.code} {d.line}: {d.message}" for d in analyse(parse_text(text, "r.policy")).errors]


def test_check_names_across_levels() -> None:
    found = errors("""\
input 所属单位: text
input 分:     number
let 总 = 分 + 单位
rollup 单位 by 所属单 {
  let 高数 = count(p in items where p.分数 > 1)
  let x = 分 + 1
}
""")
    assert found == [
        "PE131 3: '单位' is a rollup: an item reads its unit's values as 单位.NAME (e.g. 单位.高数)",
        "PE101 4: rollup '单位' by '所属单': the items have no value '所属单' (did you mean '所属单位'?)",
        "PE101 5: the items (item) have no value '分数' (did you mean '分'?)",
        "PE101 6: unknown name '分' ('分' is a value of each item: in rollup '单位' read it through the "
        "group's items, e.g. sum(i.分 for i in items))",
    ]


def test_check_key_type_cycles_and_clashes() -> None:
    found = errors("""\
input 分:     number
rollup 单位 by 分 {
  let a = b + count(i in items)
  let b = a
}
rollup 分 by 分 {
}
""")
    assert "PE130 2: rollup '单位' groups the items by '分', which is number: a rollup's key is text " \
           "(a unit's or a person's name)" in found
    assert any(f.startswith("PE105 ") and "a -> b -> a" in f for f in found)
    assert any(f.startswith("PE102 6:") for f in found)


def test_missing_and_unknown_units_are_located(write) -> None:
    rules = write("r.policy", RULES)
    case = write("c.yaml", """\
        items:
          - {id: A1, 所属单位: 甲局, 责任人: 张, 分: 12}
          - {id: B1, 所属单位: 乙县局, 责任人: 王, 分: 10}
        units:
          单位:
            - {id: 甲局, 目标完成: 30}
            - {id: 乙局, 目标完成: 35}
            - {id: 丁局, 目标完成: 50}
        """)
    run = cli("eval", str(rules), str(case))
    assert run.returncode == 2
    assert run.stdout == ""
    lines = [line for line in run.stderr.splitlines() if "error[" in line]
    assert lines == [
        f"{case}:8:16: error[PE303]: unit 丁局 of units.单位: field '目标完成': 50 is outside 0..40",
    ]
    # the user's own text is quoted as written, never reworded ("item 3" stays "item 3")
    case.write_text(case.read_text(encoding="utf-8").replace("目标完成: 50", "目标完成: item 3"), encoding="utf-8")
    run = cli("eval", str(rules), str(case))
    assert "unit 丁局 of units.单位: field '目标完成': must be a number, not text \"item 3\"" in run.stderr, run.stderr
    case.write_text(case.read_text(encoding="utf-8").replace("item 3", "5"), encoding="utf-8")
    run = cli("eval", str(rules), str(case))
    lines = [line for line in run.stderr.splitlines() if "error[" in line]
    assert lines == [
        f"{case}:3:14: error[PE342]: item B1: 所属单位 '乙县局' has no unit in units.单位 (did you mean '乙局'?)",
        f"{case}:7:8: error[PE343]: unit '乙局' of units.单位: no item has 所属单位 = '乙局' (did you mean '乙县局'?)",
        f"{case}:8:8: error[PE343]: unit '丁局' of units.单位: no item has 所属单位 = '丁局'",
    ]


def test_a_rollup_with_inputs_needs_its_units() -> None:
    with pytest.raises(CaseError) as caught:
        ruleset(RULES).evaluate(pe.Case(items=ITEMS))
    assert caught.value.diagnostics[0].code == "PE341"


def test_table_csv_and_yaml_have_a_block_per_rollup(result) -> None:
    from policyengine.render import render

    table = render(result, "table")
    assert "\nrollup 单位 · 3 units\n" in table
    assert "\nrollup 干部 · 3 units\n" in table
    assert "\nunits: 3\n单位等级: 差 2, 好 1\nsum 高数: 3\nfines: 200" in table
    csv_lines = render(result, "csv").splitlines()
    start = csv_lines.index("单位,name,高数,占比,至少中,平均,最高,总分,全低,指数,单位等级,单位等级.rank,"
                            "supervision,sanctions,fine,warning")
    assert csv_lines[start - 1] == ""
    # (10 + 2) / 2 = 6; rank 1 of 市局: its 指数 30 is above 甲局's 20
    assert csv_lines[start + 2] == "乙局,,1,0.5,1,6,10,10,false,30,好,1,,,,"
    assert "干部,name,supervision,sanctions,fine,warning" in csv_lines
    assert "张,,,警示谈话: 警示谈话,," in csv_lines
    yaml_text = render(result, "yaml")
    assert "rollups:\n  单位:\n    units:\n    - id: 甲局\n" in yaml_text


def test_yaml_form_round_trip() -> None:
    from policyengine.yamlform import parse_yaml_text, to_yaml

    model = parse_text(RULES, "r.policy")
    text = to_yaml(model)
    assert "\nrollups:\n  # the units that own the risk points\n  单位:\n    by: 所属单位\n" in text
    assert "\n  干部:\n    by: 责任人\n" in text
    back = parse_yaml_text(text, "r.yaml")
    assert to_dsl(back, comments=False) == to_dsl(model, comments=False)
    assert to_yaml(back) == text
    # and the YAML rollup evaluates as the DSL one does
    again = ruleset(to_dsl(back)).evaluate(pe.Case(items=ITEMS, units=UNITS))
    assert again.rollups["单位"].unit("甲局").values["指数"] == 20


CASE = """\
ruleset: r.policy
items:
  - {id: A1, 所属单位: 甲局, 责任人: 张, 分: 12}
  - {id: A2, 所属单位: 甲局, 责任人: 张, 分: 11}
  - {id: A3, 所属单位: 甲局, 责任人: 李, 分: 3}
  - {id: B1, 所属单位: 乙局, 责任人: 王, 分: 10}
  - {id: B2, 所属单位: 乙局, 责任人: 王, 分: 2}
  - {id: C1, 所属单位: 丙局, 责任人: 李, 分: 6}
units:
  单位:
    - {id: 甲局, 目标完成: 30}
    - {id: 乙局, 目标完成: 35}
    - {id: 丙局, name: 丙县局, 目标完成: 20, 系统: 县局}
"""


def test_explain_a_unit_lists_the_items_each_aggregate_counted(write) -> None:
    from policyengine.explain import explain_unit

    rules = write("r.policy", RULES)
    case = write("c.yaml", CASE)
    ex = explain_unit(str(rules), str(case), "甲局")
    high = ex.find("values", "高数")
    assert high["value"] == 2
    assert high["aggregates"] == [{"expr": "count(i in items where i.等级 == 高)", "of": 3, "at": f"{rules}:21",
                                   "counted": [{"id": "A1", "at": f"{case}:3"}, {"id": "A2", "at": f"{case}:4"}]}]
    assert ex["rollup"] == {"name": "单位", "by": "所属单位", "at": f"{rules}:17"}
    assert ex.find("grades", "单位等级")["level"] == "差"
    text = ex.to_text()
    assert text.startswith(f"单位 甲局 (rollup 单位 by 所属单位   [{rules}:17])\n")
    assert f"      count(i in items where i.等级 == 高): 2 of 3 items: A1 [{case}:3], A2 [{case}:4]\n" in text
    # a person: the sanction's condition and the items that made it fire
    person = cli("explain", str(rules), str(case), "--unit", "干部:张")
    assert person.returncode == 0, person.stderr
    assert "  sanction 警示谈话 fired" in person.stdout
    assert f"any(i in items where i.等级 == 高): 2 of 2 items: A1 [{case}:3], A2 [{case}:4]" in person.stdout
    missing = cli("explain", str(rules), str(case), "--unit", "甲")
    assert missing.returncode == 2
    assert "error[PE345]: no unit '甲' (did you mean '甲局'?)" in missing.stderr


def test_diff_shows_changed_rollup_declarations_and_unit_migration(write) -> None:
    old = write("r.policy", RULES)
    new = write("r2.policy", RULES.replace("let 指数 = 目标完成 - 高数 * 5", "let 指数 = 目标完成 - 高数 * 20"))
    case = write("c.yaml", CASE)
    d = pe.diff(str(old), str(new), [str(case)])
    assert [(c.kind, c.name, c.change) for c in d.changes] == [("let", "单位.指数", "modified")]
    units = d.to_dict()["impact"]["rollups"]["单位"]
    # 指数 old: 甲 30-10=20, 乙 35-5=30, 丙 20; new: 甲 30-40=-10, 乙 35-20=15, 丙 20.
    # 市局 bottom stays 甲局, 县局 stays 丙局: no unit changes grade; 甲 and 乙 change 指数
    assert units["migration"] == {"单位等级": {"差": {"差": 2}, "好": {"好": 1}}}
    assert [(u["id"], u["values"]) for u in units["units_changed"]] == [
        ("甲局", {"指数": [20, -10]}), ("乙局", {"指数": [30, 15]})]
    assert "\nrollup 单位: 3 unit(s); 2 changed, 0 regraded\n" in d.to_table()
    plain = ruleset("input a: number\nlet b = a * 2\n")
    assert "rollups" not in pe.diff(plain, plain, [pe.Case(items=[{"id": "x", "a": 1}])]).to_dict()["impact"]


def test_golden_expect_units_and_snapshot(write) -> None:
    write("r.policy", RULES)
    case = write("c.yaml", CASE + """\
expect_units:
  单位:
    甲局: {指数: 20, 单位等级: 差, 目标完成: 30, sanctions: [约谈]}
    乙局: {指数: 31}
  干部:
    张: {sanctions: [警示谈话]}
expect_units_summary:
  单位: {levels: {单位等级: {差: 2, 好: 1}}}
""")
    run = cli("test", str(case))
    assert run.returncode == 1
    assert f"FAIL {case}  item 单位 乙局  指数: expected 31, got 30 (difference -1)" in run.stdout
    case.write_text(case.read_text(encoding="utf-8").replace("指数: 31", "指数: 30"), encoding="utf-8")
    assert cli("test", str(case), "--update").returncode == 0
    assert '"rollups": {' in case.with_name("c.expected.json").read_text(encoding="utf-8")
    case.write_text(case.read_text(encoding="utf-8").replace("目标完成: 35}", "目标完成: 36}"), encoding="utf-8")
    run = cli("test", str(case))
    assert f"FAIL {case}  item 单位 乙局  指数: expected 30, got 31 (difference +1)" in run.stdout
    assert f"FAIL {case}  snapshot  item 单位 乙局  指数: expected 30, got 31 (difference +1)" in run.stdout


def test_schema_has_the_units_section() -> None:
    import jsonschema
    import yaml

    from policyengine.schema import case_schema

    schema = case_schema(parse_text(RULES, "r.policy"))
    units = schema["properties"]["units"]
    assert units["required"] == ["单位"]
    assert units["properties"]["单位"]["items"]["required"] == ["id", "目标完成"]
    assert "units" in schema["required"]
    jsonschema.validate(yaml.safe_load(CASE), schema)
    bad = yaml.safe_load(CASE.replace("目标完成: 20", "目标完成: 50"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
    plain = case_schema(parse_text("input a: number\n", "p.policy"))
    assert "units" not in plain["properties"]


def test_a_units_list_for_no_rollup_is_located(write) -> None:
    rules = write("r.policy", RULES)
    case = write("c.yaml", CASE.replace("units:\n  单位:", "units:\n  单元:"))
    run = cli("eval", str(rules), str(case))
    assert run.returncode == 2 and run.stdout == ""
    assert (f"{case}:10:3: error[PE346]: units.单元: the ruleset has no rollup '单元' (did you mean '单位'?) "
            "(rollups: 单位, 干部)") in run.stderr
    bad = write("d.yaml", CASE.replace("units:\n  单位:", "units:\n  单位: 3\n  x:"))
    run = cli("eval", str(rules), str(bad))
    assert run.returncode == 2
    assert "error[PE340]: 'units' maps each rollup's name to a list of its units" in run.stderr
    entry = write("e.yaml", CASE.replace("- {id: 甲局, 目标完成: 30}", "- [甲局, 30]"))
    run = cli("eval", str(rules), str(entry))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{entry}:11:7: error[PE303]: units.单位: unit 1 must be a mapping of fields" in run.stderr


UNIT_READS = """\
input 所属单位: text
input 分:     number
levels 等级 [高 red, 低 green]
grade 等级 {
  分 >= 10  -> 高
  otherwise -> 低
}
let 相对分 = 分 - 单位.平均分
let 在较差单位 = 单位.单位档次 == 较差
rollup 单位 by 所属单位 {
  input 目标: number
  let 平均分 = mean(i.分 for i in items)
  let 指数 = 目标 + 平均分
  levels 单位档次 [较差 red, 较好 green]
  grade 单位档次 {
    bottom 1 by 指数 -> 较差
    otherwise        -> 较好
  }
}
"""


def test_item_rules_read_their_units_values() -> None:
    items = [{"id": "a", "所属单位": "X", "分": 12}, {"id": "b", "所属单位": "X", "分": 4},
             {"id": "c", "所属单位": "Y", "分": 6}]
    result = ruleset(UNIT_READS).evaluate(pe.Case(items=items, units={"单位": [
        {"id": "X", "目标": 1}, {"id": "Y", "目标": 10}]}))
    # X: 平均分 (12 + 4) / 2 = 8, 指数 1 + 8 = 9; Y: 平均分 6, 指数 16 -> X is the bottom one: 较差
    assert [(i.id, i.values["相对分"], i.values["在较差单位"]) for i in result.items] == [
        ("a", 4, True), ("b", -4, True), ("c", 0, False)]  # 12 - 8, 4 - 8, 6 - 6
    assert result.rollups["单位"].unit("X").grades["单位档次"].level == "较差"
    model = parse_text(UNIT_READS, "r.policy")
    assert to_dsl(parse_text(to_dsl(model), "r.policy")) == to_dsl(model)


def test_explain_an_item_shows_the_unit_values_it_read(write) -> None:
    rules = write("r.policy", UNIT_READS)
    case = write("c.yaml", """\
        items:
          - {id: a, 所属单位: X, 分: 12}
          - {id: c, 所属单位: Y, 分: 6}
        units:
          单位: [{id: X, 目标: 1}, {id: Y, 目标: 10}]
        """)
    ex = pe.explain(str(rules), str(case), "a")
    assert ex.find("values", "相对分")["operands"] == {"分": 12, "单位.平均分": 12}
    assert ex.find("values", "在较差单位")["operands"] == {"单位.单位档次": "较差"}  # X 13 < Y 16


def test_a_unit_value_read_back_by_its_rollup_is_a_cycle() -> None:
    found = errors("""\
input 所属单位: text
input 分:     number
let 修正分 = 分 + 单位.平均分
rollup 单位 by 所属单位 {
  let 平均分 = mean(i.修正分 for i in items)
}
let x = 单位.平场分
""")
    assert found == [
        "PE105 4: dependency cycle: rollup 单位 -> 修正分 -> rollup 单位",
        "PE101 7: rollup '单位' has no value '平场分' (did you mean '平均分'?)",
    ]


NESTED = """\
input 岗位名: text
input 分:     number

levels 等级 [高 red, 低 green]

grade 等级 {
  分 >= 10  -> 高
  otherwise -> 低
}

# risk point -> post -> unit
rollup 岗位 by 岗位名 {
  input 所属单位: text

  let 高数 = count(i in items where i.等级 == 高)

  levels 岗位档次 [重点岗位 red, 一般岗位 green]

  grade 岗位档次 {
    高数 >= 2 -> 重点岗位
    otherwise -> 一般岗位
  }

  # the posts grouped by their unit
  rollup 单位 by 所属单位 {
    input 目标: number

    let 岗位数 = len(items)
    let 重点岗位数 = count(p in items where p.岗位档次 == 重点岗位)
    let 高风险点数 = sum(p.高数 for p in items)
    let 指数 = 目标 - 重点岗位数 * 5
  }
}
"""

NESTED_CASE = """\
items:
  - {id: a, 岗位名: 会计, 分: 12}
  - {id: b, 岗位名: 会计, 分: 11}
  - {id: c, 岗位名: 出纳, 分: 3}
  - {id: d, 岗位名: 采购, 分: 15}
units:
  岗位:
    - {id: 会计, 所属单位: 财政局}
    - {id: 出纳, 所属单位: 财政局}
    - {id: 采购, 所属单位: 住建局}
  单位:
    - {id: 财政局, 目标: 30}
    - {id: 住建局, 目标: 20}
"""


def test_rollups_nest_point_post_unit(write) -> None:
    import yaml

    from policyengine.yamlform import parse_yaml_text, to_yaml

    model = parse_text(NESTED, "r.policy")
    assert to_dsl(model) == NESTED  # canonical already: fmt keeps it, comments and all
    back = parse_yaml_text(to_yaml(model), "r.yaml")
    assert to_dsl(back, comments=False) == to_dsl(model, comments=False)
    data = yaml.safe_load(NESTED_CASE)
    result = ruleset(NESTED).evaluate(pe.Case(items=data["items"], units=data["units"]))
    # posts: 会计 a 12 高, b 11 高 -> 2 -> 重点岗位; 出纳 c 3 低 -> 0; 采购 d 15 高 -> 1
    posts = result.rollups["岗位"]
    assert {u.id: (u.values["高数"], u.grades["岗位档次"].level) for u in posts.units} == {
        "会计": (2, "重点岗位"), "出纳": (0, "一般岗位"), "采购": (1, "一般岗位")}
    # units: 财政局 = 会计 + 出纳: 2 posts, 1 重点, 2 + 0 = 2 high points, 30 - 5 = 25;
    # 住建局 = 采购: 1 post, 0 重点, 1 high point, 20 - 0 = 20
    units = result.rollups["单位"]
    assert [(u.id, u.values["岗位数"], u.values["重点岗位数"], u.values["高风险点数"], u.values["指数"])
            for u in units.units] == [("财政局", 2, 1, 2, 25), ("住建局", 1, 0, 1, 20)]
    assert list(result.to_dict()["rollups"]) == ["岗位", "单位"]
    rules = write("r.policy", NESTED)
    case = write("c.yaml", NESTED_CASE)
    ex = cli("explain", str(rules), str(case), "--unit", "财政局")
    assert f"count(p in items where p.岗位档次 == 重点岗位): 1 of 2 items: 会计 [{case}:8]" in ex.stdout
    bad = write("d.yaml", NESTED_CASE.replace("- {id: 采购, 所属单位: 住建局}", "- {id: 采购, 所属单位: 住建厅}"))
    run = cli("eval", str(rules), str(bad))
    assert run.returncode == 2
    assert f"{bad}:10:16: error[PE342]: unit 采购 of units.岗位: 所属单位 '住建厅' has no unit in units.单位" in run.stderr


def test_a_nested_rollup_needs_a_name_of_its_own() -> None:
    found = errors(NESTED.replace("rollup 单位 by 所属单位", "rollup 岗位 by 所属单位"))
    assert any(f.startswith("PE102 ") and "rollup '岗位' is declared twice" in f for f in found), found


def test_a_csv_case_takes_its_units_from_a_companion_file(write) -> None:
    rules = write("r.policy", UNIT_READS)
    case = write("c.csv", "id,所属单位,分\na,X,12\nb,X,4\nc,Y,6\n")
    units = write("c.units.单位.csv", "id,目标\nX,1\nY,abc\n")
    run = cli("eval", str(rules), str(case), "--format", "csv")
    assert run.returncode == 2
    assert f"{units}:3:2: error[PE303]: unit Y of units.单位: field '目标': must be a number" in run.stderr
    units.write_text("id,目标\nX,1\nY,10\n", encoding="utf-8")
    run = cli("eval", str(rules), str(case), "--format", "csv")
    assert run.returncode == 0, run.stderr
    # as in test_item_rules_read_their_units_values: X 指数 1 + 8 = 9 < Y 6 + 10 = 16
    assert "\nX,,8,9,较差,2,,,,\nY,,6,16,较好,1,,,,\n" in run.stdout


def test_the_report_has_a_table_per_rollup() -> None:
    import datetime as dt

    from policyengine import i18n
    from policyengine.report import report_html

    from .conftest import ROOT

    i18n.set_language("zh")  # the page in Chinese (the tests run in English otherwise)
    try:
        html = report_html(pe.load_ruleset("tax@2012"), [ROOT / "cases/tax/units-2012.yaml"], dt.date(2026, 1, 2))
    finally:
        i18n.set_language(None)
    assert "<h3>单位(按所属单位汇总,5 个)</h3>" in html
    # 征管科: 过错事件数 5, 过错扣分 20, 指数 67 (cases/tax/units-2012.yaml's arithmetic)
    assert "<tr><td>征管科</td><td></td><td>5</td><td>20</td><td>67</td>" in html

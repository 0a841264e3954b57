"""Rules that read earlier results: `previous.X`, `new`, `history` (issue 16). Every
expected value is worked out by hand in the comments."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine import api
from policyengine.case import load_case
from policyengine.errors import CaseError, CheckError, EvaluationError
from policyengine.render import render

from .conftest import D, ruleset

RULES = """\
ruleset mini "periods"
input 分: number
levels 档次 [高 red, 中 yellow, 低 green]
let 得分 = 分 * 2
let 增幅 = if new then 0 else 得分 - previous.得分
let 红次数 = count(h in history where h.档次 == 高)
grade 档次 {
  得分 >= 100 -> 高
  得分 >= 50  -> 中
  otherwise   -> 低
  raise 1 when not new and previous.档次 == 高
}
let 升档 = not new and 档次 > previous.档次
"""


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _result_file(rs: api.LoadedRuleset, case: Path, out: Path) -> Path:
    out.write_text(render([rs.evaluate(case)], "json"), encoding="utf-8")
    return out


@pytest.fixture
def years(tmp_path: Path) -> tuple[api.LoadedRuleset, Path]:
    rs = api.load_ruleset(_write(tmp_path / "mini.policy", RULES))
    # 2010, a first period: 得分 A 60*2 = 120 -> 高; B 30*2 = 60 -> 中
    c2010 = _write(tmp_path / "c2010.yaml", "period: 2010\nprevious: []\nitems:\n"
                   "  - {id: A, 分: 60}\n  - {id: B, 分: 30}\n")
    _result_file(rs, c2010, tmp_path / "y2010.json")
    _write(tmp_path / "c2011.yaml", "period: 2011\nprevious: [y2010.json]\nitems:\n"
           "  - {id: A, 分: 20}\n  - {id: B, 分: 30}\n  - {id: C, 分: 70}\n")
    return rs, tmp_path


def _items(result) -> dict:
    return {i.id: i for i in result.items}


def test_previous_values_new_items_and_history(years) -> None:
    rs, tmp = years
    result = rs.evaluate(tmp / "c2011.yaml")
    items = _items(result)
    a, b, c = items["A"], items["B"], items["C"]
    # A: 得分 20*2 = 40 (低 by the lines), raised 1 because 2010 was 高 -> 中;
    # 增幅 40 - 120 = -80; one red year in its history (2010); 中 is not above 高
    assert a.values["得分"] == D(40) and a.values["增幅"] == D(-80)
    assert a.grades["档次"].level == "中" and a.values["红次数"] == D(1) and a.values["升档"] is False
    # B: 60 both years (中), 增幅 0, no red year, not raised
    assert b.values["增幅"] == D(0) and b.grades["档次"].level == "中" and b.values["红次数"] == D(0)
    # C: new in 2011: 增幅 0 by the `if new`, empty history, 得分 140 -> 高
    assert c.values["增幅"] == D(0) and c.values["红次数"] == D(0) and c.grades["档次"].level == "高"
    assert c.values["升档"] is False
    assert result.previous == [{"file": str(tmp / "y2010.json"),
                                "ruleset": {"id": "mini", "version": None, "digest": rs.digest},
                                "period": 2010}]


def test_a_grade_that_rose_is_seen(tmp_path: Path, years) -> None:
    rs, tmp = years
    # B 30 -> 60: 得分 120 -> 高, up from 中 in 2010
    _write(tmp / "c2011b.yaml", "period: 2011\nprevious: y2010.json\nitems:\n  - {id: B, 分: 60}\n")
    b = _items(rs.evaluate(tmp / "c2011b.yaml"))["B"]
    assert b.grades["档次"].level == "高" and b.values["升档"] is True and b.values["增幅"] == D(60)


def test_history_counts_several_periods_in_order(years) -> None:
    rs, tmp = years
    # 2011 result: A 中, B 中, C 高; 2012 reads 2010 and 2011: A was red once (2010), C once (2011)
    _result_file(rs, tmp / "c2011.yaml", tmp / "y2011.json")
    _write(tmp / "c2012.yaml", "period: 2012\nprevious: [y2011.json, y2010.json]\nitems:\n"
           "  - {id: A, 分: 10}\n  - {id: C, 分: 10}\n  - {id: D, 分: 10}\n")
    items = _items(rs.evaluate(tmp / "c2012.yaml"))
    assert [items[k].values["红次数"] for k in "ACD"] == [D(1), D(1), D(0)]
    # previous is the latest (2011): A's 得分 was 40, now 20 -> -20; C's 140 -> 20: -120
    assert items["A"].values["增幅"] == D(-20) and items["C"].values["增幅"] == D(-120)
    # C was 高 in 2011: raised 1 from 低 to 中; A was 中: stays 低
    assert items["C"].grades["档次"].level == "中" and items["A"].grades["档次"].level == "低"


def test_quarters_inside_the_year_are_earlier_results(tmp_path: Path) -> None:
    rs = api.load_ruleset(_write(tmp_path / "q.policy", """\
ruleset q "quarters"
input 分: number
levels 颜色 [红色 red, 橙色 orange, 绿色 green]
grade 颜色 {
  分 >= 80 -> 红色
  分 >= 60 -> 橙色
  otherwise -> 绿色
}
let 红季 = count(h in history where h.颜色 == 红色)
"""))
    for q, score in (("2008Q1", 90), ("2008Q2", 70), ("2008Q3", 85), ("2008Q4", 10)):
        case = _write(tmp_path / f"{q}.yaml", f"period: {q}\nprevious: []\nitems:\n  - {{id: A, 分: {score}}}\n")
        _result_file(rs, case, tmp_path / f"{q}.json")
    _write(tmp_path / "y.yaml", "period: 2008\nprevious: [2008Q3.json, 2008Q1.json, 2008Q4.json, 2008Q2.json]\n"
           "items:\n  - {id: A, 分: 0}\n")
    result = rs.evaluate(tmp_path / "y.yaml")
    # red quarters: Q1 (90) and Q3 (85): 2; the files are ordered by period, whatever the list's order
    assert result.items[0].values["红季"] == D(2)
    assert [p["period"] for p in result.previous] == ["2008Q1", "2008Q2", "2008Q3", "2008Q4"]


def test_reading_previous_of_a_new_item_is_a_located_error(years) -> None:
    _rs, tmp = years
    rs2 = api.load_ruleset(_write(tmp / "bad.policy", RULES.replace("if new then 0 else 得分 - previous.得分",
                                                                    "得分 - previous.得分")))
    with pytest.raises(EvaluationError) as err:
        rs2.evaluate(tmp / "c2011.yaml")
    d = err.value.diagnostics[0]
    assert d.code == "PE435" and "previous.得分" in d.message and "new this period" in d.message
    assert d.item == "C" and d.file.endswith("bad.policy") and d.line == 5


def test_without_earlier_results_it_is_an_error_unless_the_first_period(years) -> None:
    rs, tmp = years
    _write(tmp / "none.yaml", "period: 2011\nitems:\n  - {id: A, 分: 1}\n")
    with pytest.raises(CaseError) as err:
        rs.evaluate(tmp / "none.yaml")
    d = err.value.diagnostics[0]
    assert d.code == "PE366" and d.line == 1 and "previous: []" in d.message and "mini.policy:5:" in d.message


def test_earlier_values_are_checked_against_the_ruleset_now(years) -> None:
    rs, tmp = years
    data = json.loads((tmp / "y2010.json").read_text(encoding="utf-8"))
    data["items"][0]["grades"]["档次"]["level"] = "极高"
    _write(tmp / "y2010.json", json.dumps(data, ensure_ascii=False, indent=2))
    with pytest.raises(CaseError) as err:
        rs.evaluate(tmp / "c2011.yaml")
    d = err.value.diagnostics[0]
    assert d.file.endswith("y2010.json") and d.line > 1 and d.code == "PE352" and "极高" in d.message


def test_a_value_missing_from_an_older_result_is_located(years) -> None:
    rs, tmp = years
    data = json.loads((tmp / "y2010.json").read_text(encoding="utf-8"))
    del data["items"][1]["values"]["得分"]
    _write(tmp / "y2010.json", json.dumps(data, ensure_ascii=False, indent=2))
    with pytest.raises(CaseError) as err:
        rs.evaluate(tmp / "c2011.yaml")
    d = err.value.diagnostics[0]
    assert d.code == "PE365" and "item B has no value '得分'" in d.message and d.file.endswith("y2010.json")


@pytest.mark.parametrize("text, words", [
    ("input x: number\nlet y = previous.x\n", "'x' is an input"),
    ("input x: number\nlet y = previous\n", "previous.NAME"),
    ("input x: number\nlet z = x\nlet y = previous.zz\n", "earlier results have no value 'zz'"),
    ("input x: number\nlet z = x\nlet y = previous.z and true\n", "must be bool, not number"),
])
def test_check_types_previous(text: str, words: str) -> None:
    with pytest.raises(CheckError) as err:
        ruleset("ruleset t\n" + text)
    assert any(words in d.message for d in err.value.diagnostics), [d.message for d in err.value.diagnostics]


def test_a_declared_name_wins_over_the_period_names() -> None:
    from .conftest import evaluate

    result = evaluate("ruleset t\ninput new: bool\nlet y = if new then 1 else 2\n", [{"id": "A", "new": True}])
    assert result.items[0].values["y"] == Decimal(1)


def test_cases_without_period_rules_are_unchanged(years) -> None:
    _rs, tmp = years
    plain = api.load_ruleset(_write(tmp / "plain.policy", "ruleset mini\ninput 分: number\nlet 得分 = 分 * 2\n"))
    result = plain.evaluate(load_case(tmp / "c2011.yaml"))
    assert result.items[0].values["得分"] == D(40)
    # through the API, a ruleset that reads no earlier results leaves the header's files unread,
    # as before (`eval` checks and records them)
    assert result.previous is None


def test_a_level_the_scale_no_longer_has_is_located(years) -> None:
    rs, tmp = years
    # an older version of the scale named its top level 极高: the 2010 file is consistent in itself
    text = (tmp / "y2010.json").read_text(encoding="utf-8").replace('"高"', '"极高"')
    _write(tmp / "y2010.json", text)
    with pytest.raises(CaseError) as err:
        rs.evaluate(tmp / "c2011.yaml")
    d = err.value.diagnostics[0]
    assert d.code == "PE365" and "level '极高' of 档次" in d.message and d.file.endswith("y2010.json")
    assert d.line > 1


def test_explain_shows_the_earlier_values_and_where_they_came_from(years) -> None:
    from policyengine.explain import explain

    rs, tmp = years
    a = explain(rs, tmp / "c2011.yaml", "A")
    data = a.data
    assert [(p["file"], p["period"], p["lists"]) for p in data["previous"]] == [(str(tmp / "y2010.json"), 2010, True)]
    values = {v["name"]: v for v in data["values"]}
    # A in 2010: 得分 120, 档次 高; in 2011 it is listed, so not new
    assert values["增幅"]["operands"] == {"new": False, "得分": D(40), "previous.得分": D(120)}
    assert values["红次数"]["operands"] == {"history": [{"得分": D(120), "档次": "高"}]}
    text = a.to_text()
    assert "earlier results: " in text and "(period 2010)" in text
    assert "raise 1 when not new and previous.档次 == 高 (new = false, previous.档次 = 高): applies → 中" in text
    c = explain(rs, tmp / "c2011.yaml", "C").to_text()
    assert "(period 2010, not listed: new)" in c and "previous.得分 = none" in c


def test_eval_and_explain_take_previous_on_the_command_line(years) -> None:
    from .conftest import cli

    _rs, tmp = years
    _write(tmp / "bare.yaml", "period: 2011\nitems:\n  - {id: A, 分: 20}\n")
    run = cli("eval", str(tmp / "mini.policy"), str(tmp / "bare.yaml"), "--previous", str(tmp / "y2010.json"),
              "--format", "json")
    assert run.returncode == 0, run.stderr
    item = json.loads(run.stdout)["items"][0]
    assert item["values"]["增幅"] == -80 and item["grades"]["档次"]["level"] == "中"
    run = cli("explain", str(tmp / "mini.policy"), str(tmp / "bare.yaml"), "--item", "A",
              "--previous", str(tmp / "y2010.json"))
    assert run.returncode == 0 and "previous.得分 = 120" in run.stdout
    run = cli("eval", str(tmp / "mini.policy"), str(tmp / "bare.yaml"), "-o", str(tmp / "out.json"))
    assert run.returncode == 2 and "error[PE366]" in run.stderr and "Traceback" not in run.stderr
    assert not (tmp / "out.json").exists()


def test_a_golden_case_names_its_earlier_results(years) -> None:
    from .conftest import cli

    _rs, tmp = years
    # as in test_previous_values_new_items_and_history: A 增幅 -80, 中, one red year; C 0, 高
    _write(tmp / "g.yaml", "ruleset: mini.policy\nperiod: 2011\nprevious: [y2010.json]\nitems:\n"
           "  - {id: A, 分: 20}\n  - {id: C, 分: 70}\nexpect:\n  A: {增幅: -80, 档次: 中, 红次数: 1}\n"
           "  C: {增幅: 0, 档次: 高}\n")
    run = cli("test", str(tmp / "g.yaml"))
    assert run.returncode == 0 and "1 passed" in run.stdout, run.stdout + run.stderr
    _write(tmp / "g.yaml", (tmp / "g.yaml").read_text(encoding="utf-8").replace("增幅: -80", "增幅: -81"))
    run = cli("test", str(tmp / "g.yaml"))
    assert run.returncode == 1 and "增幅: expected -81, got -80" in run.stdout


def test_dsl_and_yaml_forms_round_trip(years) -> None:
    from policyengine.dsl import to_dsl
    from policyengine.yamlform import parse_yaml_text, to_yaml

    rs, _tmp = years
    yaml_text = to_yaml(rs.model)
    assert "if new then 0 else 得分 - previous.得分" in yaml_text
    back = parse_yaml_text(yaml_text, "<yaml>")
    assert to_dsl(back, comments=False) == to_dsl(rs.model, comments=False)


UNITS = """\
ruleset uq "units by quarter"
input 单位名: text
input 分: number
rollup 单位 by 单位名 {
  let 均分 = mean(i.分 for i in items)
  levels 颜色 [红色 red, 橙色 orange, 绿色 green]
  grade 颜色 {
    均分 >= 85 -> 绿色
    均分 >= 60 -> 橙色
    otherwise  -> 红色
  }
  let 红季 = count(h in history where h.颜色 == 红色)
  let 橙季 = count(h in history where h.颜色 == 橙色)
  let 上季均分 = if new then 0 else previous.均分
  levels 年度等级 [C red, B orange, A green]
  grade 年度等级 {
    红季 >= 1 -> C
    橙季 >= 2 -> B
    otherwise -> A
  }
}
"""


def test_a_rollup_grades_its_units_year_from_their_quarters(tmp_path: Path) -> None:
    rs = api.load_ruleset(_write(tmp_path / "u.policy", UNITS))
    # 甲's one point scores 60, 70, 80, 90 in Q1–Q4 (橙 橙 橙 绿), 乙's 90, 90, 50, 90 (绿 绿 红 绿)
    for q, (a, b) in enumerate(((60, 90), (70, 90), (80, 50), (90, 90)), start=1):
        case = _write(tmp_path / f"q{q}.yaml", f"period: 2008Q{q}\nprevious: []\nitems:\n"
                      f"  - {{id: a{q}, 单位名: 甲, 分: {a}}}\n  - {{id: b{q}, 单位名: 乙, 分: {b}}}\n")
        _result_file(rs, case, tmp_path / f"q{q}.json")
    _write(tmp_path / "y.yaml", "period: 2008\nprevious: [q1.json, q2.json, q3.json, q4.json]\nitems:\n"
           "  - {id: a, 单位名: 甲, 分: 90}\n  - {id: b, 单位名: 乙, 分: 90}\n")
    units = {u.id: u for u in rs.evaluate(tmp_path / "y.yaml").rollups["单位"].units}
    # 甲: 3 orange quarters, no red -> B; 乙: one red quarter (Q3) -> C
    assert units["甲"].values["橙季"] == D(3) and units["甲"].grades["年度等级"].level == "B"
    assert units["乙"].values["红季"] == D(1) and units["乙"].grades["年度等级"].level == "C"
    # previous is Q4 (the latest): both units' 均分 was 90
    assert units["甲"].values["上季均分"] == D(90) and units["乙"].values["上季均分"] == D(90)
    from policyengine.explain import explain_unit

    text = explain_unit(rs, tmp_path / "y.yaml", "乙").to_text()
    assert "(period 2008Q1), " in text and "(period 2008Q4)" in text
    assert ("history = [{均分: 90, 颜色: 绿色}, {均分: 90, 颜色: 绿色}, {均分: 50, 颜色: 红色}, "
            "{均分: 90, 颜色: 绿色}]") in text


def test_an_earlier_result_without_the_rollup_is_located(tmp_path: Path, years) -> None:
    _rs, tmp = years
    rs = api.load_ruleset(_write(tmp / "u.policy", UNITS.replace("ruleset uq", "ruleset mini")))
    _write(tmp / "y.yaml", "period: 2011\nprevious: [y2010.json]\nitems:\n  - {id: a, 单位名: 甲, 分: 90}\n")
    with pytest.raises(CaseError) as err:
        rs.evaluate(tmp / "y.yaml")
    d = err.value.diagnostics[0]
    assert d.code == "PE365" and "no units of rollup '单位'" in d.message and d.file.endswith("y2010.json")


def test_diff_evaluates_both_versions_against_the_case_s_earlier_results(years) -> None:
    from .conftest import cli

    _rs, tmp = years
    _write(tmp / "mini2.policy", RULES.replace("previous.档次 == 高", "previous.档次 >= 中"))
    run = cli("diff", str(tmp / "mini.policy"), str(tmp / "mini2.policy"), "--cases", str(tmp / "c2011.yaml"),
              "--format", "json")
    assert run.returncode == 0, run.stderr
    changed = json.loads(run.stdout)["impact"]["items_changed"]
    # only B: 60 -> 中 by the lines, and 2010's 中 now raises it 1 -> 高 (A was 高: raised in both;
    # C is new: never raised); 升档 follows (高 above 2010's 中)
    assert [(c["id"], c["grades"], c["values"]) for c in changed] == [
        ("B", {"档次": ["中", "高"]}, {"升档": [False, True]})]


def test_the_case_schema_takes_an_empty_previous_list_as_the_loader_does(tmp_path: Path) -> None:
    import jsonschema

    from policyengine.schema import case_schema

    schema = case_schema(api.ruleset_from_text(RULES).model)
    validator = jsonschema.Draft202012Validator(schema)
    first = {"period": 2010, "previous": [], "items": [{"id": "A", "分": 1}]}
    assert validator.is_valid(first)
    assert load_case(_write(tmp_path / "c.yaml", "period: 2010\nprevious: []\nitems:\n  - {id: A, 分: 1}\n")).previous == []
    assert not validator.is_valid({**first, "previous": [""]})


def test_a_table_cell_reads_previous_values(years) -> None:
    _rs, tmp = years
    rs = api.load_ruleset(_write(tmp / "t.policy", RULES + """\
table 上期 {
  | 分   || 值                                 |
  | >= 0 || if new then 0 else previous.得分 |
}
let 上期得分 = 上期
"""))
    items = _items(rs.evaluate(tmp / "c2011.yaml"))
    # A and B were 120 and 60 in 2010; C is new
    assert [items[k].values["上期得分"] for k in "ABC"] == [D(120), D(60), D(0)]

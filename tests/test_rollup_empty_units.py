"""A unit an aggregate takes nothing from, and an item that names no unit: both stay errors
(a made-up 0 would grade the unit), said of the unit and its rollup, located, with the guard
to write (docs/rollups.md "Units with nothing to aggregate")."""

from __future__ import annotations

import pytest

import policyengine as pe
from policyengine.errors import CaseError, EvaluationError

from .conftest import D, cli, ruleset

MEAN = """\
ruleset m "均值"
version "1"

input 所属科室: text = ""
input 分: 0..100

rollup 科室 by 所属科室 {
  let 高均分 = mean(i.分 for i in items where i.分 >= 60)
}
"""

GUARDED = MEAN.replace("let 高均分 = mean(i.分 for i in items where i.分 >= 60)",
                       "let 高均分 = if count(i in items where i.分 >= 60) > 0 then "
                       "mean(i.分 for i in items where i.分 >= 60) else 0")


def test_mean_of_no_item_names_the_unit_its_first_item_and_the_guard(write) -> None:
    rules = write("m.policy", MEAN)
    case = write("c.yaml", """\
        ruleset: m.policy
        items:
          - {id: A, 所属科室: 甲科, 分: 80}
          - {id: B, 所属科室: 乙科, 分: 30}
          - {id: C, 所属科室: 乙科, 分: 40}
        """)
    run = cli("eval", str(case))
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    # 甲科: A (80 >= 60) → mean 80; 乙科: B 30, C 40, neither >= 60 → mean of nothing
    assert run.stderr.splitlines()[0] == (
        f"{rules}:8:3: error[PE405]: unit 乙科 of rollup 科室: mean() of an empty list in let 高均分")
    assert f"  note: unit 乙科 is the 所属科室 of its items, the first at {case}:4" in run.stderr
    assert "the aggregate took none of the unit's items (2 in all)" in run.stderr
    assert "if count(i in items where C) > 0 then mean(i.X for i in items where C) else 0" in run.stderr
    assert "item 乙科" not in run.stderr


def test_mean_of_no_item_in_a_listed_unit_points_at_its_entry(write) -> None:
    write("m.policy", MEAN.replace("rollup 科室 by 所属科室 {\n", "rollup 科室 by 所属科室 {\n  input 人数: 1..100\n"))
    case = write("c.yaml", """\
        ruleset: m.policy
        items:
          - {id: A, 所属科室: 甲科, 分: 80}
          - {id: B, 所属科室: 乙科, 分: 30}
        units:
          科室:
            - {id: 甲科, 人数: 3}
            - {id: 乙科, 人数: 4}
        """)
    with pytest.raises(EvaluationError) as caught:
        pe.load_ruleset(case.parent / "m.policy").evaluate(pe.load_case(case))
    (d,) = caught.value.diagnostics
    assert d.code == "PE405" and d.item is None
    assert d.message == "unit 乙科 of rollup 科室: mean() of an empty list in let 高均分"
    assert d.notes[0] == f"unit 乙科 is at {case}:8"
    assert "(1 in all)" in d.notes[1]


def test_the_guard_gives_the_unit_the_value_chosen() -> None:
    result = ruleset(GUARDED).evaluate(pe.Case(items=[
        {"id": "A", "所属科室": "甲科", "分": 80}, {"id": "A2", "所属科室": "甲科", "分": 61},
        {"id": "B", "所属科室": "乙科", "分": 30}]))
    # 甲科: (80 + 61) / 2 = 70.5; 乙科: no item >= 60 → the else branch, 0
    assert [(u.id, u.values["高均分"]) for u in result.rollups["科室"].units] == [
        ("甲科", D("70.5")), ("乙科", D(0))]


def test_an_item_with_an_empty_key_is_located(write) -> None:
    write("m.policy", GUARDED)
    case = write("c.yaml", """\
        ruleset: m.policy
        items:
          - {id: A, 所属科室: 甲科, 分: 80}
          - {id: B, 所属科室: " ", 分: 30}
          - {id: C, 分: 40}
        """)
    run = cli("eval", str(case))
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    lines = [line for line in run.stderr.splitlines() if "error[" in line]
    # B writes a blank key (located at its field); C leaves it out, taking the default "" (at the item)
    assert lines == [
        f"{case}:4:13: error[PE370]: item B: 所属科室 is empty, so it belongs to no unit of rollup '科室': "
        "every one grouped by a rollup names its unit",
        f"{case}:5:5: error[PE370]: item C: 所属科室 is empty, so it belongs to no unit of rollup '科室': "
        "every one grouped by a rollup names its unit",
    ]


def test_a_unit_with_an_empty_key_of_a_nested_rollup_is_located() -> None:
    rules = ruleset("""\
        ruleset n "嵌套"
        version "1"
        input 所属科室: text
        input 分: number
        rollup 科室 by 所属科室 {
          input 所属单位: text
          let 总分 = sum(i.分 for i in items)
          rollup 单位 by 所属单位 {
            let 合计 = sum(k.总分 for k in items)
          }
        }
        """)
    with pytest.raises(CaseError) as caught:
        rules.evaluate(pe.Case(items=[{"id": "A", "所属科室": "甲科", "分": 1}],
                               units={"科室": [{"id": "甲科", "所属单位": ""}]}))
    (d,) = caught.value.diagnostics
    assert d.code == "PE370"
    assert d.message == ("unit 甲科 of units.科室: 所属单位 is empty, so it belongs to no unit of rollup '单位': "
                         "every one grouped by a rollup names its unit")

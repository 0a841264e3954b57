"""`policyengine diff`: structural changes on resolved rulesets and the impact on cases.

The main fixture is a held-out-style pair: NEW `extends` OLD, overrides a table
and a grade block and removes a sanction; every expected number below is worked
out by hand in the comments.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

import policyengine as pe
from policyengine import dsl
from policyengine.diff import _appearance_order, find_case_files
from policyengine.errors import CaseError
from policyengine.resolve import resolve

from .conftest import D, cli

OLD = """\
ruleset demo "示例局廉政风险评估"
version "1"
subject 风险点

input 类别: one of ["执法", "管理"]
input 运行次数: integer >= 0
input 事件: list of {类型: text, 金额: number = 0}

dimension 裁量: 1..5
dimension 透明: 1..5

table 频率系数 {
  | 运行次数 || 系数 |
  | >= 100   || 1.2  |
  | -        || 1.0  |
}

let 基本分 = sum(dimensions) * 10
let 得分 = 基本分 * 频率系数

levels 档次 [高 red, 中 yellow, 低 green]

grade 档次 {
  得分 >= 80 -> 高
  得分 >= 50 -> 中
  otherwise  -> 低
}

sanction 吃请 for e in 事件 where e.类型 == "吃请" {
  fine 10 * e.金额
  action "经济处罚"
}

sanction 经商 when any(e in 事件 where e.类型 == "经商") {
  fine 1000
  action "诫勉谈话"
}
"""

NEW = """\
ruleset demo
version "2"
extends "old.policy"
remove sanction 经商

table 频率系数 {
  | 运行次数 || 系数 |
  | >= 500   || 1.3  |
  | >= 100   || 1.1  |
  | -        || 1.0  |
}

grade 档次 {
  得分 >= 90 -> 高
  得分 >= 40 -> 中
  otherwise  -> 低
}
"""

# 基本分 = (裁量 + 透明) × 10; 得分 = 基本分 × 频率系数.
# old: 系数 1.2 from 100 runs, else 1.0; 高 >= 80, 中 >= 50, else 低; 经商 fines 1000.
# new: 系数 1.3 from 500, 1.1 from 100, else 1.0; 高 >= 90, 中 >= 40, else 低; no 经商.
CASE = """\
title: 示例
items:
  - {id: A, 类别: 执法, 运行次数: 600, 裁量: 4, 透明: 4}   # 80: old 80×1.2=96 高; new 80×1.3=104 高
  - {id: B, 类别: 管理, 运行次数: 200, 裁量: 3, 透明: 3}   # 60: old 72 中;  new 60×1.1=66 中
  - {id: C, 类别: 执法, 运行次数: 50,  裁量: 4, 透明: 4}   # 80: old 80 高;  new 80 中 (< 90)
  - {id: D, 类别: 管理, 运行次数: 150, 裁量: 4, 透明: 4}   # 80: old 96 高;  new 88 中
  - {id: E, 类别: 执法, 运行次数: 10,  裁量: 2, 透明: 2}   # 40: old 40 低;  new 40 中 (>= 40)
  - {id: F, 类别: 管理, 运行次数: 700, 裁量: 2, 透明: 1}   # 30: old 36 低;  new 39 低
  - {id: G, 类别: 执法, 运行次数: 0,   裁量: 3, 透明: 2, 事件: [{类型: 吃请, 金额: 100}]}
    # 50: 中 both; 吃请 10×100 = 1000 both: no difference at all
  - {id: H, 类别: 管理, 运行次数: 5,   裁量: 1, 透明: 1, 事件: [{类型: 吃请, 金额: 50}, {类型: 经商}]}
    # 20: 低 both; old 吃请 500 + 经商 1000; new 吃请 500 only
"""


@pytest.fixture
def pair(write) -> tuple[Path, Path, Path]:
    return write("old.policy", OLD), write("new.policy", NEW), write("case.yaml", CASE)


def test_changes_are_listed_exactly(pair) -> None:
    old, new, _ = pair
    d = pe.diff(str(old), str(new)).to_dict()
    assert [(c["kind"], c["name"], c["change"]) for c in d["changes"]] == [
        ("header", "version", "modified"),
        ("table", "频率系数", "modified"),
        ("grade", "档次", "modified"),
        ("sanction", "经商", "removed"),
    ]
    version, table, grade, sanction = d["changes"]
    assert (version["old"], version["new"]) == ('version "1"', 'version "2"')
    old_model, new_model = resolve(old), resolve(new)
    assert table["old"] == dsl.declaration(old_model.find("table", "频率系数"))
    assert table["new"] == dsl.declaration(new_model.find("table", "频率系数"))
    assert "| >= 500" in table["new"] and "| >= 500" not in table["old"]
    assert grade["old"] == dsl.declaration(old_model.find("grade", "档次"))
    assert "得分 >= 90" in grade["new"]
    assert sanction["old"].startswith("sanction 经商 when any(") and sanction["new"] is None
    assert d["old"]["id"] == d["new"]["id"] == "demo"
    assert (d["old"]["version"], d["new"]["version"]) == ("1", "2")
    assert d["old"]["digest"].startswith("sha256:") and d["old"]["digest"] != d["new"]["digest"]
    assert "impact" not in d


def test_impact_on_the_case(pair) -> None:
    old, new, case = pair
    imp = pe.diff(pe.load_ruleset(old), pe.load_ruleset(new), cases=[pe.load_case(case)]).to_dict()["impact"]
    assert imp["items"] == 8
    assert imp["regraded"] == 3  # C, D, E
    # old: A 高 B 中 C 高 D 高 E 低 F 低 G 中 H 低; new: A 高 B 中 C 中 D 中 E 中 F 低 G 中 H 低
    assert imp["migration"] == {"档次": {"高": {"高": 1, "中": 2}, "中": {"中": 2}, "低": {"中": 1, "低": 2}}}
    assert imp["levels"] == {"档次": {"old": {"高": 3, "中": 2, "低": 3}, "new": {"高": 1, "中": 5, "低": 2}}}
    assert imp["verdict"] == {"档次": {"verdict": "mixed", "stricter": ["E"], "more_lenient": ["C", "D"]}}
    assert imp["scales"] == {"added": [], "removed": []}
    changed = {i["id"]: i for i in imp["items_changed"]}
    assert list(changed) == ["A", "B", "C", "D", "E", "F", "H"]  # G differs in nothing
    assert changed["A"]["values"] == {"频率系数": [D("1.2"), D("1.3")], "得分": [D(96), D(104)]}
    assert changed["A"]["grades"] == {}
    assert changed["B"]["values"] == {"频率系数": [D("1.2"), D("1.1")], "得分": [D(72), D(66)]}
    assert changed["C"] == {"case": str(case), "id": "C", "grades": {"档次": ["高", "中"]}, "values": {}}
    assert changed["D"]["grades"] == {"档次": ["高", "中"]}
    assert changed["D"]["values"] == {"频率系数": [D("1.2"), D("1.1")], "得分": [D(96), D(88)]}
    assert changed["E"]["grades"] == {"档次": ["低", "中"]} and changed["E"]["values"] == {}
    assert changed["F"]["values"] == {"频率系数": [D("1.2"), D("1.3")], "得分": [D(36), D(39)]}
    assert changed["H"]["values"] == {} and changed["H"]["grades"] == {}
    eat = {"rule": "吃请", "fine": D(500), "actions": ["经济处罚"], "warning": None}
    assert changed["H"]["sanctions"] == [[eat, {"rule": "经商", "fine": D(1000), "actions": ["诫勉谈话"],
                                                "warning": None}],
                                         [eat]]
    assert all("sanctions" not in changed[k] for k in "ABCDEF")
    # old: G 1000 + H (500 + 1000) = 2500; new: G 1000 + H 500 = 1500
    assert imp["fines"] == {"old": D(2500), "new": D(1500)}


def test_a_sanction_that_only_does_something_else_changes_the_item(pair, write) -> None:
    """Same rule, same fine, but 诫勉谈话 added and a yellow warning: the items it fires on
    changed (they used to be left out, as only rule and fine were compared)."""
    old, _, case = pair
    stricter = write("stricter.policy", """\
ruleset demo
version "3"
extends "old.policy"

sanction 吃请 for e in 事件 where e.类型 == "吃请" {
  fine 10 * e.金额
  action "经济处罚", "诫勉谈话"
  warning yellow
}
""")
    d = pe.diff(str(old), str(stricter), cases=[str(case)])
    imp = d.to_dict()["impact"]
    changed = {i["id"]: i for i in imp["items_changed"]}
    assert list(changed) == ["G", "H"]  # the two items with a 吃请 event
    # G: one 吃请 of 100 → fine 10 × 100 = 1000 in both versions
    assert changed["G"]["sanctions"] == [
        [{"rule": "吃请", "fine": D(1000), "actions": ["经济处罚"], "warning": None}],
        [{"rule": "吃请", "fine": D(1000), "actions": ["经济处罚", "诫勉谈话"], "warning": "yellow"}]]
    assert changed["G"]["values"] == {} and changed["G"]["grades"] == {}
    # fines unchanged: G 1000 + H (500 + 1000) = 2500 in both
    assert imp["fines"] == {"old": D(2500), "new": D(2500)} and imp["regraded"] == 0
    table = d.to_table()
    assert "吃请 1000 (经济处罚) → 吃请 1000 (经济处罚、诫勉谈话、warning yellow)" in table


def test_a_record_value_shows_the_columns_that_changed(write) -> None:
    base = """\
ruleset rec
version "{v}"
input 类别: text
table 标准 {{
  | 类别 || 扣分 | 等次 |
  | "甲" || {points} | "重" |
  | -    || 0    | "轻" |
}}
let 分 = 标准.扣分 * 2
"""
    old = write("rec1.policy", base.format(v=1, points=5))
    new = write("rec2.policy", base.format(v=2, points=6))
    case = write("rec.yaml", "items:\n  - {id: M, 类别: 甲}\n  - {id: N, 类别: 乙}\n")
    d = pe.diff(str(old), str(new), cases=[str(case)])
    # M: 扣分 5 → 6, 分 = 2 × 扣分: 10 → 12; N takes row 2 in both versions: no change
    [m] = d.to_dict()["impact"]["items_changed"]
    assert m["id"] == "M"
    assert m["values"] == {"标准": [{"扣分": D(5), "等次": "重"}, {"扣分": D(6), "等次": "重"}],
                           "分": [D(10), D(12)]}
    assert "标准.扣分: 5 → 6; 分: 10 → 12" in d.to_table()


def test_cli_json_table_and_exit_codes(pair) -> None:
    old, new, case = pair
    first = cli("diff", str(old), str(new), "--cases", str(case), "--format", "json", "--exit-code")
    assert first.returncode == 1, first.stderr
    again = cli("diff", str(old), str(new), "--cases", str(case), "--format", "json")
    assert again.returncode == 0
    assert first.stdout == again.stdout  # deterministic: same bytes
    data = json.loads(first.stdout)
    assert data["impact"]["regraded"] == 3
    assert data["impact"]["fines"] == {"old": 2500, "new": 1500}
    table = cli("diff", str(old), str(new), "--cases", str(case), "--format", "table")
    assert table.returncode == 0
    lines = table.stdout.splitlines()
    assert "- sanction 经商 (removed)" in lines
    assert "verdict: mixed" in lines
    assert "fines: 2500 → 1500" in lines
    row = next(line for line in lines if line.startswith("高 "))
    assert row.split() == ["高", "1", "2", "·", "3"]  # 高 -> 高 1, -> 中 2, -> 低 none; 3 before


def test_self_diff_is_empty(pair) -> None:
    _, new, case = pair
    d = pe.diff(str(new), str(new), cases=[str(case)])
    assert not d.differs and d.changes == []
    assert d.to_dict()["impact"]["items_changed"] == []
    assert d.to_dict()["impact"]["verdict"]["档次"]["verdict"] == "unchanged"
    run = cli("diff", str(new), str(new), "--cases", str(case), "--exit-code", "--format", "table")
    assert run.returncode == 0, run.stderr
    assert "no structural changes" in run.stdout


def test_layout_comments_and_number_spelling_are_not_changes(write) -> None:
    base = write("a.policy", """\
        ruleset r
        input 次数: integer >= 0
        let 分 = 次数 * 15% + 1
        levels 级 [高, 低]
        grade 级 {
          分 > 10 -> 高
          otherwise -> 低
        }
        """)
    same = write("b.policy", """\
        # the same ruleset, written differently
        ruleset r

        input 次数 : integer>=0    # runs per year
        let 分 = (次数 * 0.15) + 1.0
        levels 级 [高, 低]
        grade 级 {
          分 > 10      -> 高   # high
          otherwise   -> 低
        }
        """)
    assert pe.diff(str(base), str(same)).changes == []


def test_extends_is_resolved_before_comparing(write) -> None:
    # a child that re-declares a parent's table word for word changes nothing
    parent = write("p.policy", "ruleset r\ninput x: number\nlet y = x * 2\n")
    child = write("c.policy", 'ruleset r\nextends "p.policy"\nlet y = x * 2\n')
    assert pe.diff(str(parent), str(child)).changes == []


def test_added_let_and_input_removed_from_case_view(write) -> None:
    old = write("o.policy", "ruleset r\ninput x: number\ninput 旧: number = 0\nlet y = x * 2\n")
    new = write("n.policy", "ruleset r\ninput x: number\nlet y = x * 3\nlet z = y + 1\n")
    case = write("c.yaml", "items:\n  - {id: A, x: 2, 旧: 5}\n")
    d = pe.diff(str(old), str(new), cases=[str(case)]).to_dict()
    assert [(c["kind"], c["name"], c["change"]) for c in d["changes"]] == [
        ("input", "旧", "removed"), ("let", "y", "modified"), ("let", "z", "added")]
    # 旧 is still in the case: the new version ignores it instead of failing; y 2×2=4 -> 2×3=6,
    # and z (new only) is not a value pair
    assert d["impact"]["items_changed"] == [{"case": str(case), "id": "A", "grades": {}, "values": {"y": [4, 6]}}]


def test_missing_input_is_named_not_guessed(pair, write) -> None:
    old, _, case = pair
    newer = write("newer.policy", 'ruleset demo\nextends "old.policy"\ninput 岗位: one of ["领导", "一般"]\n')
    with pytest.raises(CaseError) as err:
        pe.diff(str(old), str(newer), cases=[str(case)])
    assert err.value.code == "PE701"
    assert "'岗位'" in err.value.message and str(case) in err.value.message
    assert err.value.item == "A"
    run = cli("diff", str(old), str(newer), "--cases", str(case))
    assert run.returncode == 2
    assert "error[PE701]" in run.stderr and "'岗位'" in run.stderr and "case.yaml" in run.stderr
    assert "Traceback" not in run.stderr
    with pytest.raises(CaseError) as err:  # the same case, the versions the other way round
        pe.diff(str(newer), str(old), cases=[str(case)])
    assert err.value.code == "PE701" and "the old ruleset" in err.value.message


def test_table_lists_at_most_the_cap(pair, monkeypatch) -> None:
    # the module itself: the package attribute `policyengine.diff` is the function
    diff_module = importlib.import_module("policyengine.diff")
    old, new, case = pair
    monkeypatch.setattr(diff_module, "ITEMS_SHOWN", 2)
    table = pe.diff(str(old), str(new), cases=[str(case)]).to_table()
    assert "changed items (7):" in table
    assert "… 5 more (all of them with --format json)" in table


def test_scales_in_one_version_only(write) -> None:
    old = write("o.policy", "ruleset r\ninput x: number\nlevels 甲 [高, 低]\ngrade 甲 {\n  x > 1 -> 高\n"
                            "  otherwise -> 低\n}\n")
    new = write("n.policy", "ruleset r\ninput x: number\nlevels 乙 [高, 低]\ngrade 乙 {\n  x > 1 -> 高\n"
                            "  otherwise -> 低\n}\n")
    case = write("c.yaml", "items:\n  - {id: A, x: 2}\n")
    d = pe.diff(str(old), str(new), cases=[str(case)])
    imp = d.to_dict()["impact"]
    assert imp["scales"] == {"added": ["乙"], "removed": ["甲"]}
    assert imp["migration"] == {} and imp["regraded"] == 0
    assert d.differs


def test_case_folders(pair, write) -> None:
    old, new, _ = pair
    write("cases/sub/two.yml", "items:\n  - {id: Z, 类别: 执法, 运行次数: 0, 裁量: 1, 透明: 1}\n")
    write("cases/one.json", '{"items": [{"id": "Y", "类别": "执法", "运行次数": 600, "裁量": 5, "透明": 5}]}')
    write("cases/one.expected.json", "{}")
    write("cases/notes.txt", "not a case")
    folder = old.parent / "cases"
    assert [p.name for p in find_case_files([folder])] == ["one.json", "two.yml"]
    imp = pe.diff(str(old), str(new), cases=[folder]).to_dict()["impact"]
    assert imp["items"] == 2
    # Y: 100 × 1.2 = 120 -> 100 × 1.3 = 130, 高 both; Z: 20 低 both
    assert imp["items_changed"] == [{"case": str(folder / "one.json"), "id": "Y", "grades": {},
                                     "values": {"频率系数": [D("1.2"), D("1.3")], "得分": [D(120), D(130)]}}]
    # a file named again after its folder is one case, not two: still 2 items, 1 changed
    again = pe.diff(str(old), str(new), cases=[folder, folder / "one.json"]).to_dict()["impact"]
    assert again["items"] == 2 and len(again["items_changed"]) == 1 and again["cases"] == imp["cases"]
    empty = old.parent / "empty"
    empty.mkdir()
    with pytest.raises(CaseError) as err:
        pe.diff(str(old), str(new), cases=[empty])
    assert err.value.code == "PE702"


def test_the_changed_items_table_has_a_sanctions_column_only_when_one_changed(pair, write) -> None:
    old, new, case = pair
    # with the pair, H loses its 经商 firing: old 吃请 500 + 经商 1000, new 吃请 500 only
    header = _changed_items_header(pe.diff(str(old), str(new), cases=[str(case)]).to_table())
    assert header.split() == ["id", "grades", "values", "sanctions"]
    # a version whose 1.2 band starts at 700 runs instead of 100 changes values only:
    # A (600 runs) 80 × 1.0 = 80, was 96, 高 both; B (200) 60, was 72, 中 both; D (150) 80, was 96,
    # 高 both; F (700) keeps 1.2; the others ran fewer than 100 times in both versions
    later = write("later.policy", OLD.replace('version "1"', 'version "4"').replace(">= 100", ">= 700"))
    d = pe.diff(str(old), str(later), cases=[str(case)])
    assert [i["id"] for i in d.to_dict()["impact"]["items_changed"]] == ["A", "B", "D"]
    assert _changed_items_header(d.to_table()).split() == ["id", "grades", "values"]


def _changed_items_header(table: str) -> str:
    return table.split("changed items (", 1)[1].splitlines()[1]


def test_removed_declarations_keep_their_old_place() -> None:
    assert _appearance_order(["a", "b", "c", "d"], ["a", "d", "e"]) == ["a", "b", "c", "d", "e"]
    assert _appearance_order(["x", "a"], ["a"]) == ["x", "a"]
    assert _appearance_order(["a", "b"], ["b", "a"]) == ["b", "a"]


def test_shipped_tax_revision() -> None:
    d = pe.diff("tax@2010", "tax@2011").to_dict()
    kinds = [(c["kind"], c["name"], c["change"]) for c in d["changes"]]
    assert ("table", "运行频率系数", "modified") in kinds
    assert ("sanction", "收受礼金", "added") in kinds
    assert not any(k in ("input", "dimension", "let", "levels", "grade") for k, _, _ in kinds)


def test_the_per_scale_block_and_the_regraded_count_are_one_each_for_diff_and_compare() -> None:
    from decimal import Decimal

    from policyengine.compare import COMPARE_WORDS
    from policyengine.migration import DIFF_WORDS, ItemChange, ScaleImpact, regraded, scale_blocks

    # levels 高 > 中 > 低 (most severe first); A 中→高 (stricter), B 高→低 (milder), C 低→低
    s = ScaleImpact("档", ("高", "中", "低"), ("高", "中", "低"), {})
    for item_id, before, after in (("A", "中", "高"), ("B", "高", "低"), ("C", "低", "低")):
        s.move(item_id, before, after)
    assert scale_blocks([s], DIFF_WORDS) == {
        "migration": {"档": {"高": {"低": 1}, "中": {"高": 1}, "低": {"低": 1}}},
        "levels": {"档": {"old": {"高": 1, "中": 1, "低": 1}, "new": {"高": 1, "中": 0, "低": 2}}},
        "verdict": {"档": {"verdict": "mixed", "stricter": ["A"], "more_lenient": ["B"]}},
    }
    assert scale_blocks([s], COMPARE_WORDS)["verdict"] == {"档": {"verdict": "mixed", "up": ["A"], "down": ["B"]}}
    changes = [ItemChange(None, "A", None, {"档": ("中", "高")}, {}), ItemChange(None, "D", None, {}, {"x": (1, 2)})]
    assert regraded(changes) == 1  # D changed a value only
    # the diff's and the comparison's JSON take their block and count from these, not copies
    diff, compare = importlib.import_module("policyengine.diff"), importlib.import_module("policyengine.compare")
    impact = diff.Impact([None], 3, [s], [], [], changes, Decimal(0), Decimal(0),
                         [diff.RollupImpact("单位", 2, [s], changes)])
    data = impact.to_dict()
    assert data["regraded"] == 1 and data["rollups"]["单位"]["regraded"] == 1
    assert {k: data[k] for k in ("migration", "levels", "verdict")} == scale_blocks([s], DIFF_WORDS)
    assert {k: data["rollups"]["单位"][k] for k in ("migration", "levels", "verdict")} == scale_blocks([s], DIFF_WORDS)
    assert compare.regraded is regraded and compare.scale_blocks is scale_blocks

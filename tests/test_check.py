"""Checker: names, types, cycles and lint, each with its stable code and location."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from policyengine.check import analyse
from policyengine.errors import ParseError
from policyengine.parse import parse_text
from policyengine.resolve import resolve


def diagnostics(text: str) -> list[tuple[str, str, int, str]]:
    an = analyse(parse_text(textwrap.dedent(text), "t.policy"))
    return [(d.severity, d.code, d.line, d.message) for d in an.diagnostics]


def codes(text: str) -> list[str]:
    return [c for _, c, _, _ in diagnostics(text)]


BASE = """\
input 权力类别: one of ["执法权", "行政管理权"]
input 运行次数: integer >= 0
input 事件: list of {类型: text, 金额: number = 0}
dimension 透明度: 1..5
levels 风险等级 [三级 red, 二级 orange, 一级 yellow]
"""


def test_a_clean_ruleset_has_no_diagnostics() -> None:
    assert diagnostics(BASE + """\
let 分 = sum(dimensions) * 运行次数 + sum(e.金额 for e in 事件)
grade 风险等级 {
  权力类别 == "执法权" and 分 > 10 -> 三级
  分 > 5                          -> 二级
  otherwise                      -> 一级
}
""") == []


def test_unknown_name_with_did_you_mean() -> None:
    found = diagnostics(BASE + "let 分 = 运行次素 * 2\n")
    assert ("error", "PE101", 6, "unknown name '运行次素' (did you mean '运行次数'?)") in found


def test_an_unquoted_value_of_a_one_of_input_says_how_to_write_the_text() -> None:
    # 执法权 is a value of 权力类别; written bare it is a name, and the fix is the quotes
    # (the value match wins over a did-you-mean, which would suggest an unrelated name)
    found = diagnostics(BASE + "let 分 = if 权力类别 == 执法权 then 1 else 0\n")
    assert ("error", "PE101", 6, "unknown name '执法权' ('执法权' is one of the values of 权力类别: "
            "as text it is written in double quotes, \"执法权\")") in found
    from policyengine.yamlform import parse_yaml_text

    yaml_text = ("ruleset: t\nversion: \"1\"\ninputs:\n  类别: {type: one of, values: [财务, 其他]}\n"
                 "tables:\n  分:\n    inputs: [类别]\n    outputs: [分]\n    rows:\n"
                 "      - [财务, 3]\n      - [\"-\", 0]\n")
    an = analyse(parse_yaml_text(yaml_text, "t.yaml"))
    # in YAML the quotes must be inside YAML's own: '"财务"'
    assert [(d.code, d.line, d.column, d.message) for d in an.errors] == [
        ("PE101", 10, 10, "unknown name '财务' ('财务' is one of the values of 类别: as text it is "
                          "written in double quotes, '\"财务\"')")]


def test_unknown_field_and_function() -> None:
    found = diagnostics(BASE + "let a = sum(e.金颜 for e in 事件)\nlet b = rnd(运行次数)\n")
    messages = [m for _, c, _, m in found if c in ("PE101", "PE106")]
    assert any("no field '金颜' (did you mean '金额'?)" in m for m in messages)
    assert any("unknown function 'rnd' (did you mean 'round'?)" in m for m in messages)


@pytest.mark.parametrize(("expr", "words"), [
    ('运行次数 + "a"', "right side of '+' must be number, not text"),
    ("if 运行次数 then 1 else 2", "an 'if' condition must be bool, not number"),
    ('if 运行次数 > 1 then 1 else "x"', "'then' gives number but 'else' gives text"),
    ("权力类别 > 3", "cannot compare text with number"),
    ("风险等级 >= 运行次数", "unknown name '风险等级'"),
    ("count(e in 运行次数 where true)", "needs a list, not number"),
    ("round(运行次数, 2.5)", "round() keeps a whole number of digits"),
])
def test_type_errors(expr: str, words: str) -> None:
    found = diagnostics(BASE + f"let a = {expr}\n")
    assert any(words in m for sev, _, _, m in found if sev == "error"), found


def test_level_comparisons_are_typed_by_scale() -> None:
    text = BASE + """\
levels 档次 [高 red, 低 green]
grade 风险等级 {
  otherwise -> 一级
}
grade 档次 {
  otherwise -> 低
}
let ok = 风险等级 >= 二级
let bad = 风险等级 == 高
"""
    found = diagnostics(text)
    errors = [(c, m) for sev, c, _, m in found if sev == "error"]
    assert errors == [("PE104", "cannot compare level of 风险等级 with level of 档次")]


def test_unknown_level_in_grade_and_supervision() -> None:
    found = diagnostics(BASE + """\
grade 风险等级 {
  otherwise -> 四级
}
supervision 风险等级 {
  二极 -> "x"
}
""")
    msgs = [m for sev, c, _, m in found if c == "PE103"]
    assert "'四级' is not a level of 风险等级 (did you mean '二级'?) (levels: 三级, 二级, 一级)" in msgs
    assert "'二极' is not a level of 风险等级 (did you mean '二级'?) (levels: 三级, 二级, 一级)" in msgs


def test_cycle_is_reported_with_its_path() -> None:
    found = diagnostics("input a: number\nlet x = y + a\nlet y = z * 2\nlet z = x\n")
    assert ("error", "PE105", 2, "dependency cycle: x -> y -> z -> x") in found


def test_cycle_through_a_ranking_grade() -> None:
    found = diagnostics("""\
input a: number
levels L [hi red, lo green]
let s = if L == hi then a else 0
grade L {
  top 1 by s -> hi
  otherwise  -> lo
}
""")
    assert any(c == "PE105" and ("s -> L -> s" in m or "L -> s -> L" in m) for _, c, _, m in found)


def test_lint_unused_input_unreachable_lines_overlaps() -> None:
    found = diagnostics(BASE + """\
input 未用: text
table T hit unique {
  | 运行次数   || 系数 |
  | >= 100    || 1.2  |
  | [50..150] || 1.1  |
  | < 50      || 1.0  |
}
table F {
  | 运行次数 || 系数 |
  | -       || 1    |
  | > 5     || 2    |
}
let a = T * F * sum(dimensions) + count(e in 事件 where true)
grade 风险等级 {
  a > 1     -> 三级
  otherwise -> 二级
  a > 0     -> 一级
}
""")
    warnings = {(c, ln): m for sev, c, ln, m in found if sev == "warning"}
    assert warnings[("PE201", 6)] == "input '未用' is never used"
    assert "rows at lines 9 and 10 of unique table 'T' can both match" in warnings[("PE202", 10)]
    assert ("PE203", 16) in warnings  # the row after '-' in a first-hit table
    assert warnings[("PE203", 22)].startswith("this line can never apply")
    assert not [c for sev, c, _, _ in found if sev == "error"]


def test_incomplete_unique_table_over_an_enum() -> None:
    found = diagnostics(BASE + """\
table T hit unique {
  | 权力类别 || 系数 |
  | "执法权" || 1.2  |
}
let a = T * sum(dimensions) * 运行次数 + count(e in 事件 where true)
""")
    assert ("warning", "PE204", 6, "unique table 'T' has no row for 权力类别 = 行政管理权") in found


@pytest.mark.parametrize(("table", "gap"), [
    # number column with no bounds: rows cover < 5, [10..20] and >= 10; 5 up to 10 is left
    ("| 金额 || v |\n| >= 10 || 1 |\n| < 5 || 0 |", "金额 in [5..10)"),
    # integer >= 0: [0..10), [10..100), [100..1000], (1000..100000]: nothing above 100000
    ("| 次数 || v |\n| [0..10) || 1 |\n| [10..100) || 2 |\n| [100..1000] || 3 |\n| (1000..100000] || 4 |",
     "次数 > 100000"),
    # a dimension is any number in 1..5: [1..3) and (3..5] leave out exactly 3
    ("| 透明度 || v |\n| [1..3) || 1 |\n| (3..5] || 2 |", "透明度 = 3"),
    # two columns: 执法权 × anything, 行政管理权 only when 领导 is true
    ("| 权力类别 | 领导 || v |\n| \"执法权\" | - || 1 |\n| \"行政管理权\" | true || 2 |",
     "权力类别 = 行政管理权, 领导 = false"),
    # an enum and a number: 行政管理权 covered on [1..3] only; (3..5] missing, the rest whole
    ("| 权力类别 | 透明度 || v |\n| \"执法权\" | - || 1 |\n| != \"执法权\" | [1..3] || 2 |",
     "权力类别 = 行政管理权, 透明度 in (3..5]"),
    # two numbers: 透明度 < 3 with 次数 < 5, or 次数 >= 7: integers 5 and 6 below 3 are missing
    ("| 透明度 | 次数 || v |\n| >= 3 | - || 1 |\n| < 3 | < 5 || 1 |\n| - | >= 7 || 1 |",
     "透明度 in [1..3), 次数 in [5..7)"),
])
def test_incomplete_unique_table_over_numbers_and_several_columns(table: str, gap: str) -> None:
    found = diagnostics(BASE.replace("input 运行次数: integer >= 0\n",
                                     "input 次数: integer >= 0\ninput 金额: number\ninput 领导: bool\n")
                        + f"table T hit unique {{\n{table}\n}}\n")
    assert [m for _, c, _, m in found if c == "PE204"] == [f"unique table 'T' has no row for {gap}"]


@pytest.mark.parametrize("table", [
    "| 次数 || v |\n| <= 9 || 1 |\n| >= 10 || 2 |",  # whole numbers: nothing between 9 and 10
    "| 金额 || v |\n| < 0 || 1 |\n| [0..100] || 2 |\n| > 100 || 3 |",
    "| 透明度 || v |\n| [1..3) || 1 |\n| [3..5] || 2 |",
    "| 领导 | 权力类别 || v |\n| true | - || 1 |\n| false | \"执法权\" || 2 |\n| false | != \"执法权\" || 3 |",
    "| 金额 | 事件 || v |\n| > 0 | - || 1 |",  # a list column: not analysed, no claim
])
def test_a_complete_or_unanalysable_unique_table_has_no_gap_warning(table: str) -> None:
    found = diagnostics(BASE.replace("input 运行次数: integer >= 0\n",
                                     "input 次数: integer >= 0\ninput 金额: number\ninput 领导: bool\n")
                        + f"table T hit unique {{\n{table}\n}}\n")
    assert [m for _, c, _, m in found if c == "PE204"] == []


def test_matrix_labels_are_checked_against_the_inputs() -> None:
    found = diagnostics("""\
input 几率: one of ["高", "低"]
input 危害: one of ["严重", "轻微"]
levels L [三级 red, 一级 yellow]
grade L by matrix 几率 x 危害 {
  |    | 严重 | 轻微 |
  | 高 | 三级 | 三级 |
  | 底 | 三级 | 一级 |
}
""")
    assert any(c == "PE111" and m == "'底' is not a value of 几率" for _, c, _, m in found)


def test_extends_override_and_remove(tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text(textwrap.dedent("""\
        ruleset t "T"
        version "1"
        input x: number
        let y = x * 2
        sanction s when x > 1 {
          action "a"
        }
        """), encoding="utf-8")
    (tmp_path / "b.policy").write_text(textwrap.dedent("""\
        extends "a.policy"
        version "2"
        remove sanction s
        let y = x * 3
        let z = y + 1
        """), encoding="utf-8")
    rs = resolve(tmp_path / "b.policy")
    assert (rs.id, rs.title, rs.version) == ("t", "T", "2")
    assert [d.name for d in rs.lets] == ["y", "z"]
    assert rs.lets[0].span.file.endswith("b.policy")
    assert rs.sanctions == []


def test_extends_errors(tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text('extends "b.policy"\n', encoding="utf-8")
    (tmp_path / "b.policy").write_text('extends "a.policy"\n', encoding="utf-8")
    (tmp_path / "c.policy").write_text('extends "nope.policy"\n', encoding="utf-8")
    (tmp_path / "d.policy").write_text('extends "e.policy"\nremove let zz\n', encoding="utf-8")
    (tmp_path / "e.policy").write_text("let z = 1\n", encoding="utf-8")
    with pytest.raises(ParseError, match="extends cycle"):
        resolve(tmp_path / "a.policy")
    with pytest.raises(ParseError, match=r"file not found: nope\.policy") as info:
        resolve(tmp_path / "c.policy")
    assert info.value.line == 1
    with pytest.raises(ParseError, match=r"remove let 'zz'.*did you mean 'z'"):
        resolve(tmp_path / "d.policy")


def test_every_shipped_ruleset_checks_clean() -> None:
    root = Path(__file__).resolve().parent.parent / "rulesets"
    files = sorted([*root.glob("*/*.policy"), *root.glob("*/*.yaml")])
    assert files, "no shipped rulesets found"
    for f in files:
        an = analyse(resolve(f))
        assert not an.errors, (f, [d.render() for d in an.errors])


@pytest.mark.parametrize(("decl", "code", "words"), [
    # a default fills an item that leaves the field out, so it must be a value the case could give
    ("input a: integer >= 0 = -1", "PE112", "default -1 is below the minimum >= 0"),
    ("input a: integer = 1.5", "PE112", "default must be a whole number, not 1.5"),
    ("input a: 1..5 = 7", "PE112", "default 7 is outside 1..5"),
    ("input a: number > 0 <= 100% = 2", "PE112", "default 2 is above the maximum <= 100% (= 1)"),
    # `one of [1, 2, 3]` lists text labels, so the default is the text "1"
    ("input a: one of [1, 2, 3] = 1", "PE104",
     "default must be text, not number: write it as the text \"1\", like the values of 'one of'"),
    ('input a: one of ["执法权", "行政管理权"] = "执法"', "PE104",
     "default must be one of 执法权, 行政管理权, not text \"执法\" (did you mean '执法权'?)"),
    ("input e: list of {金额: number >= 0 = -5}", "PE112", "default -5 is below the minimum >= 0"),
])
def test_defaults_must_satisfy_their_type(decl: str, code: str, words: str) -> None:
    found = diagnostics(decl + "\n")
    assert ("error", code, 1, words) in found, found


def test_defaults_that_fit_are_clean() -> None:
    text = """\
input a: integer >= 0 <= 10 = 10
input b: one of ["x", "y"] = "y"
input c: date = 2020-01-01
input d: bool = true
input e: list of {x: 1..5 = 3, y: number > 0 = 0.5, 类型: text = "一般"}
let z = if d and b == "y" and c > 2019-12-31 then a + len(e) else 0
"""
    assert [d for d in diagnostics(text) if d[0] == "error"] == []


def test_remove_without_extends_and_unknown_warning_color() -> None:
    found = diagnostics('input x: number\nremove let y\nsanction s when x > 1 {\n  warning rde\n}\n')
    assert ("error", "PE109", 2, "remove let 'y': this ruleset has no 'extends' parent to remove it "
            "from") in found
    assert ("error", "PE110", 3, "'warning rde': not a color (red, orange, yellow, blue, green), and no "
            "grade assigns a scale of that name (did you mean 'red'?)") in found


def test_a_level_written_as_text_gets_a_hint() -> None:
    found = diagnostics(BASE + 'grade 风险等级 {\n  otherwise -> 一级\n}\nlet a = 风险等级 == "三级"\n'
                        'let b = "四级" != 风险等级\n')
    errors = [(c, line, m) for sev, c, line, m in found if sev == "error"]
    # 三级 is a level of the scale: say how to write it; 四级 is not, so no hint
    assert errors == [("PE104", 9, "cannot compare level of 风险等级 with text (write the level without "
                       "quotes: 三级)"), ("PE104", 10, "cannot compare text with level of 风险等级")]


def test_extends_from_a_subfolder_names_the_parent_plainly(tmp_path: Path) -> None:
    (tmp_path / "a.policy").write_text("input 分: number\nlet 得分 = 分 * 2\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.policy").write_text('extends "../a.policy"\nremove input 分\n', encoding="utf-8")
    an = analyse(resolve(tmp_path / "sub" / "b.policy"))
    (err,) = an.errors
    # the parent's let now names a removed input: located in the parent, path without "sub/.."
    assert (err.code, err.file, err.line) == ("PE101", str(tmp_path / "a.policy"), 2)
    assert err.message == "unknown name '分' (did you mean '得分'?)"


# ---------------------------------------------------------------- issue 14: catch-alls and level order

USE = "let a = sum(dimensions) * 运行次数 + count(e in 事件 where true)\n"


def test_a_first_table_without_a_catch_all_that_misses_values_is_warned() -> None:
    # 运行次数 is an integer >= 0: rows < 10 and >= 100 miss 10..99
    found = diagnostics(BASE + """\
table T {
  | 运行次数 || 系数 |
  | < 10     || 1    |
  | >= 100   || 2    |
}
let b = T * (if 权力类别 == "执法权" then 1 else 2)
""" + USE)
    assert ("warning", "PE230", 6,
            "first table 'T' has no catch-all row ('-') and no row for 运行次数 in [10..100): "
            "such an item stops the evaluation") in found


def test_a_first_table_that_covers_its_inputs_or_has_a_dash_row_is_not_warned() -> None:
    for rows in ("  | < 10 || 1 |\n  | >= 10 || 2 |\n", "  | < 10 || 1 |\n  | - || 2 |\n"):
        found = codes(BASE + "table T {\n  | 运行次数 || 系数 |\n" + rows + "}\n"
                      "let b = T * (if 权力类别 == \"执法权\" then 1 else 2)\n" + USE)
        assert "PE230" not in found, rows


def test_a_grade_without_otherwise_names_what_its_lines_miss() -> None:
    found = diagnostics(BASE + """\
grade 风险等级 {
  透明度 >= 4 -> 三级
  透明度 < 2 -> 一级
}
""" + USE.replace("sum(dimensions) * ", "") + "let c = if 权力类别 == \"执法权\" then 1 else 2\n")
    # 透明度 is 1..5: the lines cover [1..2) and [4..5], not [2..4)
    assert ("warning", "PE231", 6, "grade '风险等级' has no 'otherwise' line and no line for 透明度 in [2..4): "
            "such an item stops the evaluation (add 'otherwise -> LEVEL')") in found


def test_a_grade_without_otherwise_is_warned_when_its_cover_cannot_be_worked_out() -> None:
    found = diagnostics(BASE + """\
grade 风险等级 {
  透明度 >= 4 and 运行次数 > 10 -> 三级
  透明度 < 4 -> 一级
}
""" + USE + "let c = if 权力类别 == \"执法权\" then 1 else 2\n")
    assert ("warning", "PE231", 6, "grade '风险等级' has no 'otherwise' line: an item that matches none of "
            "its lines stops the evaluation (add 'otherwise -> LEVEL')") in found


def test_a_grade_whose_lines_cover_every_value_is_not_warned() -> None:
    found = codes(BASE + "grade 风险等级 {\n  透明度 >= 4 -> 三级\n  透明度 < 4 -> 一级\n}\n" + USE
                  + "let c = if 权力类别 == \"执法权\" then 1 else 2\n")
    assert "PE231" not in found


def test_comparing_levels_by_order_names_the_levels_meant() -> None:
    found = diagnostics(BASE + "grade 风险等级 {\n  透明度 >= 4 -> 三级\n  otherwise -> 一级\n}\n"
                        "let 重点 = 风险等级 >= 二级\nlet 轻 = 风险等级 < 二级\n" + USE
                        + "let c = if 权力类别 == \"执法权\" then 1 else 2\n")
    # levels listed [三级, 二级, 一级], 三级 the most severe: >= 二级 is 三级 or 二级; < 二级 is 一级
    assert [m for _s, c, _l, m in found if c == "PE232"] == [
        "levels compare by severity, the first listed (三级) the most severe: 风险等级 >= 二级 means "
        "风险等级 in [三级, 二级]; write that, which reads the same to everyone",
        "levels compare by severity, the first listed (三级) the most severe: 风险等级 < 二级 means "
        "风险等级 in [一级]; write that, which reads the same to everyone"]


def test_the_shipped_rulesets_trip_none_of_the_new_lints() -> None:
    root = Path(__file__).resolve().parent.parent / "rulesets"
    for path in sorted(root.glob("*/*.policy")):
        found = [d for d in analyse(resolve(path)).diagnostics if d.code in ("PE230", "PE231", "PE232")]
        assert not found, (path, [d.render() for d in found])

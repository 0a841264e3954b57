"""Parser: every construct of SPEC §2 becomes the right model node, with its span;
malformed text gives a located ParseError."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from policyengine.errors import ParseError
from policyengine.model import (
    Binary,
    Call,
    Comprehension,
    DecisionTable,
    Grade,
    IfExpr,
    Let,
    Literal,
    Member,
    Name,
    Sanction,
)
from policyengine.parse import parse_text

HEADER = """\
ruleset tax "国税系统廉政风险评估"       # id and title
version "2011"
effective 2011-01-01
extends "2010.policy"
remove sanction 参与经商
source "000 第一篇 四步工作法"
source "000 第一篇 三"
subject 风险点
"""


def test_header() -> None:
    rs = parse_text(HEADER)
    assert rs.id == "tax"
    assert rs.title == "国税系统廉政风险评估"
    assert rs.version == "2011"
    assert rs.effective == dt.date(2011, 1, 1)
    assert rs.extends == "2010.policy"
    assert [(r.kind, r.name) for r in rs.removes] == [("sanction", "参与经商")]
    assert rs.sources == ("000 第一篇 四步工作法", "000 第一篇 三")
    assert rs.subject == "风险点"
    assert rs.comments[0].text == "# id and title" and not rs.comments[0].own_line


def test_inputs_of_every_type() -> None:
    rs = parse_text("""
input 权力类别: one of ["执法权", "行政管理权"]
input 权力: text
input 运行次数: integer >= 0 = 0          "每年行使次数"
input 是否领导岗位: bool = false
input 评分: 1..5
input 比例: number < 100%
input 日期: date = 2010-01-01
input 事件: list of {类型: text, 金额: number = 0,
                      日期: date}
""")
    by = {i.name: i for i in rs.inputs}
    assert by["权力类别"].type.kind == "enum" and by["权力类别"].type.values == ("执法权", "行政管理权")
    assert by["权力"].type.kind == "text"
    t = by["运行次数"].type
    assert (t.kind, t.minimum, t.min_exclusive) == ("integer", Decimal(0), False)
    assert by["运行次数"].default == Literal(Decimal(0)) and by["运行次数"].doc == "每年行使次数"
    assert by["是否领导岗位"].default == Literal(False)
    assert (by["评分"].type.minimum, by["评分"].type.maximum) == (Decimal(1), Decimal(5))
    assert by["比例"].type.maximum == Decimal("1.00") and by["比例"].type.max_exclusive
    assert by["日期"].default == Literal(dt.date(2010, 1, 1))
    fields = by["事件"].type.fields
    assert [f.name for f in fields] == ["类型", "金额", "日期"]
    assert fields[1].default == Literal(Decimal(0))


def test_dimensions() -> None:
    rs = parse_text('dimension 自由裁量度: 1..5 "大的从高"\ndimension 透明度: 1..5 weight 2\n')
    a, b = rs.dimensions
    assert (a.low, a.high, a.weight, a.doc) == (1, 5, 1, "大的从高")
    assert b.weight == 2 and b.doc is None


def test_tables_with_every_unary_test_and_hit_policy() -> None:
    rs = parse_text("""
table 系数 hit unique {
  | 权力               | 次数      || 系数 | 说明   |
  | in ["征收权", "检查权"] | >= 1000  || 1.3  | "高"   |
  | not in ["许可权"]   | [10..100) || 1.2  | "中"   |
  | "许可权"           | (0..10]   || 1.1  | "低"   |
  | != "其他"          | -         || 1.0  | "默认" |
  | -                  | 5         || 15%  | "百分" |
}
table 合计 hit collect sum {
  | 类别 || 分 |
  | "a"  || 1  |
}
""")
    t, s = rs.tables
    assert isinstance(t, DecisionTable) and t.hit == "unique" and t.outputs == ("系数", "说明")
    kinds = [[c.kind for c in r.tests] for r in t.rows]
    assert kinds == [["in", "compare"], ["not in", "range"], ["equal", "range"], ["compare", "any"],
                     ["any", "equal"]]
    rng = t.rows[1].tests[1]
    assert (rng.low_closed, rng.high_closed) == (True, False)
    rng = t.rows[2].tests[1]
    assert (rng.low_closed, rng.high_closed) == (False, True)
    assert t.rows[3].tests[0].op == "!="
    assert t.rows[4].outputs[0] == Literal(Decimal("0.15"))
    assert t.rows[0].span.line == 4
    assert (s.hit, s.aggregate) == ("collect", "sum")


def test_expressions() -> None:
    rs = parse_text("""
let a = round(基本分 * 系数, 2)
let b = if x > 1 then 5% else -2
let c = count(e in 事件 where e.类型 == "信访举报")
let d = sum(e.金额 for e in 事件 where e.金额 > 0)
let f = x in ["a", "b"] and not y
let g = year(case.period) + days(2010-01-01, 日期)
let h = 表.列 + `系数(修正)`
let i = 1 + 2 * 3 - 4 / 5
""")
    lets = {lt.name: lt.expr for lt in rs.lets}
    assert isinstance(lets["a"], Call) and lets["a"].function == "round"
    b = lets["b"]
    assert isinstance(b, IfExpr) and b.then == Literal(Decimal("0.05")) and b.otherwise == Literal(Decimal(-2))
    c = lets["c"]
    assert isinstance(c, Comprehension) and (c.function, c.var, c.element) == ("count", "e", None)
    d = lets["d"]
    assert isinstance(d, Comprehension) and isinstance(d.element, Member) and d.where is not None
    assert isinstance(lets["f"], Binary) and lets["f"].op == "and"
    assert isinstance(lets["h"].right, Name) and lets["h"].right.name == "系数(修正)"
    # precedence: 1 + (2 * 3) - (4 / 5)  ==  (1 + (2*3)) - (4/5)
    i = lets["i"]
    assert i.op == "-" and i.left.op == "+" and i.left.right.op == "*" and i.right.op == "/"


def test_grades_matrix_raise_supervision_sanctions_summary() -> None:
    rs = parse_text("""
levels 风险档次 [高风险 red, 一般风险 yellow, 低风险 green]
grade 风险档次 {
  top 10 by 综合得分 within 权力类别    -> 高风险
  bottom 10% by 综合得分                -> 低风险
  综合得分 >= 80                       -> 高风险
  otherwise                           -> 一般风险
  raise to 高风险 when 信访 >= 3
  raise 1 when 职责变动
}
levels 风险等级 [三级 red, 二级 orange, 一级 yellow]
grade 风险等级 by matrix 发生几率 x 危害程度 {
  |      | 严重 | 较严重 | 轻微 |
  | 高   | 三级 | 三级   | 二级 |
  | 低   | 二级 | 一级   | 一级 |
  raise 1 when 职责变动
}
supervision 风险等级 {
  三级 when 是否领导岗位 -> "纪检监察机关" every 1 year
  二级                 -> "派驻纪检组", "单位主要负责人" every 2 years
  otherwise           -> "分管领导"
}
sanction 接受吃请 for e in 事件 where e.类型 == "接受吃请" {
  fine 10 * e.金额
  action "经济处罚"
}
sanction 红色预警 when 风险等级 == 三级 {
  warning red
  action "预警告知书", "诫勉谈话"
}
summary {
  count by 风险等级
  count by 风险等级, 权力类别
  sum fine
  sum 综合得分
}
""")
    g1, g2 = rs.grades
    assert [r.kind for r in g1.rules] == ["top", "bottom", "condition", "otherwise"]
    top, bottom = g1.rules[:2]
    assert (top.count, top.percent, top.level) == (10, False, "高风险") and top.within == Name("权力类别")
    assert (bottom.count, bottom.percent, bottom.within) == (10, True, None)
    assert [(r.to_level, r.steps) for r in g1.raises] == [("高风险", None), (None, 1)]
    assert isinstance(g2, Grade) and g2.matrix is not None
    m = g2.matrix
    assert (m.row_input, m.column_input) == ("发生几率", "危害程度")
    assert [c.value for c in m.columns] == ["严重", "较严重", "轻微"]
    assert m.rows[1] == (Literal("低"), ("二级", "一级", "一级"))
    assert len(g2.raises) == 1
    sup = rs.supervisions[0]
    assert [(ln.level, ln.by, ln.every) for ln in sup.lines] == [
        ("三级", ("纪检监察机关",), (1, "year")),
        ("二级", ("派驻纪检组", "单位主要负责人"), (2, "year")),
        (None, ("分管领导",), None)]
    assert sup.lines[0].when == Name("是否领导岗位")
    a, b = rs.sanctions
    assert isinstance(a, Sanction) and (a.var, a.actions) == ("e", ("经济处罚",))
    assert a.source == Name("事件") and a.fine is not None and a.when is None
    assert b.warning == "red" and b.actions == ("预警告知书", "诫勉谈话") and b.var is None
    assert [(s.kind, s.names) for s in rs.summary.lines] == [
        ("count", ("风险等级",)), ("count", ("风险等级", "权力类别")), ("fine", ()), ("sum", ("综合得分",))]


def test_spans_point_at_source() -> None:
    rs = parse_text("ruleset t\n\n  let 综合 = 1 + 2\n", "f.policy")
    let = rs.lets[0]
    assert isinstance(let, Let)
    assert (let.span.file, let.span.line, let.span.column) == ("f.policy", 3, 3)
    assert (let.expr.span.line, let.expr.span.column) == (3, 12)


def test_keywords_stay_usable_as_names_where_no_keyword_fits() -> None:
    # 'first', 'count', 'x' are keywords only in their own positions
    rs = parse_text("input first: number\nlet count = first * 2\nlet x = count + 1\n")
    assert [lt.name for lt in rs.lets] == ["count", "x"]


@pytest.mark.parametrize(("text", "code", "line", "column", "words"), [
    ("let x = 1 +* 2\n", "PE001", 1, 12, "unexpected '*'"),
    ("inptu a: number\n", "PE001", 1, 1, "did you mean 'input'"),
    # an unclosed block is shown at its '{' (issue 14), not at the end of the file
    ("table T {\n  | a || b |\n  | 1 || 2 |\n", "PE001", 1, 9, "never closed"),
    ("let x = 1 @ 2\n", "PE002", 1, 11, "unexpected character '@'"),
    ("let x = " + "(" * 100 + "1" + ")" * 100 + "\n", "PE003", 1, 73, "nested"),
    ("let x = " + "-" * 300 + "1\n", "PE003", 1, 0, "nested"),
    ("let x = 1" + "0" * 40 + "\n", "PE004", 1, 9, "digits"),
    ("effective 2011-02-30\n", "PE001", 1, 1, "invalid date"),
    ("input a: number\ninput a: text\n", "PE102", 2, 1, "declared twice"),
    ("table T {\n  | a || b |\n  | 1 | 2 || 3 |\n}\n", "PE107", 3, 3, "row has 2 input"),
    ("levels S [a red, a green]\n", "PE102", 1, 18, "listed twice"),
    ("input r: 5..1\n", "PE112", 1, 10, "empty range"),
    ("sanction s {\n  fine 1\n  fine 2\n}\n", "PE102", 3, 3, "'fine' given twice in sanction 's'"),
    ("", "PE009", 1, 1, "no declarations"),
    ("# 只有注释\n\n", "PE009", 0, 0, "no declarations"),
    ("let x = 1 in [" + ", ".join(["1"] * 10001) + "]\n", "PE008", 1, 0, "more than 10000 elements"),
])
def test_syntax_errors_are_located(text: str, code: str, line: int, column: int, words: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_text(text, "bad.policy")
    d = info.value.diagnostics[0]
    assert d.code == code
    assert d.file == "bad.policy" and (d.line == line or not line)
    if column:
        assert d.column == column
    assert words in d.message


def test_a_long_flat_chain_is_called_a_chain_not_brackets() -> None:
    # 60 terms (59 '+') parse; 200 terms nest one level per '+' and pass the limit of 120,
    # which the message must explain: there are no brackets to look for
    assert len(parse_text("input a: number\nlet x = a" + " + a" * 59 + "\n").lets) == 1
    with pytest.raises(ParseError) as info:
        parse_text("input a: number\nlet x = a" + " + a" * 199 + "\n", "bad.policy")
    d = info.value.diagnostics[0]
    assert (d.code, d.line) == ("PE003", 2)
    assert d.message == ("expression too long: a chain of operators such as a + b + c + … nests one "
                         "level per operator, past the limit of 120")
    assert d.notes == ["split it into several lets, e.g. let 小计1 = … and let 合计 = 小计1 + 小计2"]
    # nested brackets and unary minus keep their own message
    with pytest.raises(ParseError) as info:
        parse_text("let x = " + "-" * 300 + "1\n", "bad.policy")
    assert info.value.diagnostics[0].message == "expression nested more than 120 deep"


def test_error_rendering_has_source_line_and_caret() -> None:
    with pytest.raises(ParseError) as info:
        parse_text("ruleset t\nlet 综合 = 1 +* 2\n", "bad.policy")
    text = info.value.diagnostics[0].render("let 综合 = 1 +* 2\n")
    lines = text.splitlines()
    # column 13 counts characters: 'let 综合 = 1 +' is 12 of them
    assert lines[0] == "bad.policy:2:13: error[PE001]: unexpected '*'"
    assert lines[1] == "  let 综合 = 1 +* 2"
    # the caret sits under '*': 'let ' (4) + '综合' (4 cells) + ' = 1 +' (6) = 14 cells before it
    assert lines[2] == "  " + " " * 14 + "^"


def test_several_action_lines_make_one_list_in_order() -> None:
    rs = parse_text('sanction 参与经商 when true {\n  action "诫勉谈话"\n  warning red\n'
                    '  action "政纪处理", "通报"\n}\n')
    (s,) = rs.sanctions
    assert s.actions == ("诫勉谈话", "政纪处理", "通报") and s.warning == "red"


def test_a_file_saved_as_gbk_is_located_and_the_fix_named(tmp_path: Path) -> None:
    from policyengine.parse import parse_file

    # '税' in GBK is cb b0, which happens to be valid UTF-8 (one character, ˰); the first
    # bad byte is b9, the first of '国' (b9 fa): line 1, after 'ruleset ˰ "' = 11 characters
    path = tmp_path / "gbk.policy"
    path.write_bytes('ruleset 税 "国税"\nversion "1"\n'.encode("gbk"))
    with pytest.raises(ParseError) as info:
        parse_file(path)
    d = info.value.diagnostics[0]
    assert (d.code, d.line, d.column, d.message) == ("PE007", 1, 12, "file is not valid UTF-8 (byte 0xb9)")
    assert d.notes == ["it reads as GBK/GB18030 text: save it again as UTF-8 (in Notepad: 另存为, 编码 UTF-8)"]
    # a stray byte on line 2 after a byte-order mark: columns count from after the mark;
    # 0xff is not GBK either, so no note
    path.write_bytes(b'\xef\xbb\xbfruleset x "x"\nversion "1\xff"\n')
    with pytest.raises(ParseError) as info:
        parse_file(path)
    d = info.value.diagnostics[0]
    assert (d.line, d.column, d.message, d.notes) == (2, 11, "file is not valid UTF-8 (byte 0xff)", [])


def test_an_escaped_quote_in_a_string_hides_its_braces_from_the_unclosed_block_finder() -> None:
    # the supervision block (line 9, its `{` at column 15) is never closed; the text `a \"{ b`
    # holds a brace inside the string (the \" does not end it), which opens no block
    text = ('ruleset x "x"\nversion "1"\ninput 分: number\nlevels 档 [高 red, 低 green]\n'
            'grade 档 {\n  分 >= 60  -> 高\n  otherwise -> 低\n}\nsupervision 档 {\n'
            '  高 -> "a \\"{ b"\n  低 -> "c"\n')
    with pytest.raises(ParseError) as caught:
        parse_text(text, "r.policy")
    d = caught.value.diagnostics[0]
    assert (d.code, d.line, d.column) == ("PE001", 9, 15), d
    assert "is never closed" in d.message

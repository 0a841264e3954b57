"""fmt: canonical DSL layout that is idempotent, loses no comment and changes no result."""

from __future__ import annotations

import json
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, given, settings

import policyengine as pe
from policyengine.api import LoadedRuleset
from policyengine.check import check
from policyengine.cli import main
from policyengine.compile import compile_ruleset
from policyengine.dsl import KEYWORDS, name, width
from policyengine.fmt import format_file, model_key, parse_form, rewrite
from policyengine.parse import parse_text

from .conftest import ROOT, cli
from .generated_rulesets import Generated, rulesets

# A ruleset as an officer might type it: odd spacing, comments everywhere (above
# blocks, at line ends, inside tables and blocks, at the end), CJK in table cells.
UNTIDY = """\
# 测试规则集
ruleset   audit   "审计"   # id and title
version "2012"
source   "seed.txt 第二篇"    # a source

input 权力类别 : one of ["执法权","行政管理权"]   "两类"
input 运行次数: integer >= 0 = 0          "每年行使次数"   # bound, default, doc
input 事件: list of {类型: text, 金额: number >= 0 = 0,
                   日期: date}   # records
dimension 透明度: 1..5 weight 2 "运行不透明的,从高评分"

table 风险强度系数 {   # first by default
  | 权力类别 || 系数 |
  # a note inside the table
  | "执法权" || 1.3 |   # end of row

  | - || 1.0 |
}
let 基本分 = 透明度*5+运行次数/10   # spacing
let 综合得分=round(基本分*风险强度系数,2)
levels 风险档次 [高风险 red, 一般风险 yellow]
grade 风险档次 {
  top 1 by 综合得分 within 权力类别 -> 高风险   # ranking
  综合得分>=80 -> 高风险
  otherwise -> 一般风险
  # last line of the block
}
sanction 接受吃请 for e in 事件 where e.类型=="接受吃请" {
  fine 10*e.金额
  action "经济处罚"
}
# trailing comment at end of file
"""

ITEMS = [
    {"id": "A", "权力类别": "执法权", "运行次数": 120, "透明度": 4,
     "事件": [{"类型": "接受吃请", "金额": 800, "日期": "2010-05-03"}]},
    {"id": "B", "权力类别": "行政管理权", "运行次数": 5, "透明度": 2},
    {"id": "C", "权力类别": "执法权", "运行次数": 900, "透明度": 5},
]


def results(text: str, form: str, items: list[dict], file: str = "r", units: dict | None = None) -> str:
    """The evaluation of `items` (and a rollup's `units`) as JSON text (digest included): what
    `eval --format json` shows."""
    model = parse_form(text, f"{file}.{'yaml' if form == 'yaml' else 'policy'}", form)
    analysis = check(model)
    loaded = LoadedRuleset(model, analysis, compile_ruleset(model, analysis), file)
    return json.dumps(loaded.evaluate(pe.Case(items=items, units=units or None)).to_dict(), ensure_ascii=False, default=str)


def run(*args: str) -> Result:
    """The command, in this process (fast); test_a_file_that_does_not_parse… runs it as a user would."""
    return CliRunner().invoke(main, list(args))


def comments(text: str) -> list[str]:
    return sorted(c.text for c in parse_text(text, "r.policy").comments)


def test_fmt_lays_out_untidy_text_canonically() -> None:
    out = rewrite(UNTIDY, "r.policy", "dsl", "dsl")
    lines = out.splitlines()
    assert 'ruleset audit "审计"  # id and title' in lines
    assert "let 基本分 = 透明度 * 5 + 运行次数 / 10  # spacing" in lines
    assert "let 综合得分 = round(基本分 * 风险强度系数, 2)" in lines
    assert '  | "执法权" || 1.3  |  # end of row' in lines
    assert "  综合得分 >= 80                    -> 高风险" in lines
    # the record type that spread over two lines is one line again, its comment kept
    assert "input 事件:     list of {类型: text, 金额: number >= 0 = 0, 日期: date}  # records" in lines
    assert out.endswith("}\n# trailing comment at end of file\n")


def test_fmt_aligns_table_columns_by_display_width() -> None:
    out = rewrite(UNTIDY, "r.policy", "dsl", "dsl")
    rows = [line for line in out.splitlines() if line.startswith("  |")]
    # every `||` and closing `|` sits in the same terminal column, CJK counting double
    columns = {(width(r[: r.index("||")]), width(r[: r.rindex("|")])) for r in rows}
    assert columns == {(13, 21)}


def test_fmt_is_idempotent_keeps_comments_and_results() -> None:
    once = rewrite(UNTIDY, "r.policy", "dsl", "dsl")
    assert rewrite(once, "r.policy", "dsl", "dsl") == once
    assert comments(once) == comments(UNTIDY)
    assert results(once, "dsl", ITEMS) == results(UNTIDY, "dsl", ITEMS)


def test_a_comment_stays_with_its_paragraph() -> None:
    text = "ruleset p\n\n# 输入\ninput a: number\n\n\n# 计算\nlet b = a * 2\n"
    assert rewrite(text, "p.policy", "dsl", "dsl") == "ruleset p\n\n# 输入\ninput a: number\n\n# 计算\nlet b = a * 2\n"


def test_fmt_does_not_give_a_child_an_id_of_its_own(tmp_path: Path) -> None:
    # without a `ruleset` line a child takes its parent's id; writing one would change the output
    (tmp_path / "base.policy").write_text("ruleset tax\ninput a: number\nlet b = a\n", encoding="utf-8")
    child = tmp_path / "child.policy"
    child.write_text('extends "base.policy"\nversion "2"\nlet b = a * 2\n', encoding="utf-8")
    formatted = format_file(child).after
    assert not formatted.startswith("ruleset")
    child.write_text(formatted, encoding="utf-8")
    assert pe.load_ruleset(child).id == "tax"


def test_declaration_order_is_kept() -> None:
    # the order of lets and tables is the order of values in the output, and is in the digest
    text = "input a: number\nlet z = a\ntable t {\n  | a || v |\n  | - || 1 |\n}\nlet y = t + z\n"
    out = rewrite(text, "o.policy", "dsl", "dsl")
    assert re.findall(r"^(let|table) (\w+)", out, re.M) == [("let", "z"), ("table", "t"), ("let", "y")]


# ---------------------------------------------------------------- names and keywords

# Every place a name can stand, each filled by {N}; the second grade's and supervision's
# lines start with a name, where any block's first word is a keyword.
NAME_PLACES = """\
ruleset {N}
subject {N}
input {N}: number
input L: list of {{{N}: number}}
input k: one of ["a", "b"]
dimension {N}: 1..5
table {N} {{
  | {N} || {N} |
  | {N} || 1 |
  | - || {N} |
}}
let {N} = if {N} > 1 then {N} else -{N}
let `l2` = sum(e.{N} for {N} in L where e.{N} > {N}) + {N}({N}) + count({N} in L where {N}.{N} > 0)
levels {N} [{N} red, b]
grade {N} {{
  {N} > 1 -> {N}
  top 1 by {N} within {N} -> {N}
  otherwise -> b
  raise to {N} when {N}
}}
levels M [m1, m2]
grade M by matrix {N} x k {{
  | | a | b |
  | {N} | m1 | m2 |
  raise 1 when {N}
}}
supervision {N} {{
  {N} when {N} -> "a"
}}
sanction {N} for {N} in L where {N}.{N} > 0 {{
  fine {N}.{N}
  warning {N}
}}
summary {{
  count by {N}
  sum {N}
}}
"""
GRAMMAR_WORDS = sorted(set(re.findall(r'"([a-z]+)"', (ROOT / "grammar" / "policy.lark").read_text("utf-8")))
                       | {"x", "red", "orange", "yellow", "blue", "green", "first", "unique", "any", "sum",
                          "min", "max", "count", "year", "years", "month", "months", "quarter", "quarters"})


@pytest.mark.parametrize("word", GRAMMAR_WORDS)
def test_a_name_is_printed_so_that_it_reads_back_as_the_same_name(word: str) -> None:
    # backticks everywhere mean the name for sure; the printer's choice must mean the same
    quoted = parse_text(NAME_PLACES.format(N=f"`{word}`"), "n.policy")
    printed = parse_text(NAME_PLACES.format(N=name(word)), "n.policy")
    assert model_key(printed) == model_key(quoted)


def test_only_words_read_as_keywords_get_backticks() -> None:
    assert name("year") == "year" and name("x") == "x" and name("by") == "by" and name("系数") == "系数"
    assert name("if") == "`if`" and name("top") == "`top`" and name("系数(修正)") == "`系数(修正)`"
    assert "year" not in KEYWORDS and "sum" in KEYWORDS  # `sum` may start a line in a block


# ---------------------------------------------------------------- the command


@pytest.fixture
def untidy(tmp_path: Path) -> Path:
    path = tmp_path / "audit.policy"
    path.write_text(UNTIDY, encoding="utf-8")
    return path


def test_check_lists_the_files_that_would_change_and_changes_nothing(untidy: Path, tmp_path: Path) -> None:
    tidy = tmp_path / "tidy.policy"
    tidy.write_text(rewrite(UNTIDY, str(tidy), "dsl", "dsl"), encoding="utf-8")
    result = run("fmt", "--check", str(untidy), str(tidy))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [str(untidy)]
    assert untidy.read_text(encoding="utf-8") == UNTIDY


def test_diff_shows_the_change_and_changes_nothing(untidy: Path) -> None:
    result = run("fmt", "--diff", str(untidy))
    assert result.exit_code == 0
    assert f"--- {untidy}\n+++ {untidy} (formatted)\n" in result.stdout
    assert "\n-let 综合得分=round(基本分*风险强度系数,2)\n" in result.stdout
    assert "\n+let 综合得分 = round(基本分 * 风险强度系数, 2)\n" in result.stdout
    assert untidy.read_text(encoding="utf-8") == UNTIDY


def test_fmt_writes_in_place_then_check_passes(untidy: Path) -> None:
    os.chmod(untidy, 0o640)
    assert run("fmt", str(untidy)).exit_code == 0
    once = untidy.read_text(encoding="utf-8")
    assert once == rewrite(UNTIDY, str(untidy), "dsl", "dsl")
    assert oct(untidy.stat().st_mode & 0o777) == oct(0o640)  # permissions kept
    assert [p.name for p in untidy.parent.iterdir()] == ["audit.policy"]  # no temporary file left
    result = run("fmt", "--check", str(untidy))
    assert (result.exit_code, result.stdout) == (0, "")
    assert run("fmt", str(untidy)).exit_code == 0
    assert untidy.read_text(encoding="utf-8") == once


def test_fmt_through_a_symbolic_link_rewrites_the_target(untidy: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.policy"
    link.symlink_to(untidy.name)
    assert run("fmt", str(link)).exit_code == 0
    assert link.is_symlink()
    assert untidy.read_text(encoding="utf-8") == rewrite(UNTIDY, str(untidy), "dsl", "dsl")


def test_a_file_that_does_not_parse_is_left_alone_with_a_located_error(untidy: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.policy"
    bad.write_text("ruleset b\nlet a = 1 +\n", encoding="utf-8")
    process = cli("fmt", str(tmp_path))  # a folder: every ruleset file under it
    assert process.returncode == 2
    assert process.stderr.startswith(f"{bad}:2:12: error[PE001]: unexpected end of line\n  let a = 1 +\n")
    assert "Traceback" not in process.stderr
    assert bad.read_text(encoding="utf-8") == "ruleset b\nlet a = 1 +\n"
    assert untidy.read_text(encoding="utf-8") != UNTIDY  # the good file was still formatted


def test_fmt_formats_yaml_rulesets_too(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("ruleset: r   # id\ninputs:\n    a:   number\nlets:\n    b: a*2\n", encoding="utf-8")
    assert run("fmt", str(path)).exit_code == 0
    assert path.read_text(encoding="utf-8") == "ruleset: r  # id\n\ninputs:\n  a: number\n\nlets:\n  b: a * 2\n"
    assert run("fmt", "--check", str(path)).exit_code == 0



def test_a_comment_above_a_yaml_section_key_stays_above_it(tmp_path: Path) -> None:
    """A note written at the left margin above `lets:` is about the section; one indented
    under the key is about the entry below it. fmt keeps each where it was written."""
    text = ("ruleset: r\n\n# what the case gives\ninputs:\n  a: number\n\n"
            "# computed values\nlets:\n  # doubled\n  b: a * 2\n  c: b + 1\n")
    path = tmp_path / "r.yaml"
    path.write_text(text, encoding="utf-8")
    assert run("fmt", "--check", str(path)).exit_code == 0  # already canonical: nothing moves
    assert run("fmt", str(path)).exit_code == 0
    assert path.read_text(encoding="utf-8") == text
    # converted to the DSL (no section keys) and back, each note stays above what followed it
    out = run("convert", str(path), "--to", "dsl")
    assert out.exit_code == 0
    assert "# computed values\n# doubled\nlet b = a * 2" in out.output.replace("\n\n", "\n")


# ---------------------------------------------------------------- every shipped ruleset


def shipped_departments() -> list[str]:
    return sorted(p.name for p in (ROOT / "rulesets").iterdir() if p.is_dir() and not p.name.startswith("_"))


def case_files(department: str) -> list[tuple[Path, str]]:
    """The shipped case files of a department and the ruleset file each names."""
    out = []
    for case in sorted((ROOT / "cases" / department).glob("*.yaml")):
        named = re.search(r"^ruleset: *\S*/rulesets/[^/]+/(\S+)$", case.read_text("utf-8"), re.M)
        if named:
            out.append((case, named.group(1)))
    return out


def evaluate_file(ruleset: Path, case: Path) -> str:
    return json.dumps(pe.load_ruleset(ruleset).evaluate(pe.load_case(case)).to_dict(), ensure_ascii=False,
                      default=str)


@pytest.mark.parametrize("department", shipped_departments())
def test_fmt_of_a_shipped_ruleset_is_idempotent_and_changes_no_result(department: str, tmp_path: Path) -> None:
    folder = tmp_path / department
    shutil.copytree(ROOT / "rulesets" / department, folder)  # a copy: fmt writes
    for path in sorted(folder.iterdir()):
        form = "yaml" if path.suffix == ".yaml" else "dsl"
        before = path.read_text("utf-8")
        once = format_file(path).after
        path.write_text(once, encoding="utf-8")
        assert format_file(path).after == once
        kept = [c.text for c in parse_form(once, str(path), form).comments]
        assert sorted(kept) == sorted(c.text for c in parse_form(before, str(path), form).comments)
    cases = case_files(department)
    assert cases, f"no shipped case names a {department} ruleset"
    for case, ruleset in cases:
        assert evaluate_file(folder / ruleset, case) == evaluate_file(ROOT / "rulesets" / department / ruleset, case)


# ---------------------------------------------------------------- generated rulesets

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def check_fmt(g: Generated) -> None:
    once = rewrite(g.text, "g.policy", "dsl", "dsl")
    assert rewrite(once, "g.policy", "dsl", "dsl") == once
    assert comments(once) == comments(g.text)
    assert results(once, "dsl", g.items, units=g.units) == results(g.text, "dsl", g.items, units=g.units)


@settings(max_examples=12, **SETTINGS)
@given(rulesets())
def test_fmt_of_generated_rulesets_is_idempotent_and_changes_no_result(g: Generated) -> None:
    check_fmt(g)


@pytest.mark.slow
@settings(max_examples=300, **SETTINGS)
@given(rulesets())
def test_fmt_of_many_generated_rulesets(g: Generated) -> None:
    check_fmt(g)


def test_the_generator_makes_rulesets_with_comments_and_untidy_spacing() -> None:
    # guard against a strategy that quietly stopped exercising what the properties claim
    from hypothesis import Phase, find

    found = find(rulesets(), lambda g: "grade 等级 by matrix" in g.text and "hit unique" in g.text
                 and "sanction" in g.text and "  #" in g.text and "\t" in g.text,
                 settings=settings(max_examples=2000, database=None, phases=[Phase.generate], **SETTINGS))
    assert not [d for d in check(parse_text(found.text, "g.policy")).diagnostics if d.severity == "error"]


def test_convert_to_another_folder_keeps_extends_pointing_at_the_same_parent(tmp_path: Path) -> None:
    (tmp_path / "2010").mkdir()
    parent = tmp_path / "2010" / "base.policy"
    parent.write_text('ruleset r\ninput x: number\nlet y = x * 2\n', encoding="utf-8")
    child = tmp_path / "2010" / "child.policy"
    child.write_text('extends "base.policy"\nlet y = x * 3\n', encoding="utf-8")
    out = tmp_path / "converted" / "child.yaml"
    out.parent.mkdir()
    assert run("convert", str(child), "--to", "yaml", "--output", str(out)).exit_code == 0
    assert "extends: ../2010/base.policy" in out.read_text(encoding="utf-8")
    # same folder, or printed: the path stays as written
    assert "extends: base.policy" in run("convert", str(child), "--to", "yaml").output
    # the converted child resolves to the same ruleset: y = 5 × 3 = 15 either way
    case = pe.Case(items=[{"id": "A", "x": 5}])
    for path in (child, out):
        assert pe.load_ruleset(path).evaluate(case).items[0].values["y"] == 15


def test_declared_numbers_keep_their_spelling_through_fmt_and_convert(tmp_path: Path) -> None:
    # docs/language.md's own `<= 100%`: fmt used to print it as `<= 1` (same value, not what
    # the author wrote); range ends and weights alike
    text = ("ruleset t\n\ninput 比例: number >= 0 <= 100%\ninput r:    0..1.50\n\n"
            "dimension d: 1..5 weight 50%\n\nlet x = 比例 * d + r\n")
    assert rewrite(text, "t.policy", "dsl", "dsl") == text
    yaml_text = rewrite(text, "t.policy", "dsl", "yaml")
    assert "max: 100%" in yaml_text and "range: [0, 1.50]" in yaml_text and "weight: 50%" in yaml_text
    assert rewrite(yaml_text, "t.yaml", "yaml", "yaml") == yaml_text
    assert rewrite(yaml_text, "t.yaml", "yaml", "dsl") == text
    # the meaning is the number: 100% bounds 比例 at 1, and d weighs 0.5
    (tmp_path / "t.policy").write_text(text, encoding="utf-8")
    rs = pe.load_ruleset(tmp_path / "t.policy")
    assert rs.model.inputs[0].type.maximum == 1 and rs.model.dimensions[0].weight == Decimal("0.5")
    # x = 0.8 × 4 + 1.5 = 4.7 (the weight counts in weighted(dimensions), not in d itself)
    assert rs.evaluate(pe.Case(items=[{"id": "A", "比例": Decimal("0.8"), "r": Decimal("1.5"), "d": 4}])
                       ).items[0].values["x"] == Decimal("4.7")
    with pytest.raises(pe.CaseError) as info:
        rs.evaluate(pe.Case(items=[{"id": "B", "比例": Decimal("1.2"), "r": 0, "d": 1}]))
    assert "1.2" in info.value.diagnostics[0].message


def test_a_comment_on_a_matrix_header_row_stays_on_that_row() -> None:
    # found by the slow generated-ruleset property: the header's comment joined the `{` line's
    # (`{  # 开始  # 表头`), because the header's line was guessed from the first row's
    text = ("ruleset t\ninput 类别: one of [\"甲\", \"乙\"]\ninput 程度: one of [\"高\", \"低\"]\n"
            "levels 等级 [三级 red, 一级 yellow]\n"
            "grade 等级 by matrix 类别 x 程度 {  # 开始\n"
            "  |    | 高   | 低   |  # 表头\n\n"
            "  # 第一行\n"
            "  | 甲 | 三级 | 一级 |\n"
            "  | 乙 | 一级 | 一级 |\n}\n")
    once = rewrite(text, "t.policy", "dsl", "dsl")
    assert "{  # 开始\n  |    | 高   | 低   |  # 表头\n\n  # 第一行\n  | 甲 |" in once
    assert comments(once) == comments(text)

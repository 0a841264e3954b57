"""What the commands print, in Chinese: the test runner (PASS/FAIL/SKIP lines, failure details,
totals, coverage), explain's own words, the terminal table, diff and compare. Each line is a
whole translated sentence; the numbers are the hand-worked ones of tests/test_golden.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from policyengine import i18n
from policyengine.cli import main

from .test_compare import RULES, periods  # noqa: F401  (periods is a fixture)
from .test_golden import GOOD_EXPECT, case_file, suite  # noqa: F401  (suite is a fixture)


@pytest.fixture(autouse=True)
def _language_reset() -> Iterator[None]:
    # `--lang zh` sets the language for the process: the next test starts from the environment again
    yield
    i18n.set_language(None)


def zh(*args: str) -> Result:
    return CliRunner().invoke(main, ["--lang", "zh", *args])


def test_the_test_runner_says_pass_fail_skip_and_the_totals_in_chinese(suite: Path) -> None:  # noqa: F811
    good = case_file(suite, "good.yaml", GOOD_EXPECT)
    # A's 得分 is 45.5 (tests/test_golden.py: 7 × 5 × 1.3): expecting 45 fails by +0.5
    bad = case_file(suite, "bad.yaml", "expect:\n  A: {得分: 45}\n")
    skipped = case_file(suite, "skipped.yaml")
    out = zh("test", str(good), str(bad), str(skipped))
    assert out.exit_code == 1
    lines = out.output.rstrip("\n").split("\n")
    # GOOD_EXPECT: 9 fields of A, 6 of B, and items, fines and each level count (高, 中) of the
    # summary: 9 + 6 + 4 = 19 expectations
    assert f"通过 {good}  （19 项预期）" in lines
    assert f"失败 {bad}  条目 A  得分：期望 45，实际为 45.5（相差 +0.5）" in lines
    assert f"跳过 {skipped}  没有 expect 块，也没有快照" in lines
    assert lines[-1] == "1 个通过，1 个失败，1 个跳过"
    assert not any(word in out.output for word in ("PASS", "FAIL", "SKIP", "expected", "passed"))


def test_the_coverage_report_in_chinese(suite: Path) -> None:  # noqa: F811
    good = case_file(suite, "good.yaml", GOOD_EXPECT)
    out = zh("test", "--coverage", str(good))
    assert out.exit_code == 0, out.output
    lines = out.output.rstrip("\n").split("\n")
    # points: 2 table rows, 3 grade lines, 3 levels, 3 supervision lines, 1 sanction = 12;
    # A (甲, 高, 吃请) and B (乙, 中) hit both rows, lines 1–2, levels 高 中, supervision 高 中, the
    # sanction: 2 + 2 + 2 + 2 + 1 = 9 of 12 = 75%
    assert "  决策表行 2/2 · 等级行 2/3 · 等级 2/3 · 监督行 2/3 · 处理措施 1/1" in lines
    assert "覆盖率：75%（12 处中覆盖 9 处）" in lines
    assert "  从未覆盖：" in lines and "  已覆盖：" in lines
    assert any(line.strip().endswith("档次 的等级 低") for line in lines)
    assert any("决策表 系数 第 1 行" in line and line.endswith("（1 次）") for line in lines)
    assert lines[-1] == "1 个通过，0 个失败"


def test_explain_in_chinese(suite: Path) -> None:  # noqa: F811
    case = case_file(suite, "c.yaml")
    out = zh("explain", "rulesets/demo.policy", str(case), "--item", "A")
    assert out.exit_code == 0, out.output
    lines = out.output.split("\n")
    assert lines[0] == "条目 A"  # the ruleset names no subject: the interface's word for an item
    assert lines[1].startswith("  规则集 demo 1（rulesets/demo.policy）")
    assert any(line.startswith('  决策表 系数：类别 = 甲 → 第 1 行 ["甲"] → 1.3') for line in lines)
    assert any(line.startswith("  计算 得分 = round(sum(dimensions) * 5 * 系数, 2) = 45.5") for line in lines)
    assert any(line.startswith("  等级 档次 = 高（red）") for line in lines)
    assert any(line.startswith("      第 1 行：得分 >= 40（得分 = 45.5） → 高") for line in lines), lines
    assert "      罚款 10 * e.金额 = 8000; 措施 经济处罚; 预警 orange" in lines
    assert "  罚款合计 8000" in lines


def test_the_terminal_table_headers_in_chinese_and_english() -> None:
    zh_out = CliRunner().invoke(main, ["--lang", "zh", "eval", "tax@2010", "cases/tax/small-2010.yaml", "-f", "table",
                                       "--no-pager"])
    assert zh_out.exit_code == 0, zh_out.output
    header = zh_out.output.split("\n")[1].split()
    # the table's own columns translated, the ruleset's names (风险档次, 综合得分) as written
    assert header[:2] == ["编号", "名称"] and header[-4:] == ["监督", "处理措施", "罚款", "警告"]
    assert "综合得分" in header and "风险档次" in header and header[header.index("风险档次") + 1:][:2] == ["风险档次", "排名"]
    i18n.set_language(None)
    en_out = CliRunner().invoke(main, ["--lang", "en", "eval", "tax@2010", "cases/tax/small-2010.yaml", "-f", "table",
                                       "--no-pager"])
    header = en_out.output.split("\n")[1].split()
    assert header[:2] == ["id", "name"] and header[-4:] == ["supervision", "sanctions", "fine", "warning"]
    assert "风险档次.rank" in header


def test_compare_in_chinese(periods) -> None:  # noqa: F811
    old, new = periods
    out = zh("compare", str(old), str(new), "-f", "table")
    assert out.exit_code == 0, out.output
    lines = out.output.split("\n")
    assert lines[0].startswith("比较 mini 1（") and "，期间 2010）" in lines[0] and "，期间 2011）" in lines[0]
    # tests/test_compare.py: 4 and 4 items, A B D in both, E new, C gone; A and B regraded; fines 700 → 3200
    assert "条目：旧 4 个，新 4 个；两者都有 3 个，新增 1 个，消失 1 个；2 个有变化，2 个等级改变" in lines
    assert "罚款：700 → 3200（+2500）" in lines
    assert "  上升（1）：B" in lines and "  下降（1）：A" in lines
    assert "新增的条目（1）：E [高]" in lines and "消失的条目（1）：C [低]" in lines
    matrix = out.output[out.output.index("旧 \\ 新"):].split("\n")
    assert matrix[0].split() == ["旧", "\\", "新", "高", "中", "低", "（已消失）", "旧合计"]
    assert matrix[5].split() == ["（新增条目）", "1", "·", "·", "·"]
    assert [line.split()[:4] for line in lines if line.startswith("编号")] == [["编号", "名称", "等级", "数值"]]


OLD_RULES = RULES
# the same ruleset with 高 from 30 points instead of 40
NEW_RULES = RULES.replace('version "1"', 'version "2"').replace("分 >= 40 -> 高", "分 >= 30 -> 高")


def test_diff_in_chinese(tmp_path: Path) -> None:
    (tmp_path / "old.policy").write_text(OLD_RULES, encoding="utf-8")
    (tmp_path / "new.policy").write_text(NEW_RULES, encoding="utf-8")
    # A 4*10 = 40: 高 under both; B 3*10 + 5 = 35: 中 (>= 20), then 高 (>= 30); C 1*10 = 10: 低 under both;
    # no 次数 > 5, so no fine under either
    (tmp_path / "c.yaml").write_text("items:\n  - {id: A, 裁量: 4}\n  - {id: B, 裁量: 3, 次数: 5}\n"
                                     "  - {id: C, 裁量: 1}\n", encoding="utf-8")
    out = zh("diff", str(tmp_path / "old.policy"), str(tmp_path / "new.policy"), "--cases",
             str(tmp_path / "c.yaml"), "-f", "table")
    assert out.exit_code == 0, out.output
    lines = out.output.split("\n")
    assert lines[0] == f"差异 mini 1（{tmp_path / 'old.policy'}） → mini 2（{tmp_path / 'new.policy'}）"
    assert "2 处变化：" in lines  # the version line and the grade
    assert "~ header version（修改）" in lines and "~ grade 档次（修改）" in lines
    assert "影响：1 个案例中的 3 个条目；1 个有变化，1 个等级改变" in lines
    assert "罚款：0 → 0" in lines
    assert "结论：更严" in lines


def test_a_run_time_error_in_chinese(tmp_path: Path) -> None:
    (tmp_path / "z.policy").write_text('ruleset z "z"\nversion "1"\ninput 分: number\nlet 比率 = 1 / 分\n',
                                       encoding="utf-8")
    # A divides 1 by 0; B (1 / 2 = 0.5) is fine
    (tmp_path / "z.yaml").write_text("items:\n  - {id: A, 分: 0}\n  - {id: B, 分: 2}\n", encoding="utf-8")
    out = zh("eval", str(tmp_path / "z.policy"), str(tmp_path / "z.yaml"))
    assert out.exit_code == 2
    assert f"{tmp_path / 'z.policy'}:4:10: 错误[PE401]: 条目 A：let 比率 中除以零：1 / 分 除以了 0" in out.output
    assert f"提示：条目 A 位于 {tmp_path / 'z.yaml'}:2" in out.output


def test_diff_names_the_input_a_case_lacks_in_chinese(tmp_path: Path) -> None:
    # the new version reads an input 新 that the case does not give: diff says so (PE701), in
    # Chinese too (it recognises case validation's "missing field" in either language)
    (tmp_path / "a.policy").write_text('ruleset m "m"\nversion "1"\ninput 分: number\nlet x = 分\n',
                                       encoding="utf-8")
    (tmp_path / "b.policy").write_text('ruleset m "m"\nversion "2"\ninput 分: number\ninput 新: number\n'
                                       "let x = 分 + 新\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("items:\n  - {id: A, 分: 1}\n", encoding="utf-8")
    out = zh("diff", str(tmp_path / "a.policy"), str(tmp_path / "b.policy"), "--cases", str(tmp_path / "c.yaml"))
    assert out.exit_code == 2
    assert (f"错误[PE701]: 条目 A：新规则集（{tmp_path / 'b.policy'}）需要输入 '新'，而案例文件 "
            f"{tmp_path / 'c.yaml'} 没有提供") in out.output


def test_reviews_due_in_the_chinese_table(tmp_path: Path) -> None:
    earlier = tmp_path / "tax-2010.json"
    assert CliRunner().invoke(main, ["eval", "tax@2010", "cases/tax/luoyang-2010.yaml", "-f", "json", "-o",
                                     str(earlier)]).exit_code == 0
    out = zh("eval", "tax@2011", "cases/tax/luoyang-2011.yaml", "--previous", str(earlier), "--due", "2011-06-30",
             "-f", "table", "--no-pager", "--columns", "id,supervision")
    assert out.exit_code == 0, out.output
    lines = out.output.split("\n")
    assert lines[1].split() == ["编号", "监督"]
    # reviewed at the end of the earlier period (2010-12-31): every quarter → next 2011-03-31
    assert "ZF-ZS-01  市局监察室、单位主要负责人（每 1 quarter），下次复核 2011-03-31" in lines
    assert any(line.startswith("截至 2011-06-30 到期的复核：") for line in lines)


def test_case_validation_names_the_missing_field_in_either_language() -> None:
    # diff tells "a case lacks an input" from other case errors by Diagnostic.missing, not by
    # reading the message's words: the same fact in both languages
    import policyengine as pe
    from policyengine.errors import CaseError

    rs = pe.load_ruleset("tax@2010")
    for lang, words in (("en", "missing field '"), ("zh", "缺少字段")):
        i18n.set_language(lang)
        with pytest.raises(CaseError) as caught:
            rs.evaluate(pe.Case(items=[{"id": "A"}]))
        lacking = [d for d in caught.value.diagnostics if d.missing is not None]
        assert lacking and all(words in d.message and d.missing in d.message for d in lacking), lacking
        assert all(d.missing is None for d in caught.value.diagnostics if words not in d.message)


def test_an_expression_that_stops_short_is_incomplete_in_chinese() -> None:
    from policyengine.errors import ParseError
    from policyengine.parse import parse_expression

    for lang, said in (("en", "incomplete expression"), ("zh", "表达式不完整")):
        i18n.set_language(lang)
        with pytest.raises(ParseError) as caught:
            parse_expression("1 + (2 *", "r.yaml", 7, 12)
        d = caught.value.diagnostics[0]
        assert (d.code, d.message, d.line) == ("PE001", said, 7)

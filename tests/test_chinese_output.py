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

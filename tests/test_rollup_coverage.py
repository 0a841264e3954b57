"""`policyengine test --coverage` counts a rollup's own rules (table rows, grade lines and
matrix cells, levels, supervision lines, sanctions) from the units of the golden cases, said
of the rollup, in the totals and in `--min-coverage`. The numbers are worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from policyengine.cli import main
from policyengine.golden import Coverage, check_case

RULESET = """\
ruleset rc "汇总覆盖"
version "1"

input 所属科室: text
input 分: 0..100

levels 档次 [高 red, 低 green]
grade 档次 {
  分 >= 60  -> 高
  otherwise -> 低
}

rollup 科室 by 所属科室 {
  input 所属单位: text
  let 高数 = count(i in items where i.档次 == 高)
  table 系数 {
    | 高数 || 系数 |
    | >= 2 || 2    |
    | >= 1 || 1    |
    | -    || 0    |
  }
  levels 科室档次 [重点 red, 一般 green]
  grade 科室档次 {
    高数 >= 2 -> 重点
    otherwise -> 一般
  }
  supervision 科室档次 {
    重点 -> "纪检组"
    一般 -> "科长"
  }
  sanction 约谈 when 高数 >= 2 {
    action "约谈科长"
  }

  rollup 单位 by 所属单位 {
    input 规模: one of ["大", "小"]
    input 性质: one of ["机关", "基层"]
    let 重点数 = count(k in items where k.科室档次 == 重点)
    levels 单位档次 [差 red, 好 green]
    grade 单位档次 by matrix 规模 x 性质 {
      |    | 机关 | 基层 |
      | 大 | 差   | 差   |
      | 小 | 好   | 差   |
    }
    sanction 通报 when 重点数 >= 1 {
      action "通报"
    }
  }
}
"""

# Items: A (甲科, 80 → 高, line 1), B (甲科, 70 → 高, line 1), C (乙科, 30 → 低, line 2):
#   item level: grade lines 2 of 2, levels 2 of 2.
# 科室 甲科 (A, B): 高数 2 → 系数 row 1 (>= 2), line 1 重点, supervision line 1, 约谈 fires;
# 科室 乙科 (C):    高数 0 → 系数 row 3 (-),    line 2 一般, supervision line 2;
#   row 2 (>= 1) never: table rows 2 of 3, grade lines 2 of 2, levels 2 of 2,
#   supervision lines 2 of 2, sanctions 1 of 1.
# 单位 X局 (甲科, 乙科), 大 x 基层 → cell row 1 column 2 → 差; 重点数 = 1 (甲科) → 通报 fires:
#   cells 1 of 4, levels 1 of 2 (好 never), sanctions 1 of 1.
# Totals: table rows 2/3, grade lines 2+2+1 = 5/8, levels 2+2+1 = 5/6, supervision 2/2,
# sanctions 1+1 = 2/2 → 16 of 21 = 76.19…% → shown rounded down, 76.1%.
CASE = """\
ruleset: ../rulesets/rc.policy
items:
  - {id: A, 所属科室: 甲科, 分: 80}
  - {id: B, 所属科室: 甲科, 分: 70}
  - {id: C, 所属科室: 乙科, 分: 30}
units:
  科室:
    - {id: 甲科, 所属单位: X局}
    - {id: 乙科, 所属单位: X局}
  单位:
    - {id: X局, 规模: 大, 性质: 基层}
expect_units:
  科室:
    甲科: {高数: 2, 系数: 2, 科室档次: 重点, sanctions: [约谈], supervision: [纪检组]}
    乙科: {高数: 0, 系数: 0, 科室档次: 一般, sanctions: [], supervision: [科长]}
  单位:
    X局: {重点数: 1, 单位档次: 差, sanctions: [通报]}
"""

# A second case: one item D (丙科, 10 → 低) → 丙科 高数 0 (row 3, line 2, 一般) → 单位 Y局,
# 小 x 机关 → cell row 2 column 1 → 好; 重点数 0 → no 通报. New: cell 小 x 机关 and level 好
# → 18 of 21 = 85.71…% → 85.7%.
SECOND = """\
ruleset: ../rulesets/rc.policy
items:
  - {id: D, 所属科室: 丙科, 分: 10}
units:
  科室:
    - {id: 丙科, 所属单位: Y局}
  单位:
    - {id: Y局, 规模: 小, 性质: 机关}
expect_units:
  单位:
    Y局: {重点数: 0, 单位档次: 好, sanctions: []}
"""


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "rulesets").mkdir()
    (tmp_path / "rulesets" / "rc.policy").write_text(RULESET, encoding="utf-8")
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "rc.yaml").write_text(CASE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["test", *args])


def test_rollup_rules_are_counted_and_said_of_their_rollup(suite: Path) -> None:
    r = run("--coverage")
    assert r.exit_code == 0, r.output
    assert "coverage of rulesets/rc.policy: 76.1% (16 of 21)" in r.stdout
    assert ("table rows 2 of 3 · grade lines 5 of 8 · levels 5 of 6 · supervision lines 2 of 2 · "
            "sanctions 2 of 2") in r.stdout
    exercised, missed = r.stdout.split("  never exercised:\n")
    for line in ("rulesets/rc.policy:18  rollup 科室: table 系数 row 1  | >= 2 || 2 |  (1 time)",
                 "rulesets/rc.policy:20  rollup 科室: table 系数 row 3  | - || 0 |  (1 time)",
                 "rulesets/rc.policy:24  rollup 科室: grade 科室档次 line 1  高数 >= 2 -> 重点  (1 time)",
                 "rulesets/rc.policy:25  rollup 科室: grade 科室档次 line 2  otherwise -> 一般  (1 time)",
                 "rulesets/rc.policy:22  rollup 科室: level 重点 of 科室档次  (1 time)",
                 "rulesets/rc.policy:28  rollup 科室: supervision 科室档次 line 1  重点 -> \"纪检组\"  (1 time)",
                 "rulesets/rc.policy:29  rollup 科室: supervision 科室档次 line 2  一般 -> \"科长\"  (1 time)",
                 "rulesets/rc.policy:31  rollup 科室: sanction 约谈  (1 time)",
                 "rulesets/rc.policy:39  rollup 单位: level 差 of 单位档次  (1 time)",
                 "rulesets/rc.policy:42  rollup 单位: grade 单位档次 cell 大 x 基层 -> 差  (1 time)",
                 "rulesets/rc.policy:45  rollup 单位: sanction 通报  (1 time)",
                 # the items' own rules, as before: A and B on line 1, C on line 2
                 "rulesets/rc.policy:9  grade 档次 line 1  分 >= 60 -> 高  (2 times)",
                 "rulesets/rc.policy:10  grade 档次 line 2  otherwise -> 低  (1 time)"):
        assert f"    {line}\n" in exercised, line
    assert missed.split("\ncoverage:")[0].splitlines() == [
        "    rulesets/rc.policy:19  rollup 科室: table 系数 row 2  | >= 1 || 1 |",
        "    rulesets/rc.policy:39  rollup 单位: level 好 of 单位档次",
        "    rulesets/rc.policy:42  rollup 单位: grade 单位档次 cell 大 x 机关 -> 差",
        "    rulesets/rc.policy:43  rollup 单位: grade 单位档次 cell 小 x 机关 -> 好",
        "    rulesets/rc.policy:43  rollup 单位: grade 单位档次 cell 小 x 基层 -> 差",
    ]
    assert "coverage: 76.1% (16 of 21)" in r.stdout


def test_rollup_points_count_in_min_coverage(suite: Path) -> None:
    assert run("--min-coverage", "76").exit_code == 0
    below = run("--min-coverage", "77")
    assert below.exit_code == 1 and "coverage 76.1% is below the minimum 77%" in below.stderr


def test_rollup_coverage_accumulates_over_cases(suite: Path) -> None:
    (suite / "cases" / "second.yaml").write_text(SECOND, encoding="utf-8")
    r = run("--coverage")
    assert r.exit_code == 0, r.output
    assert "coverage: 85.7% (18 of 21)" in r.stdout
    assert "rollup 单位: grade 单位档次 cell 小 x 机关 -> 好  (1 time)" in r.stdout


def test_coverage_never_changes_a_result(suite: Path) -> None:
    # the same expectations hold, and are as many, with the traced run beside the plain one
    plain = check_case(suite / "cases" / "rc.yaml")
    coverage = Coverage()
    traced = check_case(suite / "cases" / "rc.yaml", coverage=coverage)
    assert plain.passed and traced.passed and plain.checks == traced.checks == 13
    assert (coverage.covered, coverage.total) == (16, 21)


def test_shipped_units_case_counts_its_rollup(tmp_path: Path) -> None:
    # tax 2012's rollup 单位: 3 grade lines, 3 levels of 指数档次, 1 sanction = 7 points, all
    # exercised by the five units of units-2012 (2 较差 by ranking, 2 良好, 1 一般; 廉政谈话 for 2)
    coverage = Coverage()
    repo = Path(__file__).resolve().parent.parent
    assert check_case(repo / "cases" / "tax" / "units-2012.yaml", coverage=coverage).passed
    (cov,) = coverage.rulesets.values()
    rollup = [p for key, p in cov.points.items() if key[:2] == ("rollup", "单位")]
    assert len(rollup) == 7 and all(p.hits for p in rollup)
    assert sorted(p.label for p in rollup) == sorted([
        "rollup 单位: grade 指数档次 line 1", "rollup 单位: grade 指数档次 line 2",
        "rollup 单位: grade 指数档次 line 3", "rollup 单位: level 较差 of 指数档次",
        "rollup 单位: level 一般 of 指数档次", "rollup 单位: level 良好 of 指数档次",
        "rollup 单位: sanction 廉政谈话"])
    assert {p.label: p.hits for p in rollup}["rollup 单位: level 较差 of 指数档次"] == 2


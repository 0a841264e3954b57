"""`policyengine test`: golden cases (inline expect, expect_summary, snapshots), -k,
--junit, --update and --coverage, on a tiny ruleset whose numbers are worked out by hand."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from policyengine.cli import main
from policyengine.golden import check_case, discover, same, shown

RULESET = """\
ruleset demo "演示"
version "1"

input 类别: one of ["甲", "乙"]
dimension 自由裁量度: 1..5
dimension 透明度: 1..5
input 事件: list of {类型: text, 金额: number = 0}

table 系数 {
  | 类别  || 系数 |
  | "甲"  || 1.3  |
  | -     || 1.0  |
}

let 得分 = round(sum(dimensions) * 5 * 系数, 2)

levels 档次 [高 red, 中 yellow, 低 green]

grade 档次 {
  得分 >= 40 -> 高
  得分 >= 20 -> 中
  otherwise  -> 低
}

supervision 档次 {
  高 -> "纪检组", "主要负责人"
  中 -> "分管领导"
  低 -> "科室负责人"
}

sanction 吃请 for e in 事件 where e.类型 == "吃请" {
  fine 10 * e.金额
  action "经济处罚"
  warning orange
}

summary {
  count by 档次, 类别
}
"""

# A: 甲, ratings 4+3 = 7 → 7*5 = 35 → 35*1.3 = 45.5 → 高 (>= 40); one 吃请 of 800 → fine 10*800 = 8000
# B: 乙, ratings 2+2 = 4 → 4*5 = 20 → 20*1.0 = 20 → 中 (>= 20, not >= 40); no events, no fine
ITEMS = """\
items:
  - {id: A, 类别: 甲, 自由裁量度: 4, 透明度: 3, 事件: [{类型: 吃请, 金额: 800}]}
  - {id: B, 类别: 乙, 自由裁量度: 2, 透明度: 2}
"""

GOOD_EXPECT = """\
expect:
  A: {得分: 45.5, 系数: 1.3, 档次: 高, 类别: 甲, fine: 8000, sanctions: [吃请], warning: orange,
      supervision: [纪检组, 主要负责人], 档次.rank: null}
  B: {得分: 20.00, 档次: 中, fine: 0, sanctions: [], warning: null, supervision: [分管领导]}
expect_summary:
  items: 2
  levels: {档次: {高: 1, 中: 1}}
  fines: 8000
"""


@pytest.fixture
def suite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scratch folder with rulesets/demo.policy and an empty cases/ folder, as the cwd."""
    (tmp_path / "rulesets").mkdir()
    (tmp_path / "rulesets" / "demo.policy").write_text(RULESET, encoding="utf-8")
    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def case_file(root: Path, name: str, body: str = "", items: str = ITEMS) -> Path:
    path = root / "cases" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    rel = Path(*[".."] * (len(Path(name).parts))) / "rulesets" / "demo.policy"
    path.write_text(f"ruleset: {rel.as_posix()}\n" + items + textwrap.dedent(body), encoding="utf-8")
    return path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["test", *args])


def last_line(result: Result) -> str:
    return result.stdout.rstrip("\n").split("\n")[-1]


# ---------------------------------------------------------------- inline expect


def test_correct_expect_block_passes(suite: Path) -> None:
    case_file(suite, "demo.yaml", GOOD_EXPECT)
    r = run()
    assert r.exit_code == 0, r.output
    assert last_line(r) == "1 passed, 0 failed"
    assert "PASS cases/demo.yaml" in r.stdout


def test_wrong_expectation_fails_showing_both_numbers(suite: Path) -> None:
    case_file(suite, "demo.yaml", GOOD_EXPECT.replace("得分: 45.5", "得分: 45.6"))
    r = run()
    assert r.exit_code == 1
    assert last_line(r) == "0 passed, 1 failed"
    # 45.5 - 45.6 = -0.1
    assert "FAIL cases/demo.yaml  item A  得分: expected 45.6, got 45.5 (difference -0.1)" in r.stdout


def test_wrong_level_sanctions_and_supervision_are_named(suite: Path) -> None:
    case_file(suite, "demo.yaml", """\
        expect:
          A: {档次: 中, sanctions: [], supervision: [分管领导], warning: red, fine: 800, 类别: 乙}
          B: {档次: 最高}
        """)
    out = run().stdout
    assert "item A  档次: expected 中, got 高" in out
    assert "item A  sanctions: expected [], got [吃请]" in out
    assert "item A  supervision: expected [分管领导], got [纪检组, 主要负责人]" in out
    assert "item A  warning: expected red, got orange" in out
    assert "item A  fine: expected 800, got 8000 (difference +7200)" in out
    assert "item A  类别: expected 乙, got 甲" in out  # an input, as the case gave it
    assert "档次: expected 最高, got 中 (档次 has no level '最高'; its levels are 高, 中, 低)" in out


def test_sanctions_and_supervision_entries_are_partial_too(suite: Path) -> None:
    """`sanctions: [{rule: 吃请, fine: 8000}]` checks those keys of each firing (it used to
    compare the mapping with the bare rule name and always fail)."""
    case_file(suite, "demo.yaml", """\
expect:
  A:  # 吃请 of 800: fine 10 × 800 = 8000, 经济处罚, orange
    sanctions: [{rule: 吃请, fine: 8000.00, actions: [经济处罚], warning: orange}]
    supervision: [{grade: 档次, by: [纪检组, 主要负责人]}]
""")
    r = run()
    assert r.exit_code == 0, r.output
    assert last_line(r) == "1 passed, 0 failed"
    case_file(suite, "demo.yaml", "expect:\n  A: {sanctions: [{rule: 吃请, fine: 800}]}\n")
    r = run()
    assert "item A  sanctions: expected [{rule: 吃请, fine: 800}], got [{rule: 吃请, fine: 8000}]" in r.stdout
    assert last_line(r) == "0 passed, 1 failed"


def test_expect_may_use_the_shape_of_eval_json(suite: Path) -> None:
    """values/grades nested as in §5, and a grade as {level, color, rank}, partially."""
    case_file(suite, "demo.yaml", """\
expect:
  A: {values: {得分: 45.5, 系数: 1.3}, grades: {档次: {level: 高, color: red}}}  # 35 × 1.3 = 45.5
  B: {grades: {档次: 中}, 档次: {rank: null}}                                  # 20 × 1.0 = 20
""")
    r = run()
    assert r.exit_code == 0, r.output
    assert "PASS cases/demo.yaml  (5 expectations)" in r.stdout
    case_file(suite, "demo.yaml", "expect:\n  B: {grades: {档次: {level: 高, color: red}}}\n")
    r = run()
    assert "item B  档次: expected {level: 高, color: red}, got {level: 中, color: yellow}" in r.stdout


def test_unknown_items_and_keys_are_failures_with_did_you_mean(suite: Path) -> None:
    case_file(suite, "demo.yaml", """\
        expect:
          A: {得份: 45.5}
          AA: {得分: 1}
        """)
    r = run()
    assert r.exit_code == 1
    assert "item A  得份: unknown field '得份' (did you mean '得分'?)" in r.stdout
    assert "item AA  no such item in the case (did you mean 'A'?)" in r.stdout
    assert last_line(r) == "0 passed, 1 failed"


def test_expect_summary_is_partial(suite: Path) -> None:
    case_file(suite, "demo.yaml", """\
        expect_summary:
          levels: {档次: {低: 0}}
          fines: 8001
          item: 2
        """)
    out = run().stdout
    assert "summary  fines: expected 8001, got 8000 (difference -1)" in out
    assert "summary  item: the summary has no such entry (did you mean 'items'?)" in out
    assert "levels" not in out  # 低: 0 holds; nothing else of `levels` was asked for


@pytest.mark.parametrize("counts", [
    "{\"档次, 类别\": {高: {甲: 1}, 中: {乙: 2}, 低: {乙: 0}}}",  # a comma in a {…} key needs quotes
    "[{by: [档次, 类别], counts: {高: {甲: 1}, 中: {乙: 2}, 低: {乙: 0}}}]",
])
def test_expect_summary_counts_in_either_form(suite: Path, counts: str) -> None:
    # A is 高/甲, B is 中/乙: 中/乙 counts 1, not 2; 低/乙 never occurs and counts 0
    case_file(suite, "demo.yaml", f"expect_summary:\n  counts: {counts}\n")
    r = run()
    assert "summary  counts[档次, 类别].中.乙: expected 2, got 1 (difference -1)" in r.stdout
    assert r.stdout.count("FAIL") == 1


# ---------------------------------------------------------------- snapshots


def test_update_creates_snapshot_and_touches_nothing_else(suite: Path) -> None:
    case = case_file(suite, "demo.yaml", GOOD_EXPECT)
    ruleset = suite / "rulesets" / "demo.policy"
    before = (case.read_bytes(), ruleset.read_bytes())
    r = run("--update")
    assert r.exit_code == 0, r.output
    assert "snapshot created: cases/demo.expected.json" in r.stdout
    assert (case.read_bytes(), ruleset.read_bytes()) == before
    snap = json.loads((suite / "cases" / "demo.expected.json").read_text(encoding="utf-8"))
    assert snap["case"]["file"] == "demo.yaml"  # relative to the snapshot: the folder can move
    assert snap["items"][0]["values"] == {"系数": 1.3, "得分": 45.5}
    assert snap["summary"]["fines"] == 8000
    assert sorted(p.name for p in (suite / "cases").iterdir()) == ["demo.expected.json", "demo.yaml"]
    # a second --update has nothing to change
    again = run("--update")
    assert "snapshot unchanged" in again.stdout
    assert "snapshot created" not in again.stdout and "snapshot updated" not in again.stdout
    assert run().exit_code == 0


def test_two_case_files_never_share_one_snapshot(suite: Path) -> None:
    """demo.yaml and demo.json both map to demo.expected.json: --update must not let one
    overwrite the other's snapshot."""
    yaml_case = case_file(suite, "demo.yaml")
    json_case = suite / "cases" / "demo.json"
    json_case.write_text(json.dumps({"ruleset": "../rulesets/demo.policy",
                                     "items": [{"id": "C", "类别": "乙", "自由裁量度": 1, "透明度": 1}]}),
                         encoding="utf-8")
    before = (yaml_case.read_bytes(), json_case.read_bytes())
    r = run("--update")
    assert r.exit_code == 1 and last_line(r) == "0 passed, 2 failed"
    assert ("FAIL cases/demo.json  snapshot  demo.expected.json would be the snapshot of this case file and "
            "of demo.yaml: rename one of them (nothing was written)") in r.stdout
    assert not (suite / "cases" / "demo.expected.json").exists()
    assert (yaml_case.read_bytes(), json_case.read_bytes()) == before
    # a data file that is no case file does not count
    json_case.write_text("[1, 2, 3]\n", encoding="utf-8")
    assert run("--update", "cases/demo.yaml").exit_code == 0


def test_ruleset_change_makes_the_snapshot_fail(suite: Path) -> None:
    case_file(suite, "snap.yaml")  # no expect block: the snapshot is the whole test
    assert run().exit_code == 1  # nothing to test yet
    assert run("--update").exit_code == 0
    ruleset = suite / "rulesets" / "demo.policy"
    ruleset.write_text(RULESET.replace('"甲"  || 1.3', '"甲"  || 1.4'), encoding="utf-8")
    r = run()
    assert r.exit_code == 1
    # A: 35 * 1.4 = 49, was 45.5: +3.5
    assert "FAIL cases/snap.yaml  snapshot  item A  系数: expected 1.3, got 1.4 (difference +0.1)" in r.stdout
    assert "item A  得分: expected 45.5, got 49 (difference +3.5)" in r.stdout
    assert last_line(r) == "0 passed, 1 failed"


def test_snapshot_names_a_count_block_by_its_names(suite: Path) -> None:
    case_file(suite, "snap.yaml")
    assert run("--update").exit_code == 0
    ruleset = suite / "rulesets" / "demo.policy"
    ruleset.write_text(RULESET.replace("得分 >= 40 -> 高", "得分 >= 50 -> 高"), encoding="utf-8")
    r = run()
    # A: 45.5 is below 50 now → 中: 高 × 甲 1 → 0, 中 × 甲 0 → 1
    assert "snapshot  summary.counts[档次, 类别].高.甲: expected 1, got 0 (difference -1)" in r.stdout
    assert "snapshot  summary.counts[档次, 类别].中.甲: expected 0, got 1 (difference +1)" in r.stdout


def test_ruleset_edit_with_same_results_passes_with_a_note(suite: Path) -> None:
    case_file(suite, "snap.yaml")
    run("--update")
    ruleset = suite / "rulesets" / "demo.policy"
    ruleset.write_text(RULESET.replace("科室负责人", "科长"), encoding="utf-8")  # no item is 低
    r = run()
    assert r.exit_code == 0
    assert "note: the ruleset text changed since the snapshot was recorded" in r.stdout
    assert "`policyengine test --update` records the new text" in r.stdout  # what to do about it
    assert last_line(r) == "1 passed, 0 failed"


def test_snapshot_reports_changed_sanction_lists_briefly(suite: Path) -> None:
    case = case_file(suite, "snap.yaml")
    run("--update")
    case.write_text(case.read_text(encoding="utf-8").replace("金额: 800}", "金额: 800}, {类型: 吃请, 金额: 5}"),
                    encoding="utf-8")
    out = run().stdout
    # the second 吃请 of 5 adds a firing with fine 10*5 = 50; fines 8000 → 8050
    assert "item A  sanctions: expected [吃请 (fine 8000)], got [吃请 (fine 8000), 吃请 (fine 50)]" in out
    assert "snapshot  summary.fines: expected 8000, got 8050 (difference +50)" in out


def test_broken_snapshot_is_a_failure_and_update_repairs_it(suite: Path) -> None:
    case_file(suite, "snap.yaml")
    (suite / "cases" / "snap.expected.json").write_text("{not json", encoding="utf-8")
    r = run()
    assert r.exit_code == 1 and "cannot read the snapshot" in r.stdout
    assert "snapshot updated: cases/snap.expected.json" in run("--update").stdout
    assert run().exit_code == 0


# ---------------------------------------------------------------- errors, selection, reports


def test_invalid_case_is_a_failed_test_and_the_suite_goes_on(suite: Path) -> None:
    case_file(suite, "a-good.yaml", GOOD_EXPECT)
    case_file(suite, "b-bad.yaml", "expect:\n  A: {得分: 1}\n",
              items="items:\n  - {id: A, 类别: 丙, 自由裁量度: 4, 透明度: 3}\n")
    r = run()
    assert r.exit_code == 1
    assert "FAIL cases/b-bad.yaml  could not be loaded or evaluated:" in r.stdout
    assert "error[PE303]" in r.stdout and "must be one of 甲, 乙" in r.stdout
    assert last_line(r) == "1 passed, 1 failed"


def test_broken_ruleset_fails_each_case_that_uses_it(suite: Path) -> None:
    case_file(suite, "demo.yaml", GOOD_EXPECT)
    (suite / "rulesets" / "demo.policy").write_text(RULESET.replace("let 得分 =", "let 得分 = 未知 +"),
                                                     encoding="utf-8")
    r = run()
    assert r.exit_code == 1
    assert "could not be loaded or evaluated" in r.stdout and "未知" in r.stdout


def test_k_selects_cases_by_path(suite: Path) -> None:
    case_file(suite, "tax/one.yaml", GOOD_EXPECT)
    case_file(suite, "court/two.yaml", GOOD_EXPECT.replace("45.5", "1"))
    r = run("-k", "tax")
    assert r.exit_code == 0 and last_line(r) == "1 passed, 0 failed"
    assert "court" not in r.stdout
    assert last_line(run()) == "1 passed, 1 failed"


def test_no_tests_found_exits_1(suite: Path) -> None:
    case_file(suite, "plain.yaml")  # no expect block, no snapshot: not a test
    r = run()
    assert r.exit_code == 1
    assert "no tests found under cases/" in r.stderr
    r = run("-k", "nothing-matches")
    assert r.exit_code == 1 and "matching -k 'nothing-matches'" in r.stderr


def test_scratch_folder_without_cases_is_searched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`policyengine test` with no PATH in a folder holding a case and its ruleset, but no
    cases/ folder, runs that case (it used to look only for cases/ and find nothing)."""
    import hashlib
    import os

    (tmp_path / "r").mkdir()
    ruleset = tmp_path / "r" / "demo.policy"
    ruleset.write_text(RULESET, encoding="utf-8")
    case = tmp_path / "demo.yaml"
    # A: (4+3)*5 = 35, 35*1.3 = 45.5
    case.write_text("ruleset: r/demo.policy\n" + ITEMS + "expect:\n  A: {得分: 45.5}\n", encoding="utf-8")
    venv = tmp_path / "venv"  # a virtualenv's own YAML files are never searched
    venv.mkdir()
    (venv / "pyvenv.cfg").write_text("home = x\n", encoding="utf-8")
    (venv / "broken.yaml").write_text("expect: [\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    r = run()
    assert r.exit_code == 0, r.output
    assert last_line(r) == "1 passed, 0 failed"

    case.write_text(case.read_text(encoding="utf-8").replace("45.5", "45"), encoding="utf-8")
    r = run()
    # 45.5 - 45 = +0.5
    assert r.exit_code == 1 and last_line(r) == "0 passed, 1 failed"
    assert "FAIL demo.yaml  item A  得分: expected 45, got 45.5 (difference +0.5)" in r.stdout

    def digests() -> tuple[str, str]:
        return tuple(hashlib.sha256(f.read_bytes()).hexdigest() for f in (case, ruleset))  # type: ignore[return-value]

    before = digests()
    r = run("--update")
    assert "snapshot created: demo.expected.json" in r.stdout
    assert digests() == before
    # a snapshot is shared like the case beside it: not private to whoever ran --update
    mask = os.umask(0o022)
    os.umask(mask)
    assert (tmp_path / "demo.expected.json").stat().st_mode & 0o777 == 0o666 & ~mask


def test_only_skipped_files_is_no_test_and_the_last_line_stays_last(suite: Path) -> None:
    plain = case_file(suite, "plain.yaml")
    r = run(str(plain.relative_to(suite)))
    assert r.exit_code == 1
    assert last_line(r) == "0 passed, 0 failed, 1 skipped"
    assert "no tests found under cases/plain.yaml" in r.stderr
    # and what to do about it: record a snapshot of that case
    assert "to record a snapshot of each case that names a ruleset, run policyengine test --update " \
           "cases/plain.yaml" in r.stderr
    # with the streams together, the run still ends with the summary line
    both = CliRunner().invoke(main, ["test", "--min-coverage", "99", str(plain.relative_to(suite))])
    assert both.output.rstrip("\n").split("\n")[-1] == "0 passed, 0 failed, 1 skipped"


def test_missing_path_is_bad_input(suite: Path) -> None:
    r = run("nope/")
    assert r.exit_code == 2
    assert "error[PE601]" in r.stderr


def test_quiet_prints_only_failures_and_the_last_line(suite: Path) -> None:
    case_file(suite, "a.yaml", GOOD_EXPECT)
    case_file(suite, "b.yaml", GOOD_EXPECT.replace("fine: 8000", "fine: 80"))
    lines = run("-q").stdout.rstrip("\n").split("\n")
    assert lines == ["FAIL cases/b.yaml  item A  fine: expected 80, got 8000 (difference +7920)",
                     "1 passed, 1 failed"]


def test_explicit_case_without_expectations_is_skipped(suite: Path) -> None:
    good = case_file(suite, "demo.yaml", GOOD_EXPECT)
    plain = case_file(suite, "plain.yaml")
    r = run(str(good.relative_to(suite)), str(plain.relative_to(suite)))
    assert r.exit_code == 0
    assert last_line(r) == "1 passed, 0 failed, 1 skipped"


def test_junit_xml(suite: Path) -> None:
    case_file(suite, "a.yaml", GOOD_EXPECT)
    case_file(suite, "b.yaml", GOOD_EXPECT.replace("档次: 高", "档次: 低"))
    r = run("--junit", "report.xml")
    assert r.exit_code == 1
    root = ET.parse(suite / "report.xml").getroot()
    assert root.get("tests") == "2" and root.get("failures") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"cases/a.yaml", "cases/b.yaml"}
    assert cases["cases/a.yaml"].find("failure") is None
    failure = cases["cases/b.yaml"].find("failure")
    assert failure is not None and failure.get("message") == "item A  档次: expected 低, got 高"


def test_coverage_names_what_was_never_exercised(suite: Path) -> None:
    case_file(suite, "demo.yaml", GOOD_EXPECT)
    r = run("--coverage")
    assert r.exit_code == 0
    # A is 高 (line 1), B is 中 (line 2): 低 and its lines are never reached.
    # exercised: rows 2/2, grade lines 2/3, levels 2/3, supervision lines 2/3, sanctions 1/1
    # → 9 of 12 = 75%
    assert "coverage of rulesets/demo.policy: 75% (9 of 12)" in r.stdout
    assert ("table rows 2 of 2 · grade lines 2 of 3 · levels 2 of 3 · supervision lines 2 of 3 · "
            "sanctions 1 of 1") in r.stdout
    assert "rulesets/demo.policy:22  grade 档次 line 3  otherwise -> 低" in r.stdout
    assert "rulesets/demo.policy:17  level 低 of 档次" in r.stdout
    assert "rulesets/demo.policy:28  supervision 档次 line 3" in r.stdout
    # what was exercised is listed too, with how often: row 1 (甲) by A, row 2 (-) by B
    assert "  exercised:\n    rulesets/demo.policy:11  table 系数 row 1  | \"甲\" || 1.3 |  (1 time)" in r.stdout
    assert "rulesets/demo.policy:20  grade 档次 line 1  得分 >= 40 -> 高  (1 time)" in r.stdout
    assert "rulesets/demo.policy:31  sanction 吃请  (1 time)" in r.stdout
    assert r.stdout.index("  exercised:") < r.stdout.index("  never exercised:")
    assert run("--min-coverage", "75").exit_code == 0
    below = run("--min-coverage", "80")
    assert below.exit_code == 1 and "coverage 75% is below the minimum 80%" in below.stderr


def test_coverage_accumulates_over_cases(suite: Path) -> None:
    case_file(suite, "demo.yaml", GOOD_EXPECT)
    # C: 乙, ratings 1+1 = 2 → 10 → 低, supervised by 科室负责人
    case_file(suite, "low.yaml", "expect:\n  C: {得分: 10, 档次: 低}\n",
              items="items:\n  - {id: C, 类别: 乙, 自由裁量度: 1, 透明度: 1}\n")
    assert "coverage: 100% (12 of 12)" in run("--coverage").stdout


# ---------------------------------------------------------------- the library


def test_library_check_case(suite: Path) -> None:
    outcome = check_case(case_file(suite, "demo.yaml", GOOD_EXPECT))
    # A: 9 fields, B: 6 fields, summary: items 1 + levels 2 + fines 1 = 19
    assert (outcome.status, outcome.checks) == ("passed", 19)
    assert [g.path.name for g in discover([suite / "cases"])] == ["demo.yaml"]


def test_numbers_compare_by_value() -> None:
    from decimal import Decimal

    assert same(Decimal("109.2"), Decimal("109.20"))
    assert not same(Decimal("1"), True)
    assert not same("109.2", Decimal("109.2"))
    assert shown("109.2") == '"109.2"' and shown(Decimal("109.20")) == "109.2"


def test_a_number_written_in_quotes_is_pointed_out() -> None:
    from decimal import Decimal

    from policyengine.golden import mismatch

    # fine: "3000" in an expect block is a text; the item's fine is the number 3000
    assert mismatch("3000", Decimal("3000")) == (
        'expected "3000", got 3000 (the quotes make "3000" a text: write 3000 without them)')
    assert mismatch("109.20", Decimal("109.2")).endswith("write 109.20 without them)")
    assert mismatch("3001", Decimal("3000")) == 'expected "3001", got 3000'  # a different number: no hint
    assert mismatch("高风险", "一般风险") == "expected 高风险, got 一般风险"

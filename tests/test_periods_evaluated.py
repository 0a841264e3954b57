"""Earlier periods given as case files, evaluated in the same run before the period that reads
them (issue 16: a yearly grade from its quarters), and `case.year`. Values are worked by hand
in the comments."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import cli

ROOT = Path(__file__).resolve().parent.parent
ZHENHAI = ROOT / "cases" / "zhenhai"

RULES = """\
ruleset mini "示例"
version "1"
dimension 裁量: 1..5
let 分 = 裁量 * 10
let 红季 = count(h in history where h.档次 == 高)
levels 档次 [高 red, 中 yellow, 低 green]
grade 档次 {
  分 >= 40 -> 高
  分 >= 20 -> 中
  otherwise -> 低
}
"""


@pytest.fixture
def write(tmp_path: Path):
    (tmp_path / "mini.policy").write_text(RULES, encoding="utf-8")

    def case(name: str, period: str, previous: str, items: str, ruleset: bool = True) -> Path:
        path = tmp_path / name
        head = "ruleset: mini.policy\n" if ruleset else ""
        path.write_text(f"{head}period: {period}\nprevious: {previous}\nitems:\n{items}", encoding="utf-8")
        return path

    return tmp_path, case


def _units(run) -> dict[str, dict]:
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    return {u["id"]: u for u in result["rollups"]["单位"]["units"]}


def test_the_year_reads_its_quarters_given_as_cases_or_as_results(tmp_path: Path) -> None:
    # siji-2008.yaml names its four quarters as case files: they are evaluated first. The same
    # quarters written as results (JSON for Q1, Q2; YAML for Q3, Q4) and given with
    # --previous instead must grade the year the same: ZQ-03 has two red quarters (Q1 47.5,
    # Q3 55) -> C; ZQ-04 one (Q2 55) -> B although its year-end colour is 绿; ZQ-01 -> A.
    from_cases = _units(cli("eval", str(ZHENHAI / "siji-2008.yaml"), "-f", "json"))
    assert {k: (u["values"]["红色季度数"], u["grades"]["廉情等级"]["level"]) for k, u in from_cases.items()} == {
        "ZQ-01": (0, "A"), "ZQ-02": (1, "B"), "ZQ-03": (2, "C"), "ZQ-04": (1, "B")}
    results = []
    for q, suffix in ((1, "json"), (2, "json"), (3, "yaml"), (4, "yaml")):
        out = tmp_path / f"q{q}.{suffix}"
        run = cli("eval", str(ZHENHAI / f"siji-2008q{q}.yaml"), "-o", str(out))
        assert run.returncode == 0, run.stderr
        results.append(out)
    year = tmp_path / "year.yaml"
    text = (ZHENHAI / "siji-2008.yaml").read_text(encoding="utf-8")
    year.write_text(text.replace("previous: [siji-2008q1.yaml, siji-2008q2.yaml, siji-2008q3.yaml, siji-2008q4.yaml]",
                                 "previous: []"), encoding="utf-8")
    # given out of order: they are ordered by period
    args = [a for r in reversed(results) for a in ("--previous", str(r))]
    from_results = _units(cli("eval", str(ROOT / "rulesets" / "zhenhai" / "2008.policy"), str(year), *args, "-f", "json"))
    for uid, unit in from_cases.items():
        assert from_results[uid]["values"] == unit["values"]
        assert from_results[uid]["grades"] == unit["grades"]


def test_the_result_records_the_evaluated_cases(write) -> None:
    tmp, case = write
    case("q1.yaml", "2010Q1", "[]", "  - {id: A, 裁量: 5}\n")   # 50 -> 高
    case("q2.yaml", "2010Q2", "[]", "  - {id: A, 裁量: 1}\n")   # 10 -> 低
    year = case("y.yaml", "2010", "[q2.yaml, q1.yaml]", "  - {id: A, 裁量: 3}\n")
    run = cli("eval", str(year), "-f", "json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert [(p["file"], p["period"]) for p in result["previous"]] == [
        (str(tmp / "q1.yaml"), "2010Q1"), (str(tmp / "q2.yaml"), "2010Q2")]
    assert result["items"][0]["values"]["红季"] == 1   # Q1 高, Q2 低


def test_a_cycle_of_earlier_cases_is_a_located_error(write) -> None:
    tmp, case = write
    case("a.yaml", "2010", "[b.yaml]", "  - {id: A, 裁量: 5}\n")
    case("b.yaml", "2009", "[a.yaml]", "  - {id: A, 裁量: 5}\n")
    out = tmp / "out.json"
    run = cli("eval", str(tmp / "a.yaml"), "-o", str(out))
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    # found while evaluating b.yaml (a's earlier period), at b's `previous:` line (line 3)
    assert f"{tmp / 'b.yaml'}:3:" in run.stderr and "error[PE368]" in run.stderr, run.stderr
    assert "a.yaml is an earlier period of itself" in run.stderr
    assert not out.exists()


def test_a_case_that_names_itself_as_earlier_is_a_cycle(write) -> None:
    tmp, case = write
    case("a.yaml", "2010", "[a.yaml]", "  - {id: A, 裁量: 5}\n")
    run = cli("eval", str(tmp / "a.yaml"))
    assert run.returncode == 2 and "error[PE368]" in run.stderr and "Traceback" not in run.stderr


def test_an_earlier_case_without_a_ruleset_is_a_located_error(write) -> None:
    tmp, case = write
    case("q1.yaml", "2010Q1", "[]", "  - {id: A, 裁量: 5}\n", ruleset=False)
    case("y.yaml", "2010", "[q1.yaml]", "  - {id: A, 裁量: 5}\n")
    run = cli("eval", str(tmp / "y.yaml"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{tmp / 'q1.yaml'}:1:1: error[PE367]" in run.stderr, run.stderr


def test_an_earlier_case_of_another_ruleset_is_refused(write, tmp_path: Path) -> None:
    tmp, case = write
    (tmp / "other.policy").write_text(RULES.replace("ruleset mini", "ruleset other"), encoding="utf-8")
    q1 = case("q1.yaml", "2010Q1", "[]", "  - {id: A, 裁量: 5}\n")
    q1.write_text(q1.read_text(encoding="utf-8").replace("mini.policy", "other.policy"), encoding="utf-8")
    case("y.yaml", "2010", "[q1.yaml]", "  - {id: A, 裁量: 5}\n")
    run = cli("eval", str(tmp / "y.yaml"))
    assert run.returncode == 2 and "error[PE353]" in run.stderr, run.stderr


def test_an_earlier_case_file_with_an_error_reports_it_in_that_file(write) -> None:
    tmp, case = write
    case("q1.yaml", "2010Q1", "[]", "  - {id: A, 裁量: 9}\n")   # 9 is outside 1..5
    case("y.yaml", "2010", "[q1.yaml]", "  - {id: A, 裁量: 5}\n")
    run = cli("eval", str(tmp / "y.yaml"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{tmp / 'q1.yaml'}:5:" in run.stderr, run.stderr


YEAR_RULES = """\
ruleset y "示例"
input 日期: date
let 本年 = year(日期) >= case.year
"""


@pytest.mark.parametrize(("period", "year"), [("2008", 2008), ("2008Q3", 2008), ("2008年第三季度", 2008),
                                              ("2008-05", 2008), ("2008H2", 2008)])
def test_case_year_is_the_year_the_period_lies_in(tmp_path: Path, period: str, year: int) -> None:
    (tmp_path / "y.policy").write_text(YEAR_RULES, encoding="utf-8")
    c = tmp_path / "c.yaml"
    c.write_text(f"ruleset: y.policy\nperiod: {period}\nitems:\n  - {{id: A, 日期: {year}-01-01}}\n"
                 f"  - {{id: B, 日期: {year - 1}-12-31}}\n", encoding="utf-8")
    run = cli("eval", str(c), "-f", "json")
    assert run.returncode == 0, run.stderr
    assert [i["values"]["本年"] for i in json.loads(run.stdout)["items"]] == [True, False]


def test_case_year_of_a_period_not_in_time_is_an_evaluation_error(tmp_path: Path) -> None:
    (tmp_path / "y.policy").write_text(YEAR_RULES, encoding="utf-8")
    c = tmp_path / "c.yaml"
    c.write_text("ruleset: y.policy\nperiod: 第一轮\nitems:\n  - {id: A, 日期: 2008-01-01}\n", encoding="utf-8")
    run = cli("eval", str(c))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "case.year" in run.stderr, run.stderr


def test_quarters_copied_elsewhere_still_find_their_ruleset(tmp_path: Path) -> None:
    # the quarters' `ruleset:` lines are relative to each quarter's own file
    folder = tmp_path / "cases" / "zhenhai"
    shutil.copytree(ZHENHAI, folder, ignore=shutil.ignore_patterns("zhenhai-2008.yaml", "*.py"))
    shutil.copytree(ROOT / "rulesets" / "zhenhai", tmp_path / "rulesets" / "zhenhai")
    units = _units(cli("eval", str(folder / "siji-2008.yaml"), "-f", "json", cwd=tmp_path))
    assert units["ZQ-03"]["grades"]["廉情等级"]["level"] == "C"


# ---- `previous` in a workbook case's `case` sheet, and in `template` ----------------------

def _workbook(path: Path, period: str, previous: list, items: list[list]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "items"
    ws.append(["id", "裁量"])
    for row in items:
        ws.append(row)
    info = book.create_sheet("case")
    info.append(["key", "value"])
    info.append(["ruleset", "mini.policy"])
    info.append(["period", period])
    for name in previous:
        info.append(["previous", name])
    book.save(path)
    return path


def test_a_workbook_case_names_its_earlier_files_in_its_case_sheet(write) -> None:
    tmp, case = write
    case("q1.yaml", "2010Q1", "[]", "  - {id: A, 裁量: 5}\n  - {id: B, 裁量: 1}\n")   # A 高, B 低
    case("q2.yaml", "2010Q2", "[]", "  - {id: A, 裁量: 4}\n  - {id: B, 裁量: 5}\n")   # A 40 高, B 高
    q3 = tmp / "q3.json"
    run = cli("eval", str(case("q3.yaml", "2010Q3", "[]", "  - {id: A, 裁量: 1}\n")), "-o", str(q3))  # A 低
    assert run.returncode == 0, run.stderr
    # one file a row, in any order (ordered by period), a case or a result
    book = _workbook(tmp / "y.xlsx", "2010", ["q3.json", "q1.yaml", "q2.yaml"], [["A", 3], ["B", 3]])
    run = cli("eval", str(book), "-f", "json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert [p["period"] for p in result["previous"]] == ["2010Q1", "2010Q2", "2010Q3"]
    # A: 高 高 低 -> 2 red quarters; B: 低 高 (not in Q3) -> 1
    assert [i["values"]["红季"] for i in result["items"]] == [2, 1]


def test_a_workbook_case_says_first_period_with_empty_brackets(write) -> None:
    tmp, _case = write
    run = cli("eval", str(_workbook(tmp / "y.xlsx", "2010", ["[]"], [["A", 3]])), "-f", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["items"][0]["values"]["红季"] == 0
    # no `previous` row at all: the ruleset reads earlier results, so none given is an error
    run = cli("eval", str(_workbook(tmp / "z.xlsx", "2010", [], [["A", 3]])))
    assert run.returncode == 2 and "error[PE366]" in run.stderr, run.stderr


@pytest.mark.parametrize("previous", [[20100101], ["q1.yaml", "[]"]])
def test_a_bad_previous_row_is_located_at_its_cell(write, previous: list) -> None:
    tmp, _case = write
    run = cli("eval", str(_workbook(tmp / "y.xlsx", "2010", previous, [["A", 3]])))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    row = 3 + len(previous)   # key/value, ruleset, period, then the previous rows: the last is bad
    assert f"y.xlsx[case]!B{row}: error[PE355]" in run.stderr, run.stderr


def test_a_workbook_case_naming_itself_is_a_cycle_located_at_its_case_sheet(write) -> None:
    tmp, _case = write
    run = cli("eval", str(_workbook(tmp / "y.xlsx", "2010", ["y.xlsx"], [["A", 3]])))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "y.xlsx[case]!A4: error[PE368]" in run.stderr, run.stderr


def test_a_workbook_quarter_is_evaluated_in_the_run(write) -> None:
    tmp, case = write
    _workbook(tmp / "q1.xlsx", "2010Q1", ["[]"], [["A", 5]])   # 50 -> 高
    run = cli("eval", str(case("y.yaml", "2010", "[q1.xlsx]", "  - {id: A, 裁量: 3}\n")), "-f", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["items"][0]["values"]["红季"] == 1


def test_template_from_a_case_keeps_its_earlier_files(write) -> None:
    import openpyxl

    tmp, case = write
    case("q1.yaml", "2010Q1", "[]", "  - {id: A, 裁量: 5}\n")
    year = case("y.yaml", "2010", "[q1.yaml]", "  - {id: A, 裁量: 3}\n")
    out = tmp / "y.xlsx"
    run = cli("template", "--from", str(year), "-o", str(out))
    assert run.returncode == 0, run.stderr
    rows = list(openpyxl.load_workbook(out)["case"].iter_rows(values_only=True))
    assert ("previous", "q1.yaml") in rows
    from_book = cli("eval", str(out), "-f", "json")
    from_yaml = cli("eval", str(year), "-f", "json")
    assert from_book.returncode == 0, from_book.stderr
    assert json.loads(from_book.stdout)["items"] == json.loads(from_yaml.stdout)["items"]
    # a first period stays one; a blank template leaves the row empty (not given)
    first = case("f.yaml", "2010", "[]", "  - {id: A, 裁量: 3}\n")
    assert cli("template", "--from", str(first), "-o", str(tmp / "f.xlsx")).returncode == 0
    assert ("previous", "[]") in list(openpyxl.load_workbook(tmp / "f.xlsx")["case"].iter_rows(values_only=True))
    assert cli("template", str(tmp / "mini.policy"), "-o", str(tmp / "blank.xlsx")).returncode == 0
    assert ("previous", None) in list(openpyxl.load_workbook(tmp / "blank.xlsx")["case"].iter_rows(values_only=True))


def test_a_csv_case_says_first_period_on_the_command_line(write) -> None:
    tmp, _case = write
    c = tmp / "c.csv"
    c.write_text("id,裁量\nA,5\n", encoding="utf-8")
    run = cli("eval", str(tmp / "mini.policy"), str(c))
    assert run.returncode == 2 and "error[PE366]" in run.stderr, run.stderr
    run = cli("eval", str(tmp / "mini.policy"), str(c), "--first-period", "--period", "2010", "-f", "json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["items"][0]["values"]["红季"] == 0
    # both at once contradict each other
    run = cli("eval", str(tmp / "mini.policy"), str(c), "--first-period", "--previous", str(c))
    assert run.returncode == 2 and "--first-period" in run.stderr and "Traceback" not in run.stderr


def test_a_chain_of_earlier_cases_too_deep_is_a_located_error(write) -> None:
    tmp, case = write
    # y0 names y1, which names y2 … 40 years back: more than 32 nested evaluations
    for n in range(41):
        later = f"[y{n + 1}.yaml]" if n < 40 else "[]"
        case(f"y{n}.yaml", str(2050 - n), later, "  - {id: A, 裁量: 3}\n")
    run = cli("eval", str(tmp / "y0.yaml"))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "error[PE368]" in run.stderr and "more than 32 deep" in run.stderr, run.stderr


def test_explain_shows_the_earlier_cases_evaluated_in_the_run() -> None:
    run = cli("explain", str(ZHENHAI / "siji-2008.yaml"), "--unit", "ZQ-03")
    assert run.returncode == 0, run.stderr
    assert "siji-2008q1.yaml (period 2008Q1)" in run.stdout and "siji-2008q4.yaml (period 2008Q4)" in run.stdout
    # ZQ-03's quarters: 红 (47.5), 橙, 红 (55), 橙 -> 2 red quarters -> C
    assert "history = [{预警颜色: 红}, {预警颜色: 橙}, {预警颜色: 红}, {预警颜色: 橙}]" in run.stdout
    assert "红色季度数 = count(h in history where h.预警颜色 == 红) = 2" in run.stdout


def test_an_earlier_case_file_is_read_once(write, monkeypatch: pytest.MonkeyPatch) -> None:
    # an earlier period given as a case (workbook, JSON or YAML) is first tried as a result; the
    # file is then read no more often than loading it as a case reads it
    import builtins
    import io
    from collections import Counter

    import python_calamine

    import policyengine as pe
    from policyengine.case import load_case

    tmp, case = write
    _workbook(tmp / "q1.xlsx", "2010Q1", ["[]"], [["A", 5], ["B", 1]])  # A 50 高, B 10 低
    (tmp / "q2.json").write_text(json.dumps({"ruleset": "mini.policy", "period": "2010Q2", "previous": [],
                                             "items": [{"id": "A", "裁量": 4}, {"id": "B", "裁量": 5}]}),
                                 encoding="utf-8")  # A 40 高, B 50 高
    case("q3.yaml", "2010Q3", "[]", "  - {id: A, 裁量: 1}\n")  # A 10 低
    year = case("y.yaml", "2010", "[q1.xlsx, q2.json, q3.yaml]", "  - {id: A, 裁量: 3}\n  - {id: B, 裁量: 3}\n")
    reads: Counter[str] = Counter()
    real_open, real_book = io.open, python_calamine.CalamineWorkbook

    def counted_open(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, Path)):
            reads[Path(file).name] += 1
        return real_open(file, *args, **kwargs)

    class CountedBook:
        @staticmethod
        def from_path(path, *args, **kwargs):  # type: ignore[no-untyped-def]
            reads[Path(path).name] += 1
            return real_book.from_path(path, *args, **kwargs)

    monkeypatch.setattr(io, "open", counted_open)
    monkeypatch.setattr(builtins, "open", counted_open)
    monkeypatch.setattr(python_calamine, "CalamineWorkbook", CountedBook)
    alone: Counter[str] = Counter()
    for name in ("q1.xlsx", "q2.json", "q3.yaml"):
        reads.clear()
        load_case(tmp / name)
        alone[name] = reads[name]
    assert alone["q2.json"] == 1 and alone["q3.yaml"] == 1
    reads.clear()
    result = pe.load_ruleset(tmp / "mini.policy").evaluate(load_case(year))
    # A: 高 高 低 -> 2 red quarters; B: 低 高 (not in Q3) -> 1
    assert [i.values["红季"] for i in result.items] == [2, 1]
    assert {name: reads[name] for name in alone} == dict(alone)

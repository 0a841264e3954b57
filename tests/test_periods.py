"""Earlier results as inputs (`eval --previous`, a case's `previous:`) and reviews due
(`eval --due`), issue 16. Every date below is computed by hand in the comments."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from .conftest import cli

RULES = """\
ruleset mini "示例"
version "1"
dimension 裁量: 1..5
let 分 = 裁量 * 10
levels 档次 [高 red, 中 yellow, 低 green]
grade 档次 {
  分 >= 40 -> 高
  分 >= 20 -> 中
  otherwise -> 低
}
supervision 档次 {
  高 -> "纪检组", "科室" every 1 quarter
  otherwise -> "科室" every 1 year
}
"""


@pytest.fixture
def files(tmp_path: Path):
    rules = tmp_path / "mini.policy"
    rules.write_text(RULES, encoding="utf-8")

    def case(name: str, period, items: str, extra: str = "") -> Path:
        path = tmp_path / name
        head = f"period: {period}\n" if period is not None else ""
        path.write_text(f"ruleset: mini.policy\n{head}{extra}items:\n{items}", encoding="utf-8")
        return path

    def result(name: str, case_path: Path, *args: str) -> Path:
        out = tmp_path / name
        run = cli("eval", str(case_path), "-o", str(out), *args)
        assert run.returncode == 0, run.stderr
        return out

    return tmp_path, case, result


def _json(run) -> dict:
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_next_review_from_a_case_field(files) -> None:
    _tmp, case, _ = files
    c = case("c.yaml", 2012, (
        "  - {id: A, 裁量: 4, 上次检查日期: 2010-05-31}\n"   # 高, a quarter: 2010-05-31 + 3 months = 2010-08-31
        "  - {id: B, 裁量: 2, 上次检查日期: 2011-02-28}\n"   # 中, a year: 2012-02-28
        "  - {id: C, 裁量: 1, 上次检查日期: 2012-02-29}\n"   # 低, a year from a leap day: 2013-02-28
        "  - {id: D, 裁量: 5, 上次检查日期: 2011-11-30}\n"   # 高, a quarter: February 2012 has 29 days: 2012-02-29
        "  - {id: E, 裁量: 1}\n"))                           # never reviewed: due now
    data = _json(cli("eval", str(c), "--due", "2012-02-28", "--last-review-field", "上次检查日期", "-f", "json"))
    nxt = {i["id"]: i["supervision"][0]["next_review"] for i in data["items"]}
    assert nxt == {"A": "2010-08-31", "B": "2012-02-28", "C": "2013-02-28", "D": "2012-02-29", "E": None}
    assert data["items"][0]["supervision"][0]["last_review"] == "2010-05-31"
    due = data["reviews_due"]
    # due on or before 2012-02-28: A (2010-08-31), B (the day itself), E (never); not C, not D (a day later)
    assert due["date"] == "2012-02-28" and due["items"] == 3
    assert [e["id"] for e in due["by"]["纪检组"]] == ["A"]
    assert [e["id"] for e in due["by"]["科室"]] == ["E", "A", "B"]  # never reviewed first, then by date
    assert due["by"]["科室"][0] == {"id": "E", "name": None, "grade": "档次", "level": "低", "every": "1 year",
                                  "last_review": None, "next_review": None}
    # a result workbook's supervision cells say the next review as the CSV's do
    book_path = c.with_suffix(".xlsx")
    cli("eval", str(c), "--due", "2012-02-28", "--last-review-field", "上次检查日期", "-o", str(book_path))
    import openpyxl

    sheet = openpyxl.load_workbook(book_path).worksheets[0]
    header = [cell.value for cell in sheet[1]]
    cells = {row[0]: row[header.index("supervision")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["A"].endswith(" next review 2010-08-31") and cells["E"].endswith(" next review now")


def test_last_review_from_an_earlier_result(files) -> None:
    _tmp, case, result = files
    y2010 = result("y2010.json", case("c2010.yaml", 2010, "  - {id: A, 裁量: 4}\n  - {id: B, 裁量: 2}\n"))
    c = case("c2011.yaml", 2011, (
        "  - {id: A, 裁量: 4}\n"                            # 2010-12-31 + 1 quarter = 2011-03-31: due
        "  - {id: B, 裁量: 2}\n"                            # 2010-12-31 + 1 year = 2011-12-31: not due
        "  - {id: C, 裁量: 2}\n"                            # new: never reviewed, due now
        "  - {id: F, 裁量: 4, 查: 2011-05-15}\n"))          # the field is later than 2010: 2011-08-15
    data = _json(cli("eval", str(c), "--previous", str(y2010), "--due", "2011-06-30", "--last-review-field", "查"))
    nxt = {i["id"]: i["supervision"][0]["next_review"] for i in data["items"]}
    assert nxt == {"A": "2011-03-31", "B": "2011-12-31", "C": None, "F": "2011-08-15"}
    assert data["reviews_due"]["items"] == 2
    assert [e["id"] for e in data["reviews_due"]["by"]["科室"]] == ["C", "A"]
    [used] = data["previous"]
    assert used["file"] == str(y2010) and used["period"] == 2010
    assert used["ruleset"]["id"] == "mini" and used["ruleset"]["digest"].startswith("sha256:")


def test_the_latest_of_several_earlier_results_counts(files) -> None:
    _tmp, case, result = files
    q1 = result("q1.json", case("q1.yaml", "2011Q1", "  - {id: A, 裁量: 4}\n  - {id: B, 裁量: 4}\n"))
    q2 = result("q2.yaml", case("q2.yaml", "2011Q2", "  - {id: A, 裁量: 4}\n"), "-f", "yaml")
    # listed out of order: sorted by period. A: last in 2011Q2 → 2011-06-30 + 3 months = 2011-09-30;
    # B only in 2011Q1 → 2011-03-31 + 3 months = 2011-06-30
    c = case("q3.yaml", "2011Q3", "  - {id: A, 裁量: 4}\n  - {id: B, 裁量: 4}\n", extra="previous: [q2.yaml, q1.json]\n")
    data = _json(cli("eval", str(c), "--due", "2011-07-01"))
    nxt = {i["id"]: i["supervision"][0]["next_review"] for i in data["items"]}
    assert nxt == {"A": "2011-09-30", "B": "2011-06-30"}
    assert [p["period"] for p in data["previous"]] == ["2011Q1", "2011Q2"]
    assert [p["file"] for p in data["previous"]] == [str(q1), str(q2)]


def test_nothing_changes_unless_asked(files) -> None:
    _tmp, case, result = files
    c = case("c.yaml", 2011, "  - {id: A, 裁量: 4}\n")
    plain = cli("eval", str(c), "-f", "json").stdout
    assert "previous" not in plain and "review" not in plain
    y2010 = result("y.json", case("y.yaml", 2010, "  - {id: A, 裁量: 4}\n"))
    recorded = _json(cli("eval", str(c), "--previous", str(y2010), "-f", "json"))
    assert "reviews_due" not in recorded and "next_review" not in json.dumps(recorded)
    del recorded["previous"]
    assert recorded == json.loads(plain)


def test_table_and_csv_show_the_reviews(files) -> None:
    _tmp, case, _ = files
    c = case("c.yaml", 2011, "  - {id: A, name: 甲, 裁量: 4, d: 2011-01-31}\n")
    table = cli("eval", str(c), "--due", "2011-12-31", "--last-review-field", "d", "-f", "table").stdout
    # 2011-01-31 + 3 months = 2011-04-30 (April has 30 days)
    assert "reviews due by 2011-12-31: 1 item(s)" in table
    assert "  纪检组 (1):\n    A 甲 · 档次 高 · every 1 quarter · last reviewed 2011-01-31 · due 2011-04-30" in table
    csv = cli("eval", str(c), "--due", "2011-12-31", "--last-review-field", "d", "-f", "csv").stdout
    assert "纪检组、科室 (every 1 quarter) next review 2011-04-30" in csv


def test_a_declared_date_input_is_used_and_kept(files) -> None:
    tmp, case, _ = files
    (tmp / "mini.policy").write_text(RULES.replace("let 分 = 裁量 * 10", "input 查: date\nlet 分 = 裁量 * 10 + "
                                                   "(if year(查) > 2000 then 0 else 0)"), encoding="utf-8")
    c = case("c.yaml", 2011, "  - {id: A, 裁量: 2, 查: 2011-03-31}\n")  # a year: 2012-03-31
    data = _json(cli("eval", str(c), "--due", "2012-12-31", "--last-review-field", "查"))
    assert data["items"][0]["supervision"][0]["next_review"] == "2012-03-31"
    (tmp / "mini.policy").write_text(RULES.replace("let 分 = 裁量 * 10", "input 查: text\nlet 分 = 裁量 * 10 + "
                                                   "(if 查 == \"x\" then 0 else 0)"), encoding="utf-8")
    run = cli("eval", str(c), "--due", "2012-12-31", "--last-review-field", "查")
    assert run.returncode == 2 and "error[PE356]" in run.stderr and "as text, not as a date" in run.stderr
    assert "mini.policy:4:1:" in run.stderr  # the input line (after ruleset, version, dimension)


@pytest.mark.parametrize(("setup", "code", "words"), [
    ("other", "PE353", "of ruleset 'maxi', not of 'mini'"),
    ("same-period", "PE354", "does not come before the case's period 2011"),
    ("later", "PE354", "period 2012, which does not come before"),
    ("two-same", "PE354", "earlier results must be of distinct periods"),
    ("undated", "PE354", "records no period"),
    ("bad-date", "PE356", "field 'd' (the last review) must be a date (YYYY-MM-DD), not text \"2010/5/31\""),
    ("bad-header", "PE355", "'previous' lists earlier result files"),
    ("missing", "PE350", "result file not found"),
])
def test_bad_earlier_results_are_located(files, setup, code, words) -> None:
    tmp, case, result = files
    items = "  - {id: A, 裁量: 4}\n"
    args: list[str] = []
    if setup == "other":
        (tmp / "maxi.policy").write_text(RULES.replace("ruleset mini", "ruleset maxi"), encoding="utf-8")
        other = case("o.yaml", 2010, items).read_text(encoding="utf-8").replace("mini.policy", "maxi.policy")
        (tmp / "o.yaml").write_text(other, encoding="utf-8")
        args = ["--previous", str(result("o.json", tmp / "o.yaml"))]
    elif setup in ("same-period", "later", "undated"):
        period = {"same-period": 2011, "later": 2012, "undated": None}[setup]
        args = ["--previous", str(result("p.json", case("p.yaml", period, items)))]
    elif setup == "two-same":
        args = ["--previous", str(result("p1.json", case("p1.yaml", 2010, items))),
                "--previous", str(result("p2.json", case("p2.yaml", "2010年度", items)))]
    elif setup == "missing":
        args = ["--previous", str(tmp / "gone.json")]
    extra = "previous: {a: 1}\n" if setup == "bad-header" else ""
    line = "  - {id: A, 裁量: 4, d: 2010/5/31}\n" if setup == "bad-date" else items
    c = case("c.yaml", 2011, line, extra=extra)
    if setup == "bad-date":
        args = ["--due", "2011-12-31", "--last-review-field", "d"]
    run = cli("eval", str(c), *args)
    assert run.returncode == 2, run.stdout
    assert f"error[{code}]" in run.stderr and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    if setup in ("same-period", "later"):
        assert ":10:15: error[PE354]" in run.stderr  # the "period" line of the earlier result's JSON
    if setup == "bad-date":
        assert "c.yaml:4:" in run.stderr and "item A" in run.stderr


def test_last_review_field_needs_due(files) -> None:
    _tmp, case, _ = files
    run = cli("eval", str(case("c.yaml", 2011, "  - {id: A, 裁量: 4}\n")), "--last-review-field", "d")
    assert run.returncode == 2 and "--due" in run.stderr


def test_a_result_with_reviews_reads_back(files) -> None:
    from policyengine.results import read_result

    _tmp, case, result = files
    out = result("r.json", case("c.yaml", 2011, "  - {id: A, 裁量: 4}\n"), "--due", "2011-12-31")
    back = read_result(out)
    assert back.result.items[0].supervision[0].by == ("纪检组", "科室")
    assert dt.date(2011, 1, 1) == back.period.start


def test_review_dates_in_a_result_are_checked_when_read_back(files) -> None:
    from policyengine.results import ResultFileError, read_result

    _tmp, case, result = files
    out = result("r.json", case("c.yaml", 2011, "  - {id: A, 裁量: 4, d: 2011-01-31}\n"),
                 "--due", "2011-12-31", "--last-review-field", "d")
    text = out.read_text(encoding="utf-8")
    assert '"next_review": "2011-04-30"' in text  # 2011-01-31 + 3 months: April has 30 days
    out.write_text(text.replace('"next_review": "2011-04-30"', '"next_review": "soon"', 1), encoding="utf-8")
    with pytest.raises(ResultFileError) as err:
        read_result(out)
    assert err.value.code == "PE352" and "expected a date (YYYY-MM-DD) or null" in err.value.message

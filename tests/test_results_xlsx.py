"""Results read back from the workbook `eval -o x.xlsx` writes (issue 16): the same result
as the JSON and YAML files of the same evaluation, in `compare` and as earlier results, and
every problem located at its cell."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from policyengine.results import read_result

from .conftest import cli

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"


def _write(case: Path, out: Path, *args: str) -> Path:
    run = cli("eval", str(case), "-o", str(out), *args)
    assert run.returncode == 0, run.stderr
    return out


@pytest.mark.parametrize(("case", "args"), [
    ("tax/luoyang-2010.yaml", ()),                    # supervision cadences, sanctions with fines, ranks
    ("zhenhai/siji-2008.yaml", ()),                   # rollups, earlier periods recorded
    ("tax/luoyang-2011-trend.yaml", ("--due", "2011-06-30")),  # reviews due
])
def test_json_yaml_and_xlsx_of_one_evaluation_read_back_equal(tmp_path: Path, case: str, args: tuple) -> None:
    read = [read_result(_write(CASES / case, tmp_path / f"r.{suffix}", *args)) for suffix in ("json", "yaml", "xlsx")]
    for other in read[1:]:
        assert other.result == read[0].result
        assert other.levels == read[0].levels
    assert len(read[0].result.items) > 0


def test_long_text_and_formula_like_text_survive(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text('ruleset r "r"\ninput 说明: text\nlet 抄录 = 说明\n', encoding="utf-8")
    long = "甲" * 70000   # three cells of 32000 characters (the last holds 6000)
    case = tmp_path / "c.yaml"
    case.write_text(f"ruleset: r.policy\nitems:\n  - {{id: '=1+1', name: '=SUM(A1:A9)', 说明: {long}}}\n"
                    "  - {id: B, 说明: '=HYPERLINK(\"x\")'}\n", encoding="utf-8")
    book = _write(case, tmp_path / "r.xlsx")
    back = read_result(book).result
    assert back == read_result(_write(case, tmp_path / "r.json")).result
    assert back.items[0].id == "=1+1" and back.items[0].values["抄录"] == long
    assert back.items[1].values["抄录"] == '=HYPERLINK("x")'


def test_compare_and_previous_read_a_workbook(tmp_path: Path) -> None:
    old_json = _write(CASES / "tax" / "luoyang-2010.yaml", tmp_path / "old.json")
    old_xlsx = _write(CASES / "tax" / "luoyang-2010.yaml", tmp_path / "old.xlsx")
    new = _write(CASES / "tax" / "luoyang-2011.yaml", tmp_path / "new.json")
    by_json = cli("compare", str(old_json), str(new), "-f", "json")
    by_xlsx = cli("compare", str(old_xlsx), str(new), "-f", "json")
    assert by_json.returncode == 0 and by_xlsx.returncode == 0, by_xlsx.stderr
    assert by_xlsx.stdout.replace("old.xlsx", "old.json") == by_json.stdout
    trend = CASES / "tax" / "luoyang-2011.yaml"
    rules = ROOT / "rulesets" / "tax" / "2011-trend.policy"
    with_json = cli("eval", str(rules), str(trend), "--previous", str(old_json), "-f", "json")
    with_xlsx = cli("eval", str(rules), str(trend), "--previous", str(old_xlsx), "-f", "json")
    assert with_json.returncode == 0 and with_xlsx.returncode == 0, with_xlsx.stderr
    a, b = json.loads(with_json.stdout), json.loads(with_xlsx.stdout)
    assert a["items"] == b["items"] and b["previous"][0]["file"] == str(old_xlsx)
    assert sum(1 for i in b["items"] if i["values"]["档次变化"] == "上升") == 3   # ZF-CF-06, XZ-CW-08, XZ-RC-06


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return _write(CASES / "tax" / "small-2010.yaml", tmp_path / "r.xlsx")


def _edit(path: Path, cell: str, change) -> None:
    wb = openpyxl.load_workbook(path)
    ws = wb["result"]
    ws[cell].value = change(ws[cell].value)
    ws[cell].data_type = "s"
    wb.save(path)


def test_invalid_json_in_a_cell_is_located_at_the_cell(book: Path) -> None:
    _edit(book, "A3", lambda text: text.replace('"values"', '"values" ::', 1))   # item 2's row
    run = cli("compare", str(book), str(book))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{book}[result]!A3: error[PE351]" in run.stderr, run.stderr


def test_a_wrong_value_is_located_at_its_item_row(book: Path) -> None:
    _edit(book, "A4", lambda text: text.replace('"name": ', '"name": 12, "x": ', 1))   # item 3
    run = cli("compare", str(book), str(book))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert f"{book}[result]!A4: error[PE352]" in run.stderr, run.stderr


def test_another_rulesets_result_is_located_at_row_1(tmp_path: Path) -> None:
    other = _write(CASES / "zhenhai" / "siji-2008q1.yaml", tmp_path / "zhenhai.xlsx")
    run = cli("eval", str(ROOT / "rulesets" / "tax" / "2011-trend.policy"), str(CASES / "tax" / "luoyang-2011.yaml"),
              "--previous", str(other))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    # the ruleset id is in row 1, the text without the items
    assert f"{other}[result]!A1: error[PE353]" in run.stderr, run.stderr


@pytest.mark.parametrize(("make", "words"), [
    ("case", "no 'result' sheet"),
    ("two", "holds 2 results"),
    ("empty", "result sheet is empty"),
])
def test_workbooks_that_are_not_one_result_are_refused(tmp_path: Path, make: str, words: str) -> None:
    path = tmp_path / "x.xlsx"
    if make == "two":
        run = cli("eval", str(ROOT / "rulesets" / "tax" / "2010.policy"), str(CASES / "tax" / "small-2010.yaml"),
                  str(CASES / "tax" / "small-2010.yaml"), "-o", str(path))
        assert run.returncode == 0, run.stderr
    else:
        wb = openpyxl.Workbook()
        wb.active.title = "items"
        if make == "empty":
            wb.create_sheet("summary")
            wb.create_sheet("result")
        wb.save(path)
    run = cli("compare", str(path), str(path))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "error[PE352]" in run.stderr and words in run.stderr, run.stderr


def test_a_case_workbook_as_previous_is_evaluated_not_read_as_a_result(tmp_path: Path) -> None:
    # the workbook case of the 2010 register, made by template: no result sheet, so a case
    book = tmp_path / "c2010.xlsx"
    run = cli("template", "--from", str(CASES / "tax" / "luoyang-2010.yaml"), "-o", str(book))
    assert run.returncode == 0, run.stderr
    rules = ROOT / "rulesets" / "tax" / "2011-trend.policy"
    by_case = cli("eval", str(rules), str(CASES / "tax" / "luoyang-2011.yaml"), "--previous", str(book), "-f", "json")
    assert by_case.returncode == 0, by_case.stderr
    assert json.loads(by_case.stdout)["previous"][0]["period"] == 2010

"""Spreadsheets in and out (docs/spreadsheets.md): XLSX and CSV case files, cell-located
errors, notes in every output, result and diff workbooks, templates."""

from __future__ import annotations

import datetime as _dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import policyengine as pe
from policyengine.api import ruleset_from_text
from policyengine.case import load_case
from policyengine.case.template import case_csv, case_workbook
from policyengine.errors import CaseError
from policyengine.render import json_chunks

from .conftest import ROOT, cli

FIXTURES = ROOT / "tests" / "fixtures" / "spreadsheets"
SHIPPED_CASES = sorted(p for p in (ROOT / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))


def _json(rs: Any, case: Any) -> str:
    text = "".join(json_chunks([rs.evaluate(case)]))
    return re.sub(r'\n    "file": "[^"]*"', "", text, count=1)  # the case file's name differs, by design


# ---------------------------------------------------------------- one result, whatever the form


@pytest.mark.parametrize("path", SHIPPED_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_a_shipped_case_as_xlsx_and_as_csv_gives_the_same_json(path: Path, tmp_path: Path) -> None:
    case = load_case(path)
    rs = pe.load_ruleset(case.ruleset, base=path.parent)
    expected = _json(rs, case)
    book = tmp_path / "case.xlsx"
    book.write_bytes(case_workbook(rs.model, str(Path(rs.path).resolve()), case))
    assert _json(rs, load_case(book)) == expected
    for field, text in case_csv(rs.model, case).items():
        (tmp_path / ("case.csv" if field is None else f"case.{field}.csv")).write_text(text, encoding="utf-8")
    header = {"title": case.title, "unit": case.unit, "period": case.period}
    assert _json(rs, load_case(tmp_path / "case.csv", header)) == expected


# ---------------------------------------------------------------- the register fixtures
# register.policy on four illustrative items; worked out by hand:
#   分 = 自由裁量度 + 透明度 (+ 2 for a 领导岗位); 高 from 8, 中 from 5; 涉及金额 > 1000 raises to 高
#   ZF-01: 4 + 3 + 2 (是) = 9 -> 高 (and 5,000 > 1000); fine 2 × 800 (吃请) = 1600; 送礼 fines nothing
#   ZF-02: 2 + 3 = 5 (否) -> 中; 涉及金额 0.1 exactly
#   GL-01: 1 + 1 = 2 (FALSE) -> 低; 涉及金额 left empty: the default 0
#   GL-02: 3 + 2 + 2 (√) = 7 -> 中; 涉及金额 "20" (text) is 20; fine 2 × 50.5 = 101
#   fines 1600 + 101 = 1701
REGISTER = FIXTURES / "register.policy"
EXPECTED = {"ZF-01": ("高", Decimal(9), Decimal(1600)), "ZF-02": ("中", Decimal(5), Decimal(0)),
            "GL-01": ("低", Decimal(2), Decimal(0)), "GL-02": ("中", Decimal(7), Decimal(101))}


def _check_register(result: Any) -> None:
    got = {i.id: (i.grades["等级"].level, i.values["分"], i.fine) for i in result.items}
    assert got == EXPECTED
    assert result.summary["fines"] == Decimal(1701)
    assert result.summary["levels"]["等级"] == {"高": 1, "中": 2, "低": 1}
    first = result.item("ZF-01")
    assert first.notes == {"责任部门": "征管科", "防控措施": "双人审核"}
    assert result.item("ZF-02").notes == {"责任部门": None, "防控措施": None}
    assert first.values["年度"] == 2013


@pytest.mark.parametrize("name", ["register.xlsx", "register-calc.xlsx", "register-gbk.csv"])
def test_the_register_fixtures_evaluate_to_the_worked_results(name: str) -> None:
    rs = pe.load_ruleset(REGISTER)
    header = {"title": "示例局 2013 年度风险点台账", "unit": "示例局", "period": "2013"} if name.endswith(".csv") else None
    case = load_case(FIXTURES / name, header)
    assert (case.title, case.unit, case.period) == ("示例局 2013 年度风险点台账", "示例局", 2013)
    _check_register(rs.evaluate(case))


def test_the_calc_saved_workbook_is_really_from_libreoffice() -> None:
    import zipfile

    with zipfile.ZipFile(FIXTURES / "register-calc.xlsx") as z:
        assert b"LibreOffice" in z.read("docProps/app.xml")


def test_the_gbk_fixture_is_gbk_with_crlf_line_ends() -> None:
    raw = (FIXTURES / "register-gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.count(b"\r\n") == 5 and raw.decode("gbk").startswith("id,name,岗位类别")


def test_a_formula_without_a_saved_value_is_an_error_that_says_so() -> None:
    rs = pe.load_ruleset(REGISTER)
    with pytest.raises(CaseError) as exc:
        rs.evaluate(load_case(FIXTURES / "formula.xlsx"))
    d = exc.value.diagnostics[0]
    assert (d.code, d.location()) == ("PE323", f"{FIXTURES / 'formula.xlsx'}[风险点]!J5")
    assert "=1+1 has no saved value" in d.message


def test_a_formula_with_its_saved_value_reads_the_value(tmp_path: Path) -> None:
    # the Calc-saved fixture: J5 is the formula =1+1, saved with its value 2
    book = openpyxl.load_workbook(FIXTURES / "register-calc.xlsx")
    assert book["风险点"]["J5"].value == "=1+1"
    case = load_case(FIXTURES / "register-calc.xlsx")
    assert case.items[3]["透明度"] == Decimal(2)


# ---------------------------------------------------------------- cell values


def _book(tmp_path: Path, rows: list[list[Any]], name: str = "c.xlsx", **sheets: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "风险点"
    for row in rows:
        ws.append(row)
    for title, body in sheets.items():
        extra = book.create_sheet(title)
        for row in body:
            extra.append(row)
    path = tmp_path / name
    book.save(path)
    return path


def test_a_number_cell_is_the_decimal_of_its_shortest_form(tmp_path: Path) -> None:
    path = _book(tmp_path, [["id", "x"], ["A", 0.1], ["B", 3.0], ["C", 1e-7], ["D", 12345678.9]])
    assert [i["x"] for i in load_case(path).items] == [Decimal("0.1"), Decimal(3), Decimal("1e-07"),
                                                       Decimal("12345678.9")]


@pytest.mark.parametrize(("text", "value"), [
    ("5,000", Decimal(5000)), (" 12 ", Decimal(12)), ("-1,234.5", Decimal("-1234.5")), ("１２", Decimal(12)),
    ("15%", Decimal("0.15"))])
def test_text_is_a_number_where_a_number_is_declared(text: str, value: Decimal, tmp_path: Path) -> None:
    rs = ruleset_from_text("ruleset t\ninput x: number\nlet y = x\n")
    path = _book(tmp_path, [["id", "x"], ["A", text]])
    assert rs.evaluate(load_case(path)).items[0].values["y"] == value


@pytest.mark.parametrize(("text", "value"), [("TRUE", True), ("FALSE", False), ("是", True), ("否", False),
                                             ("√", True), ("×", False), ("true", True), ("false", False)])
def test_bool_words(text: str, value: bool, tmp_path: Path) -> None:
    rs = ruleset_from_text("ruleset t\ninput b: bool\nlet y = if b then 1 else 0\n")
    path = tmp_path / "c.csv"
    path.write_text(f"id,b\nA,{text}\n", encoding="utf-8")
    assert rs.evaluate(load_case(path)).items[0].values["y"] == (1 if value else 0)


@pytest.mark.parametrize("text", ["2013-03-02", "2013/3/2", "2013年3月2日", "2013.3.2", "2013-03-02 00:00:00"])
def test_date_text(text: str, tmp_path: Path) -> None:
    rs = ruleset_from_text("ruleset t\ninput d: date\nlet m = d == 2013-03-02\n")
    path = _book(tmp_path, [["id", "d"], ["A", text], ["B", _dt.datetime(2013, 3, 2)]])
    assert [i.values["m"] for i in rs.evaluate(load_case(path)).items] == [True, True]


def test_the_words_are_read_only_where_their_type_is_declared(tmp_path: Path) -> None:
    # "是" is text for a text input, "5,000" text for a `one of`: nothing is guessed
    rs = ruleset_from_text('ruleset t\ninput a: text\ninput b: one of ["5,000", "x"]\n'
                              "let y = a\nlet z = b\n")
    path = tmp_path / "c.csv"
    path.write_text('id,a,b\n7,是,"5,000"\n', encoding="utf-8")
    item = rs.evaluate(load_case(path)).items[0]
    assert (item.id, item.values["y"], item.values["z"]) == ("7", "是", "5,000")


def test_a_yaml_case_stays_strict(tmp_path: Path) -> None:
    rs = ruleset_from_text("ruleset t\ninput x: number\nlet y = x\n")
    path = tmp_path / "c.yaml"
    path.write_text('items:\n  - {id: A, x: "5,000"}\n', encoding="utf-8")
    with pytest.raises(CaseError, match="must be a number"):
        rs.evaluate(load_case(path))


# ---------------------------------------------------------------- errors name the cell


def test_every_invalid_row_is_reported_at_its_cell_and_nothing_is_evaluated(tmp_path: Path) -> None:
    rows = [["id", "岗位类别", "排查日期", "自由裁量度", "透明度", "责任部分"],
            ["ZF-01", "执法", "2013-03-02", 4, 3, "x"],
            ["ZF-03", "执法", "2013-03-02", 4, 7, None],
            ["ZF-04", "执法", "someday", 9, 1, None]]
    path = _book(tmp_path, rows, "台账.xlsx")
    out = cli("eval", str(REGISTER), str(path), "-o", str(tmp_path / "out.json"))
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if "error[" in line]
    assert lines == [
        f"{path}[风险点]!F1: error[PE303]: unknown column '责任部分' (did you mean '责任部门'?)",
        f"{path}[风险点]!E3: error[PE303]: item ZF-03: field '透明度': 7 is outside 1..5",
        f"{path}[风险点]!C4: error[PE303]: item ZF-04: field '排查日期': must be a date (2013-03-02, 2013/3/2 "
        "or 2013年3月2日), not text \"someday\"",
        f"{path}[风险点]!D4: error[PE303]: item ZF-04: field '自由裁量度': 9 is outside 1..5",
    ]
    assert not (tmp_path / "out.json").exists()


def test_a_list_element_error_names_its_sheet_and_cell(tmp_path: Path) -> None:
    rows = [["id", "岗位类别", "排查日期", "自由裁量度", "透明度"], ["A", "执法", "2013-03-02", 1, 1]]
    path = _book(tmp_path, rows, 事件=[["id", "类型", "金额"], ["A", "吃请", -5], ["B", "吃请", 1]])
    with pytest.raises(CaseError) as exc:
        pe.load_ruleset(REGISTER).evaluate(load_case(path))
    assert [d.render().split("\n")[0] for d in exc.value.diagnostics] == [
        f"{path}[事件]!A3: error[PE322]: no item 'B' in the items"]
    path = _book(tmp_path, rows, 事件=[["id", "类型", "金额"], ["A", "吃请", -5]])
    with pytest.raises(CaseError) as exc:
        pe.load_ruleset(REGISTER).evaluate(load_case(path))
    assert exc.value.diagnostics[0].render().split("\n")[0] == (
        f"{path}[事件]!C2: error[PE303]: item A: field '事件': element 1, field '金额': -5 is below the minimum >= 0")


def test_a_csv_companion_error_names_the_companion_file(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("id,岗位类别,排查日期,自由裁量度,透明度\nA,执法,2013-03-02,1,1\n", encoding="utf-8")
    (tmp_path / "c.事件.csv").write_text("id,类型,金额\nA,吃请,x\n", encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        pe.load_ruleset(REGISTER).evaluate(load_case(tmp_path / "c.csv"))
    d = exc.value.diagnostics[0]
    assert (d.file, d.line, d.column) == (str(tmp_path / "c.事件.csv"), 2, 3)
    assert d.message == "field '事件': element 1, field '金额': must be a number, not text \"x\""


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04garbage", "this is not a readable XLSX workbook"),
    (b"id,x\n", "this is not a readable XLSX workbook"),
])
def test_a_file_that_is_not_a_workbook(data: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "c.xlsx"
    path.write_bytes(data)
    with pytest.raises(CaseError, match=message) as exc:
        load_case(path)
    assert exc.value.code == "PE320"


def test_a_workbook_named_yaml_is_refused_as_such(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes((FIXTURES / "register.xlsx").read_bytes())
    with pytest.raises(CaseError, match="give it the .xlsx extension") as exc:
        load_case(path)
    assert exc.value.code == "PE320"


def test_a_csv_neither_utf8_nor_gbk(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b"id,x\n\xff\xfe\xff,1\n")
    with pytest.raises(CaseError, match="neither UTF-8 nor GBK") as exc:
        load_case(path)
    assert exc.value.code == "PE320"


def test_header_problems(tmp_path: Path) -> None:
    path = _book(tmp_path, [["id", "x", "x", None], ["A", 1, 2, 3]])
    with pytest.raises(CaseError) as exc:
        load_case(path)
    assert [(d.code, d.location()) for d in exc.value.diagnostics] == [
        ("PE321", f"{path}[风险点]!C1"), ("PE321", f"{path}[风险点]!D2")]


def test_an_unknown_case_key(tmp_path: Path) -> None:
    path = _book(tmp_path, [["id"], ["A"]], case=[["key", "value"], ["titel", "x"]])
    with pytest.raises(CaseError, match=r"unknown case key 'titel' \(did you mean 'title'\?\)"):
        load_case(path)

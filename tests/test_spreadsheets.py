"""Spreadsheets in and out (docs/spreadsheets.md): XLSX and CSV case files, cell-located
errors, notes in every output, result and diff workbooks, templates."""

from __future__ import annotations

import datetime as _dt
import json
import os
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
from policyengine.previous import attach_earlier, previous_paths
from policyengine.render import json_chunks

from .conftest import ROOT
from .conftest import cli as in_a_process

FIXTURES = ROOT / "tests" / "fixtures" / "spreadsheets"
SHIPPED_CASES = sorted(p for p in (ROOT / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))


def cli(*args: str) -> Any:
    """The command line in-process (as tests/test_examples.py runs it): a subprocess per
    call would cost a second each on a busy machine. `returncode` as a subprocess has it."""
    from click.testing import CliRunner

    from policyengine.cli import main

    result = CliRunner().invoke(main, list(args))
    result.returncode = result.exit_code
    return result


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
    book.write_bytes(case_workbook(rs.model, str(Path(rs.path).resolve()), case, tmp_path))
    # a workbook names its earlier results in its `case` sheet, relative to itself
    assert load_case(book).previous == (None if case.previous is None else [
        os.path.relpath(path.parent / p, tmp_path).replace(os.sep, "/") for p in case.previous])
    assert _json(rs, load_case(book)) == expected
    # a CSV case has no header: its earlier results come as `eval --previous` gives them
    # (`--first-period` for `previous: []`)
    earlier = previous_paths(case)
    for field, text in case_csv(rs.model, case).items():
        (tmp_path / ("case.csv" if field is None else f"case.{field}.csv")).write_text(text, encoding="utf-8")
    header = {"title": case.title, "unit": case.unit, "period": case.period,
              "previous": [] if case.previous == [] else None}
    assert _json(rs, _with_earlier(load_case(tmp_path / "case.csv", header), rs, earlier)) == expected


def _with_earlier(case: Any, rs: Any, paths: list[str]) -> Any:
    if paths:
        attach_earlier(case, rs.id, paths)
    return case


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


def _companion_error(tmp_path: Path, field: str, text: str) -> Any:
    """The first diagnostic of a one-item CSV register with the companion `c.<field>.csv`."""
    (tmp_path / "c.csv").write_text("id,岗位类别,排查日期,自由裁量度,透明度\nA,执法,2013-03-02,1,1\n", encoding="utf-8")
    (tmp_path / f"c.{field}.csv").write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as exc:
        pe.load_ruleset(REGISTER).evaluate(load_case(tmp_path / "c.csv"))
    return exc.value.diagnostics[0]


def test_a_csv_companion_error_names_the_companion_file(tmp_path: Path) -> None:
    d = _companion_error(tmp_path, "事件", "id,类型,金额\nA,吃请,x\n")
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
    with pytest.raises(CaseError, match=r"give it the \.xlsx extension") as exc:
        load_case(path)
    assert exc.value.code == "PE320"


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # how every .xls and WPS .et file begins


@pytest.mark.parametrize("suffix", [".xls", ".XLS", ".et", ".ods", ".xlsb", ".numbers"])
def test_a_workbook_of_another_format_is_refused_by_name(suffix: str, tmp_path: Path) -> None:
    # once read as a YAML file: "case file is not valid UTF-8 (byte 0xd0)"
    path = tmp_path / f"台账{suffix}"
    path.write_bytes(OLE2 + bytes(500))
    with pytest.raises(CaseError) as refused:
        load_case(path)
    assert [d.render() for d in refused.value.diagnostics] == [
        f"{path}: error[PE320]: policyengine does not read {suffix.lower()} workbooks: save it again as .xlsx "
        "(Excel or WPS: Save As, Excel workbook) or as CSV UTF-8"]
    with pytest.raises(CaseError) as missing:  # a missing file is still that
        load_case(tmp_path / f"missing{suffix}")
    assert missing.value.code == "PE301"


@pytest.mark.parametrize("suffix", [".yaml", ".json", ""])
def test_an_old_workbook_renamed_as_a_text_case_is_told_apart(suffix: str, tmp_path: Path) -> None:
    path = tmp_path / f"c{suffix}"
    path.write_bytes(OLE2 + bytes(500))
    with pytest.raises(CaseError, match=r"an older Excel or WPS workbook \(\.xls, \.et\), not a "
                       + re.escape(suffix or "YAML") + " case file") as exc:
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


# ---------------------------------------------------------------- results as a workbook


def test_eval_writes_a_result_workbook_by_the_output_extension(tmp_path: Path) -> None:
    out = tmp_path / "result.xlsx"
    run = cli("eval", str(REGISTER), str(FIXTURES / "register.xlsx"), "-o", str(out))
    assert run.returncode == 0, run.stderr
    book = openpyxl.load_workbook(out)
    # people read items and summary; the hidden result sheet is what is read back (results/xlsx.py)
    assert book.sheetnames == ["items", "summary", "result"]
    assert [ws.sheet_state for ws in book.worksheets] == ["visible", "visible", "hidden"]
    ws = book["items"]
    header = [c.value for c in ws[1]]
    assert header == ["id", "name", "责任部门", "防控措施", "岗位类别", "涉及金额", "领导岗位", "排查日期", "事件",
                      "自由裁量度", "透明度", "分", "年度", "等级", "supervision", "sanctions", "fine", "warning"]
    rows = {r[0].value: {h: c for h, c in zip(header, r, strict=True)} for r in ws.iter_rows(min_row=2)}
    first = rows["ZF-01"]
    assert (first["责任部门"].value, first["涉及金额"].value, first["领导岗位"].value) == ("征管科", 5000, True)
    assert first["排查日期"].value == _dt.datetime(2013, 3, 2) and first["排查日期"].number_format == "yyyy-mm-dd"
    assert (first["分"].value, first["等级"].value, first["fine"].value) == (9, "高", 1600)
    assert rows["ZF-02"]["涉及金额"].value == 0.1
    # each level's cell filled in its colour (高 red, 中 yellow, 低 green)
    assert {k: r["等级"].fill.fgColor.rgb[-6:] for k, r in rows.items()} == {
        "ZF-01": "FFC7CE", "ZF-02": "FFEB9C", "GL-01": "C6EFCE", "GL-02": "FFEB9C"}
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:R5"
    assert ws.column_dimensions["B"].width == 10  # 税款核定: 4 CJK characters, 8 columns, + 2
    summary = [tuple(v for v in r if v is not None) for r in book["summary"].iter_rows(values_only=True)]
    assert ("items", 4) in summary and ("高", 1) in summary and ("中", 2) in summary
    assert ("等级 \\ 岗位类别", "执法", "管理", "total") in summary and ("中", 1, 1, 2) in summary
    assert ("fines", 1701) in summary


def test_the_result_workbook_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    from policyengine.render.xlsx import to_xlsx

    rs = pe.load_ruleset(REGISTER)
    first = to_xlsx([rs.evaluate(load_case(FIXTURES / "register.xlsx"))])
    import time

    time.sleep(1.1)  # openpyxl would stamp another second
    assert to_xlsx([rs.evaluate(load_case(FIXTURES / "register.xlsx"))]) == first


def test_a_number_a_double_cannot_hold_is_written_as_its_exact_text() -> None:
    from policyengine.render.xlsx import cell_value

    assert cell_value(Decimal("0.1")) == 0.1
    assert cell_value(Decimal("109.20")) == 109.2
    assert cell_value(Decimal("123456789012345")) == 123456789012345  # 15 digits: Excel shows them all
    assert cell_value(Decimal("1234567890123456")) == "1234567890123456"  # 16: Excel would show …450
    assert cell_value(Decimal("2") ** 60) == "1152921504606846976"
    assert cell_value(Decimal("0.1234567890123456789")) == "0.1234567890123456789"
    assert cell_value(Decimal("1.0000000000000001")) == "1.0000000000000001"


@pytest.mark.parametrize(("ext", "start"), [(".json", b"{"), (".yaml", b"ruleset:"), (".csv", "\ufeffid".encode()),
                                            (".xlsx", b"PK\x03\x04")])
def test_the_output_format_follows_the_extension(ext: str, start: bytes, tmp_path: Path) -> None:
    out = tmp_path / f"out{ext}"
    run = cli("eval", str(REGISTER), str(FIXTURES / "register.xlsx"), "-o", str(out))
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith(start)


def test_notes_reach_the_csv_yaml_and_table(tmp_path: Path) -> None:
    for fmt, wanted in (("csv", "ZF-01,税款核定,征管科,双人审核"), ("yaml", "    责任部门: 征管科"), ("table", "双人审核")):
        run = cli("eval", str(REGISTER), str(FIXTURES / "register.xlsx"), "-f", fmt)
        assert wanted in run.stdout, (fmt, run.stdout[:300])


def test_diff_writes_a_workbook(tmp_path: Path) -> None:
    stricter = tmp_path / "stricter.policy"
    stricter.write_text(REGISTER.read_text("utf-8").replace("分 >= 5   -> 中", "分 >= 5   -> 高"), "utf-8")
    out = tmp_path / "diff.xlsx"
    run = cli("diff", str(REGISTER), str(stricter), "--cases", str(FIXTURES / "register.xlsx"), "-o", str(out))
    assert run.returncode == 0, run.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["changes", "items", "migration 等级"]
    assert [c.value for c in book["changes"][2]][:3] == ["grade", "等级", "modified"]
    # ZF-02 (5) and GL-02 (7) move from 中 to 高; ZF-01 stays 高, GL-01 低
    items = list(book["items"].iter_rows(min_row=2, values_only=True))
    assert sorted((r[1], r[3], r[4]) for r in items) == [("GL-02", "中", "高"), ("ZF-02", "中", "高")]
    matrix = list(book["migration 等级"].iter_rows(values_only=True))
    assert matrix[:5] == [("等级: old \\ new", "高", "中", "低", "total"), ("高", 1, 0, 0, 1), ("中", 2, 0, 0, 2),
                          ("低", 0, 0, 1, 1), ("total", 3, 0, 1, 4)]
    assert ("verdict", "stricter", None, None, None) in matrix


def test_a_diff_workbook_shows_each_items_sanctions_and_fine_before_and_after(tmp_path: Path) -> None:
    """The fine of 违规吃请 goes from 2× to 3× the banquet: ZF-01 (800) 1600 -> 2400, GL-02
    (50.5) 101 -> 151.5; no grade changes, so the items sheet is about sanctions alone."""
    dearer = tmp_path / "dearer.policy"
    dearer.write_text(REGISTER.read_text("utf-8").replace("fine 2 * e.金额", "fine 3 * e.金额"), "utf-8")
    out = tmp_path / "diff.xlsx"
    run = cli("diff", str(REGISTER), str(dearer), "--cases", str(FIXTURES / "register.xlsx"), "-o", str(out))
    assert run.returncode == 0, run.stderr
    sheet = openpyxl.load_workbook(out)["items"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("case", "id", "name", "sanctions (old)", "sanctions (new)", "fine (old)", "fine (new)")
    assert sorted((r[1], *r[3:]) for r in rows[1:]) == [("GL-02", "违规吃请", "违规吃请", 101, 151.5),
                                                        ("ZF-01", "违规吃请", "违规吃请", 1600, 2400)]


# ---------------------------------------------------------------- templates


def test_a_filled_template_evaluates_with_no_other_step(tmp_path: Path) -> None:
    book_path = tmp_path / "台账.xlsx"
    (tmp_path / "register.policy").write_text(REGISTER.read_text("utf-8"), "utf-8")
    run = cli("template", str(tmp_path / "register.policy"), "-o", str(book_path))
    assert run.returncode == 0, run.stderr
    book = openpyxl.load_workbook(book_path)
    assert book.sheetnames == ["风险点", "事件", "case"]
    ws = book["风险点"]
    header = [c.value for c in ws[1]]
    assert header == ["id", "name", "岗位类别", "涉及金额", "领导岗位", "排查日期", "责任部门", "防控措施",
                      "自由裁量度", "透明度"]
    assert ws["C1"].comment.text.startswith("岗位的类别")
    rules = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert rules["C2:C1000"].formula1 == '"执法,管理"' and rules["E2:E1000"].formula1 == '"是,否"'
    assert (rules["I2:I1000"].type, rules["I2:I1000"].formula1, rules["I2:I1000"].formula2) == ("decimal", "1", "5")
    assert (rules["D2:D1000"].operator, rules["D2:D1000"].formula1) == ("greaterThanOrEqual", "0")
    assert rules["F2:F1000"].type == "date"
    assert [c.value for c in book["事件"][1]] == ["id", "类型", "金额", "日期"]
    assert [r for r in book["case"].iter_rows(values_only=True)][:2] == [("key", "value"), ("ruleset", "register.policy")]
    # fill it in as an officer would (text, 是/否, a date typed as text)
    ws.append(["A", "甲", "执法", 2000, "是", "2013/3/2", "办公室", None, 4, 4])
    ws.append(["B", "乙", "管理", None, "否", _dt.datetime(2013, 3, 2), None, None, 1, 2])
    book["事件"].append(["A", "吃请", 10, "2013-05-01"])
    book.save(book_path)
    run = cli("eval", str(book_path), "-f", "json")
    assert run.returncode == 0, run.stderr
    items = {i["id"]: i for i in json.loads(run.stdout)["items"]}
    # A: 4 + 4 + 2 = 10 -> 高, fine 2 × 10 = 20; B: 1 + 2 = 3 -> 低
    assert items["A"]["grades"]["等级"]["level"] == "高" and items["A"]["sanctions"][0]["fine"] == 20
    assert items["B"]["grades"]["等级"]["level"] == "低" and items["A"]["notes"]["责任部门"] == "办公室"


def test_a_template_is_deterministic_and_csv_has_companions(tmp_path: Path) -> None:
    assert cli("template", str(REGISTER), "-o", str(tmp_path / "a.xlsx")).returncode == 0
    assert cli("template", str(REGISTER), "-o", str(tmp_path / "b.xlsx")).returncode == 0
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert cli("template", str(REGISTER), "-o", str(tmp_path / "t.csv")).returncode == 0
    assert (tmp_path / "t.csv").read_text("utf-8-sig") == "id,name,岗位类别,涉及金额,领导岗位,排查日期,责任部门,防控措施,自由裁量度,透明度\n"
    assert (tmp_path / "t.事件.csv").read_text("utf-8-sig") == "id,类型,金额,日期\n"


# ---------------------------------------------------------------- notes


NOTED = """\
ruleset t
input q: number
note 责任部门, 防控措施: text "描述"
levels L [高 red, 低 green]
grade L {
  q > 1     -> 高
  otherwise -> 低
}
"""


def test_notes_are_never_unused_and_round_trip_through_yaml(tmp_path: Path) -> None:
    from policyengine.fmt import convert_file

    path = tmp_path / "t.policy"
    path.write_text(NOTED, "utf-8")
    run = cli("check", "--strict", str(path))
    assert run.returncode == 0 and "0 warning(s)" in run.stdout
    as_yaml = convert_file(path, "yaml", None)
    assert "  责任部门: {type: text, doc: 描述, note: true}" in as_yaml
    (tmp_path / "t.yaml").write_text(as_yaml, "utf-8")
    back = convert_file(tmp_path / "t.yaml", "dsl", None)
    assert 'note 责任部门: text "描述"' in back and 'note 防控措施: text "描述"' in back
    assert pe.load_ruleset(tmp_path / "t.yaml").digest == pe.load_ruleset(path).digest


def test_a_rule_reading_a_note_is_linted(tmp_path: Path) -> None:
    path = tmp_path / "t.policy"
    path.write_text(NOTED + 'let x = 责任部门 == "a"\n', "utf-8")
    run = cli("check", str(path))
    assert "warning[PE210]: note '责任部门' is used by a rule" in run.stderr


def test_notes_are_validated_optional_and_in_the_json(tmp_path: Path) -> None:
    rs = ruleset_from_text(NOTED)
    result = rs.evaluate(pe.Case(items=[{"id": "A", "q": 2, "责任部门": "办公室"}, {"id": "B", "q": 0}]))
    assert [i.notes for i in result.items] == [{"责任部门": "办公室", "防控措施": None},
                                               {"责任部门": None, "防控措施": None}]
    data = json.loads("".join(json_chunks([result])))
    assert list(data["items"][0]) == ["id", "name", "notes", "values", "grades", "supervision", "sanctions"]
    with pytest.raises(CaseError, match="must be text, not number 5"):
        rs.evaluate(pe.Case(items=[{"id": "A", "q": 2, "责任部门": Decimal(5)}]))


def test_a_ruleset_without_notes_keeps_its_json_unchanged() -> None:
    rs = ruleset_from_text("ruleset t\ninput q: number\nlet y = q\n")
    data = json.loads("".join(json_chunks([rs.evaluate(pe.Case(items=[{"id": "A", "q": 2}]))])))
    assert "notes" not in data["items"][0]


def test_both_readers_read_the_same_case() -> None:
    from policyengine.case.xlsx import _read_with_openpyxl, read_xlsx

    for name in ("register.xlsx", "register-calc.xlsx"):
        fast, slow = read_xlsx(FIXTURES / name), _read_with_openpyxl(FIXTURES / name)
        assert fast.items == slow.items and fast.header() == slow.header()


def test_an_error_cell_is_not_read_as_empty(tmp_path: Path) -> None:
    # 涉及金额 has a default: an error cell read as empty would silently become 0
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["id", "岗位类别", "涉及金额", "排查日期", "自由裁量度", "透明度"])
    ws.append(["A", "执法", "#DIV/0!", "2013-03-02", 1, 1])
    ws["C2"].data_type = "e"
    book.save(tmp_path / "c.xlsx")
    with pytest.raises(CaseError) as exc:
        pe.load_ruleset(REGISTER).evaluate(load_case(tmp_path / "c.xlsx"))
    assert exc.value.diagnostics[0].render().split("\n")[0] == (
        f"{tmp_path / 'c.xlsx'}[Sheet]!C2: error[PE303]: item A: field '涉及金额': must be a number, not text \"#DIV/0!\"")


def test_rows_and_columns_are_the_sheets_own_when_the_table_does_not_start_at_a1(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    ws = book.active
    ws["C3"], ws["D3"], ws["C4"], ws["D4"] = "id", "x", "A", "bad"
    book.save(tmp_path / "c.xlsx")
    rs = ruleset_from_text("ruleset t\ninput x: number\nlet y = x\n")
    with pytest.raises(CaseError) as exc:
        rs.evaluate(load_case(tmp_path / "c.xlsx"))
    assert exc.value.diagnostics[0].location() == f"{tmp_path / 'c.xlsx'}[Sheet]!D4"


def test_a_workbook_is_a_golden_case_and_a_diff_case(tmp_path: Path) -> None:
    (tmp_path / "register.policy").write_text(REGISTER.read_text("utf-8"), "utf-8")
    made = cli("template", "--from", str(FIXTURES / "register.xlsx"), str(tmp_path / "register.policy"),
               "-o", str(tmp_path / "台账.xlsx"))
    assert made.returncode == 0, made.stderr
    assert cli("test", "--update", str(tmp_path)).returncode == 0
    snapshot = json.loads((tmp_path / "台账.expected.json").read_text("utf-8"))
    assert snapshot["summary"]["fines"] == 1701
    run = cli("test", str(tmp_path))
    assert run.returncode == 0 and run.stdout.splitlines()[-1] == "1 passed, 0 failed"
    stricter = tmp_path / "stricter.policy"
    stricter.write_text(REGISTER.read_text("utf-8").replace("fine 2 * e.金额", "fine 3 * e.金额"), "utf-8")
    diff = json.loads(cli("diff", str(tmp_path / "register.policy"), str(stricter), "--cases", str(tmp_path),
                          "-f", "json").stdout)
    assert diff["impact"]["fines"] == {"old": 1701, "new": 2551.5}  # 3 × (800 + 50.5)


def test_an_evaluation_error_names_the_items_row_in_the_workbook(tmp_path: Path) -> None:
    rs = ruleset_from_text("ruleset z\ninput a: number\nlet b = 1 / a\n")
    path = _book(tmp_path, [["id", "a"], ["A", 1], ["B", 0]])
    with pytest.raises(pe.EvaluationError) as exc:
        rs.evaluate(load_case(path))
    assert exc.value.diagnostics[0].notes[-1] == f"item B is at {path}[风险点]!A3"


def test_a_stray_cell_far_from_the_table_is_refused_before_it_is_laid_out(tmp_path: Path) -> None:
    # A1:XFD200000 would be 3.3 billion cells: python-calamine aborts the process allocating them
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(["id", "a"])
    ws.append(["A", 1])
    ws["XFD200000"] = "x"
    book.save(tmp_path / "c.xlsx")
    run = in_a_process("eval", str(REGISTER), str(tmp_path / "c.xlsx"))  # an abort would take pytest along
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "error[PE320]: a sheet of this workbook reaches row 200000 and column XFD" in run.stderr


def test_a_note_is_diffed_and_optional_in_the_case_schema(tmp_path: Path) -> None:
    old, new = tmp_path / "old.policy", tmp_path / "new.policy"
    old.write_text(NOTED.replace('note 责任部门, 防控措施: text "描述"\n', ""), "utf-8")
    new.write_text(NOTED, "utf-8")
    changes = pe.diff(str(old), str(new)).to_dict()["changes"]
    assert [(c["kind"], c["name"], c["change"], c["new"]) for c in changes] == [
        ("input", "责任部门", "added", 'note 责任部门: text "描述"'),
        ("input", "防控措施", "added", 'note 防控措施: text "描述"')]
    item = pe.load_ruleset(new).schema()["properties"]["items"]["items"]
    assert item["required"] == ["id", "q"]
    assert item["properties"]["责任部门"] == {"type": "string", "description": "描述"}


def test_explain_reads_a_workbook_and_names_the_items_row() -> None:
    text = pe.explain(str(REGISTER), str(FIXTURES / "register.xlsx"), "GL-02").to_text()
    assert f"case {FIXTURES / 'register.xlsx'}[风险点]!A5" in text
    # 分 = 3 + 2 + 2 (√) = 7; the note 防控措施 is shown with the inputs
    assert "防控措施 = 公开招标" in text and "= 7   [" in text


def test_a_sheet_that_is_no_list_field_is_reported_once_at_its_header(tmp_path: Path) -> None:
    rows = [["id", "岗位类别", "排查日期", "自由裁量度", "透明度"], ["A", "执法", "2013-03-02", 1, 1],
            ["B", "执法", "2013-03-02", 1, 1]]
    path = _book(tmp_path, rows, 事故=[["id", "类型"], ["A", "x"], ["B", "y"]])
    with pytest.raises(CaseError) as exc:
        pe.load_ruleset(REGISTER).evaluate(load_case(path))
    assert [d.render().split("\n")[0] for d in exc.value.diagnostics] == [
        f"{path}[事故]!A1: error[PE303]: unknown sheet '事故' (did you mean '事件'?)"]


def test_a_companion_file_that_is_no_list_field(tmp_path: Path) -> None:
    d = _companion_error(tmp_path, "事故", "id,类型\nA,x\n")
    assert (d.location(), d.message) == (f"{tmp_path / 'c.事故.csv'}:1:1",
                                         "unknown companion file '事故' (did you mean '事件'?)")


def test_a_template_needs_an_xlsx_or_csv_name_and_a_workbook_needs_a_file(tmp_path: Path) -> None:
    run = cli("template", str(REGISTER), "-o", str(tmp_path / "t.ods"))
    assert run.returncode == 2 and "error[PE324]: a template is an .xlsx workbook or a .csv file" in run.stderr
    assert not (tmp_path / "t.ods").exists()
    run = cli("eval", str(REGISTER), str(FIXTURES / "register.xlsx"), "-f", "xlsx")
    assert run.returncode == 2 and "an XLSX workbook is written to a file: give --output FILE.xlsx" in run.stderr

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

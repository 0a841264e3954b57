"""Reading a large XLSX case: policyengine's reader (python-calamine underneath), the same
reader on openpyxl's read-only mode (what it uses for workbooks holding formulas), and
python-calamine alone, on the same workbook; then the evaluation of the case read.

    python3 bench/spreadsheet.py              # 100k items (target: read in <= 10 s)
    python3 bench/spreadsheet.py --items 20000

The workbook is the benchmark's tax workload (generate.py) in the layout of
docs/spreadsheets.md: one sheet of items, a `事件` sheet of incidents. It is generated into
bench/data/ on first use (openpyxl's write-only mode). The readers take turns, round after
round, the order reversed every other round (bench/measure.py); each figure is the median of
the rounds; the load average is printed before and after. Exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from generate import items  # noqa: E402
from measure import alternating, header, load, timed  # noqa: E402

TARGET_SECONDS = 10.0
COLUMNS = ["id", "单位", "权力类别", "权力", "运行次数", "自由裁量度", "透明度", "可复核度", "制约度"]


def workbook_path(n: int) -> Path:
    path = HERE / "data" / f"tax-{n}.xlsx"
    if path.exists():
        return path
    import openpyxl

    path.parent.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("风险点")
    events = book.create_sheet("事件")
    sheet.append(COLUMNS)
    events.append(["id", "类型", "金额"])
    for item in items(n):
        sheet.append([item[c] for c in COLUMNS])
        for event in item.get("事件", []):
            events.append([item["id"], event["类型"], event.get("金额")])
    info = book.create_sheet("case")
    for row in (["key", "value"], ["title", f"基准测试 {n} 个风险点"], ["period", 2010]):
        info.append(row)
    tmp = path.with_suffix(".part")
    book.save(tmp)
    tmp.replace(path)
    return path


def read_with_calamine(path: Path) -> int:
    """The same work as policyengine's reader, by python-calamine: every cell of every sheet
    as Python values, rows turned into item dicts."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_name("风险点").to_python(skip_empty_area=False)
    header = rows[0]
    found = [{h: v for h, v in zip(header, row, strict=False) if v != ""} for row in rows[1:]]
    book.get_sheet_by_name("事件").to_python()
    return len(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    import policyengine as pe
    from policyengine.case import load_case

    path = workbook_path(args.items)
    header(f"{args.items} items, {path.stat().st_size / 2**20:.1f} MiB workbook, {args.rounds} rounds")
    from policyengine.case.xlsx import _read_with_openpyxl

    readers: dict[str, Callable[[], Any]] = {"load_case": lambda: load_case(path),
                                             "openpyxl": lambda: _read_with_openpyxl(path)}
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        print("python-calamine: not installed (pip install python-calamine) — skipped")
    else:
        readers["calamine"] = lambda: read_with_calamine(path)
    # the first round runs load_case first: the other readers' results are checked against its case
    first: dict[str, Any] = {}

    def same_items(found: Any) -> None:
        assert found.items == first["case"].items

    def same_count(count: int) -> None:
        assert count == len(first["case"].items)

    times = alternating(readers, args.rounds, {"load_case": lambda case: first.update(case=case),
                                               "openpyxl": same_items, "calamine": same_count})
    shown = {"load_case": "policyengine load_case (calamine):   ",
             "openpyxl": "policyengine on openpyxl (read-only):",
             "calamine": "python-calamine alone (no items):    "}
    for name, runs in times.items():
        print(f"{shown[name]} read {statistics.median(runs):.2f} s (rounds: {', '.join(f'{t:.2f}' for t in runs)})")
    case = first.pop("case")
    rs = pe.load_ruleset(HERE / "tax-bench.policy")
    evaluation, result = timed(lambda: rs.evaluate(case))
    print(f"evaluation of the read case (one run): {evaluation:.2f} s; fines {result.summary['fines']}")
    print(f"load average after: {load()}")
    best = statistics.median(times["load_case"])
    verdict = "met" if best <= TARGET_SECONDS else "MISSED"
    print(f"target: read {args.items} items in <= {TARGET_SECONDS:.0f} s — {verdict}")
    return 0 if best <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())

"""Results as an aligned table for the terminal, with the summary under it."""

from __future__ import annotations

import re
from typing import Any

from ..result import Result
from .tabular import cell, rollup_rows, rows


def to_table(result: Result) -> str:
    out = [_title(result), _aligned(*rows(result)), "", summary_text(result)]
    for name, rollup in result.rollups.items():
        # one block per rollup: its units as the items are shown, then its summary
        out += ["", f"rollup {name} · {len(rollup.units)} units", _aligned(*rollup_rows([result], name)), "",
                summary_lines(rollup.summary, len(rollup.units), "units")]
    return "\n".join(out) + "\n"


def _aligned(header: list[str], body: list[list[str]]) -> str:
    from tabulate import tabulate

    numeric = {i for i, h in enumerate(header) if i > 1 and all(
        re.fullmatch(r"-?\d+(\.\d+)?", r[i]) or r[i] == "" for r in body)}
    align = ["right" if i in numeric else "left" for i in range(len(header))]
    return tabulate(body, headers=header, tablefmt="simple", colalign=align, disable_numparse=True)


def _title(result: Result) -> str:
    rs, case = result.ruleset, result.case
    parts = [f"{rs['id']} {rs['version'] or ''}".strip()]
    if case.get("title"):
        parts.append(str(case["title"]))
    return " · ".join(parts)


def summary_text(result: Result) -> str:
    """The summary under a result table: the one-line figures first (items, levels,
    counts, sums, fines), then each `count by a, b` as a cross-table of its own, a
    values down and b values across with totals, as it would be laid out on paper."""
    return summary_lines(result.summary, len(result.items), "items")


def summary_lines(s: dict[str, Any], shown: int, subject: str) -> str:
    from tabulate import tabulate

    lines = [f"{subject}: {s['items']}"]
    if shown != s["items"]:  # `eval --item`: the summary still covers the whole case
        lines[0] += f" ({shown} shown; the summary counts all {s['items']})"
    for scale, counts in s["levels"].items():
        lines.append(f"{scale}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    for block in s.get("counts", []):
        if len(block["by"]) == 1 and block["by"][0] not in s["levels"]:
            lines.append(f"{block['by'][0]}: " + ", ".join(f"{k} {v}" for k, v in block["counts"].items()))
    for name, total in s.get("sums", {}).items():
        lines.append(f"sum {name}: {cell(total)}")
    lines.append(f"fines: {cell(s['fines'])}")
    for block in s.get("counts", []):
        by = block["by"]
        if len(by) == 1:
            continue  # one line above
        lines.append("")
        lines.append("count by " + ", ".join(by))
        if len(by) == 2:
            header, body = _cross_table(by, block["counts"])
            lines.append(tabulate(body, headers=header, tablefmt="simple", disable_numparse=True,
                                  colalign=("left", *("right",) * (len(header) - 1))))
        else:
            flat = _flatten(block["counts"], len(by))
            lines.append(tabulate([[*k, str(v)] for k, v in flat], headers=[*by, "count"], tablefmt="simple",
                                  disable_numparse=True, colalign=(*("left",) * len(by), "right")))
    return "\n".join(lines)


def _cross_table(by: list[str], counts: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """`count by a, b` as rows of a values, columns of b values, a total column and a
    total row."""
    columns: list[str] = []
    for inner in counts.values():
        columns.extend(c for c in inner if c not in columns)
    body = []
    for row, inner in counts.items():
        cells = [inner.get(c, 0) for c in columns]
        body.append([str(row), *(str(n) for n in cells), str(sum(cells))])
    totals = [sum(inner.get(c, 0) for inner in counts.values()) for c in columns]
    body.append(["total", *(str(n) for n in totals), str(sum(totals))])
    return [f"{by[0]} \\ {by[1]}", *columns, "total"], body


def _flatten(tree: dict[str, Any], depth: int) -> list[tuple[tuple[str, ...], Any]]:
    out: list[tuple[tuple[str, ...], Any]] = []
    for k, v in tree.items():
        if depth > 1 and isinstance(v, dict):
            out.extend(((k, *kk), vv) for kk, vv in _flatten(v, depth - 1))
        else:
            out.append(((k,), v))
    return out

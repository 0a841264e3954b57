"""The summary's counts come from one pass over the rows (evaluate._counted_together): each
grade's level counts and each `count by` line's combinations must be what counting the rows
for that grade or line alone gives, with the same first-seen key objects (a number spelt
1.0 in the first item that has it is shown as that item spells it)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from operator import itemgetter
from typing import Any

from hypothesis import HealthCheck, given, settings

import policyengine as pe
from policyengine import evaluate as evaluation
from policyengine.evaluate import evaluate_with_rows

from .conftest import ruleset
from .generated_rulesets import Generated, rulesets


def direct(compiled: Any, rows: list[list[Any]]) -> dict[Any, list[tuple[Any, int]]]:
    """Each grade's slot and each count line's slots counted on their own."""
    plan = evaluation._output_plan(compiled)
    out: dict[Any, list[tuple[Any, int]]] = {}
    for g in compiled.grades:
        out[g.slot] = list(Counter(map(itemgetter(g.slot), rows)).items())
    lines = compiled.ruleset.summary.lines if compiled.ruleset.summary else []
    for line in lines:
        if line.kind == "count":
            slots = tuple(plan.value_of(compiled, n)[0] for n in line.names)
            out[slots] = list(Counter(map(itemgetter(*slots), rows)).items())
    return out


def same(got: dict[Any, Counter[Any]], want: dict[Any, list[tuple[Any, int]]]) -> None:
    assert set(got) == set(want)
    for key, counts in want.items():
        pairs = list(got[key].items())
        assert sorted(map(repr, pairs)) == sorted(map(repr, counts))  # same values, same spellings
        firsts = {k: k for k, _n in counts}
        for k, _n in pairs:  # the very values counting the rows would keep
            kept = firsts[k]
            assert all(a is b for a, b in zip(kept, k, strict=True)) if isinstance(k, tuple) else kept is k


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets())
def test_counted_together_is_each_line_counted_alone(g: Generated) -> None:
    rs = ruleset(g.text)
    rows = evaluate_with_rows(rs.compiled, pe.Case(items=g.items, **({"units": g.units} if g.units else {})))[1]
    lines = rs.compiled.ruleset.summary.lines if rs.compiled.ruleset.summary else []
    counted = evaluation._counted_together(rs.compiled, rows, [x for x in lines if x.kind == "count"])
    same(counted, direct(rs.compiled, rows))


TEXT = """
ruleset t "t"
version "1"
input 分: number
input 类: text
levels 档 [高, 低]
grade 档 {
  分 >= 5 -> 高
  otherwise -> 低
}
summary {
  count by 分
  count by 档, 类
}
"""


def test_a_number_counted_keeps_the_first_items_spelling() -> None:
    # 1.0 first, then 1 and 1.00: one key, spelt as the first item spells it; 7 twice
    items = [{"id": str(i), "分": v, "类": k} for i, (v, k) in enumerate(
        [(Decimal("1.0"), "甲"), (Decimal("1"), "乙"), (Decimal("7"), "甲"), (Decimal("1.00"), "甲"),
         (Decimal("7"), "乙")])]
    case = pe.Case(items=items)
    rs = ruleset(TEXT)
    summary = rs.evaluate(case).summary
    assert summary["counts"][0]["counts"] == {"1": 3, "7": 2}  # format_number shows 1.0 as 1
    assert summary["counts"][1]["counts"] == {"高": {"乙": 1, "甲": 1}, "低": {"乙": 1, "甲": 2}}
    assert summary["levels"] == {"档": {"高": 2, "低": 3}}

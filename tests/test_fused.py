"""The fused evaluation loop (validation running the first stage on each row as it lays it
out) against the separate passes it replaces, kept reachable through `evaluate._FUSED`:
same results, same rows, same diagnostics, byte for byte, on generated rulesets and on
cases with every kind of bad value, as Decimals (a loaded file) and as Python ints and
floats (`pe.Case(items=[…])`)."""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyengine as pe
from policyengine import evaluate as evaluation
from policyengine.errors import CaseError, EvaluationError

from .conftest import ruleset
from .fuzz.inputs import _plain as python_values  # a loaded case's Decimals as ints and floats
from .generated_rulesets import Generated, rulesets

BENCH = Path(__file__).resolve().parent.parent / "bench"
SETTINGS: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@contextmanager
def separate_passes() -> Iterator[None]:
    saved = evaluation._FUSED
    evaluation._FUSED = False
    try:
        yield
    finally:
        evaluation._FUSED = saved


def outcome(rs: Any, items: list[Any], progress: Any = None, **header: Any) -> tuple[Any, ...]:
    """What evaluating gives: the result (as SPEC §5 writes it) and the slot lists, or the
    error's class and its diagnostics (each compared field by field, notes included)."""
    from policyengine.evaluate import evaluate_with_rows

    case = pe.Case(items=list(items), **header)
    try:
        result, rows = evaluate_with_rows(rs.compiled, case, rs.digest, progress)
    except (CaseError, EvaluationError) as exc:
        return type(exc).__name__, exc.diagnostics
    # an item's slots may point at its unit's row, which lists the item: compare without those
    plain = [[v for v in row if not isinstance(v, list) or not v or not isinstance(v[0], list)] for row in rows]
    return "result", result.to_dict(), plain if not rs.compiled.rollups else None


def both(rs: Any, items: list[Any], **header: Any) -> tuple[Any, ...]:
    """The outcome of the fused loop and of separate passes, each with and without a
    progress bar (which runs validation a chunk at a time): all the same, and the same
    steps told."""
    fused = outcome(rs, items, **header)
    steps: list[int] = []
    assert outcome(rs, items, steps.append, **header) == fused
    with separate_passes():
        apart_steps: list[int] = []
        apart = outcome(rs, items, apart_steps.append, **header)
    assert fused == apart
    if fused[0] != "EvaluationError":  # (after 50 run-time errors the passes stop at different steps)
        assert steps == apart_steps
    return fused


# what a field may hold instead of a good value: the wrong kind, out of bounds, not finite,
# too large, a whole-number field given a fraction, the same number spelt otherwise
BAD_VALUES = ["12", "", None, True, [], {}, Decimal("NaN"), Decimal("-1"), Decimal("1e30"), Decimal("2.5"),
              Decimal("5000"), Decimal("3.000"), 3, 3.0, -0.0, 1.5, float("inf"), "甲", "丁"]


@st.composite
def spoilt(draw: Any, items: list[dict[str, Any]]) -> list[Any]:
    """The items with a few of them spoilt: a bad value, a field missing or unknown, an id
    repeated or missing, a name that is not text, an item that is not a mapping."""
    out: list[Any] = [dict(item) for item in items]
    for _ in range(draw(st.integers(0, 3))):
        k = draw(st.integers(0, len(out) - 1))
        item = out[k]
        if not isinstance(item, dict):
            continue
        how = draw(st.sampled_from(["value", "value", "missing", "unknown", "id", "no id", "name", "not a mapping"]))
        fields = [f for f in item if f != "id"]
        if how == "value" and fields:
            item[draw(st.sampled_from(fields))] = draw(st.sampled_from(BAD_VALUES))
        elif how == "missing" and fields:
            del item[draw(st.sampled_from(fields))]
        elif how == "unknown":
            item["未知字段"] = Decimal(1)
        elif how == "id":
            item["id"] = out[0]["id"] if isinstance(out[0], dict) and "id" in out[0] else 7
        elif how == "no id":
            item.pop("id", None)
        elif how == "name":
            item["name"] = draw(st.sampled_from([Decimal(12), ["x"], "名称", None]))
        elif how == "not a mapping":
            out[k] = draw(st.sampled_from([[1], "item", Decimal(1)]))
    return out


@settings(max_examples=60, **SETTINGS)
@given(rulesets(), st.data())
def test_the_fused_loop_agrees_with_separate_passes_on_generated_rulesets(g: Generated, data: Any) -> None:
    rs = ruleset(g.text)
    header = {"units": g.units} if g.units else {}
    got = both(rs, g.items, **header)
    assert got[0] == "result"  # the generator's cases fit their rulesets
    both(rs, python_values(g.items), **header)
    items = data.draw(spoilt(g.items))
    both(rs, items, **header)
    both(rs, python_values(items), **header)


@pytest.mark.slow
@settings(max_examples=600, **SETTINGS)
@given(rulesets(), st.data())
def test_the_fused_loop_agrees_with_separate_passes_on_many_generated_rulesets(g: Generated, data: Any) -> None:
    test_the_fused_loop_agrees_with_separate_passes_on_generated_rulesets.hypothesis.inner_test(g, data)


def test_generated_rulesets_do_take_the_fused_loop() -> None:
    # guard against a differential test that quietly compares the old path with itself
    from hypothesis import Phase, find

    found = find(rulesets(), lambda g: evaluation._fused_stage(ruleset(g.text).compiled) is not None
                 and "sanction" in g.text and "table" in g.text,
                 settings=settings(max_examples=500, database=None, phases=[Phase.generate], **SETTINGS))
    assert found.items


def test_the_bench_rulesets_take_the_fused_loop() -> None:
    for name in ("tax-bench.policy", "tax-bench-flat.policy", "tax-bench-units.policy"):
        assert evaluation._fused_stage(pe.load_ruleset(BENCH / name).compiled) is not None, name


def test_a_first_stage_that_reads_every_item_or_records_a_trace_runs_apart() -> None:
    every = ruleset("""
        ruleset t
        input x: number
        let 占比 = x / sum(i.x for i in items)
    """)
    assert evaluation._fused_stage(every.compiled) is None
    plain = ruleset("ruleset t\ninput x: number\nlet y = x * 2\n")
    assert evaluation._fused_stage(plain.compiled) is not None
    assert evaluation._fused_stage(plain.traced()) is None


DIVIDES = """
    ruleset t
    input x: number
    input n: integer >= 0
    input 事件: list of {金额: number = 0}
    let y = 100 / (x - 3)
    let z = y + n
    levels 档 [高, 低]
    grade 档 {
      top 2 by z -> 高
      otherwise -> 低
    }
    sanction 罚 for e in 事件 where e.金额 > 0 {
      fine 10 * e.金额 / (x - 4)
    }
"""


def test_run_time_errors_are_the_same_whether_fused_or_not() -> None:
    rs = ruleset(DIVIDES)
    items = [{"id": f"i{k}", "x": Decimal(k % 7), "n": Decimal(k), "事件": [{"金额": Decimal(5)}]}
             for k in range(30)]
    kind, diagnostics = both(rs, items)
    # x = 3 divides by zero in y; x = 4 fires the sanction, then divides by zero in its fine
    assert kind == "EvaluationError"
    assert [(d.code, d.item) for d in diagnostics] == (
        [("PE401", f"i{k}") for k in range(30) if k % 7 == 3] + [("PE401", f"i{k}") for k in range(30) if k % 7 == 4])
    # as Python values, and after an item validation had to look at slowly (an int id)
    both(rs, python_values(items))
    both(rs, [{**items[0], "id": 99}, *items[1:]])


def test_more_failures_than_reported_stop_at_the_same_items() -> None:
    rs = ruleset(DIVIDES)
    items = [{"id": f"i{k}", "x": Decimal(3 if k % 2 else 5), "n": Decimal(k)} for k in range(300)]
    kind, diagnostics = both(rs, items)
    assert kind == "EvaluationError" and len(diagnostics) == 50
    assert diagnostics[-1].item == "i99" and "stopped after 50 problems" in diagnostics[-1].notes


def test_a_case_error_comes_before_a_run_time_error() -> None:
    rs = ruleset(DIVIDES)
    items = [{"id": "a", "x": Decimal(3), "n": Decimal(1)}, {"id": "b", "x": Decimal(5), "n": Decimal("1.5")}]
    kind, diagnostics = both(rs, items)
    assert kind == "CaseError" and [d.item for d in diagnostics] == ["b"]


def test_an_item_laid_out_slowly_is_run_by_the_stage_function() -> None:
    # an id given as a number is not what the fused loop takes: validation lays that item out
    # field by field, and the stage function runs it afterwards, firing its sanctions once
    rs = ruleset(DIVIDES)
    items = [{"id": "a", "x": Decimal(5), "n": Decimal(1), "事件": [{"金额": Decimal(2)}, {"金额": Decimal(3)}]},
             {"id": 7, "x": 7, "n": 2, "事件": [{"金额": 1}]}]
    kind, result, _rows = both(rs, items)
    assert kind == "result"
    # a: 10 × 2 / (5 − 4) = 20 and 10 × 3 / (5 − 4) = 30; 7: 10 × 1 / (7 − 4), 40 digits half-up
    third = Decimal("3.333333333333333333333333333333333333333")
    assert [[s["fine"] for s in i["sanctions"]] for i in result["items"]] == [[Decimal(20), Decimal(30)], [third]]
    assert result["summary"]["fines"] == Decimal("53.33333333333333333333333333333333333333")


def test_the_callers_decimal_context_changes_nothing() -> None:
    rs = ruleset(DIVIDES)
    items = [{"id": f"i{k}", "x": Decimal(k) + Decimal("0.123456789012345678901234567"), "n": k} for k in range(6)]
    want = both(rs, items)
    with decimal.localcontext() as ctx:
        ctx.prec, ctx.rounding, ctx.Emax = 5, decimal.ROUND_DOWN, 10
        assert both(rs, items) == want
    # 100 / (0.123456789012345678901234567 − 3) at 40 digits, half-up
    assert want[1]["items"][0]["values"]["y"] == Decimal("-34.76394848442594264415789537823256520514")


def test_a_caller_context_that_traps_inexact_still_gets_located_messages() -> None:
    # whether 1.5 is a whole number is decided in a context of validation's own: a caller's
    # context that traps Inexact once made it raise decimal.Inexact instead
    rs = ruleset(DIVIDES)
    with decimal.localcontext() as ctx:
        ctx.traps[decimal.Inexact] = True
        kind, diagnostics = both(rs, [{"id": "a", "x": Decimal(5), "n": Decimal("1.5")}])
    assert kind == "CaseError"
    assert [(d.code, d.item, d.message) for d in diagnostics] == [
        ("PE303", "a", "field 'n': must be a whole number, not 1.5")]


def test_a_small_table_inlined_as_an_expression_keeps_first_hit_order() -> None:
    # the first `-` row decides: the rows after it never apply, whether the table is called
    # (trace mode) or written in place as a chain of conditional expressions
    rs = ruleset("""
        ruleset t
        input x: number
        table 系数 hit first {
          | x     || v |
          | >= 10 || 2 |
          | -     || 1 |
          | >= 5  || 3 |
          | -     || 4 |
        }
        let y = 系数 * x
    """)
    assert "T0(" not in rs.compiled.source.split("def stage0")[1]  # written in place
    _kind, result, _rows = both(rs, [{"id": "a", "x": Decimal(6)}, {"id": "b", "x": Decimal(12)}])
    # a: 6 < 10, the `-` row: 1 × 6 = 6; b: 12 >= 10: 2 × 12 = 24
    assert [i["values"]["y"] for i in result["items"]] == [Decimal(6), Decimal(24)]


def test_fused_form_refuses_lines_that_read_more_than_the_item() -> None:
    from policyengine.compile import fused_form

    # inputs at slots 0 and 1, sanctions at 3, a row of 5 slots
    lines, row = fused_form(("v0 = s[0]", "s[2] = v2 = (v0 * K1)", "s[4] = v2"), {0, 1}, 3, 5)  # type: ignore[misc]
    assert lines == ("w3 = ()", "v2 = (v0 * K1)", "w4 = v2")
    assert row == ("v0", "v1", "v2", "w3", "w4")
    assert fused_form(("v2 = s[2]",), {0, 1}, 3, 5) is None  # a slot an earlier pass fills
    assert fused_form(("s[2] = v2 = s[4]",), {0, 1}, 3, 5) is None  # a slot not written yet
    assert fused_form(("x = f(s)",), {0, 1}, 3, 5) is None  # the slot list itself


@pytest.mark.parametrize("declared", ["input name: text", "input name: text = \"无\"", "input id: text"])
@pytest.mark.parametrize("fused", [True, False])
def test_an_input_named_like_the_id_or_name_does_not_let_an_unknown_field_through(declared: str, fused: bool) -> None:
    # the fast loop counts an item's known fields: `name` (or `id`) declared as an input is
    # one field, not two, so an item with one unknown field beside it has one key too many
    rs = ruleset(f"""
        ruleset g "g"
        version "1"
        {declared}
        input 金额: number
        levels 等级 [高 red, 低 green]
        grade 等级 {{
          金额 > 5 -> 高
          otherwise -> 低
        }}
        """)
    items = [{"id": "1", "name": "甲", "金额": Decimal(3), "多余": 1}, {"id": "2", "name": "乙", "金额": Decimal(7)}]
    saved = evaluation._FUSED
    evaluation._FUSED = fused
    try:
        with pytest.raises(CaseError) as raised:
            rs.evaluate(pe.Case(items=items))
    finally:
        evaluation._FUSED = saved
    assert [(d.item, d.message) for d in raised.value.diagnostics] == [("1", "unknown field '多余'")]

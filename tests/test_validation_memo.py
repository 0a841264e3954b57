"""Validation remembers the numbers it accepted (issue 12): a repeated int, float or shared
Decimal is accepted without converting it again, and nothing about a value's spelling or
validity is lost on the way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policyengine as pe
from policyengine.errors import CaseError

from .conftest import D, evaluate, ruleset

TEXT = """\
input x: number
input 次数: integer >= 0
input 事件: list of {金额: number}
let y = x
let n = 次数
let total = sum(e.金额 for e in 事件)
"""


def test_equal_values_of_different_spelling_stay_apart() -> None:
    # 1 == 1.0 == Decimal("1.00") and 0.0 == -0.0 as dict keys, yet they are spelled apart;
    # each appears twice so that the second occurrence is served from the memo
    given = [1, 1.0, Decimal("1.0"), Decimal("1.00"), -0.0, 0.0, 0, 2.5, 1, 1.0, Decimal("1.0"),
             Decimal("1.00"), -0.0, 0.0, 0, 2.5, 1e-7, 1e-7]
    items = [{"id": f"i{k}", "x": x, "次数": 3, "事件": [{"金额": x}]} for k, x in enumerate(given)]
    r = evaluate(TEXT, items)
    got = [(str(i.values["y"]), str(i.values["total"])) for i in r.items]
    # what Decimal(str(value)) spells for an int or float, and the Decimal itself otherwise
    want = ["1", "1.0", "1.0", "1.00", "-0.0", "0.0", "0", "2.5"] * 2 + ["1E-7", "1E-7"]
    assert [y for y, _ in got] == want
    # the list field's numbers go through the same memo: sum(…) starts from an exact 0
    assert [t for _, t in got] == [str(Decimal(0) + Decimal(w)) for w in want]


def test_a_remembered_number_does_not_let_a_bad_value_through() -> None:
    # True == 1 and hashes as 1, which the int memo holds after the first item: still rejected
    items = [{"id": "a", "x": 1, "次数": 1}, {"id": "b", "x": True, "次数": 1},
             {"id": "c", "x": 1.5, "次数": 1.5}, {"id": "d", "x": float("nan"), "次数": 2}]
    with pytest.raises(CaseError) as caught:
        evaluate(TEXT, items)
    messages = [(d.item, d.message) for d in caught.value.diagnostics]
    assert messages == [("b", "field 'x': must be a number, not true/false"),
                        ("c", "field '次数': must be a whole number, not 1.5"),
                        ("d", "field 'x': must be a finite number")]


def test_bounds_are_per_input() -> None:
    # 7 accepted for an unbounded input must not be remembered for a bounded one
    text = "input a: number\ninput b: number <= 5\nlet c = a + b\n"
    with pytest.raises(CaseError) as caught:
        evaluate(text, [{"id": "p", "a": 7, "b": 1}, {"id": "q", "a": 7, "b": 7}])
    assert [d.item for d in caught.value.diagnostics] == ["q"]
    assert "above the maximum" in caught.value.diagnostics[0].message


def test_python_values_and_json_give_the_same_output(tmp_path) -> None:
    import json

    from policyengine.api import ruleset_from_text
    from policyengine.render import render

    items = [{"id": f"i{k}", "x": [3, 0.25, 1.0, 12, -0.0][k % 5], "次数": k % 4,
              "事件": [{"金额": [5, 2.5][k % 2]}] * (k % 3)} for k in range(40)]
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"items": items}), encoding="utf-8")
    rs = ruleset_from_text(TEXT)
    loaded = pe.load_case(path)
    loaded.file = None  # the output names its case file; Python values have none
    from_python, from_json = rs.evaluate(pe.Case(items=items)), rs.evaluate(loaded)
    for fmt in ("json", "csv", "yaml"):
        assert render(from_python, fmt) == render(from_json, fmt)
    assert [i.values["y"] for i in from_python.items][:5] == [D(3), D("0.25"), D("1.0"), D(12), D("-0.0")]


# equal values spelled apart, drawn often so that lists mix them
SPELLINGS = st.sampled_from([0.0, -0.0, 1.0, 1, 0, 2.5, 1e-7, True, Decimal("1"), Decimal("1.0"),
                             Decimal("1.00"), Decimal("-0"), Decimal("0E+3"), Decimal("2.50")])
NUMBERS = st.one_of(
    SPELLINGS, SPELLINGS, SPELLINGS,
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True, places=None),
    st.booleans(), st.text(max_size=3), st.none(),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(NUMBERS, min_size=1, max_size=12))  # 24 items, at most 48 problems: all reported
def test_the_memo_accepts_exactly_what_a_fresh_converter_accepts(values: list) -> None:
    """Differential: each value through validate (the generated loop and its memo, values
    repeated so that the memo serves them) against a converter that has seen nothing."""
    from policyengine.case.validate import _Invalid, converter, layout, validate
    from policyengine.model import TypeSpec

    rs = ruleset("input x: number\ninput n: integer >= 0\nlet y = x\n")
    compiled = rs.compiled
    plan = layout(compiled.inputs, compiled.slots, compiled.size, compiled.sanction_slot, compiled.trace_slot)
    values = values + values[::-1]
    case = pe.Case(items=[{"id": f"i{k}", "x": v, "n": v} for k, v in enumerate(values)])

    def fresh(spec: TypeSpec, v: object) -> object:
        try:
            return converter(spec).__call__(v)
        except _Invalid:
            return None

    want_x = [fresh(TypeSpec("number"), v) for v in values]
    want_n = [fresh(TypeSpec("integer", minimum=Decimal(0)), v) for v in values]
    if any(v is None for v in want_x + want_n):
        with pytest.raises(CaseError) as caught:
            validate(case, plan)
        bad = {d.item for d in caught.value.diagnostics}
        assert bad == {f"i{k}" for k in range(len(values)) if want_x[k] is None or want_n[k] is None}
        return
    rows, _, _ = validate(case, plan)
    spelled = [(str(r[compiled.slots["x"]]), str(r[compiled.slots["n"]])) for r in rows]
    assert spelled == [(str(x), str(n)) for x, n in zip(want_x, want_n, strict=True)]


def test_an_enum_value_is_kept_once_however_many_items_repeat_it(tmp_path) -> None:
    # a JSON reader makes a new string per value; validation puts the ruleset's own text in
    # its place, so a category over a million items is one object, not a million
    import json

    import policyengine as pe

    from .conftest import ruleset

    rs = ruleset('input 类别: one of ["执法权", "行政管理权"]\ninput 次数: number\nlet 两倍 = 次数 * 2\n')
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"items": [{"id": f"i{k}", "类别": ["执法权", "行政管理权"][k % 2], "次数": k}
                                          for k in range(50)]}, ensure_ascii=False), encoding="utf-8")
    case = pe.load_case(path)
    assert case.items[0]["类别"] is not case.items[2]["类别"]  # as read: one string per item
    result = rs.evaluate(case)
    assert len({id(item["类别"]) for item in case.items}) == 2
    assert [item["类别"] for item in case.items[:3]] == ["执法权", "行政管理权", "执法权"]
    assert result.items[3].values["两倍"] == 6


def test_a_forked_worker_leaves_the_items_as_read(tmp_path, monkeypatch) -> None:
    # an `eval --jobs` worker shares the parent's items page by page: writing the ruleset's
    # text into them would copy every page, so there (SHARE_TEXT off) they are left alone
    import json
    import sys

    import policyengine as pe

    from .conftest import ruleset

    rs = ruleset('input 类别: one of ["执法权", "行政管理权"]\n')
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"items": [{"id": f"i{k}", "类别": "执法权"} for k in range(20)]},
                               ensure_ascii=False), encoding="utf-8")
    case = pe.load_case(path)
    before = [id(item["类别"]) for item in case.items]
    monkeypatch.setattr(sys.modules["policyengine.case.validate"], "SHARE_TEXT", False)
    result = rs.evaluate(case)
    assert [id(item["类别"]) for item in case.items] == before and len(set(before)) == 20
    assert len(result.items) == 20


def test_two_rulesets_put_the_same_text_in_the_items(tmp_path) -> None:
    # the flat and the ranked benchmark rulesets, a diff's two versions: the second ruleset
    # over the same case finds the first one's text already in place and writes nothing
    import json

    import policyengine as pe

    from .conftest import ruleset

    one = ruleset('input 类别: one of ["执法权", "行政管理权"]\n')
    two = ruleset('input 类别: one of ["行政管理权", "执法权"]\ninput 次数: number = 0\n')
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"items": [{"id": f"i{k}", "类别": "执法权"} for k in range(5)]},
                               ensure_ascii=False), encoding="utf-8")
    case = pe.load_case(path)
    one.evaluate(case)
    first = [id(item["类别"]) for item in case.items]
    two.evaluate(case)
    assert [id(item["类别"]) for item in case.items] == first and len(set(first)) == 1

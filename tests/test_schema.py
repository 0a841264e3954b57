"""The JSON Schema of case files (`policyengine schema`) and the validator that runs
before every evaluation accept and reject the same items."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import policyengine as pe
from policyengine.errors import CaseError

from .conftest import ruleset

RULES = ruleset("""\
input 数: number >= 0
input 次数: integer > -5 = 0
input 名: text
input 是否: bool = false
input 日: date
input 类: one of ["甲", "乙"]
input 比: 0..1
input 事件: list of {类型: text, 金额: number = 0}
dimension 维: 1..5
""")
SCHEMA = RULES.schema()

good = {
    "数": st.one_of(st.integers(0, 10**6), st.floats(0, 1e6, allow_nan=False)),
    "次数": st.integers(-4, 10**6),
    "名": st.text(max_size=5),
    "是否": st.booleans(),
    "日": st.dates().map(lambda d: d.isoformat()),
    "类": st.sampled_from(["甲", "乙"]),
    "比": st.floats(0, 1, allow_nan=False),
    "事件": st.lists(st.fixed_dictionaries({"类型": st.text(max_size=3)},
                                           optional={"金额": st.integers(0, 1000)}), max_size=3),
    "维": st.integers(1, 5),
}
bad = st.one_of(st.none(), st.booleans(), st.integers(-100, 100), st.floats(-10, 10, allow_nan=False),
                st.text(max_size=3), st.lists(st.integers(), max_size=2), st.just({"x": 1}),
                st.just("2010-13-45"))


@st.composite
def items(draw: st.DrawFn) -> list[dict]:
    out = []
    for n in range(draw(st.integers(1, 3))):
        item: dict = {"id": f"i{n}"}
        for field, strategy in good.items():
            choice = draw(st.sampled_from(["good", "good", "good", "bad", "missing"]))
            if choice == "good":
                item[field] = draw(strategy)
            elif choice == "bad":
                value = draw(bad)
                if value is not None:
                    item[field] = value
        if draw(st.booleans()) and draw(st.booleans()):
            item[draw(st.sampled_from(["多余", "数x"]))] = 1
        out.append(item)
    return out


@settings(max_examples=300, deadline=None)
@given(items())
def test_schema_and_validator_agree(tmp_path_factory, data: list[dict]) -> None:
    text = json.dumps({"items": data}, ensure_ascii=False)
    schema_ok = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.FormatChecker()).is_valid(json.loads(text))
    path = tmp_path_factory.mktemp("c") / "c.json"
    path.write_text(text, encoding="utf-8")
    try:
        RULES.evaluate(pe.load_case(path))
        engine_ok = True
    except CaseError:
        engine_ok = False
    assert schema_ok == engine_ok, text


def test_duplicate_ids_are_beyond_json_schema_but_rejected() -> None:
    # JSON Schema cannot say "unique by id"; the validator checks it on top.
    item = {"id": "a", "数": 1, "名": "x", "日": "2010-01-01", "类": "甲", "比": 0.5, "维": 3}
    jsonschema.validate({"items": [item, item]}, SCHEMA)
    with pytest.raises(CaseError, match="duplicate id"):
        RULES.evaluate(pe.Case(items=[dict(item), dict(item)]))

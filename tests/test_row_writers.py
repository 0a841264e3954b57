"""The JSON, YAML and CSV writers make an evaluated item's text straight from its slot list
(no object per item: render/json.py `_row_texts`, render/yaml.py `YamlRows`, render/csv.py
`csv_lines_of`): the same bytes as writing each item's built ItemResult, on every shipped
case, on generated rulesets (notes, rollups, supervision, sanctions, levels as values),
alone and two results to a document, with some items already read; and the words YAML
writes bare are the ones PyYAML does."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyengine as pe
from policyengine.render import csv as render_csv
from policyengine.render import csv_chunks, json_chunks, to_json, to_yaml, yaml_chunks
from policyengine.render import json as render_json
from policyengine.render import yaml as render_yaml
from policyengine.render.json import JsonWriter
from policyengine.runtime import format_number

from .conftest import ruleset, shipped_cases
from .generated_rulesets import Generated, rulesets

SETTINGS: dict[str, Any] = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}


@contextmanager
def counted(module: Any, name: str) -> Iterator[list[Any]]:
    """Record the calls of `module.name` (the generator of a row writer): a test that
    never took the fast path would compare the slow path with itself."""
    made: list[Any] = []
    real = getattr(module, name)

    def spy(*args: Any, **keywords: Any) -> Any:
        made.append(args)
        return real(*args, **keywords)

    setattr(module, name, spy)
    try:
        yield made
    finally:
        setattr(module, name, real)


def both_ways(evaluate: Callable[[], Any]) -> None:
    """JSON, YAML and CSV of fresh results (made from slot lists) against those of the
    built items, one result and two to a document."""
    for chunks, whole, module, name in ((json_chunks, to_json, render_json, "_row_texts"),
                                        (yaml_chunks, to_yaml, render_yaml, "_item_text")):
        for count in (1, 2):
            with counted(module, name) as made:
                text = "".join(chunks([evaluate() for _ in range(count)]))
            assert made, name
            built = [evaluate() for _ in range(count)]
            assert text == whole(built[0].to_dict() if count == 1 else [r.to_dict() for r in built])
    for count in (1, 2):
        fresh = [evaluate() for _ in range(count)]
        with counted(render_csv, "csv_lines") as slow:
            text = "".join(csv_chunks(fresh))
        # the header alone goes through csv_lines; items with supervision or sanctions are
        # built and written by body_rows, the rest from their slot lists
        assert len(slow) == 1
        built = [evaluate() for _ in range(count)]
        for r in built:
            list(r.items)  # every item read: written from the objects
        assert text == "".join(csv_chunks(built))


def test_every_shipped_case_is_written_from_its_slot_lists_as_from_its_items() -> None:
    cases = 0
    for _path, rs, case in shipped_cases():
        both_ways(lambda rs=rs, case=case: rs.evaluate(case))
        cases += 1
    assert cases >= 15


@settings(max_examples=60, **SETTINGS)
@given(rulesets())
def test_generated_rulesets_are_written_from_slot_lists_as_from_items(g: Generated) -> None:
    rs = ruleset(g.text)
    both_ways(lambda: rs.evaluate(pe.Case(items=g.items, units=g.units or None)))


RANKED = """
ruleset t "t"
input 次数: number
input 备注: text
let 得分 = 次数 * 2
levels 档 [高 red, 低 green]
grade 档 {
  得分 >= 10 -> 高
  otherwise  -> 低
}
sanction 罚 when 得分 > 100 {
  fine 得分
}
"""


def test_items_already_read_are_written_from_the_objects() -> None:
    # an item read (and perhaps changed, as `eval --due` dates reviews) is written as it is
    rs = ruleset(RANKED)
    items = [{"id": f"a{k}", "次数": k * 7, "备注": "x"} for k in range(600)]
    for chunks, changed in ((json_chunks, '"得分": -1'), (yaml_chunks, "得分: -1\n")):
        result = rs.evaluate(pe.Case(items=items))
        result.items[300].values["得分"] = Decimal("-1")  # visible in the output: the object was written
        out = "".join(chunks([result]))
        assert changed in out
        assert out == (to_json if chunks is json_chunks else to_yaml)(result.to_dict())
    fresh = rs.evaluate(pe.Case(items=items))
    assert JsonWriter().items_of(fresh.items, 0, 256, 4) == JsonWriter().items(list(fresh.items)[:256], 4)


def test_yaml_of_items_with_sanctions_and_awkward_words() -> None:
    # 得分 = 7k × 2; from 得分 > 100 (k >= 8) an item is fined its 得分; ids and notes that
    # PyYAML must quote (a number, a date, yes, text with ': '), fold (long, with spaces) or
    # escape are dumped, the rest put after their key
    rs = ruleset(RANKED)
    odd = ["7", "2013-03-02", "yes", "a: b", "长 " * 60, "null", "-", "", "x\ny", "'q'", "1_000", "0x1F", "甲乙"]
    items = [{"id": f"{w}#{k}" if k % 2 else (w or "e") + str(k), "次数": k * 7, "备注": w}
             for k, w in enumerate(odd * 3)]
    text = "".join(yaml_chunks([rs.evaluate(pe.Case(items=items))]))
    assert text == to_yaml(rs.evaluate(pe.Case(items=items)).to_dict())
    assert "  sanctions:\n  - rule: 罚\n    actions: []\n    fine: 112\n    warning: null\n" in text  # k = 8


PIECES = [*"aZ09_.-:# '\"甲乙\u3000é\t~", "yes", "No", "null", "true", "1e3", ".5", "2013-03-02", "0x"]
WORDS = st.lists(st.sampled_from(PIECES), max_size=8).map("".join)


@settings(max_examples=400, **SETTINGS)
@given(WORDS)
def test_a_word_written_bare_is_what_pyyaml_writes(word: str) -> None:
    bare = render_yaml._bare(word)
    if bare is not None:
        assert to_yaml({"k": word}) == f"k: {bare}\n"
        assert to_yaml({"items": [{"id": word}]}) == f"items:\n- id: {bare}\n"


@settings(max_examples=200, **SETTINGS)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=3)
       | st.decimals(allow_nan=False, allow_infinity=False, min_value=-10**9, max_value=10**9))
def test_a_number_written_bare_is_what_pyyaml_writes(d: Decimal) -> None:
    assert render_yaml._bare(d) == format_number(d)
    assert to_yaml({"k": d}) == f"k: {format_number(d)}\n"


def test_the_bare_words_include_the_usual_ones() -> None:
    # the fast path is taken for what registers hold: ids, units, Chinese words
    for word in ("U00001-001", "2013-001", "税务局", "一般风险", "yellow", "a.b"):
        assert render_yaml._bare(word) == word
    for word in ("yes", "null", "123", "1.5", "2013-03-02", "1_000", "a b", ""):
        assert render_yaml._bare(word) is None

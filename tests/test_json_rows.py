"""The JSON writer makes an evaluated item's text straight from its slot list (no object
per item, render/json.py `_row_texts`): the same bytes as writing each item's built
ItemResult, on every shipped case, on generated rulesets (notes, rollups, supervision,
sanctions, levels as values), with some items already read, and as `eval --jobs` workers
write them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings

import policyengine as pe
from policyengine.case import load_case
from policyengine.previous import attach_earlier
from policyengine.render import json_chunks, to_json
from policyengine.render.json import JsonWriter

from .conftest import ROOT, ruleset
from .generated_rulesets import Generated, rulesets


def written(result: Any) -> tuple[str, bool]:
    """The result's JSON as `eval` writes it, and whether items were made from slot lists."""
    from policyengine.render import json as render_json

    made = []
    real = render_json._row_texts

    def spy(*args: Any) -> Any:
        made.append(args)
        return real(*args)

    render_json._row_texts = spy
    try:
        return "".join(json_chunks([result])), bool(made)
    finally:
        render_json._row_texts = real


def test_every_shipped_case_is_written_from_its_slot_lists_as_from_its_items() -> None:
    cases = 0
    for path in sorted(p for p in (ROOT / "cases").glob("*/*.yaml") if "ruleset:" in p.read_text(encoding="utf-8")):
        case = load_case(path)
        rs = pe.load_ruleset(case.ruleset, base=path.parent)
        attach_earlier(case, rs.id)
        text, fast = written(rs.evaluate(case))
        assert fast, path  # the fast path was taken, not compared with itself
        assert text == to_json(rs.evaluate(case).to_dict()), path
        cases += 1
    assert cases >= 15


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rulesets())
def test_generated_rulesets_are_written_from_slot_lists_as_from_items(g: Generated) -> None:
    rs = ruleset(g.text)
    case = pe.Case(items=g.items, units=g.units or None)
    text, fast = written(rs.evaluate(case))
    assert fast
    assert text == to_json(rs.evaluate(pe.Case(items=g.items, units=g.units or None)).to_dict())


def test_items_already_read_are_written_from_the_objects() -> None:
    # an item read (and perhaps changed, as `eval --due` dates reviews) is written as it is
    text = """
ruleset t "t"
input 次数: number
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
    rs = ruleset(text)
    items = [{"id": f"a{k}", "次数": k * 7} for k in range(600)]
    result = rs.evaluate(pe.Case(items=items))
    result.items[300].values["得分"] = Decimal("-1")  # visible in the output: the object was written
    out = "".join(json_chunks([result]))
    assert '"得分": -1' in out
    assert out == to_json(result.to_dict())
    # the untouched ones around it are the same either way
    fresh = rs.evaluate(pe.Case(items=items))
    writer = JsonWriter()
    assert writer.items_of(fresh.items, 0, 256, 4) == JsonWriter().items(list(fresh.items)[:256], 4)
    # 得分 = 7k * 2: item a8 (112) is fined, item a1 (14) is 高 and not
    assert '"fine": 112' in out and '"id": "a1"' in out

"""Properties that must hold for any input (hypothesis)."""

from __future__ import annotations

import json
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import policyengine as pe

from .conftest import ruleset

RANKED = ruleset("""\
input v: number
input g: one of ["甲", "乙", "丙"]
levels L [hi red, mid yellow, lo green]
grade L {
  top 3 by v within g    -> hi
  bottom 2 by v within g -> lo
  otherwise              -> mid
}
let r = round(v, 2)
""")

values = st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False)
items = st.lists(st.tuples(values, st.sampled_from(["甲", "乙", "丙"])), min_size=1, max_size=30)


def _case(pairs: list[tuple[Decimal, str]]) -> pe.Case:  # type: ignore[name-defined]
    return pe.Case(items=[{"id": f"i{n}", "v": v, "g": g} for n, (v, g) in enumerate(pairs)])


@settings(max_examples=60, deadline=None)
@given(items, st.randoms(use_true_random=False))
def test_ranking_does_not_depend_on_item_order(pairs, rnd) -> None:
    first = RANKED.evaluate(_case(pairs))
    shuffled_ids = list(range(len(pairs)))
    rnd.shuffle(shuffled_ids)
    case = pe.Case(items=[{"id": f"i{n}", "v": pairs[n][0], "g": pairs[n][1]} for n in shuffled_ids])
    second = RANKED.evaluate(case)
    a = {i.id: i.grades["L"] for i in first.items}
    b = {i.id: i.grades["L"] for i in second.items}
    assert a == b


@settings(max_examples=60, deadline=None)
@given(items)
def test_competition_ranking_ties_share_ranks(pairs) -> None:
    result = RANKED.evaluate(_case(pairs))
    for n, item in enumerate(result.items):
        v, g = pairs[n]
        greater = sum(1 for w, h in pairs if h == g and w > v)
        smaller = sum(1 for w, h in pairs if h == g and w < v)
        # competition ranking: 1 + how many in the group are strictly better
        assert item.grades["L"].rank == 1 + greater
        expected = "hi" if 1 + greater <= 3 else "lo" if 1 + smaller <= 2 else "mid"
        assert item.grades["L"].level == expected


def _half_up(x: Decimal, n: int) -> Decimal:
    """Reference 四舍五入 with integer arithmetic: sign * floor(|x| * 10^n + 1/2) / 10^n."""
    scaled = abs(x) * (Decimal(10) ** n) + Decimal("0.5")
    whole = scaled.to_integral_value(rounding=ROUND_FLOOR)
    return (whole / (Decimal(10) ** n)) * (1 if x >= 0 else -1)


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=-10**6, max_value=10**6, places=5, allow_nan=False, allow_infinity=False),
       st.integers(min_value=0, max_value=4))
def test_round_is_half_up(x, n) -> None:
    rs = ROUNDERS[n]
    got = rs.evaluate(pe.Case(items=[{"id": "a", "x": x}])).items[0].values["r"]
    assert got == _half_up(x, n)


ROUNDERS = {n: ruleset(f"input x: number\nlet r = round(x, {n})\n") for n in range(5)}


@settings(max_examples=40, deadline=None)
@given(items)
def test_yaml_and_json_case_files_agree(tmp_path_factory, pairs) -> None:
    folder: Path = tmp_path_factory.mktemp("cases")
    data = {"items": [{"id": f"i{n}", "v": str(v), "g": g} for n, (v, g) in enumerate(pairs)]}
    # numbers written as numbers in both files (exact text, no float round trip)
    json_text = json.dumps(data, ensure_ascii=False)
    for v, _ in pairs:
        json_text = json_text.replace(f'"v": "{v}"', f'"v": {v}', 1)
    yaml_text = yaml.safe_dump(data, allow_unicode=True).replace("'", "")
    for v, _ in pairs:
        yaml_text = yaml_text.replace(f'v: "{v}"', f"v: {v}")
    (folder / "c.json").write_text(json_text, encoding="utf-8")
    (folder / "c.yaml").write_text(yaml_text, encoding="utf-8")
    a = RANKED.evaluate(pe.load_case(folder / "c.json")).to_dict()["items"]
    b = RANKED.evaluate(pe.load_case(folder / "c.yaml")).to_dict()["items"]
    assert a == b
    assert [i["values"]["r"] for i in a] == [_half_up(v, 2) for v, _ in pairs]


PERCENT = ruleset("""\
input v: number
input g: one of ["甲", "乙", "丙"]
levels L [hi red, mid yellow, lo green]
grade L {
  top 25% by v within g     -> hi
  bottom 12.5% by v within g -> lo
  otherwise                 -> mid
}
""")


@settings(max_examples=60, deadline=None)
@given(items)
def test_top_percent_holds_for_ranks_within_that_share_of_the_group(pairs) -> None:
    result = PERCENT.evaluate(_case(pairs))
    for n, item in enumerate(result.items):
        v, g = pairs[n]
        size = sum(1 for _, h in pairs if h == g)
        down = 1 + sum(1 for w, h in pairs if h == g and w > v)
        up = 1 + sum(1 for w, h in pairs if h == g and w < v)
        # rank <= P x group size, no rounding: 25% of 7 is 1.75, so only rank 1 qualifies
        expected = "hi" if down <= Decimal("0.25") * size else "lo" if up <= Decimal("0.125") * size else "mid"
        assert item.grades["L"].level == expected, (v, g, size, down, up)


ESCALATE = ruleset("""\
input base: one of ["a", "b", "c", "d"]
input x: bool
input y: bool
input z: bool
levels S [a red, b orange, c yellow, d green]
grade S {
  base == "a" -> a
  base == "b" -> b
  base == "c" -> c
  otherwise   -> d
  raise 1 when x
  raise to b when y
  raise 2 when z
}
""")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.booleans(), st.booleans(), st.booleans()),
                min_size=1, max_size=10))
def test_raises_apply_in_order_never_lower_and_stop_at_the_top(rows) -> None:
    case = pe.Case(items=[{"id": f"i{n}", "base": b, "x": x, "y": y, "z": z}
                          for n, (b, x, y, z) in enumerate(rows)])
    result = ESCALATE.evaluate(case)
    for item, (b, x, y, z) in zip(result.items, rows, strict=True):
        level = "abcd".index(b)  # 0 = most severe
        if x:
            level = max(0, level - 1)
        if y:
            level = min(level, 1)  # raise to b: at least as severe as b, never lower
        if z:
            level = max(0, level - 2)
        assert item.grades["S"].level == "abcd"[level]

"""Ranking within groups (evaluate.rank_all) against competition ranking written out from
its definition: a descending rank is 1 + how many in the group are strictly greater, an
ascending rank 1 + how many are strictly less, the group's size beside each; equal values
(1, 1.0 and 1.00 among them) share a rank."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from policyengine.compile import RankSpec
from policyengine.evaluate import rank_all

# values with many ties, the same number spelt three ways, and ints beside Decimals
VALUES = st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("1.00"), 1, Decimal("2.5"), Decimal("-3"),
                          Decimal("0"), 0, Decimal("10"), Decimal("9.99")])
GROUPS = st.sampled_from(["甲", "乙", "丙", None])


def expected(rows: list[list[Any]], spec: RankSpec) -> list[tuple[int, int]]:
    out = []
    for row in rows:
        group = [r[spec.key] for r in rows if spec.group is None or r[spec.group] == row[spec.group]]
        v = row[spec.key]
        better = sum(1 for w in group if (w > v if spec.descending else w < v))
        out.append((1 + better, len(group)))
    return out


# (key 0, group 1): rank and size slots from 2 on, as the compiler lays out a grade's lines
SHAPES = [
    [RankSpec(0, 1, 2, 3, True)],
    [RankSpec(0, 1, 2, 3, False)],
    [RankSpec(0, 1, 2, 3, True), RankSpec(0, 1, 4, 5, True), RankSpec(0, 1, 6, 7, False)],
    [RankSpec(0, 1, 2, 3, False), RankSpec(0, 1, 4, 5, True)],
    [RankSpec(0, None, 2, 3, True), RankSpec(0, None, 4, 5, False)],
    [RankSpec(0, 1, 2, 3, True), RankSpec(0, None, 4, 5, False)],
]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(VALUES, GROUPS), max_size=40), st.sampled_from(SHAPES))
def test_ranks_and_sizes_are_competition_ranking(pairs: list[tuple[Any, Any]], specs: list[RankSpec]) -> None:
    rows: list[list[Any]] = [[v, g] + [None] * 6 for v, g in pairs]
    rank_all(rows, specs)
    for spec in specs:
        assert [(row[spec.rank], row[spec.size]) for row in rows] == expected(rows, spec)


def test_ties_at_the_top_and_bottom_share_ranks() -> None:
    # one group, descending 10, 9, 9.0, 8, 1 -> 1, 2, 2, 4, 5; ascending 5, 3, 3, 2, 1
    values = [Decimal("9"), Decimal("10"), Decimal("1"), Decimal("9.0"), Decimal("8")]
    rows: list[list[Any]] = [[v, "甲", None, None, None, None] for v in values]
    rank_all(rows, [RankSpec(0, 1, 2, 3, True), RankSpec(0, 1, 4, 5, False)])
    assert [row[2] for row in rows] == [2, 1, 5, 2, 4]
    assert [row[4] for row in rows] == [3, 5, 1, 3, 2]
    assert {row[3] for row in rows} == {row[5] for row in rows} == {5}

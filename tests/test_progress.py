"""Progress reporting for long evaluations: every step reported once, results unchanged."""

from __future__ import annotations

from policyengine.case import PROGRESS_CHUNK, Case
from tests.conftest import ruleset

RANKED = ruleset("""\
    ruleset r
    input x: number
    let y = x * 2
    levels L [高 red, 低 green]
    grade L {
      top 10% by y -> 高
      otherwise    -> 低
    }
""")


def test_progress_reports_all_the_work_and_changes_nothing() -> None:
    n = PROGRESS_CHUNK * 2 + 7  # more than one chunk, and a partial last chunk
    case = Case(items=[{"id": f"i{k}", "x": k} for k in range(n)])
    done: list[int] = []
    with_bar = RANKED.evaluate(case, progress=done.append)
    # validation + 2 stages (the ranking needs y for every item first) + building results
    assert RANKED.work(case) == n * 4
    assert sum(done) == RANKED.work(case)
    assert max(done) == PROGRESS_CHUNK
    assert with_bar.to_dict() == RANKED.evaluate(case).to_dict()
    # top 10% of 20 007 items holds for rank <= 2000.7, so ranks 1..2000: the 2000 largest x
    top = {i.id for i in with_bar.items if i.grades["L"].level == "高"}
    assert top == {f"i{k}" for k in range(n - 2000, n)}

"""Every shipped golden case (under cases/, with an expect block or a snapshot) passes,
so the README's pytest run covers the golden suite as `policyengine test` does."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyengine.golden import GoldenCase, RulesetCache, check_case, discover

CASES = Path(__file__).resolve().parent.parent / "cases"
GOLDEN = discover([CASES], missing_ok=True)
# one cache for the module: each shipped ruleset is compiled once, however many cases use it
RULESETS = RulesetCache()


def test_there_are_shipped_golden_cases() -> None:
    assert len(GOLDEN) >= 3


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda g: g.path.relative_to(CASES).as_posix())
def test_shipped_case_passes(golden: GoldenCase) -> None:
    outcome = check_case(golden, RULESETS)
    assert outcome.status == "passed", outcome.render()

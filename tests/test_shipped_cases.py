"""The shipped departments keep their promises (issue 4).

Every shipped golden case (under cases/, with an expect block or a snapshot) passes, so
the README's pytest run covers the golden suite as `policyengine test cases` does. And the
layout holds: one folder per department under rulesets/ and cases/, named as the issue
names them; every ruleset checks clean, cites its seed and explains itself in Chinese and
English; every department has a case with a hand-written `expect` block; tax ships two
versions, the second extending the first; at least one department ships in the YAML form;
and the generators of the large cases regenerate exactly the files that are committed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from policyengine.check import analyse
from policyengine.golden import GoldenCase, RulesetCache, check_case, discover
from policyengine.parse import parse_file
from policyengine.resolve import resolve

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "cases"
RULESETS = ROOT / "rulesets"
GOLDEN = discover([CASES], missing_ok=True)
# one cache for the module: each shipped ruleset is compiled once, however many cases use it
CACHE = RulesetCache()

DEPARTMENTS = ["tax", "commerce", "sports", "court", "judicial", "township", "county-office",
               "leshan", "zhenhai",
               # issue 18: the systems of the seeds that had no ruleset
               "county-plan", "procuratorate", "business-office", "hubei", "enterprise", "zhuzhou"]
RULESET_SUFFIXES = (".policy", ".yaml")


def ruleset_files(department: str) -> list[Path]:
    return sorted(p for p in (RULESETS / department).iterdir() if p.suffix in RULESET_SUFFIXES)


def test_there_are_at_least_18_shipped_golden_cases() -> None:
    assert len(GOLDEN) >= 18, [g.name for g in GOLDEN]


@pytest.mark.parametrize("golden", GOLDEN, ids=lambda g: g.path.relative_to(CASES).as_posix())
def test_shipped_case_passes(golden: GoldenCase) -> None:
    outcome = check_case(golden, CACHE)
    assert outcome.status == "passed", outcome.render()


def test_the_department_folders_are_exactly_the_issues() -> None:
    def folders(root: Path) -> list[str]:
        return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))

    assert folders(RULESETS) == sorted(DEPARTMENTS)
    assert folders(CASES) == sorted(DEPARTMENTS)


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_department_rulesets_check_clean_and_explain_themselves(department: str) -> None:
    files = ruleset_files(department)
    assert files, f"rulesets/{department}/ has no ruleset"
    for f in files:
        model = resolve(f)
        an = analyse(model)
        assert not an.errors, (f.name, [d.render() for d in an.errors])
        assert model.id == department, (f.name, model.id)
        assert model.version == f.stem, (f.name, model.version)
        text = f.read_text(encoding="utf-8")
        header = text.split("\n\n", 1)[0]
        assert header.startswith("#"), f"{f.name}: begins with a comment block"
        assert "English" in text, f"{f.name}: the header has an English line"
        assert "假设" in text or "assumption" in text, f"{f.name}: assumptions are marked"
        sources = model.sources
        assert sources and all(s.startswith(("000_", "001_", "002_", "003_", "004_")) for s in sources), \
            (f.name, sources)


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_department_has_a_case_with_an_expect_block(department: str) -> None:
    mine = [g for g in GOLDEN if g.path.parent == CASES / department]
    with_expect = [g for g in mine if g.case is not None and g.case.expect]
    assert with_expect, f"cases/{department}/ has no case with an expect block"
    # the department's cases use the department's own rulesets
    own = {f.resolve() for f in ruleset_files(department)}
    for g in mine:
        assert g.case is not None and g.case.ruleset, g.name
        assert (g.path.parent / g.case.ruleset).resolve() in own, (g.name, g.case.ruleset)


def test_tax_ships_2010_a_2011_that_extends_it_and_a_2012_with_the_units_index() -> None:
    names = [f.name for f in ruleset_files("tax")]
    assert names == ["2010.policy", "2011.policy", "2012.policy"]
    written = parse_file(RULESETS / "tax" / "2011.policy")  # as written, before resolving
    assert written.extends == "2010.policy"
    assert written.version == "2011"
    assert any(g.case is not None and g.case.ruleset and g.case.ruleset.endswith("tax/2011.policy")
               and g.case.expect for g in GOLDEN)
    # 2012 adds the 廉政风险指数 of the units (seed 000 第一篇 三(一)) as a rollup over 2011
    written = parse_file(RULESETS / "tax" / "2012.policy")
    assert written.extends == "2011.policy"
    assert [r.name for r in written.rollups] == ["单位"]
    assert any(g.case is not None and g.case.ruleset and g.case.ruleset.endswith("tax/2012.policy")
               and g.case.expect_units for g in GOLDEN)


@pytest.mark.parametrize("department", DEPARTMENTS)
def test_shipped_rulesets_are_in_canonical_layout(department: str) -> None:
    # what `policyengine fmt --check rulesets/` asserts: year-over-year edits then diff cleanly
    from policyengine.fmt import format_file

    for path in ruleset_files(department):
        formatted = format_file(path)
        assert not formatted.changed, f"run: policyengine fmt {path.relative_to(ROOT)}"


def test_at_least_one_department_ships_in_yaml_form() -> None:
    assert any(f.suffix == ".yaml" for d in DEPARTMENTS for f in ruleset_files(d))


@pytest.mark.parametrize("script", sorted(CASES.glob("*/make_*.py")), ids=lambda p: p.parent.name)
def test_generated_cases_are_fresh(script: Path) -> None:
    r = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr

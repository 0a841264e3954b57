"""A rollup's rules read the rollup nested in it (docs/language.md "Rollups nest"): a 科室
reads the 单位 it belongs to as 单位.X, exactly as an item reads its unit. Checked (names,
types, cycles across the levels), evaluated, explained, diffed, formatted and converted,
and in every output format. The numbers are worked out by hand."""

from __future__ import annotations

import json

import pytest

import policyengine as pe
from policyengine.dsl import to_dsl
from policyengine.errors import CheckError
from policyengine.parse import parse_text
from policyengine.yamlform import parse_yaml_text, to_yaml

from .conftest import D, cli, ruleset

RULES = """\
ruleset n "科室读取所属单位"
version "1"

input 所属科室: text
input 分:       0..100

levels 档次 [高 red, 低 green]

grade 档次 {
  分 >= 60  -> 高
  otherwise -> 低
}

rollup 科室 by 所属科室 {
  input 所属单位: text

  let 高数 = count(i in items where i.档次 == 高)
  # the section's share of its unit's high-risk points
  let 占单位 = round(高数 / 单位.高数合计, 4)

  levels 科室档次 [重点 red, 一般 green]

  grade 科室档次 {
    高数 >= 2 or 单位.单位档次 == 差 -> 重点
    otherwise                        -> 一般
  }

  supervision 科室档次 {
    重点 when 单位.单位档次 == 差 -> "单位纪检组"
    重点                          -> "分管领导"
    一般                          -> "科室负责人"
  }

  rollup 单位 by 所属单位 {
    let 高数合计 = sum(k.高数 for k in items)

    levels 单位档次 [差 red, 好 green]

    grade 单位档次 {
      高数合计 >= 3 -> 差
      otherwise     -> 好
    }
  }
}
"""

CASE = """\
ruleset: r.policy
items:
  - {id: A, 所属科室: 甲科, 分: 80}
  - {id: B, 所属科室: 甲科, 分: 70}
  - {id: C, 所属科室: 乙科, 分: 65}
  - {id: D, 所属科室: 丙科, 分: 10}
  - {id: E, 所属科室: 丙科, 分: 90}
  - {id: F, 所属科室: 丁科, 分: 95}
  - {id: G, 所属科室: 丁科, 分: 85}
units:
  科室:
    - {id: 甲科, 所属单位: X局}
    - {id: 乙科, 所属单位: X局}
    - {id: 丙科, 所属单位: Y局}
    - {id: 丁科, 所属单位: Z局}
"""

# Items: A 80, B 70, C 65, E 90, F 95, G 85 are 高 (>= 60); D 10 is 低.
# 科室 高数: 甲科 2 (A, B), 乙科 1 (C), 丙科 1 (E), 丁科 2 (F, G).
# 单位 高数合计: X局 = 甲科 2 + 乙科 1 = 3 → 差 (>= 3); Y局 = 丙科 1 → 好; Z局 = 丁科 2 → 好.
# 科室 占单位: 甲科 2/3 = 0.6667, 乙科 1/3 = 0.3333, 丙科 1/1 = 1, 丁科 2/2 = 1.
# 科室档次: 甲科 重点 (高数 2), 乙科 重点 (its 单位 X局 is 差), 丙科 一般, 丁科 重点 (高数 2).
# supervision: 甲科, 乙科 in X局 (差) → 单位纪检组; 丁科 (Z局 好) → 分管领导; 丙科 → 科室负责人.
EXPECTED = {
    "甲科": (D(2), D("0.6667"), "重点", ["单位纪检组"]),
    "乙科": (D(1), D("0.3333"), "重点", ["单位纪检组"]),
    "丙科": (D(1), D(1), "一般", ["科室负责人"]),
    "丁科": (D(2), D(1), "重点", ["分管领导"]),
}


@pytest.fixture
def files(write):
    return write("r.policy", RULES), write("c.yaml", CASE)


def _sections(result: pe.Result) -> dict[str, tuple]:  # type: ignore[name-defined]
    return {u.id: (u.values["高数"], u.values["占单位"], u.grades["科室档次"].level,
                   [who for s in u.supervision for who in s.by])
            for u in result.rollups["科室"].units}


def test_a_section_reads_the_unit_it_belongs_to(files) -> None:
    rules, case = files
    result = pe.load_ruleset(rules).evaluate(pe.load_case(case))
    assert _sections(result) == EXPECTED
    assert [(u.id, u.values["高数合计"], u.grades["单位档次"].level) for u in result.rollups["单位"].units] == [
        ("X局", D(3), "差"), ("Y局", D(1), "好"), ("Z局", D(2), "好")]


def test_every_output_format_shows_the_values(files) -> None:
    _rules, case = files
    table = cli("eval", str(case), "-f", "table")
    assert table.returncode == 0, table.stderr
    assert any(line.split()[:4] == ["乙科", "1", "0.3333", "重点"] for line in table.stdout.splitlines())
    csv = cli("eval", str(case), "-f", "csv")
    assert "科室,name,高数,占单位,科室档次,supervision," in csv.stdout
    assert "甲科,,2,0.6667,重点,单位纪检组," in csv.stdout
    data = json.loads(cli("eval", str(case), "-f", "json").stdout)
    assert data["rollups"]["科室"]["units"][1]["values"] == {"高数": 1, "占单位": 0.3333}
    assert "占单位: 0.3333" in cli("eval", str(case), "-f", "yaml").stdout


def test_explain_a_section_shows_the_unit_values_it_read(files) -> None:
    _rules, case = files
    ex = cli("explain", str(case), "--unit", "乙科")
    assert ex.returncode == 0, ex.stderr
    assert "let 占单位 = round(高数 / 单位.高数合计, 4) = 0.3333" in ex.stdout
    assert "高数 = 1, 单位.高数合计 = 3" in ex.stdout
    assert "高数 >= 2 or 单位.单位档次 == 差 (高数 = 1, 单位.单位档次 = 差) → 重点" in ex.stdout


def test_fmt_and_the_yaml_form_keep_it(write) -> None:
    model = parse_text(RULES, "r.policy")
    assert to_dsl(model) == RULES
    yaml_text = to_yaml(model)
    assert "占单位: round(高数 / 单位.高数合计, 4)" in yaml_text
    back = parse_yaml_text(yaml_text, "r.yaml")
    assert to_dsl(back, comments=False) == to_dsl(model, comments=False)
    converted = write("r.yaml", yaml_text)
    case_yaml = write("cy.yaml", CASE.replace("ruleset: r.policy", "ruleset: r.yaml"))
    assert converted.is_file()
    assert _sections(pe.load_ruleset(converted).evaluate(pe.load_case(case_yaml))) == EXPECTED


def test_diff_reports_the_change_and_the_sections_it_moves(files, write) -> None:
    rules, case = files
    # 单位 差 from 4 high points: X局 (3) becomes 好, so 乙科 (高数 1) is no longer 重点
    new = write("r2.policy", RULES.replace("高数合计 >= 3 -> 差", "高数合计 >= 4 -> 差"))
    run = cli("diff", str(rules), str(new), "--cases", str(case), "-f", "json")
    assert run.returncode == 0, run.stderr
    d = json.loads(run.stdout)
    assert [(c["kind"], c["name"], c["change"]) for c in d["changes"]] == [("grade", "单位.单位档次", "modified")]
    sections = d["impact"]["rollups"]["科室"]
    assert {u["id"]: u["grades"] for u in sections["units_changed"]} == {
        "乙科": {"科室档次": ["重点", "一般"]}}


def errors(text: str) -> list[str]:
    with pytest.raises(CheckError) as caught:
        ruleset(text)
    return [f"{d.code} {d.message}" for d in caught.value.diagnostics]


def test_check_names_types_and_cycles_across_levels() -> None:
    assert errors(RULES.replace("单位.高数合计, 4", "单位.高数和计, 4")) == [
        "PE101 rollup '单位' has no value '高数和计' (did you mean '高数合计'?)"]
    assert errors(RULES.replace("round(高数 / 单位.高数合计, 4)", "round(高数 / 单位, 4)")) == [
        "PE131 '单位' is a rollup: a unit of 科室 reads the values of the 单位 it belongs to as "
        "单位.NAME (e.g. 单位.高数合计)"]
    assert errors(RULES.replace("round(高数 / 单位.高数合计, 4)", "round(高数 / 高数合计, 4)")) == [
        "PE101 unknown name '高数合计' ('高数合计' is a value of rollup '单位': a unit of 科室 reads its "
        "unit's as 单位.高数合计)"]
    assert errors(RULES.replace("单位.单位档次 == 差 -> 重点", "单位.高数合计 == 差 -> 重点")) == [
        "PE104 cannot compare number with level of 单位档次"]
    # the unit sums its sections' shares, which read the unit's sum: a cycle across the levels
    cycle = errors(RULES.replace("sum(k.高数 for k in items)", "sum(k.占单位 for k in items)"))
    assert cycle == ["PE105 dependency cycle: rollup 单位 -> 占单位 -> rollup 单位"]


def test_reading_the_unit_needs_its_key_on_every_section(write) -> None:
    write("r.policy", RULES)
    case = write("c.yaml", CASE.replace("- {id: 丁科, 所属单位: Z局}", "- {id: 丁科, 所属单位: ''}"))
    run = cli("eval", str(case))
    assert run.returncode == 2 and run.stdout == "" and "Traceback" not in run.stderr
    assert (f"{case}:15:16: error[PE370]: unit 丁科 of units.科室: 所属单位 is empty, so it belongs to no "
            "unit of rollup '单位'") in run.stderr


@pytest.fixture
def rollup_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of each rollup run, in order (wherever evaluate.run_rollup is called from)."""
    import importlib

    from policyengine import evaluate

    ran: list[str] = []
    real = evaluate.run_rollup

    def counted(cr, *args, **kwargs):  # type: ignore[no-untyped-def]
        ran.append(cr.rollup.name)
        return real(cr, *args, **kwargs)

    monkeypatch.setattr(evaluate, "run_rollup", counted)
    # explain once ran rollups itself ("policyengine.explain": the package's `explain` is the function)
    monkeypatch.setattr(importlib.import_module("policyengine.explain"), "run_rollup", counted, raising=False)
    return ran


def test_the_nested_rollup_runs_once_and_is_covered(files, rollup_runs: list[str]) -> None:
    from policyengine.golden import Coverage, check_case

    rules, case = files
    pe.load_ruleset(rules).evaluate(pe.load_case(case))
    # 单位 runs inside 科室's stages (科室's rules read it); its results come from that run
    assert rollup_runs == ["科室", "单位"]
    # coverage: items grade lines 2/2 + levels 2/2 (A…G: 高 and 低 both); 科室 grade lines 2/2
    # (line 1: 甲, 乙, 丁; line 2: 丙), levels 2/2, supervision lines 3/3 (甲, 乙 → line 1; 丁 →
    # line 2; 丙 → line 3); 单位 grade lines 2/2 (X局 line 1; Y局, Z局 line 2), levels 2/2
    # → 4 + 7 + 4 = 15 of 15
    coverage = Coverage()
    assert check_case(case, coverage=coverage).status == "skipped"  # no expectations: not run
    case.write_text(CASE + "expect_units:\n  单位:\n    X局: {高数合计: 3, 单位档次: 差}\n", encoding="utf-8")
    assert check_case(case, coverage=coverage).passed
    assert (coverage.covered, coverage.total) == (15, 15)


def test_explaining_a_unit_runs_each_rollup_once(files, rollup_runs: list[str]) -> None:
    import importlib

    explain = importlib.import_module("policyengine.explain")
    rules, case = files
    # 科室 reads 单位 (its rules run it); the explanation lists both without running 单位 again
    ex = explain.explain_unit(str(rules), str(case), "乙科")
    assert sorted(rollup_runs) == ["单位", "科室"]
    assert ex.find("values", "占单位")["value"] == D("0.3333")
    rollup_runs.clear()
    # X局 = 甲科 2 + 乙科 1 = 3 high points
    assert explain.explain_unit(str(rules), str(case), "X局").find("values", "高数合计")["value"] == 3
    assert sorted(rollup_runs) == ["单位", "科室"]

"""The YAML form of rulesets: located errors, and `convert` round trips that change nothing."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import policyengine as pe
from policyengine.errors import ParseError
from policyengine.fmt import convert_file, model_key, parse_form, rewrite
from policyengine.parse import parse_text
from policyengine.yamlform import _value_positions, parse_yaml_text, schema

from .conftest import ROOT, cli
from .generated_rulesets import Generated, rulesets
from .test_fmt import case_files, evaluate_file, results, run, shipped_departments

BASE = """\
ruleset: t
version: "1"
inputs:
  运行次数: {type: integer, min: 0, default: 0}
  类别: {type: one of, values: [甲, 乙]}
tables:
  系数:
    inputs: [运行次数]
    outputs: [系数]
    rows:
      - [">= 10", 1.2]
      - ["-", 1.0]
lets:
  分: 运行次数 * 系数
levels:
  档: [{name: 高, color: red}, {name: 低, color: green}]
grades:
  档:
    rules:
      - {when: 分 > 5, level: 高}
      - {otherwise: true, level: 低}
"""


def errors(text: str) -> list[tuple[int, int, str, str]]:
    with pytest.raises(ParseError) as caught:
        parse_yaml_text(text, "r.yaml")
    return [(d.line, d.column, d.code, d.message) for d in caught.value.diagnostics]


def edited(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


# ---------------------------------------------------------------- located errors


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param(edited("inputs:", "inptus:"),
                 [(3, 1, "PE502", "unknown key 'inptus' in the top level (did you mean 'inputs'?)")],
                 id="misspelt top-level key"),
    pytest.param(edited("outputs: [系数]", "outptus: [系数]"),  # and no second "missing 'outputs'" error
                 [(9, 5, "PE502", "unknown key 'outptus' in tables.系数 (did you mean 'outputs'?)")],
                 id="misspelt nested key"),
    pytest.param(edited("{otherwise: true, level: 低}", "{otherwise: true, levle: 低}"),
                 [(21, 27, "PE502", "unknown key 'levle' in grades.档.rules[2] (did you mean 'level'?)")],
                 id="misspelt key in a flow mapping"),
    pytest.param(edited("{type: integer, min", "{type: integr, min"),
                 [(4, 16, "PE503", "inputs.运行次数.type: 'integr' is not one of number, integer, text, bool, "
                   "date, one of, range, list of (did you mean 'integer'?)")], id="unknown type"),
    pytest.param(edited("color: red", "color: rde"),
                 [(16, 24, "PE503", "levels.档[1].color: 'rde' is not one of red, orange, yellow, blue, green "
                   "(did you mean 'red'?)")], id="unknown color"),
    pytest.param(edited("min: 0,", "min: zero,"),
                 [(4, 30, "PE503", "inputs.运行次数.min must be a number, not 'zero'")], id="wrong type"),
    pytest.param("ruleset: t\ninputs: [a, b]\n",
                 [(2, 9, "PE503", "inputs must be a mapping, not a list")], id="list for a mapping"),
    pytest.param(edited('version: "1"', 'version: "1"\nversion: "2"'),
                 [(3, 1, "PE506", "key 'version' given twice in the same mapping")], id="duplicate key"),
    pytest.param(edited("  分: 运行次数 * 系数", "  分: !!python/object:os.system 运行次数"),
                 [(14, 6, "PE501", "YAML tag '!!python/object:os.system' is not allowed in a ruleset")],
                 id="python tag"),
    # a tag on a mapping or a list is refused too, not silently dropped (as it was)
    pytest.param(edited("  运行次数: {type", "  运行次数: !!python/object {type"),
                 [(4, 9, "PE501", "YAML tag '!!python/object' is not allowed in a ruleset")],
                 id="python tag on a mapping"),
    pytest.param(edited("inputs: [运行次数]", "inputs: !custom [运行次数]"),
                 [(8, 13, "PE501", "YAML tag '!custom' is not allowed in a ruleset")],
                 id="tag on a list"),
    pytest.param("ruleset: t\n<<: {title: x}\n",
                 [(2, 1, "PE503", "merge keys (<<) are not supported in rulesets")], id="merge key"),
    pytest.param("ruleset: t\n  bad: [\n",
                 [(2, 6, "PE501", "invalid YAML: mapping values are not allowed in this context")],
                 id="not YAML"),
])
def test_a_schema_error_points_at_the_key_or_value(text: str, expected: list) -> None:
    assert errors(text) == expected


MISSING_TWO = BASE.replace("""    outputs: [系数]
    rows:
      - [">= 10", 1.2]
      - ["-", 1.0]
""", "")


@pytest.mark.parametrize(("text", "expected"), [
    # one error per missing key, in the schema's order, at the mapping's key
    (MISSING_TWO, [(7, 3, "PE503", "tables.系数: missing key 'outputs'"),
                   (7, 3, "PE503", "tables.系数: missing key 'rows'")]),
    # a misspelt key is not also reported missing; the other missing one still is
    (MISSING_TWO.replace("inputs: [运行次数]", "inputs: [运行次数]\n    outptus: [系数]"),
     [(7, 3, "PE503", "tables.系数: missing key 'rows'"),
      (9, 5, "PE502", "unknown key 'outptus' in tables.系数 (did you mean 'outputs'?)")]),
])
def test_missing_keys_come_from_the_schema_not_its_english_message(text: str, expected: list,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert errors(text) == expected
    # jsonschema's wording is not read: the same diagnostics when its messages change
    import policyengine.yamlform as yamlform

    real = yamlform._validator

    class Reworded:
        def iter_errors(self, data: object) -> object:
            for error in real().iter_errors(data):
                error.message = "eine Eigenschaft fehlt"
                yield error

    monkeypatch.setattr(yamlform, "_validator", Reworded)
    assert errors(text) == expected


@pytest.mark.parametrize(("let", "line", "column", "message"), [
    # the text of an expression is placed inside its scalar, whatever the quoting or folding
    ("分: 运行次数 * * 系数", 14, 13, "unexpected '*'"),
    ("分: '\"a''b\" + 运行次数 >> 2'", 14, 22, "unexpected '>'"),  # '' is one quote
    ('分: "\\"a\\" + 运行次数 >> 2"', 14, 21, "unexpected '>'"),  # \" is one character
    ("分: 运行次数 *\n    系数 >> 2", 15, 9, "unexpected '>'"),  # a plain scalar over two lines
    ("分: >-\n    运行次数 *\n    系数 >> 2", 16, 9, "unexpected '>'"),  # folded
    ("分: |\n    运行次数 *\n      系数 >> 2", 16, 11, "unexpected '>'"),  # literal, deeper indented
    ("分: 运行次数 * 系数 + \"#x\" # a YAML comment\n  x: a >> b", 15, 9, "unexpected '>'"),
])
def test_a_bad_expression_is_located_inside_its_yaml_string(let: str, line: int, column: int,
                                                             message: str) -> None:
    [(got_line, got_column, code, got_message)] = errors(edited("分: 运行次数 * 系数", let))
    assert (got_line, got_column, code, got_message) == (line, column, "PE001", message)


def test_a_character_the_language_does_not_use_is_located() -> None:
    assert errors(edited("分: 运行次数 * 系数", "分: '运行次数 && 系数'")) == [
        (14, 12, "PE002", "unexpected character '&'")]


def test_a_bad_table_cell_is_located_in_its_row() -> None:
    assert errors(edited('[">= 10", 1.2]', '[">= 10 10", 1.2]'))[0][:3] == (11, 17, "PE001")


def test_a_multiline_expression_reads_as_one_line() -> None:
    rs = parse_yaml_text(edited("分: 运行次数 * 系数", "分: |\n    运行次数 *\n      系数"), "r.yaml")
    [let] = [d for d in rs.declarations if getattr(d, "name", None) == "分"]
    assert let.expr.span.line == 15 and let.expr.right.span.line == 16 and let.expr.right.span.column == 7


def test_an_alias_bomb_is_refused() -> None:
    lines = ["ruleset: b", 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
    [(_, _, code, message)] = errors("\n".join(lines) + "\n")
    assert code == "PE505" and "alias bomb" in message
    assert errors("ruleset: r\na: &a [1, *a]\n")[0][2] == "PE505"  # an alias to itself never ends


def test_order_names_only_declarations_that_exist() -> None:
    assert errors(BASE + "order:\n  - lets: [分数]\n") == [
        (23, 12, "PE507", "order: no lets entry '分数' (did you mean '分'?)")]
    assert errors(BASE + "order:\n  - lets: [分]\n  - lets: 分\n") == [
        (24, 11, "PE507", "order: '分' listed twice (first at order[1].lets[1])")]
    assert errors(BASE + "order:\n  - sumary\n") == [
        (23, 5, "PE503", "order[1]: write '- summary' or '- SECTION: [names]', not 'sumary' "
         "(did you mean 'summary'?)")]


def test_the_cli_prints_located_errors_with_a_caret_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(edited("分: 运行次数 * 系数", "分: 运行次素 * 系数").replace("outputs:", "outptus:"),
                    encoding="utf-8")
    process = cli("check", str(path))  # as a user would: a subprocess
    assert process.returncode == 2 and "Traceback" not in process.stderr
    assert process.stderr.startswith(f"{path}:9:5: error[PE502]: unknown key 'outptus' in tables.系数 (did you "
                                 "mean 'outputs'?)\n      outptus: [系数]\n      ^~~~~~~\n")
    path.write_text(edited("分: 运行次数 * 系数", "分: 运行次素 * 系数"), encoding="utf-8")
    result = run("eval", str(path), str(ROOT / "cases" / "tax" / "small-2010.yaml"))
    assert result.exit_code == 2
    assert f"{path}:14:6: error[PE101]: unknown name '运行次素' (did you mean '运行次数'?)" in result.stderr
    assert run("convert", str(path), "--to", "dsl").exit_code == 0  # convert keeps what is written


# ---------------------------------------------------------------- positions inside scalars


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab 甲乙'\"\\#:-|>\n\t")), min_size=1, max_size=30),
       st.sampled_from([None, "'", '"', "|", ">"]), st.sampled_from([12, 80]))
def test_each_character_of_a_scalar_maps_to_where_it_was_written(value: str, style: str | None,
                                                                   fold_at: int) -> None:
    text = yaml.dump({"k": value}, default_style=style, allow_unicode=True, width=fold_at)
    node = yaml.compose(text).value[0][1]
    if node.value != value:  # YAML could not hold it in that style (e.g. trailing spaces in a plain scalar)
        return
    where = _value_positions(text, node)
    assert where is not None and len(where) == len(value)
    assert where == sorted(where) and len(set(where)) == len(where)
    lines = text.split("\n")
    for ch, (line, column) in zip(value, where, strict=True):
        source = (lines[line - 1] + "\n")[column - 1]
        assert source == ch or (node.style == '"' and source == "\\") or (ch in " \n" and source in " \n\t")


# ---------------------------------------------------------------- the schema


def test_the_schema_is_a_valid_json_schema_shipped_with_the_package() -> None:
    from importlib import resources

    jsonschema.Draft202012Validator.check_schema(schema())
    shipped = json.loads(resources.files("policyengine").joinpath("ruleset.schema.json").read_text("utf-8"))
    assert shipped == schema()
    # the package's data files (the schema, and the message catalogs since issue 14)
    assert "policyengine\" = [\"*.json\", " in (ROOT / "pyproject.toml").read_text("utf-8")


# ---------------------------------------------------------------- convert: the same model


def test_declaration_order_across_kinds_survives_yaml() -> None:
    dsl = ("input a: number\nlet z = a\ntable t {\n  | a || v |\n  | - || 1 |\n}\nlet y = t + z\n"
           "levels L [hi, lo]\ngrade L {\n  y > 1 -> hi\n  otherwise -> lo\n}\nlevels M [m]\n"
           "grade M {\n  otherwise -> m\n}\n")
    text = rewrite(dsl, "o.policy", "dsl", "yaml")
    assert text.endswith("order:\n  - inputs: [a]\n  - lets: [z]\n  - tables: [t]\n  - lets: [y]\n"
                         "  - levels: [L]\n  - grades: [L]\n  - levels: [M]\n  - grades: [M]\n")
    back = rewrite(text, "o.yaml", "yaml", "dsl")
    assert model_key(parse_text(back, "o.policy")) == model_key(parse_text(dsl, "o.policy"))
    item = [{"id": "A", "a": 2}]
    assert results(back, "dsl", item) == results(text, "yaml", item) == results(dsl, "dsl", item)


def test_a_ruleset_whose_kinds_stand_together_needs_no_order() -> None:
    assert "order:" not in rewrite(BASE, "t.yaml", "yaml", "yaml")
    # sections keep the file's order (lets before tables here), so fmt moves no value
    swapped = BASE.replace("lets:\n  分: 运行次数 * 系数\n", "").replace("tables:", "lets:\n  分: 运行次数 * 系数\ntables:")
    out = rewrite(swapped, "t.yaml", "yaml", "yaml")
    assert out.index("lets:") < out.index("tables:") and "order:" not in out


def test_a_declaration_left_out_of_order_follows_its_section() -> None:
    text = BASE.replace("lets:\n  分: 运行次数 * 系数\n", "lets:\n  分: 运行次数 * 系数\n  新: 分 + 1\n")
    text += "order:\n  - lets: [分]\n  - inputs: [运行次数, 类别]\n  - tables: [系数]\n  - levels: [档]\n  - grades: [档]\n"
    names = [getattr(d, "name", getattr(d, "scale", None)) for d in parse_yaml_text(text, "t.yaml").declarations]
    assert names == ["分", "新", "运行次数", "类别", "系数", "档", "档"]


@pytest.mark.parametrize("default", ["1.0", "15%", "-2.50", "0"])
def test_a_default_keeps_its_spelling(default: str) -> None:
    # the digest covers the canonical DSL text, so `1.0` must not come back as `1`
    dsl = f"ruleset d\ninput a: number = {default}\nlet b = a\n"
    text = rewrite(dsl, "d.policy", "dsl", "yaml")
    assert f"a: {{type: number, default: {default}}}" in text
    assert rewrite(text, "d.yaml", "yaml", "dsl") == f"ruleset d\n\ninput a: number = {default}\n\nlet b = a\n"


def test_a_yaml_child_with_a_title_but_no_id_is_not_converted_to_dsl(tmp_path: Path) -> None:
    (tmp_path / "base.policy").write_text("ruleset tax\ninput a: number\n", encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("title: 新办法\nextends: base.policy\n", encoding="utf-8")
    with pytest.raises(ParseError) as caught:
        convert_file(child, "dsl")
    assert (caught.value.code, caught.value.line) == ("PE512", 1)
    assert "title: 新办法" in convert_file(child, "yaml")


def test_extends_works_across_forms(tmp_path: Path) -> None:
    shutil.copy(ROOT / "rulesets" / "tax" / "2010.policy", tmp_path / "base.policy")
    (tmp_path / "base.yaml").write_text(convert_file(tmp_path / "base.policy", "yaml"), encoding="utf-8")
    child = textwrap.dedent("""\
        ruleset tax
        version "2011"
        extends "base.{form}"
        remove sanction 参与经商
        table 运行频率系数 {{
          | 运行次数 || 系数 |
          | >= 5000  || 1.3  |
          | -        || 0.9  |
        }}
        """)
    case = ROOT / "cases" / "tax" / "luoyang-2010.yaml"
    outputs = set()
    for parent in ("policy", "yaml"):
        dsl_child = tmp_path / f"child-of-{parent}.policy"
        dsl_child.write_text(child.format(form=parent), encoding="utf-8")
        yaml_child = tmp_path / f"child-of-{parent}.yaml"
        yaml_child.write_text(convert_file(dsl_child, "yaml"), encoding="utf-8")
        for path in (dsl_child, yaml_child):
            outputs.add(evaluate_file(path, case).replace(f"base.{parent}", "base"))
    assert len(outputs) == 1
    assert '"version": "2011"' in outputs.pop()


def test_convert_writes_the_output_file(tmp_path: Path) -> None:
    out = tmp_path / "tax.yaml"
    result = run("convert", "tax@2010", "--to", "yaml", "--output", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    assert out.read_text(encoding="utf-8") == convert_file(ROOT / "rulesets" / "tax" / "2010.policy", "yaml")


def shipped_files() -> list[Path]:
    return sorted(p for d in shipped_departments() for p in (ROOT / "rulesets" / d).iterdir()
                  if p.suffix in (".policy", ".yaml"))


@pytest.mark.parametrize("path", shipped_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_shipped_ruleset_round_trips_through_the_other_form(path: Path, tmp_path: Path) -> None:
    form, other = ("yaml", "dsl") if path.suffix == ".yaml" else ("dsl", "yaml")
    folder = tmp_path / path.parent.name
    shutil.copytree(path.parent, folder)  # parents named by `extends` stay beside it
    text = path.read_text("utf-8")
    converted = rewrite(text, str(path), form, other)
    back = rewrite(converted, str(path), other, form)
    assert model_key(parse_form(back, str(path), form)) == model_key(parse_form(text, str(path), form))
    assert model_key(parse_form(converted, str(path), other)) == model_key(parse_form(text, str(path), form))
    originals = sorted(c.text for c in parse_form(text, str(path), form).comments)
    carried = " ".join(c.text for c in parse_form(converted, str(path), other).comments)
    assert [c for c in originals if c not in carried] == []
    suffix = {"dsl": ".policy", "yaml": ".yaml"}
    (folder / f"converted{suffix[other]}").write_text(converted, encoding="utf-8")
    (folder / f"back{suffix[form]}").write_text(back, encoding="utf-8")
    for case, ruleset in case_files(path.parent.name):
        if ruleset != path.name:
            continue
        original = evaluate_file(path, case)
        assert evaluate_file(folder / f"converted{suffix[other]}", case) == original
        assert evaluate_file(folder / f"back{suffix[form]}", case) == original


def test_every_shipped_ruleset_has_a_case_to_compare_results_on() -> None:
    named = {(d, r) for d in shipped_departments() for _, r in case_files(d)}
    assert {(p.parent.name, p.name) for p in shipped_files()} <= named


# ---------------------------------------------------------------- generated rulesets

SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large]}


def check_round_trip(g: Generated) -> None:
    original = parse_text(g.text, "g.policy")
    as_yaml = rewrite(g.text, "g.policy", "dsl", "yaml")
    assert rewrite(as_yaml, "g.yaml", "yaml", "yaml") == as_yaml  # fmt of the YAML form is idempotent
    back = rewrite(as_yaml, "g.yaml", "yaml", "dsl")
    assert model_key(parse_text(back, "g.policy")) == model_key(original)
    again = rewrite(back, "g.policy", "dsl", "yaml")
    assert model_key(parse_yaml_text(again, "g.yaml")) == model_key(parse_yaml_text(as_yaml, "g.yaml"))
    expected = results(g.text, "dsl", g.items, units=g.units)
    assert results(as_yaml, "yaml", g.items, units=g.units) == expected
    assert results(back, "dsl", g.items, units=g.units) == expected
    carried = " ".join(c.text for c in parse_text(back, "g.policy").comments)
    assert [c.text for c in original.comments if c.text not in carried] == []


@settings(max_examples=10, **SETTINGS)
@given(rulesets())
def test_generated_rulesets_round_trip_through_yaml(g: Generated) -> None:
    check_round_trip(g)


@pytest.mark.slow
@settings(max_examples=300, **SETTINGS)
@given(rulesets())
def test_many_generated_rulesets_round_trip_through_yaml(g: Generated) -> None:
    check_round_trip(g)


def test_the_api_loads_a_yaml_ruleset_like_its_dsl(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(BASE, encoding="utf-8")
    dsl = tmp_path / "t.policy"
    dsl.write_text(convert_file(path, "dsl"), encoding="utf-8")
    case = pe.Case(items=[{"id": "A", "运行次数": 12, "类别": "甲"}, {"id": "B", "类别": "乙"}])
    a, b = pe.load_ruleset(path), pe.load_ruleset(dsl)
    assert a.digest == b.digest
    assert a.evaluate(case).to_dict() == b.evaluate(case).to_dict()
    assert [i.grades["档"].level for i in a.evaluate(case).items] == ["高", "低"]


# ---------------------------------------------------------------- the documentation's examples


def test_the_documented_example_is_one_ruleset_in_two_forms() -> None:
    doc = (ROOT / "docs" / "yaml-form.md").read_text("utf-8")
    dsl = doc.split("The DSL:\n\n```\n", 1)[1].split("```", 1)[0]
    as_yaml = doc.split("in YAML (`policyengine convert demo.policy --to yaml`):\n\n```yaml\n", 1)[1].split("```", 1)[0]
    assert rewrite(dsl, "demo.policy", "dsl", "yaml") == as_yaml  # what convert prints, verbatim
    assert rewrite(dsl, "demo.policy", "dsl", "dsl") == dsl  # and the DSL is already formatted
    kinds = {type(d).__name__ for d in parse_text(dsl, "demo.policy").declarations}
    assert kinds == {"Input", "Dimension", "DecisionTable", "Let", "GradeScale", "Grade", "Supervision",
                     "Sanction", "Summary"}
    snippet = doc.split("## Expressions stay DSL text", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    lets = {d.name: d.expr for d in parse_yaml_text(snippet, "s.yaml").declarations}
    assert sorted(lets) == ["修正", "综合得分", "说明", "负数"]
    assert lets["综合得分"] == parse_text("let x = round(基本分 * 频率系数 + 档位.加分 - 事件扣分, 2)\n",
                                          "x.policy").declarations[0].expr


def test_a_comma_inside_unquoted_text_of_a_flow_mapping_stays_in_the_text() -> None:
    # SPEC §3 writes `{range: [1, 5], doc: 自由裁量空间大的,从高评分}`: plain YAML would cut
    # the doc at the comma and read 从高评分 as a key; the text means one doc string
    rs = parse_yaml_text(edited("  类别: {type: one of, values: [甲, 乙]}\n",
                                "  类别: {type: one of, values: [甲, 乙]}\n"
                                "dimensions:\n  自由裁量度: {range: [1, 5], doc: 自由裁量空间大的,从高评分,从严}\n")
                         .replace("      - {when: 分 > 5, level: 高}",
                                  "      - {when: max(分, 自由裁量度) > 5, level: 高}"), "r.yaml")
    assert rs.dimensions[0].doc == "自由裁量空间大的,从高评分,从严"
    case = pe.Case(items=[{"id": "A", "运行次数": 1, "类别": "甲", "自由裁量度": 5},
                          {"id": "B", "运行次数": 10, "类别": "甲", "自由裁量度": 1}])
    from policyengine.api import LoadedRuleset
    from policyengine.check import check
    from policyengine.compile import compile_ruleset

    analysis = check(rs)
    loaded = LoadedRuleset(rs, analysis, compile_ruleset(rs, analysis), "r.yaml")
    # A: 分 = 1 × 1.0 = 1, max(1, 5) = 5 is not > 5 -> 低; B: 分 = 10 × 1.2 = 12 > 5 -> 高
    # (cut at its comma, `max(分` would not parse)
    assert [i.grades["档"].level for i in loaded.evaluate(case).items] == ["低", "高"]
    # a key with a value is still a key: a misspelt one is reported, not swallowed
    assert errors(BASE.replace("  运行次数: {type: integer, min: 0, default: 0}",
                               "  运行次数: {type: integer, min: 0, defualt: 0}"))[0][2] == "PE502"


@pytest.mark.parametrize("text", ["", "# 只有注释\n", "{}\n"])
def test_an_empty_yaml_ruleset_is_an_error_as_in_the_dsl(text: str) -> None:
    assert [(line, code) for line, _, code, _ in errors(text)] == [(1, "PE009")]


def test_hit_collect_sum_as_the_dsl_writes_it(tmp_path: Path) -> None:
    from .conftest import D

    # `hit: collect sum` reads as `hit: collect` + `aggregate: sum` (same model, same digest)
    short = BASE.replace("    inputs: [运行次数]\n", "    hit: collect sum\n    inputs: [运行次数]\n", 1)
    long = BASE.replace("    inputs: [运行次数]\n", "    hit: collect\n    aggregate: sum\n    inputs: [运行次数]\n", 1)
    a, b = parse_yaml_text(short, "r.yaml"), parse_yaml_text(long, "r.yaml")
    assert (a.tables[0].hit, a.tables[0].aggregate) == ("collect", "sum")
    assert model_key(a) == model_key(b)
    path = tmp_path / "r.yaml"
    path.write_text(short, encoding="utf-8")
    # 运行次数 12: rows ">= 10" (1.2) and "-" (1.0) both match, summed: 2.2; 分 = 12 × 2.2 = 26.4 -> 高
    # 运行次数 0: only "-" matches: 1.0; 分 = 0 × 1.0 = 0 -> 低
    items = pe.load_ruleset(path).evaluate(pe.Case(items=[{"id": "A", "运行次数": 12, "类别": "甲"},
                                                          {"id": "B", "类别": "乙"}])).items
    assert [(i.values["系数"], i.values["分"], i.grades["档"].level) for i in items] == [
        (D("2.2"), D("26.4"), "高"), (D(1), D(0), "低")]
    # the two spellings must agree when both are given
    both = short.replace("    hit: collect sum\n", "    hit: collect sum\n    aggregate: max\n", 1)
    # lines: 6 tables, 7 系数, 8 hit, 9 aggregate
    assert errors(both) == [(9, 5, "PE503", "'hit: collect sum' and 'aggregate: max' disagree: "
                                             "give one of them")]


def test_yaml_that_ends_before_a_brace_closes_points_at_the_end_of_the_text() -> None:
    # YAML notices the missing '}' at line 3, past the text: the caret goes after the last
    # character written (line 2, column 19), and a note says where the mapping began
    with pytest.raises(ParseError) as caught:
        parse_yaml_text("ruleset: t\ninputs: {a: number\n", "r.yaml")
    d = caught.value.diagnostics[0]
    assert (d.code, d.line, d.column) == ("PE501", 2, 19)
    assert d.notes == ["the file ends here", "while parsing a flow mapping, which starts at line 2, column 9"]
    assert d.render("inputs: {a: number").endswith("  inputs: {a: number\n                    ^\n"
                                                    "  note: the file ends here\n"
                                                    "  note: while parsing a flow mapping, which starts "
                                                    "at line 2, column 9")


def test_a_default_in_a_yaml_only_number_form_converts_to_a_dsl_number() -> None:
    # `default: 1_000` is YAML for 1000; printed as written, the DSL could not read it back
    # (convert ended in an internal error, exit 3); `1.0` and `15%` keep their spelling
    text = "ruleset: t\ninputs:\n  a: {type: number, default: 1_000}\n  b: {type: number, default: 1.0}\n" \
           "  c: {type: number, default: 15%}\nlets:\n  x: a * b + c\n"
    dsl_text = rewrite(text, "t.yaml", "yaml", "dsl")
    assert "input a: number = 1000\n" in dsl_text
    assert "input b: number = 1.0\n" in dsl_text and "input c: number = 15%\n" in dsl_text


def test_an_expression_that_stops_short_is_incomplete_in_either_language(tmp_path: Path) -> None:
    # the expression parser tells "the text ended too soon" by where lark stopped, not by the
    # words of a message: `check --lang zh` says it in Chinese, at the expression's place
    path = tmp_path / "r.yaml"
    path.write_text(edited("分: 运行次数 * 系数", "分: 运行次数 * (系数 +"), encoding="utf-8")
    zh = cli("--lang", "zh", "check", str(path))
    en = cli("--lang", "en", "check", str(path))
    assert zh.returncode == en.returncode == 2
    assert f"{path}:14:" in zh.stderr and "错误[PE001]: 表达式不完整" in zh.stderr, zh.stderr
    assert f"{path}:14:" in en.stderr and "error[PE001]: incomplete expression" in en.stderr, en.stderr

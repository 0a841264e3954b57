"""Regressions from the fuzz campaign of issue 11: each input once crashed (exit 3) or
misbehaved; now it gets a located error (exit 2) or the right result."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from policyengine.cli import main


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize("char", ["\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x1c"])
def test_line_separators_with_a_syntax_error(tmp_path: Path, char: str) -> None:
    """Lark breaks lines at \\n only; the located line must be the one it counted."""
    path = tmp_path / "r.policy"
    path.write_text(f"input x: number\n{char}0\n", encoding="utf-8", newline="")
    code, out = run("check", str(path))
    assert code == 2, out
    assert f"{path}:2:" in out  # line 2, whatever the column (FF is a space to the grammar)
    # the shown line has no raw control character that would move the cursor
    assert char not in out.split("error[")[1]


def test_bare_cr_alone(tmp_path: Path) -> None:
    path = tmp_path / "r.policy"
    path.write_bytes(b"\r0")
    code, out = run("check", str(path))
    assert code == 2 and "r.policy:1:1: error[PE002]" in out, out


def test_escaped_quote_before_hash_is_not_a_comment(tmp_path: Path) -> None:
    """`"a\\"b # c"` is one string: fmt once added a comment `# c"` on every run."""
    path = tmp_path / "r.policy"
    text = 'input x: one of ["a\\"b # c", "d"]\nlevels L [高, 低]\ngrade L {\n  x == "a\\"b # c" -> 高\n  otherwise -> 低\n}\n'
    path.write_text(text, encoding="utf-8")
    code, out = run("fmt", str(path))
    assert code == 0, out
    once = path.read_text(encoding="utf-8")
    assert once.count("#") == 2  # only the two inside the strings
    code, out = run("fmt", "--check", str(path))
    assert code == 0, out
    code, out = run("convert", str(path), "--to", "yaml")
    assert code == 0, out
    assert "a\\\"b # c" in out or "'a\"b # c'" in out, out


CELLS = {
    # cell: (value for item a, value for item b); two items, case period 2010, d = 2 and 4
    "len(items)": (2, 2),
    "case.period": (2010, 2010),
    "sum(dimensions)": (2, 4),
    "count(i in items where i.n > 5)": (1, 1),  # only a has n = 7 > 5
    "mean(i.n for i in items)": (5, 5),  # (7 + 3) / 2
}


@pytest.mark.parametrize("cell", list(CELLS))
def test_table_cells_read_the_case_items_and_dimensions(tmp_path: Path, cell: str) -> None:
    """check accepted these cells and eval crashed (NameError, AssertionError); a table only
    called as a function and summed in the summary crashed with KeyError."""
    (tmp_path / "r.policy").write_text(
        'input n: number\ndimension d: 1..5\ninput k: one of ["甲", "乙"]\n'
        f'table T {{\n  | k || v |\n  | "甲" || {cell} |\n  | - || 1 |\n}}\n'
        f"let w = T2(n)\ntable T2 {{\n  | n || v |\n  | > 1 || {cell} |\n  | - || 0 |\n}}\n"
        "summary {\n  sum T2\n}\n", encoding="utf-8")
    (tmp_path / "c.json").write_text('{"period": 2010, "items": [{"id": "a", "n": 7, "d": 2, "k": "甲"}, '
                                     '{"id": "b", "n": 3, "d": 4, "k": "甲"}]}', encoding="utf-8")
    a, b = CELLS[cell]
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-f", "json")
    assert code == 0, out
    result = json.loads(out)
    # both items have k = 甲 and n > 1: T and T2 both give the cell's value
    assert [i["values"]["T"] for i in result["items"]] == [a, b]
    assert [i["values"]["w"] for i in result["items"]] == [a, b]
    assert result["summary"]["sums"]["T2"] == a + b
    for item in ("a", "b"):
        code, out = run("explain", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "--item", item)
        assert code == 0, out


def test_unique_table_over_unbounded_columns(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text("input r: 2..10\ninput n: number\ntable T hit unique {\n"
                                       "  | r | n || v |\n  | 3 | - || 1 |\n}\n", encoding="utf-8")
    code, out = run("check", str(tmp_path / "r.policy"))
    assert code == 0, out
    assert "has no row for r in [2..3); r in (3..10]" in out


def test_unique_lint_of_a_large_lookup_table_is_fast(tmp_path: Path) -> None:
    rows = "".join(f"  | {i} || {i} |\n" for i in range(8000))
    (tmp_path / "r.policy").write_text(f"input n: integer\ntable T hit unique {{\n  | n || v |\n{rows}"
                                       "  | 5 || 1 |\n}\n", encoding="utf-8")
    start = time.perf_counter()
    code, out = run("check", str(tmp_path / "r.policy"))
    assert time.perf_counter() - start < 30  # was 65 s comparing all 32 million pairs
    assert code == 0, out
    # the only overlap: the rows for 5
    assert "rows at lines 9 and 8004 of unique table 'T' can both match" in out
    assert "1 warning(s)" in out


def test_a_table_cannot_take_a_built_in_name(tmp_path: Path) -> None:
    """`table round` made `round(n)` run the table (7.4 gave 100)."""
    (tmp_path / "r.policy").write_text("input n: number\ntable round {\n  | n || v |\n  | > 5 || 100 |\n"
                                       "  | - || 1 |\n}\nlet z = round(n)\n", encoding="utf-8")
    code, out = run("check", str(tmp_path / "r.policy"))
    assert code == 2
    assert "r.policy:2:1: error[PE102]: 'round' is a built-in name; choose another" in out


@pytest.mark.parametrize("name", ["{0}", "{rows.__class__.__mro__}", "{rows}", "{}"])
def test_format_fields_in_a_conflicting_table_name(tmp_path: Path, name: str) -> None:
    (tmp_path / "r.policy").write_text(f"input x: number\ntable `{name}` hit unique {{\n  | x || v |\n"
                                       "  | > 1 || 1 |\n  | > 0 || 2 |\n}\n", encoding="utf-8")
    (tmp_path / "c.json").write_text('{"items": [{"id": "a", "x": 2}]}', encoding="utf-8")
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-f", "json")
    assert code == 2, out
    assert f"unique table '{name}': rows 1 and 2 (lines 4 and 5) both match" in out
    assert "class" not in out.replace(name, "")


def _round_trip(tmp_path: Path, text: str) -> str:
    """fmt twice (no change the second time), DSL -> YAML -> DSL, and the schema; returns the
    YAML."""
    path = tmp_path / "r.policy"
    path.write_text(text, encoding="utf-8", newline="")
    code, out = run("fmt", str(path))
    assert code == 0, out
    once = path.read_bytes()
    assert run("fmt", str(path))[0] == 0 and path.read_bytes() == once
    code, out = run("convert", str(path), "--to", "yaml", "-o", str(tmp_path / "r.yaml"))
    assert code == 0, out
    code, back = run("convert", str(tmp_path / "r.yaml"), "--to", "dsl")
    assert code == 0, back
    assert back == once.decode("utf-8")
    code, out = run("schema", str(path))
    assert code == 0, out
    return (tmp_path / "r.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("table", ["not", "true"])
def test_calls_to_tables_named_like_keywords(tmp_path: Path, table: str) -> None:
    _round_trip(tmp_path, f'input k: one of ["a"]\ntable `{table}` {{\n  | k || v |\n  | - || 1 |\n}}\n'
                          f"let z = `{table}`(k)\n")
    assert f"let z = `{table}`(k)" in (tmp_path / "r.policy").read_text(encoding="utf-8")


def test_count_at_the_start_of_a_grade_line_keeps_its_brackets(tmp_path: Path) -> None:
    _round_trip(tmp_path, "levels Z [高档, 低档]\ngrade Z {\n  (count(i in items where true) > 1) -> 高档\n"
                          "  otherwise -> 低档\n}\n")


def test_strings_with_line_separators(tmp_path: Path) -> None:
    yaml_text = _round_trip(tmp_path, 'input k: one of ["a\x85b", "c\rd", "e\u2028f", "\u2029", "🙂"]\n')
    assert '"a\\u0085b", "c\\rd", "e\\u2028f", "\\u2029"' in yaml_text
    from policyengine.yamlform import parse_yaml_text

    rs = parse_yaml_text(yaml_text, "r.yaml")
    assert rs.inputs[0].type.values == ("a\x85b", "c\rd", "e\u2028f", "\u2029", "🙂")


def test_a_grade_of_only_raises_converts_and_is_refused_alike(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text("levels Z [a, b]\ngrade Z {\n  raise 1 when true\n}\n", encoding="utf-8")
    code, out = run("convert", str(tmp_path / "r.policy"), "--to", "yaml", "-o", str(tmp_path / "r.yaml"))
    assert code == 0, out
    assert "rules: []" in (tmp_path / "r.yaml").read_text(encoding="utf-8")
    for name in ("r.policy", "r.yaml"):
        code, out = run("check", str(tmp_path / name))
        assert code == 2 and "error[PE110]: grade 'Z' has no lines" in out, out


def test_schema_of_a_label_of_5000_digits(tmp_path: Path) -> None:
    label = "9" * 5000
    (tmp_path / "r.policy").write_text(f'input k: one of ["{label}", "a"]\n', encoding="utf-8")
    code, out = run("schema", str(tmp_path / "r.policy"))
    assert code == 0, out
    assert label in out


# ---------------------------------------------------------------- case files

NUMBER_RULESET = "input x: number\n"


def _eval(tmp_path: Path, name: str, text: str | bytes, *options: str) -> tuple[int, str]:
    (tmp_path / "r.policy").write_text(NUMBER_RULESET, encoding="utf-8")
    case = tmp_path / name
    case.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return run(*options, "eval", str(tmp_path / "r.policy"), str(case), "-f", "json")


@pytest.mark.parametrize("number", ["1e-999999", "1e999999999", "1" * 1_000_000, "0." + "0" * 1000 + "1", "-1e-999999"])
def test_numbers_bounded_both_ways(tmp_path: Path, number: str) -> None:
    code, out = _eval(tmp_path, "c.json", f'{{"items": [{{"id": "a", "x": {number}}}]}}')
    assert code == 2, out
    assert "c.json:1:24: error[PE303]: item a: field 'x': number" in out  # at the key "x"
    assert "is too large or too small" in out
    assert len(out) < 2000  # the value is not echoed whole


@pytest.mark.parametrize("number", ["0.000001", "3.862480649537515e-254", "1e-999"])
def test_a_small_but_modest_number_is_accepted(tmp_path: Path, number: str) -> None:
    code, out = _eval(tmp_path, "c.json", f'{{"items": [{{"id": "a", "x": {number}}}]}}')
    assert code == 0, out


def test_json_duplicate_key_then_a_syntax_error(tmp_path: Path) -> None:
    code, out = _eval(tmp_path, "c.json", '{"items": [{"id": "a", "x": 1}, {"id": "b", "x": 1, "x": 2}')
    assert code == 2, out
    assert "c.json:1:53: error[PE302]: key 'x' given twice" in out


@pytest.mark.parametrize(("text", "message"), [
    # a bare CR ends a row, as spreadsheets read it: row "b" then lacks x
    ("id,x\na,1\rb\n", "c.csv:3:1: error[PE303]: item b: missing field 'x'"),
    ("id,x\na," + "1" * 140_000 + "\n", "c.csv:2: error[PE320]: this CSV file cannot be read: field larger than field"),
    ("id,x,x\na,1,2\n", "c.csv:1:3: error[PE321]: column 'x' appears twice in the header row (also column B)"),
])
def test_csv_case_errors(tmp_path: Path, text: str, message: str) -> None:
    code, out = _eval(tmp_path, "c.csv", text)
    assert code == 2, out
    assert message in out


def test_case_size_limit_and_its_option(tmp_path: Path) -> None:
    items = ",".join(f'{{"id": "i{n}", "x": {n}}}' for n in range(60_000))
    text = f'{{"items": [{items}]}}'
    assert len(text) > 1 << 20
    code, out = _eval(tmp_path, "c.json", text, "--max-case-size", "1")
    assert code == 2
    assert "c.json: error[PE307]: the case file is larger than 1 MiB" in out
    code, out = _eval(tmp_path, "c.json", text, "--max-case-size", "2")
    assert code == 0, out[-500:]
    assert len(json.loads(out)["items"]) == 60_000


def test_endless_case_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import policyengine.case as case_module

    monkeypatch.setattr(case_module, "MAX_CASE_BYTES", 1 << 16)
    with pytest.raises(case_module.CaseError, match="larger than 65536 bytes"):
        case_module.load_case("/dev/zero")


def test_locating_keeps_each_case_to_itself(tmp_path: Path) -> None:
    """The location cache was global: an edited file kept its old line numbers, and
    threads evaluating invalid cases cleared it under each other (KeyError)."""
    from concurrent.futures import ThreadPoolExecutor

    import policyengine as pe
    from policyengine.api import ruleset_from_text

    rs = ruleset_from_text(NUMBER_RULESET)
    case = tmp_path / "c.json"

    def line_of_error(text: str) -> int:
        case.write_text(text, encoding="utf-8")
        try:
            rs.evaluate(pe.load_case(case))
        except pe.PolicyError as exc:
            return exc.line
        raise AssertionError("no error")

    assert line_of_error('{"items": [\n{"id": "a", "x": "bad"}]}') == 2
    assert line_of_error('{"items": [\n\n\n{"id": "a", "x": "bad"}]}') == 4  # not the old 2
    files = []
    for n in range(8):
        f = tmp_path / f"c{n}.json"
        f.write_text('{"items": [' + "\n" * n + '{"id": "a", "x": "bad"}]}', encoding="utf-8")
        files.append(f)

    def attempt(n: int) -> int:
        try:
            rs.evaluate(pe.load_case(files[n % 8]))
        except pe.PolicyError as exc:
            return exc.line
        return -1

    with ThreadPoolExecutor(8) as pool:
        lines = list(pool.map(attempt, range(160)))
    assert lines == [n % 8 + 1 for n in range(160)]


# ---------------------------------------------------------------- output


def test_csv_output_neutralises_formulas(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text('input x: number\nlet y = x\n', encoding="utf-8")
    (tmp_path / "c.json").write_text('{"items": [{"id": "=HYPERLINK(\\"http://x\\")", "name": "@SUM(A1)", "x": -5},'
                                     ' {"id": "+1", "name": "-", "x": 2}]}', encoding="utf-8")
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-f", "csv")
    assert code == 0, out
    lines = out.lstrip("\ufeff").splitlines()
    assert lines[1] == '"\'=HYPERLINK(""http://x"")",\'@SUM(A1),-5,,,,'
    assert lines[2] == "'+1,'-,2,,,,"


def test_junit_xml_with_control_characters_is_well_formed(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    (tmp_path / "r.policy").write_text('input x: text\nlet y = x\n', encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps({"ruleset": "r.policy", "items": [{"id": "a", "x": "a\x07b\x00"}],
                                                 "expect": {"a": {"y": "other\x1b"}}}), encoding="utf-8")
    code, out = run("test", str(tmp_path / "c.json"), "--junit", str(tmp_path / "j.xml"))
    assert code == 1, out
    root = ET.parse(tmp_path / "j.xml").getroot()
    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None and "\\x07" in (failure.text or "") and "\\x1b" in (failure.text or "")


def test_output_to_dev_stdout(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "r.policy").write_text(NUMBER_RULESET, encoding="utf-8")
    (tmp_path / "c.json").write_text('{"items": [{"id": "a", "x": 1}]}', encoding="utf-8")
    # a real process: /dev/stdout must be its pipe
    done = subprocess.run([sys.executable, "-m", "policyengine", "eval", str(tmp_path / "r.policy"),
                           str(tmp_path / "c.json"), "-f", "csv", "-o", "/dev/stdout"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.lstrip("\ufeff").splitlines()[1] == "a,,,,,"


def test_output_to_a_symlink_loop(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text(NUMBER_RULESET, encoding="utf-8")
    (tmp_path / "c.json").write_text('{"items": [{"id": "a", "x": 1}]}', encoding="utf-8")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-o", str(tmp_path / "a"))
    assert code == 2
    assert "error[PE010]: cannot write this file: Too many levels of symbolic links" in out


def test_fmt_write_error_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import policyengine.fmt as fmt_module

    def full(path: Path, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fmt_module, "write_in_place", full)
    (tmp_path / "r.policy").write_text("input  x: number\n", encoding="utf-8")
    code, out = run("fmt", str(tmp_path / "r.policy"))
    assert code == 2
    assert "r.policy: error[PE010]: cannot write this file: No space left on device" in out
    assert (tmp_path / "r.policy").read_text(encoding="utf-8") == "input  x: number\n"


def test_fmt_keeps_hard_links(tmp_path: Path) -> None:
    import os

    (tmp_path / "r.policy").write_text("input  x: number\n", encoding="utf-8")
    os.link(tmp_path / "r.policy", tmp_path / "same.policy")
    code, out = run("fmt", str(tmp_path / "r.policy"))
    assert code == 0, out
    assert (tmp_path / "same.policy").read_text(encoding="utf-8") == "input x: number\n"
    assert os.stat(tmp_path / "r.policy").st_ino == os.stat(tmp_path / "same.policy").st_ino


# ---------------------------------------------------------------- what a ruleset may read


def test_extends_a_file_that_is_not_a_ruleset_prints_nothing_of_it(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("root:SECRET-HASH:19000:0:99999:7:::\n", encoding="utf-8")
    (tmp_path / "r.policy").write_text(f'extends "{secret}"\n', encoding="utf-8")
    code, out = run("check", str(tmp_path / "r.policy"))
    assert code == 2
    assert "error[PE012]: extends must name a ruleset file (.policy, .yaml or .yml), not 'secret'" in out
    assert "SECRET" not in out


def test_extends_and_ruleset_lines_stay_in_their_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside"
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    outside.mkdir()
    (outside / "base.policy").write_text("input x: number\nlet y = x * 2\n", encoding="utf-8")
    (project / "child.policy").write_text(f'extends "{outside / "base.policy"}"\n', encoding="utf-8")
    (project / "case.json").write_text(json.dumps({"ruleset": str(outside / "base.policy"),
                                                   "items": [{"id": "a", "x": 3}]}), encoding="utf-8")
    (project / "sub" / "child.policy").write_text('extends "../../outside/base.policy"\n', encoding="utf-8")
    monkeypatch.chdir(project)
    code, out = run("check", "child.policy")
    assert code == 2 and "child.policy:1:1: error[PE011]: extends names a file outside" in out, out
    code, out = run("check", "sub/child.policy")
    assert code == 2 and "error[PE011]" in out, out
    code, out = run("eval", "case.json", "-f", "json")
    assert code == 2 and "error[PE011]: the case's 'ruleset:' names a file outside" in out, out
    # allowed by the option: y = 3 * 2
    code, out = run("--allow-any-path", "eval", "case.json", "-f", "json")
    assert code == 0, out
    assert json.loads(out)["items"][0]["values"]["y"] == 6
    code, out = run("--allow-any-path", "check", "child.policy")
    assert code == 0, out
    # inside the working folder's tree: allowed
    monkeypatch.chdir(tmp_path)
    code, out = run("check", "project/child.policy")
    assert code == 0, out


def test_messages_do_not_echo_megabyte_values(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text("input k: text\n", encoding="utf-8")
    big = "x" * 1_000_000
    (tmp_path / "c.json").write_text(json.dumps({"items": [{"id": big, "k": "a"}, {"id": big, "k": "a"}]}),
                                     encoding="utf-8")
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"))
    assert code == 2
    assert "error[PE303]" in out and "characters)…" in out
    assert len(out) < 5000  # was 2 MB: the id twice


def test_yaml_base_60_stays_text(tmp_path: Path) -> None:
    """YAML 1.1 reads 190:20:30 as the number 685230."""
    (tmp_path / "r.policy").write_text("input k: text\nlet z = k\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("items:\n  - {id: a, k: 190:20:30}\n  - {id: b, k: 1:30.5}\n", encoding="utf-8")
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.yaml"), "-f", "json")
    assert code == 0, out
    assert [i["values"]["z"] for i in json.loads(out)["items"]] == ["190:20:30", "1:30.5"]


def test_schema_accepts_null_where_the_validator_does(tmp_path: Path) -> None:
    import jsonschema

    (tmp_path / "r.policy").write_text('input n: number = 3 "doc"\ninput l: list of {a: number}\n'
                                       "let z = n + count(e in l)\n", encoding="utf-8")
    case = {"items": [{"id": "a", "n": None, "l": None}]}
    (tmp_path / "c.json").write_text(json.dumps(case), encoding="utf-8")
    code, out = run("schema", str(tmp_path / "r.policy"))
    assert code == 0, out
    jsonschema.validate(case, json.loads(out))
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-f", "json")
    assert code == 0, out
    assert json.loads(out)["items"][0]["values"]["z"] == 3  # the default 3 + no elements


def test_control_characters_in_a_comment_convert_to_yaml(tmp_path: Path) -> None:
    (tmp_path / "r.policy").write_text("input x: number  # a\x07b\x1bc\x85d\n", encoding="utf-8")
    code, out = run("convert", str(tmp_path / "r.policy"), "--to", "yaml")
    assert code == 0, out
    assert "x: number  # a\ufffdb\ufffdc d" in out


def test_yaml_count_by_nothing_and_a_huge_every_are_refused(tmp_path: Path) -> None:
    head = ("inputs:\n  x: {type: number}\nlevels:\n  L: [a, b]\ngrades:\n  L:\n    rules:\n"
            "      - {otherwise: true, level: a}\n")
    (tmp_path / "cb.yaml").write_text(head + "summary:\n  - count by: []\n", encoding="utf-8")
    (tmp_path / "ev.yaml").write_text(head + "supervision:\n  L:\n    - {otherwise: true, by: [x], every: "
                                      + "9" * 4400 + " years}\n", encoding="utf-8")
    for name, message in (("cb.yaml", "cb.yaml:10:15: error[PE503]: count by needs at least one name"),
                          ("ev.yaml", "ev.yaml:11:41: error[PE004]: number has more than 30 digits")):
        for verb in ("check", "fmt"):
            code, out = run(verb, str(tmp_path / name))
            assert code == 2 and message in out, out
        code, out = run("convert", str(tmp_path / name), "--to", "dsl")
        assert code == 2 and message in out, out


def test_yaml_ruleset_base_60_is_not_a_number(tmp_path: Path) -> None:
    """`default: 1:30` was silently 90 (YAML 1.1 base 60)."""
    (tmp_path / "r.yaml").write_text("inputs:\n  k: {type: one of, values: [190:20:30, b]}\n"
                                     "  n: {type: number, default: 1:30}\n", encoding="utf-8")
    code, out = run("convert", str(tmp_path / "r.yaml"), "--to", "dsl")
    assert code == 0, out
    assert out == 'input k: one of ["190:20:30", "b"]\ninput n: number = "1:30"\n'
    code, out = run("check", str(tmp_path / "r.yaml"))
    assert code == 2 and "error[PE104]" in out, out


def test_a_table_cell_calls_another_table(tmp_path: Path) -> None:
    """Each table function gets its own name even when its cells call a table generated
    while its own body is (the nested one once took the same name and replaced it)."""
    (tmp_path / "r.policy").write_text(
        "input n: number\n"
        "table A {\n  | n || v |\n  | > 5 || B(n) + 1 |\n  | - || 0 |\n}\n"
        "table B {\n  | m || w |\n  | > 6 || 10 |\n  | - || 20 |\n}\n"
        "let z = A(n)\n", encoding="utf-8")
    (tmp_path / "c.json").write_text('{"items": [{"id": "a", "n": 7}, {"id": "b", "n": 6}, {"id": "c", "n": 1}]}',
                                     encoding="utf-8")
    for verb in (["eval", "-f", "json"], ["explain", "--item", "b", "-f", "json"]):
        code, out = run(verb[0], str(tmp_path / "r.policy"), str(tmp_path / "c.json"), *verb[1:])
        assert code == 0, out
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-f", "json")
    # a: 7 > 5 -> B(7) + 1 = 10 + 1; b: 6 > 5 -> B(6) + 1 = 20 + 1; c: 1 -> 0
    assert [i["values"]["z"] for i in json.loads(out)["items"]] == [11, 21, 0]


def test_squaring_lets_cannot_print_a_megabyte(tmp_path: Path) -> None:
    lets = "".join(f"let {b} = {a} * {a}\n" for a, b in zip("abcdef", "bcdefg", strict=True))
    (tmp_path / "r.policy").write_text(f"input x: number\nlet a = x * 1000000000000000000000000000\n{lets}",
                                       encoding="utf-8")
    (tmp_path / "c.json").write_text('{"items": [{"id": "a", "x": 10}]}', encoding="utf-8")
    code, out = run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-f", "json")
    # a = 10^28, b = 10^56, … g = 10^1792: past 10^999
    assert code == 2 and "r.policy:8:1: error[PE406]: item a: number too large in let g" in out, out


def test_a_json_number_past_what_decimal_holds(tmp_path: Path) -> None:
    """Found by the long fuzz run: Decimal() itself refuses the exponent (InvalidOperation)."""
    number = "1e-" + "1" * 400
    code, out = _eval(tmp_path, "c.json", f'{{"items": [\n{{"id": "a", "x": {number}}}]}}')
    assert code == 2, out
    assert "c.json:2:18: error[PE302]: number 1e-11111111111111111… is too large or too small to read" in out


def test_a_yaml_number_past_what_decimal_holds_is_not_zero(tmp_path: Path) -> None:
    """float() would silently read 1.0e-111…1 as 0."""
    code, out = _eval(tmp_path, "c.yaml", "items:\n  - {id: a, x: 1.0e-" + "1" * 400 + "}\n")
    assert code == 2, out
    assert "c.yaml:2:13: error[PE303]: item a: field 'x': must be a number, not text" in out


def test_compare_reads_back_a_result_with_notes(tmp_path: Path) -> None:
    """Found by the fuzz run of rollups and compare: eval writes an item's `notes` (a ruleset
    with `note` fields), and compare refused its own result as 'unknown key notes' (PE352)."""
    (tmp_path / "r.policy").write_text("input x: number\nnote 部门: text\nlet y = x * 2\n", encoding="utf-8")
    (tmp_path / "c.json").write_text('{"items": [{"id": "a", "x": 3, "部门": "办公室"}]}', encoding="utf-8")
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    assert run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-o", str(old))[0] == 0
    assert json.loads(old.read_text(encoding="utf-8"))["items"][0]["notes"] == {"部门": "办公室"}
    (tmp_path / "c.json").write_text('{"items": [{"id": "a", "x": 4, "部门": "办公室"}]}', encoding="utf-8")
    assert run("eval", str(tmp_path / "r.policy"), str(tmp_path / "c.json"), "-o", str(new))[0] == 0
    code, out = run("compare", str(old), str(old), "-f", "json", "--exit-code")
    assert code == 0, out
    code, out = run("compare", str(old), str(new), "-f", "json", "--exit-code")
    # x 3 -> 4: y = 6 -> 8, a change of 2 in the one item
    assert code == 1, out
    changed = json.loads(out)["items_changed"]
    assert changed == [{"id": "a", "name": None, "grades": {}, "values": {"y": [6, 8]}, "deltas": {"y": 2}}], out


def test_a_case_its_caller_allowed_to_be_large_is_still_located(tmp_path, monkeypatch) -> None:
    """Locating an error re-reads the case: it must not apply the default size limit to a
    file whose caller allowed more (every location would be lost, 0:0)."""
    import policyengine as pe
    import policyengine.case as case_module
    from policyengine.api import ruleset_from_text
    from policyengine.errors import CaseError

    path = tmp_path / "c.yaml"
    path.write_text("items:\n" + "".join(f"  - {{id: A{k}, x: 1}}\n" for k in range(200))
                    + "  - {id: B, x: oops}\n", encoding="utf-8")
    monkeypatch.setattr(case_module, "MAX_CASE_BYTES", 100)  # the default, far below this file
    case = pe.load_case(path, max_bytes=1 << 20)
    try:
        ruleset_from_text("ruleset r\ninput x: number\n").evaluate(case)
    except CaseError as err:
        # line 1 is 'items:', then one line per item: B is item 201, on line 202, x at column 13
        assert (err.diagnostics[0].line, err.diagnostics[0].column) == (202, 13)  # at the field x
    else:
        raise AssertionError("x: oops is not a number")


JSON_WALKED = ('{ "title" : "a, [b] {c}",\n  "items" : [ {"id": "a", "n": [1, {"x": "}"}]} ,\n'
               '    {"id":"b","k\\"ey":2 , "n": 3} ],\n  "units": {"单位": [{"id": "u"}]} }\n')


def test_one_json_walker_locates_values_and_duplicate_keys() -> None:
    from json.scanner import make_scanner

    from policyengine.case import json as case_json
    from policyengine.case.locate import JsonText, _json_position

    scan = make_scanner(json.JSONDecoder())
    top = [(key, JSON_WALKED[value_at]) for key, _key_at, value_at in case_json.json_children(JSON_WALKED, 0, scan)]
    assert top == [("title", '"'), ("items", "["), ("units", "{")]
    items_at = next(v for k, _a, v in case_json.json_children(JSON_WALKED, 0, scan) if k == "items")
    starts = [(i, at) for i, at, _same in case_json.json_children(JSON_WALKED, items_at, scan)]
    assert [i for i, _at in starts] == [0, 1] and JSON_WALKED[starts[1][1]:starts[1][1] + 9] == '{"id":"b"'
    # a key's place for the last step, a value's for the steps before; counted by hand:
    # line 3 is `    {"id":"b","k\"ey":2 , "n": 3} ],`, its "n" key at column 27 (after `2 , `)
    walked = JsonText(JSON_WALKED)  # one text for every path: members found once are kept
    assert _json_position(walked, ["items", 1, "n"]) == (3, 27)
    assert _json_position(walked, ["items", 1, 'k"ey']) == (3, 15)
    assert _json_position(walked, ["units", "单位", 0, "id"]) == (4, 21)
    assert _json_position(walked, ["items", 5, "id"]) == (2, 13)  # no such element: the list
    assert _json_position(walked, ["items", 1, "n"]) == (3, 27)  # again, from what was kept
    assert _json_position(JsonText(JSON_WALKED), ["items", 1, "n"]) == (3, 27)  # and afresh
    # the duplicate finder walks the same way: "id" twice in the second item, on line 3
    twice = JSON_WALKED.replace('"k\\"ey":2', '"id":2')
    assert case_json._suspect_start(twice) == JSON_WALKED.index('{"id":"b"')
    assert case_json._duplicate_key_at(twice) == ("id", twice.index('"id":2'))


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_an_item_of_very_many_unknown_keys_is_reported_and_located_once(tmp_path: Path, suffix: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # hostile input: one item of 20 000 unknown keys (200 000 took 24 s: a message and a
    # did-you-mean per key, and a walk from the object's first key to locate each of the 50
    # shown, and the 3 MB line cleaned of control characters whole for each)
    import policyengine.case.json as case_json
    import policyengine.case.validate  # noqa: F401

    validation = sys.modules["policyengine.case.validate"]
    keys = {f"k{i:05}": 1 for i in range(20_000)}
    item = {"id": "A", "单位": "U", "权力类别": "执法权", "权力": "征收权", "运行次数": 1,
            "自由裁量度": 1, "透明度": 1, "可复核度": 1, "制约度": 1, **keys}
    case = tmp_path / f"many{suffix}"
    if suffix == ".json":
        case.write_text(json.dumps({"items": [item]}, ensure_ascii=False), encoding="utf-8")
    else:  # one flow mapping on one line, as a converted export might write it
        case.write_text("items:\n  - {" + ", ".join(f"{k}: {v}" for k, v in item.items()) + "}\n",
                        encoding="utf-8")
    suggested: list[str] = []
    real_did_you_mean = validation.did_you_mean
    monkeypatch.setattr(validation, "did_you_mean", lambda k, known: suggested.append(k) or real_did_you_mean(k, known))
    walked: list[Any] = []
    real_children = case_json.json_children

    def children(text: str, at: int, scan: Any) -> Any:
        for member in real_children(text, at, scan):
            walked.append(member[0])
            yield member

    monkeypatch.setattr(case_json, "json_children", children)
    code, out = run("eval", "bench/tax-bench.policy", str(case))
    assert code == 2 and "Traceback" not in out
    shown = [line for line in out.splitlines() if "error[PE303]" in line]
    assert len(shown) == 50 and "stopped after 50 problems" in out
    # the first 50 keys in order, each located on line 1 (JSON) or 2 (YAML) at its own column
    text = case.read_text(encoding="utf-8")
    line = 1 if suffix == ".json" else 2
    row = text.split("\n")[line - 1]
    quote = '"' if suffix == ".json" else ""
    for n, message in enumerate(shown):
        key = f"k{n:05}"
        assert f"unknown field '{key}'" in message, message
        assert message.startswith(f"{case}:{line}:{row.index(quote + key + quote) + 1}: "), message
    assert len(suggested) == 50  # not one per key
    if suffix == ".json":  # the item's members walked once for all 50, not once each
        assert len(walked) < 2 * len(item)


def test_the_sheet_names_of_an_earlier_workbook_are_read_in_linear_time(tmp_path: Path) -> None:
    import zipfile

    from policyengine.case.xlsx import sheet_names

    # an earlier period's workbook is told a result by its sheet names (xl/workbook.xml),
    # read with a regular expression: a tag left open before each next one made it scan to
    # the end of the file from every '<sheet' (300 KB: minutes)
    hostile = tmp_path / "earlier.xlsx"
    with zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<sheet " * 45_000)
    start = time.perf_counter()
    with zipfile.ZipFile(hostile) as archive:
        assert sheet_names(archive) == frozenset()
    assert time.perf_counter() - start < 5
    code, out = run("eval", "rulesets/tax/2010.policy", "cases/tax/small-2010.yaml", "--previous", str(hostile))
    assert code == 2 and f"{hostile}: error[PE3" in out, out


@pytest.mark.parametrize(("xml", "names"), [
    # as Excel and openpyxl write them: a namespace prefix or none, entities, other attributes
    # before the name
    ('<x:workbook><x:sheets><x:sheet name="items" sheetId="1"/><sheet sheetId="2" name="R&amp;D 汇总" '
     'r:id="rId2"/><sheets/></x:sheets></x:workbook>', {"items", "R&D 汇总"}),
    # XML allows single quotes and spaces around '=' (another tool's writer)
    ("<workbook><sheets><sheet name='items' sheetId='1'/><sheet sheetId='2' name = 'it\"s'/></sheets></workbook>",
     {"items", 'it"s'}),
])
def test_the_sheet_names_are_read_as_xml_writes_them(tmp_path: Path, xml: str, names: set[str]) -> None:
    import zipfile

    from policyengine.case.xlsx import sheet_names

    workbook = tmp_path / "book.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/workbook.xml", xml)
    with zipfile.ZipFile(workbook) as archive:
        assert sheet_names(archive) == names


def test_an_oversized_sheet_list_is_refused_unread(tmp_path: Path) -> None:
    import zipfile

    # 17 MiB of spaces compress to a few kilobytes; the sheet list is read only up to 16 MiB
    hostile = tmp_path / "earlier.xlsx"
    with zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"<workbook>" + b" " * (17 << 20) + b"</workbook>")
    code, out = run("eval", "rulesets/tax/2010.policy", "cases/tax/small-2010.yaml", "--previous", str(hostile))
    assert code == 2 and "Traceback" not in out, out
    assert f"{hostile}: error[PE320]: the sheet list of this workbook (xl/workbook.xml) is over 16 MiB of XML" in out


def test_a_very_long_line_is_shown_as_a_window_around_the_column() -> None:
    from policyengine.errors import Diagnostic

    # 300 characters: a control character at 10 (outside the window) and at 160 (inside);
    # column 200 -> the window starts at 200 - 1 - 50 = 149 and holds 100 characters, after
    # an ellipsis, so the caret stands at 200 - 149 + 1 = 52
    text = "".join("\x1b" if i in (9, 159) else "ab"[i % 2] for i in range(300))
    shown = Diagnostic("PE303", "m", file="c.json", line=1, column=200).render(source=text).split("\n")
    window = "".join("\ufffd" if i == 159 else "ab"[i % 2] for i in range(149, 249))
    assert shown[1] == "  …" + window
    assert shown[2] == "  " + " " * 51 + "^"

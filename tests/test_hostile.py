"""Hostile names and strings: user text must reach generated code only as data.

A template ruleset (tests/data/hostile_template.policy) uses a name or a string in every
place one can go — inputs, record fields, one-of labels, dimensions, tables and their
output columns, lets, level and grade names, a matrix, supervision, sanctions, actions,
summary lines, a rollup with its own let, levels, grade and sanction. Each `P` in it is replaced by an injection attempt (in backticks for a
name, escaped in a string), then the ruleset is checked, evaluated, explained, tested
with coverage, formatted and converted — in the DSL and in the YAML form. Had any of it
been pasted into the generated Python, `owned.txt` would appear in the working folder.

Expected values (whatever P is): P9 → P1 = 7 > 5 gives the first row, P10 = 1;
sum of P4 over P3 = 2; weighted(dimensions) = P5 × weight 2 = 6; P21(7) → `>= 1` row = 2;
so P12 = 1 + 2 + 6 + 2 = 11. P19 (collect sum): both rows match P2 = "P": 1 + 2 = 3,
the fine of P14; P23 fires once with fine P4 = 2; fines = 3 + 2 = 5.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from policyengine.cli import main

TEMPLATE = (Path(__file__).parent / "data" / "hostile_template.policy").read_text(encoding="utf-8")

PAYLOADS = [
    "S'] = 0; __import__('os').system('touch owned.txt'); TR['y",
    'S"] = 0; __import__("os").system("touch owned.txt"); TR["y',
    "'''\"\"\"); open('owned.txt', 'w'); #",
    "{0}{rows.__class__.__mro__}{table!r}",
    "a\\' \\\" b\\",
    "nul\x00tab\tbell\x07",
    "%s%(x)s$x${x}",
    "</script><img src=x onerror=alert(1)>&amp;",
]


def dsl_with(payload: str) -> str:
    """The template with every P replaced: raw in backticks, escaped in strings."""
    quoted = payload.replace("\\", "\\\\").replace('"', '\\"')

    def part(m: re.Match[str]) -> str:
        text = m.group(0)
        return text.replace("P", payload) if text.startswith("`") else text.replace("P", quoted)

    return re.sub(r'`[^`]*`|"[^"]*"', part, TEMPLATE)


def case_with(payload: str, ruleset: str) -> dict:
    return {"ruleset": ruleset,
            "items": [{"id": "a", f"{payload}1": 7, f"{payload}2": payload,
                       f"{payload}3": [{f"{payload}4": 2, f"{payload}15": payload}], f"{payload}5": 3}],
            "expect": {"a": {f"{payload}12": 11, "fine": 5, f"{payload}6": f"{payload}7",
                             f"{payload}16": f"{payload}17"}}}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def assert_result(output: str, p: str) -> None:
    data = json.loads(output)
    item = data["items"][0]
    assert item["values"][f"{p}12"] == 11
    assert item["values"][f"{p}19"] == 3
    assert item["values"][f"{p}9"] == {f"{p}10": 1, f"{p}11": 2}
    assert item["grades"][f"{p}6"]["level"] == f"{p}7"
    assert item["grades"][f"{p}16"]["level"] == f"{p}17"
    assert item["supervision"][0]["by"] == [p]
    assert [s["rule"] for s in item["sanctions"]] == [f"{p}14", f"{p}23"]
    assert [s["actions"] for s in item["sanctions"]] == [[p], [p]]
    assert data["summary"]["fines"] == 5
    # the rollup: one unit, P2's value p; its one item has P12 = 11 > 3, so P26 = 1
    (unit,) = data["rollups"][f"{p}24"]["units"]
    assert unit["id"] == p and unit["values"][f"{p}26"] == 1
    assert unit["grades"][f"{p}27"]["level"] == f"{p}28"
    assert [s["rule"] for s in unit["sanctions"]] == [f"{p}30"]


def exercise(tmp_path: Path, ruleset: Path, p: str) -> None:
    case = tmp_path / "case.json"
    case.write_text(json.dumps(case_with(p, ruleset.name), ensure_ascii=False), encoding="utf-8")
    code, out = run("check", str(ruleset))
    assert code == 0, out
    code, out = run("eval", str(ruleset), str(case), "-f", "json")
    assert code == 0, out
    assert_result(out, p)
    code, out = run("explain", str(ruleset), str(case), "--item", "a", "-f", "json")
    assert code == 0, out
    explained = json.loads(out)
    values = {v["name"]: v for v in explained["values"]}
    assert values[f"{p}12"]["value"] == 11
    assert values[f"{p}12"]["calls"][0]["table"] == f"{p}21"
    assert values[f"{p}9"]["rows"][0]["row"] == 1
    assert explained["fine"] == 5
    code, out = run("explain", str(ruleset), str(case), "--item", "a")
    assert code == 0, out
    code, out = run("test", "--coverage", str(case))
    assert code == 0, out
    assert "1 passed, 0 failed" in out
    code, out = run("schema", str(ruleset))
    assert code == 0, out
    code, out = run("diff", str(ruleset), str(ruleset), "--cases", str(case), "-f", "json", "--exit-code")
    assert code == 0, out  # the same ruleset: no item changes
    code, out = run("report", str(ruleset), str(case), "-o", str(tmp_path / "report.html"))
    assert code == 0, out
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in html and "</script><img" not in html  # markup in a name is escaped
    (tmp_path / "report.html").unlink()
    assert not (tmp_path / "owned.txt").exists()


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
def test_injection_through_every_name_and_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 payload: str) -> None:
    monkeypatch.chdir(tmp_path)
    dsl = tmp_path / "r.policy"
    dsl.write_text(dsl_with(payload), encoding="utf-8")
    exercise(tmp_path, dsl, payload)
    # the YAML form: converted, then every verb again
    code, out = run("convert", str(dsl), "--to", "yaml", "-o", str(tmp_path / "r.yaml"))
    assert code == 0, out
    exercise(tmp_path, tmp_path / "r.yaml", payload)
    code, out = run("convert", str(tmp_path / "r.yaml"), "--to", "dsl")
    assert code == 0, out
    code, out = run("fmt", str(dsl), str(tmp_path / "r.yaml"))
    assert code == 0, out
    exercise(tmp_path, dsl, payload)
    assert not (tmp_path / "owned.txt").exists()


YAML_ONLY = ["line\nbreak'); __import__('os').system('touch owned.txt'); ('", "cr\rlf\r\n", "ls\u2028ps\u2029nel\x85"]


@pytest.mark.parametrize("payload", YAML_ONLY, ids=range(len(YAML_ONLY)))
def test_yaml_keys_with_line_breaks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, payload: str) -> None:
    """YAML keys may hold what backticks cannot (line breaks): such a name is declared,
    though expressions cannot refer to it; nothing runs and nothing crashes."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.policy").write_text(dsl_with("QQ"), encoding="utf-8")
    code, out = run("convert", "base.policy", "--to", "yaml", "-o", "base.yaml")
    assert code == 0, out

    def swap(node: object) -> object:
        if isinstance(node, str):
            return node.replace("QQ", payload)
        if isinstance(node, list):
            return [swap(x) for x in node]
        if isinstance(node, dict):
            return {swap(k): swap(v) for k, v in node.items()}
        return node

    data = swap(yaml.safe_load((tmp_path / "base.yaml").read_text(encoding="utf-8")))
    (tmp_path / "r.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(case_with(payload, "r.yaml"), ensure_ascii=False), encoding="utf-8")
    for args in (["check", "r.yaml"], ["eval", "r.yaml", "case.json", "-f", "json"],
                 ["explain", "r.yaml", "case.json", "--item", "a"], ["test", "--coverage", "case.json"],
                 ["convert", "r.yaml", "--to", "dsl"], ["schema", "r.yaml"], ["fmt", "--check", "r.yaml"]):
        code, out = run(*args)
        assert code in (0, 1, 2), (args, out)
        assert "Traceback" not in out and "internal error" not in out, (args, out)
    assert not (tmp_path / "owned.txt").exists()


def test_generated_code_has_no_builtins_beyond_its_needs() -> None:
    from policyengine.api import ruleset_from_text

    rs = ruleset_from_text(dsl_with("N"))
    stage = rs.compiled.stages[0].run
    allowed = stage.__globals__["__builtins__"]
    assert set(allowed) <= {"Exception", "enumerate", "len", "any", "all", "min", "max", "abs"}
    assert "__import__" not in allowed and "open" not in allowed and "getattr" not in allowed
    # no user name appears in the generated source, not even quoted
    source = rs.compiled.source
    assert "N1" not in source and "N12" not in source and "N6" not in source


TERMINAL = "esc\x1b[2J\x1b]0;title\x07rlo\u202eend\x9b"


def test_terminal_sees_escapes_not_acts_on_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every human-readable output shows a control character from a ruleset or a case as
    its escape: none reaches the terminal to clear it, retitle it or reorder its text."""
    monkeypatch.chdir(tmp_path)
    p = TERMINAL
    (tmp_path / "r.policy").write_text(dsl_with(p), encoding="utf-8")
    case = tmp_path / "case.json"
    case.write_text(json.dumps(case_with(p, "r.policy"), ensure_ascii=False), encoding="utf-8")
    code, out = run("eval", "r.policy", "case.json", "-o", "old.json")
    assert code == 0, out
    outputs = {}
    for args in (["eval", "r.policy", "case.json", "-f", "table"],
                 ["eval", "r.policy", "case.json", "-f", "table", "--color", "always", "--width", "300"],
                 ["explain", "r.policy", "case.json", "--item", "a"],
                 ["diff", "r.policy", "r.policy", "--cases", "case.json", "-f", "table"],
                 ["compare", "old.json", "old.json", "-f", "table"],
                 ["test", "case.json"],
                 ["eval", "r.policy", "case.json", "--item", p]):  # a diagnostic quoting the id
        result = CliRunner().invoke(main, args, catch_exceptions=False, color=True)
        outputs[args[0] + str(len(outputs))] = result.output
        assert result.exit_code in (0, 2), (args, result.output)
        shown = result.output.replace("\x1b[0m", "").replace("\x1b[31m", "")  # our own colours
        shown = re.sub(r"\x1b\[[0-9;]*m(?=[^\x1b]*\x1b\[0m)", "", shown)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", shown), (args, shown)
    assert "esc\\x1b[2J\\x1b]0;title\\x07rlo\\u202eend\\x9b" in outputs["explain2"]
    assert "\\x1b" in outputs["eval0"] and "\\x1b" in outputs["eval6"]
    # the painted table keeps its own colour codes around level cells
    assert "\x1b[0m" in outputs["eval1"]
    # machine formats keep the data as it is: JSON escapes it, and reads back equal
    data = json.loads((tmp_path / "old.json").read_text(encoding="utf-8"))
    assert data["items"][0]["id"] == "a" and data["rollups"][f"{p}24"]["units"][0]["id"] == p


def test_machine_output_keeps_control_characters_through_a_pipe(tmp_path: Path) -> None:
    """JSON and YAML escape a control character, CSV keeps it: through a pipe as in a file.
    click, left to decide, deleted what looks like a colour code (`\\x1b[2J`) from a pipe,
    so `eval -f csv > out.csv` lost text that `-o out.csv` kept."""
    from .conftest import cli

    p = TERMINAL
    (tmp_path / "r.policy").write_text(dsl_with(p), encoding="utf-8")
    (tmp_path / "case.json").write_text(json.dumps(case_with(p, "r.policy"), ensure_ascii=False), encoding="utf-8")
    piped = cli("eval", "r.policy", "case.json", "-f", "csv", cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert cli("eval", "r.policy", "case.json", "-o", "out.csv", cwd=tmp_path).returncode == 0
    written = (tmp_path / "out.csv").read_text(encoding="utf-8")
    assert piped.stdout == written and "esc\x1b[2J\x1b]0;title\x07rlo\u202eend\x9b" in written
    # JSON writes every such character as \uXXXX, as json itself does C0: C1 (\x9b, the
    # one-byte CSI) and the bidirectional override went out raw; the same text read back
    text = cli("eval", "r.policy", "case.json", "-f", "json", cwd=tmp_path).stdout
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)
    assert "esc\\u001b[2J\\u001b]0;title\\u0007rlo\\u202eend\\u009b" in text
    assert json.loads(text)["rollups"][f"{p}24"]["units"][0]["id"] == p


@pytest.mark.parametrize(("written", "read"), [
    ('"a\\u001b[2Jb"', "a\x1b[2Jb"), ('"\\u202E"', "\u202e"), ('"\\u0041"', "A"),
    ('"\\\\u0041"', "\\u0041"),                       # an escaped backslash, then text
    ('"\\ud800"', "ud800"), ('"\\uZZ"', "uZZ"),       # no character: kept as written, as \\q is q
    ('"\\n\\t\\"\\\\"', '\n\t"\\'),
])
def test_string_escapes(written: str, read: str) -> None:
    from policyengine.parse import unescape

    assert unescape(written) == read


def test_the_dsl_writer_spells_control_characters_as_escapes(tmp_path: Path) -> None:
    """`fmt` and `convert --to dsl` write a string's control characters as \\uXXXX: the same
    text when read back, shown rather than obeyed on a terminal, kept through a pipe."""
    from policyengine.api import load_ruleset

    (tmp_path / "r.yaml").write_text('ruleset: t\nsources: ["a\\e[2Jb\\u202Ec\\x9b"]\ninputs:\n  x: number\n',
                                     encoding="utf-8")
    code, dsl = run("convert", "--to", "dsl", str(tmp_path / "r.yaml"))
    assert code == 0, dsl
    assert 'source "a\\u001b[2Jb\\u202ec\\u009b"' in dsl
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", dsl)
    (tmp_path / "r.policy").write_text(dsl, encoding="utf-8")
    assert load_ruleset(tmp_path / "r.policy").model.sources == ("a\x1b[2Jb\u202ec\x9b",)
    assert load_ruleset(tmp_path / "r.yaml").model.sources == ("a\x1b[2Jb\u202ec\x9b",)


def test_workbooks_hold_control_characters_as_escapes(tmp_path: Path) -> None:
    """A control character a workbook cannot hold (ESC, BEL) in a name or value made
    `eval -o x.xlsx`, `diff -o x.xlsx` and `template` an internal error (openpyxl refuses
    it) or, in a drop-down list, a workbook with XML no reader could open. Now the visible
    cells show its escape, a result workbook's hidden sheet keeps the exact text, and a
    damaged workbook is refused with PE320."""
    import openpyxl

    from policyengine.results import read_result

    monkey = tmp_path
    p = TERMINAL
    (monkey / "r.policy").write_text(dsl_with(p), encoding="utf-8")
    (monkey / "case.json").write_text(json.dumps(case_with(p, "r.policy"), ensure_ascii=False), encoding="utf-8")
    for args in (["eval", str(monkey / "case.json"), "-o", str(monkey / "out.xlsx")],
                 ["diff", str(monkey / "r.policy"), str(monkey / "r.policy"), "--cases", str(monkey / "case.json"),
                  "-o", str(monkey / "diff.xlsx")]):
        code, out = run(*args)
        assert code == 0 and "internal error" not in out, (args, out)
    # a list field named with '[' cannot name the template's sheet for it: said at its declaration
    code, out = run("template", str(monkey / "r.policy"), "--from", str(monkey / "case.json"),
                    "-o", str(monkey / "t.xlsx"))
    assert code == 2 and f"{monkey / 'r.policy'}:" in out and "error[PE324]: a workbook cannot have a sheet" in out
    # an enum value with ESC: the template leaves that column without a drop-down list (whose
    # XML it made unreadable) and writes the value escaped
    # (n: a number column, whose drop-down rule is a formula: such a workbook is read by openpyxl,
    # which refuses XML that is not well-formed, below)
    (monkey / "e.policy").write_text('input 类别: one of ["甲\\u001b", "乙"]\ninput n: number = 0\nlet y = 1\n',
                                     encoding="utf-8")
    (monkey / "e.yaml").write_text('ruleset: e.policy\nitems:\n  - {id: a, 类别: "甲\\e"}\n', encoding="utf-8")
    code, out = run("template", str(monkey / "e.policy"), "--from", str(monkey / "e.yaml"), "-o", str(monkey / "t.xlsx"))
    assert code == 0, out
    sheet = openpyxl.load_workbook(monkey / "out.xlsx")["items"]
    header, first = ([c.value for c in sheet[r]] for r in (1, 2))
    escaped = "esc\\x1b[2J\\x1b]0;title\\x07rlo\u202eend\x9b"  # what a cell cannot hold, escaped
    assert f"{escaped}1" in header and escaped in first
    back = read_result(monkey / "out.xlsx").result  # from the hidden sheet: the exact text
    assert back.items[0].values[f"{p}12"] == 11 and back.items[0].grades[f"{p}6"].level == f"{p}7"
    # the template opens (its XML is well-formed); the value it could not hold is then said
    code, out = run("eval", str(monkey / "e.policy"), str(monkey / "t.xlsx"))
    assert code == 2 and "internal error" not in out and "t.xlsx[" in out, out
    # a workbook whose XML is not well-formed: located at the file, not an internal error
    import zipfile

    broken = monkey / "broken.xlsx"
    assert run("template", str(monkey / "e.policy"), "-o", str(monkey / "blank.xlsx"))[0] == 0
    with zipfile.ZipFile(monkey / "blank.xlsx") as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<sheetData", b"\x1b<sheetData", 1)
            target.writestr(info, data)
    code, out = run("eval", str(monkey / "e.policy"), str(broken))
    assert code == 2 and f"{broken}: error[PE320]" in out and "Traceback" not in out, out

"""Terminal tables that fit: --columns, --level, --sort, --width, colours, the pager; and a
pipe's output unchanged unless an option asks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from policyengine.render.table import clip, display_width

from .conftest import ROOT, cli

LUOYANG = str(ROOT / "cases/tax/luoyang-2010.yaml")
ANSI_CODE = re.compile(r"\x1b\[[0-9;]*m")


def in_terminal(*args: str, columns: int = 100, lines: int = 40, **env: str) -> str:
    """Run the CLI with its standard output on a pseudo-terminal, as a user at a terminal."""
    import pty

    master, slave = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PAGER", "LESS", "TERM")}
    environ.update(COLUMNS=str(columns), LINES=str(lines), TERM="xterm", **env)
    proc = subprocess.Popen([sys.executable, "-m", "policyengine", *args], stdout=slave,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=ROOT, env=environ)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the other end closed
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode("utf-8").replace("\r\n", "\n")


def table_lines(text: str) -> list[str]:
    """The table part: from the title to the first blank line."""
    return text.split("\n\n", 1)[0].splitlines()


def test_a_terminal_gets_a_table_that_fits_and_says_what_was_left_out() -> None:
    out = in_terminal("eval", "tax@2010", LUOYANG, "--no-pager", "--color", "never", columns=100)
    lines = table_lines(out)
    assert max(display_width(line) for line in lines[1:]) <= 100
    notes = " ".join(lines[lines.index(next(x for x in lines if x.startswith("left out to fit 100 columns: "))):])
    left_out = notes.split(": ", 1)[1].split(" (")[0].replace("   ", " ").split(", ")
    header = lines[1].split()
    for column in ("id", "风险档次"):
        assert column in header  # never left out before everything else is
    assert "warning" in left_out and "sanctions" in left_out  # least needed first
    assert not set(left_out) & set(header)


def test_a_pipe_gets_every_column_unless_asked() -> None:
    piped = cli("eval", "tax@2010", LUOYANG, "-f", "table").stdout
    header = piped.splitlines()[1].split()
    assert header[-4:] == ["supervision", "sanctions", "fine", "warning"]
    assert "left out" not in piped and "\x1b[" not in piped
    # the same table through --width: fitted like a terminal's
    fitted = cli("eval", "tax@2010", LUOYANG, "-f", "table", "--width", "80").stdout
    assert max(display_width(line) for line in table_lines(fitted)[1:]) <= 80
    assert "left out to fit 80 columns" in fitted


def test_colours_on_a_terminal_unless_no_color() -> None:
    coloured = in_terminal("eval", "tax@2010", LUOYANG, "--no-pager", "--columns", "id,风险档次")
    rows = table_lines(coloured)[3:]
    result = json.loads(cli("eval", "tax@2010", LUOYANG, "-f", "json").stdout)
    codes = {"red": "31", "yellow": "33", "green": "32"}
    for line, item in zip(rows, result["items"], strict=True):
        grade = item["grades"]["风险档次"]
        assert f"\x1b[{codes[grade['color']]}m{grade['level']}\x1b[0m" in line
    plain = in_terminal("eval", "tax@2010", LUOYANG, "--no-pager", "--columns", "id,风险档次", NO_COLOR="1")
    assert "\x1b[" not in plain
    assert ANSI_CODE.sub("", coloured) == plain


def test_the_pager_on_a_terminal_only(tmp_path: Path) -> None:
    paged = tmp_path / "paged.txt"
    pager = f"sh -c 'echo LESS=$LESS > {paged}; cat >> {paged}'"
    shown = in_terminal("eval", "tax@2010", LUOYANG, lines=20, PAGER=pager)
    text = paged.read_text(encoding="utf-8")
    assert text.startswith("LESS=FRX\n") and "ZF-ZS-01" in text and "ZF-ZS-01" not in shown
    paged.unlink()
    # short output is printed, not paged
    in_terminal("eval", "tax@2010", LUOYANG, "--level", "高风险", "--columns", "id", lines=200, PAGER=pager)
    assert not paged.exists()
    # a pipe is never paged
    env = dict(os.environ, PAGER=pager)
    subprocess.run([sys.executable, "-m", "policyengine", "eval", "tax@2010", LUOYANG, "-f", "table"],
                   cwd=ROOT, env=env, capture_output=True, check=True)
    assert not paged.exists()


def test_columns_choose_inputs_too() -> None:
    out = cli("eval", "tax@2010", LUOYANG, "-f", "table", "--columns", "id,权力,运行次数,风险档次")
    lines = out.stdout.splitlines()
    assert lines[1].split() == ["id", "权力", "运行次数", "风险档次"]
    assert lines[3].split() == ["ZF-ZS-01", "征收权", "12000", "高风险"]  # the case's first item


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--columns", "id,风险档案"], "PE740", "--columns: no column '风险档案' (did you mean '风险档次'?) (columns: id, name, 风险强度系数,"),
    (["--level", "高风"], "PE741", "--level 高风: no grade scale has this level (did you mean '高风险'?)"),
    (["--level", "档次=高风险"], "PE741", "--level 档次=高风险: no grade scale '档次' (did you mean '风险档次'?)"),
    (["--sort", "综合分"], "PE742", "--sort 综合分: no such value, input or grade (did you mean '综合得分'?)"),
    (["--columns", "id", "-f", "json"], "PE743", "--columns shapes the table: add --format table"),
])
def test_bad_table_options_are_bad_input(args: list[str], code: str, message: str) -> None:
    run = cli("eval", "tax@2010", LUOYANG, "-f", "table", *args)
    assert run.returncode == 2 and run.stdout == ""
    assert f"error[{code}]: {message}" in run.stderr and "Traceback" not in run.stderr


def test_level_and_sort_choose_and_order_items_in_every_format() -> None:
    data = json.loads(cli("eval", "tax@2010", LUOYANG, "-f", "json", "--level", "风险档次=高风险",
                          "--sort", "-综合得分").stdout)
    scores = [i["values"]["综合得分"] for i in data["items"]]
    assert len(scores) == data["summary"]["levels"]["风险档次"]["高风险"] == 21
    assert scores == sorted(scores, reverse=True) and scores[0] == 140.4
    assert {i["grades"]["风险档次"]["level"] for i in data["items"]} == {"高风险"}
    # a grade sorts by severity (the scale's order), not alphabetically
    levels = [i["grades"]["风险档次"]["level"] for i in json.loads(
        cli("eval", "tax@2010", LUOYANG, "-f", "json", "--sort", "风险档次").stdout)["items"]]
    assert levels == ["高风险"] * 21 + ["一般风险"] * 63 + ["低风险"] * 21
    # an input, descending; ties keep the case's order
    items = json.loads(cli("eval", "tax@2010", LUOYANG, "-f", "json").stdout)["items"]
    import yaml

    runs = {i["id"]: i.get("运行次数", 0)  # 运行次数 defaults to 0
            for i in yaml.safe_load(Path(LUOYANG).read_text(encoding="utf-8"))["items"]}
    order = [i["id"] for i in json.loads(
        cli("eval", "tax@2010", LUOYANG, "-f", "json", "--sort", "-运行次数").stdout)["items"]]
    # sorted() is stable: equal counts keep the case's order, as the command must
    assert order == sorted((i["id"] for i in items), key=lambda k: -runs[k])


def test_clip_counts_wide_characters_double() -> None:
    assert clip("税务稽查实施", 8) == "税务稽…"
    assert display_width(clip("税务稽查实施", 8)) == 7
    assert clip("abc", 8) == "abc" and clip("abcdefghij", 5) == "abcd…"

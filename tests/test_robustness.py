"""Regressions from the fuzz campaign of issue 11: each input once crashed (exit 3) or
misbehaved; now it gets a located error (exit 2) or the right result."""

from __future__ import annotations

from pathlib import Path

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

"""Hints for the mistakes Chinese authors make (issue 14): each names what to type."""

from __future__ import annotations

import pytest

from policyengine.errors import ParseError
from policyengine.parse import parse_text

from .conftest import ruleset

HEAD = 'ruleset x "x"\nversion "1"\n'


def _first(text: str) -> tuple[str, int, int, str, list[str]]:
    with pytest.raises(ParseError) as info:
        parse_text(HEAD + text, "bad.policy")
    d = info.value.diagnostics[0]
    return d.code, d.line, d.column, d.message, d.notes


@pytest.mark.parametrize(("typed", "ascii"), [
    ("：", ":"), ("，", ","), ("（", "("), ("）", ")"), ("“", '"'), ("”", '"'), ("→", "->"),
    ("≥", ">="), ("｜", "|"),
])
def test_each_full_width_character_names_the_ascii_to_type(typed: str, ascii: str) -> None:
    # the character stands where the lexer first meets it: after `let x = 1 ` (column 11)
    code, line, column, message, notes = _first(f"let x = 1 {typed} 2\n")
    assert (code, line, column) == ("PE002", 3, 11)
    assert message == f"unexpected character {typed!r}"
    assert notes == [f"full-width '{typed}' (typed by a Chinese input method): type '{ascii}' instead"]


def test_the_ideographic_space_is_named() -> None:
    code, line, column, _message, notes = _first("input 分:\u3000number\n")
    assert (code, line, column) == ("PE002", 3, 9)
    assert notes == ["a full-width space (typed by a Chinese input method): type an ordinary space"]


def test_full_width_digits_are_refused_with_the_ascii_digit() -> None:
    # one rule (docs/language.md): numbers are ASCII digits; ６０ is never read as 60
    code, _line, column, _message, notes = _first("input 分: number\nlet x = 分 >= ６０\n")
    assert (code, column) == ("PE002", 14)
    assert notes == ["full-width digit '６': numbers are written with ASCII digits, type '6'"]


def test_a_single_equals_in_a_condition_says_to_write_double() -> None:
    text = ('input 岗位层级: text\nlevels 风险 [高 red, 低 green]\ngrade 风险 {\n'
            '  岗位层级 = "领导班子" -> 高\n  otherwise -> 低\n}\n')
    code, line, column, message, _notes = _first(text)
    assert (code, line, column) == ("PE001", 6, 8)
    assert message.startswith("'=' does not compare: write '==' to test equality")


@pytest.mark.parametrize("word", ["else", "default", "否则"])
def test_else_default_and_fouze_say_otherwise(word: str) -> None:
    text = HEAD + ('input 分: number\nlevels 风险 [高 red, 低 green]\ngrade 风险 {\n'
                   f'  分 > 1 -> 高\n  {word} -> 低\n}}\n')
    analysis = ruleset_analysis(text)
    assert [d.message for d in analysis if d.code == "PE101"] == [
        f"unknown name '{word}' (to cover every other case, write 'otherwise')"]


def test_a_misspelt_keyword_inside_a_block_gets_a_did_you_mean() -> None:
    text = HEAD + ('input 分: number\nlevels 风险 [高 red, 低 green]\ngrade 风险 {\n'
                   '  分 > 1 -> 高\n  otherwize -> 低\n}\n')
    assert [d.message for d in ruleset_analysis(text) if d.code == "PE101"] == [
        "unknown name 'otherwize' (did you mean 'otherwise'?)"]


def ruleset_analysis(text: str) -> list:
    from policyengine.errors import PolicyError

    try:
        ruleset(text)
    except PolicyError as exc:
        return exc.diagnostics
    return []


def test_an_unclosed_brace_is_shown_at_its_opening() -> None:
    # at the end of the file: the error is at the '{' of line 4
    code, line, column, message, notes = _first("input 分: number\ntable T {\n  | 分 || b |\n  | - || 1 |\n")
    assert (code, line, column) == ("PE001", 4, 9)
    assert message == "this '{' is never closed: the file ends before its '}'"
    assert notes == ["the file ends at line 6"]
    # before the next block: the error is where the next block starts, the note names the '{'
    code, line, column, message, notes = _first(
        "input 分: number\ntable T {\n  | 分 || b |\n  | - || 1 |\n\ntable U {\n  | 分 || c |\n  | - || 2 |\n}\n")
    assert (line, column) == (8, 1)
    assert "the '{' at line 4, column 9 is not closed: is a '}' missing before this line?" in notes


def test_a_wrong_colour_lists_the_colours() -> None:
    code, line, column, message, notes = _first("levels 风险 [高 红, 低 green]\n")
    assert (code, line, column) == ("PE001", 3, 14)  # l-e-v-e-l-s, space, 风险, space, [, 高, space
    assert message == "'红' is not a colour: write one of red, orange, yellow, blue, green"
    assert notes == ["for 红, write red"]


def _case_error(tmp_path, text: str):  # type: ignore[no-untyped-def]
    from policyengine.case import load_case
    from policyengine.errors import CaseError

    path = tmp_path / "c.yaml"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(CaseError) as info:
        load_case(path)
    return info.value.diagnostics[0]


def test_a_full_width_colon_in_a_yaml_case_is_shown_on_its_own_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # PyYAML itself reports line 3 ("could not find expected ':'"), the line after the mistake
    d = _case_error(tmp_path, "period：2013\nitems:\n  - {id: A}\n")
    assert (d.code, d.line, d.column) == ("PE302", 1, 7)
    assert d.message == ("invalid YAML: a full-width colon '：' ends this key: type an ASCII ':' "
                         "followed by a space")
    d = _case_error(tmp_path, "period: 2013\nitems:\n  - id: A\n    名称：x\n  - id: B\n")
    assert (d.line, d.column) == (4, 7)


def test_a_tab_in_a_yaml_case_is_explained(tmp_path) -> None:  # type: ignore[no-untyped-def]
    d = _case_error(tmp_path, "period: 2013\nitems:\n\t- {id: A}\n")
    assert (d.code, d.line, d.column) == ("PE302", 3, 1)
    assert d.message == "invalid YAML: a tab character: YAML indents with spaces only; replace the tab with spaces"

"""Errors and diagnostics: everything a user can get wrong, located in their file.

Every stage raises a `PolicyError` subclass carrying file, line, column, item id
and a stable code (`PE101`…, listed in docs/diagnostics.md). The CLI only formats
them; nothing here knows about the terminal.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .i18n import N_, _

if TYPE_CHECKING:  # the model (60-odd dataclasses) is not needed to say an error: `--help` stays light
    from .model import Span

SEVERITIES = {"error": N_("error"), "warning": N_("warning")}


@dataclass
class Diagnostic:
    """One finding: an error (the input cannot be used) or a warning (lint)."""

    code: str
    message: str
    file: str | None = None
    line: int = 0
    column: int = 0
    severity: str = "error"
    item: str | None = None
    end_column: int = 0
    notes: list[str] = field(default_factory=list)
    # a spreadsheet's sheet name: then `line` is the row and `column` the column, and the
    # place is written as spreadsheets write it, `file[sheet]!F7`
    sheet: str | None = None
    # a case item's required field that it lacks: `diff` names it as an input one version
    # needs (told by this, not by the message's words, which depend on the language)
    missing: str | None = None

    def __post_init__(self) -> None:
        # a message quotes names, ids and values from the input: a megabyte id or field name
        # must not make a megabyte message (twice, for a duplicate)
        self.message = shorten(self.message)
        self.item = shorten(self.item, 200) if self.item is not None else None
        self.notes = [shorten(n) for n in self.notes]

    @classmethod
    def at(cls, code: str, message: str, span: Span | None, **kw: object) -> Diagnostic:
        if span is None:
            return cls(code, message, **kw)  # type: ignore[arg-type]
        end = span.end_column if span.end_line == span.line else 0
        return cls(
            code, message, file=span.file, line=span.line, column=span.column,
            end_column=end, **kw,  # type: ignore[arg-type]
        )

    def location(self) -> str:
        if self.sheet is not None:
            from .case.cells import column_letter

            cell = f"!{column_letter(max(self.column, 1))}{self.line}" if self.line else ""
            return f"{self.file or '<input>'}[{self.sheet}]{cell}"
        parts = [self.file or "<input>"]
        if self.line:
            parts.append(str(self.line))
            if self.column:
                parts.append(str(self.column))
        return ":".join(parts)

    def render(self, source: str | None = None) -> str:
        """`file:line:col: error[CODE]: message`, the source line and a caret."""
        severity = _(SEVERITIES[self.severity]) if self.severity in SEVERITIES else self.severity
        head = f"{self.location()}: {severity}[{self.code}]: "
        if self.item is not None:
            head += _("item {id}: ", id=self.item)
        out = [head + self.message]
        text = source if source is not None else None if self.sheet is not None else _read_line(self.file, self.line)
        if text is not None and self.line:
            line = text.rstrip("\r\n")
            col = max(self.column, 1)
            width = max(1, (self.end_column - col) if self.end_column > col else 1)
            prefix = ""
            if len(line) > WINDOW:
                # show a window around the column of a very long line (cut first: a case
                # of one 3 MB line gave 50 diagnostics, each once went over all of it)
                start = max(0, col - 1 - WINDOW // 2)
                line = line[start:start + WINDOW]
                col -= start
                prefix = "…" if start else ""
                col += len(prefix)
            # a control character or line separator would move the terminal's cursor: shown
            # as one replacement character, so the caret still lines up
            line = prefix + "".join(ch if ch.isprintable() or ch == "\t" else "\ufffd" for ch in line)
            width = min(width, max(1, len(line) - col + 1))
            out.append(f"  {line}")
            out.append("  " + _pad_to(line, col - 1) + "^" + "~" * (width - 1))
        out.extend(_("  note: {note}", note=n) for n in self.notes)
        return "\n".join(out)


WINDOW = 100
MESSAGE_LIMIT = 1000  # characters of a message or note; the rest is cut out of its middle


def shorten(text: str, limit: int = MESSAGE_LIMIT) -> str:
    if len(text) <= limit:
        return text
    keep = limit // 2
    return text[:keep] + _("…({count} characters)…", count=len(text) - 2 * keep) + text[-keep:]


def _pad_to(line: str, chars: int) -> str:
    # The caret must sit under the character even when CJK text (two terminal
    # cells wide) precedes it, so pad by display width, keeping tabs as tabs.
    from wcwidth import wcwidth

    pad = []
    for ch in line[:chars]:
        if ch == "\t":
            pad.append("\t")
        else:
            pad.append(" " * max(wcwidth(ch), 1))
    return "".join(pad)


_YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
# a message quotes at most this much of a file: never a whole huge or endless one
_READ_LIMIT = 16 << 20


def source_lines(text: str, yaml: bool = False) -> list[str]:
    """The lines of `text` as its parser numbers them: the DSL's and JSON's break at `\\n`
    only (a `\\r` before it stays on the line); YAML's also at a bare CR, NEL, LS and PS.
    (`str.splitlines` also breaks at VT, FF and more, which would put carets on the wrong
    line.)"""
    lines = _YAML_BREAKS.split(text) if yaml else text.split("\n")
    if len(lines) > 1 and not lines[-1]:
        lines.pop()  # as splitlines: a break ends the last line, it does not start one
    return lines


def _read_line(file: str | None, line: int) -> str | None:
    if not file or line <= 0 or file.startswith("<"):
        return None
    try:
        stat = os.stat(file)
        lines = _file_lines(file, stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError):
        return None
    return lines[line - 1].rstrip("\r") if line <= len(lines) else None


@functools.lru_cache(maxsize=4)
def _file_lines(file: str, _mtime: int, _size: int) -> list[str]:
    """A file's lines, read once for all the diagnostics shown from it (up to 50 per case:
    splitting a large file again for each would take longer than reading it); keyed by
    the file's time and size so a changed file is read again."""
    with open(file, encoding="utf-8", errors="replace", newline="") as fh:
        text = fh.read(_READ_LIMIT)
    return source_lines(text, yaml=file.lower().endswith((".yaml", ".yml")))


class PolicyError(Exception):
    """Base of every user-facing error. Carries one or more diagnostics."""

    exit_code = 2

    def __init__(self, diagnostics: Diagnostic | Iterable[Diagnostic]):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        first = self.diagnostics[0]
        super().__init__(first.message)

    # Convenience accessors of the first diagnostic (the API contract of SPEC §8).
    @property
    def file(self) -> str | None:
        return self.diagnostics[0].file

    @property
    def line(self) -> int:
        return self.diagnostics[0].line

    @property
    def column(self) -> int:
        return self.diagnostics[0].column

    @property
    def item(self) -> str | None:
        return self.diagnostics[0].item

    @property
    def item_id(self) -> str | None:
        """The item id, under the name SPEC §8 gives it (`item` is the same)."""
        return self.item

    @property
    def code(self) -> str:
        return self.diagnostics[0].code

    @property
    def message(self) -> str:
        return self.diagnostics[0].message

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


class ParseError(PolicyError):
    """The ruleset text is not valid DSL or YAML."""


class CheckError(PolicyError):
    """The ruleset parses but is wrong: unknown names, types, cycles, …"""


class CaseError(PolicyError):
    """A case file is missing, malformed or does not match the ruleset's inputs."""


class EvaluationError(PolicyError):
    """Evaluating an item failed: division by zero, no table row matched, …"""


class InternalError(Exception):
    """A bug in policyengine itself (exit code 3)."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` suffix, or '' when nothing is close.

    A candidate that differs only in letter case comes first: `a1` means `A1`, which plain
    similarity ranks no closer than `B1` (ids and codes are often typed in the wrong case)."""
    candidates = list(candidates)
    folded = name.casefold()
    same = [c for c in candidates if c.casefold() == folded]
    close = same or difflib.get_close_matches(name, candidates, n=1, cutoff=0.5)
    return _(" (did you mean '{name}'?)", name=close[0]) if close else ""


def not_utf8(code: str, path: str | Path, data: bytes, exc: UnicodeDecodeError, what: str) -> Diagnostic:
    """`what` is not UTF-8: where the first bad byte is (line and column), and when the whole
    file reads as GBK/GB18030 (what Chinese Windows editors save by default), how to mend it."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # read as utf-8-sig: the codec counts from after the byte-order mark
    start = data.rfind(b"\n", 0, exc.start) + 1
    line = data[: exc.start].count(b"\n") + 1
    column = len(data[start:exc.start].decode("utf-8", errors="replace")) + 1
    d = Diagnostic(code, _("{what} is not valid UTF-8 (byte 0x{byte})", what=what,
                           byte=format(data[exc.start], "02x")), file=str(path),
                   line=line, column=column)
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        d.notes.append(_("it reads as GBK/GB18030 text: save it again as UTF-8 (in Notepad: 另存为, 编码 UTF-8)"))
    return d


def invalid_yaml(code: str, exc: Any, text: str, file: str) -> Diagnostic:
    """A located diagnostic for YAML that does not parse (a PyYAML MarkedYAMLError).

    YAML often notices a missing `}` or `]` only at the end of the file, past its last
    line: the caret then goes just after the last character written, and a note says where
    the unclosed part began (YAML's context, e.g. "while parsing a flow mapping")."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    lines = source_lines(text, yaml=True)
    hint = _yaml_typing_hint(exc, lines, file, code)
    if hint is not None:
        return hint
    notes = []
    if line > len(lines) or (line == len(lines) and column > len(lines[-1]) if lines else False):
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            line, column = len(lines), len(lines[-1].rstrip()) + 1
            notes.append(_("the file ends here"))
    context = exc.context_mark
    if exc.context and context is not None and (context.line + 1, context.column + 1) != (line, column):
        notes.append(_("{context}, which starts at line {line}, column {column}", context=exc.context,
                       line=context.line + 1, column=context.column + 1))
    return Diagnostic(code, _("invalid YAML: {problem}", problem=exc.problem or exc), file=file, line=line,
                      column=column,
                      notes=notes)


def _yaml_typing_hint(exc: Any, lines: list[str], file: str, code: str) -> Diagnostic | None:
    """Two mistakes PyYAML explains badly: a full-width colon typed by a Chinese input
    method (`period：2013` is a plain text, and YAML complains at the *next* line that it
    found no ':'), and a tab in the indentation (YAML indents with spaces only)."""
    problem = str(exc.problem or "")
    mark = exc.problem_mark
    if ("could not find expected ':'" in problem or "mapping values are not allowed" in problem) \
            and mark is not None:
        # the key with the full-width colon is the line of the mark or one of the two above
        # (YAML reads `period：2013` on as text into the next line before it gives up)
        for index in range(min(mark.line, len(lines) - 1), max(-1, mark.line - 3), -1):
            at = lines[index].find("：")
            # in the key's place: no ASCII colon before it (`说明: "甲：乙"` is fine)
            if at >= 0 and ":" not in lines[index][:at] and not lines[index].lstrip().startswith("#"):
                return Diagnostic(code, _("invalid YAML: a full-width colon '：' ends this key: type an ASCII "
                                          "':' followed by a space"), file=file, line=index + 1, column=at + 1)
    if "cannot start any token" in problem and mark is not None and mark.line < len(lines):
        text = lines[mark.line]
        if mark.column < len(text) and text[mark.column] == "\t":
            return Diagnostic(code, _("invalid YAML: a tab character: YAML indents with spaces only; replace "
                                      "the tab with spaces"), file=file, line=mark.line + 1,
                              column=mark.column + 1)
    return None


def file_error(cls: type[PolicyError], code: str, path: str | Path, message: str) -> PolicyError:
    return cls(Diagnostic(code, message, file=str(path)))

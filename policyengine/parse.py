"""Stage 1: DSL text -> `Ruleset` model.

Lark (LALR, contextual lexer) builds a parse tree from grammar/policy.lark; a
Transformer turns it into the typed model of model.py, keeping a `Span` on every
node. Hostile input is bounded here, before any later stage recurses over it:
bracket nesting, expression depth and number size all have limits.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import re
import unicodedata
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from .errors import Diagnostic, ParseError, did_you_mean, not_utf8, source_lines
from .i18n import N_, _
from .model import (
    Binary,
    Call,
    Comment,
    Comprehension,
    DecisionTable,
    Dimension,
    Expr,
    Field,
    Grade,
    GradeRule,
    GradeScale,
    IfExpr,
    Input,
    Let,
    Level,
    ListLiteral,
    Literal,
    Matrix,
    Member,
    Name,
    Raise,
    Remove,
    Rollup,
    Row,
    Ruleset,
    Sanction,
    Span,
    Summary,
    SummaryLine,
    Supervision,
    SupervisionLine,
    Test,
    TypeSpec,
    Unary,
    declaration_kind,
    declaration_name,
)

# Limits that keep hostile files from hanging or crashing later stages.
MAX_BRACKET_DEPTH = 64
MAX_EXPR_DEPTH = 120
MAX_DIGITS = 30
MAX_LIST_ITEMS = 10_000  # elements of one [ … ] list, as for a list in a case file
# The shipped rulesets are about 10 KB; the parser reads some 100 KB a second, so 1 MiB
# keeps even a hostile file's error within a few seconds.
MAX_SOURCE_BYTES = 1024 * 1024

STATEMENT_KEYWORDS = (
    "ruleset", "version", "effective", "extends", "remove", "source", "subject", "input",
    "note", "dimension", "table", "let", "levels", "grade", "supervision", "sanction", "summary",
    "rollup",
)


@lru_cache(maxsize=1)
def _grammar_text() -> str:
    """The grammar: installed as policyengine.grammar, or beside the package in a source
    checkout (where `python -m pytest` imports the package from the working folder)."""
    try:
        return resources.files("policyengine.grammar").joinpath("policy.lark").read_text("utf-8")
    except ModuleNotFoundError:
        return (Path(__file__).resolve().parent.parent / "grammar" / "policy.lark").read_text("utf-8")


@lru_cache(maxsize=1)
def _parser() -> Any:
    import lark

    grammar = _grammar_text()
    return lark.Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        postlex=_Brackets(),
        cache=True,
    )


class _Brackets:
    """Post-lexer: newlines inside ( ) [ ] and record types `{…}` are not statement ends.

    Also bounds bracket nesting, so 5000 nested parentheses give a clear error, and the
    length of a `[ … ]` list, so a list of a million numbers is refused before Lark
    spends minutes building it.
    """

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Any]) -> Iterator[Any]:
        stack: list[str] = []
        commas: list[int] = []  # commas seen so far at each open bracket
        previous = None
        for tok in stream:
            kind = tok.type
            if kind in ("LPAR", "LSQB") or (kind == "LBRACE" and previous == "OF"):
                stack.append(kind)
                commas.append(0)
                if len(stack) > MAX_BRACKET_DEPTH:
                    raise _TooDeep(tok)
            elif kind in ("RPAR", "RSQB"):
                if stack and stack[-1] != "LBRACE":
                    stack.pop()
                    commas.pop()
            elif kind == "RBRACE":
                if stack and stack[-1] == "LBRACE":
                    stack.pop()
                    commas.pop()
            elif kind == "COMMA" and stack and stack[-1] == "LSQB":
                commas[-1] += 1
                if commas[-1] >= MAX_LIST_ITEMS:
                    raise _TooLong(tok)
            elif kind == "_NL" and stack:
                previous = kind
                continue
            previous = kind
            yield tok


class _TooDeep(Exception):
    def __init__(self, token: Any):
        self.token = token


class _TooLong(_TooDeep):
    """A list with more than MAX_LIST_ITEMS elements."""


# ---------------------------------------------------------------- entry points


def parse_file(path: str | Path) -> Ruleset:
    return parse_text(read_source(path), str(path))


def read_source(path: str | Path) -> str:
    """A ruleset file's text (DSL or YAML): bounded in size, UTF-8, located errors."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SOURCE_BYTES + 1)  # not a 3 GB file read whole to refuse it
    except FileNotFoundError:
        raise ParseError(Diagnostic("PE005", _("file not found"), file=str(path))) from None
    except OSError as exc:
        raise ParseError(Diagnostic("PE005", _("cannot read file: {strerror}",
                                               strerror=exc.strerror), file=str(path))) from None
    if len(data) > MAX_SOURCE_BYTES:
        raise ParseError(Diagnostic("PE005", _("file is larger than 1 MiB"), file=str(path)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(not_utf8("PE007", path, data, exc, _("file"))) from None
    return text


def parse_text(text: str, file: str = "<string>") -> Ruleset:
    import lark

    source = text if text.endswith("\n") else text + "\n"
    lines = source_lines(source)
    try:
        tree = _parser().parse(source)
    except _TooDeep as exc:
        raise ParseError(_too_deep(exc, file)) from None
    except lark.exceptions.UnexpectedInput as exc:
        raise ParseError(_syntax_diagnostic(exc, file, lines)) from None
    _check_depth(tree, file)
    builder = _Builder(file)
    try:
        statements = builder.transform(tree)
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, ParseError):
            raise exc.orig_exc from None
        raise
    if not statements:
        # an empty file (or only comments) is almost always the wrong file or a failed save;
        # evaluating it would only report every case field as unknown
        raise ParseError(_diag("PE009", _("the file holds no declarations (an empty ruleset)"), file,
                               len(lines) if lines else 1, 1))
    ruleset = _assemble(statements, file)
    ruleset.comments = tuple(_comments(lines))
    ruleset.blank_lines = frozenset(i for i, line in enumerate(lines, 1) if not line.strip())
    return ruleset


def _too_deep(exc: _TooDeep, file: str) -> Diagnostic:
    tok = exc.token
    if isinstance(exc, _TooLong):
        return _diag("PE008", _("a list with more than {MAX_LIST_ITEMS} elements",
                                MAX_LIST_ITEMS=MAX_LIST_ITEMS), file, tok.line, tok.column)
    return _diag("PE003", _("brackets nested more than {MAX_BRACKET_DEPTH} deep",
                            MAX_BRACKET_DEPTH=MAX_BRACKET_DEPTH), file, tok.line, tok.column)


def parse_expression(text: str, file: str = "<string>", line: int = 1, column: int = 1) -> Expr:
    """Parse one expression (the YAML form's expressions are DSL text).

    `line`/`column` say where the text starts in `file`, so spans and errors point there.
    """
    return parse_fragment(text, "expr", file, line, column)


def parse_unary_test(text: str, file: str = "<string>", line: int = 1, column: int = 1) -> Test:
    """Parse one table input cell (`-`, `>= 10`, `[1..5)`, `in [..]`, …), placed like parse_expression."""
    return parse_fragment(text, "unary_test", file, line, column)


@lru_cache(maxsize=1)
def _fragment_parser() -> Any:
    import lark

    grammar = _grammar_text()
    return lark.Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=True,
                     maybe_placeholders=False, postlex=_Brackets(), cache=True,
                     start=["expr", "unary_test"])


def parse_fragment(text: str, start: str, file: str, line: int = 1, column: int = 1) -> Any:
    import lark

    def moved(d: Diagnostic) -> ParseError:
        if d.line == 1:
            d.column += column - 1
            d.end_column += column - 1 if d.end_column else 0
        d.line += line - 1 if d.line else line
        d.file = file
        return ParseError(d)

    source = text.rstrip()
    lines = source_lines(source)
    if not source.strip():
        raise moved(_diag("PE001", _("empty expression"), file, 1, 1))
    for comment in _comments(lines):
        raise moved(_diag("PE001", _("'#' starts a comment, which cannot stand inside an "
                                     "expression"),
                          file, comment.line, lines[comment.line - 1].index(comment.text) + 1))
    try:
        tree = _fragment_parser().parse(source, start=start)
        _check_depth(tree, file)
        node = _Builder(file).transform(tree)
    except _TooDeep as exc:
        raise moved(_too_deep(exc, file)) from None
    except lark.exceptions.UnexpectedInput as exc:
        # an expression that stops short is incomplete, not a file missing its '}'
        raise moved(_syntax_diagnostic(exc, file, lines, _("incomplete expression"))) from None
    except ParseError as exc:
        raise moved(exc.diagnostics[0]) from None
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, ParseError):
            raise moved(exc.orig_exc.diagnostics[0]) from None
        raise
    return _moved_spans(node, line, column) if (line, column) != (1, 1) else node


def _moved_spans(node: Any, line: int, column: int) -> Any:
    """The same model node with every span shifted to start at (line, column)."""
    if isinstance(node, Span):
        if not node.line:
            return node
        return Span(node.file, node.line + line - 1, node.column + (column - 1 if node.line == 1 else 0),
                    node.end_line + line - 1 if node.end_line else 0,
                    node.end_column + (column - 1 if node.end_line == 1 else 0))
    if isinstance(node, tuple):
        return tuple(_moved_spans(n, line, column) for n in node)
    if dataclasses.is_dataclass(node):
        changes = {f.name: _moved_spans(getattr(node, f.name), line, column)
                   for f in dataclasses.fields(node)
                   if isinstance(getattr(node, f.name), (Span, tuple)) or dataclasses.is_dataclass(getattr(node, f.name))}
        return dataclasses.replace(node, **changes)
    return node


# ---------------------------------------------------------------- syntax errors

_READABLE = {
    "VBAR": "'|'", "__ANON_4": "'||'",
    "LBRACE": "'{'", "RBRACE": "'}'", "LPAR": "'('", "RPAR": "')'", "LSQB": "'['",
    "RSQB": "']'", "COMMA": "','", "COLON": "':'", "EQUAL": "'='", "MINUS": "'-'",
    "PLUS": "'+'", "STAR": "'*'", "SLASH": "'/'", "DOT": "'.'", "__ANON_0": "'..'",
    "__ANON_5": "'->'",
}
# the tokens said in words, translated where shown (literal braces: no placeholders here)
_WORDS = {
    "_NL": N_("end of line"), "NAME": N_("a name"), "QUOTED_NAME": N_("a `quoted name`"),
    "NUMBER": N_("a number"), "PERCENT": N_("a percentage"), "STRING": N_('a "string"'),
    "DATE": N_("a date"), "COMPARE": N_("a comparison (== != < <= > >=)"),
    "COLOR": N_("a color (red, orange, yellow, blue, green)"),
    "HIT": N_("a hit policy (first, unique, any, collect)"), "AGGREGATE": N_("sum, min, max or count"),
    "PERIOD": N_("year(s), month(s) or quarter(s)"), "DECL_KIND": N_("a declaration kind"),
    "$END": N_("end of file"),
}


def _readable(term: str) -> str:
    if term in _WORDS:
        return _(_WORDS[term])
    if term in _READABLE:
        return _READABLE[term]
    if term.startswith("__ANON"):
        return term
    return f"'{term.lower()}'"


# What a Chinese input method types in place of the ASCII the language wants.
FULL_WIDTH = {
    "：": ":", "，": ",", "（": "(", "）": ")", "“": '"', "”": '"', "‘": "'", "’": "'",
    "→": "->", "≥": ">=", "≤": "<=", "｜": "|", "\u3000": " ", "【": "[", "】": "]",
    "［": "[", "］": "]", "｛": "{", "｝": "}", "＝": "=", "＞": ">", "＜": "<", "＋": "+",
    "－": "-", "＊": "*", "／": "/", "．": ".", "；": ";", "％": "%", "＃": "#", "｀": "`",
}

# Chinese colour names an author may write for a level's colour
CHINESE_COLOURS = {"红": "red", "红色": "red", "橙": "orange", "橙色": "orange", "黄": "yellow",
                   "黄色": "yellow", "蓝": "blue", "蓝色": "blue", "绿": "green", "绿色": "green"}


def _ascii_for(ch: str) -> str | None:
    """The ASCII an author meant by a full-width character, or None. Full-width digits and
    letters (０-９, Ａ-Ｚ) fold to ASCII by NFKC; a number must be written in ASCII digits
    (docs/language.md), so `６０` is refused with this hint rather than read as 60."""
    if ch in FULL_WIDTH:
        return FULL_WIDTH[ch]
    folded = unicodedata.normalize("NFKC", ch)
    return folded if folded != ch and folded.isascii() and folded.isprintable() else None


def _full_width(ch: str, ascii: str) -> str:
    """The hint for a full-width character: which ASCII character to type instead."""
    if ch == "\u3000":
        return _("a full-width space (typed by a Chinese input method): type an ordinary space")
    if ascii.isdigit():
        return _("full-width digit '{char}': numbers are written with ASCII digits, type '{ascii}'",
                 char=ch, ascii=ascii)
    return _("full-width '{char}' (typed by a Chinese input method): type '{ascii}' instead",
             char=ch, ascii=ascii)


def _syntax_diagnostic(exc: Any, file: str, lines: list[str], early_end: str | None = None) -> Diagnostic:
    """The located message for a syntax error; `early_end` is what to say when the text ends
    where more was needed and no block is left open (default: a file missing a '}')."""
    import lark

    line, column = getattr(exc, "line", 0) or 0, getattr(exc, "column", 0) or 0
    if isinstance(exc, lark.exceptions.UnexpectedCharacters):
        ch = lines[line - 1][column - 1] if 0 < line <= len(lines) and column > 0 else "?"
        d = _diag("PE002", _("unexpected character {char}", char=repr(ch)), file, line, column)
        typed = _ascii_for(ch)
        if typed is not None:
            d.notes.append(_full_width(ch, typed))
        return d
    raw = set(getattr(exc, "expected", ()) or ())
    expected = sorted({_readable(t) for t in raw})
    token = getattr(exc, "token", None)
    unclosed = _unclosed_brace(lines, token.line if token is not None and token.type != "$END" else None,
                               token.column if token is not None else None)
    if token is None or token.type == "$END":
        if unclosed is not None:
            d = _diag("PE001", _("this '{{' is never closed: the file ends before its '}}'"), file, *unclosed)
            d.notes.append(_("the file ends at line {line}", line=len(lines)))
            return d
        return _diag("PE001", early_end or _("unexpected end of file (is a '}}' missing?)"), file,
                     len(lines), max(1, len(lines[-1]) if lines else 1))
    shown = _("end of line") if token.type == "_NL" else repr(str(token))
    if token.type == "_NL":
        line, column = token.line, token.column
    message = _("unexpected {token}", token=shown)
    notes: list[str] = []
    if token.type == "NAME" and "'input'" in expected and "'let'" in expected:
        message = _("unknown statement '{name}'", name=str(token)) + did_you_mean(str(token), STATEMENT_KEYWORDS)
    elif token.type == "EQUAL" and "COMPARE" in raw:
        message = _("'=' does not compare: write '==' to test equality (e.g. 岗位层级 == \"领导班子\")")
    elif "COLOR" in raw and token.type in ("NAME", "QUOTED_NAME"):
        message = _("'{name}' is not a colour: write one of {colours}", name=str(token),
                    colours=", ".join(COLORS))
        if str(token) in CHINESE_COLOURS:
            notes.append(_("for {name}, write {colour}", name=str(token), colour=CHINESE_COLOURS[str(token)]))
    elif expected:
        if len(expected) > 8:
            expected = [*expected[:8], "…"]
        notes.append(_("expected {things}", things=", ".join(expected)))
    starts_line = 0 < line <= len(lines) and not lines[line - 1][: max(column - 1, 0)].strip()
    if unclosed is not None and starts_line and token.type != "_NL" and unclosed[0] < line:
        notes.append(_("the '{{' at line {line}, column {column} is not closed: is a '}}' missing before "
                       "this line?", line=unclosed[0], column=unclosed[1]))
    d = _diag("PE001", message, file, line, column)
    d.end_column = column + max(1, len(str(token).rstrip("\n"))) if token.type != "_NL" else 0
    d.notes = notes
    return d


def _unclosed_brace(lines: list[str], line: int | None, column: int | None) -> tuple[int, int] | None:
    """Where the innermost `{` still open before (line, column) (the whole text when None)
    opens, outside strings, backtick names and comments: the block a missing `}` leaves open."""
    opened: list[tuple[int, int]] = []
    for number, text in enumerate(lines, 1):
        if line is not None and number > line:
            break
        for i, ch in _code(text):
            if line is not None and (number, i + 1) >= (line, column or 0):
                return opened[-1] if opened else None
            if ch == "#":
                break
            if ch == "{":
                opened.append((number, i + 1))
            elif ch == "}" and opened:
                opened.pop()
    return opened[-1] if opened else None


def _diag(code: str, message: str, file: str, line: int, column: int) -> Diagnostic:
    return Diagnostic(code, message, file=file, line=line, column=column)


def _check_depth(tree: Any, file: str) -> None:
    """Reject expressions nested deeper than MAX_EXPR_DEPTH (iteratively: no recursion)."""
    import lark

    stack = [(tree, 0, 0)]
    while stack:
        node, depth, chained = stack.pop()
        if depth > MAX_EXPR_DEPTH:
            meta = node.meta
            d = _diag("PE003", _("expression nested more than {MAX_EXPR_DEPTH} deep",
                                 MAX_EXPR_DEPTH=MAX_EXPR_DEPTH),
                      file, getattr(meta, "line", 0), getattr(meta, "column", 0))
            if chained > depth // 2:
                # a flat `a + b + c + …` nests one level per operator: say so, or the
                # author looks in vain for brackets
                d.message = _("expression too long: a chain of operators such as a + b + c + … nests one "
                              "level per operator, past the limit of {limit}", limit=MAX_EXPR_DEPTH)
                d.notes.append(_("split it into several lets, e.g. let 小计1 = … and let 合计 = "
                                 "小计1 + 小计2"))
            raise ParseError(d)
        chain = 1 if node.data in _CHAIN_OPERATORS else 0
        for child in node.children:
            if isinstance(child, lark.Tree):
                stack.append((child, depth + 1, chained + chain))


_CHAIN_OPERATORS = frozenset({"add", "subtract", "multiply", "divide", "and_op", "or_op"})


# ---------------------------------------------------------------- comments


def _comments(lines: list[str]) -> Iterator[Comment]:
    """Find `#` comments outside strings and backtick names."""
    for number, line in enumerate(lines, 1):
        if "#" not in line:
            continue
        for i, ch in _code(line):
            if ch == "#":
                yield Comment(line[i:].rstrip(), number, own_line=not line[:i].strip())
                break


def _code(line: str) -> Iterator[tuple[int, str]]:
    """The characters of a line that are code, with their index: not those inside a string or
    a backtick name (a `#` among them starts a comment; the caller stops there). The one
    scanner of the comment finder and the unclosed-brace finder, so both read `"a\\"#{"` alike."""
    quote = None
    escaped = False
    for i, ch in enumerate(line):
        if escaped:  # the character after a backslash in a string: `\"` does not end it
            escaped = False
        elif quote:
            if ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = None
        else:
            if ch in ('"', "`"):
                quote = ch
            yield i, ch


# ---------------------------------------------------------------- tree -> model

from lark import Token, Transformer, v_args  # noqa: E402  (lark is a hard dependency)


def _span(file: str, meta: Any) -> Span:
    return Span(file, getattr(meta, "line", 0), getattr(meta, "column", 0),
                getattr(meta, "end_line", 0), getattr(meta, "end_column", 0))


def _tspan(file: str, tok: Token) -> Span:
    return Span(file, tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0)


def _number(text: str, file: str, tok: Token) -> Decimal:
    digits = text.replace(".", "").lstrip("0")
    if len(digits) > MAX_DIGITS:
        raise ParseError(Diagnostic.at("PE004", _("number has more than {MAX_DIGITS} digits",
                                                  MAX_DIGITS=MAX_DIGITS),
                                       _tspan(file, tok)))
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the lexer only lets digits through
        raise ParseError(Diagnostic.at("PE004", _("invalid number {text!r}", text=text), _tspan(file, tok))) from None


# \n, \t, \uXXXX (four hex digits: how the writer spells a control character), and any
# other character after a backslash stands for itself (\" and \\)
_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)")


def unescape(raw: str) -> str:
    body = raw[1:-1]
    if "\\" not in body:
        return body
    return _ESCAPE.sub(_unescaped, body)


def _unescaped(match: re.Match[str]) -> str:
    escaped = match.group(1)
    if len(escaped) == 5:
        code = int(escaped[1:], 16)
        # half of a surrogate pair is not a character (it could not be written out as
        # UTF-8): kept as written, as every unknown escape is
        return escaped if 0xD800 <= code <= 0xDFFF else chr(code)
    return {"n": "\n", "t": "\t"}.get(escaped, escaped)


COLORS = ("red", "orange", "yellow", "blue", "green")


class _WarningOf(str):
    """`warning SCALE`: a scale name where a color would stand."""


class _Tagged(tuple):
    """A (tag, value…) tuple for optional pieces of a statement (bound, default, weight…)."""


def _tag(*values: Any) -> _Tagged:
    return _Tagged(values)


class _Number(NamedTuple):
    """A number in a declaration (a bound, a range end, a weight) and how it was written."""

    value: Decimal
    text: str


@v_args(meta=True)
class _Builder(Transformer):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def sp(self, meta: Any) -> Span:
        return _span(self.file, meta)

    def error(self, code: str, message: str, span: Span) -> ParseError:
        return ParseError(Diagnostic.at(code, message, span))

    # -- tokens and small pieces
    def name(self, meta: Any, ch: list[Token]) -> str:
        text = str(ch[0])
        return text[1:-1] if ch[0].type == "QUOTED_NAME" else text

    def signed_number(self, meta: Any, ch: list[Token]) -> _Number:
        negative = any(str(t) == "-" for t in ch)
        tok = ch[-1]
        value = self._number_token(tok)
        return _Number(-value if negative else value, ("-" if negative else "") + str(tok))

    def _number_token(self, tok: Token) -> Decimal:
        if tok.type == "PERCENT":
            return _number(str(tok)[:-1], self.file, tok).scaleb(-2)
        return _number(str(tok), self.file, tok)

    # -- expressions
    def number(self, meta: Any, ch: list[Token]) -> Literal:
        return Literal(self._number_token(ch[0]), self.sp(meta), str(ch[0]))

    percent = number

    def string(self, meta: Any, ch: list[Token]) -> Literal:
        return Literal(unescape(str(ch[0])), self.sp(meta))

    def date(self, meta: Any, ch: list[Token]) -> Literal:
        try:
            return Literal(_dt.date.fromisoformat(str(ch[0])), self.sp(meta))
        except ValueError:
            raise self.error("PE001", _("invalid date {value}", value=ch[0]), self.sp(meta)) from None

    def true(self, meta: Any, ch: list) -> Literal:
        return Literal(True, self.sp(meta))

    def false(self, meta: Any, ch: list) -> Literal:
        return Literal(False, self.sp(meta))

    def reference(self, meta: Any, ch: list) -> Name:
        return Name(ch[0], self.sp(meta))

    def list_literal(self, meta: Any, ch: list) -> ListLiteral:
        return ListLiteral(tuple(c for c in ch if c is not None), self.sp(meta))

    def member(self, meta: Any, ch: list) -> Member:
        return Member(ch[0], ch[1], self.sp(meta))

    def negate(self, meta: Any, ch: list) -> Expr:
        operand = ch[0]
        if isinstance(operand, Literal) and isinstance(operand.value, Decimal):
            text = f"-{operand.text}" if operand.text else None
            return Literal(-operand.value, self.sp(meta), text)
        return Unary("-", operand, self.sp(meta))

    def not_op(self, meta: Any, ch: list) -> Unary:
        return Unary("not", ch[0], self.sp(meta))

    def _binary(op: str):  # type: ignore[misc]
        def build(self: _Builder, meta: Any, ch: list) -> Binary:
            return Binary(op, ch[0], ch[-1], self.sp(meta))

        return build

    add = _binary("+")
    subtract = _binary("-")
    multiply = _binary("*")
    divide = _binary("/")
    or_op = _binary("or")
    and_op = _binary("and")
    in_op = _binary("in")
    not_in_op = _binary("not in")

    def compare(self, meta: Any, ch: list) -> Binary:
        return Binary(str(ch[1]), ch[0], ch[2], self.sp(meta))

    def if_expr(self, meta: Any, ch: list) -> IfExpr:
        return IfExpr(ch[0], ch[1], ch[2], self.sp(meta))

    def arguments(self, meta: Any, ch: list) -> list:
        return list(ch)

    def generator(self, meta: Any, ch: list) -> _Tagged:
        where = ch[3] if len(ch) > 3 else None
        return _tag("generator", ch[0], ch[1], ch[2], where, self.sp(meta))

    def filter(self, meta: Any, ch: list) -> _Tagged:
        return _tag("filter", ch[0], ch[1], self.sp(meta))

    def call(self, meta: Any, ch: list) -> Expr:
        function = ch[0]
        args = ch[1] if len(ch) > 1 and ch[1] is not None else []
        span = self.sp(meta)
        comps = [a for a in args if isinstance(a, _Tagged)]
        if not comps:
            if (function in ("count", "share", "any", "all") and len(args) == 1
                    and isinstance(args[0], Binary) and args[0].op == "in"
                    and isinstance(args[0].left, Name)):
                return Comprehension(function, args[0].left.name, args[0].right, None, None, span)
            return Call(function, tuple(args), span)
        if len(args) != 1:
            raise self.error("PE001", _("{function}(…) takes a single 'for' or 'where' argument",
                                        function=function), span)
        comp = args[0]
        if comp[0] == "generator":
            _kind, element, var, source, where, _sp = comp
            return Comprehension(function, var, source, element, where, span)
        _kind, condition, where, _sp = comp
        if not (isinstance(condition, Binary) and condition.op == "in"
                and isinstance(condition.left, Name)):
            raise self.error("PE001", _("expected '{function}(v in LIST where …)'",
                                        function=function), span)
        return Comprehension(function, condition.left.name, condition.right, None, where, span)

    # -- types
    def type_number(self, meta: Any, ch: list) -> TypeSpec:
        return TypeSpec("number")

    def type_integer(self, meta: Any, ch: list) -> TypeSpec:
        return TypeSpec("integer")

    def type_text(self, meta: Any, ch: list) -> TypeSpec:
        return TypeSpec("text")

    def type_bool(self, meta: Any, ch: list) -> TypeSpec:
        return TypeSpec("bool")

    def type_date(self, meta: Any, ch: list) -> TypeSpec:
        return TypeSpec("date")

    def type_enum(self, meta: Any, ch: list) -> TypeSpec:
        values = []
        for item in ch[0].items:
            if not isinstance(item, Literal) or isinstance(item.value, bool):
                raise self.error("PE001", _("'one of' lists literal values"), self.sp(meta))
            values.append(item.value if isinstance(item.value, str) else str(item.value))
        if len(set(values)) != len(values):
            raise self.error("PE102", _("'one of' lists a value twice"), self.sp(meta))
        return TypeSpec("enum", tuple(values))

    def type_range(self, meta: Any, ch: list) -> TypeSpec:
        low, high = ch
        if low.value > high.value:
            raise self.error("PE112", _("empty range {text}..{text2}",
                                        text=low.text, text2=high.text), self.sp(meta))
        return TypeSpec("range", minimum=low.value, maximum=high.value, spelling=(low.text, high.text))

    def type_list(self, meta: Any, ch: list) -> TypeSpec:
        return TypeSpec("list", fields=tuple(ch[0]))

    def record_type(self, meta: Any, ch: list) -> list[Field]:
        names = [f.name for f in ch]
        for f in ch:
            if names.count(f.name) > 1:
                raise self.error("PE102", _("field '{name}' declared twice", name=f.name), f.span)
        return list(ch)

    def field(self, meta: Any, ch: list) -> Field:
        type_ = self._bounded(ch[1], ch[2:])
        default = next((c[1] for c in ch[2:] if c[0] == "default"), None)
        return Field(ch[0], type_, default, self.sp(meta))

    def bound(self, meta: Any, ch: list) -> _Tagged:
        return _tag("bound", str(ch[0]), ch[1], self.sp(meta))

    def default(self, meta: Any, ch: list) -> _Tagged:
        return _tag("default", ch[0])

    def weight(self, meta: Any, ch: list) -> _Tagged:
        return _tag("weight", ch[0])

    def _bounded(self, type_: TypeSpec, extras: list) -> TypeSpec:
        for extra in extras:
            if not isinstance(extra, _Tagged) or extra[0] != "bound":
                continue
            _kind, op, value, span = extra
            if type_.kind not in ("number", "integer", "range"):
                raise self.error("PE112", _("a bound needs a number type, not {kind}",
                                            kind=type_.kind), span)
            if op in (">=", ">"):
                type_ = dataclasses.replace(type_, minimum=value.value, min_exclusive=op == ">",
                                            spelling=(value.text, type_.spelling[1]))
            elif op in ("<=", "<"):
                type_ = dataclasses.replace(type_, maximum=value.value, max_exclusive=op == "<",
                                            spelling=(type_.spelling[0], value.text))
            else:
                raise self.error("PE112", _("a bound is one of >= > <= <, not {op}", op=op), span)
        return type_

    # -- statements
    def ruleset_decl(self, meta: Any, ch: list) -> _Tagged:
        title = unescape(str(ch[1])) if len(ch) > 1 else None
        return _tag("ruleset", ch[0], title, self.sp(meta))

    def version_decl(self, meta: Any, ch: list) -> _Tagged:
        tok = ch[0]
        value = unescape(str(tok)) if tok.type == "STRING" else str(tok)
        return _tag("version", value, self.sp(meta))

    def effective_decl(self, meta: Any, ch: list) -> _Tagged:
        try:
            return _tag("effective", _dt.date.fromisoformat(str(ch[0])), self.sp(meta))
        except ValueError:
            raise self.error("PE001", _("invalid date {value}", value=ch[0]), self.sp(meta)) from None

    def extends_decl(self, meta: Any, ch: list) -> _Tagged:
        return _tag("extends", unescape(str(ch[0])), self.sp(meta))

    def remove_decl(self, meta: Any, ch: list) -> _Tagged:
        return _tag("remove", Remove(str(ch[0]), ch[1], self.sp(meta)), self.sp(meta))

    def source_decl(self, meta: Any, ch: list) -> _Tagged:
        return _tag("source", unescape(str(ch[0])), self.sp(meta))

    def subject_decl(self, meta: Any, ch: list) -> _Tagged:
        return _tag("subject", ch[0], self.sp(meta))

    def input_decl(self, meta: Any, ch: list) -> Input:
        name, type_, *extras = ch
        type_ = self._bounded(type_, extras)
        default = next((e[1] for e in extras if isinstance(e, _Tagged) and e[0] == "default"), None)
        doc = next((unescape(str(e)) for e in extras if isinstance(e, Token)), None)
        return Input(name, type_, default, doc, self.sp(meta))

    def note_decl(self, meta: Any, ch: list) -> list[Input]:
        *names, type_ = [c for c in ch if not isinstance(c, Token) or c.type != "STRING"]
        doc = next((unescape(str(c)) for c in ch if isinstance(c, Token) and c.type == "STRING"), None)
        return [Input(n, type_, None, doc, self.sp(meta), carried=True) for n in names]

    def dimension_decl(self, meta: Any, ch: list) -> Dimension:
        name, low, high, *extras = ch
        if low.value > high.value:
            raise self.error("PE112", _("empty range {text}..{text2}",
                                        text=low.text, text2=high.text), self.sp(meta))
        weight = next((e[1] for e in extras if isinstance(e, _Tagged)), None)
        doc = next((unescape(str(e)) for e in extras if isinstance(e, Token)), None)
        return Dimension(name, low.value, high.value, Decimal(1) if weight is None else weight.value, doc,
                         self.sp(meta), (low.text, high.text, None if weight is None else weight.text))

    def hit_policy(self, meta: Any, ch: list) -> _Tagged:
        tok = ch[0]
        if tok.type == "AGGREGATE":
            return _tag("hit", "collect", str(tok))
        return _tag("hit", str(tok), None)

    def header_inputs(self, meta: Any, ch: list) -> list:
        return list(ch)

    def header_outputs(self, meta: Any, ch: list) -> list:
        return list(ch)

    def table_header(self, meta: Any, ch: list) -> _Tagged:
        outputs = []
        for out in ch[1]:
            if not isinstance(out, Name):
                raise self.error("PE001", _("an output column header is a name"), out.span)
            outputs.append(out.name)
        return _tag("header", ch[0], outputs, self.sp(meta))

    def test_cells(self, meta: Any, ch: list) -> list:
        return list(ch)

    def output_cells(self, meta: Any, ch: list) -> list:
        return list(ch)

    def table_row(self, meta: Any, ch: list) -> Row:
        return Row(tuple(ch[0]), tuple(ch[1]), self.sp(meta))

    def test_any(self, meta: Any, ch: list) -> Test:
        return Test("any", span=self.sp(meta))

    def test_equal(self, meta: Any, ch: list) -> Test:
        return Test("equal", (ch[0],), span=self.sp(meta))

    def test_compare(self, meta: Any, ch: list) -> Test:
        op = str(ch[0])
        kind = "equal" if op == "==" else "compare"
        return Test(kind, (ch[1],), op=op if kind == "compare" else "", span=self.sp(meta))

    def test_in(self, meta: Any, ch: list) -> Test:
        return Test("in", ch[0].items, span=self.sp(meta))

    def test_not_in(self, meta: Any, ch: list) -> Test:
        return Test("not in", ch[0].items, span=self.sp(meta))

    def range_test(self, meta: Any, ch: list) -> Test:
        opener, low, _dots, high, closer = ch
        return Test("range", (low, high), low_closed=str(opener) == "[",
                    high_closed=str(closer) == "]", span=self.sp(meta))

    def table_decl(self, meta: Any, ch: list) -> DecisionTable:
        name = ch[0]
        hit, aggregate = "first", None
        rest = ch[1:]
        if rest and isinstance(rest[0], _Tagged) and rest[0][0] == "hit":
            hit, aggregate = rest[0][1], rest[0][2]
            rest = rest[1:]
        header = rest[0]
        _kind, inputs, outputs, hspan = header
        rows = tuple(r for r in rest[1:] if isinstance(r, Row))
        for row in rows:
            if len(row.tests) != len(inputs) or len(row.outputs) != len(outputs):
                raise self.error(
                    "PE107",
                    _("row has {tests} input and {outputs} output cells; the header has "
                      "{inputs} and {outputs2}",
                      tests=len(row.tests), outputs=len(row.outputs), inputs=len(inputs), outputs2=len(outputs)),
                    row.span,
                )
        if not rows:
            raise self.error("PE107", _("table '{name}' has no rows", name=name), self.sp(meta))
        return DecisionTable(name, tuple(inputs), tuple(outputs), rows, hit, aggregate, self.sp(meta),
                             hspan.line)

    def let_decl(self, meta: Any, ch: list) -> Let:
        return Let(ch[0], ch[1], self.sp(meta))

    def level(self, meta: Any, ch: list) -> Level:
        return Level(ch[0], str(ch[1]) if len(ch) > 1 else None, self.sp(meta))

    def levels_decl(self, meta: Any, ch: list) -> GradeScale:
        levels = tuple(ch[1:])
        seen: set[str] = set()
        for lv in levels:
            if lv.name in seen:
                raise self.error("PE102", _("level '{name}' listed twice", name=lv.name), lv.span)
            seen.add(lv.name)
        return GradeScale(ch[0], levels, self.sp(meta))

    def condition_line(self, meta: Any, ch: list) -> GradeRule:
        return GradeRule("condition", ch[1], condition=ch[0], span=self.sp(meta))

    def otherwise_line(self, meta: Any, ch: list) -> GradeRule:
        return GradeRule("otherwise", ch[0], span=self.sp(meta))

    def rank_count(self, meta: Any, ch: list) -> _Tagged:
        tok = ch[0]
        if tok.type == "PERCENT":
            return _tag("count", _number(str(tok)[:-1], self.file, tok), True)
        return _tag("count", _number(str(tok), self.file, tok), False)

    def within(self, meta: Any, ch: list) -> _Tagged:
        return _tag("within", ch[0])

    def _rank(self, kind: str, meta: Any, ch: list) -> GradeRule:
        count = ch[0]
        by = ch[1]
        within = next((c[1] for c in ch[2:] if isinstance(c, _Tagged)), None)
        level = ch[-1]
        return GradeRule(kind, level, count=count[1], percent=count[2], by=by, within=within,
                         span=self.sp(meta))

    def top_line(self, meta: Any, ch: list) -> GradeRule:
        return self._rank("top", meta, ch)

    def bottom_line(self, meta: Any, ch: list) -> GradeRule:
        return self._rank("bottom", meta, ch)

    def raise_to(self, meta: Any, ch: list) -> Raise:
        return Raise(ch[1], to_level=ch[0], span=self.sp(meta))

    def raise_by(self, meta: Any, ch: list) -> Raise:
        steps = _number(str(ch[0]), self.file, ch[0])
        if steps != steps.to_integral_value() or steps < 1:
            raise self.error("PE112", _("raise N needs a whole number of levels >= 1"), self.sp(meta))
        return Raise(ch[1], steps=int(steps), span=self.sp(meta))

    def grade_decl(self, meta: Any, ch: list) -> Grade:
        rules = tuple(c for c in ch[1:] if isinstance(c, GradeRule))
        raises = tuple(c for c in ch[1:] if isinstance(c, Raise))
        self._raises_last(ch[1:])
        return Grade(ch[0], rules, raises, None, self.sp(meta))

    def _raises_last(self, lines: list) -> None:
        seen_raise = False
        for line in lines:
            if isinstance(line, Raise):
                seen_raise = True
            elif seen_raise:
                raise self.error("PE001", _("grade lines come before 'raise' lines"), line.span)

    def label(self, meta: Any, ch: list) -> Literal:
        value = ch[0]
        if isinstance(value, Token):
            return Literal(unescape(str(value)), self.sp(meta))
        if isinstance(value, _Number):
            return Literal(value.value, self.sp(meta), value.text)
        return Literal(value, self.sp(meta))

    def matrix_header(self, meta: Any, ch: list) -> list[Literal]:
        return list(ch)

    def matrix_row(self, meta: Any, ch: list) -> _Tagged:
        return _tag("mrow", ch[0], tuple(ch[1:]), self.sp(meta))

    def matrix_grade_decl(self, meta: Any, ch: list) -> Grade:
        scale, row_input, column_input, header, *rest = ch
        rows = [r for r in rest if isinstance(r, _Tagged)]
        raises = tuple(r for r in rest if isinstance(r, Raise))
        for _tag, _label, cells, span in rows:
            if len(cells) != len(header):
                raise self.error("PE107", _("matrix row has {cells} cells; the header has "
                                            "{header}",
                                            cells=len(cells), header=len(header)), span)
        matrix = Matrix(row_input, column_input, tuple(header),
                        tuple((r[1], r[2]) for r in rows), tuple(r[3] for r in rows))
        return Grade(scale, (), raises, matrix, self.sp(meta))

    def cadence(self, meta: Any, ch: list) -> _Tagged:
        n = _number(str(ch[0]), self.file, ch[0])
        if n != n.to_integral_value() or n < 1:
            raise self.error("PE112", _("every N needs a whole number >= 1"), self.sp(meta))
        unit = str(ch[1]).rstrip("s")
        return _tag("every", int(n), unit)

    def supervision_line(self, meta: Any, ch: list) -> SupervisionLine:
        head = ch[0]
        level = None if isinstance(head, Token) and head.type == "OTHERWISE" else head
        when = None
        by: list[str] = []
        every = None
        for c in ch[1:]:
            if isinstance(c, Token) and c.type == "STRING":
                by.append(unescape(str(c)))
            elif isinstance(c, _Tagged):
                every = (c[1], c[2])
            else:
                when = c
        return SupervisionLine(level, tuple(by), when, every, self.sp(meta))

    def supervision_decl(self, meta: Any, ch: list) -> Supervision:
        return Supervision(ch[0], tuple(ch[1:]), self.sp(meta))

    def scope_for(self, meta: Any, ch: list) -> _Tagged:
        return _tag("for", ch[0], ch[1], ch[2] if len(ch) > 2 else None)

    def scope_when(self, meta: Any, ch: list) -> _Tagged:
        return _tag("when", ch[0])

    def fine_line(self, meta: Any, ch: list) -> _Tagged:
        return _tag("fine", ch[0], self.sp(meta))

    def action_line(self, meta: Any, ch: list) -> _Tagged:
        return _tag("action", tuple(unescape(str(t)) for t in ch), self.sp(meta))

    def warning_line(self, meta: Any, ch: list) -> _Tagged:
        word = str(ch[0])
        if word in COLORS:
            return _tag("warning", word, self.sp(meta))
        return _tag("warning", _WarningOf(word), self.sp(meta))

    def sanction_decl(self, meta: Any, ch: list) -> Sanction:
        name = ch[0]
        var = source = where = when = None
        body: dict[str, Any] = {}
        lines: list[tuple[str, int]] = []
        for c in ch[1:]:
            if c[0] == "for":
                _kind, var, source, where = c
            elif c[0] == "when":
                when = c[1]
            elif c[0] == "action":
                # several action lines read as one list, in order: officers often write one
                # measure per line (`action "诫勉谈话"` / `action "政纪处理"`)
                body["action"] = body.get("action", ()) + c[1]
                lines.append((c[0], c[2].line))
            else:
                if c[0] in body:
                    raise self.error("PE102", _("'{value}' given twice in sanction '{name}'",
                                                value=c[0], name=name), c[2])
                body[c[0]] = c[1]
                lines.append((c[0], c[2].line))
        warning = body.get("warning")
        warning_of = str(warning) if isinstance(warning, _WarningOf) else None
        return Sanction(name, var, source, where, when, body.get("fine"), body.get("action", ()),
                        None if warning_of else warning, warning_of, self.sp(meta), tuple(lines))

    def count_line(self, meta: Any, ch: list) -> SummaryLine:
        return SummaryLine("count", tuple(ch), self.sp(meta))

    def sum_fine_line(self, meta: Any, ch: list) -> SummaryLine:
        return SummaryLine("fine", (), self.sp(meta))

    def sum_value_line(self, meta: Any, ch: list) -> SummaryLine:
        return SummaryLine("sum", (ch[0],), self.sp(meta))

    def summary_decl(self, meta: Any, ch: list) -> Summary:
        return Summary(tuple(ch), self.sp(meta))

    def rollup_decl(self, meta: Any, ch: list) -> Rollup:
        body = [c for c in ch[2:] if c is not None and not isinstance(c, Token)]
        seen: dict[tuple[str, str], Span] = {}
        for st in body:
            key = (declaration_kind(st), declaration_name(st))
            if key in seen:
                raise self.error("PE102", _("{value} '{value2}' is declared twice in rollup "
                                            "'{value3}' (first at line {line})",
                                            value=key[0], value2=key[1], value3=ch[0], line=seen[key].line), st.span)
            seen[key] = st.span
        return Rollup(ch[0], ch[1], tuple(body), self.sp(meta))

    def start(self, meta: Any, ch: list) -> list:
        # a `note a, b: text` line declares several fields
        return [d for c in ch if c is not None and not isinstance(c, Token) for d in (c if isinstance(c, list) else [c])]


# ---------------------------------------------------------------- assembling the file


def _assemble(statements: list, file: str) -> Ruleset:
    rs = Ruleset(id=Path(file).stem, file=file)
    header_seen: dict[str, Span] = {}
    removes: list[Remove] = []
    sources: list[str] = []
    seen: dict[tuple[str, str], Span] = {}
    for st in statements:
        if isinstance(st, _Tagged):
            tag, span = st[0], st[-1]
            if tag in header_seen and tag not in ("source", "remove"):
                raise ParseError(Diagnostic.at("PE102", _("'{tag}' given twice (first at line "
                                                          "{line})",
                                                          tag=tag, line=header_seen[tag].line), span))
            header_seen.setdefault(tag, span)
            rs.header_spans.setdefault(tag, span)
            if tag in ("source", "remove"):
                count = len(sources) if tag == "source" else len(removes)
                rs.header_spans[f"{tag}#{count}"] = span
            if tag == "ruleset":
                rs.id, rs.title = st[1], st[2]
                rs.span = span
            elif tag == "version":
                rs.version = st[1]
            elif tag == "effective":
                rs.effective = st[1]
            elif tag == "extends":
                rs.extends = st[1]
            elif tag == "remove":
                removes.append(st[1])
            elif tag == "source":
                sources.append(st[1])
            elif tag == "subject":
                rs.subject = st[1]
            continue
        key = (declaration_kind(st), declaration_name(st))
        if key in seen:
            raise ParseError(Diagnostic.at(
                "PE102", _("{value} '{value2}' is declared twice (first at line {line})",
                           value=key[0], value2=key[1], line=seen[key].line),
                st.span))
        seen[key] = st.span
        rs.declarations.append(st)
    rs.removes = tuple(removes)
    rs.sources = tuple(sources)
    return rs

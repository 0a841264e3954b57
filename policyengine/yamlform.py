"""The YAML form of a ruleset (SPEC §3): YAML text <-> the same `Ruleset` model as the DSL.

Reading composes the YAML into position-marked nodes (safe loader only), turns
them into plain data (numbers as exact `Decimal`, aliases bounded), validates
that data against the JSON Schema shipped next to this module (errors point at
the offending key, with a did-you-mean), then builds the model. Expressions and
table cells are DSL text: they are parsed with the DSL grammar, starting at the
scalar's position, so spans and errors point into the YAML file. Comments are
read from the raw text by line, as the DSL parser does, so fmt and convert keep
them.

Writing (`to_yaml`) prints a canonical YAML text with source-line anchors on
its lines, so comments follow their declarations (dsl.with_comments).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import difflib
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from . import dsl
from .dsl import BLANK, Line, Lines, declaration_ranges, width, with_comments
from .errors import Diagnostic, ParseError, did_you_mean, invalid_yaml, source_lines
from .i18n import N_, _
from .model import (
    Comment,
    DecisionTable,
    Dimension,
    Expr,
    Field,
    Grade,
    GradeRule,
    GradeScale,
    Input,
    Let,
    Level,
    ListLiteral,
    Literal,
    Matrix,
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
    TypeSpec,
    declaration_kind,
    declaration_name,
)
from .parse import COLORS, MAX_DIGITS, parse_expression, parse_unary_test, read_source

MAX_NODES = 1_000_000  # values a ruleset's YAML may expand to (aliases included)
MAX_DEPTH = 64
MAX_ERRORS = 20
SECTIONS = {"input": "inputs", "dimension": "dimensions", "table": "tables", "let": "lets",
            "levels": "levels", "grade": "grades", "supervision": "supervision",
            "sanction": "sanctions", "summary": "summary", "rollup": "rollups"}
SIMPLE_TYPES = ("number", "integer", "text", "bool", "date")
_YAML_TYPES = {"one of": "enum", "range": "range", "list of": "list", **{t: t for t in SIMPLE_TYPES}}
_EVERY = re.compile(r"^(\d+) +(year|month|quarter)s?$")
_PERCENT = re.compile(r"^-?\d+(\.\d+)?%$")
_DSL_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")  # a number as the DSL writes it
_TAG = "tag:yaml.org,2002:"

Path_ = tuple[Any, ...]  # keys and indices from the document root


# ---------------------------------------------------------------- entry points


def parse_yaml_file(path: str | Path) -> Ruleset:
    """Parse one YAML ruleset file (unresolved: `extends` and `remove` stay as written)."""
    return parse_yaml_text(read_source(path), str(path))


def parse_yaml_text(text: str, file: str = "<string>") -> Ruleset:
    root = _compose(text, file)
    doc = _Document(file, text)
    data = doc.plain(root)
    if data is None or data == {}:  # as for the DSL: an empty file is a mistake, not a ruleset
        raise ParseError(Diagnostic("PE009", _("the file holds no declarations (an empty "
                                               "ruleset)"),
                                    file=file, line=1, column=1))
    _validate(data, doc)
    rs = _Reader(doc).ruleset(data)
    rs.comments = tuple(yaml_comments(text))
    rs.blank_lines = frozenset(i for i, line in enumerate(source_lines(text, yaml=True), 1) if not line.strip())
    return rs


# ---------------------------------------------------------------- loading with positions


def _loader() -> type:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _compose(text: str, file: str) -> Any:
    import yaml

    try:
        return yaml.compose(text, Loader=_loader())
    except yaml.MarkedYAMLError as exc:
        raise ParseError(invalid_yaml("PE501", exc, text, file)) from None
    except yaml.YAMLError as exc:
        raise ParseError(Diagnostic("PE501", _("invalid YAML: {exc}", exc=exc), file=file)) from None
    except RecursionError:
        raise ParseError(Diagnostic("PE501", _("YAML nested too deeply"), file=file)) from None


def _span(file: str, node: Any) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _last_line(node: Any) -> int:
    """The last line (1-based) holding some of this node's text."""
    import yaml

    last = 0
    stack = [node]
    seen = 0
    while stack:
        n = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            break
        if isinstance(n, yaml.ScalarNode) or getattr(n, "flow_style", False):
            end = n.end_mark
            last = max(last, end.line + 1 if end.column > 0 else end.line)
        elif isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                stack.extend((k, v))
        else:
            stack.extend(n.value)
    return last


# ---------------------------------------------------------------- positions inside a scalar

_BREAKS = "\n\r\x85\u2028\u2029"
_ESCAPE_LENGTH = {"x": 4, "u": 6, "U": 10}
Positions = list[tuple[int, int]]  # (line, column), 1-based, of each character of a value


def _value_positions(text: str, node: Any) -> Positions | None:
    """Where each character of a scalar's value was written in `text`.

    YAML may fold line breaks into spaces, drop indentation and trailing blanks, undo
    `''` in single quotes and escapes in double quotes, and strip a block scalar's
    indentation. Every value character still comes from one place in the source (an
    escape from its backslash), in order, so the two are lined up greedily: source
    characters YAML dropped (blanks, line breaks, quote doubling) are skipped. None when
    they cannot be lined up, which would be a bug; the caller then points at the scalar.
    """
    start, end = node.start_mark.index, node.end_mark.index
    if not text or end > len(text) or start >= end:
        return None
    # (character the source contributes, its position, True when it must appear as is)
    units: list[tuple[str, tuple[int, int], bool]] = []
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    i = start
    style = node.style
    if style in ("'", '"'):
        i, column = i + 1, column + 1  # the opening quote
        end -= 1  # the closing quote
    elif style in ("|", ">"):
        while i < end and text[i] not in _BREAKS:  # the header: `|-`, `>+2`, a comment
            i, column = i + 1, column + 1
    line_start = False  # after a line break: a flow scalar's indentation is not in the value
    while i < end:
        ch = text[i]
        width = 1
        if line_start and ch in " \t" and style not in ("|", ">"):
            pass
        elif style == "'" and ch == "'" and i + 1 < end and text[i + 1] == "'":
            units.append(("'", (line, column), True))
            width = 2
        elif style == '"' and ch == "\\" and i + 1 < end:
            following = text[i + 1]
            if following in _BREAKS:  # an escaped line break: nothing in the value
                width = 3 if text[i + 1:i + 3] == "\r\n" else 2
            else:
                width = _ESCAPE_LENGTH.get(following, 2)
                units.append(("\x00", (line, column), True))  # stands for whatever it decodes to
        else:
            units.append((ch, (line, column), False))
        for k in range(i, min(i + width, end)):
            c = text[k]
            if c in _BREAKS and not (c == "\r" and k + 1 < len(text) and text[k + 1] == "\n"):
                line, column, line_start = line + 1, 1, True
            elif c != "\r":
                column += 1
                line_start = line_start and c in " \t"
        i += width
    value = str(node.value)
    out: Positions = []
    u = 0
    for ch in value:
        while u < len(units):
            source, _kind, exact = units[u]
            if source == ch or source == "\x00" or (
                    not exact and ch in " \n" and source in _BREAKS + " \t"):
                break
            if exact or source not in _BREAKS + " \t":
                return None  # a source character YAML would not drop
            u += 1
        if u == len(units):
            return None
        out.append(units[u][1])
        u += 1
    return out


def _place(where: Positions, column: int, end: bool = False) -> tuple[int, int]:
    """The file position of a 1-based column of the value (for an end: just after it)."""
    offset = column - 1
    if end or offset >= len(where):
        line, col = where[min(max(offset - 1, 0), len(where) - 1)]
        return line, col + 1
    return where[max(offset, 0)]


def _place_span(span: Span, where: Positions | None) -> Span:
    if not where or not span.line:
        return span
    line, column = _place(where, span.column)
    end_line, end_column = (_place(where, span.end_column, end=True) if span.end_line == 1 and span.end_column
                            else (0, 0))
    return Span(span.file, line, column, end_line, end_column)


def _place_diagnostic(d: Diagnostic, where: Positions | None) -> None:
    if not where or d.line != 1:
        return
    line, column = _place(where, d.column or 1)
    if d.end_column:
        end_line, end_column = _place(where, d.end_column, end=True)
        d.end_column = end_column if end_line == line else 0
    d.line, d.column = line, column


def _map_spans(node: Any, place: Callable[[Span], Span]) -> Any:
    """The same model node with `place` applied to every span in it."""
    if isinstance(node, Span):
        return place(node)
    if isinstance(node, tuple):
        return tuple(_map_spans(n, place) for n in node)
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: _map_spans(getattr(node, f.name), place) for f in dataclasses.fields(node)
                   if isinstance(getattr(node, f.name), (Span, tuple)) or dataclasses.is_dataclass(getattr(node, f.name))}
        return dataclasses.replace(node, **changes)
    return node


def _expanded_size(root: Any) -> int:
    """How many values the tree has once aliases are expanded (an alias is the same node
    object met again), counted per distinct node, without expanding anything."""
    import yaml

    sizes: dict[int, int] = {}
    open_: set[int] = set()  # nodes being sized: meeting one again is an alias to itself
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = ([x for pair in node.value for x in pair] if isinstance(node, yaml.MappingNode)
                    else node.value if isinstance(node, yaml.SequenceNode) else [])
        if done:
            sizes[id(node)] = min(1 + sum(sizes.get(id(c), 1) for c in children), MAX_NODES + 1)
            open_.discard(id(node))
        elif id(node) in open_:
            return MAX_NODES + 1  # a recursive structure never ends
        else:
            open_.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


class _Document:
    """Plain data from YAML nodes, remembering where every value and key was written."""

    def __init__(self, file: str, text: str = ""):
        self.file = file
        self.text = text
        self.lines = source_lines(text, yaml=True)
        self.nodes: dict[Path_, Any] = {}  # path -> value node
        self.keys: dict[Path_, Any] = {}  # path -> key node (mapping entries)
        self.count = 0

    def plain(self, root: Any) -> Any:
        if root is None:
            return None
        if _expanded_size(root) > MAX_NODES:  # before walking it: a bomb would take a while
            raise ParseError(Diagnostic("PE505", _("YAML aliases expand to more than a million "
                                                   "values (an alias bomb?)"), file=self.file))
        return self._value(root, ())

    def _value(self, node: Any, path: Path_) -> Any:
        import yaml

        self.count += 1
        if self.count > MAX_NODES:
            raise ParseError(Diagnostic("PE505", _("YAML aliases expand to more than a million "
                                                   "values (an alias bomb?)"), file=self.file))
        if len(path) > MAX_DEPTH:
            raise self.error(node, "PE501", _("YAML nested more than {MAX_DEPTH} deep",
                                              MAX_DEPTH=MAX_DEPTH))
        self.nodes[path] = node
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in (_TAG + "map", _TAG + "seq"):
            self._tag_refused(node)  # `!!python/object {…}`: a tag on a mapping or list, as on a scalar
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key, value in self._commas_rejoined(node):
                if not isinstance(key, yaml.ScalarNode):
                    raise self.error(key, "PE503", _("a key must be a plain word or text, not "
                                                     "a list or mapping"))
                if key.tag == _TAG + "merge":
                    raise self.error(key, "PE503", _("merge keys (<<) are not supported in "
                                                     "rulesets"))
                name = str(key.value)
                if name in out:
                    raise self.error(key, "PE506", _("key '{name}' given twice in the same "
                                                     "mapping",
                                                     name=name))
                self.keys[(*path, name)] = key
                out[name] = self._value(value, (*path, name))
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._value(v, (*path, i)) for i, v in enumerate(node.value)]
        return self._scalar(node)

    def _commas_rejoined(self, node: Any) -> list[tuple[Any, Any]]:
        """The entries of a mapping, where a `{…}` mapping's comma inside unquoted text is
        read as part of the text: `{doc: 自由裁量空间大的,从高评分}` (as SPEC §3 writes it)
        or `{x: max(a, b)}`. YAML would end the value at the comma and make `从高评分` a key
        without a value; no ruleset key is ever written that way, so such a "key" continues
        the plain text before it, exactly as written in the file."""
        import yaml

        if not node.flow_style or not self.text:
            return list(node.value)
        entries: list[tuple[Any, Any]] = []
        for key, value in node.value:
            if entries and _continues(entries[-1][1], key, value):
                before = entries[-1][1]
                text = self.text[before.start_mark.index:key.end_mark.index]
                joined = yaml.ScalarNode(_TAG + "str", text, before.start_mark, key.end_mark, style=None)
                entries[-1] = (entries[-1][0], joined)
            else:
                entries.append((key, value))
        return entries

    def _scalar(self, node: Any) -> Any:
        tag, text = node.tag, node.value
        if tag == _TAG + "str":
            return text
        if tag in (_TAG + "int", _TAG + "float"):
            # YAML 1.1 reads 1:30 as 90 (base 60): in a ruleset it is text, as in YAML 1.2
            return text if ":" in text else self.number(node)
        if tag == _TAG + "bool":
            return text.lower() in ("true", "yes", "on", "y")
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "timestamp":
            return text
        self._tag_refused(node)

    def _tag_refused(self, node: Any) -> NoReturn:
        tag = node.tag
        shown = "!!" + tag[len(_TAG):] if tag.startswith(_TAG) else tag
        raise self.error(node, "PE501", _("YAML tag '{shown}' is not allowed in a ruleset",
                                          shown=shown))

    def number(self, node: Any) -> Decimal:
        import yaml

        text = str(node.value).replace("_", "")
        digits = text.lstrip("+-").replace(".", "").lstrip("0")
        if len(digits) > MAX_DIGITS:
            raise self.error(node, "PE004", _("number has more than {MAX_DIGITS} digits",
                                              MAX_DIGITS=MAX_DIGITS))
        try:
            if node.tag == _TAG + "int":
                return Decimal(yaml.constructor.SafeConstructor().construct_yaml_int(node))
            value = Decimal(text)
        except (InvalidOperation, ValueError):
            raise self.error(node, "PE503", _("not a number: {value!r}", value=node.value)) from None
        if not value.is_finite():
            raise self.error(node, "PE503", _("not a finite number: {value!r}", value=node.value))
        return value

    def error(self, node: Any, code: str, message: str, notes: list[str] | None = None) -> ParseError:
        d = Diagnostic.at(code, message, _span(self.file, node))
        d.notes = notes or []
        return ParseError(d)

    def at(self, path: Path_, key: bool = False) -> Any:
        """The node written at `path` (its key when asked and there is one)."""
        while path not in self.nodes and path:
            path = path[:-1]
        if key and path in self.keys:
            return self.keys[path]
        return self.nodes.get(path)


# ---------------------------------------------------------------- schema validation


@lru_cache(maxsize=1)
def _continues(before: Any, key: Any, value: Any) -> bool:
    """Whether `key: value` in a `{…}` mapping is the rest of the plain text `before`, cut
    off by a comma: both plain text, on one line, the key with no value and no colon."""
    import yaml

    # a plain scalar's style is None (pure-Python loader) or '' (libyaml's)
    return (isinstance(before, yaml.ScalarNode) and not before.style and before.tag == _TAG + "str"
            and isinstance(key, yaml.ScalarNode) and not key.style and key.tag == _TAG + "str"
            and isinstance(value, yaml.ScalarNode) and value.tag == _TAG + "null" and value.value == ""
            and value.start_mark.index == key.end_mark.index
            and before.start_mark.line == key.end_mark.line)


def schema() -> dict[str, Any]:
    """The JSON Schema of the YAML form (shipped as policyengine/ruleset.schema.json)."""
    text = resources.files("policyengine").joinpath("ruleset.schema.json").read_text("utf-8")
    return json.loads(text)


@lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    base = jsonschema.Draft202012Validator

    def is_integer(checker: Any, instance: Any) -> bool:
        if isinstance(instance, Decimal):
            return instance == instance.to_integral_value()
        return base.TYPE_CHECKER.is_type(instance, "integer")

    checker = base.TYPE_CHECKER.redefine("integer", is_integer)
    cls = jsonschema.validators.extend(base, type_checker=checker)
    return cls(schema())


def _validate(data: Any, doc: _Document) -> None:
    errors = list(_validator().iter_errors(data))
    if not errors:
        return
    # a misspelt key is also a missing one: report only the misspelling (with its did-you-mean)
    misspelt = set()
    for error in errors:
        if error.validator == "additionalProperties":
            allowed = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed and (close := difflib.get_close_matches(key, allowed, n=1, cutoff=0.5)):
                    misspelt.add((tuple(error.absolute_path), close[0]))
    diagnostics: dict[tuple[int, int, str], Diagnostic] = {}
    for error in errors:
        for d in _diagnose(error, doc, frozenset(misspelt)):
            diagnostics.setdefault((d.line, d.column, d.message), d)
    ordered = sorted(diagnostics.values(), key=lambda d: (d.line, d.column))
    raise ParseError(ordered[:MAX_ERRORS])


def _where(path: Path_) -> str:
    out = ""
    for step in path:
        out += f"[{step + 1}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out or _("the top level")


# JSON Schema's type names in a policy officer's words (translated where shown)
_TYPE_WORDS = {"string": N_("text"), "number": N_("a number"), "integer": N_("a whole number"),
               "boolean": N_("true or false"), "array": N_("a list"), "object": N_("a mapping"), "null": N_("empty")}


def _describe_value(v: Any) -> str:
    if isinstance(v, dict):
        return _("a mapping")
    if isinstance(v, list):
        return _("a list")
    if v is None:
        return _("empty")
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(str(v)) if isinstance(v, str) else str(v)


def _diagnose(error: Any, doc: _Document, misspelt: frozenset[tuple[Path_, str]] = frozenset(),
              ) -> list[Diagnostic]:
    """A schema error as located diagnostics, in a policy officer's words. `misspelt`: the
    (path, key) pairs an unknown key near them already reports as missing."""
    path = tuple(error.absolute_path)
    where = _where(path)
    validator = error.validator
    node = doc.at(path)

    def at(n: Any, code: str, message: str, notes: list[str] | None = None) -> Diagnostic:
        if n is None:
            return Diagnostic(code, message, file=doc.file, notes=notes or [])
        return doc.error(n, code, message, notes).diagnostics[0]

    if error.context:
        # anyOf/oneOf: report the branch that fits the value's shape
        best = max(error.context, key=lambda e: len(e.absolute_path))
        return _diagnose(best, doc, misspelt)
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        out = []
        for key in extra:
            key_node = doc.keys.get((*path, key))
            notes = [_("allowed here: {keys}", keys=", ".join(allowed))] if allowed else []
            out.append(at(key_node, "PE502", _("unknown key '{key}' in {where}", key=key, where=where)
                          + did_you_mean(key, allowed), notes))
        return out
    if validator == "required":
        # every required key the mapping lacks, from the schema and the value rather than
        # jsonschema's English message; its one error per missing key give the same list,
        # made one by the caller
        missing = [k for k in error.validator_value if isinstance(error.instance, dict) and k not in error.instance]
        return [at(doc.at(path, key=True), "PE503", _("{where}: missing key '{name}'", where=where, name=name))
                for name in missing if (path, name) not in misspelt]
    if validator == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = _(" or ").join(_(_TYPE_WORDS[w]) if w in _TYPE_WORDS else w for w in wanted)
        return [at(node, "PE503", _("{where} must be {words}, not {value}", where=where, words=words,
                                    value=_describe_value(error.instance)))]
    if validator == "enum":
        options = [str(o) for o in error.validator_value]
        return [at(node, "PE503", _("{where}: {value} is not one of {options}", where=where,
                                    value=_describe_value(error.instance), options=", ".join(options))
                   + did_you_mean(str(error.instance), options))]
    if validator == "pattern":
        if isinstance(error.instance, str) and error.validator_value.startswith("^(number"):
            return [at(node, "PE503", _("{where}: unknown type '{type}'", where=where, type=error.instance)
                       + did_you_mean(error.instance, list(_YAML_TYPES)))]
        if error.validator_value == "^summary$":  # an `order:` entry
            return [at(node, "PE503", _("{where}: write '- summary' or '- SECTION: [names]', not {value}",
                                        where=where, value=_describe_value(error.instance))
                       + did_you_mean(str(error.instance), ["summary"]))]
        value = _describe_value(error.instance)
        if "description" in error.schema:  # the schema's own words (ruleset.schema.json, English)
            return [at(node, "PE503", _("{where}: {value} is not {described}", where=where, value=value,
                                        described=error.schema["description"]))]
        return [at(node, "PE503", _("{where}: {value} is not text matching {pattern}", where=where, value=value,
                                    pattern=error.validator_value))]
    if validator == "const":
        return [at(node, "PE503", _("{where} must be {value}", where=where,
                                    value=json.dumps(error.validator_value)))]
    if validator in ("minItems", "maxItems", "minProperties", "maxProperties", "minimum"):
        template = {"minItems": N_("{where} needs at least {count} entries"),
                    "maxItems": N_("{where} takes at most {count} entries"),
                    "minProperties": N_("{where} needs at least {count} keys"),
                    "maxProperties": N_("{where} takes exactly {count} key"),
                    "minimum": N_("{where} must be at least {count}")}[validator]
        return [at(node, "PE503", _(template, where=where, count=error.validator_value))]
    return [at(node, "PE503", _("{where}: {problem}", where=where, problem=error.message))]  # pragma: no cover


# ---------------------------------------------------------------- plain data -> model


class _Reader:
    def __init__(self, doc: _Document):
        self.doc = doc
        self.file = doc.file

    # -- positions and small pieces
    def span(self, path: Path_, key: bool = False) -> Span:
        node = self.doc.at(path, key)
        return _span(self.file, node) if node is not None else Span(self.file, 0, 0)

    def declaration_span(self, path: Path_) -> Span:
        key, value = self.doc.keys.get(path), self.doc.nodes.get(path)
        start = _span(self.file, key if key is not None else value)
        last = _last_line(value) if value is not None else start.line
        # comments indented below the declaration's key, after its last line, belong to it
        # (in the DSL they go above its closing `}`)
        lines = self.doc.lines
        following = last
        while following < len(lines):
            text = lines[following]  # the line after `following` (lines are 0-based)
            stripped = text.lstrip()
            if stripped and not (stripped.startswith("#") and len(text) - len(stripped) >= start.column):
                break
            following += 1
            if stripped:
                last = following
        return Span(self.file, start.line, start.column, max(last, start.line) + 1, 0)

    def error(self, path: Path_, message: str, code: str = "PE503", key: bool = False) -> ParseError:
        node = self.doc.at(path, key)
        if node is None:
            return ParseError(Diagnostic(code, message, file=self.file))
        return self.doc.error(node, code, message)

    def raw(self, path: Path_) -> str:
        """A scalar as written (`1.30` stays `1.30`; `2010` is text where text is wanted)."""
        node = self.doc.nodes[path]
        return str(node.value)

    def name(self, path: Path_) -> str:
        text = self.raw(path)
        if not text or "`" in text or "\n" in text:
            raise self.error(path, _("{path}: {text!r} is not a name (no backticks or line "
                                     "breaks)",
                                     path=_where(path), text=text))
        return text

    def key_name(self, path: Path_) -> str:
        text = path[-1]
        if not text or "`" in text or "\n" in text:
            raise self.error(path, _("{text!r} is not a name (no backticks or line breaks)",
                                     text=text), key=True)
        return text

    def expr(self, path: Path_) -> Expr:
        return self.fragment(path, parse_expression)

    def test(self, path: Path_) -> Any:
        return self.fragment(path, parse_unary_test)

    def fragment(self, path: Path_, parse: Callable[..., Any]) -> Any:
        """DSL text in a YAML scalar, parsed so that every span and error points into the file.

        The scalar's value is what YAML made of the text (quotes, escapes and line folding
        undone), so positions are mapped back character by character. A line break inside
        the value is a space: a long expression may be written over several lines.
        """
        node = self.doc.nodes[path]
        value = str(node.value)
        where = _value_positions(self.doc.text, node)
        try:
            parsed = parse(value.replace("\n", " ").replace("\r", " "), self.file)
        except ParseError as exc:
            for d in exc.diagnostics:
                _place_diagnostic(d, where)
            raise
        return _map_spans(parsed, lambda span: _place_span(span, where))

    def texts(self, path: Path_, value: Any) -> tuple[str, ...]:
        if isinstance(value, list):
            return tuple(self.raw((*path, i)) for i in range(len(value)))
        return (self.raw(path),)

    def names(self, path: Path_, value: Any) -> tuple[str, ...]:
        if isinstance(value, list):
            return tuple(self.name((*path, i)) for i in range(len(value)))
        return (self.name(path),)

    # -- the file
    def ruleset(self, data: dict[str, Any]) -> Ruleset:
        rs = Ruleset(id=Path(self.file).stem, file=self.file)
        removes: list[Remove] = []
        sources: list[str] = []
        for key, value in data.items():
            path = (key,)
            span = self.span(path, key=True)
            if key in SECTIONS.values():
                self.section(rs, key, value)
                continue
            if key == "order":
                continue  # applied below, once every declaration is read
            if key in ("source", "sources"):
                if any(k in data for k in ("source", "sources") if k != key):
                    raise self.error(path, _("give 'sources' or 'source', not both"), key=True)
                for i, text in enumerate(self.texts(path, value)):
                    rs.header_spans[f"source#{i}"] = self.span((*path, i)) if isinstance(value, list) else span
                    sources.append(text)
                rs.header_spans.setdefault("source", span)
                continue
            rs.header_spans[key] = span
            if key == "ruleset":
                rs.id = self.name(path)
                rs.span = span
            elif key == "title":
                rs.title = self.raw(path)
            elif key == "version":
                rs.version = self.raw(path)
            elif key == "effective":
                try:
                    rs.effective = _dt.date.fromisoformat(value)
                except ValueError:
                    raise self.error(path, _("invalid date {value}", value=value)) from None
            elif key == "extends":
                rs.extends = value
            elif key == "subject":
                rs.subject = self.name(path)
            elif key == "remove":
                for i, entry in enumerate(value):
                    item = (*path, i)
                    removes.append(Remove(entry["kind"], self.name((*item, "name")), self.span(item)))
                    rs.header_spans[f"remove#{i}"] = self.span(item)
        rs.removes = tuple(removes)
        rs.sources = tuple(sources)
        if "order" in data:
            rs.declarations = self.ordered(rs.declarations, data["order"])
        return rs

    def ordered(self, declarations: list[Any], runs: list[Any], prefix: Path_ = ()) -> list[Any]:
        """Declarations in the order `order:` gives (the DSL's order across kinds, which
        decides the order of values in the output and enters the digest).

        A declaration the list leaves out follows the one before it in its section, so
        adding a let to `lets:` without touching `order:` puts it after the other lets.
        """
        by_key = {(SECTIONS[declaration_kind(d)], declaration_name(d)): d for d in declarations}
        placed: list[Any] = []
        seen: dict[tuple[str, str], Path_] = {}
        for i, run in enumerate(runs):
            path: Path_ = (*prefix, "order", i)
            if isinstance(run, str):  # `- summary`
                entries = [(path, "summary", "summary")]
            else:
                section, names = next(iter(run.items()))
                npath = (*path, section)
                listed = self.names(npath, names)
                paths = [(*npath, j) for j in range(len(listed))] if isinstance(names, list) else [npath]
                entries = [(p, section, n) for p, n in zip(paths, listed, strict=True)]
            for p, section, name in entries:
                key = (section, name)
                if key not in by_key:
                    known = [n for s, n in by_key if s == section]
                    what = f"no {section} entry '{name}'" if section != "summary" else "no summary"
                    raise self.error(p, _("order: {what}", what=what) + did_you_mean(name, known), "PE507")
                if key in seen:
                    raise self.error(p, _("order: '{name}' listed twice (first at {value})",
                                          name=name, value=_where(seen[key])), "PE507")
                seen[key] = p
                placed.append(by_key[key])
        # the rest: after the previous declaration of the same section, else before the next
        for d in [d for d in declarations if id(d) not in {id(p) for p in placed}]:
            same = [e for e in declarations if declaration_kind(e) == declaration_kind(d)]
            k = next(j for j, e in enumerate(same) if e is d)
            positions = {id(p): n for n, p in enumerate(placed)}
            earlier = [positions[id(e)] for e in same[:k] if id(e) in positions]
            later = [positions[id(e)] for e in same[k + 1:] if id(e) in positions]
            at = max(earlier) + 1 if earlier else min(later) if later else len(placed)
            placed.insert(at, d)
        return placed

    def section(self, rs: Ruleset, key: str, value: Any, prefix: Path_ = ()) -> None:
        if key == "summary":
            rs.declarations.append(self.summary(value, prefix))
            return
        if key == "rollups":
            for name, body in value.items():
                path = (*prefix, key, name)
                rs.declarations.append(self.rollup(path, self.key_name(path), body))
            return
        build = {"inputs": self.input, "dimensions": self.dimension, "tables": self.table, "lets": self.let,
                 "levels": self.levels, "grades": self.grade, "supervision": self.supervision,
                 "sanctions": self.sanction}[key]
        for name, body in value.items():
            path = (*prefix, key, name)
            rs.declarations.append(build(path, self.key_name(path), body))

    def rollup(self, path: Path_, name: str, body: dict[str, Any]) -> Rollup:
        """`rollups: {单位: {by: 所属单位, inputs: …, lets: …}}`: the sections of a ruleset, one level in."""
        inner = Ruleset(id=name, file=self.file)
        for key, value in body.items():
            if key in SECTIONS.values():
                self.section(inner, key, value, path)
        if "order" in body:
            inner.declarations = self.ordered(inner.declarations, body["order"], path)
        return Rollup(name, self.name((*path, "by")), tuple(inner.declarations), self.declaration_span(path))

    # -- declarations
    def input(self, path: Path_, name: str, body: Any) -> Input:
        type_ = self.type_spec(path, body)
        default = self.default(path, body, type_)
        doc = self.raw((*path, "doc")) if isinstance(body, dict) and "doc" in body else None
        carried = isinstance(body, dict) and body.get("note") is True
        return Input(name, type_, default, doc, self.declaration_span(path), carried=carried)

    def type_spec(self, path: Path_, body: Any) -> TypeSpec:
        if isinstance(body, str):
            return TypeSpec(body)
        kind = _YAML_TYPES[body["type"]]
        for extra, allowed in (("values", ("enum",)), ("fields", ("list",)), ("range", ("range",))):
            if extra in body and kind not in allowed:
                raise self.error((*path, extra), _("'{extra}' does not go with type '{value}'",
                                                   extra=extra, value=body['type']), key=True)
        bounds = [b for b in ("min", "max", "above", "below") if b in body]
        if bounds and kind not in ("number", "integer", "range"):
            raise self.error((*path, bounds[0]), _("a bound needs a number type, not {value}",
                                                   value=body['type']), key=True)
        if ("min" in body and "above" in body) or ("max" in body and "below" in body):
            raise self.error(path, _("{path}: give 'min' or 'above' (and 'max' or 'below'), "
                                     "not both",
                                     path=_where(path)))
        if kind == "enum":
            values = self.texts((*path, "values"), body["values"])
            if len(set(values)) != len(values):
                raise self.error((*path, "values"), _("'one of' lists a value twice"))
            return TypeSpec("enum", values)
        if kind == "list":
            fields = []
            for field_name, spec in body["fields"].items():
                fpath = (*path, "fields", field_name)
                ftype = self.type_spec(fpath, spec)
                fields.append(Field(self.key_name(fpath), ftype, self.default(fpath, spec, ftype),
                                    self.span(fpath, key=True)))
            return TypeSpec("list", fields=tuple(fields))
        low = high = (None, None)
        if kind == "range":
            if "range" in body:
                low, high = (self.declared_number((*path, "range", i)) for i in (0, 1))
            elif ("min" in body or "above" in body) and ("max" in body or "below" in body):
                pass
            else:
                raise self.error(path, _("{path}: a range needs 'range: [low, high]'",
                                         path=_where(path)))
        lower = next((k for k in ("min", "above") if k in body), None)
        upper = next((k for k in ("max", "below") if k in body), None)
        minimum, min_text = self.declared_number((*path, lower)) if lower else low
        maximum, max_text = self.declared_number((*path, upper)) if upper else high
        if minimum is not None and maximum is not None and minimum > maximum:
            raise self.error(path, _("empty range {value}..{value2}",
                                     value=dsl.number(minimum), value2=dsl.number(maximum)), "PE112")
        return TypeSpec(kind, minimum=minimum, maximum=maximum, min_exclusive="above" in body,
                        max_exclusive="below" in body, spelling=(min_text, max_text))

    def declared_number(self, path: Path_) -> tuple[Decimal, str | None]:
        """A default, bound, range end or weight (a number or `15%`), and its spelling when
        the DSL can keep it (`1.50`, `100%`; not YAML-only forms such as `1_000`)."""
        node = self.doc.nodes[path]
        text = str(node.value)
        if _PERCENT.match(text):
            return Decimal(text[:-1]).scaleb(-2), text
        value = self.doc.number(node)
        return value, text if _DSL_NUMBER.match(text) else None

    def default(self, path: Path_, body: Any, type_: TypeSpec) -> Expr | None:
        if not isinstance(body, dict) or "default" not in body:
            return None
        return self.literal((*path, "default"), body["default"], type_)

    def literal(self, path: Path_, value: Any, type_: TypeSpec | None) -> Expr:
        import yaml

        span = self.span(path)
        if isinstance(value, list):
            return ListLiteral(tuple(self.literal((*path, i), v, None) for i, v in enumerate(value)), span)
        node = self.doc.nodes[path]
        if type_ is not None and type_.kind in ("text", "enum") and not isinstance(value, str):
            return Literal(self.raw(path), span)  # `default: 2010` for a text input means "2010"
        if isinstance(node, yaml.ScalarNode) and node.tag == _TAG + "timestamp":
            try:
                return Literal(_dt.date.fromisoformat(node.value), span)
            except ValueError:
                raise self.error(path, _("invalid date {value}", value=node.value)) from None
        if isinstance(value, Decimal) or (isinstance(value, str) and type_ is not None
                                          and type_.kind in ("number", "integer", "range")
                                          and _PERCENT.match(value)):
            # `default: 1.0` or `default: 15%` keeps its spelling, as in the DSL
            number, text = self.declared_number(path)
            return Literal(number, span, text)
        if isinstance(value, (str, bool)):
            return Literal(value, span)
        raise self.error(path, _("{path}: a default is a single value or a list of values",
                                 path=_where(path)))

    def dimension(self, path: Path_, name: str, body: Any) -> Dimension:
        (low, low_text), (high, high_text) = (self.declared_number((*path, "range", i)) for i in (0, 1))
        if low > high:
            raise self.error((*path, "range"), _("empty range {value}..{value2}",
                                                 value=dsl.number(low), value2=dsl.number(high)), "PE112")
        doc = self.raw((*path, "doc")) if "doc" in body else None
        weight, weight_text = self.declared_number((*path, "weight")) if "weight" in body else (Decimal(1), None)
        return Dimension(name, low, high, weight, doc, self.declaration_span(path),
                         (low_text, high_text, weight_text))

    def table(self, path: Path_, name: str, body: Any) -> DecisionTable:
        hit = body.get("hit", "first")
        aggregate = body.get("aggregate")
        if hit.startswith("collect "):  # `hit: collect sum`, as the DSL writes it
            hit, word = hit.split()
            if aggregate is not None and aggregate != word:
                raise self.error((*path, "aggregate"), _("'hit: collect {word}' and 'aggregate: "
                                                         "{aggregate}' disagree: give one of "
                                                         "them",
                                                         word=word, aggregate=aggregate), key=True)
            aggregate = word
        elif "aggregate" in body and hit != "collect":
            raise self.error((*path, "aggregate"), _("'aggregate' goes with 'hit: collect'"), key=True)
        inputs = tuple(self.expr((*path, "inputs", i)) for i in range(len(body["inputs"])))
        outputs = tuple(self.name((*path, "outputs", i)) for i in range(len(body["outputs"])))
        rows = []
        for r, cells in enumerate(body["rows"]):
            rpath = (*path, "rows", r)
            if len(cells) != len(inputs) + len(outputs):
                raise self.error(rpath, _("row has {cells} cells; the table has {inputs} input "
                                          "and {outputs} output columns",
                                          cells=len(cells), inputs=len(inputs), outputs=len(outputs)), "PE107")
            tests = tuple(self.test((*rpath, i)) for i in range(len(inputs)))
            values = tuple(self.expr((*rpath, len(inputs) + i)) for i in range(len(outputs)))
            rows.append(Row(tests, values, self.span(rpath)))
        return DecisionTable(name, inputs, outputs, tuple(rows), hit, aggregate,
                             self.declaration_span(path), self.span((*path, "inputs"), key=True).line)

    def let(self, path: Path_, name: str, body: Any) -> Let:
        return Let(name, self.expr(path), self.declaration_span(path))

    def levels(self, path: Path_, name: str, body: Any) -> GradeScale:
        levels = []
        for i, entry in enumerate(body):
            lpath = (*path, i)
            if isinstance(entry, dict):
                levels.append(Level(self.name((*lpath, "name")), entry.get("color"), self.span(lpath)))
            else:
                levels.append(Level(self.name(lpath), None, self.span(lpath)))
        seen: set[str] = set()
        for i, lv in enumerate(levels):
            if lv.name in seen:
                raise self.error((*path, i), _("level '{name}' listed twice", name=lv.name), "PE102")
            seen.add(lv.name)
        return GradeScale(name, tuple(levels), self.declaration_span(path))

    def grade(self, path: Path_, name: str, body: Any) -> Grade:
        if ("rules" in body) == ("matrix" in body):
            raise self.error(path, _("grade '{name}' needs either 'rules' or 'matrix'", name=name), key=True)
        raises = tuple(self.raise_line((*path, "raises", i), r) for i, r in enumerate(body.get("raises", [])))
        span = self.declaration_span(path)
        if "matrix" in body:
            return Grade(name, (), raises, self.matrix((*path, "matrix"), body["matrix"]), span)
        rules = tuple(self.rule((*path, "rules", i), r) for i, r in enumerate(body["rules"]))
        return Grade(name, rules, raises, None, span)

    def rule(self, path: Path_, body: dict[str, Any]) -> GradeRule:
        kinds = [k for k in ("when", "otherwise", "top", "bottom") if k in body]
        if len(kinds) != 1:
            raise self.error(path, _("{path}: a grade line has exactly one of when, otherwise, "
                                     "top, bottom (found {value})",
                                     path=_where(path), value=', '.join(kinds) or 'none'))
        kind = kinds[0]
        level = self.name((*path, "level"))
        span = self.span(path)
        ranked = kind in ("top", "bottom")
        for extra in ("by", "within"):
            if extra in body and not ranked:
                raise self.error((*path, extra), _("'{extra}' goes with top or bottom", extra=extra), key=True)
        if kind == "when":
            return GradeRule("condition", level, condition=self.expr((*path, "when")), span=span)
        if kind == "otherwise":
            return GradeRule("otherwise", level, span=span)
        if "by" not in body:
            raise self.error(path, _("{path}: '{kind}' needs 'by'", path=_where(path), kind=kind))
        count = body[kind]
        percent = isinstance(count, str)
        if percent:
            count = Decimal(count[:-1])
        within = self.expr((*path, "within")) if "within" in body else None
        return GradeRule(kind, level, count=count, percent=percent, by=self.expr((*path, "by")),
                         within=within, span=span)

    def raise_line(self, path: Path_, body: dict[str, Any]) -> Raise:
        if ("to" in body) == ("steps" in body):
            raise self.error(path, _("{path}: a raise has either 'to' (a level) or 'steps' (a "
                                     "number)",
                                     path=_where(path)))
        condition = self.expr((*path, "when"))
        if "to" in body:
            return Raise(condition, to_level=self.name((*path, "to")), span=self.span(path))
        return Raise(condition, steps=int(body["steps"]), span=self.span(path))

    def matrix(self, path: Path_, body: dict[str, Any]) -> Matrix:
        header = tuple(self.label((*path, "header", i)) for i in range(len(body["header"])))
        rows = []
        spans = []
        for label in body["cells"]:
            cpath = (*path, "cells", label)
            cells = self.names(cpath, body["cells"][label])
            if len(cells) != len(header):
                raise self.error(cpath, _("matrix row has {cells} cells; the header has "
                                          "{header}",
                                          cells=len(cells), header=len(header)),
                                 "PE107")
            rows.append((self.label(cpath, key=True), cells))
            spans.append(self.span(cpath, key=True))
        return Matrix(self.name((*path, "rows")), self.name((*path, "columns")), header, tuple(rows), tuple(spans))

    def label(self, path: Path_, key: bool = False) -> Literal:
        import yaml

        node = self.doc.at(path, key)
        span = _span(self.file, node)
        if isinstance(node, yaml.ScalarNode) and node.tag in (_TAG + "int", _TAG + "float"):
            return Literal(self.doc.number(node), span)
        return Literal(str(node.value), span)

    def supervision(self, path: Path_, name: str, body: Any) -> Supervision:
        lines = []
        for i, entry in enumerate(body):
            lpath = (*path, i)
            if ("level" in entry) == ("otherwise" in entry):
                raise self.error(lpath, _("{lpath}: a supervision line has either 'level' or "
                                          "'otherwise: true'",
                                          lpath=_where(lpath)))
            level = self.name((*lpath, "level")) if "level" in entry else None
            when = self.expr((*lpath, "when")) if "when" in entry else None
            every = None
            if "every" in entry:
                match = _EVERY.match(entry["every"])
                assert match is not None  # the schema's pattern
                if len(match.group(1).lstrip("0")) > MAX_DIGITS:  # as the DSL (int() refuses 4300+)
                    raise self.error((*lpath, "every"), _("number has more than {MAX_DIGITS} "
                                                          "digits",
                                                          MAX_DIGITS=MAX_DIGITS), "PE004")
                n = int(match.group(1))
                if n < 1:
                    raise self.error((*lpath, "every"), _("every N needs a whole number >= 1"), "PE112")
                every = (n, match.group(2))
            by = self.texts((*lpath, "by"), entry["by"])
            lines.append(SupervisionLine(level, by, when, every, self.span(lpath)))
        return Supervision(name, tuple(lines), self.declaration_span(path))

    def sanction(self, path: Path_, name: str, body: Any) -> Sanction:
        if ("for" in body) != ("in" in body):
            raise self.error(path, _("sanction '{name}': 'for' and 'in' go together", name=name), key=True)
        if "where" in body and "for" not in body:
            raise self.error((*path, "where"), _("'where' goes with 'for … in …' (use 'when' "
                                                 "for a condition on the item)"), key=True)
        if "when" in body and "for" in body:
            raise self.error((*path, "when"), _("a sanction has either 'for … in …' or 'when', "
                                                "not both"), key=True)
        var = self.name((*path, "for")) if "for" in body else None
        source = self.expr((*path, "in")) if "in" in body else None
        where = self.expr((*path, "where")) if "where" in body else None
        when = self.expr((*path, "when")) if "when" in body else None
        fine = self.expr((*path, "fine")) if "fine" in body else None
        actions = self.texts((*path, "actions"), body["actions"]) if "actions" in body else ()
        warning = warning_of = None
        if "warning" in body:
            word = self.name((*path, "warning"))
            warning, warning_of = (word, None) if word in COLORS else (None, word)
        lines = tuple((k if k != "actions" else "action", self.span((*path, k), key=True).line)
                      for k in ("fine", "actions", "warning") if k in body)
        return Sanction(name, var, source, where, when, fine, actions, warning, warning_of,
                        self.declaration_span(path), lines)

    def summary(self, value: list[dict[str, Any]], prefix: Path_ = ()) -> Summary:
        lines = []
        for i, entry in enumerate(value):
            lpath = (*prefix, "summary", i)
            if "count by" in entry:
                names = self.names((*lpath, "count by"), entry["count by"])
                if not names:  # the DSL cannot write `count by` with no name either
                    raise self.error((*lpath, "count by"), _("count by needs at least one name"))
                lines.append(SummaryLine("count", names, self.span(lpath)))
            else:
                word = self.raw((*lpath, "sum"))
                if word == "fine":
                    lines.append(SummaryLine("fine", (), self.span(lpath)))
                else:
                    lines.append(SummaryLine("sum", (word.strip("`"),), self.span(lpath)))
        return Summary(tuple(lines), self.declaration_span((*prefix, "summary")))


# ---------------------------------------------------------------- comments in YAML text


def yaml_comments(text: str) -> Iterator[Comment]:
    """`#` comments of a YAML text: a `#` at a line start or after a blank, outside any scalar."""
    import yaml

    if "#" not in text:
        return
    inside: list[tuple[tuple[int, int], tuple[int, int]]] = []
    try:
        for token in yaml.scan(text, Loader=_loader()):
            if isinstance(token, yaml.ScalarToken):
                s, e = token.start_mark, token.end_mark
                inside.append(((s.line, s.column), (e.line, e.column)))
    except yaml.YAMLError:  # pragma: no cover - the text was composed already
        return
    k = 0
    for number, line in enumerate(source_lines(text, yaml=True)):
        start = 0
        while (i := line.find("#", start)) >= 0:
            start = i + 1
            if i and line[i - 1] not in " \t":
                continue
            while k < len(inside) and inside[k][1] <= (number, i):
                k += 1
            if any(a <= (number, i) < b for a, b in inside[k:k + 2]):
                continue
            yield Comment(line[i:].rstrip(), number + 1, own_line=not line[:i].strip(), top_level=i == 0)
            break


# ---------------------------------------------------------------- model -> YAML text


def _spelled(value: Decimal, text: str | None) -> Any:
    """A declared number for the YAML form: as its author wrote it (`100%`, `1.50`), else
    the number itself."""
    return Raw(text) if text is not None else value


class Raw(str):
    """DSL text (an expression or a table cell): may be written plain even if YAML would read it
    as a number or a boolean, since the reader takes the text as written."""


_PLAIN_FIRST = set("-?:,[]{}#&*!|>'\"%@`")
_FLOW_CHARS = set(",[]{}")


def scalar(value: Any, flow: bool = False) -> str:
    """A YAML scalar that reads back as the same value (text quoted only where needed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return dsl.number(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value)
    if _plain_ok(text, flow, isinstance(value, Raw)):
        return text
    if all(ch.isprintable() for ch in text):
        if '"' in text or "\\" in text:
            return "'" + text.replace("'", "''") + "'"
        return '"' + text + '"'
    # double-quoted with escapes for every character YAML would not keep as it is: NEL, LS
    # and PS are line breaks to YAML (folded to spaces), control characters are refused
    return '"' + "".join(_YAML_ESCAPES.get(ch) or (ch if ch.isprintable() else
                         f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
                         for ch in text) + '"'


_YAML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _plain_ok(text: str, flow: bool, raw: bool) -> bool:
    if not text or text != text.strip():
        return False
    if text[0] in _PLAIN_FIRST and not (text[0] == "-" and text[1:2].isdigit()):
        return False
    if ": " in text or " #" in text or text.endswith(":") or "\t" in text:
        return False
    if not all(ch.isprintable() for ch in text):
        return False
    if flow and any(ch in _FLOW_CHARS for ch in text):
        return False
    tag = _resolve(text)
    if tag == _TAG + "str":
        return True
    return raw and tag in (_TAG + "int", _TAG + "float", _TAG + "bool")


@lru_cache(maxsize=4096)
def _resolve(text: str) -> str:
    import yaml

    return yaml.resolver.Resolver().resolve(yaml.ScalarNode, text, (True, False))


def flow(value: Any) -> str:
    """A value as one line of flow YAML."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k, True)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value, flow=True)


class _Writer:
    def __init__(self, rs: Ruleset):
        self.rs = rs
        self.lines: Lines = []
        self.base = 0  # the indentation of the sections being written: 2 inside a rollup

    def add(self, indent: int, text: str, anchor: int = 0, keep_blank: bool = True) -> None:
        if self.lines and self.lines[-1].text.endswith(":"):
            keep_blank = False  # no blank line right below `key:`, the first entry's place
        self.lines.append(Line("  " * (indent + self.base) + text, anchor, keep_blank=keep_blank))

    def entry(self, indent: int, key: str, value: Any, anchor: int = 0, keep_blank: bool = True,
              dash: bool = False) -> None:
        """`key: value` on one line when it fits, else a block mapping/list below the key.
        With `dash`, the entry is a one-key mapping in a list (`- key: value`)."""
        head = f"{'- ' if dash else ''}{scalar(key)}:"
        more = "    " if dash else "  "  # continuation lines: inside the mapping
        one_line = f"{head} {flow(value)}"
        if not isinstance(value, (dict, list)) or width("  " * indent + one_line) <= dsl.MAX_WIDTH:
            self.add(indent, one_line, anchor, keep_blank)
            return
        if isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value):
            # a long list of words: a flow list wrapped over lines, like the DSL's `one of [...]`
            items = [scalar(v, flow=True) for v in value]
            current = f"{head} [{items[0]}"
            for item in items[1:]:
                if width("  " * (indent + 1) + current + ", " + item) > dsl.MAX_WIDTH:
                    self.add(indent, current + ",", anchor, keep_blank)
                    anchor, keep_blank, current = 0, True, more + item
                else:
                    current += ", " + item
            self.add(indent, current + "]", anchor, keep_blank)
            return
        self.add(indent, head, anchor, keep_blank)
        if isinstance(value, dict):
            for k, v in value.items():
                self.entry(indent + 1, k, v)
        else:
            for v in value:
                self.add(indent + 1, f"- {flow(v)}")

    def write(self) -> Lines:
        rs = self.rs
        spans = rs.header_spans

        def at(key: str) -> int:
            return spans[key].line if key in spans else 0

        if "ruleset" in spans:  # else the id comes from the file name (or the parent)
            self.entry(0, "ruleset", rs.id, at("ruleset"))
        if rs.title is not None:
            self.entry(0, "title", rs.title, at("title") if at("title") != at("ruleset") else 0)
        if rs.version is not None:
            self.entry(0, "version", rs.version, at("version"))
        if rs.effective is not None:
            self.entry(0, "effective", rs.effective, at("effective"))
        if rs.extends is not None:
            self.entry(0, "extends", rs.extends, at("extends"))
        if rs.removes:
            self.add(0, "remove:", 0)
            for i, rm in enumerate(rs.removes):
                self.add(1, "- " + flow({"kind": rm.kind, "name": rm.name}), at(f"remove#{i}") or rm.span.line)
        if rs.sources:
            self.add(0, "sources:", at("source") if at("source") != at("source#0") else 0)
            for i, src in enumerate(rs.sources):
                self.add(1, "- " + scalar(src), at(f"source#{i}"))
        if rs.subject != "item" or "subject" in spans:
            self.entry(0, "subject", rs.subject, at("subject"))
        self.sections(rs.declarations)
        return self.lines

    def sections(self, declarations: list[Any]) -> None:
        runs = _runs(declarations)
        # sections in the order their kinds first appear, so a file whose kinds each
        # stand together needs no `order:` (and fmt of a YAML file keeps its sections)
        for kind in dict.fromkeys(kind for kind, _run in runs):
            decls = [d for d in declarations if declaration_kind(d) == kind]
            self.lines.append(BLANK)
            if kind == "summary":
                self.summary(decls[0])
                continue
            self.add(0, f"{SECTIONS[kind]}:")
            for i, d in enumerate(decls):
                if i and kind in ("table", "grade", "supervision", "sanction"):
                    self.lines.append(BLANK)
                getattr(self, kind)(d, i == 0)
        if len(runs) > len({kind for kind, _run in runs}):
            # a kind comes back after another: the declaration order needs saying
            self.lines.append(BLANK)
            self.add(0, "order:")
            for kind, names in runs:
                if kind == "summary":
                    self.add(1, "- summary")
                else:
                    self.entry(1, SECTIONS[kind], names, dash=True)

    def rollup(self, r: Rollup, first: bool) -> None:
        if not first:
            self.lines.append(BLANK)
        self.add(1, f"{scalar(r.name)}:", r.span.line)
        self.add(2, f"by: {scalar(r.by)}")
        self.base += 2
        self.sections(list(r.declarations))
        self.base -= 2

    # -- declarations
    def input(self, d: Input, first: bool) -> None:
        body = self.type_body(d.type, d.default)
        if d.doc is not None:
            body = {**body, "doc": d.doc} if isinstance(body, dict) else {"type": body, "doc": d.doc}
        if d.carried:
            body = {**body, "note": True} if isinstance(body, dict) else {"type": body, "note": True}
        if d.type.kind == "list":
            self.add(1, f"{scalar(d.name)}:", d.span.line, keep_blank=not first)
            for k, v in body.items():  # type: ignore[union-attr]
                self.entry(2, k, v)
        else:
            self.entry(1, d.name, body, d.span.line, keep_blank=not first)

    def type_body(self, t: TypeSpec, default: Expr | None) -> Any:
        kind = {"enum": "one of", "list": "list of"}.get(t.kind, t.kind)
        if t.kind in SIMPLE_TYPES and default is None and t.minimum is None and t.maximum is None:
            return kind
        body: dict[str, Any] = {"type": kind}
        if t.kind == "enum":
            body["values"] = list(t.values)
        elif t.kind == "list":
            body["fields"] = {f.name: self.type_body(f.type, f.default) for f in t.fields}
        low = _spelled(t.minimum, t.spelling[0]) if t.minimum is not None else None
        high = _spelled(t.maximum, t.spelling[1]) if t.maximum is not None else None
        if t.kind == "range" and not (t.min_exclusive or t.max_exclusive):
            body["range"] = [low, high]
        if t.kind != "range" or t.min_exclusive or t.max_exclusive:
            if low is not None:
                body["above" if t.min_exclusive else "min"] = low
            if high is not None:
                body["below" if t.max_exclusive else "max"] = high
        if default is not None:
            body["default"] = _default(default)
        return body

    def dimension(self, d: Dimension, first: bool) -> None:
        body: dict[str, Any] = {"range": [_spelled(d.low, d.spelling[0]), _spelled(d.high, d.spelling[1])]}
        if d.weight != 1:
            body["weight"] = _spelled(d.weight, d.spelling[2])
        if d.doc is not None:
            body["doc"] = d.doc
        self.entry(1, d.name, body, d.span.line, keep_blank=not first)

    def table(self, t: DecisionTable, first: bool) -> None:
        self.add(1, f"{scalar(t.name)}:", t.span.line, keep_blank=not first)
        if t.hit != "first":
            self.add(2, f"hit: {t.hit}")
            if t.aggregate is not None:
                self.add(2, f"aggregate: {t.aggregate}")
        self.add(2, "inputs: " + flow([Raw(dsl.expr(e)) for e in t.inputs]), t.header_line)
        self.add(2, "outputs: " + flow(list(t.outputs)))
        self.add(2, "rows:")
        cells = [[scalar(Raw(dsl.test(x)), True) for x in r.tests] + [scalar(Raw(dsl.expr(o)), True)
                                                                     for o in r.outputs] for r in t.rows]
        for row, texts in zip(t.rows, _aligned(cells), strict=True):
            self.add(3, f"- [{texts}]", row.span.line)

    def let(self, d: Let, first: bool) -> None:
        self.add(1, f"{scalar(d.name)}: {scalar(Raw(dsl.expr(d.expr)))}", d.span.line, keep_blank=not first)

    def levels(self, d: GradeScale, first: bool) -> None:
        value = [{"name": lv.name, "color": lv.color} if lv.color else lv.name for lv in d.levels]
        self.entry(1, d.name, value, d.span.line, keep_blank=not first)

    def grade(self, g: Grade, first: bool) -> None:
        self.add(1, f"{scalar(g.scale)}:", g.span.line, keep_blank=not first)
        if g.matrix is not None:
            m = g.matrix
            self.add(2, "matrix:")
            self.add(3, f"rows: {scalar(m.row_input)}")
            self.add(3, f"columns: {scalar(m.column_input)}")
            self.add(3, "header: " + flow([_label(c) for c in m.columns]))
            self.add(3, "cells:")
            keys = [scalar(_label(label)) + ":" for label, _cells in m.rows]
            key_width = max(width(k) for k in keys)
            rows = _aligned([[scalar(c, True) for c in cells] for _label_, cells in m.rows])
            spans = list(m.row_spans) or [None] * len(m.rows)
            for key, row, span in zip(keys, rows, spans, strict=True):
                self.add(4, f"{dsl.pad(key, key_width)} [{row}]", span.line if span else 0)
        else:
            # a grade of only raises has no lines (check reports it): `rules: []`, not a bare
            # `rules:` that reads as null
            self.add(2, "rules:" if g.rules else "rules: []")
            for r in g.rules:
                self.add(3, "- " + flow(_rule(r)), r.span.line)
        if g.raises:
            self.add(2, "raises:")
            for rz in g.raises:
                body: dict[str, Any] = {"to": rz.to_level} if rz.to_level is not None else {"steps": Decimal(rz.steps)}  # type: ignore[arg-type]
                body["when"] = Raw(dsl.expr(rz.condition))
                self.add(3, "- " + flow(body), rz.span.line)

    def supervision(self, s: Supervision, first: bool) -> None:
        self.add(1, f"{scalar(s.scale)}:", s.span.line, keep_blank=not first)
        for line in s.lines:
            body: dict[str, Any] = {"level": line.level} if line.level is not None else {"otherwise": True}
            if line.when is not None:
                body["when"] = Raw(dsl.expr(line.when))
            body["by"] = list(line.by)
            if line.every is not None:
                n, unit = line.every
                body["every"] = f"{n} {unit}{'s' if n != 1 else ''}"
            self.add(2, "- " + flow(body), line.span.line)

    def sanction(self, s: Sanction, first: bool) -> None:
        self.add(1, f"{scalar(s.name)}:", s.span.line, keep_blank=not first)
        at = dict(s.body_lines)
        if s.source is not None:
            self.add(2, f"for: {scalar(s.var)}")
            self.add(2, f"in: {scalar(Raw(dsl.expr(s.source)))}")
            if s.where is not None:
                self.add(2, f"where: {scalar(Raw(dsl.expr(s.where)))}")
        elif s.when is not None:
            self.add(2, f"when: {scalar(Raw(dsl.expr(s.when)))}")
        if s.fine is not None:
            self.add(2, f"fine: {scalar(Raw(dsl.expr(s.fine)))}", at.get("fine", 0))
        if s.actions:
            self.entry(2, "actions", list(s.actions), at.get("action", 0))
        if s.warning is not None or s.warning_of is not None:
            self.add(2, f"warning: {scalar(s.warning or s.warning_of)}", at.get("warning", 0))

    def summary(self, s: Summary) -> None:
        self.add(0, "summary:", s.span.line)
        for line in s.lines:
            if line.kind == "count":
                self.add(1, "- count by: " + flow(list(line.names)), line.span.line)
            elif line.kind == "fine":
                self.add(1, "- sum: fine", line.span.line)
            else:
                word = line.names[0]
                self.add(1, "- sum: " + scalar(f"`{word}`" if word == "fine" else word), line.span.line)


def _runs(declarations: list[Any]) -> list[tuple[str, list[str]]]:
    """The declarations as runs of one kind: [("input", [a, b]), ("let", [c]), …]."""
    runs: list[tuple[str, list[str]]] = []
    for d in declarations:
        kind = declaration_kind(d)
        if not runs or runs[-1][0] != kind:
            runs.append((kind, []))
        runs[-1][1].append(declaration_name(d))
    return runs


def _aligned(rows: list[list[str]]) -> list[str]:
    """Flow-list contents with columns aligned by display width (padding after each comma)."""
    if not rows:
        return []
    widths = [max(width(r[i]) + 1 for r in rows if i < len(r)) for i in range(max(len(r) for r in rows))]
    out = []
    for r in rows:
        parts = [dsl.pad(cell + ",", widths[i]) if i < len(r) - 1 else cell for i, cell in enumerate(r)]
        out.append(" ".join(parts))
    return out


def _label(lit: Literal) -> Any:
    return lit.value


def _rule(r: GradeRule) -> dict[str, Any]:
    if r.kind == "condition":
        body: dict[str, Any] = {"when": Raw(dsl.expr(r.condition))}  # type: ignore[arg-type]
    elif r.kind == "otherwise":
        body = {"otherwise": True}
    else:
        body = {r.kind: f"{dsl.number(r.count)}%" if r.percent else r.count,  # type: ignore[arg-type]
                "by": Raw(dsl.expr(r.by))}  # type: ignore[arg-type]
        if r.within is not None:
            body["within"] = Raw(dsl.expr(r.within))
    body["level"] = r.level
    return body


def _default(e: Expr) -> Any:
    if isinstance(e, ListLiteral):
        return [_default(i) for i in e.items]
    if isinstance(e, Literal):
        if isinstance(e.value, Decimal) and e.text and e.text != dsl.number(e.value):
            return Raw(e.text)  # `1.0`, `15%`: as the author wrote it (the digest covers it)
        return e.value
    raise ParseError(Diagnostic.at("PE511", _("the YAML form holds only literal defaults (a "
                                              "number, text, true/false, a date or a list of "
                                              "them)"), e.span))


def to_yaml(rs: Ruleset, comments: bool = True) -> str:
    """The ruleset (unresolved) as canonical YAML text, comments kept by source line."""
    lines = _Writer(rs).write()
    if comments:
        # a DSL comment may hold what YAML reads as a line break (NEL, LS, PS, a bare CR):
        # the rest of it would become YAML; it is kept as a space
        kept = tuple(dataclasses.replace(c, text=yaml_comment_text(c.text)) for c in rs.comments)
        lines = with_comments(lines, kept, rs.blank_lines, declaration_ranges(rs))
    return dsl.render(lines)


_YAML_LINE_BREAKS = str.maketrans({"\r": " ", "\x85": " ", "\u2028": " ", "\u2029": " "})
# what YAML refuses anywhere in a file, comments included
_NOT_YAML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def yaml_comment_text(text: str) -> str:
    """A comment as the YAML form can hold it: its line breaks as spaces, the control
    characters YAML refuses as U+FFFD."""
    return _NOT_YAML.sub("\ufffd", text.translate(_YAML_LINE_BREAKS))

"""`fmt` and `convert`: print a ruleset file in canonical form, DSL or YAML, losing nothing.

Both work on one file as written (unresolved: `extends` and `remove` stay).
Before anything is written the output is parsed back and checked: the model
must be the same (spans aside) and every comment of the input must still be
there. A formatter that drops a policy officer's note is worse than none, so
a failed check refuses to write (PE510) instead of doing its best.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import Diagnostic, InternalError, ParseError
from .i18n import _
from .model import KINDS, Comment, Ruleset

FORMS = ("dsl", "yaml")


def form_of(path: str | Path) -> str:
    return "yaml" if Path(path).suffix.lower() in (".yaml", ".yml") else "dsl"


def parse_form(text: str, file: str, form: str) -> Ruleset:
    if form == "yaml":
        from .yamlform import parse_yaml_text

        return parse_yaml_text(text, file)
    from .parse import parse_text

    return parse_text(text, file)


def print_form(rs: Ruleset, form: str) -> str:
    if form == "yaml":
        from .yamlform import to_yaml

        return to_yaml(rs)
    from .dsl import to_dsl

    return to_dsl(rs)


def explicit_id(rs: Ruleset) -> bool:
    """Whether the file names its id. A child without `ruleset` takes its parent's id."""
    return "ruleset" in rs.header_spans


def model_key(rs: Ruleset) -> tuple[Any, ...]:
    """What a ruleset file means, for comparing two forms of it.

    Spans, comments and layout are left out (model nodes compare without their
    spans). The order of declarations counts, across kinds too: it orders the
    values in the output and enters the digest (the YAML form keeps it with `order:`).
    """
    return (rs.id, explicit_id(rs) if rs.extends is not None else None, rs.title, rs.version,
            rs.effective, rs.extends, rs.sources, rs.subject, rs.removes, tuple(rs.declarations))


def differences(a: Ruleset, b: Ruleset) -> list[str]:
    """Readable differences between two models (empty when they mean the same)."""
    from .model import declaration_kind, declaration_name

    out = []
    for field in ("id", "title", "version", "effective", "extends", "sources", "subject", "removes"):
        if getattr(a, field) != getattr(b, field):
            out.append(f"{field}: {getattr(a, field)!r} != {getattr(b, field)!r}")
    if a.extends is not None and explicit_id(a) != explicit_id(b):
        out.append("the id is " + ("no longer" if explicit_id(a) else "now") + " given (a child's id "
                   "comes from its parent unless given)")
    for kind in KINDS:
        left, right = a.of_kind(kind), b.of_kind(kind)
        if left != right:
            names = [declaration_name(d) for d in left]
            changed = [declaration_name(x) for x, y in zip(left, right, strict=False) if x != y]
            out.append(f"{kind}: {', '.join(changed) or 'order or count'} (of {', '.join(names)})")
    if not out and a.declarations != b.declarations:
        def order(rs: Ruleset) -> str:
            return ", ".join(f"{declaration_kind(d)} {declaration_name(d)}" for d in rs.declarations)
        out.append(f"declaration order: {order(a)} != {order(b)}")
    return out


def lost_comments(before: tuple[Comment, ...], after: tuple[Comment, ...]) -> list[Comment]:
    """Comments of `before` whose text is in no comment of `after` (trailing notes may be joined)."""
    from .yamlform import yaml_comment_text

    # compared as the YAML form can hold them: a NEL in a DSL comment becomes a space there
    texts = [yaml_comment_text(c.text) for c in after]
    return [c for c in before if not any(yaml_comment_text(c.text) in t for t in texts)]


@dataclass
class Formatted:
    path: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        lines = difflib.unified_diff(self.before.splitlines(keepends=True), self.after.splitlines(keepends=True),
                                     f"{self.path}", f"{self.path} (formatted)")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
                       for line in lines)


def format_file(path: str | Path) -> Formatted:
    """The canonical text of one ruleset file, in its own form, checked to lose nothing."""
    from .parse import read_source

    text = read_source(path)
    form = form_of(path)
    return Formatted(str(path), text, rewrite(text, str(path), form, form))


def convert_file(path: str | Path, to: str, destination: str | Path | None = None) -> str:
    """`path` in the form `to`; written to `destination` (if given), whose `extends` must
    still reach the same parent from there."""
    from .parse import read_source

    return rewrite(read_source(path), str(path), form_of(path), to,
                   None if destination is None else Path(destination))


def rewrite(text: str, file: str, source_form: str, target_form: str, destination: Path | None = None) -> str:
    """`text` (a ruleset in `source_form`) printed canonically in `target_form`, verified.
    When the text will live at `destination` rather than `file`, a relative `extends` path
    is rewritten so it still names the same parent file."""
    rs = parse_form(text, file, source_form)
    if destination is not None and rs.extends is not None:
        rs = dataclasses.replace(rs, extends=_extends_from(rs.extends, Path(file), destination))
    if target_form == "dsl" and rs.title is not None and rs.extends is not None and not explicit_id(rs):
        # the DSL writes the title on the `ruleset ID "title"` line, which would also fix the
        # id; without it this child takes its parent's id
        raise ParseError(Diagnostic.at(
            "PE512", _("the DSL form gives the title on the 'ruleset' line, which also sets "
                       "the id; add 'ruleset: ID' (the parent's id, which this file now takes) "
                       "before converting"),
            rs.header_spans.get("title")))
    out = print_form(rs, target_form)
    try:
        again = parse_form(out, file, target_form)
    except ParseError as exc:  # pragma: no cover - a printer bug
        raise InternalError(f"the {target_form} printed for {file} does not parse: {exc.render()}") from None
    diffs = differences(rs, again)
    if diffs:  # pragma: no cover - a printer bug
        raise InternalError(f"printing {file} as {target_form} changed its meaning: " + "; ".join(diffs))
    lost = lost_comments(rs.comments, again.comments)
    if lost:
        first = lost[0]
        raise ParseError(Diagnostic(
            "PE510", _("{lost} comment(s) would be lost; nothing was written (please report "
                       "this)", lost=len(lost)),
            file=file, line=first.line, notes=[f"lost: {c.text}" for c in lost[:5]]))
    return out


def _extends_from(extends: str, source: Path, destination: Path) -> str:
    """The `extends` path that names, from `destination`'s folder, the parent that `extends`
    names from `source`'s folder (POSIX separators, as written in rulesets)."""
    parent = Path(os.path.abspath(source.parent / extends))
    shipped = shipped_name(parent)
    if shipped is not None:
        # a shipped parent is named as shipped (`tax@2010`), never by its place in an
        # installation (site-packages), which another machine or version would not have
        return shipped
    moved = os.path.relpath(parent, os.path.abspath(destination.parent))
    return Path(moved).as_posix()


def shipped_name(path: Path) -> str | None:
    """`dept@version` when `path` is one of the shipped ruleset files, else None."""
    from .api import shipped_rulesets

    try:
        real = path.resolve()
    except OSError:
        return None
    for dept, files in shipped_rulesets().items():
        for f in files:
            # the installed file, or the same file in the project's checkout (`rulesets/`, as
            # api._near names it): same department folder, same name, same bytes
            if f.resolve() == real or (real.parent.name == dept and real.name == f.name
                                       and real.is_file() and real.read_bytes() == f.read_bytes()):
                return f"{dept}@{f.stem}"
    return None


def ruleset_files(paths: tuple[str, ...]) -> list[Path]:
    """Files named, and the ruleset files (.policy, .yaml, .yml) under folders named."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.suffix.lower() in (".policy", ".yaml", ".yml")
                          and f.is_file() and not any(part.startswith(".") for part in f.parts))
        else:
            out.append(p)
    return out


def write_in_place(path: Path, text: str) -> None:
    """Replace a file atomically, keeping its permissions (and a symbolic link a link)."""
    from .render import write_atomically

    write_atomically(path, text)

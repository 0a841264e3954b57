"""Stage 2: load a ruleset file (DSL or YAML) and resolve its `extends` chain.

The result is one flat `Ruleset`: the parent's declarations in their order, each
replaced in place by a child declaration of the same kind and name, minus the
child's `remove`s, plus the child's new declarations at the end. Spans keep
pointing at the file each declaration came from.
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import Diagnostic, ParseError, did_you_mean
from .i18n import _
from .model import Ruleset, Span, declaration_kind, declaration_name

MAX_EXTENDS_DEPTH = 32
RULESET_SUFFIXES = (".policy", ".yaml", ".yml")

# Whether `extends` and a case's `ruleset:` may only name files inside the root: the folder
# tree of the file that names them (for `extends`, the first ruleset of the chain), the
# working folder's tree, and the shipped rulesets. The command line turns it on (off with
# --allow-any-path); a library caller decides for itself.
CONFINED = False


def referenced_file(target: Path, start: Path, what: str, span: object = None, file: str | None = None) -> None:
    """Refuse a file named from inside a ruleset or case (`what`: "extends" or "case") that is not a ruleset file,
    or (when CONFINED) lies outside the root of `start`. A hostile `extends "/etc/shadow"`
    would otherwise have the file parsed and its first line printed in the error."""
    from .api import shipped_root

    def refuse(code: str, message: str) -> ParseError:
        if span is not None:
            return ParseError(Diagnostic.at(code, message, span))  # type: ignore[arg-type]
        return ParseError(Diagnostic(code, message, file=file or str(target)))

    if target.suffix.lower() not in RULESET_SUFFIXES:
        raise refuse("PE012", _("extends must name a ruleset file (.policy, .yaml or .yml), not '{name}'",
                                name=target.name) if what == "extends" else
                     _("the case's 'ruleset:' must name a ruleset file (.policy, .yaml or .yml), not '{name}'",
                       name=target.name))
    if not CONFINED:
        return
    real = target.resolve()
    roots = (start.resolve(), Path.cwd().resolve(), shipped_root().resolve())
    if not any(real.is_relative_to(root) for root in roots):
        folder = start.name or str(start)
        raise refuse("PE011", _("extends names a file outside the folders it may read (the folder of {folder}, "
                                "the working folder, the shipped rulesets): pass --allow-any-path to allow it",
                                folder=folder) if what == "extends" else
                     _("the case's 'ruleset:' names a file outside the folders it may read (the folder of "
                       "{folder}, the working folder, the shipped rulesets): pass --allow-any-path to allow it",
                       folder=folder))


def parse_any(path: str | Path) -> Ruleset:
    """Parse one ruleset file, choosing the form by its extension."""
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        from .yamlform import parse_yaml_file

        return parse_yaml_file(path)
    from .parse import parse_file

    return parse_file(path)


def resolve(path: str | Path) -> Ruleset:
    """Parse `path` and everything it extends into one resolved ruleset."""
    return _resolve(Path(path), ())


def _resolve(path: Path, chain: tuple[Path, ...]) -> Ruleset:
    child = parse_any(path)
    if child.extends is None:
        child.lineage = (str(path),)
        return child
    span = child.header_spans.get("extends")
    # normalised, so messages name `rulesets/2020.policy`, not `rulesets/sub/../2020.policy`
    parent_path = Path(os.path.normpath(path.parent / child.extends))
    key = parent_path.resolve()
    if key in chain or key == path.resolve():
        cycle = " -> ".join(str(p.name) for p in (*chain, path.resolve(), key))
        raise ParseError(Diagnostic.at("PE108", _("extends cycle: {cycle}", cycle=cycle), span))
    if len(chain) >= MAX_EXTENDS_DEPTH:
        raise ParseError(Diagnostic.at("PE108", _("extends chain longer than "
                                                  "{MAX_EXTENDS_DEPTH}",
                                                  MAX_EXTENDS_DEPTH=MAX_EXTENDS_DEPTH), span))
    # `extends "tax@2010"`: a shipped ruleset by name (always readable), unless a file of
    # that name stands next to the child
    shipped = _shipped_parent(child.extends, span) if not parent_path.is_file() else None
    if shipped is not None:
        parent_path = shipped
        key = parent_path.resolve()
        if key in chain or key == path.resolve():
            cycle = " -> ".join(str(p.name) for p in (*chain, path.resolve(), key))
            raise ParseError(Diagnostic.at("PE108", _("extends cycle: {cycle}", cycle=cycle), span))
    else:
        referenced_file(parent_path, (chain[0] if chain else path.resolve()).parent, "extends", span)
        if not parent_path.is_file():
            raise ParseError(Diagnostic.at("PE108", _("extends: file not found: {name}", name=child.extends),
                                           span))
    parent = _resolve(parent_path, (*chain, path.resolve()))
    return merge(parent, child)


def merge(parent: Ruleset, child: Ruleset) -> Ruleset:
    """Apply `child` (which extends `parent`) on top of the resolved parent."""
    declarations = list(parent.declarations)
    for rm in child.removes:
        for i, decl in enumerate(declarations):
            if declaration_kind(decl) == rm.kind and declaration_name(decl) == rm.name:
                del declarations[i]
                break
        else:
            names = [declaration_name(d) for d in declarations if declaration_kind(d) == rm.kind]
            raise ParseError(Diagnostic.at(
                "PE109", _("remove {kind} '{name}': the parent has no such {kind}",
                           kind=rm.kind, name=rm.name)
                + did_you_mean(rm.name, names), rm.span))
    index = {(declaration_kind(d), declaration_name(d)): i for i, d in enumerate(declarations)}
    for decl in child.declarations:
        key = (declaration_kind(decl), declaration_name(decl))
        if key in index:
            declarations[index[key]] = decl
        else:
            index[key] = len(declarations)
            declarations.append(decl)
    explicit = child.header_spans
    sources = list(parent.sources) + [s for s in child.sources if s not in parent.sources]
    return Ruleset(
        id=child.id if "ruleset" in explicit else parent.id,
        file=child.file,
        title=child.title if child.title is not None else parent.title,
        version=child.version if child.version is not None else parent.version,
        effective=child.effective if child.effective is not None else parent.effective,
        extends=None,
        sources=tuple(sources),
        subject=child.subject if "subject" in explicit else parent.subject,
        removes=(),
        declarations=declarations,
        comments=child.comments,
        span=child.span,
        header_spans={**parent.header_spans, **child.header_spans},
        lineage=(*parent.lineage, child.file),
    )


def _shipped_parent(extends: str, span: Span | None) -> Path | None:
    """`extends "tax@2010"` (or `extends "tax"`): a shipped ruleset named as on the command
    line, so a county office can build on a shipped method without copying it. A file of
    that name next to the child wins (it is looked for first)."""
    from .api import SHIPPED_NAME, locate_ruleset

    if not SHIPPED_NAME.match(extends) or extends.endswith((".policy", ".yaml", ".yml")):
        return None
    try:
        return locate_ruleset(extends)
    except ParseError as exc:
        # a name, not a path: say which shipped names there are rather than "not a ruleset file"
        d = exc.diagnostics[0]
        raise ParseError(Diagnostic.at("PE108", _("extends: {problem}", problem=d.message), span)) from None

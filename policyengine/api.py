"""The library API (SPEC §8): load, check, compile once, evaluate many.

The CLI is a thin layer over these functions.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .case import Case, load_case
from .check import Analysis, check
from .compile import CompiledRuleset, compile_ruleset
from .errors import Diagnostic, ParseError, did_you_mean
from .i18n import _
from .model import Ruleset
from .resolve import referenced_file, resolve
from .result import Result

SHIPPED_NAME = re.compile(r"^[\w-]+(@[\w.-]+)?$")


def shipped_root() -> Path:
    """Where shipped rulesets live: the installed package, or the source tree."""
    try:
        root = Path(str(resources.files("policyengine.shipped")))
        if root.is_dir():
            return root
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - source checkout without install
        pass
    return Path(__file__).resolve().parent.parent / "rulesets"


def shipped_rulesets() -> dict[str, list[Path]]:
    """Department name -> its ruleset files, oldest version first."""
    out: dict[str, list[Path]] = {}
    root = shipped_root()
    if not root.is_dir():
        return out
    for dept in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))):
        # by version, not by file name: "2011-trend.policy" sorts before "2011.policy" as a name
        files = sorted((f for f in dept.iterdir() if f.suffix in (".policy", ".yaml", ".yml")), key=lambda f: f.stem)
        if files:
            out[dept.name] = files
    return out


def locate_ruleset(ref: str | Path, base: Path | None = None) -> Path:
    """A path (relative to `base` if given) or a shipped name: `tax` (latest) or `tax@2010`."""
    text = str(ref)
    candidates = [Path(text)] if base is None else [Path(os.path.normpath(base / text)), Path(text)]
    for c in candidates:
        if c.is_file():
            if base is not None:  # named inside a case file: a ruleset file, within the root
                referenced_file(c, base, "case")
            return c
    if candidates[0].is_dir():
        raise ParseError(Diagnostic("PE005", _("this is a folder, not a ruleset file"), file=str(candidates[0])))
    if SHIPPED_NAME.match(text) and not text.endswith((".policy", ".yaml", ".yml")):
        dept, _sep, version = text.partition("@")
        shipped = shipped_rulesets()
        if dept in shipped:
            files = shipped[dept]
            if not version:
                return _near(files[-1])
            for f in files:
                if f.stem == version:
                    return _near(f)
            raise ParseError(Diagnostic("PE005", _("no version '{version}' of shipped ruleset "
                                                   "'{dept}' (have: {value})",
                                                   version=version, dept=dept, value=', '.join(f.stem for f in files)), file=text))
        if "/" not in text and not Path(text).suffix:
            raise ParseError(Diagnostic("PE005", _("no such file or shipped ruleset")
                                        + did_you_mean(dept, shipped), file=text))
    raise ParseError(Diagnostic("PE005", _("file not found"), file=str(candidates[0])))


def _near(path: Path) -> Path:
    """A shipped file as a path relative to the working folder when it lies below it,
    so messages read `rulesets/tax/2010.policy:62`, not a machine's absolute path.

    An installed package keeps its copies in site-packages; run from a checkout of the
    project (`pip install .`, then the README's examples), the checkout's `rulesets/`
    folder is named instead when it holds the very same shipped files, byte for byte
    (all of them, so that an `extends` read from there reads the same parent too).
    """
    cwd = Path.cwd()
    try:
        return path.relative_to(cwd)
    except ValueError:
        pass
    local = Path("rulesets") / path.parent.name / path.name
    return local if _checkout_has_shipped_files(cwd / "rulesets") else path


def _checkout_has_shipped_files(local: Path) -> bool:
    """Whether the folder holds every shipped ruleset file, with the same bytes (ten
    files of a few KB: read each time, so an edited checkout is noticed at once)."""
    if not local.is_dir():
        return False
    return all((local / f.parent.name / f.name).is_file()
               and (local / f.parent.name / f.name).read_bytes() == f.read_bytes()
               for files in shipped_rulesets().values() for f in files)


@dataclass
class LoadedRuleset:
    """A resolved, checked and compiled ruleset: evaluate as many cases as you like.

    Compiled code keeps no per-evaluation state, so one instance is safe to share
    between threads.
    """

    model: Ruleset
    analysis: Analysis
    compiled: CompiledRuleset
    path: str
    _traced: CompiledRuleset | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def version(self) -> str | None:
        return self.model.version

    @property
    def warnings(self) -> list[Diagnostic]:
        return self.analysis.warnings

    @property
    def digest(self) -> str:
        return ruleset_digest(self.model)

    def evaluate(self, case: Case | str | Path, progress: Callable[[int], None] | None = None) -> Result:
        """Validate the whole case, then evaluate it. `progress(n)`, if given, is told as
        chunks of work get done (`self.work(case)` steps in all)."""
        from .evaluate import evaluate

        if not isinstance(case, Case):
            case = load_case(case)
        return evaluate(self.compiled, case, self.digest, progress)

    def work(self, case: Case) -> int:
        """The number of steps `evaluate(case, progress)` reports."""
        from .evaluate import work

        return work(self.compiled, len(case.items))

    def traced(self) -> CompiledRuleset:
        """The same ruleset compiled with tracing on (for explain), built on first use."""
        with self._lock:
            if self._traced is None:
                self._traced = compile_ruleset(self.model, self.analysis, trace=True)
            return self._traced

    def schema(self) -> dict[str, Any]:
        from .schema import case_schema

        return case_schema(self.model)


def ruleset_digest(model: Ruleset) -> str:
    """The digest a result records: of the resolved ruleset's canonical text, so comments
    and layout do not change it."""
    from .dsl import to_dsl

    return "sha256:" + hashlib.sha256(to_dsl(model, comments=False).encode("utf-8")).hexdigest()


def load_ruleset(ref: str | Path, base: Path | None = None,
                 compiled: dict[tuple[str, str], LoadedRuleset] | None = None) -> LoadedRuleset:
    """The ruleset `ref` names, resolved, checked and compiled. `compiled`: rulesets
    already compiled in this run, by file and digest; one found there is used again (and
    one compiled now is added), so a run evaluating many earlier cases of one ruleset
    compiles it once (previous.py)."""
    path = locate_ruleset(ref, base)
    model = resolve(path)
    key = (str(path.resolve()), ruleset_digest(model)) if compiled is not None else None
    if compiled is not None and key in compiled:
        return compiled[key]
    analysis = check(model)
    loaded = LoadedRuleset(model, analysis, compile_ruleset(model, analysis), str(path))
    if compiled is not None and key is not None:
        compiled[key] = loaded
    return loaded


def ruleset_from_text(text: str, file: str = "<string>") -> LoadedRuleset:
    """Parse, check and compile DSL text that does not use `extends` (notebooks, tests)."""
    from .parse import parse_text

    model = parse_text(text, file)
    if model.extends is not None:
        raise ParseError(Diagnostic.at("PE108", _("extends needs a ruleset file, not text"),
                                       model.header_spans.get("extends")))
    analysis = check(model)
    return LoadedRuleset(model, analysis, compile_ruleset(model, analysis), file)


def analyse_file(ref: str | Path) -> tuple[Ruleset, Analysis]:
    """Resolve and analyse without raising on check errors (for `policyengine check`)."""
    from .check import analyse

    model = resolve(locate_ruleset(ref))
    return model, analyse(model)

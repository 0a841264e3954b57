"""policyengine: integrity-risk assessment methods (廉政风险防控) as rulesets, not code.

    import policyengine as pe
    rs = pe.load_ruleset("tax@2010")
    result = rs.evaluate(pe.load_case("cases/tax/luoyang-2010.yaml"))

Imports are lazy so that `policyengine --help` starts fast.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import CaseError, CheckError, EvaluationError, ParseError, PolicyError

__all__ = [
    "Case",
    "CaseError",
    "CheckError",
    "EvaluationError",
    "ParseError",
    "PolicyError",
    "compare",
    "diff",
    "explain",
    "load_case",
    "load_ruleset",
    "read_result",
]

__version__ = "0.1.0"


_ERRORS = frozenset({"CaseError", "CheckError", "EvaluationError", "ParseError", "PolicyError"})


def __getattr__(name: str) -> Any:
    if name in _ERRORS:  # lazily too: `policyengine --help` needs no dataclasses, no difflib
        from . import errors

        return getattr(errors, name)
    if name in ("load_ruleset", "LoadedRuleset"):
        from . import api

        return getattr(api, name)
    if name in ("Case", "load_case"):
        from . import case

        return getattr(case, name)
    if name == "diff":
        from .diff import diff

        return diff
    if name == "explain":
        from .explain import explain

        return explain
    if name == "compare":
        from .compare import compare

        return compare
    if name == "read_result":
        from .results import read_result

        return read_result
    raise AttributeError(name)


# `pe.explain`, `pe.diff` and `pe.compare` are functions that live in submodules of the same name.
# Importing a submodule makes Python set the package attribute to the module, which
# would hide the function from then on (`pe.explain(...)` -> "'module' object is not
# callable"); ignoring that one assignment keeps `__getattr__` answering with the function.
_FUNCTIONS_IN_SUBMODULES = frozenset({"explain", "diff", "compare"})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _FUNCTIONS_IN_SUBMODULES and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

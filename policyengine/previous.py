"""Earlier results as inputs of an evaluation (`eval --previous FILE`, a case's `previous:`).

Each earlier result must be of the ruleset being evaluated (the same ruleset id; its
version may be older) and of an earlier period than the case; several earlier results
must be of distinct periods, which orders them. Anything else (another ruleset, a later
or overlapping period, a period that cannot be placed in time) is a located error, never
a guess. The result then records which files it used and their ruleset digests.

For now they feed the reviews due (`reviews.py`): an item that an earlier result lists was
reviewed in that period. Rules reading earlier values (`previous.综合得分`) come with the
language work of issue 16.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

from .case import Case
from .errors import CaseError, Diagnostic
from .period import EARLIER, order, parse_period
from .results import ResultFile, ResultFileError, read_result

PERIOD_FORMS = ("periods are years (2010), half years (2010H1), quarters (2010Q3, 2010年第三季度), "
                "months (2010-05) or dates")


def previous_paths(case: Case, given: Sequence[str | Path] = ()) -> list[str]:
    """The earlier result files of a case: those given on the command line, then those its
    `previous:` header lists (relative to the case file); each once."""
    paths = [str(p) for p in given]
    if case.previous:
        base = Path(case.file).parent if case.file else Path(".")
        paths += [os.path.normpath(base / p) for p in case.previous]
    seen: set[Path] = set()
    out = []
    for p in paths:
        key = Path(p).resolve()
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def load_previous(paths: Sequence[str | Path], ruleset_id: str, case: Case) -> list[ResultFile]:
    """Read and check the earlier results of `case`, oldest first."""
    files = [read_result(p) for p in paths]
    for f in files:
        if f.ruleset["id"] != ruleset_id:
            raise f.error("PE353", f"this earlier result is of ruleset '{f.ruleset['id']}', not of "
                          f"'{ruleset_id}', which evaluates {case.file or 'the case'}", ["ruleset", "id"])
    if not files:
        return files
    here = parse_period(case.period) if case.period is not None else None
    if case.period is not None and here is None:
        raise _case_period_error(case, f"the case's period '{case.period}' cannot be placed in time, so whether "
                                 "the earlier results come before it is unknown")
    periods = []
    for f in files:
        raw = f.result.case.get("period")
        p = parse_period(raw)
        if p is None:
            what = "records no period" if raw is None else f"is of period '{raw}', which cannot be placed in time"
            raise f.error("PE354", f"this earlier result {what}: its order among the periods is unknown",
                          ["case", "period"] if raw is not None else ["case"], notes=[PERIOD_FORMS])
        if here is not None and order(p, here) != EARLIER:
            raise f.error("PE354", f"this result is of period {raw}, which does not come before the case's "
                          f"period {case.period} ({case.file}): an earlier result must be of an earlier period",
                          ["case", "period"])
        periods.append(p)
    ranked = sorted(zip(periods, files, strict=True), key=lambda pf: (pf[0].start, pf[0].end))
    for (p, f), (q, g) in pairwise(ranked):
        if order(p, q) != EARLIER:
            raise g.error("PE354", f"this result's period {q} {'is' if str(p) == str(q) else 'overlaps'} "
                          f"that of {f.file} ({p}): earlier results must be of distinct periods",
                          ["case", "period"])
    return [f for _, f in ranked]


def _case_period_error(case: Case, message: str) -> CaseError:
    from .case import locate

    line, column = locate(case, ["period"])
    return ResultFileError(Diagnostic("PE354", message, file=case.file, line=line, column=column,
                                      notes=[PERIOD_FORMS]))


def recorded(files: Sequence[ResultFile]) -> list[dict[str, Any]]:
    """What a result records about the earlier results it used: file, ruleset, period."""
    return [f.identity() for f in files]

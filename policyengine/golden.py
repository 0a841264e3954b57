"""Golden regression suites (`policyengine test`): hand-checked `expect` blocks and
recorded `<case>.expected.json` snapshots, checked every time a ruleset changes.

A *test* is one case file. It passes when every expectation it carries holds:
the inline `expect` entries (partial: only the listed fields of the listed items),
the `expect_summary` block (partial too) and, when one sits next to the case file,
the snapshot (the full SPEC §5 JSON, compared structurally). A case or ruleset that
cannot be loaded or evaluated is a failed test showing its diagnostic, so one broken
file never hides the results of the others.

Snapshots are kept portable: the case file is recorded relative to the snapshot and
the ruleset digest is not compared (a reformatted ruleset with the same results is
not a regression; a changed digest is reported as a note).
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import linecache
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

from .api import LoadedRuleset, load_ruleset, locate_ruleset
from .case import Case, load_case, validate
from .compile import CompiledRollup, CompiledRuleset
from .errors import CaseError, Diagnostic, PolicyError, did_you_mean
from .evaluate import Units, all_compiled_rollups, evaluate, every_rollup, item_layout, run
from .i18n import N_, _
from .model import DecisionTable, Grade, Ruleset, Span, Supervision, all_rollups, rollup_ruleset
from .render import to_json
from .result import ItemResult, Result
from .runtime import format_number

SNAPSHOT_SUFFIX = ".expected.json"
CASE_SUFFIXES = (".yaml", ".yml", ".json", ".csv", ".xlsx")
# Per-item expectation keys that are not ruleset names.
ITEM_KEYS = ("fine", "sanctions", "warning", "supervision", "name")
# A file that fails to load still counts as a golden case when it visibly carries an expect block.
_LOOKS_GOLDEN = re.compile(r"""(?m)^\s*["']?expect(?:_summary|_units|_units_summary)?["']?\s*:""")
_MISSING = object()


def default_paths() -> tuple[str, ...]:
    """Where `policyengine test` looks when given no PATH: the `cases/` folder of a
    repository laid out as SPEC §1 says, or else the working folder itself (a scratch
    folder holding a case and its ruleset)."""
    return ("cases",) if Path("cases").is_dir() else (".",)


def snapshot_path(case_path: Path) -> Path:
    """`foo.yaml` -> `foo.expected.json`, next to the case file."""
    return case_path.with_name(case_path.stem + SNAPSHOT_SUFFIX)


# ---------------------------------------------------------------- discovery


@dataclass
class GoldenCase:
    """A case file the suite will run: loaded, or the error that stopped loading it."""

    path: Path
    case: Case | None = None
    error: PolicyError | None = None
    explicit: bool = False  # named on the command line rather than found in a folder

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def snapshot(self) -> Path:
        return snapshot_path(self.path)

    def has_expectations(self) -> bool:
        c = self.case
        return c is not None and (bool(c.expect) or c.expect_summary is not None or bool(c.expect_units)
                                  or c.expect_units_summary is not None)


def discover(paths: Sequence[str | Path], pattern: str | None = None, update: bool = False,
             missing_ok: bool = False) -> list[GoldenCase]:
    """The golden cases under `paths` (files or folders, searched recursively), sorted.

    A case is a test when it has an `expect`/`expect_summary` block or a snapshot; with
    `update`, every case that names a ruleset is one (its snapshot will be created).
    `pattern` keeps the cases whose path contains it (case-insensitive).
    """
    found: dict[Path, GoldenCase] = {}
    for given in paths:
        root = Path(given)
        if root.is_file():
            found.setdefault(root.resolve(), GoldenCase(root, explicit=True))
        elif root.is_dir():
            for f in _case_files(root):
                found.setdefault(f.resolve(), GoldenCase(f))
        elif not missing_ok:
            raise CaseError(Diagnostic("PE601", _("no such file or folder"), file=str(root)))
    wanted = pattern.casefold() if pattern else None
    out = []
    for golden in sorted(found.values(), key=lambda g: g.name):
        if wanted is not None and wanted not in golden.name.casefold():
            continue
        if _is_test(golden, update):
            out.append(golden)
    return out


# Folders that hold tools' own YAML/JSON files, never case files: searching the working
# folder must not load every file of an installed package as a would-be case.
_NOT_CASE_FOLDERS = frozenset({"node_modules", "site-packages", "dist-packages"})


def _case_files(root: Path) -> Iterable[Path]:
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith((".", "_")) and d not in _NOT_CASE_FOLDERS
                            and not (Path(directory) / d / "pyvenv.cfg").is_file())
        for name in sorted(files):
            if name.endswith(CASE_SUFFIXES) and not name.endswith(SNAPSHOT_SUFFIX) and not name.startswith("."):
                yield Path(directory) / name


def _is_test(golden: GoldenCase, update: bool) -> bool:
    try:
        golden.case = load_case(golden.path)
    except PolicyError as exc:
        golden.error = exc
        return golden.explicit or golden.snapshot.is_file() or _looks_golden(golden.path)
    if golden.explicit or golden.has_expectations() or golden.snapshot.is_file():
        return True
    return update and golden.case.ruleset is not None


def _looks_golden(path: Path) -> bool:
    try:
        return bool(_LOOKS_GOLDEN.search(path.read_text(encoding="utf-8", errors="replace")))
    except OSError:
        return False


# ---------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Failure:
    """One expectation that did not hold, or one error that stopped the test."""

    message: str
    item: str | None = None
    field: str | None = None
    source: str = "expect"  # expect, expect_summary, snapshot, error

    def render(self) -> str:
        parts = []
        if self.source == "snapshot":
            parts.append(_("snapshot"))
        elif self.source == "expect_summary":
            parts.append(_("summary"))
        if self.item is not None:
            parts.append(_("item {id}", id=self.item))
        text = _("{field}: {message}", field=self.field, message=self.message) if self.field else self.message
        return "  ".join([*parts, text])


@dataclass
class Outcome:
    """The result of one test (one case file)."""

    path: str
    status: str = "passed"  # passed, failed, skipped
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checks: int = 0  # expectations compared (each inline field, each summary entry)
    snapshot: str | None = None  # "checked", "created", "updated", "unchanged"
    ruleset: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def render(self, notes_only: bool = False) -> str:
        """What the command line prints for this test (only its notes: for `test --quiet`)."""
        notes = [_("     {path}  note: {note}", path=self.path, note=n) for n in self.notes]
        if notes_only:
            return "\n".join(notes)
        if self.status == "skipped":
            return _("SKIP {path}  no expect block and no snapshot", path=self.path)
        if self.status == "passed":
            what = [_("1 expectation") if self.checks == 1 else _("{count} expectations", count=self.checks)
                    ] if self.checks else []
            if self.snapshot:
                what.append(_(SNAPSHOT_STATES[self.snapshot]))
            lines = [_("PASS {path}  ({checked})", path=self.path, checked=", ".join(what)) if what
                     else _("PASS {path}", path=self.path)]
        else:
            lines = []
            for f in self.failures:
                head, *rest = f.render().split("\n")
                lines.append(_("FAIL {path}  {failure}", path=self.path, failure=head))
                lines.extend("    " + r for r in rest)
        return "\n".join(lines + notes)


# what a passed test says of its snapshot, by Outcome.snapshot
SNAPSHOT_STATES = {"checked": N_("snapshot"), "created": N_("snapshot created"), "updated": N_("snapshot updated"),
                   "unchanged": N_("snapshot unchanged")}


@dataclass
class SuiteReport:
    outcomes: list[Outcome]
    coverage: Coverage | None = None
    written: list[tuple[str, str]] = field(default_factory=list)  # (snapshot, "created"/"updated …")

    @property
    def passed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "passed")

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "failed")

    @property
    def skipped(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "skipped")

    @property
    def tested(self) -> int:
        """Tests that checked something: a run of skipped files only has found no test."""
        return self.passed + self.failed

    def summary_line(self) -> str:
        if self.skipped:
            return _("{passed} passed, {failed} failed, {skipped} skipped", passed=self.passed,
                     failed=self.failed, skipped=self.skipped)
        return _("{passed} passed, {failed} failed", passed=self.passed, failed=self.failed)


# ---------------------------------------------------------------- running


@dataclass
class _Entry:
    loaded: LoadedRuleset
    digest: str


class RulesetCache:
    """Each ruleset of a suite is resolved, checked and compiled once, however many cases use it."""

    def __init__(self) -> None:
        self._by_path: dict[Path, _Entry | PolicyError] = {}

    def get(self, ref: str, base: Path) -> _Entry:
        # `cases/tax/../../rulesets/tax/2010.policy` reads better as `rulesets/tax/2010.policy`
        # in diagnostics and coverage, so the located path is normalised before loading.
        path = Path(os.path.normpath(locate_ruleset(ref, base)))
        key = path.resolve()
        entry = self._by_path.get(key)
        if entry is None:
            try:
                loaded = load_ruleset(path)
                entry = _Entry(loaded, loaded.digest)
            except PolicyError as exc:
                entry = exc
            self._by_path[key] = entry
        if isinstance(entry, PolicyError):
            raise entry
        return entry


def run_suite(paths: Sequence[str | Path], pattern: str | None = None, update: bool = False,
              coverage: bool = False, missing_ok: bool = False,
              on_outcome: Callable[[Outcome], None] | None = None) -> SuiteReport:
    """Discover and run every golden case under `paths`; see `discover` for the options."""
    goldens = discover(paths, pattern, update, missing_ok)
    cache = RulesetCache()
    report = SuiteReport([], Coverage() if coverage else None)
    for golden in goldens:
        outcome = check_case(golden, cache, update=update, coverage=report.coverage)
        report.outcomes.append(outcome)
        if outcome.snapshot in ("created", "updated"):
            report.written.append((str(golden.snapshot), outcome.snapshot))
        if on_outcome is not None:
            on_outcome(outcome)
    return report


def check_case(golden: GoldenCase | str | Path, cache: RulesetCache | None = None, update: bool = False,
               coverage: Coverage | None = None) -> Outcome:
    """Run one golden case: evaluate it and compare with its expectations and snapshot."""
    if not isinstance(golden, GoldenCase):
        golden = GoldenCase(Path(golden), explicit=True)
        _is_test(golden, update)
    cache = cache or RulesetCache()
    outcome = Outcome(golden.name)
    has_snapshot = golden.snapshot.is_file()
    if golden.error is not None:
        return _failed(outcome, golden.error)
    case = golden.case
    assert case is not None
    if not (golden.has_expectations() or has_snapshot or update):
        outcome.status = "skipped"
        return outcome
    if case.ruleset is None:
        return _failed(outcome, PolicyError(Diagnostic(
            "PE602", _("this case file names no ruleset: add a `ruleset:` line (a path "
                       "relative to the case file, or a shipped name such as tax@2010)"), file=golden.name)))
    rivals = _sharing_snapshot(golden.path) if (has_snapshot or update) else []
    if rivals:
        # `a.yaml` and `a.json` both map to `a.expected.json`: one would overwrite the other's
        # snapshot and each would then fail against the other's result
        outcome.status = "failed"
        outcome.failures.append(Failure(
            _("{name} would be the snapshot of this case file and of {others}: rename one of them (nothing was "
              "written)", name=golden.snapshot.name, others=", ".join(r.name for r in rivals)), source="snapshot"))
        return outcome
    try:
        entry = cache.get(case.ruleset, golden.path.parent)
        outcome.ruleset = entry.loaded.path
        evaluation = _evaluate(entry, case, coverage)
    except PolicyError as exc:
        return _failed(outcome, exc)
    result = evaluation.result
    result.case["file"] = os.path.relpath(golden.path, golden.snapshot.parent)
    if case.expect:
        outcome.checks += check_expect(case.expect, evaluation, outcome.failures)
    if case.expect_summary is not None:
        outcome.checks += check_summary(case.expect_summary, result.summary, outcome.failures)
    if case.expect_units or case.expect_units_summary:
        outcome.checks += check_units(case, evaluation, outcome.failures)
    if update:
        outcome.snapshot = _write_snapshot(golden.snapshot, result)
    elif has_snapshot:
        outcome.snapshot = "checked"
        failures, notes = compare_snapshot(golden.snapshot, result)
        outcome.failures += failures
        outcome.notes += notes
    if outcome.failures:
        outcome.status = "failed"
    return outcome


def check_units(case: Case, evaluation: Evaluation, out: list[Failure]) -> int:
    """`expect_units: {单位: {甲局: {…}}}` and `expect_units_summary: {单位: {…}}`: a rollup's
    units checked as `expect` checks items, its summary as `expect_summary` does."""
    checks = 0
    rollups = {cr.rollup.name: cr for cr in all_compiled_rollups(evaluation.compiled)}
    for block in ("expect_units", "expect_units_summary"):
        for name, expected in (getattr(case, block) or {}).items():
            name = str(name)
            rollup = evaluation.result.rollups.get(name)
            if rollup is None:
                out.append(Failure(_("{block}: the ruleset has no rollup '{name}'",
                                     block=block, name=name) + did_you_mean(name, rollups),
                                   source="error"))
                continue
            found: list[Failure] = []
            if block == "expect_units_summary":
                checks += check_summary(expected, rollup.summary, found)
            elif not isinstance(expected, dict):
                found.append(Failure(_("expect_units: '{name}' must map unit ids to expected "
                                       "fields", name=name)))
            else:
                cr = rollups[name]
                # the units' own inputs, for expectations about them, as `units:` gives them
                section = Case(items=(case.units or {}).get(name) or [], file=case.file, section=("units", name))
                units = Evaluation(Result(evaluation.result.ruleset, evaluation.result.case, rollup.units,
                                          rollup.summary), cr.compiled, section)
                checks += check_expect(expected, units, found)
            # said of the rollup: `单位 甲局  指数: expected 20, got 18`
            out += [dataclasses.replace(f, item=f"{name} {f.item}" if f.item else name, source="expect")
                    if block == "expect_units" else f for f in found]
    return checks


def _sharing_snapshot(path: Path) -> list[Path]:
    """Other case files beside `path` with the same name but another extension."""
    rivals = []
    for suffix in CASE_SUFFIXES:
        other = path.with_suffix(suffix)
        if suffix != path.suffix and other.is_file():
            try:
                load_case(other)
            except PolicyError:
                continue  # not a case file (a data file that happens to share the name)
            rivals.append(other)
    return rivals


def _failed(outcome: Outcome, exc: PolicyError) -> Outcome:
    outcome.status = "failed"
    outcome.failures.append(Failure(_("could not be loaded or evaluated:\n") + exc.render(), source="error"))
    return outcome


@dataclass
class Evaluation:
    """A case's result, and what expectations about inputs need (inputs are not part of
    the result, so the case's validated rows are kept for them, built on first use)."""

    result: Result
    compiled: CompiledRuleset
    case: Case
    _inputs: dict[str, dict[str, Any]] | None = field(default=None, repr=False)

    def inputs_of(self, item_id: str) -> dict[str, Any]:
        if self._inputs is None:
            rows, ids, _names = validate(self.case, item_layout(self.compiled))
            slots = {d.name: self.compiled.slots[d.name] for d in self.compiled.inputs}
            self._inputs = {i: {n: row[slot] for n, slot in slots.items()} for i, row in zip(ids, rows, strict=True)}
        return self._inputs.get(item_id, {})

    def input_names(self) -> list[str]:
        return [d.name for d in self.compiled.inputs]

    def levels(self, scale: str) -> list[str] | None:
        for s in self.compiled.ruleset.scales:
            if s.name == scale:
                return [lv.name for lv in s.levels]
        return None


def _evaluate(entry: _Entry, case: Case, coverage: Coverage | None) -> Evaluation:
    """Evaluate exactly as `policyengine eval` does, so a snapshot is its JSON. Coverage
    needs the trace, which only a second, traced run records (kept apart so the result
    never depends on whether coverage was asked for)."""
    compiled = entry.loaded.compiled
    result = evaluate(compiled, case, entry.digest)
    if coverage is not None:
        traced = entry.loaded.traced()
        done: Units = {}
        rows, ids, _names = run(traced, case, units=done)
        units = [(cr, made[0]) for cr, made in every_rollup(traced, case, rows, ids, done)]
        coverage.record(entry.loaded, traced, rows, units)
    return Evaluation(result, compiled, case)


# ---------------------------------------------------------------- comparing values


def _is_number(v: Any) -> bool:
    return isinstance(v, (Decimal, int, float)) and not isinstance(v, bool)


def _decimal(v: Any) -> Decimal:
    return v if isinstance(v, Decimal) else Decimal(str(v))


def same(expected: Any, actual: Any) -> bool:
    """Equal as a policy officer means it: numbers by value (109.2 == 109.20), dates
    equal to their ISO text, lists and mappings element by element."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if _is_number(expected) and _is_number(actual):
        return _decimal(expected) == _decimal(actual)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return (set(map(str, expected)) == set(map(str, actual))
                and all(same(v, _get(actual, k)) for k, v in expected.items()))
    if isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple)):
        return len(expected) == len(actual) and all(same(e, a) for e, a in zip(expected, actual, strict=True))
    if isinstance(expected, _dt.date) and isinstance(actual, str):
        return expected.isoformat() == actual
    if isinstance(actual, _dt.date) and isinstance(expected, str):
        return actual.isoformat() == expected
    if _is_number(expected) or _is_number(actual):
        return False
    return bool(expected == actual)


def _get(mapping: dict[Any, Any], key: Any) -> Any:
    if key in mapping:
        return mapping[key]
    for k, v in mapping.items():
        if str(k) == str(key):
            return v
    return _MISSING


def shown(value: Any) -> str:
    """A value as a policy officer would write it: 109.2, 高风险, [接受吃请], null."""
    if value is _MISSING:
        return "nothing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return format_number(_decimal(value))
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        # quote text that would otherwise read as a number, a flag, null or nothing at all
        if not value or value != value.strip() or re.fullmatch(r"-?\d+(\.\d+)?|true|false|null|nothing", value):
            return json.dumps(value, ensure_ascii=False)
        return value
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {shown(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(shown(v) for v in value) + "]"
    return str(value)


def mismatch(expected: Any, actual: Any) -> str:
    text = _("expected {expected}, got {actual}", expected=shown(expected), actual=shown(actual))
    if _is_number(expected) and _is_number(actual):
        delta = _decimal(actual) - _decimal(expected)
        text += _(" (difference {delta})", delta=("+" if delta > 0 else "") + format_number(delta))
    elif isinstance(expected, str) and _is_number(actual) and _same_number(expected, actual):
        # `fine: "3000"`: the quotes make it a text, which never equals the number 3000
        text += _(" (the quotes make {expected} a text: write {plain} without them)", expected=shown(expected),
                  plain=expected.strip())
    return text


def _same_number(text: str, number: Any) -> bool:
    if not re.fullmatch(r"\s*-?\d+(\.\d+)?\s*", text):
        return False
    return Decimal(text.strip()) == _decimal(number)


# ---------------------------------------------------------------- inline expect


def check_expect(expect: dict[str, Any], evaluation: Evaluation, out: list[Failure]) -> int:
    """Compare the `expect` block (item id -> {key: value}) with the result; return how
    many fields were compared. Failures (including unknown ids and keys) go to `out`."""
    by_id = {item.id: item for item in evaluation.result.items}
    inputs = evaluation.input_names()
    checks = 0
    for item_id, fields in expect.items():
        item_id = shown(item_id) if not isinstance(item_id, str) else item_id
        item = by_id.get(item_id)
        if item is None:
            out.append(Failure(_("no such item in the case") + did_you_mean(item_id, by_id), item=item_id))
            continue
        if not isinstance(fields, dict):
            out.append(Failure(_("the expectation must map field names to values, not {fields}",
                                 fields=shown(fields)),
                               item=item_id))
            continue
        for key, expected in _flattened(fields, item, inputs):
            checks += 1
            if key in ("sanctions", "supervision") and isinstance(expected, str) and key not in item.values:
                expected = [expected]  # one name needs no list brackets
            actual = _actual_field(item, key, evaluation, inputs)
            if (key in ("sanctions", "supervision") and key not in item.values and isinstance(expected, list)
                    and any(isinstance(e, dict) for e in expected)):
                actual = _entries(item, key, expected)
            elif key in item.grades and key not in item.values and isinstance(expected, dict):
                # the §5 shape of a grade, `{level: 高风险, rank: 3}`: the keys written are checked
                grade = item.grades[key].to_dict()
                actual = {str(k): grade.get(str(k), _MISSING) for k in expected}
            if isinstance(actual, _Unknown):
                out.append(Failure(actual.message, item=item_id, field=key))
            elif not same(expected, actual):
                out.append(Failure(mismatch(expected, actual) + _level_note(evaluation, key, expected),
                                   item=item_id, field=key))
    return checks


def _flattened(fields: dict[Any, Any], item: ItemResult, inputs: list[str]) -> Iterable[tuple[str, Any]]:
    """The expectation's (key, value) pairs. An item may also be written in the §5 shape,
    `{values: {综合得分: 109.2}, grades: {风险档次: 高风险}}` (as copied from `eval`'s JSON):
    the names inside `values` and `grades` are then checked like keys of their own."""
    declared = {*item.values, *inputs, *item.grades}
    for key, expected in fields.items():
        key = str(key)
        if key in ("values", "grades") and key not in declared and isinstance(expected, dict):
            for name, value in expected.items():
                yield str(name), value
        else:
            yield key, expected


def _entries(item: ItemResult, key: str, expected: list[Any]) -> list[Any]:
    """The item's sanction firings or supervision lines as §5 entries, each cut down to the
    keys its expectation names, so `sanctions: [{rule: 接受吃请, fine: 8000}]` checks rule
    and fine only (a plain name stands for the rule of a firing); entries beyond the
    expected ones are shown in brief."""
    entries = [e.to_dict() for e in (item.sanctions if key == "sanctions" else item.supervision)]
    out: list[Any] = []
    for i, entry in enumerate(entries):
        wanted = expected[i] if i < len(expected) else None
        if isinstance(wanted, dict):
            out.append({str(k): entry.get(str(k), _MISSING) for k in wanted})
        elif isinstance(wanted, str) and key == "sanctions":
            out.append(entry["rule"])
        else:
            out.append(_brief(entry))
    return out


@dataclass(frozen=True)
class _Unknown:
    message: str


def _actual_field(item: ItemResult, key: str, evaluation: Evaluation, inputs: list[str]) -> Any:
    """The value an expectation key names, or `_Unknown` with a did-you-mean."""
    if key in item.values:
        return item.values[key]
    if key in inputs:
        return evaluation.inputs_of(item.id).get(key)
    if key in item.grades:
        return item.grades[key].level
    if key == "fine":
        return item.fine
    if key == "sanctions":
        return [s.rule for s in item.sanctions]
    if key == "warning":
        return item.warning
    if key == "supervision":
        return [who for s in item.supervision for who in s.by]
    if key == "name":
        return item.name
    head, dot, tail = key.rpartition(".")
    if dot:
        if head in item.grades and tail in ("rank", "color", "level"):
            return getattr(item.grades[head], tail)
        value = item.values.get(head)
        if isinstance(value, dict) and tail in value:
            return value[tail]
    known = [*item.values, *inputs, *item.grades, *ITEM_KEYS, *(f"{g}.rank" for g in item.grades)]
    return _Unknown(_("unknown field '{key}'", key=key) + did_you_mean(key, known)
                    + _("; expect can name inputs, values, grades, <grade>.rank, {keys}", keys=", ".join(ITEM_KEYS)))


def _level_note(evaluation: Evaluation, key: str, expected: Any) -> str:
    levels = evaluation.levels(key)
    if levels is not None and isinstance(expected, str) and expected not in levels:
        return _(" ({key} has no level '{expected}'; its levels are {levels})", key=key, expected=expected,
                 levels=", ".join(levels))
    return ""


# ---------------------------------------------------------------- expect_summary


def check_summary(expected: Any, actual: dict[str, Any], out: list[Failure]) -> int:
    """Partial match of `expect_summary` against the summary; return the entries compared."""
    if not isinstance(expected, dict):
        out.append(Failure(_("expect_summary must be a mapping, not {expected}",
                             expected=shown(expected)), source="expect_summary"))
        return 0
    checks = 0
    for key, value in expected.items():
        key = str(key)
        if key == "counts":
            checks += _check_counts(value, actual.get("counts", []), out)
        elif key not in actual:
            out.append(Failure(_("the summary has no such entry") + did_you_mean(key, actual), field=key,
                               source="expect_summary"))
            checks += 1
        else:
            checks += _partial(value, actual[key], key, out, zero_when_missing=False)
    return checks


def _check_counts(expected: Any, actual: list[dict[str, Any]], out: list[Failure]) -> int:
    """`counts` may be written as the summary has it (a list of {by, counts}) or as a
    mapping from the `count by` names ("风险等级" or "风险等级, 权力类别") to the counts."""
    trees = {", ".join(block["by"]): block["counts"] for block in actual}
    if isinstance(expected, list):
        pairs = []
        for block in expected:
            by = block.get("by") if isinstance(block, dict) else None
            by = [by] if isinstance(by, str) else by
            if not isinstance(by, list):
                out.append(Failure(_("each entry of counts needs `by` and `counts`"), field="counts",
                                   source="expect_summary"))
                continue
            pairs.append((", ".join(map(str, by)), block.get("counts", {})))
    elif isinstance(expected, dict):
        pairs = [(", ".join(p.strip() for p in str(k).split(",")), v) for k, v in expected.items()]
    else:
        out.append(Failure(_("counts must be a mapping, not {expected}", expected=shown(expected)), field="counts",
                           source="expect_summary"))
        return 0
    checks = 0
    for by, tree in pairs:
        label = f"counts[{by}]"
        if by not in trees:
            out.append(Failure(_("the summary has no `count by {by}`", by=by) + did_you_mean(by, trees),
                               field=label, source="expect_summary"))
            checks += 1
            continue
        checks += _partial(tree, trees[by], label, out, zero_when_missing=True)
    return checks


def _partial(expected: Any, actual: Any, label: str, out: list[Failure], zero_when_missing: bool) -> int:
    if isinstance(expected, dict) and isinstance(actual, dict):
        checks = 0
        for k, v in expected.items():
            k = shown(k) if not isinstance(k, str) else k
            sub = f"{label}.{k}"
            found = _get(actual, k)
            if found is _MISSING:
                # count trees leave out combinations that never occur: those count 0
                if zero_when_missing and _is_number(v):
                    found = Decimal(0)
                else:
                    out.append(Failure(_("the summary has no such entry") + did_you_mean(k, map(str, actual)),
                                       field=sub, source="expect_summary"))
                    checks += 1
                    continue
            checks += _partial(v, found, sub, out, zero_when_missing)
        return checks
    if not same(expected, actual):
        out.append(Failure(mismatch(expected, actual), field=label, source="expect_summary"))
    return 1


# ---------------------------------------------------------------- snapshots


def snapshot_text(result: Result) -> str:
    return to_json(result.to_dict())


def _json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def compare_snapshot(path: Path, result: Result) -> tuple[list[Failure], list[str]]:
    """Failures where the result differs from the snapshot at `path`, and notes."""
    try:
        recorded = _json(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        return [Failure(_("cannot read the snapshot {path}: {detail} (run with --update to "
                          "rewrite it)", path=path, detail=detail),
                        source="snapshot")], []
    if not isinstance(recorded, dict):
        return [Failure(_("the snapshot {path} is not a §5 result object (run with --update to "
                          "rewrite it)", path=path),
                        source="snapshot")], []
    return snapshot_differences(recorded, _json(snapshot_text(result)))


def snapshot_differences(recorded: dict[str, Any], actual: dict[str, Any]) -> tuple[list[Failure], list[str]]:
    out: list[Failure] = []
    notes = []
    old_rs, new_rs = dict(recorded.get("ruleset") or {}), dict(actual.get("ruleset") or {})
    old_digest, new_digest = old_rs.pop("digest", None), new_rs.pop("digest", None)
    if old_digest != new_digest:
        notes.append(_("the ruleset text changed since the snapshot was recorded ({old_digest} "
                       "-> {new_digest}); only results are compared, and `policyengine test "
                       "--update` records the new text once they are as intended",
                       old_digest=_short(old_digest), new_digest=_short(new_digest)))
    _diff(old_rs, new_rs, "ruleset", out)
    _diff(recorded.get("case", _MISSING), actual.get("case", _MISSING), "case", out)
    _diff_items(recorded.get("items", _MISSING), actual.get("items", []), out)
    _diff(recorded.get("summary", _MISSING), actual.get("summary", _MISSING), "summary", out)
    for key in [*recorded, *(k for k in actual if k not in recorded)]:
        if key == "rollups" and isinstance(recorded.get(key), dict) and isinstance(actual.get(key), dict):
            _diff_rollups(recorded[key], actual[key], out)
        elif key not in ("ruleset", "case", "items", "summary"):
            _diff(recorded.get(key, _MISSING), actual.get(key, _MISSING), key, out)
    return out, notes


def _diff_rollups(recorded: dict[str, Any], actual: dict[str, Any], out: list[Failure]) -> None:
    """Each rollup's units compared as items are (named `单位 甲局`), then its summary."""
    for name in [*recorded, *(k for k in actual if k not in recorded)]:
        old, new = recorded.get(name), actual.get(name)
        if not (isinstance(old, dict) and isinstance(new, dict)):
            _diff(old if old is not None else _MISSING, new if new is not None else _MISSING, f"rollups.{name}", out)
            continue
        found: list[Failure] = []
        _diff_items(old.get("units", _MISSING), new.get("units", []), found)
        out += [dataclasses.replace(f, item=f"{name} {f.item}" if f.item else None,
                                    message=f.message if f.item else _("rollup {name}: {message}", name=name,
                                                                       message=f.message)) for f in found]
        _diff(old.get("summary", _MISSING), new.get("summary", _MISSING), f"rollups.{name}.summary", out)


def _short(digest: Any) -> str:
    return str(digest)[:19] + "…" if isinstance(digest, str) and len(digest) > 20 else shown(digest)


def _diff_items(recorded: Any, actual: list[dict[str, Any]], out: list[Failure]) -> None:
    if not isinstance(recorded, list) or not all(isinstance(i, dict) for i in recorded):
        _diff(recorded, actual, "items", out)
        return
    old = {str(i.get("id")): i for i in recorded}
    new = {str(i.get("id")): i for i in actual}
    for item_id, item in old.items():
        if item_id not in new:
            out.append(Failure(_("in the snapshot but not in the result"), item=item_id, source="snapshot"))
        else:
            _diff(_item_fields(item), _item_fields(new[item_id]), "", out, item_id)
    for item_id in new:
        if item_id not in old:
            out.append(Failure(_("in the result but not in the snapshot"), item=item_id, source="snapshot"))
    common_old = [i for i in old if i in new]
    common_new = [i for i in new if i in old]
    if common_old != common_new:
        out.append(Failure(_("the items are in a different order than in the snapshot"), source="snapshot"))


def _item_fields(item: dict[str, Any]) -> dict[str, Any]:
    """An item of the §5 JSON under the names `expect` uses: values by name, a grade by its
    scale (its level), `<scale>.rank`, `<scale>.color`, supervision, sanctions."""
    fields: dict[str, Any] = {"name": item.get("name")}
    values = item.get("values")
    if isinstance(values, dict):
        fields.update(values)
    grades = item.get("grades")
    if isinstance(grades, dict):
        for scale, g in grades.items():
            if isinstance(g, dict):
                fields[scale] = g.get("level")
                fields[f"{scale}.color"] = g.get("color")
                fields[f"{scale}.rank"] = g.get("rank")
            else:
                fields[scale] = g
    for key, value in item.items():
        if key not in ("id", "name", "values", "grades"):
            fields[key] = value
    return fields


def _diff(expected: Any, actual: Any, label: str, out: list[Failure], item: str | None = None) -> None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for k in [*expected, *(k for k in actual if k not in expected)]:
            sub = f"{label}.{k}" if label else str(k)
            if k == "counts" and label.startswith("summary.counts["):
                sub = label  # `summary.counts[风险档次].高风险`, as expect_summary names it
            _diff(expected.get(k, _MISSING), actual.get(k, _MISSING), sub, out, item)
        return
    if (isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual)
            and any(isinstance(e, (dict, list)) for e in expected)):
        for i, (e, a) in enumerate(zip(expected, actual, strict=True), 1):
            _diff(e, a, f"{label}[{_entry_label(label, e, i)}]", out, item)
        return
    if expected is _MISSING or actual is _MISSING or not same(expected, actual):
        if isinstance(expected, list) and isinstance(actual, list):
            expected, actual = [_brief(e) for e in expected], [_brief(a) for a in actual]
        out.append(Failure(mismatch(expected, actual), item=item, field=label or None, source="snapshot"))


def _entry_label(label: str, entry: Any, index: int) -> str:
    """A `count by` block is named by its names, as in expect_summary (`counts[风险档次, 权力类别]`),
    which says more than its position; other list entries by their position from 1."""
    if label == "summary.counts" and isinstance(entry, dict) and isinstance(entry.get("by"), list):
        return ", ".join(map(str, entry["by"]))
    return str(index)


def _brief(entry: Any) -> Any:
    """A sanction firing or a supervision line in a few words, for lists that changed length."""
    if isinstance(entry, dict) and "rule" in entry:
        fine = entry.get("fine")
        return _("{rule} (fine {fine})", rule=entry["rule"], fine=shown(fine)) if fine is not None else entry["rule"]
    if isinstance(entry, dict) and "by" in entry and isinstance(entry["by"], list):
        every = entry.get("every")
        return "、".join(map(str, entry["by"])) + (_(" every {period}", period=every) if every else "")
    return entry


def _write_snapshot(path: Path, result: Result) -> str:
    """Create or refresh a snapshot atomically; say what happened."""
    text = snapshot_text(result)
    try:
        old = path.read_text(encoding="utf-8") if path.is_file() else None
    except (OSError, UnicodeDecodeError):
        old = ""
    if old == text:
        return "unchanged"
    write_file(path, text)
    return "created" if old is None else "updated"


def write_file(path: Path, text: str) -> None:
    """Write a snapshot or report atomically (temporary file + rename); a folder that does
    not exist or cannot be written is bad input, not a crash."""
    from .render import write_atomically

    try:
        write_atomically(path, text)
    except OSError as exc:
        raise PolicyError(Diagnostic("PE603", _("cannot write this file: {value}",
                                                value=exc.strerror or exc),
                                     file=str(path))) from None


# ---------------------------------------------------------------- coverage


# the kinds' names are shown (translated) in the coverage report
COVERAGE_KINDS = (N_("table rows"), N_("grade lines"), N_("levels"), N_("supervision lines"), N_("sanctions"))


@dataclass
class Point:
    """One thing of a ruleset a suite can exercise: a table row, a grade line, …"""

    kind: str  # one of COVERAGE_KINDS
    label: str
    span: Span
    hits: int = 0
    show_source: bool = True

    def where(self) -> str:
        return f"{self.span.file}:{self.span.line}"

    def describe(self) -> str:
        text = self.label
        if self.show_source and self.span.line:
            # table rows are padded to align their columns; one space reads better here
            source = " ".join(linecache.getline(self.span.file, self.span.line).split())
            if source:
                text += f"  {source if len(source) <= 70 else source[:69] + '…'}"
        return text


@dataclass
class RulesetCoverage:
    path: str
    points: dict[tuple[Any, ...], Point]
    # per matrix grade (keyed as its points are, by scope and scale): each cell's place
    _cells: dict[tuple[Any, ...], dict[tuple[Any, Any], tuple[int, int]]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, loaded: LoadedRuleset) -> RulesetCoverage:
        points: dict[tuple[Any, ...], Point] = {}
        cells: dict[tuple[Any, ...], dict[tuple[Any, Any], tuple[int, int]]] = {}
        _declaration_points(loaded.model, (), "", points, cells)
        # a rollup's rules are counted as the items' are, said of the rollup
        # (`rollup 单位: grade 单位档次 line 2`) and keyed apart: its names are its own
        for r in all_rollups(loaded.model.declarations):
            _declaration_points(rollup_ruleset(loaded.model, r), ("rollup", r.name), _("rollup {name}: ", name=r.name),
                                points, cells)
        return cls(loaded.path, points, cells)

    def record(self, compiled: CompiledRuleset, rows: list[list[Any]], scope: tuple[Any, ...] = ()) -> None:
        """Count what each evaluated item (or, with a rollup's `scope`, each unit) exercised,
        from a traced compile's rows."""
        points = self.points
        trace_slot = compiled.trace_slot
        matrices = {g.scale: g.matrix for g in compiled.ruleset.grades if g.matrix is not None}

        def hit(*key: Any) -> None:
            p = points.get((*scope, *key))
            if p is not None:
                p.hits += 1

        for row in rows:
            trace = row[trace_slot] if trace_slot is not None else {}
            for key, value in trace.items():
                if not isinstance(key, str):
                    continue  # ("agg", k): the items a unit's aggregate counted (explain shows them)
                kind, _sep, name = key.partition(":")
                if kind == "table":
                    for index in value if isinstance(value, list) else (value,):
                        hit("row", name, index)
                elif key == "calls":
                    for call in value:  # (table, row index or collect's list, value, args, marker)
                        for index in call[1] if isinstance(call[1], list) else (call[1],):
                            hit("row", call[0], index)
                elif kind == "line" and value == "matrix":
                    mx = matrices[name]
                    cell = self._cells[(*scope, name)].get((_label(compiled, mx.row_input, row),
                                                            _label(compiled, mx.column_input, row)))
                    if cell is not None:
                        hit("cell", name, *cell)
                elif kind == "line":
                    hit("line", name, value)
                elif kind == "raises":
                    for j in value:
                        hit("raise", name, j)
            for g in compiled.grades:
                hit("level", g.scale, g.levels[row[g.slot]])
            for s in compiled.supervisions:
                if row[s.slot] is not None and row[s.slot] >= 0:
                    hit("supervision", s.scale, row[s.slot])
            for index, _fine, _element in row[compiled.sanction_slot]:
                hit("sanction", index)

    @property
    def covered(self) -> int:
        return sum(1 for p in self.points.values() if p.hits)

    @property
    def total(self) -> int:
        return len(self.points)

    def by_kind(self) -> dict[str, tuple[int, int]]:
        out = {}
        for kind in COVERAGE_KINDS:
            ps = [p for p in self.points.values() if p.kind == kind]
            if ps:
                out[kind] = (sum(1 for p in ps if p.hits), len(ps))
        return out

    def exercised(self) -> list[Point]:
        """What the cases exercised, in file and line order."""
        return sorted((p for p in self.points.values() if p.hits), key=lambda p: (p.span.file, p.span.line))

    def missed(self) -> list[Point]:
        """What was never exercised, in file and line order (sorting is stable, so the cells
        of one matrix row keep their column order)."""
        return sorted((p for p in self.points.values() if not p.hits), key=lambda p: (p.span.file, p.span.line))


def _label(compiled: CompiledRuleset, axis: str, row: list[Any]) -> Any:
    """An item's value on a matrix axis, as the matrix writes it (a grade axis holds a
    level index at run time; its labels are level names)."""
    value = row[compiled.slots[axis]]
    t = compiled.analysis.value_types.get(axis)
    if t is not None and t.kind == "level" and t.scale and isinstance(value, int):
        for scale in compiled.ruleset.scales:
            if scale.name == t.scale:
                return scale.levels[value].name
    return value


def _declaration_points(rs: Ruleset, scope: tuple[Any, ...], prefix: str, points: dict[tuple[Any, ...], Point],
                        cells: dict[tuple[Any, ...], dict[tuple[Any, Any], tuple[int, int]]]) -> None:
    """The points of one level of a ruleset (the items', or one rollup's own declarations)."""
    graded = {g.scale for g in rs.grades}
    scales = {s.name: s for s in rs.scales}
    for decl in rs.declarations:
        if isinstance(decl, DecisionTable):
            for i, row in enumerate(decl.rows):
                points[(*scope, "row", decl.name, i)] = Point(
                    "table rows", prefix + _("table {name} row {row}", name=decl.name, row=i + 1), row.span)
        elif isinstance(decl, Grade):
            _grade_points(decl, scope, prefix, points, cells)
            scale = scales.get(decl.scale)
            for lv in scale.levels if scale is not None and decl.scale in graded else ():
                points[(*scope, "level", decl.scale, lv.name)] = Point(
                    "levels", prefix + _("level {level} of {scale}", level=lv.name, scale=decl.scale), lv.span,
                    show_source=False)
        elif isinstance(decl, Supervision):
            for j, line in enumerate(decl.lines):
                points[(*scope, "supervision", decl.scale, j)] = Point(
                    "supervision lines", prefix + _("supervision {scale} line {line}", scale=decl.scale, line=j + 1),
                    line.span)
    for index, s in enumerate(rs.sanctions):
        points[(*scope, "sanction", index)] = Point("sanctions", prefix + _("sanction {name}", name=s.name), s.span,
                                                    show_source=False)


def _grade_points(g: Grade, scope: tuple[Any, ...], prefix: str, points: dict[tuple[Any, ...], Point],
                  cells: dict[tuple[Any, ...], dict[tuple[Any, Any], tuple[int, int]]]) -> None:
    if g.matrix is not None:
        mx = g.matrix
        cells[(*scope, g.scale)] = {}
        for ri, (label, levels) in enumerate(mx.rows):
            span = mx.row_spans[ri] if ri < len(mx.row_spans) else g.span
            for ci, (col, level) in enumerate(zip(mx.columns, levels, strict=True)):
                cells[(*scope, g.scale)][(label.value, col.value)] = (ri, ci)
                points[(*scope, "cell", g.scale, ri, ci)] = Point(
                    "grade lines",
                    prefix + _("grade {scale} cell {row} x {column} -> {level}", scale=g.scale,
                               row=shown(label.value), column=shown(col.value), level=level),
                    span, show_source=False)
    for j, rule in enumerate(g.rules):
        points[(*scope, "line", g.scale, j)] = Point(
            "grade lines", prefix + _("grade {scale} line {line}", scale=g.scale, line=j + 1), rule.span)
    for j, r in enumerate(g.raises):
        points[(*scope, "raise", g.scale, j)] = Point(
            "grade lines", prefix + _("grade {scale} raise line {line}", scale=g.scale, line=j + 1), r.span)


@dataclass
class Coverage:
    """What a suite exercised, per ruleset (keyed by the ruleset's path)."""

    rulesets: dict[str, RulesetCoverage] = field(default_factory=dict)

    def record(self, loaded: LoadedRuleset, compiled: CompiledRuleset, rows: list[list[Any]],
               units: Sequence[tuple[CompiledRollup, list[list[Any]]]] = ()) -> None:
        """Count a case's items (`rows`) and each rollup's units (`units`: the rollup and
        its unit rows), all from one traced run."""
        cov = self.rulesets.get(loaded.path)
        if cov is None:
            cov = self.rulesets[loaded.path] = RulesetCoverage.of(loaded)
        cov.record(compiled, rows)
        for cr, unit_rows in units:
            cov.record(cr.compiled, unit_rows, ("rollup", cr.rollup.name))

    @property
    def covered(self) -> int:
        return sum(c.covered for c in self.rulesets.values())

    @property
    def total(self) -> int:
        return sum(c.total for c in self.rulesets.values())

    @property
    def percent(self) -> Decimal:
        return percent(self.covered, self.total)

    def render(self) -> str:
        lines = []
        for path in sorted(self.rulesets):
            cov = self.rulesets[path]
            lines.append(_("coverage of {path}: {percent} ({covered} of {total})", path=path,
                           percent=format_percent(percent(cov.covered, cov.total)), covered=cov.covered,
                           total=cov.total))
            lines.append("  " + " · ".join(_("{kind} {hit} of {total}", kind=_(kind), hit=hit, total=n)
                                           for kind, (hit, n) in cov.by_kind().items()))
            exercised = cov.exercised()
            if exercised:
                # how often: per item, or per list element for a table called inside `for`
                lines.append(_("  exercised:"))
                lines.extend(f"    {p.where()}  {p.describe()}  "
                             + (_("(1 time)") if p.hits == 1 else _("({count} times)", count=p.hits))
                             for p in exercised)
            missed = cov.missed()
            if missed:
                lines.append(_("  never exercised:"))
                lines.extend(f"    {p.where()}  {p.describe()}" for p in missed)
        lines.append(_("coverage: {percent} ({covered} of {total})", percent=format_percent(self.percent),
                       covered=self.covered, total=self.total))
        return "\n".join(lines)


def percent(covered: int, total: int) -> Decimal:
    return Decimal(100) if total == 0 else Decimal(covered * 100) / Decimal(total)


def format_percent(p: Decimal) -> str:
    # rounded down, so a suite shown at 90.0% really reaches a --min-coverage of 90
    return f"{format_number(p.quantize(Decimal('0.1'), ROUND_FLOOR))}%"


# ---------------------------------------------------------------- JUnit XML


def junit_xml(report: SuiteReport) -> str:
    """JUnit XML for CI systems: one testcase per case file (no timings, so the same
    suite always gives the same bytes)."""
    import xml.etree.ElementTree as ET

    suites = ET.Element("testsuites", name="policyengine test", tests=str(len(report.outcomes)),
                        failures=str(report.failed), errors="0", skipped=str(report.skipped))
    suite = ET.SubElement(suites, "testsuite", name="policyengine golden cases",
                          tests=str(len(report.outcomes)), failures=str(report.failed), errors="0",
                          skipped=str(report.skipped))
    for o in report.outcomes:
        case = ET.SubElement(suite, "testcase", name=o.path, classname=str(Path(o.path).parent).replace(os.sep, "."))
        if o.status == "failed":
            first = o.failures[0].render().split("\n")[0] if o.failures else "failed"
            failure = ET.SubElement(case, "failure", message=first, type="golden")
            failure.text = "\n".join(f.render() for f in o.failures)
        elif o.status == "skipped":
            ET.SubElement(case, "skipped", message=_("no expect block and no snapshot"))
        if o.notes:
            ET.SubElement(case, "system-out").text = "\n".join(o.notes)
    ET.indent(suites)
    for element in suites.iter():  # XML 1.0 cannot hold most control characters at all
        element.text = _xml_text(element.text)
        for key, value in element.attrib.items():
            element.set(key, _xml_text(value))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str | None) -> str | None:
    """`text` with the characters XML 1.0 forbids shown as \\xNN, so the file stays well-formed."""
    if text is None or not _NOT_XML.search(text):
        return text
    from .printable import escape

    return _NOT_XML.sub(escape, text)

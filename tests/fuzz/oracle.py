"""Run one example through every verb, in process, and check the invariants:

- no exit code 3 and no exception other than PolicyError (the API) or SystemExit (the CLI);
- `check` refuses what the API's parse/check refuses;
- a ruleset `check` accepts also formats, converts, gives a schema and evaluates;
- fmt is idempotent and keeps the meaning; DSL → YAML → DSL keeps the meaning;
- the same run twice gives the same bytes; explain agrees with eval; a golden case
  written from eval's result passes `test`; the ruleset diffed with its formatted self
  changes no item; the report renders; the input files are never modified;
- `eval -o x.xlsx` writes the same bytes twice; `compare` finds no change between a result
  and itself, nor the result of the formatted ruleset; the `template` of an accepted ruleset
  is written, and filled from the case (`--from`) evaluates to the same result apart from
  the file name; the same items as JSON, YAML, CSV or XLSX give the same result.
A broken invariant raises `Broken` with a short signature (the same bug found twice has
the same signature) and the details.
"""

from __future__ import annotations

import json
import os
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from policyengine.check import check as check_model
from policyengine.cli import main
from policyengine.errors import PolicyError
from policyengine.fmt import differences, parse_form

from .inputs import Example

RUNNER = CliRunner()


class Broken(AssertionError):
    def __init__(self, signature: str, detail: str):
        super().__init__(f"{signature}\n{detail}")
        self.signature = signature
        self.detail = detail


def _where(exc: BaseException) -> str:
    """The innermost frame of policyengine that the exception passed through."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f"{os.sep}policyengine{os.sep}" in f.filename]
    if not frames:
        return "?"
    f = frames[-1]
    return f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.name}"


def _crash(verb: str, exc: BaseException, context: str) -> Broken:
    return Broken(f"{verb}: {type(exc).__name__} in {_where(exc)}",
                  context + "\n" + "".join(traceback.format_exception(exc))[-3000:])


def cli(*args: str) -> Result:
    result = RUNNER.invoke(main, list(args), catch_exceptions=True, env={"POLICYENGINE_DEBUG": "1"})
    exc = result.exception
    if exc is not None and not isinstance(exc, SystemExit):
        raise _crash(args[0], exc, f"policyengine {' '.join(args)}\n{result.output[-2000:]}")
    if result.exit_code not in (0, 1, 2):
        raise Broken(f"{args[0]}: exit {result.exit_code}", f"policyengine {' '.join(args)}\n{result.output[-2000:]}")
    if result.exit_code == 2 and "error[PE" not in result.output and "Error:" not in result.output:
        raise Broken(f"{args[0]}: exit 2 without a diagnostic", result.output[-2000:])
    return result


def _numbers(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _unchanged(folder: Path, before: dict[str, bytes], verb: str) -> None:
    after = _snapshot(folder)
    for name, data in before.items():
        if after.get(name) != data:
            raise Broken(f"{verb}: input file modified", name)
    extra = set(after) - set(before)
    if extra:
        raise Broken(f"{verb}: left files behind", ", ".join(sorted(extra)))


def run(example: Example, folder: Path) -> str:
    """Raise Broken when any invariant does not hold for `example`; else say how far it
    went: "refused" (the ruleset), "eval refused" (the case) or "complete"."""
    folder.mkdir(parents=True, exist_ok=True)
    for p in [*folder.iterdir(), *(folder / "fmt").glob("*")] if (folder / "fmt").is_dir() else folder.iterdir():
        if p.is_file():
            p.unlink()
    ext = ".policy" if example.form == "dsl" else ".yaml"
    rs = folder / f"r{ext}"
    rs.write_text(example.ruleset, encoding="utf-8", newline="")
    case = folder / f"c.{example.case_format}"
    _write_case(case, example.case, example.units)
    base = _snapshot(folder)

    # the API: PolicyError or a model, nothing else
    model = analysis = None
    try:
        model = parse_form(example.ruleset, str(rs), example.form)
        analysis = check_model(model)
    except PolicyError:
        pass
    except RecursionError:
        pass  # the CLI reports it as "nested too deeply" (exit 2)
    except Exception as exc:  # what the fuzzer looks for
        raise _crash("parse/check (API)", exc, example.ruleset[:2000]) from None

    checked = cli("check", str(rs))
    _unchanged(folder, base, "check")
    if model is not None and analysis is None and checked.exit_code != 2:
        raise Broken("check: accepts what the API refuses", checked.output[-2000:])
    valid = checked.exit_code in (0, 1)
    if example.ruleset_valid and not valid:
        raise Broken("check: refuses a generated ruleset", checked.output[-2000:] + "\n" + example.ruleset)

    if not valid:
        # every verb must refuse it cleanly and leave the files alone
        for args in (("eval", str(rs), str(case), "-f", "json"), ("schema", str(rs)),
                     ("convert", str(rs), "--to", "yaml" if example.form == "dsl" else "dsl"),
                     ("explain", str(rs), str(case), "--item", "I0"),
                     ("template", str(rs), "-o", str(folder / "t.xlsx"))):
            cli(*args)
        (folder / "fmt").mkdir(exist_ok=True)
        copy = folder / "fmt" / rs.name
        copy.write_text(example.ruleset, encoding="utf-8", newline="")
        cli("fmt", str(copy))
        if copy.read_bytes().decode("utf-8") != example.ruleset and model is None:
            raise Broken("fmt: rewrote a file it cannot parse", example.ruleset[:2000])
        copy.unlink()
        _unchanged(folder, base, "refusals")  # a refused template leaves no workbook behind
        return "refused"
    assert model is not None

    # fmt: accepted, meaning kept, idempotent (on a copy of the same name: the id is the stem)
    (folder / "fmt").mkdir(exist_ok=True)
    copy = folder / "fmt" / rs.name
    copy.write_text(example.ruleset, encoding="utf-8", newline="")
    formatted = cli("fmt", str(copy))
    if formatted.exit_code != 0:
        raise Broken("fmt: refuses a ruleset check accepts", formatted.output[-2000:] + "\n" + example.ruleset)
    once = copy.read_bytes().decode("utf-8")
    diffs = differences(model, parse_form(once, str(copy), example.form))
    if diffs:
        raise Broken("fmt: changes the meaning", "; ".join(diffs)[:2000])
    cli("fmt", str(copy))
    if copy.read_bytes().decode("utf-8") != once:
        raise Broken("fmt: not idempotent", once[:3000])

    # convert there and back: the same meaning; the same text when run twice
    other = "yaml" if example.form == "dsl" else "dsl"
    there = folder / ("x.yaml" if other == "yaml" else "x.policy")
    out = cli("convert", str(rs), "--to", other, "-o", str(there))
    if out.exit_code != 0:
        raise Broken(f"convert: {example.form} -> {other} refuses a checked ruleset", out.output[-2000:])
    back = cli("convert", str(there), "--to", example.form)
    if back.exit_code != 0:
        raise Broken(f"convert: {other} -> {example.form} refuses its own output", back.output[-2000:])
    diffs = differences(model, parse_form(back.output, str(rs), example.form))
    if diffs:
        raise Broken(f"convert: {example.form} -> {other} -> {example.form} changes the meaning",
                     "; ".join(diffs)[:2000])
    again = cli("convert", str(rs), "--to", other)
    if again.output != there.read_bytes().decode("utf-8"):  # bytes: a CR in a string stays a CR
        raise Broken("convert: not the same bytes twice", "")

    schema = cli("schema", str(rs))
    if schema.exit_code != 0:
        raise Broken("schema: refuses a checked ruleset", schema.output[-2000:])
    _numbers(schema.output)  # valid JSON (a label may be a number of 5000 digits)

    first = cli("eval", str(rs), str(case), "-f", "json")
    second = cli("eval", str(rs), str(case), "-f", "json")
    if first.output != second.output:
        raise Broken("eval: not the same bytes twice", "")
    _unchanged(folder, {**base, there.name: there.read_bytes()}, "eval")
    if first.exit_code != 0:
        if example.case_valid and example.ruleset_valid and "error[PE3" in first.output:
            raise Broken("eval: refuses a fitting case", first.output[-2000:])
        for p in (copy, there):
            p.unlink()
        return "eval refused"
    for fmt in ("table", "yaml", "csv"):
        cli("eval", str(rs), str(case), "-f", fmt)
    result = _numbers(first.output)
    _workbook_output(folder, rs, case)
    _compared(folder, rs, case, copy if example.form == "dsl" else None)
    if example.case_valid:
        _template(folder, rs, case, result)
    item = result["items"][0]

    # explain agrees with eval
    explained = cli("explain", str(rs), str(case), "--item", item["id"], "-f", "json")
    if explained.exit_code != 0:
        raise Broken("explain: fails where eval succeeds", explained.output[-2000:])
    why = _numbers(explained.output)
    for entry in why["values"]:
        if entry["name"] in item["values"] and entry["value"] != item["values"][entry["name"]]:
            raise Broken("explain: a value differs from eval", f"{entry['name']}: {entry['value']} != "
                         f"{item['values'][entry['name']]}")
    levels = {g["scale"]: g["level"] for g in why["grades"]}
    if levels != {k: v["level"] for k, v in item["grades"].items()}:
        raise Broken("explain: a grade differs from eval", f"{levels} != {item['grades']}")
    fine = sum((s["fine"] for s in item["sanctions"] if s["fine"] is not None), Decimal(0))
    if Decimal(why["fine"] or 0) != fine:
        raise Broken("explain: the fine differs from eval", f"{why['fine']} != {fine}")

    # a golden case written from eval's result passes
    expect: dict[str, Any] = {k: v["level"] for k, v in item["grades"].items()}
    expect["sanctions"] = [s["rule"] for s in item["sanctions"]]
    if len(fine.normalize().as_tuple().digits) <= 15:
        expect["fine"] = float(fine)
    golden = folder / "golden.json"
    from .inputs import _plain

    units = {"units": _plain(example.units)} if example.units else {}
    golden.write_text(json.dumps({"ruleset": rs.name, "items": json.loads(json.dumps(_raw_items(example))), **units,
                                  "expect": {item["id"]: expect}}, ensure_ascii=False), encoding="utf-8")
    if example.case_valid:
        tested = cli("test", "--coverage", str(golden))
        if tested.exit_code != 0:
            raise Broken("test: a golden case from eval's own result fails", tested.output[-2000:])
    golden.unlink()

    # the HTML report of the same result
    report = cli("report", str(rs), str(case), "-o", str(folder / "report.html"))
    if report.exit_code != 0:
        raise Broken("report: fails where eval succeeds", report.output[-2000:])
    (folder / "report.html").unlink()

    # diffed with its formatted self, nothing changes
    diffed = cli("diff", str(rs), str(copy), "--cases", str(case), "-f", "json", "--exit-code")
    if diffed.exit_code != 0 and example.form == "dsl":
        raise Broken("diff: a ruleset differs from its formatted self", diffed.output[-2000:])

    # the same items in every case format give the same result
    if example.case_valid:
        from .inputs import case_text, case_workbook, workbook_bytes

        for fmt in ("json", "yaml", "csv", "xlsx"):
            if fmt == example.case_format or (fmt == "csv" and any(
                    isinstance(v, list) for i in example.items for v in i.values())):
                continue
            other_case = folder / f"other.{fmt}"
            written = _write_case(other_case, workbook_bytes(case_workbook(example.items, example.units))
                                  if fmt == "xlsx" else case_text(example.items, fmt, example.units), example.units)
            res = cli("eval", str(rs), str(other_case), "-f", "json")
            got = _numbers(res.output) if res.exit_code == 0 else None
            if got is None or _without_file(got) != _without_file(result):
                raise Broken(f"eval: {fmt} case gives another result than {example.case_format}",
                             res.output[-2000:])
            for p in written:
                p.unlink()
    for p in (copy, there):
        p.unlink()
    _unchanged(folder, base, "all verbs")
    return "complete"


def _write_case(path: Path, case: str | bytes, units: dict[str, list[dict[str, Any]]]) -> list[Path]:
    """Write a case (with a CSV's companion unit files); the files written."""
    from .inputs import unit_files

    if isinstance(case, bytes):
        path.write_bytes(case)
        return [path]
    path.write_text(case, encoding="utf-8", newline="")
    written = [path]
    if path.suffix == ".csv":
        for companion, text in unit_files(path, units).items():
            companion.write_text(text, encoding="utf-8", newline="")
            written.append(companion)
    return written


def _without_file(result: dict[str, Any]) -> dict[str, Any]:
    """An eval result apart from the case's file name (and where its items stand in it)."""
    return {k: v for k, v in result.items() if k != "case"} | {"case": {
        k: v for k, v in result.get("case", {}).items() if k not in ("file", "files", "path")}}


def _workbook_output(folder: Path, rs: Path, case: Path) -> None:
    """`eval -o x.xlsx` writes a workbook, the same bytes twice."""
    target = folder / "out.xlsx"
    outputs = []
    for _ in range(2):
        written = cli("eval", str(rs), str(case), "-o", str(target))
        if written.exit_code != 0:
            raise Broken("eval -o x.xlsx: fails where eval succeeds", written.output[-2000:])
        outputs.append(target.read_bytes())
        target.unlink()
    if outputs[0] != outputs[1]:
        raise Broken("eval -o x.xlsx: not the same bytes twice", "")


def _compared(folder: Path, rs: Path, case: Path, formatted: Path | None) -> None:
    """`compare` of a result with itself, and with the result of the formatted ruleset
    (when it has the same meaning and id): no changes."""
    old, new = folder / "old.json", folder / "new.json"
    cli("eval", str(rs), str(case), "-o", str(old))
    pairs = [(old, old)]
    if formatted is not None:
        cli("eval", str(formatted), str(case), "-o", str(new))
        pairs.append((old, new))
    for a, b in pairs:
        compared = cli("compare", str(a), str(b), "-f", "json", "--exit-code")
        if compared.exit_code != 0:
            raise Broken("compare: a result differs from " + ("itself" if a == b else "its formatted ruleset's"),
                         compared.output[-2000:])
        again = cli("compare", str(a), str(b), "-f", "json")
        if again.output != compared.output:
            raise Broken("compare: not the same bytes twice", "")
    for p in (old, new):
        p.unlink(missing_ok=True)


def _template(folder: Path, rs: Path, case: Path, result: dict[str, Any]) -> None:
    """The empty template of an accepted ruleset is written; filled from the case (`--from`)
    it evaluates to the case's own result, apart from the file name."""
    empty, filled = folder / "t.xlsx", folder / "filled.xlsx"
    made = cli("template", str(rs), "-o", str(empty))
    if made.exit_code != 0:
        raise Broken("template: refuses a checked ruleset", made.output[-2000:])
    made = cli("template", str(rs), "--from", str(case), "-o", str(filled))
    if made.exit_code != 0:
        raise Broken("template --from: refuses a case eval accepts", made.output[-2000:])
    first = filled.read_bytes()
    cli("template", str(rs), "--from", str(case), "-o", str(filled))
    if filled.read_bytes() != first:
        raise Broken("template: not the same bytes twice", "")
    res = cli("eval", str(rs), str(filled), "-f", "json")
    got = _numbers(res.output) if res.exit_code == 0 else None
    if got is None or _without_file(got) != _without_file(result):
        raise Broken("template --from: the filled workbook gives another result", res.output[-2000:])
    for p in (empty, filled):
        p.unlink()


def _raw_items(example: Example) -> list[dict[str, Any]]:
    from .inputs import _plain

    return _plain(example.items)

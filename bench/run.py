"""policyengine benchmarks: every figure beside the same rules written by hand in Python.

    python bench/run.py            # 10k, 100k and 1M items (about 9 minutes of CPU)
    python bench/run.py --quick    # 10k and 100k items, no 1M run, fewer rounds (about 85 s of CPU)

The workload is a province re-grading the Luoyang tax method (bench/tax-bench.policy):
risk points in units of about 105, four 1..5 ratings, power class, yearly frequency and
occasional banquet incidents, ranked top/bottom 10 within each unit. bench/generate.py
makes the case files (cached in bench/data/); bench/handwritten.py is the yardstick,
the same rules in plain Python run in this same process: `score_point` (floats, Python's
round), a per-item function called in a loop as a user writes it, and `assess_decimal`
(exact, half-up) to check the engine's results item by item; `assess_checked` is that with
the checks the engine makes of every item written by hand (the `hand checked` column: the
least an exact, validating evaluator costs in plain Python). The engine is timed on both
kinds of input: a loaded JSON case and Python values (`pe.Case(items=[…])`, as a library
user or a pandas pipeline calls it). With `pip install zen-engine`, the flat rules also run
on GoRules ZEN (bench/peer.py), a Rust engine called per item through one runtime.

How it measures (bench/measure.py): every row takes alternating rounds (each round runs
every contender once, every other round in the reverse order), a ratio is the median of the
per-round ratios, in-process timings run with the garbage collector on as the caller has
it, and each section prints the load average at its start and end. Rounds: 7 up to 100k
items in the library, 3 at 1M, 3 on the command line (`--quick`: 5, and 2 on the command
line). Every figure is printed with its ratio to the hand-written float function; the
targets of bench/README.md are checked at the end (exit status 1 if one is missed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import generate  # noqa: E402
import handwritten  # noqa: E402
from measure import (  # noqa: E402
    alternating,
    cli,
    command,
    header,
    locale_environment,
    median_ratio,
    rounds_of,
    section,
    spread,
    timed,
)

import policyengine as pe  # noqa: E402

RANKED = HERE / "tax-bench.policy"
FLAT = HERE / "tax-bench-flat.policy"
UNITS = HERE / "tax-bench-units.policy"

# the targets of issues 8 and 12, as (what, unit, limit)
TARGETS: list[tuple[str, str, float]] = [
    ("evaluation of 100k items from a JSON case / the float function", "ratio", 1.0),
    ("evaluation of 100k items from Python values / the float function", "ratio", 1.0),
    ("evaluation of 1M items from a JSON case / the float function", "ratio", 1.0),
    ("evaluation of 1M items from Python values / the float function", "ratio", 1.0),
    ("ranking within units adds", "fraction", 0.25),
    ("a rollup into units (index, grade, ranking) adds", "fraction", 0.3),
    ("compile a ruleset (parse, resolve, check, compile)", "seconds", 0.050),
    ("policyengine --help", "seconds", 0.3),
    ("policyengine --help in Chinese (LANG=zh_CN.UTF-8: the catalog is read)", "seconds", 0.3),
    ("1M items from a JSON case, one process", "seconds", 30.0),
    ("peak memory of that run", "bytes", 4 * 2**30),
    ("1M items, JSON file to JSON file / json.load + the float function + json.dump", "ratio", 1.5),
    ("peak memory of that run / the hand-written path's", "ratio", 1.3),
    ("report of 100k items (policyengine report, one process)", "seconds", 10.0),
    ("that report in Chromium: opened, first page of the table drawn", "seconds", 3.0),
    ("that report in Chromium: sort the 100k rows by a score", "seconds", 1.0),
    ("that report in Chromium: filter by a level, then search", "seconds", 1.0),
]


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} items/s"


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def engine_rows(result: Any) -> list[tuple[Any, str, Any]]:
    return [(i.values["综合得分"], i.grades["风险档次"].level, i.fine) for i in result.items]


def check_summary(what: str, summary: dict[str, Any], want: dict[str, Any]) -> None:
    """The engine's summary against the hand-written one: counts per grade, per grade and
    权力类别, and the total fine."""
    levels = {k: n for k, n in summary["levels"]["风险档次"].items() if n}
    by_category = {(g, c): n for g, row in summary["counts"][1]["counts"].items() for c, n in row.items() if n}
    got = (levels, by_category, summary["fines"])
    if got != (dict(want["levels"]), dict(want["by category"]), want["fines"]):
        raise SystemExit(f"{what}: the summary disagrees with the hand-written one: {got} != {want}")


def check_agreement(what: str, got: list[tuple[Any, str, Any]], want: list[tuple[Any, str, Any]]) -> None:
    """Every item's score, grade and fine equal, as exact decimals."""
    assert len(got) == len(want), f"{what}: {len(got)} results for {len(want)} items"
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        g = (Decimal(str(g[0])), g[1], Decimal(str(g[2])))
        if g != w:
            raise SystemExit(f"{what} disagrees with the hand-written exact function on item {k}: {g} != {w}")


def check_hand(what: str, want: tuple[list[tuple[Any, str, Any]], dict[str, Any]],
               got: tuple[list[tuple[Any, str, Any]], dict[str, Any]]) -> None:
    """The hand-checked exact function computes what the unchecked one does."""
    if got[0] != want[0] or got[1] != want[1]:
        raise SystemExit(f"{what} disagrees with assess_decimal")


def check_result(what: str, want: tuple[list[tuple[Any, str, Any]], dict[str, Any]], result: Any) -> None:
    """An engine result against the hand-written exact one, item by item and in summary."""
    check_agreement(what, engine_rows(result), want[0])
    check_summary(what, result.summary, want[1])


def library(n: int, flat: Any, ranked: Any, rounds: int, keep: dict[str, Any] | None) -> dict[str, float]:
    """Evaluate n items with both rulesets, from a loaded JSON case and from Python values,
    and by hand (floats and exact); print a line each; return the ratios the targets speak
    of. `keep` receives what the peer engine needs.

    All eight take turns, round after round (bench/measure.py); each ratio is the median of
    the ratios within a round. The engine's first result of each kind is checked against
    `assess_decimal` before any figure is printed."""
    path = generate.case_path(n)
    case = pe.load_case(path)
    with path.open(encoding="utf-8") as fh:
        items = json.load(fh)["items"]
    with path.open(encoding="utf-8") as fh:
        exact_items = json.load(fh, parse_float=Decimal, parse_int=Decimal)["items"]
    rulesets = {"flat": (flat, False), "ranked": (ranked, True)}
    runs: dict[str, Callable[[], Any]] = {}
    check: dict[str, Callable[[Any], None]] = {}
    for label, (ruleset, rank) in rulesets.items():
        want = handwritten.assess_decimal(exact_items, rank=rank)
        runs[f"{label} JSON"] = lambda ruleset=ruleset: ruleset.evaluate(case)
        runs[f"{label} Python"] = lambda ruleset=ruleset: ruleset.evaluate(pe.Case(items=items))
        runs[f"hand {label}"] = lambda rank=rank: handwritten.assess_points(items, rank=rank)
        runs[f"exact {label}"] = lambda rank=rank: handwritten.assess_decimal(exact_items, rank=rank)
        runs[f"checked {label}"] = lambda rank=rank: handwritten.assess_checked(exact_items, rank=rank)
        check[f"checked {label}"] = partial(check_hand, f"assess_checked ({label}, {n} items)", want)
        for kind in ("JSON", "Python"):
            check[f"{label} {kind}"] = partial(check_result, f"policyengine ({label}, {kind} input, {n} items)", want)
    times = alternating(runs, rounds, check)
    figures: dict[str, float] = {}
    for label in rulesets:
        hand = times[f"hand {label}"]
        exact = median_ratio(times[f"exact {label}"], hand)
        checked = median_ratio(times[f"checked {label}"], hand)
        for kind in ("JSON", "Python"):
            engine = times[f"{label} {kind}"]
            figures[f"{label} {kind}"] = median_ratio(engine, hand)
            adds = ""
            if label == "ranked":
                figures[f"adds {kind}"] = median_ratio(engine, times[f"flat {kind}"]) - 1
                adds = f"{figures[f'adds {kind}']:+12.0%}"
            print(f"{n:>9,}  {label:<7} {kind:<7}{rate(n, min(engine))} {rate(n, min(hand)):>24}"
                  f" {figures[f'{label} {kind}']:6.2f}× {exact:10.2f}× {checked:12.2f}× {adds:>13}")
    reading = alternating({"load_case": lambda: pe.load_case(path),
                           "json.loads": lambda: json.loads(path.read_text("utf-8"))}, min(rounds, 3))
    read, plain = (statistics.median(reading[k]) for k in ("load_case", "json.loads"))
    print(f"{'':>9}  reading the JSON case: {read:.2f} s ({rate(n, read).strip()}); json.loads alone: "
          f"{plain:.2f} s; {median_ratio(reading['load_case'], reading['json.loads']):.2f}× (medians of "
          f"{min(rounds, 3)} rounds)")
    if keep is not None:
        keep.update(items=items, exact=exact_items, case=case)
    return figures


def hand_units(items: list[dict[str, Any]], rows: list[tuple[Any, str, Any]]) -> dict[str, tuple]:
    """tax-bench-units.policy's rollup computed by hand from the hand-written exact item
    results: per unit its points, 高风险 count, mean score (40 digits, half-up, as the
    engine's arithmetic), index round(mean + 2 × count, 2), and its grade — top 10% of the
    units by index (competition rank × 100 ≤ 10 × units) 重点, else bottom 10% 良好."""
    from decimal import ROUND_HALF_UP, localcontext

    groups: dict[str, list[tuple[Any, str, Any]]] = {}
    for item, row in zip(items, rows, strict=True):
        groups.setdefault(item["单位"], []).append(row)
    out: dict[str, list[Any]] = {}
    with localcontext() as ctx:
        ctx.prec, ctx.rounding = 40, ROUND_HALF_UP
        for unit, members in groups.items():
            high = sum(1 for _, grade, _ in members if grade == "高风险")
            mean = sum((score for score, _, _ in members), Decimal(0)) / len(members)
            index = (mean + 2 * high).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            out[unit] = [len(members), high, mean, index]
    n = len(out)
    indices = sorted((v[3] for v in out.values()), reverse=True)
    for v in out.values():
        above = sum(1 for x in indices if x > v[3])  # competition rank from the top: 1 + above
        below = sum(1 for x in indices if x < v[3])  # … and from the bottom: 1 + below
        v.append("重点" if (1 + above) * 100 <= 10 * n else "良好" if (1 + below) * 100 <= 10 * n else "一般")
    return {unit: tuple(v) for unit, v in out.items()}


def rollup(n: int, ranked: Any, units: Any, rounds: int) -> float:
    """What the rollup into units costs: tax-bench.policy with and without it, taking turns
    round after round; the median of the per-round ratios. The units' figures of the first
    round are checked against hand_units."""
    case = pe.load_case(generate.case_path(n))
    with generate.case_path(n).open(encoding="utf-8") as fh:
        exact_items = json.load(fh, parse_float=Decimal, parse_int=Decimal)["items"]
    want = hand_units(exact_items, handwritten.assess_decimal(exact_items, rank=True)[0])
    del exact_items
    shown: dict[str, Any] = {}

    def check(result: Any) -> None:
        got = {u.id: (u.values["风险点数"], u.values["高风险数"], u.values["平均得分"], u.values["单位指数"],
                      u.grades["单位档次"].level) for u in result.rollups["各单位"].units}
        if got != want:
            wrong = next(k for k in want if got.get(k) != want[k])
            raise SystemExit(f"the rollup disagrees with the hand computation on unit {wrong}: {got.get(wrong)} "
                             f"!= {want[wrong]}")
        shown.update(result.rollups["各单位"].summary["levels"]["单位档次"])

    times = alternating({"ranked": lambda: ranked.evaluate(case), "units": lambda: units.evaluate(case)}, rounds,
                        {"units": check})
    adds = median_ratio(times["units"], times["ranked"]) - 1
    print(f"{n:>9,}  ranked + rollup into {len(want)} units {rate(n, min(times['units']))}   "
          f"without: {rate(n, min(times['ranked'])).strip()}   the rollup adds {adds:+.0%} (median of "
          f"{rounds} rounds); units {shown}")
    return adds


def peer_engine(n: int, flat: Any, given: dict[str, Any], rounds: int) -> None:
    """GoRules ZEN on the flat rules, one `ZenEngine.evaluate` per item, taking turns with
    the `score_point` loop and policyengine on the same items; ZEN's first results are
    checked against `assess_decimal`."""
    try:
        import peer

        zen_engine = peer.engine()
    except ImportError:
        print("GoRules ZEN is not installed (pip install zen-engine); skipped")
        return
    from importlib.metadata import version

    rows = peer.inputs(given["items"])
    want = handwritten.assess_decimal(given["exact"], rank=False)[0]
    items, case = given["items"], given["case"]
    times = alternating({"ZEN": lambda: peer.assess(zen_engine, rows),
                         "hand": lambda: handwritten.assess_points(items, rank=False),
                         "policyengine": lambda: flat.evaluate(case)}, rounds,
                        {"ZEN": lambda got: check_agreement("ZEN", got, want)})
    zen_time = statistics.median(times["ZEN"])
    print(f"ZEN {version('zen-engine'):<8} ZenEngine.evaluate per item, one runtime: {rate(n, zen_time).strip()} "
          f"(median; best {rate(n, min(times['ZEN'])).strip()}), {median_ratio(times['ZEN'], times['hand']):.2f}× "
          f"the score_point loop; policyengine (flat rules, JSON case) "
          f"{median_ratio(times['ZEN'], times['policyengine']):.2f}× as fast as ZEN (medians of {rounds} rounds)")


def end_to_end(n: int, out: Path, page: Path | None, rounds: int) -> dict[str, list[float]]:
    """`policyengine eval --jobs 1` (JSON case to JSON result), the hand-written path
    (`handwritten.py CASE RESULT`) and, when `page` is given, `policyengine report`, each a
    command of its own, taking turns round after round. Returns each one's wall times and
    peak memories (bytes), under `NAME` and `NAME peak`."""
    path = str(generate.case_path(n))
    # --jobs 1: one process, as the target says and as the hand-written path runs (from 200k
    # items `eval` would split the case over every core; bench/shards.py measures that)
    commands = {"eval": cli("eval", str(RANKED), path, "--format", "json", "--output", str(out), "--jobs", "1"),
                "hand": [sys.executable, str(HERE / "handwritten.py"), path, str(out.with_suffix(".hand.json"))]}
    if page is not None:
        commands["report"] = cli("report", str(RANKED), path, "-o", str(page), "--date", "2026-01-02")
    found: dict[str, list[float]] = {}
    for _, name in rounds_of(list(commands), rounds):
        wall, peak = command(commands[name])
        found.setdefault(name, []).append(wall)
        found.setdefault(f"{name} peak", []).append(peak)
    return found


OPENED = "that report in Chromium: opened, first page of the table drawn"
SORTED = "that report in Chromium: sort the 100k rows by a score"
SEARCHED = "that report in Chromium: filter by a level, then search"


def in_browser(page: Path, rounds: int) -> dict[str, float]:
    """Open the report in Debian's Chromium (through Playwright, as the tests do) and time
    what a reader does: open it, sort the table, filter and search; `rounds` times, each in
    a fresh tab; medians. Nothing when there is no browser or no Playwright."""
    chromium = "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  Playwright is not installed (pip install playwright); browser timings skipped")
        return {}
    if not Path(chromium).exists():
        print(f"  {chromium} not found (apt-get install chromium); browser timings skipped")
        return {}
    times: dict[str, list[float]] = {OPENED: [], SORTED: [], SEARCHED: []}
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=flags)
        for _ in range(rounds):
            tab = browser.new_page()
            start = time.perf_counter()
            tab.goto(page.as_uri())
            tab.wait_for_selector("table.publication-table tbody tr.item")
            times[OPENED].append(time.perf_counter() - start)
            rows = tab.locator("table.publication-table tbody tr.item").count()
            # the page's own clock: from the click to the redrawn table, in the same task
            times[SORTED].append(tab.evaluate("""() => { const t = performance.now();
                document.querySelector('th[data-name="综合得分"]').click(); return (performance.now() - t) / 1000; }"""))
            times[SEARCHED].append(tab.evaluate("""() => { const t = performance.now();
                const s = document.querySelector('select.level-filter');
                s.value = s.options[1].value; s.dispatchEvent(new Event('change'));
                const q = document.querySelector('input.search');
                q.value = '执法'; q.dispatchEvent(new Event('input'));
                return (performance.now() - t) / 1000; }"""))
            found = tab.locator(".page-info").text_content()
            tab.close()
        browser.close()
    print(f"  in Chromium ({rows} rows a page; medians of {rounds} tabs, min – max): opened in {spread(times[OPENED])}, "
          f"sort {spread(times[SORTED], digits=3)}, filter and search {spread(times[SEARCHED], digits=3)} ({found})")
    return {what: statistics.median(values) for what, values in times.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k items only, no 1M run, fewer rounds")
    parser.add_argument("--sizes", default=None, help="comma-separated item counts (default 10000,100000,1000000)")
    parser.add_argument("--no-peer", action="store_true", help="skip the ZEN peer even if installed")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")] if options.sizes else (
        [10_000, 100_000] if options.quick else [10_000, 100_000, 1_000_000])
    # rounds per row: in-process (up to 100k items), start-up commands, compile, ZEN, command line, browser
    rounds = dict(library=5, startup=5, compile=10, peer=3, command=2, browser=2) if options.quick else dict(
        library=7, startup=11, compile=20, peer=3, command=3, browser=3)
    measured: dict[str, float] = {}
    header(f"policyengine {pe.__version__}")

    # ---------------------------------------------------------------- start-up and compile
    with section(f"start-up and compile ({rounds['startup']} rounds of the commands, {rounds['compile']} of "
                 "loading; medians, min – max)"):
        commands = {"pass": ([sys.executable, "-c", "pass"], None), "en": (cli("--help"), locale_environment("C")),
                    "zh": (cli("--help"), locale_environment("zh_CN.UTF-8"))}
        command(*commands["zh"])  # the first run compiles the package's bytecode
        starts: dict[str, list[float]] = {name: [] for name in commands}
        for _, name in rounds_of(list(commands), rounds["startup"]):
            starts[name].append(command(*commands[name])[0])
        measured["policyengine --help"] = statistics.median(starts["en"])
        measured["policyengine --help in Chinese (LANG=zh_CN.UTF-8: the catalog is read)"] = statistics.median(
            starts["zh"])
        print(f"python -c pass               {spread(starts['pass'], 1000, 'ms', 1)}")
        for name, shown in (("en", "policyengine --help         "), ("zh", "policyengine --help (zh_CN) ")):
            print(f"{shown}  {spread(starts[name], 1000, 'ms', 1)}   "
                  f"{median_ratio(starts[name], starts['pass']):.2f}× python -c pass")
        from policyengine.compile import compile_ruleset

        cold, rs = timed(lambda: pe.load_ruleset(RANKED))  # builds the grammar's parser once
        loads = alternating({"bench": lambda: pe.load_ruleset(RANKED), "shipped": lambda: pe.load_ruleset("tax@2010"),
                             "compile": lambda: compile_ruleset(rs.model, rs.analysis)}, rounds["compile"])
        measured["compile a ruleset (parse, resolve, check, compile)"] = max(
            statistics.median(loads["bench"]), statistics.median(loads["shipped"]))
        print(f"load tax-bench.policy        {spread(loads['bench'], 1000, 'ms', 1)}   (first in the process: "
              f"{cold * 1000:.0f} ms, building the grammar's parser)")
        print(f"load shipped tax@2010        {spread(loads['shipped'], 1000, 'ms', 1)}")
        print(f"  of which compile alone     {spread(loads['compile'], 1000, 'ms', 1)}")

    # ---------------------------------------------------------------- evaluation
    flat = pe.load_ruleset(FLAT)
    hundred_k: dict[str, Any] = {}
    with section("evaluation in the library (pe.load_case, then rs.evaluate: validate + evaluate + results)"):
        print(f"{'items':>9}  {'rules':<7} {'input':<7}{'policyengine':>22} {'score_point loop':>24} {'ratio':>7}"
              f" {'hand exact':>11} {'hand checked':>13} {'ranking adds':>13}")
        print(f"{'':>9}  {'':<7} {'':<7}{'(best run)':>22} {'(best run)':>24} {'(median ratios of the rounds)':>47}")
        for n in sizes:
            library_rounds = rounds["library"] if n <= 100_000 else 3
            print(f"{n:>9,}  {library_rounds} rounds")
            figures = library(n, flat, rs, library_rounds, hundred_k if n == 100_000 else None)
            size = {100_000: "100k", 1_000_000: "1M"}.get(n)
            if size:
                for kind, shown in (("JSON", "a JSON case"), ("Python", "Python values")):
                    measured[f"evaluation of {size} items from {shown} / the float function"] = figures[f"flat {kind}"]
            if n == 100_000:
                measured["ranking within units adds"] = max(figures["adds JSON"], figures["adds Python"])

    # ---------------------------------------------------------------- rollups
    if 100_000 in sizes:
        with section("a rollup into units (tax-bench-units.policy: unit index, grade, ranking across units)"):
            units = pe.load_ruleset(UNITS)
            measured["a rollup into units (index, grade, ranking) adds"] = rollup(100_000, rs, units,
                                                                                  rounds["library"])

    # ---------------------------------------------------------------- the peer engine
    if hundred_k and not options.no_peer:
        with section("a peer engine on the same 100k items (flat rules: per-item engines cannot rank)"):
            peer_engine(100_000, flat, hundred_k, rounds["peer"])
    hundred_k.clear()

    # ---------------------------------------------------------------- the command line and the report
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "report.html"
        with section(f"end to end on the command line, each a process of its own ({rounds['command']} rounds; "
                     "medians, min – max)"):
            print("policyengine eval --jobs 1: read the JSON case, validate, evaluate, write the JSON result\n"
                  "hand-written: json.load, score_point per item, ranking within units, json.dump\n"
                  "policyengine report (100k items): the HTML report")
            for n in [s for s in sizes if s >= 100_000]:
                found = end_to_end(n, Path(scratch) / "result.json", page if n == 100_000 else None,
                                   rounds["command"])
                time_ratio = median_ratio(found["eval"], found["hand"])
                memory_ratio = median_ratio(found["eval peak"], found["hand peak"])
                print(f"{n:>9,} items  policyengine eval {spread(found['eval'])}, peak {mib(max(found['eval peak']))}"
                      f"\n{'':>16}hand-written      {spread(found['hand'])}, peak {mib(max(found['hand peak']))}"
                      f"\n{'':>16}{time_ratio:.2f}× time, {memory_ratio:.2f}× memory")
                if "report" in found:
                    measured["report of 100k items (policyengine report, one process)"] = statistics.median(
                        found["report"])
                    print(f"{'':>16}policyengine report {spread(found['report'])}, peak "
                          f"{mib(max(found['report peak']))}, {mib(page.stat().st_size)} of HTML; "
                          f"{median_ratio(found['report'], found['hand']):.2f}× the hand-written path")
                if n == 1_000_000:
                    measured["1M items from a JSON case, one process"] = statistics.median(found["eval"])
                    measured["peak memory of that run"] = max(found["eval peak"])
                    measured["1M items, JSON file to JSON file / json.load + the float function + json.dump"] = (
                        time_ratio)
                    measured["peak memory of that run / the hand-written path's"] = memory_ratio
        if page.exists():
            with section("the HTML report of 100k items in Chromium"):
                measured.update(in_browser(page, rounds["browser"]))

    # ---------------------------------------------------------------- targets
    print("\ntargets (bench/README.md)\n-------------------------")
    missed = 0
    for what, unit, limit in TARGETS:
        if what not in measured:
            print(f"  -      {what}: not measured in this run")
            continue
        value = measured[what]
        shown = {"ratio": lambda v: f"{v:.2f}×", "fraction": lambda v: f"{v:+.0%}",
                 "seconds": lambda v: f"{v:.3f} s", "bytes": mib}[unit]
        ok = value <= limit
        missed += not ok
        print(f"  {'ok  ' if ok else 'MISS'}   {what}: {shown(value)} (target {shown(limit)})")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

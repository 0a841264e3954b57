"""policyengine benchmarks: every figure beside the same rules written by hand in Python.

    python bench/run.py            # 10k, 100k and 1M items (about 4 minutes on 2 cores)
    python bench/run.py --quick    # 10k and 100k items, no 1M run (under a minute)

The workload is a province re-grading the Luoyang tax method (bench/tax-bench.policy):
risk points in units of about 105, four 1..5 ratings, power class, yearly frequency and
occasional banquet incidents, ranked top/bottom 10 within each unit. bench/generate.py
makes the case files (cached in bench/data/); bench/handwritten.py is the yardstick,
the same rules in plain Python run in this same process: `score_point` (floats, Python's
round), a per-item function called in a loop as a user writes it, and `assess_decimal`
(exact, half-up) to check the engine's results item by item. The engine is timed on both
kinds of input: a loaded JSON case and Python values (`pe.Case(items=[…])`, as a library
user or a pandas pipeline calls it). With `pip install zen-engine`, the flat rules also run
on GoRules ZEN (bench/peer.py), a Rust engine called per item through one runtime.

Every timing runs with the garbage collector on, as the caller has it. Every figure is
printed with its ratio to the hand-written float function; the targets of bench/README.md
are checked at the end (exit status 1 if one is missed).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import generate  # noqa: E402
import handwritten  # noqa: E402

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


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Best wall time of `repeat` runs, and the last result.

    Each run starts after a full collection, and runs with the cyclic garbage collector on,
    as a caller has it: what a run allocates is charged to it, including the collections
    its objects cause (those of the engine's result objects too, which a collector switched
    off around the call would never charge)."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def command(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time and peak resident memory (bytes) of one command, measured in a wrapper
    process so that the figure is that command's own (`env`: the command's environment)."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
               "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *args], check=True, capture_output=True, text=True,
                         env=env)
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) * 1024


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "policyengine", *args]


def rate(n: int, seconds: float) -> str:
    return f"{n / seconds:>12,.0f} items/s"


def ratio(x: float, base: float) -> str:
    return f"{x / base:6.2f}×"


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


def section(title: str) -> None:
    print(f"\n{title}\n{'-' * len(title)}")


def library(n: int, flat: Any, ranked: Any, keep: dict[str, Any] | None) -> dict[str, float]:
    """Evaluate n items with both rulesets, from a loaded JSON case and from Python values,
    and by hand; print a line each; return the ratios the targets speak of. `keep` receives
    the items for the peer.

    The timings (engine on each input, and hand, flat and ranked) take turns, round after
    round, and each ratio is the median of the ratios within a round: a machine that slows
    down for a few seconds then slows both sides of a ratio, not one."""
    path = generate.case_path(n)
    read, case = timed(lambda: pe.load_case(path))
    with path.open(encoding="utf-8") as fh:
        items = json.load(fh)["items"]
    with path.open(encoding="utf-8") as fh:
        exact_items = json.load(fh, parse_float=Decimal, parse_int=Decimal)["items"]
    rounds = 7 if n <= 100_000 else 3
    kinds = {"JSON": lambda: case, "Python": lambda: pe.Case(items=items)}
    runs: dict[str, list[float]] = {}
    results: dict[str, Any] = {}
    for _ in range(rounds):
        for label, ruleset, rank in (("flat", flat, False), ("ranked", ranked, True)):
            for kind, given in kinds.items():
                seconds, results[label, kind] = timed(lambda ruleset=ruleset, given=given: ruleset.evaluate(given()))
                runs.setdefault(f"{label} {kind}", []).append(seconds)
            seconds, _ = timed(lambda rank=rank: handwritten.assess_points(items, rank=rank))
            runs.setdefault(f"hand {label}", []).append(seconds)
    figures: dict[str, float] = {}
    for label, rank in (("flat", False), ("ranked", True)):
        exact, (want, summary) = timed(lambda rank=rank: handwritten.assess_decimal(exact_items, rank=rank), 3)
        hand_runs = runs[f"hand {label}"]
        for kind in kinds:
            what = f"policyengine ({label}, {kind} input, {n} items)"
            check_agreement(what, engine_rows(results[label, kind]), want)
            check_summary(what, results[label, kind].summary, summary)
            engine_runs = runs[f"{label} {kind}"]
            figures[f"{label} {kind}"] = statistics.median(
                e / h for e, h in zip(engine_runs, hand_runs, strict=True))
            adds = ""
            if label == "ranked":
                figures[f"adds {kind}"] = statistics.median(
                    r / f for r, f in zip(engine_runs, runs[f"flat {kind}"], strict=True)) - 1
                adds = f"{figures[f'adds {kind}']:+12.0%}"
            print(f"{n:>9,}  {label:<7} {kind:<7}{rate(n, min(engine_runs))} {rate(n, min(hand_runs)):>24}"
                  f" {figures[f'{label} {kind}']:6.2f}× {ratio(exact, min(hand_runs)):>11} {adds:>13}")
    results.clear()
    plain, _ = timed(lambda: json.loads(path.read_text("utf-8")))
    print(f"{'':>9}  reading the JSON case: {read:.2f} s ({rate(n, read).strip()}); "
          f"json.load alone: {plain:.2f} s")
    if keep is not None:
        keep.update(items=items, exact=exact_items, flat=(min(runs["flat JSON"]), min(runs["hand flat"])))
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


def rollup(n: int, ranked: Any, units: Any) -> float:
    """What the rollup into units costs: tax-bench.policy with and without it, taking turns
    round after round; the median of the per-round ratios. The units' figures are checked
    against hand_units first."""
    case = pe.load_case(generate.case_path(n))
    rounds = 7
    runs: dict[str, list[float]] = {"ranked": [], "units": []}
    result = None
    for _ in range(rounds):
        seconds, _ = timed(lambda: ranked.evaluate(case))
        runs["ranked"].append(seconds)
        seconds, result = timed(lambda: units.evaluate(case))
        runs["units"].append(seconds)
    assert result is not None
    with generate.case_path(n).open(encoding="utf-8") as fh:
        exact_items = json.load(fh, parse_float=Decimal, parse_int=Decimal)["items"]
    want = hand_units(exact_items, handwritten.assess_decimal(exact_items, rank=True)[0])
    got = {u.id: (u.values["风险点数"], u.values["高风险数"], u.values["平均得分"], u.values["单位指数"],
                  u.grades["单位档次"].level) for u in result.rollups["各单位"].units}
    if got != want:
        wrong = next(k for k in want if got.get(k) != want[k])
        raise SystemExit(f"the rollup disagrees with the hand computation on unit {wrong}: {got.get(wrong)} "
                         f"!= {want[wrong]}")
    adds = statistics.median(u / r for u, r in zip(runs["units"], runs["ranked"], strict=True)) - 1
    levels = result.rollups["各单位"].summary["levels"]["单位档次"]
    print(f"{n:>9,}  ranked + rollup into {len(want)} units {rate(n, min(runs['units']))}   "
          f"without: {rate(n, min(runs['ranked'])).strip()}   the rollup adds {adds:+.0%} (median of "
          f"{rounds} rounds); units {dict(levels)}")
    return adds


def in_browser(page: Path) -> dict[str, float]:
    """Open the report in Debian's Chromium (through Playwright, as the tests do) and time
    what a reader does: open it, sort the table, filter and search. Nothing when there is
    no browser or no Playwright."""
    chromium = "/usr/bin/chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("  Playwright is not installed (pip install playwright); browser timings skipped")
        return {}
    if not Path(chromium).exists():
        print(f"  {chromium} not found (apt-get install chromium); browser timings skipped")
        return {}
    out: dict[str, float] = {}
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=flags)
        tab = browser.new_page()
        start = time.perf_counter()
        tab.goto(page.as_uri())
        tab.wait_for_selector("table.publication-table tbody tr.item")
        out["that report in Chromium: opened, first page of the table drawn"] = time.perf_counter() - start
        rows = tab.locator("table.publication-table tbody tr.item").count()
        # the page's own clock: from the click to the redrawn table, in the same task
        sort = tab.evaluate("""() => { const t = performance.now();
            document.querySelector('th[data-name="综合得分"]').click(); return (performance.now() - t) / 1000; }""")
        out["that report in Chromium: sort the 100k rows by a score"] = sort
        search = tab.evaluate("""() => { const t = performance.now();
            const s = document.querySelector('select.level-filter');
            s.value = s.options[1].value; s.dispatchEvent(new Event('change'));
            const q = document.querySelector('input.search');
            q.value = '执法'; q.dispatchEvent(new Event('input'));
            return (performance.now() - t) / 1000; }""")
        out["that report in Chromium: filter by a level, then search"] = search
        found = tab.locator(".page-info").text_content()
        browser.close()
    print(f"  in Chromium: opened in {out['that report in Chromium: opened, first page of the table drawn']:.2f} s "
          f"({rows} rows a page), sort {sort:.3f} s, filter and search {search:.3f} s ({found})")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 100k items only, no 1M run")
    parser.add_argument("--sizes", default=None, help="comma-separated item counts (default 10000,100000,1000000)")
    parser.add_argument("--no-peer", action="store_true", help="skip the ZEN peer even if installed")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")] if options.sizes else (
        [10_000, 100_000] if options.quick else [10_000, 100_000, 1_000_000])
    measured: dict[str, float] = {}
    print(f"policyengine {pe.__version__} · Python {sys.version.split()[0]} · {os.cpu_count()} cores")

    # ---------------------------------------------------------------- start-up and compile
    section("start-up and compile")
    nothing = statistics.median(command([sys.executable, "-c", "pass"])[0] for _ in range(5))
    helps = statistics.median(command(cli("--help"))[0] for _ in range(5))
    measured["policyengine --help"] = helps
    print(f"policyengine --help          {helps * 1000:8.1f} ms   (python -c pass: {nothing * 1000:.1f} ms)")
    chinese = {**{k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "POLICYENGINE_LANG")},
               "LANG": "zh_CN.UTF-8"}
    helps_zh = statistics.median(command(cli("--help"), env=chinese)[0] for _ in range(5))
    measured["policyengine --help in Chinese (LANG=zh_CN.UTF-8: the catalog is read)"] = helps_zh
    print(f"policyengine --help (zh_CN)  {helps_zh * 1000:8.1f} ms")
    cold, _ = timed(lambda: pe.load_ruleset(RANKED))  # builds the grammar's parser once
    warm, rs = timed(lambda: pe.load_ruleset(RANKED), repeat=20)
    shipped, _ = timed(lambda: pe.load_ruleset("tax@2010"), repeat=20)
    from policyengine.compile import compile_ruleset

    only, _ = timed(lambda: compile_ruleset(rs.model, rs.analysis), repeat=20)
    measured["compile a ruleset (parse, resolve, check, compile)"] = max(warm, shipped)
    print(f"load tax-bench.policy        {warm * 1000:8.1f} ms   (first in the process: {cold * 1000:.0f} ms, "
          "building the grammar's parser)")
    print(f"load shipped tax@2010        {shipped * 1000:8.1f} ms")
    print(f"  of which compile alone     {only * 1000:8.1f} ms")

    # ---------------------------------------------------------------- evaluation
    flat = pe.load_ruleset(FLAT)
    section("evaluation in the library (pe.load_case, then rs.evaluate: validate + evaluate + results)")
    print(f"{'items':>9}  {'rules':<7} {'input':<7}{'policyengine':>22} {'score_point loop':>24} {'ratio':>7}"
          f" {'hand exact':>11} {'ranking adds':>13}")
    print(f"{'':>9}  {'':<7} {'':<7}{'(best run)':>22} {'(best run)':>24} {'(median)':>7}")
    hundred_k: dict[str, Any] = {}
    for n in sizes:
        figures = library(n, flat, rs, hundred_k if n == 100_000 else None)
        size = {100_000: "100k", 1_000_000: "1M"}.get(n)
        if size:
            for kind, shown in (("JSON", "a JSON case"), ("Python", "Python values")):
                measured[f"evaluation of {size} items from {shown} / the float function"] = figures[f"flat {kind}"]
        if n == 100_000:
            measured["ranking within units adds"] = max(figures["adds JSON"], figures["adds Python"])

    # ---------------------------------------------------------------- rollups
    if 100_000 in sizes:
        section("a rollup into units (tax-bench-units.policy: unit index, grade, ranking across units)")
        units = pe.load_ruleset(UNITS)
        measured["a rollup into units (index, grade, ranking) adds"] = rollup(100_000, rs, units)

    # ---------------------------------------------------------------- the peer engine
    if hundred_k and not options.no_peer:
        section("a peer engine on the same 100k items (flat rules: per-item engines cannot rank)")
        try:
            import peer

            engine_zen = peer.engine()
        except ImportError:
            print("GoRules ZEN is not installed (pip install zen-engine); skipped")
        else:
            from importlib.metadata import version

            rows = peer.inputs(hundred_k["items"])
            zen_time, got = timed(lambda: peer.assess(engine_zen, rows))
            check_agreement("ZEN", got, handwritten.assess_decimal(hundred_k["exact"], rank=False)[0])
            engine, hand = hundred_k["flat"]
            print(f"ZEN {version('zen-engine'):<8} ZenEngine.evaluate per item  {rate(100_000, zen_time)}  "
                  f"{ratio(zen_time, hand)} the hand-written float function; policyengine (JSON case, best run) "
                  f"is {zen_time / engine:.1f}× as fast")
        hundred_k.clear()

    # ---------------------------------------------------------------- the command line
    section("end to end on the command line (read JSON, validate, evaluate, write JSON)")
    print("hand-written: json.load, score_point per item, ranking within units, json.dump")
    with tempfile.TemporaryDirectory() as scratch:
        out = str(Path(scratch) / "result.json")
        for n in [s for s in sizes if s >= 100_000]:
            path = str(generate.case_path(n))
            wall, peak = command(cli("eval", str(RANKED), path, "--format", "json", "--output", out))
            hand_wall, hand_peak = command([sys.executable, str(HERE / "handwritten.py"), path, out])
            print(f"{n:>9,} items  policyengine eval {wall:6.2f} s, peak {mib(peak):>9}   "
                  f"hand-written {hand_wall:5.2f} s, peak {mib(hand_peak):>9}   "
                  f"{ratio(wall, hand_wall)} time, {ratio(peak, hand_peak)} memory")
            if n == 1_000_000:
                measured["1M items from a JSON case, one process"] = wall
                measured["peak memory of that run"] = peak
                measured["1M items, JSON file to JSON file / json.load + the float function + json.dump"] = (
                    wall / hand_wall)
                measured["peak memory of that run / the hand-written path's"] = peak / hand_peak

    # ---------------------------------------------------------------- the HTML report
    if 100_000 in sizes:
        section("the HTML report of 100k items (written, then used in Chromium)")
        with tempfile.TemporaryDirectory() as scratch:
            page = Path(scratch) / "report.html"
            path = str(generate.case_path(100_000))
            wall, peak = command(cli("report", str(RANKED), path, "-o", str(page), "--date", "2026-01-02"))
            measured["report of 100k items (policyengine report, one process)"] = wall
            print(f"  100,000 items  policyengine report {wall:6.2f} s, peak {mib(peak):>9}, "
                  f"{mib(page.stat().st_size)} of HTML")
            measured.update(in_browser(page))

    # ---------------------------------------------------------------- targets
    section("targets (bench/README.md)")
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

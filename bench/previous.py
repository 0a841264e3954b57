"""Reading and matching a previous result (issue 16): its cost against evaluation.

    python bench/previous.py            # 100k items (about a minute on 2 cores)
    python bench/previous.py --items N

The workload of bench/run.py (bench/tax-bench.policy, ranked within units), with the
Luoyang supervision cadences added (bench/tax-bench-reviews.policy): the case is
evaluated as period 2009 and written as JSON the way `eval -o` writes it; that file is
then the previous result of the same items, whose case file says period 2010. Timed in
turns, round after round, the order reversed every other round (bench/measure.py; each run
after a full collection, the caller's collector on; the engine pauses it inside
`load_case` on its own):

- evaluation: `rs.evaluate(case)` on the loaded case (validate, evaluate, rank, results);
- reading and matching: `previous.load_previous` as `eval --previous` calls it (read the
  JSON's header, summary and rollups in full, of each item only its id and what the rules
  read: results/json.py `read_json_fields`; check ruleset id and period order) and finding
  each current item's previous item by id;
- reviews due: `reviews.schedule` (every item's next review from the previous period).

Then, end to end on the command line, `policyengine eval RULESET CASE --format json
--output FILE` with and without `--previous FILE` (read the case, evaluate, write the
result; the previous result read, checked and recorded), and with rules that read the
previous values (bench/tax-bench-trend.policy: `previous.综合得分`, `previous.风险档次`,
`new`; the values matched by id into each item's slots) against the same command without
them (which also writes fewer values), and against the same rules in a first period
(`--first-period`: nothing read, every item new), which isolates reading and matching.

Each figure is the median of the per-round ratios; the target (≤ 30%) is checked against
the command line, where evaluation is what a user waits for (exit status 1 if missed):
`--previous` against the same command without it, and rules reading it against the same
rules in a first period.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import generate  # noqa: E402
from measure import cli, command, header, load, median_ratio, rounds_of, timed  # noqa: E402

import policyengine as pe  # noqa: E402
from policyengine.previous import load_previous, wanted_by  # noqa: E402
from policyengine.render import json_chunks, write_atomically  # noqa: E402
from policyengine.reviews import schedule  # noqa: E402

TARGET = 0.30
RULES = HERE / "tax-bench-reviews.policy"
TREND = HERE / "tax-bench-trend.policy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    n = options.items
    rs = pe.load_ruleset(RULES)
    case_file = generate.case_path(n)
    now = pe.load_case(case_file)  # period 2010
    due = dt.date(2010, 12, 31)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "previous.json"
        write_atomically(path, json_chunks([rs.evaluate(dataclasses.replace(now, period=2009))]))
        size = path.stat().st_size

        def read_and_match() -> int:
            [earlier] = load_previous([path], rs.id, now, wanted_by(rs.compiled))  # as eval reads it
            index = {item.id: item for item in earlier.result.items}
            return sum(1 for item in now.items if index.get(item["id"]) is not None)

        result = rs.evaluate(now)  # what the reviews are scheduled from
        earlier = load_previous([path], rs.id, now)
        in_process = {"evaluate": lambda: rs.evaluate(now), "previous": read_and_match,
                      "reviews": lambda: schedule(result, due, None, earlier)}
        out = str(Path(scratch) / "result.json")
        commands = {"cli": cli("eval", str(RULES), str(case_file), "-f", "json", "-o", out),
                    "cli previous": cli("eval", str(RULES), str(case_file), "-f", "json", "-o", out,
                                        "--previous", str(path)),
                    "cli rules": cli("eval", str(TREND), str(case_file), "-f", "json", "-o", out,
                                     "--previous", str(path)),
                    "cli rules first": cli("eval", str(TREND), str(case_file), "-f", "json", "-o", out,
                                           "--first-period")}
        runs: dict[str, list[float]] = {k: [] for k in [*in_process, *commands]}
        header(f"policyengine {pe.__version__} · {n:,} items, previous result {size / 2**20:.0f} MiB of JSON · "
               f"{options.rounds} rounds")
        for _, name in rounds_of(list(runs), options.rounds):
            if name in in_process:
                seconds, value = timed(in_process[name])
                if name == "previous":
                    assert value == n, value
                del value
            else:
                seconds = command(commands[name])[0]
            runs[name].append(seconds)
        listed = result.reviews_due["items"]  # set by schedule

    def adds(part: str, whole: str) -> float:
        return median_ratio(runs[part], runs[whole])

    on_cli = adds("cli previous", "cli") - 1
    print(f"rs.evaluate(case)            {min(runs['evaluate']):6.2f} s")
    print(f"reading + matching previous  {min(runs['previous']):6.2f} s   {adds('previous', 'evaluate'):6.0%} of "
          "rs.evaluate")
    print(f"reviews due (--due)          {min(runs['reviews']):6.2f} s   {adds('reviews', 'evaluate'):6.0%} of "
          f"rs.evaluate ({listed:,} items due by {due})")
    print(f"policyengine eval            {min(runs['cli']):6.2f} s   with --previous {min(runs['cli previous']):.2f} s:"
          f" adds {on_cli:+.0%}")
    in_rules = adds("cli rules", "cli") - 1
    print(f"  rules reading previous.X   {min(runs['cli rules']):6.2f} s   adds {in_rules:+.0%} to policyengine eval "
          "(reading, matching and the rules that read it)")
    matched = adds("cli rules", "cli rules first") - 1
    print(f"  the same rules, a first period (--first-period, every item new) {min(runs['cli rules first']):.2f} s: "
          f"reading and matching the previous result adds {matched:+.0%} to them")
    print(f"load average after: {load()}")
    ok = on_cli <= TARGET and matched <= TARGET
    print(f"target: --previous adds ≤ {TARGET:.0%} to policyengine eval: {'met' if on_cli <= TARGET else 'MISSED'}"
          f"; to rules reading it: {'met' if matched <= TARGET else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

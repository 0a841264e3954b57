"""Reading and matching a previous result (issue 16): its cost against evaluation.

    python bench/previous.py            # 100k items (about a minute on 2 cores)
    python bench/previous.py --items N

The workload of bench/run.py (bench/tax-bench.policy, ranked within units): the case is
evaluated as period 2010 and written as JSON the way `eval -o` writes it; that file is
then the previous result of the same items evaluated as period 2011. Timed in turns,
round after round (each run after a full collection, the cyclic collector paused as the
engine pauses it):

- evaluation: `rs.evaluate(case)` on the loaded case (validate, evaluate, rank, results);
- reading and matching: `previous.load_previous` (read the JSON, check it against SPEC §5,
  build the `Result`, check ruleset id and period order) and finding each current item's
  previous item by id;
- reviews due: `reviews.schedule` (every item's next review from the previous period).

The figure is the median of the per-round ratios to evaluation; the target (≤ 30%) is
checked at the end (exit status 1 if missed).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import generate  # noqa: E402
from run import RANKED, timed  # noqa: E402

import policyengine as pe  # noqa: E402
from policyengine.previous import load_previous  # noqa: E402
from policyengine.render import json_chunks, write_atomically  # noqa: E402
from policyengine.reviews import schedule  # noqa: E402

TARGET = 0.30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    n = options.items
    rs = pe.load_ruleset(RANKED)
    case = pe.load_case(generate.case_path(n))
    before = dataclasses.replace(case, period=2010)
    now = dataclasses.replace(case, period=2011)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "previous.json"
        write_atomically(path, json_chunks([rs.evaluate(before)]))
        size = path.stat().st_size

        def read_and_match() -> int:
            [earlier] = load_previous([path], rs.id, now)
            index = {item.id: item for item in earlier.result.items}
            return sum(1 for item in now.items if index.get(item["id"]) is not None)

        runs: dict[str, list[float]] = {"evaluate": [], "previous": [], "reviews": []}
        for _ in range(options.rounds):
            seconds, result = timed(lambda: rs.evaluate(now))
            runs["evaluate"].append(seconds)
            seconds, matched = timed(read_and_match)
            runs["previous"].append(seconds)
            assert matched == n, matched
            earlier = load_previous([path], rs.id, now)
            seconds, _ = timed(lambda: schedule(result, dt.date(2011, 12, 31), None, earlier))
            runs["reviews"].append(seconds)
            due = result.reviews_due["items"]
    ratio = statistics.median(p / e for p, e in zip(runs["previous"], runs["evaluate"], strict=True))
    reviews = statistics.median(r / e for r, e in zip(runs["reviews"], runs["evaluate"], strict=True))
    print(f"policyengine {pe.__version__} · Python {sys.version.split()[0]} · {n:,} items, previous result "
          f"{size / 2**20:.0f} MiB of JSON")
    print(f"evaluation                   {min(runs['evaluate']):6.2f} s (best of {options.rounds})")
    print(f"reading + matching previous  {min(runs['previous']):6.2f} s   adds {ratio:+.0%} (median ratio)")
    print(f"reviews due (--due)          {min(runs['reviews']):6.2f} s   adds {reviews:+.0%} "
          f"({due:,} items due by 2011-12-31)")
    ok = ratio <= TARGET
    print(f"target: reading and matching adds ≤ {TARGET:.0%}: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

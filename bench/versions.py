"""Two versions of policyengine on the same 100k items, taking turns in fresh processes.

    git archive OLD | tar -x -C ../before     # any two checkouts (or exported trees)
    python3 bench/versions.py ../before . --rounds 5

Each round starts one process per checkout, in turns; a process imports that checkout's
policyengine and times `rs.evaluate` (flat and ranked rules, a loaded JSON case and Python
values, the collector on) against the `score_point` loop of bench/handwritten.py in the
same process, twice, keeping the lower ratio of each. Printed: the median of the rounds'
ratios per checkout, and every round's. Ratios, not seconds: the two versions never run
at the same time, so a machine that others load slows both sides of each ratio alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHILD = r'''
import gc, json, sys, time
root, bench = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
sys.path.insert(1, bench)
import policyengine as pe
import generate, handwritten
assert pe.__file__.startswith(root), pe.__file__
path = generate.case_path(100000)
case = pe.load_case(path)
with path.open(encoding="utf-8") as fh:
    items = json.load(fh)["items"]
flat = pe.load_ruleset(root + "/bench/tax-bench-flat.policy")
ranked = pe.load_ruleset(root + "/bench/tax-bench.policy")
def timed(f):
    gc.collect()
    start = time.perf_counter()
    f()
    return time.perf_counter() - start
out = {}
for _ in range(2):
    hand = timed(lambda: handwritten.assess_points(items, rank=False))
    for name, rs in (("flat", flat), ("ranked", ranked)):
        out.setdefault(name + " JSON", []).append(timed(lambda: rs.evaluate(case)) / hand)
        out.setdefault(name + " Python", []).append(timed(lambda: rs.evaluate(pe.Case(items=items))) / hand)
print(json.dumps({k: min(v) for k, v in out.items()}))
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs=2, help="two checkouts (folders holding policyengine/ and bench/)")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    roots = [str(Path(c).resolve()) for c in options.checkouts]
    found: dict[tuple[str, str], list[float]] = {}
    for _ in range(options.rounds):
        for root in roots:
            run = subprocess.run([sys.executable, "-c", CHILD, root, str(HERE)], capture_output=True, text=True,
                                 check=True)
            for what, value in json.loads(run.stdout).items():
                found.setdefault((root, what), []).append(value)
    for (root, what), values in found.items():
        print(f"{Path(root).name:<20} {what:<14} median {statistics.median(values):.2f}×   rounds: "
              + ", ".join(f"{v:.2f}" for v in values))
    return 0


if __name__ == "__main__":
    sys.exit(main())

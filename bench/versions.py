"""Two versions of policyengine on the same 100k items, taking turns in fresh processes.

    git archive OLD | tar -x -C ../before     # any two checkouts (or exported trees)
    python3 bench/versions.py ../before . --rounds 5

Each round starts one process per checkout, in turns, the order reversed every other round
(so neither checkout always runs first); a process imports that checkout's policyengine and
times `rs.evaluate` (flat and ranked rules, a loaded JSON case and Python values, the
collector on) and the `score_point` loop of bench/handwritten.py, in 3 alternating rounds
within the process (bench/measure.py), and reports the median of its per-round ratios.
Printed: the median of the processes' ratios per checkout, and every process's, with the
load average before and after. Ratios, not seconds: the two versions never run at the same
time, so a machine that others load slows both sides of each ratio alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from measure import header, load, rounds_of  # noqa: E402

CHILD = r'''
import json, sys
root, bench = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
sys.path.insert(1, bench)
import policyengine as pe
import generate, handwritten
from measure import alternating, median_ratio
assert pe.__file__.startswith(root), pe.__file__
path = generate.case_path(100000)
case = pe.load_case(path)
with path.open(encoding="utf-8") as fh:
    items = json.load(fh)["items"]
flat = pe.load_ruleset(root + "/bench/tax-bench-flat.policy")
ranked = pe.load_ruleset(root + "/bench/tax-bench.policy")
runs = {"hand": lambda: handwritten.assess_points(items, rank=False)}
for name, rs in (("flat", flat), ("ranked", ranked)):
    runs[name + " JSON"] = lambda rs=rs: rs.evaluate(case)
    runs[name + " Python"] = lambda rs=rs: rs.evaluate(pe.Case(items=items))
times = alternating(runs, 3)
print(json.dumps({k: median_ratio(v, times["hand"]) for k, v in times.items() if k != "hand"}))
'''


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkouts", nargs=2, help="two checkouts (folders holding policyengine/ and bench/)")
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    roots = [str(Path(c).resolve()) for c in options.checkouts]
    header(f"{options.rounds} rounds, 100,000 items")
    found: dict[tuple[str, str], list[float]] = {}
    for _, root in rounds_of(roots, options.rounds):
        run = subprocess.run([sys.executable, "-c", CHILD, root, str(HERE)], capture_output=True, text=True,
                             check=True)
        for what, value in json.loads(run.stdout).items():
            found.setdefault((root, what), []).append(value)
    for (root, what), values in found.items():
        print(f"{Path(root).name:<20} {what:<14} median {statistics.median(values):.2f}×   rounds: "
              + ", ".join(f"{v:.2f}" for v in values))
    print(f"load average after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

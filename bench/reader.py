"""Would a faster JSON reader earn its place? Items/s and peak memory of reading the 1M-item
case: the shipped reader against the standard library without its exact-number hooks and,
if installed, orjson (`pip install orjson`). Each reader runs in a fresh process (peak
memory is that process's largest resident set), rounds alternating.

    python3 bench/reader.py              # 1M items, 3 rounds
    python3 bench/reader.py 200000 --rounds 2
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from measure import header, load, rounds_of  # noqa: E402

# each reader: read the file and make the items (what `eval` needs before validating)
READERS = {
    # the shipped reader: numbers as Decimal from their text, one object per number text
    "policyengine load_case": "from policyengine.case import load_case\nitems = load_case(path).items",
    # the same parse without the hooks: floats, and so not exact (reference only)
    "json.loads, floats": "import json\nitems = json.loads(open(path, 'rb').read())['items']",
    "orjson.loads, floats": "import orjson\nitems = orjson.loads(open(path, 'rb').read())['items']",
}

TIMED = """
import resource, sys, time
path = sys.argv[1]
start = time.perf_counter()
{body}
took = time.perf_counter() - start
print(took, len(items), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def available(name: str) -> bool:
    if not name.startswith("orjson"):
        return True
    done = subprocess.run([sys.executable, "-c", "import orjson"], capture_output=True)
    return done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    case = generate.case_path(args.n)
    readers = [name for name in READERS if available(name)]
    times: dict[str, list[float]] = {name: [] for name in readers}
    peaks: dict[str, list[int]] = {name: [] for name in readers}
    header(f"{args.n} items, {case.stat().st_size / 2**20:.0f} MiB of JSON, {args.rounds} rounds")
    for _, name in rounds_of(readers, args.rounds):
        done = subprocess.run([sys.executable, "-c", TIMED.format(body=READERS[name]), str(case)],
                              capture_output=True, text=True, cwd=HERE.parent, check=True)
        took, count, peak = done.stdout.split()
        assert int(count) == args.n
        times[name].append(float(took))
        peaks[name].append(int(peak))
    for name in readers:
        t = statistics.median(times[name])
        print(f"{name:26} {args.n / t:>12,.0f} items/s  (median {t:.2f} s)  peak {max(peaks[name]) / 1024:,.0f} MiB")
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()

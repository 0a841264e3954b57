"""`eval --jobs`: one process against several on the same case, end to end.

Each round runs `policyengine eval bench/tax-bench.policy CASE -o RESULT.json` once with
`--jobs 1` and once with `--jobs J`, alternating, in fresh processes (the collector on, as
a user runs the command): reading the JSON case, validating, evaluating, writing the JSON
result. The two results must be the same bytes, or no figure is printed. Peak memory is the
largest resident set of the command and, with --jobs, of its workers; CPU is the user +
system time of the command and of its workers (getrusage).

    python3 bench/shards.py                 # 1M items, 1 against 2 processes, 3 rounds
    python3 bench/shards.py 200000 --rounds 2 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
from measure import header, load, median_ratio, rounds_of  # noqa: E402

# runs the command in this process, then reports the peak memory and CPU of it and of its children
RUN = """
import json, resource, sys
from policyengine.cli import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    sys.stderr.write(json.dumps({"own_kib": own.ru_maxrss, "worker_kib": workers.ru_maxrss,
                                 "own_cpu": own.ru_utime + own.ru_stime,
                                 "worker_cpu": workers.ru_utime + workers.ru_stime}) + "\\n")
"""


def once(case: Path, out: Path, jobs: int) -> tuple[float, dict[str, int]]:
    command = [sys.executable, "-c", RUN, "eval", str(HERE / "tax-bench.policy"), str(case), "-o", str(out),
               "--jobs", str(jobs)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent,
                          env={**os.environ, "PYTHONPATH": str(HERE.parent)})
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(done.stderr)
    return took, json.loads(done.stderr.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    case = generate.case_path(args.n)
    header(f"{args.n} items, {case.stat().st_size / 2**20:.0f} MiB, {args.rounds} rounds")
    times: dict[int, list[float]] = {1: [], args.jobs: []}
    peaks: dict[int, list[int]] = {1: [], args.jobs: []}
    cpu: dict[int, list[tuple[float, float]]] = {1: [], args.jobs: []}
    with tempfile.TemporaryDirectory() as folder:
        outs = {j: Path(folder) / f"result-{j}.json" for j in times}
        for r, jobs in rounds_of([1, args.jobs], args.rounds):
            took, memory = once(case, outs[jobs], jobs)
            times[jobs].append(took)
            peaks[jobs].append(max(memory["own_kib"], memory["worker_kib"]))
            cpu[jobs].append((memory["own_cpu"], memory["worker_cpu"]))
            print(f"  round {r + 1}, --jobs {jobs}: {took:.2f} s, peak {peaks[jobs][-1] / 1024:.0f} MiB, "
                  f"CPU {memory['own_cpu']:.1f} s + workers {memory['worker_cpu']:.1f} s (load {load()})")
        if outs[1].read_bytes() != outs[args.jobs].read_bytes():
            sys.exit("the results differ: no figure")
    one, many = statistics.median(times[1]), statistics.median(times[args.jobs])
    paired = median_ratio(times[1], times[args.jobs])
    print(f"--jobs 1: median {one:.2f} s (min {min(times[1]):.2f}), {args.n / one:,.0f} items/s")
    print(f"--jobs {args.jobs}: median {many:.2f} s (min {min(times[args.jobs]):.2f}), {args.n / many:,.0f} items/s")
    for jobs in times:
        own, workers = (statistics.median(c[k] for c in cpu[jobs]) for k in (0, 1))
        print(f"--jobs {jobs}: CPU (median) {own:.1f} s in the command + {workers:.1f} s in its workers "
              f"= {own + workers:.1f} s; peak {max(peaks[jobs]) / 1024:,.0f} MiB")
    print(f"speed-up {paired:.2f}× (median of the per-round ratios), {one / many:.2f}× (medians), "
          f"{min(times[1]) / min(times[args.jobs]):.2f}× (minima); "
          f"same bytes; load average after: {load()}")


if __name__ == "__main__":
    main()

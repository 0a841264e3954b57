"""How every benchmark script measures, in one place so that they all measure alike.

- Rounds alternate: each round runs every contender once, and every other round runs them
  in the reverse order (`rounds_of`), so that a machine slowing down for a few seconds slows
  all of them, and none is always first (cold caches) or always last.
- A ratio is the median of the per-round ratios (`median_ratio`): the two sides of each
  ratio ran seconds apart, under the same load.
- In-process timings start after a full collection and run with the cyclic garbage
  collector on, as a caller has it (`timed`): a run is charged for the collections its own
  allocations cause.
- The machine's load average (`os.getloadavg()`: 1, 5 and 15 minutes) is printed at the
  start and end of each section (`section`), and the header gives the Python version and
  the core count (`header`): on a shared machine a load above the core count slows every
  process, the yardstick included, and the reader has to know it.
"""

from __future__ import annotations

import gc
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


def load() -> str:
    """The load average over 1, 5 and 15 minutes, as `uptime` shows it."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def header(what: str) -> None:
    print(f"{what} · Python {sys.version.split()[0]} · {os.cpu_count()} cores · load average {load()}")


@contextmanager
def section(title: str) -> Iterator[None]:
    """A titled part of the output, with the load average when it starts and when it ends."""
    print(f"\n{title}\n{'-' * len(title)}\nload average at the start: {load()}")
    yield
    print(f"load average at the end: {load()}")


def rounds_of(names: Sequence[T], rounds: int) -> Iterator[tuple[int, T]]:
    """(round, name) for each run, round after round; odd rounds in the reverse order."""
    for r in range(rounds):
        for name in names if r % 2 == 0 else reversed(names):
            yield r, name


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall time of one run of `fn`, started after a full collection, with the collector on,
    and its result."""
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def alternating(runs: dict[str, Callable[[], Any]], rounds: int,
                check: dict[str, Callable[[Any], None]] | None = None) -> dict[str, list[float]]:
    """Each callable's wall times over `rounds` alternating rounds (`timed`).

    `check[name]` receives the first round's result of `name`, outside the clock; no result
    is kept after that, so that none of them is alive (and scanned by the collector) while
    another contender is timed."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for r, name in rounds_of(list(runs), rounds):
        seconds, result = timed(runs[name])
        times[name].append(seconds)
        if r == 0 and check and name in check:
            check[name](result)
        del result
    return times


def median_ratio(top: Sequence[float], bottom: Sequence[float]) -> float:
    """The median of the per-round ratios top[r] / bottom[r]."""
    return statistics.median(t / b for t, b in zip(top, bottom, strict=True))


def command(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int]:
    """Wall time and peak resident memory (bytes) of one command, measured in a wrapper
    process so that the figures are that command's own, not this process's start-up or
    memory (`env`: the command's environment)."""
    wrapper = ("import resource, subprocess, sys, time\n"
               "t = time.perf_counter()\n"
               "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
               "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *args], check=True, capture_output=True, text=True,
                         env=env)
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) * 1024


def cli(*args: str) -> list[str]:
    """The command line of `policyengine ARGS` run by this interpreter."""
    return [sys.executable, "-m", "policyengine", *args]


def locale_environment(lang: str) -> dict[str, str]:
    """This process's environment with only LANG choosing the language (nothing that would
    override it: LC_ALL, LC_MESSAGES, LANGUAGE, POLICYENGINE_LANG)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "POLICYENGINE_LANG")}
    env["LANG"] = lang
    return env


def spread(times: Sequence[float], scale: float = 1.0, unit: str = "s", digits: int = 2) -> str:
    """'median (min – max)' of a list of times."""
    return (f"{statistics.median(times) * scale:.{digits}f} {unit} "
            f"({min(times) * scale:.{digits}f} – {max(times) * scale:.{digits}f})")

"""`python -m tests.fuzz --minutes 60`: fuzz for a given time, then print how many inputs
were tried and every distinct failure (with the first input that showed it)."""

from __future__ import annotations

import argparse
import collections
import random
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, seed, settings

from .inputs import Example, examples
from .oracle import Broken, run

PER_EXAMPLE_SECONDS = 60  # more than this for one input is a hang, itself a finding


class _Hang(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise _Hang()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None, help="first batch's seed (default: random)")
    parser.add_argument("--save", type=Path, default=None, help="a folder for the first input of each failure")
    args = parser.parse_args(argv)
    end = time.monotonic() + args.minutes * 60
    rng = random.Random(args.seed)
    tried = 0
    outcomes: collections.Counter[str] = collections.Counter()
    failures: dict[str, list[Any]] = {}  # signature -> [count, detail, example]
    work = Path(tempfile.mkdtemp(prefix="policyengine-fuzz-"))
    signal.signal(signal.SIGALRM, _alarm)
    last_report = time.monotonic()

    def one(example: Example) -> None:
        nonlocal tried, last_report
        if time.monotonic() > end:
            return
        tried += 1
        signal.alarm(PER_EXAMPLE_SECONDS)
        try:
            outcomes[run(example, work)] += 1
        except Broken as exc:
            record(exc.signature, exc.detail, example)
        except _Hang:
            record("hang: one input took more than a minute", "", example)
        except Exception as exc:  # the harness itself failed: report it and go on
            record(f"harness: {type(exc).__name__}: {str(exc)[:80]}", traceback.format_exc()[-3000:], example)
        finally:
            signal.alarm(0)
        if time.monotonic() - last_report > 300:
            last_report = time.monotonic()
            print(f"... {tried} inputs, {len(failures)} distinct failures", flush=True)

    def record(signature: str, detail: str, example: Example) -> None:
        if signature in failures:
            failures[signature][0] += 1
            return
        failures[signature] = [1, detail, example]
        print(f"NEW FAILURE after {tried} inputs: {signature}", flush=True)
        if args.save is not None:
            folder = args.save / f"failure-{len(failures)}"
            folder.mkdir(parents=True, exist_ok=True)
            ext = ".policy" if example.form == "dsl" else ".yaml"
            (folder / f"r{ext}").write_bytes(example.ruleset.encode("utf-8", "surrogatepass"))
            (folder / f"c.{example.case_format}").write_bytes(example.case if isinstance(example.case, bytes)
                                                                     else example.case.encode("utf-8", "surrogatepass"))
            (folder / "failure.txt").write_text(f"{signature}\n\n{detail}\n", encoding="utf-8")

    while time.monotonic() < end:
        batch_seed = rng.randrange(2**32)
        test = seed(batch_seed)(settings(max_examples=200, deadline=None, database=None,
                                         suppress_health_check=list(HealthCheck))(given(examples())(one)))
        test()
    print(f"\ntried {tried} inputs in {args.minutes:g} minutes: "
          + ", ".join(f"{n} {k}" for k, n in sorted(outcomes.items())))
    print(f"{len(failures)} distinct failure(s)")
    for signature, (count, detail, example) in failures.items():
        print(f"\n== {signature}  ({count} input(s))")
        print(detail[-1500:])
        print(f"ruleset ({example.form}): {example.ruleset[:1500]!r}")
        print(f"case ({example.case_format}): {example.case[:500]!r}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

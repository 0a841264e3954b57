"""Start-up under a Chinese locale: `python -m policyengine --help` with LANG=zh_CN.UTF-8.

    python bench/startup.py            # 21 rounds
    python bench/startup.py --rounds N

Each round runs, one after the other, `python -c pass` (the interpreter's own floor), the
English `--help` (LANG=C) and the Chinese one (LANG=zh_CN.UTF-8: the catalog is read, click's
words and every help text translated), in the reverse order every other round, so that a
machine slowing down for a moment slows all three (bench/measure.py). Each figure is the
median over the rounds of the wall time of one subprocess, measured in a wrapper process. The target: the Chinese `--help` within 0.3 s (exit status 1 if missed).
The machine's load average is printed with the figures: on a shared machine a load above the
number of cores makes every process slower, the floor included.

It also checks that the catalog is read lazily: an English `--help` never opens it (the
subprocess prints whether `policyengine.i18n` loaded a catalog).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import cli, command, header, load, locale_environment, rounds_of

TARGET = 0.3  # seconds, for the Chinese --help


def catalog_read(lang: str) -> bool:
    """Whether `--help` under `lang` loaded the Chinese catalog (in-process, after the run)."""
    probe = ("import policyengine.i18n as i, policyengine.cli as c\n"
             "try:\n    c.main(['--help'])\nexcept SystemExit:\n    pass\n"
             "import sys\nprint(i._catalog is not None, file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=locale_environment(lang),
                         check=True)
    return out.stderr.strip().endswith("True")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=21)
    options = parser.parse_args()
    commands = {"python -c pass": ([sys.executable, "-c", "pass"], locale_environment("C")),
                "--help (LANG=C)": (cli("--help"), locale_environment("C")),
                "--help (LANG=zh_CN.UTF-8)": (cli("--help"), locale_environment("zh_CN.UTF-8"))}
    runs: dict[str, list[float]] = {name: [] for name in commands}
    header(f"{options.rounds} rounds")
    command(*commands["--help (LANG=zh_CN.UTF-8)"])  # the first run compiles the package's bytecode
    for _, name in rounds_of(list(commands), options.rounds):
        runs[name].append(command(*commands[name])[0])
    print(f"load average after: {load()}")
    medians = {name: statistics.median(times) for name, times in runs.items()}
    for name, median in medians.items():
        print(f"  {name:28} median {median * 1000:7.1f} ms   "
              f"(min {min(runs[name]) * 1000:.1f}, max {max(runs[name]) * 1000:.1f})")
    floor = medians["python -c pass"]
    chinese = medians["--help (LANG=zh_CN.UTF-8)"]
    print(f"  the Chinese --help above the interpreter's floor: {(chinese - floor) * 1000:.1f} ms")
    english_reads = catalog_read("C")
    chinese_reads = catalog_read("zh_CN.UTF-8")
    print(f"  catalog read by the English --help: {english_reads}; by the Chinese one: {chinese_reads}")
    ok = chinese <= TARGET and not english_reads and chinese_reads
    print(f"target: Chinese --help within {TARGET} s: {'met' if chinese <= TARGET else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: how long `pockg build` of the curated graph takes.

Run by hand:  .venv/bin/python benchmarks/bench_build.py [--runs 5]
Builds into a fresh on-disk store in a temporary folder each run (the real
path: assemble, SHACL + QC validation, one atomic write) and prints the
median and worst time per phase. Target (issue 2): under 10 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from pockg.build import build
from pockg.config import load_settings
from pockg.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    totals, phases, quads = [], {}, 0
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            settings = load_settings(store=str(Path(tmp) / "store"))
            store = open_store(settings.store)
            start = time.perf_counter()
            report = build(settings, store)
            totals.append(time.perf_counter() - start)
            store.close()
            quads = report.total
            for name, seconds in report.seconds.items():
                phases.setdefault(name, []).append(seconds)
    print(f"pockg build, {quads} quads, {args.runs} runs, on-disk store")
    print(f"  total     median {statistics.median(totals):6.2f}s  worst {max(totals):6.2f}s")
    for name, values in phases.items():
        print(f"  {name:9} median {statistics.median(values):6.2f}s  worst {max(values):6.2f}s")


if __name__ == "__main__":
    main()

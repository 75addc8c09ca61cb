"""Benchmark: the load rate into the embedded store (``pockg load``), against rdflib.

Run by hand (not part of the test suite; about 2 minutes at the defaults):
    .venv/bin/python benchmarks/bench_load.py                      # 100k and 1M, 3 runs each
    .venv/bin/python benchmarks/bench_load.py --sizes 10000000 --runs 1 --no-rdflib
    .venv/bin/python benchmarks/bench_load.py --nquads /tmp/syn-1m.nq    # a file you have

For each size (``--sizes``, statements) it writes the synthetic graph of
benchmarks/synthetic.py (N-Quads: the curated graph plus renamed copies of
its instance data, each source in its own named graph), then times, on a
fresh on-disk store each run (``--runs``, median reported):

* ``pockg load``'s loader (``pockg.bulk.load_store``: the file read, cut
  into ``--threads`` pieces at line boundaries, each bulk-loaded from a
  thread of its own; strict parsing, as the command does by default) — the
  load into the store itself, then, separately, the public replica made the
  same way;
* one ``pyoxigraph.Store.bulk_load`` call on the file (what the loader
  improves on: it uses one core below a few million statements);
* rdflib parsing the same file into an in-memory ``Dataset`` (up to 1M;
  ``--no-rdflib`` skips it).

For each, the peak resident memory it added to this process (sampled every
20 ms).

Statements per second count the file's lines (= quads). The target of the
issue: at least 150k statements/s into the embedded store at 1M on this
2-core machine; the run exits 1 when the median misses it. The load average
is printed with each figure: the threads need the second core, so a busy
machine shows in the figure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyoxigraph as ox
import synthetic

from pockg.bulk import load_store

TARGET_RATE = 150_000        # statements/s at 1M
MIB = 1024 * 1024


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    """The highest resident memory of this process while a block runs (every 20 ms)."""

    def __enter__(self):
        import threading

        gc.collect()
        self.before = self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mib())

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())
        self.added = round(self.peak - self.before)


def time_pockg_load(nq: Path, work: Path, threads: int) -> dict:
    target = work / "pockg-store"
    for leftover in work.glob("pockg-store*"):
        shutil.rmtree(leftover, ignore_errors=True)
    t0 = time.perf_counter()
    with PeakRss() as rss:
        info = load_store(target, [nq], threads=threads, replica=True)
    total = time.perf_counter() - t0
    return {"load_s": info["seconds"], "replica_s": total - info["seconds"], "quads": info["quads"],
            "peak_rss_added_mib": rss.added}


def time_bulk_load(nq: Path, work: Path) -> dict:
    target = work / "plain-store"
    shutil.rmtree(target, ignore_errors=True)
    t0 = time.perf_counter()
    with PeakRss() as rss:
        store = ox.Store(str(target))
        store.bulk_load(path=str(nq), format=ox.RdfFormat.N_QUADS)
    seconds = time.perf_counter() - t0
    quads = len(store)
    del store
    return {"load_s": seconds, "quads": quads, "peak_rss_added_mib": rss.added}


def time_rdflib(nq: Path) -> dict:
    import rdflib

    t0 = time.perf_counter()
    with PeakRss() as rss:
        ds = rdflib.Dataset()
        ds.parse(str(nq), format="nquads")
    seconds = time.perf_counter() - t0
    quads = sum(1 for _ in ds.quads((None, None, None, None)))
    del ds
    gc.collect()
    return {"load_s": seconds, "quads": quads, "peak_rss_added_mib": rss.added}


def run_size(size: int, nq: Path | None, curated, work: Path, args) -> dict:
    result = {"size": size, "date": date.today().isoformat(), "cores": os.cpu_count(),
              "threads": args.threads, "runs": args.runs}
    if nq is None:
        nq = work / f"syn-{size}.nq"
        t0 = time.perf_counter()
        lines = synthetic.write(nq, curated, size, args.seed)
        print(f"[{size:,}] wrote {lines:,} statements in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr, flush=True)
    else:
        with open(nq, "rb") as f:
            lines = sum(1 for _ in f)
    result.update(statements=lines, nquads_mib=round(nq.stat().st_size / MIB))
    kinds = [("pockg_load", lambda: time_pockg_load(nq, work, args.threads)),
             ("bulk_load_one_call", lambda: time_bulk_load(nq, work))]
    if not args.no_rdflib and lines <= 1_000_000:
        kinds.append(("rdflib_parse", lambda: time_rdflib(nq)))
    for name, measure in kinds:
        runs = []
        for i in range(args.runs if name != "rdflib_parse" else 1):
            load = load_average()
            got = measure()
            got["load_average"] = load
            runs.append(got)
            print(f"[{size:,}] {name} run {i + 1}: {got['load_s']:.2f} s = "
                  f"{lines / got['load_s']:,.0f} statements/s (load average {load})"
                  + (f", replica +{got['replica_s']:.1f} s" if "replica_s" in got else "")
                  + f", peak +{got['peak_rss_added_mib']} MiB resident",
                  file=sys.stderr, flush=True)
            if got["quads"] != lines and name != "rdflib_parse":
                raise SystemExit(f"{name} holds {got['quads']:,} quads, the file {lines:,}")
        median = statistics.median(r["load_s"] for r in runs)
        result[name] = {"median_s": round(median, 2), "rate": round(lines / median),
                        "runs": [{k: (round(v, 2) if isinstance(v, float) else v)
                                  for k, v in r.items()} for r in runs]}
        if name == "pockg_load":
            result[name]["replica_median_s"] = round(
                statistics.median(r["replica_s"] for r in runs), 2)
    for leftover in work.glob("*-store*"):
        shutil.rmtree(leftover, ignore_errors=True)
    if args.nquads is None and not args.keep:
        nq.unlink()
    return result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="100000,1000000", help="statements (100000,1000000)")
    ap.add_argument("--nquads", type=Path, help="load this N-Quads file instead (one size)")
    ap.add_argument("--runs", type=int, default=3, help="runs per loader, median kept (3)")
    ap.add_argument("--threads", type=int, default=2, help="pockg load --threads (2)")
    ap.add_argument("--no-rdflib", action="store_true", help="skip rdflib's parse")
    ap.add_argument("--work", type=Path, help="folder for files and stores (default: /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the generated N-Quads files")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix="pockg-bench-load-"))
    work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    curated = None
    if args.nquads is None:
        curated = synthetic.index(synthetic.curated_quads())
    results = []
    try:
        for size in ([0] if args.nquads else sizes):
            result = run_size(size, args.nquads, curated, work, args)
            print("RESULT " + json.dumps(result), flush=True)
            results.append(result)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{date.today().isoformat()}  {platform.node()}  {os.cpu_count()} cores  Python "
          f"{platform.python_version()}  pyoxigraph {ox.__version__}  (statements/s, median)")
    print(f"{'statements':>12} {'pockg load':>11} {'+replica s':>10} {'bulk_load':>10} "
          f"{'rdflib':>9}   peak MiB added: pockg load / bulk_load / rdflib")
    ok = True
    for r in results:
        rd = r.get("rdflib_parse", {})
        mem = [str(max(run["peak_rss_added_mib"] for run in r[k]["runs"])) if k in r else "-"
               for k in ("pockg_load", "bulk_load_one_call", "rdflib_parse")]
        print(f"{r['statements']:>12,} {r['pockg_load']['rate']:>11,} "
              f"{r['pockg_load']['replica_median_s']:>10} {r['bulk_load_one_call']['rate']:>10,} "
              f"{rd.get('rate', '-'):>9}   {' / '.join(mem)}")
        if 900_000 <= r["statements"] <= 1_100_000:
            passed = r["pockg_load"]["rate"] >= TARGET_RATE
            ok &= passed
            print(f"  {'PASS' if passed else 'FAIL'}  {r['pockg_load']['rate']:,} statements/s "
                  f"into the embedded store at 1M (target >= {TARGET_RATE:,})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: every library query, embedded store vs rdflib, curated and ~1M graphs.

Run by hand:
    .venv/bin/python benchmarks/bench_queries.py            # curated + ~1M statements
    .venv/bin/python benchmarks/bench_queries.py --quick    # curated + ~100k, fewer runs

Loads two graphs, (a) the curated graph (built from data/ into a temporary
folder, or read from ``--store``) and (b) a synthetic graph of about
``--triples`` statements shaped like it (``benchmarks/synthetic.py``; written
to a temporary file, or reused from ``--synthetic FILE`` when that exists),
into two stores each:

- the embedded store, Oxigraph on disk (``bulk_load`` of the N-Quads into a
  temporary folder), queried through pockg's ``EmbeddedStore.select``, whose
  default graph is the union of the named graphs;
- rdflib's in-memory ``Dataset(default_union=True)`` (N-Quads parsed; its
  load time and memory are reported), queried with ``dataset.query``.

Every query in ``queries/*.rq`` is rendered once per graph with its default
parameters (``QueryLibrary.render``), and that same SPARQL text runs on both
stores. Medians of ``--runs`` timed runs (after one untimed warm-up) on the
embedded store, of ``--rdflib-runs`` runs on rdflib (no warm-up; a run over
``--rdflib-timeout`` seconds is stopped and counted at the timeout, shown as
">"). Both stores must return the same number of rows; mismatches are listed.
The ``run`` columns time ``QueryLibrary.run`` on the embedded store:
resolving the parameters, the query, and the evidence lookup of every cell,
which is what a user waits for.

Targets (issue): every query under 50 ms median on the curated graph and
under 1 s on ~1M statements (embedded store), and the embedded store at least
10x faster than rdflib over the suite (sum of the medians, at each size).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic  # noqa: E402

from pockg.config import REPO_ROOT  # noqa: E402
from pockg.library import QueryLibrary  # noqa: E402
from pockg.store import EmbeddedStore  # noqa: E402
from pockg.vocab import PREFIXES  # noqa: E402

CURATED_TARGET_MS = 50.0
LARGE_TARGET_MS = 1000.0
SPEEDUP_TARGET = 10.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def rss_mib() -> float:
    """Resident memory of this process, MiB (Linux; 0 elsewhere)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Timeout(Exception):
    pass


def _alarm(_signum, _frame):
    raise Timeout()


@dataclass
class Timing:
    """Medians (ms) and row counts of one query on one graph."""

    embedded: float | None = None
    rdflib: float | None = None
    rdflib_timed_out: bool = False
    run: float | None = None
    rows: int | None = None
    rdflib_rows: int | None = None
    run_rows: int | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class GraphResult:
    label: str
    statements: int
    embedded_load_s: float = 0.0
    rdflib_load_s: float | None = None
    rdflib_mib: float | None = None
    timings: dict[str, Timing] = field(default_factory=dict)


CLOCK = time.perf_counter  # --clock cpu: time.process_time


def median_ms(fn, runs: int, warmup: bool) -> tuple[float, object]:
    if warmup:
        fn()
    times, out = [], None
    for _ in range(runs):
        start = CLOCK()
        out = fn()
        times.append((CLOCK() - start) * 1000)
    return statistics.median(times), out


def bench_graph(label: str, path: Path, workdir: Path, library: QueryLibrary, names: list[str],
                runs: int, rdflib_runs: int, timeout: float, with_run: bool = True) -> GraphResult:
    statements = sum(1 for _ in open(path, "rb"))
    result = GraphResult(label, statements)
    log(f"[{label}] {statements:,} statements from {path}")

    # -- embedded store, on disk -------------------------------------------
    location = workdir / f"oxigraph-{label}"
    start = time.perf_counter()
    raw = ox.Store(str(location))
    raw.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    raw.flush()
    del raw
    store = EmbeddedStore(location)
    result.embedded_load_s = time.perf_counter() - start
    log(f"[{label}] embedded store: bulk_load {result.embedded_load_s:.1f}s, {len(store):,} quads")

    texts: dict[str, str] = {}
    for name in names:
        timing = result.timings.setdefault(name, Timing())
        try:
            texts[name], _used = library.render(name, {}, store)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            timing.errors.append(f"render: {exc}")
            continue
        try:
            timing.embedded, out = median_ms(lambda t=texts[name]: store.select(t), runs, True)
            timing.rows = len(out.rows)
            if with_run:
                timing.run, table = median_ms(lambda n=name: library.run(n, {}, store), runs, True)
                timing.run_rows = len(table.rows)
        except Exception as exc:  # noqa: BLE001
            timing.errors.append(f"embedded: {exc}")
        log(f"[{label}] embedded {name:28} query {fmt(timing.embedded)} ms, "
            f"run {fmt(timing.run)} ms, {timing.rows} rows")
    store.close()
    del store
    gc.collect()

    # -- rdflib, in memory ---------------------------------------------------
    if rdflib_runs > 0:
        import rdflib

        before = rss_mib()
        start = time.perf_counter()
        dataset = rdflib.Dataset(default_union=True)
        dataset.parse(str(path), format="nquads")
        result.rdflib_load_s = time.perf_counter() - start
        result.rdflib_mib = rss_mib() - before
        log(f"[{label}] rdflib Dataset: parse {result.rdflib_load_s:.1f}s, "
            f"+{result.rdflib_mib:,.0f} MiB")
        previous = signal.signal(signal.SIGALRM, _alarm)
        try:
            for name in names:
                timing = result.timings[name]
                if name not in texts:
                    continue
                times = []
                try:
                    for _ in range(rdflib_runs):
                        signal.setitimer(signal.ITIMER_REAL, timeout)
                        start = CLOCK()
                        try:
                            rows = list(dataset.query(texts[name], initNs=PREFIXES))
                        finally:
                            signal.setitimer(signal.ITIMER_REAL, 0)
                        times.append((CLOCK() - start) * 1000)
                        timing.rdflib_rows = len(rows)
                except Timeout:
                    timing.rdflib_timed_out = True
                    times.append(timeout * 1000)
                except Exception as exc:  # noqa: BLE001
                    timing.errors.append(f"rdflib: {type(exc).__name__}: {exc}")
                if times:
                    timing.rdflib = statistics.median(times)
                log(f"[{label}] rdflib   {name:28} query {fmt(timing.rdflib)} ms"
                    f"{' (timed out)' if timing.rdflib_timed_out else ''}, "
                    f"{timing.rdflib_rows} rows ({len(times)} runs)")
        finally:
            signal.signal(signal.SIGALRM, previous)
        del dataset
        gc.collect()
    return result


def fmt(ms: float | None, timed_out: bool = False) -> str:
    if ms is None:
        return "—"
    text = f"{ms:,.1f}" if ms < 100 else f"{ms:,.0f}"
    return (">" + text) if timed_out else text


def ratio(a: float | None, b: float | None, lower_bound: bool = False) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{'≥' if lower_bound else ''}{a / b:,.0f}×" if a / b >= 10 else \
        f"{'≥' if lower_bound else ''}{a / b:,.1f}×"


def size_label(n: int) -> str:
    return f"{n / 1e6:.2g}M" if n >= 500_000 else f"{n / 1e3:.0f}k"


def report(curated: GraphResult, large: GraphResult, names: list[str], args) -> bool:
    cl, ll = "curated", size_label(large.statements)
    print("\n## Library queries, embedded store (Oxigraph on disk) vs rdflib Dataset (in memory)\n")
    print(f"{dt.date.today().isoformat()}, {platform.node() or 'host'}: {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, pyoxigraph {ox.__version__}, rdflib "
          f"{_rdflib_version()}; load average at start / end "
          f"{args.load_start:.1f} / {os.getloadavg()[0]:.1f}; command: "
          f"{' '.join(['.venv/bin/python benchmarks/bench_queries.py', *sys.argv[1:]])}\n")
    for g in (curated, large):
        rd = (f"rdflib parse {g.rdflib_load_s:.1f} s (+{g.rdflib_mib:,.0f} MiB)"
              if g.rdflib_load_s is not None else "rdflib not run")
        print(f"- {g.label}: {g.statements:,} statements; embedded bulk_load "
              f"{g.embedded_load_s:.1f} s; {rd}")
    clock = "CPU time of the process" if args.clock == "cpu" else "wall"
    print(f"- clock: {clock}; medians in ms: embedded {args.runs} runs on the curated graph, "
          f"{args.runs_large} at {ll}; rdflib {args.rdflib_runs} / {args.rdflib_runs_large} runs "
          f"(stopped at {args.rdflib_timeout:.0f} s, shown as >); `run` = QueryLibrary.run "
          f"(parameters + query + evidence) on the embedded store\n")
    header = (f"| query | rows {cl} / {ll} | {cl} embedded | {cl} rdflib | {cl} run | "
              f"{ll} embedded | {ll} rdflib | {ll} run | speed-up {cl} | speed-up {ll} |")
    print(header)
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    sums = {k: 0.0 for k in ("ce", "cr", "cu", "le", "lr", "lu")}
    both = {k: [0.0, 0.0, 0] for k in ("c", "l")}  # embedded, rdflib, queries: where both ran
    lower = {"c": False, "l": False}
    mismatches, errors = [], []
    for name in names:
        c, g = curated.timings.get(name, Timing()), large.timings.get(name, Timing())
        for key, t in (("c", c), ("l", g)):
            sums[key + "e"] += t.embedded or 0
            sums[key + "r"] += t.rdflib or 0
            sums[key + "u"] += t.run or 0
            if t.embedded is not None and t.rdflib is not None:
                both[key][0] += t.embedded
                both[key][1] += t.rdflib
                both[key][2] += 1
                lower[key] |= t.rdflib_timed_out
            if t.rdflib_rows is not None and t.rows is not None and t.rdflib_rows != t.rows \
                    and not t.rdflib_timed_out:
                mismatches.append(f"{name} on {curated.label if key == 'c' else large.label}: "
                                  f"embedded {t.rows} rows, rdflib {t.rdflib_rows}")
            errors += [f"{name} ({curated.label if key == 'c' else large.label}): {e}"
                       for e in t.errors]
        rows = f"{'—' if c.rows is None else c.rows} / {'—' if g.rows is None else g.rows}"
        print(f"| {name} | {rows} | {fmt(c.embedded)} | {fmt(c.rdflib, c.rdflib_timed_out)} | "
              f"{fmt(c.run)} | {fmt(g.embedded)} | {fmt(g.rdflib, g.rdflib_timed_out)} | "
              f"{fmt(g.run)} | {ratio(c.rdflib, c.embedded, c.rdflib_timed_out)} | "
              f"{ratio(g.rdflib, g.embedded, g.rdflib_timed_out)} |")
    speed = {k: ratio(both[k][1], both[k][0], lower[k]) for k in ("c", "l")}
    total = {k: fmt(v) if v else "—" for k, v in sums.items()}
    total["cr"] = fmt(sums["cr"], lower["c"]) if sums["cr"] else "—"
    total["lr"] = fmt(sums["lr"], lower["l"]) if sums["lr"] else "—"
    print(f"| **suite total** | | **{total['ce']}** | **{total['cr']}** | **{total['cu']}** | "
          f"**{total['le']}** | **{total['lr']}** | **{total['lu']}** | **{speed['c']}** | "
          f"**{speed['l']}** |")
    n_both = min(both["c"][2], both["l"][2])
    total_e, total_r = both["c"][0] + both["l"][0], both["c"][1] + both["l"][1]
    if n_both:
        print(f"\nSuite speed-up = sum of rdflib medians / sum of embedded medians over the "
              f"{n_both} of {len(names)} queries both stores ran"
              f"{'' if n_both == len(names) else ' (see Errors)'}: curated {speed['c']} "
              f"({fmt(both['c'][1])} vs {fmt(both['c'][0])} ms), {ll} {speed['l']} "
              f"({fmt(both['l'][1])} vs {fmt(both['l'][0])} ms); both graphs "
              f"{ratio(total_r, total_e, lower['c'] or lower['l'])}.")

    def slow(result: GraphResult, attr: str, limit: float) -> list[str]:
        return [f"{n} ({fmt(getattr(t, attr))} ms)" for n, t in result.timings.items()
                if getattr(t, attr) is None or getattr(t, attr) >= limit]

    ran_rdflib = curated.rdflib_load_s is not None and large.rdflib_load_s is not None
    checks = [
        (f"every query < {CURATED_TARGET_MS:.0f} ms median on the curated graph (embedded)",
         slow(curated, "embedded", CURATED_TARGET_MS)),
        (f"every query < {LARGE_TARGET_MS:.0f} ms median at {ll} (embedded)",
         slow(large, "embedded", LARGE_TARGET_MS)),
    ]
    print("\nTargets:")
    ok = True
    for text, failing in checks:
        ok &= not failing
        print(f"- {'PASS' if not failing else 'FAIL'}: {text}"
              + (f" — over: {', '.join(failing)}" if failing else ""))
    if ran_rdflib:
        values = [both[k][1] / both[k][0] if both[k][0] else 0 for k in ("c", "l")]
        passed = all(v >= SPEEDUP_TARGET for v in values)
        ok &= passed
        print(f"- {'PASS' if passed else 'FAIL'}: embedded ≥ {SPEEDUP_TARGET:.0f}× faster than "
              f"rdflib over the suite — curated {speed['c']}, {ll} {speed['l']}")
    else:
        print("- not checked: embedded vs rdflib speed-up (rdflib skipped)")
    if not args.no_run:
        for text, failing in (
                (f"(what users wait for) QueryLibrary.run < {CURATED_TARGET_MS:.0f} ms on the "
                 "curated graph", slow(curated, "run", CURATED_TARGET_MS)),
                (f"(what users wait for) QueryLibrary.run < {LARGE_TARGET_MS:.0f} ms at {ll}",
                 slow(large, "run", LARGE_TARGET_MS))):
            print(f"- {'pass' if not failing else 'over'}: {text}"
                  + (f" — over: {', '.join(failing)}" if failing else ""))
    if mismatches:
        print("\nRow-count mismatches (embedded vs rdflib):")
        for m in mismatches:
            print(f"- {m}")
    elif not ran_rdflib:
        print("\nRow counts: not compared (rdflib skipped).")
    else:
        print("\nRow counts: embedded and rdflib agree on every query that both ran.")
    if errors:
        print("\nErrors:")
        for e in errors:
            print(f"- {e}")
    return ok and not errors


def _rdflib_version() -> str:
    try:
        import rdflib
        return rdflib.__version__
    except ImportError:  # pragma: no cover
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Time every library query (queries/*.rq, default parameters) on the "
                    "curated graph and on a synthetic graph, on the embedded store (Oxigraph "
                    "on disk) and on rdflib's in-memory Dataset, and check the targets: "
                    "< 50 ms per query on the curated graph, < 1 s at ~1M statements, "
                    "embedded >= 10x faster than rdflib over the suite.")
    parser.add_argument("--triples", type=int, default=1_000_000,
                        help="size of the synthetic graph in statements (default 1000000)")
    parser.add_argument("--quick", action="store_true",
                        help="fast check: a 100k synthetic graph, 3 runs, 1 rdflib run")
    parser.add_argument("--synthetic", metavar="FILE",
                        help="synthetic N-Quads file: reused if it exists, else generated "
                             "there and kept (default: a temporary file)")
    parser.add_argument("--store", metavar="DIR",
                        help="read the curated graph from this built store (default: build "
                             "data/ into a temporary folder)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument("--runs", type=int, default=7,
                        help="timed runs per query, embedded, curated graph (default 7)")
    parser.add_argument("--runs-large", type=int, default=5,
                        help="timed runs per query, embedded, synthetic graph (default 5)")
    parser.add_argument("--rdflib-runs", type=int, default=5,
                        help="timed runs per query, rdflib, curated graph (default 5)")
    parser.add_argument("--rdflib-runs-large", type=int, default=3,
                        help="timed runs per query, rdflib, synthetic graph (default 3)")
    parser.add_argument("--rdflib-timeout", type=float, default=300.0,
                        help="stop an rdflib run after this many seconds (default 300)")
    parser.add_argument("--no-rdflib", action="store_true", help="skip rdflib")
    parser.add_argument("--no-run", action="store_true",
                        help="skip timing QueryLibrary.run (the evidence lookup is the slow "
                             "part on big graphs)")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall: elapsed time (default, what a user waits for); cpu: CPU "
                             "time of this process, steadier when other work shares the "
                             "machine (both engines evaluate a query on one thread)")
    parser.add_argument("--queries", metavar="DIR", default=str(REPO_ROOT / "queries"),
                        help="library folder (default: queries/)")
    parser.add_argument("--only", metavar="NAME", nargs="+", action="extend",
                        help="run only these queries (repeatable)")
    parser.add_argument("--tmp", metavar="DIR", help="where the temporary stores go "
                        "(default: the system temporary folder)")
    args = parser.parse_args(argv)
    if args.quick:
        args.triples = 100_000 if "--triples" not in (argv or sys.argv) else args.triples
        args.runs, args.runs_large, args.rdflib_runs, args.rdflib_runs_large = 3, 3, 1, 1
    if args.no_rdflib:
        args.rdflib_runs = args.rdflib_runs_large = 0

    args.load_start = os.getloadavg()[0]
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    library = QueryLibrary(Path(args.queries))
    names = args.only or library.names()
    if not names:
        log(f"no library queries in {args.queries}")
        return 2
    log(f"{len(names)} library queries: {', '.join(names)}")
    with tempfile.TemporaryDirectory(prefix="pockg-bench-", dir=args.tmp) as tmp:
        work = Path(tmp)
        start = time.perf_counter()
        curated = synthetic.index(synthetic.curated_quads(args.store))
        curated_path = work / "curated.nq"
        synthetic.write(curated_path, curated, 0)
        log(f"curated graph: {curated.size:,} statements ({time.perf_counter() - start:.1f}s)")
        large_path = Path(args.synthetic) if args.synthetic else work / "synthetic.nq"
        if large_path.is_file():
            log(f"reusing {large_path}")
        else:
            start = time.perf_counter()
            count = synthetic.write(large_path, curated, args.triples, args.seed)
            log(f"synthetic graph: {count:,} statements to {large_path} "
                f"({time.perf_counter() - start:.1f}s)")
        results = []
        for label, path, runs, rruns in (
                ("curated", curated_path, args.runs, args.rdflib_runs),
                ("synthetic", large_path, args.runs_large, args.rdflib_runs_large)):
            results.append(bench_graph(label, path, work, library, names, runs, rruns,
                                       args.rdflib_timeout, not args.no_run))
        results[1].label = f"synthetic {size_label(results[1].statements)}"
        ok = report(results[0], results[1], names, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

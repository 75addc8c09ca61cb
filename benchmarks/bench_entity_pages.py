"""Benchmark: what an entity page costs to build on a big store, uncached.

Run by hand on a store you have (e.g. one made by ``pockg load`` from the
synthetic graph of benchmarks/synthetic.py):
    .venv/bin/python benchmarks/synthetic.py --triples 10000000 --out /tmp/10m.nq
    .venv/bin/pockg load /tmp/10m.nq --store /tmp/big/store
    .venv/bin/python benchmarks/bench_entity_pages.py --store /tmp/big/store.public

For ``--per-kind`` entities of each kind (operations, resolutions, mandates,
strategies, actors, concepts, recommendations, passages; curated ones first,
then synthetic ones chosen with ``--seed``), it times ``web.model.describe``
— every query an entity page makes (statements, their sources, labels,
links to the entity, hierarchy, cited passages, linked passages) — three
times each and keeps the best, then prints p50/p95/max per kind and the
slowest queries of the slowest page. This is the page without the page
cache and without the template (the template adds a few ms); readers get
a kept page after the first rendering. Open the store read-only: a running
server may keep it.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyoxigraph as ox

from pockg import vocab as V
from pockg.store import open_store
from web import model

KINDS = {
    "operation": "PeaceOperation", "resolution": "Resolution", "mandate": "Mandate",
    "strategy": "ProtectionStrategy", "actor": "Actor", "concept": None,
    "recommendation": "Recommendation", "passage": "Paragraph",
}


def sample(store, kind: str, n: int, rnd: random.Random) -> list[str]:
    cls = V.SKOS + "Concept" if KINDS[kind] is None else V.term(KINDS[kind])
    iris = [q.subject.value for q in store._store.quads_for_pattern(
        None, ox.NamedNode(V.RDF + "type"), ox.NamedNode(cls))
        if isinstance(q.subject, ox.NamedNode)]
    iris = sorted(set(iris))
    curated = [i for i in iris if "SYN" not in i and "-syn" not in i][: max(1, n // 2)]
    rest = [i for i in iris if i not in curated]
    return curated + rnd.sample(rest, min(len(rest), n - len(curated)))


def timed_describe(store, iri: str) -> tuple[float, list]:
    queries = []
    select = store.select

    def counting(q, b=None):
        t = time.perf_counter()
        result = select(q, b)
        queries.append((time.perf_counter() - t, " ".join(q.split())[:120]))
        return result

    store.select = counting
    try:
        t = time.perf_counter()
        model.describe(store, iri)
        return time.perf_counter() - t, queries
    finally:
        store.select = select


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True, type=Path, help="the store (or its .public replica)")
    ap.add_argument("--per-kind", type=int, default=10, help="entities per kind (10)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    store = open_store(args.store, read_only=True)
    rnd = random.Random(args.seed)
    statements = len(store._store)
    model.describe(store, V.ID + "operation/MONUC")          # imports and warm-up
    result = {"store": str(args.store), "statements": statements, "kinds": {}}
    worst = (0.0, None, [])
    print(f"{statements:,} statements in {args.store}")
    print(f"{'kind':16} {'n':>3} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for kind in KINDS:
        times = []
        for iri in sample(store, kind, args.per_kind, rnd):
            best, best_queries = None, []
            for _ in range(3):
                seconds, queries = timed_describe(store, iri)
                if best is None or seconds < best:
                    best, best_queries = seconds, queries
            times.append(best)
            if best > worst[0]:
                worst = (best, iri, best_queries)
        if not times:
            continue
        times.sort()
        row = {"n": len(times), "p50_ms": round(1000 * statistics.median(times), 1),
               "p95_ms": round(1000 * times[min(len(times) - 1, int(0.95 * len(times)))], 1),
               "max_ms": round(1000 * times[-1], 1)}
        result["kinds"][kind] = row
        print(f"{kind:16} {row['n']:>3} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['max_ms']:>8}")
    print(f"\nslowest page: {worst[1]} ({1000 * worst[0]:.0f} ms); its slowest queries:")
    for seconds, text in sorted(worst[2], reverse=True)[:3]:
        print(f"  {1000 * seconds:8.1f} ms  {text}")
    print("RESULT " + json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

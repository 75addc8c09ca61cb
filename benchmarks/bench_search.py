"""Benchmark: search index build time and autocomplete latency at ~1M triples.

Run by hand:
    .venv/bin/python benchmarks/bench_search.py                     # 1M synthetic triples
    .venv/bin/python benchmarks/bench_search.py --extra-entities 100000
    .venv/bin/python benchmarks/bench_search.py --store /tmp/syn-store --keep   # reuse a store

Loads the synthetic graph of benchmarks/synthetic.py (the curated graph plus
renamed copies of its instance data) into an on-disk store in a temporary
folder, builds the search index (pockg.search_index.build_index) and times
autocomplete over 1,000 realistic prefixes: 1 to 6 characters cut from real
names in the index (the start of a label, alternative label or code, or the
start of one of its words), after 100 warm-up queries. It measures both the
index call (``SearchIndex.suggest``) and the whole HTTP round trip of
``/suggest`` through the Flask app, and prints p50/p95/p99 in ms and PASS or
FAIL against the target: autocomplete p95 under 50 ms at 1M triples.

``--extra-entities N`` adds N labelled SKOS concepts (English and French
labels, an alternative label, a notation, a definition; ~6 triples each) whose
names are drawn from the words of the real labels, for an index of ~100k
entities: the synthetic worlds copy the curated entities, so 1M triples hold
about 18k labelled entities.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))

import synthetic  # noqa: E402  (benchmarks/synthetic.py)

from pockg import search_index as si  # noqa: E402
from pockg import vocab as V  # noqa: E402
from pockg.store import open_store  # noqa: E402

TARGET_P95_MS = 50.0


def load(store, curated, triples: int, seed: int) -> int:
    count, chunk = 0, []
    for quad in synthetic.quads(curated, triples, seed):
        chunk.append(quad)
        if len(chunk) >= 100_000:
            store.extend(chunk)
            count += len(chunk)
            chunk = []
    if chunk:
        store.extend(chunk)
        count += len(chunk)
    store.flush()
    return count


def extra_entities(store, n: int, seed: int) -> int:
    """Add ``n`` labelled concepts named from the words of the real labels."""
    rnd = random.Random(seed)
    rows = store.select("SELECT DISTINCT ?l WHERE { ?s skos:prefLabel|skos:altLabel ?l }").rows
    vocab = {"en": set(), "fr": set()}
    for r in rows:
        lang = r["l"].language if r["l"].language in ("en", "fr") else "en"
        vocab[lang].update(w for w in r["l"].value.split() if w.isalpha() and len(w) > 2)
    en, fr = sorted(vocab["en"]), sorted(vocab["fr"] or vocab["en"])
    g = ox.NamedNode(V.graph("bench-extra"))
    scheme = ox.NamedNode(V.ID + "scheme/bench-extra")
    lit, node = ox.Literal, ox.NamedNode
    quads = [ox.Quad(scheme, node(V.RDF + "type"), node(V.SKOS + "ConceptScheme"), g),
             ox.Quad(scheme, node(V.SKOS + "prefLabel"),
                     lit("Benchmark concepts", language="en"), g)]
    for i in range(n):
        c = node(f"{V.ID}concept/BX-{i:06d}")
        label_en = " ".join(rnd.choice(en) for _ in range(rnd.randint(1, 4)))
        label_fr = " ".join(rnd.choice(fr) for _ in range(rnd.randint(1, 4)))
        alt = "".join(w[0] for w in label_en.split()).upper() + str(i % 97)
        quads += [
            ox.Quad(c, node(V.RDF + "type"), node(V.SKOS + "Concept"), g),
            ox.Quad(c, node(V.SKOS + "inScheme"), scheme, g),
            ox.Quad(c, node(V.SKOS + "prefLabel"), lit(label_en, language="en"), g),
            ox.Quad(c, node(V.SKOS + "prefLabel"), lit(label_fr, language="fr"), g),
            ox.Quad(c, node(V.SKOS + "altLabel"), lit(alt, language="en"), g),
            ox.Quad(c, node(V.SKOS + "notation"), lit(f"BX-{i:06d}"), g),
            ox.Quad(c, node(V.SKOS + "definition"),
                    lit(" ".join(rnd.choice(en) for _ in range(12)), language="en"), g),
        ]
    for start in range(0, len(quads), 100_000):
        store.extend(quads[start:start + 100_000])
    store.flush()
    return len(quads)


def prefixes(index_path: Path, count: int, seed: int) -> list[str]:
    """``count`` prefixes of 1-6 characters from real names in the index."""
    import sqlite3

    rnd = random.Random(seed)
    db = sqlite3.connect(index_path)
    names = []
    for (raw,) in db.execute("SELECT names FROM entry"):
        data = json.loads(raw)
        names += [t for ts in data.get("labels", {}).values() for t in ts]
        names += data.get("alts", []) + data.get("codes", [])
    db.close()
    out = []
    while len(out) < count:
        name = rnd.choice(names).strip()
        if rnd.random() < 0.3:   # the start of a word inside the name
            ws = [w for w in name.split() if w[:1].isalnum()]
            name = rnd.choice(ws) if ws else name
        cut = name[:rnd.randint(1, 6)].strip()
        if cut and any(c.isalnum() for c in cut):
            out.append(cut)
    return out


def percentiles(ms: list[float]) -> dict[str, float]:
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return {"p50": statistics.median(ms), "p95": q[94], "p99": q[98], "max": max(ms)}


def line(name: str, stats: dict[str, float]) -> str:
    return (f"  {name:22} p50 {stats['p50']:6.2f} ms   p95 {stats['p95']:6.2f} ms   "
            f"p99 {stats['p99']:6.2f} ms   max {stats['max']:6.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=1_000_000)
    parser.add_argument("--extra-entities", type=int, default=0)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--curated", help="a built curated store to copy (default: build data/)")
    parser.add_argument("--store", help="use (or create) the synthetic store here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="pockg-bench-search-"))
    location = Path(args.store) if args.store else tmp / "store"
    index_path = tmp / "store.search.sqlite"
    try:
        fresh = not (location.is_dir() and any(location.iterdir()))
        store = open_store(location)
        if fresh:
            t0 = time.perf_counter()
            curated = synthetic.index(synthetic.curated_quads(args.curated))
            n = load(store, curated, args.triples, args.seed)
            if args.extra_entities:
                n += extra_entities(store, args.extra_entities, args.seed)
            print(f"loaded {n:,} quads into {location} in {time.perf_counter() - t0:.1f}s")
        t0 = time.perf_counter()
        quads = len(store)
        print(f"store: {quads:,} quads (counted in {time.perf_counter() - t0:.2f}s)")
        built = si.build_index(store, index_path, progress=lambda m: print("  " + m))
        size = index_path.stat().st_size / 2**20
        print(f"index build: {built['seconds']:.1f}s, {built['entries']:,} entries, {size:.0f} MiB")
        store.close()
        del store

        index = si.SearchIndex(index_path)
        queries = prefixes(index_path, args.queries + 100, args.seed)
        warm, queries = queries[:100], queries[100:]
        for q in warm:
            index.suggest(q)
        direct, by_len = [], {}
        for q in queries:
            t = time.perf_counter()
            index.suggest(q)
            ms = (time.perf_counter() - t) * 1000
            direct.append(ms)
            by_len.setdefault(min(len(q), 6), []).append(ms)

        from web import create_app

        app = create_app({"STORE": str(location), "SEARCH_INDEX": str(index_path)},
                         profile="testing")
        client = app.test_client()
        for q in warm:
            client.get("/suggest", query_string={"q": q})
        http = []
        for q in queries:
            t = time.perf_counter()
            response = client.get("/suggest", query_string={"q": q})
            http.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, response.data[:200]

        d, h = percentiles(direct), percentiles(http)
        print(f"\nautocomplete, {len(queries)} prefixes of 1-6 characters, {quads:,} quads, "
              f"{built['entries']:,} indexed entries")
        print(line("SearchIndex.suggest", d))
        print(line("GET /suggest (Flask)", h))
        for n in sorted(by_len):
            values = by_len[n]
            if len(values) >= 20:
                print(line(f"  prefix of {n} char(s)", percentiles(values)))
        ok = h["p95"] < TARGET_P95_MS
        print(f"\n{'PASS' if ok else 'FAIL'}: /suggest p95 {h['p95']:.2f} ms "
              f"(target < {TARGET_P95_MS:.0f} ms); index build {built['seconds']:.1f}s")
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

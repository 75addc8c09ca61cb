"""Benchmark: concept linking speed, passages per second on one core.

Run by hand:
    .venv/bin/python benchmarks/bench_linking.py                 # report + 5,000 generated passages
    .venv/bin/python benchmarks/bench_linking.py --generated 20000 --runs 5

Builds the curated graph into an in-memory store, compiles the matcher over
the lexicon (the linkable schemes, and then every concept scheme of the
graph: the "full" lexicon), and times the document-level linker with the
words alone, words and meaning, and the learned layer over both (what
`pockg link run` uses)
(``pockg.linking.context.document_links``: matching, resolution forms,
overlaps, resolution topics, headings) on:

- the passages of the 2010 workshop report, read with ``pockg.ingest``
  from ../shared/sources/ (skipped when absent);
- generated passages of about 90 words: seeded random prose made of
  ordinary words with real labels, abbreviations and resolution numbers
  mixed in, in English and French.

The process is pinned to one CPU where the OS allows it. It also times the
whole ``store_links`` path (matching plus reading and writing the links
graph) on the report. Prints the median passages/s and PASS/FAIL against
the target, 1,000 passages per second.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from pathlib import Path

from pockg.build import build
from pockg.config import REPO_ROOT, load_settings
from pockg.linking import semantic
from pockg.linking import learned
from pockg.linking.context import COMPONENTS, LINK_RUN, PassageInput, document_links
from pockg.linking.lexicon import build_lexicon
from pockg.linking.matcher import DEFAULT_THRESHOLD, Matcher
from pockg.store import open_store

TARGET = 1000.0
REPORT = REPO_ROOT.parent / "shared" / "sources" / "poc-workshop-report-2010.txt"
FILLER = """the mission will should continue to support ensure that local communities
are protected with its partners in the area of operations while the strategy
sets out objectives activities and priorities for each component civilian
military police staff in the field including early warning analysis patrols
and engagement with authorities les autorités la mission doit assurer que
les communautés locales soient protégées avec ses partenaires dans la zone""".split()


def pin_one_core() -> str:
    try:
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return "pinned to one CPU"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def generated(lexicon, count: int, seed: int) -> list[PassageInput]:
    rng = random.Random(seed)
    labels = sorted({e.label for e in lexicon.entries if e.kind != "notation"})
    numbers = sorted(lexicon.resolutions)
    out = []
    for i in range(count):
        words = [rng.choice(FILLER) for _ in range(rng.randint(60, 90))]
        for _ in range(rng.randint(2, 6)):
            words.insert(rng.randrange(len(words)), rng.choice(labels))
        if rng.random() < 0.3:
            words.insert(rng.randrange(len(words)), f"resolution {rng.choice(numbers)} (2009)")
        text = " ".join(words).capitalize() + "."
        out.append(PassageInput(f"g{i}", text))
    return out


def report_passages() -> list[PassageInput] | None:
    if not REPORT.is_file():
        return None
    from pockg.ingest import read_document

    doc = read_document(REPORT)
    return [PassageInput(p.key, p.text, p.kind, p.section) for p in doc.passages]


def resident_mb() -> float:
    """This process's resident memory now (VmRSS), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def model_memory_mb(model) -> float:
    """Resident memory a fresh process gains by loading what linking by meaning needs."""
    import json
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        path.write_text(model.to_json(), encoding="utf-8")
        script = f"""
import json
from pathlib import Path
import numpy
from pockg.linking import learned, semantic
def rss():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
before = rss()
semantic.encoder()
m = learned.load({str(path)!r})
m.index(sorted({{c for e in m.exemplars for c in e.concepts}}))
print(json.dumps(rss() - before))
"""
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])


def rate(matcher, passages, runs: int, space=None, model=None) -> tuple[float, float]:
    times = []
    components = LINK_RUN if model is not None else COMPONENTS
    for _ in range(runs):
        t = time.perf_counter()
        document_links(matcher, passages, DEFAULT_THRESHOLD, space, components, model)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return len(passages) / med, med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--generated", type=int, default=5000, help="generated passages (default 5000)")
    ap.add_argument("--runs", type=int, default=5, help="timed runs per corpus (median)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    print(pin_one_core())
    store = open_store(":memory:")
    build(load_settings(env={}, store=":memory:"), store, check=False)
    schemes_all = tuple(sorted(r["s"].value.rsplit("/", 1)[1] for r in store.select(
        "SELECT DISTINCT ?s WHERE { ?c skos:inScheme ?s }").rows))
    report = report_passages()
    verdicts = []
    t = time.perf_counter()
    space = semantic.space_for(store, build_lexicon(store))
    print(f"semantic component: model and concept texts ({len(space.texts)} texts) in "
          f"{time.perf_counter() - t:.1f} s")
    model = learned.model_of(store)          # the learned layer the build trained
    print(f"learned layer: {model.label}")
    print(f"resident memory the models add (a fresh process: the embedding model, the "
          f"learned layer's exemplars and classifier): "
          f"+{model_memory_mb(model):.0f} MB (target < 300 MB)")
    for name, schemes, with_space, with_model in (
            ("linkable schemes, lexical", None, None, None),
            ("linkable schemes, hybrid (lexical + semantic)", None, space, None),
            ("linkable schemes, learned layer over lexical + semantic (what link run uses)",
             None, space, model),
            ("every scheme (full), lexical", schemes_all, None, None)):
        t = time.perf_counter()
        lexicon = build_lexicon(store) if schemes is None else build_lexicon(store, schemes)
        matcher = Matcher(lexicon)
        compile_s = time.perf_counter() - t
        print(f"\n{name}: {len(lexicon.concepts)} concepts, {len(lexicon.entries)} labels "
              f"(with entities), lexicon + compile {compile_s * 1000:.0f} ms")
        gen = generated(lexicon, args.generated, args.seed)
        document_links(matcher, gen[:200], DEFAULT_THRESHOLD)   # warm the lemma cache a little
        corpora = [("generated", gen)] + ([("workshop report", report)] if report else [])
        for corpus, passages in corpora:
            per_s, med = rate(matcher, passages, args.runs, with_space, with_model)
            words = sum(len(p.text.split()) for p in passages) / len(passages)
            ok = per_s >= TARGET
            verdicts.append(ok)
            print(f"  {corpus:<16} {len(passages):>6} passages (~{words:.0f} words): "
                  f"median {med * 1000:.1f} ms, {per_s:,.0f} passages/s — {'PASS' if ok else 'FAIL'}")
    if report:
        from pockg.ingest import ingest
        from pockg.linking.annotations import matcher_for, store_links

        result = ingest(store, [REPORT])[0]
        matcher = matcher_for(store)
        t = time.perf_counter()
        _, count = store_links(store, result.version, matcher=matcher)
        first = time.perf_counter() - t
        t = time.perf_counter()
        store_links(store, result.version, matcher=matcher)
        again = time.perf_counter() - t
        print(f"\nstore_links on the report ({result.passages} passages): {count} links, "
              f"first run {first * 1000:.0f} ms, re-link {again * 1000:.0f} ms")
    else:
        print(f"\n(the workshop report is not at {REPORT}; only generated passages measured)")
    print("\nPASS" if all(verdicts) else "\nFAIL", f"(target {TARGET:,.0f} passages/s)")


if __name__ == "__main__":
    main()

"""Calibrate the semantic component's score on the project's own gold.

For every passage of the gold sets given (by default the workshop report and
the first unseen set; never the sets kept for measuring only), the semantic
component proposes the passage's closest concept when it passes the rules of
``pockg.linking.semantic``; this script counts, for each band of ``z`` (how far
the similarity stands above the concept's background), how many of those
proposals the gold confirms. That precision is the calibrated score
(``semantic.CALIBRATION``), so a semantic 0.4 means what a lexical 0.4 means.

    .venv/bin/python benchmarks/calibrate_linker.py [GOLD ...]

Prints one line per band and the table to paste into semantic.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pockg.config import load_settings  # noqa: E402
from pockg.ingest import ingest  # noqa: E402
from pockg.linking.annotations import matcher_for, passages_of  # noqa: E402
from pockg.linking.evaluate import _temporary_store, read_gold  # noqa: E402

DEFAULT_GOLD = ("tests/gold/workshop-2010.jsonl", "tests/gold/unseen.jsonl")
BANDS = ((1.0, 2.0), (2.0, 3.0), (3.0, 4.0), (4.0, 5.0), (5.0, 99.0))


def main(argv: list[str]) -> int:
    if {"-h", "--help"} & set(argv):
        print(__doc__)
        return 0
    golds = argv or list(DEFAULT_GOLD)
    if any("unseen-2" in g for g in golds):
        print("unseen-2 is kept for measuring only: never calibrate on it", file=sys.stderr)
        return 2
    store = _temporary_store(load_settings(env={}, store=":memory:"))
    space = matcher_for(store).space
    counts = {band: [0, 0] for band in BANDS}
    for gold in golds:
        items = read_gold(ROOT / gold)
        truth = {(i.file, i.passage): set(i.concepts) for i in items}
        files = sorted({i.file for i in items})
        for file, result in zip(files, ingest(store, files)):
            keys = {p.id: p for p in passages_of(store, result.version)}
            for pid, passage in keys.items():
                key = pid.rsplit("/p/", 1)[1]
                gold_concepts = truth.get((file, key))
                if gold_concepts is None or passage.kind == "heading":
                    continue
                for match in space.match(passage.text, min_z=BANDS[0][0]):
                    for band in BANDS:
                        if band[0] <= match.z < band[1]:
                            counts[band][0] += 1
                            counts[band][1] += match.target in gold_concepts
    for (lo, hi), (n, right) in counts.items():
        precision = right / n if n else 0.0
        print(f"z {lo:g}-{hi:g}: {n} proposals, {right} right, precision {precision:.3f}")
    print("CALIBRATION =", monotone(counts))
    print("COMBINATION =", combination(golds))
    return 0


def monotone(counts: dict) -> tuple:
    """Precision per band made non-decreasing in z (pooling adjacent bands that
    break the order), as (z at the band's middle, precision) points."""
    blocks = []                               # [lo, hi, n, right]
    for (lo, hi), (n, right) in counts.items():
        if not n:
            continue
        blocks.append([lo, min(hi, lo + 1.0), n, right])
        while len(blocks) > 1 and blocks[-2][3] / blocks[-2][2] > blocks[-1][3] / blocks[-1][2]:
            last = blocks.pop()
            blocks[-1] = [blocks[-1][0], last[1], blocks[-1][2] + last[2], blocks[-1][3] + last[3]]
    return tuple((round((lo + hi) / 2, 2), round(right / n, 2)) for lo, hi, n, right in blocks)



def combination(golds: list[str]) -> tuple:
    """Fit how the components' scores combine: a logistic regression (IRLS) of
    "the gold has this concept" on every (passage, concept) either component
    proposes at any score. Returns the weights for context.COMBINATION."""
    import numpy as np

    from pockg.linking.context import document_links

    store = _temporary_store(load_settings(env={}, store=":memory:"))
    matcher = matcher_for(store)
    xs, ys = [], []
    for gold in golds:
        items = read_gold(ROOT / gold)
        truth = {(i.file, i.passage): set(i.concepts) for i in items}
        files = sorted({i.file for i in items})
        for file, result in zip(files, ingest(store, files)):
            passages = passages_of(store, result.version)
            links = document_links(matcher, passages, 0.0, matcher.space, ("lexical", "semantic"))
            for passage in passages:
                gold_concepts = truth.get((file, passage.id.rsplit("/p/", 1)[1]))
                if gold_concepts is None:
                    continue
                for link in links.get(passage.id, []):
                    if not matcher.lexicon.is_concept(link.target):
                        continue
                    xs.append(features(link.lexical,
                                       link.semantic.score if link.semantic else None))
                    ys.append(link.target in gold_concepts)
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    w = np.zeros(x.shape[1])
    for _ in range(50):                          # Newton steps, a little ridge for stability
        p = 1 / (1 + np.exp(-x @ w))
        grad = x.T @ (p - y) + 1e-3 * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + 1e-3 * np.eye(len(w))
        w -= np.linalg.solve(hess, grad)
    print(f"combination fitted on {len(y)} candidates ({int(y.sum())} right)")
    return tuple(round(float(v), 3) for v in w)


def features(lexical, semantic_score) -> list[float]:
    """Must match pockg.linking.context.combine."""
    from pockg.linking.context import combination_features

    return combination_features(lexical, semantic_score)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``pockg link evaluate``: the linker's suggestions against a gold file.

The gold file is JSON Lines, one passage a line::

    {"file": "doc.pdf", "passage": "8.4.1", "concepts": ["FE3", "R1"]}

``file`` is relative to the gold file; ``passage`` is the document's own
number (``8.4.1``, ``12``), ``fnN`` for footnote N, or ``#N`` for the N-th
passage of a document without numbers; ``concepts`` are notations or IRIs.

The files are ingested into a temporary in-memory store built from data/
(``POCKG_STORE`` is never opened), linked at the threshold, and compared
passage by passage. Only links to SKOS concepts of the linkable schemes
count, by exact concept (``T2-2015`` is not ``T2``). A gold passage that the
document does not have counts its concepts as missed, and is reported.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pockg.config import MEMORY, Settings
from pockg.errors import PockgError
from pockg.linking.context import COMPONENTS, LEARNED
from pockg.linking.lexicon import concept_iri
from pockg.linking.matcher import DEFAULT_THRESHOLD


class GoldError(PockgError):
    exit_code = 3
    prefix = "gold error"


@dataclass
class GoldItem:
    file: Path
    passage: str
    concepts: list[str]
    line: int


@dataclass
class Scores:
    precision: float
    recall: float
    f1: float

    @classmethod
    def of(cls, tp: int, fp: int, fn: int) -> "Scores":
        p = tp / (tp + fp) if tp + fp else (1.0 if not fn else 0.0)
        r = tp / (tp + fn) if tp + fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return cls(p, r, f)

    def as_dict(self) -> dict:
        return {"precision": round(self.precision, 4), "recall": round(self.recall, 4),
                "f1": round(self.f1, 4)}


@dataclass
class Report:
    threshold: float
    passages: int
    micro: Scores
    macro: Scores
    precision_at: dict[int, float]
    ndcg_at_5: float
    per_concept: list[dict]
    unresolved: list[str] = field(default_factory=list)
    counts: dict = field(default_factory=dict)
    components: dict = field(default_factory=dict)    # configuration name -> Scores
    configuration: str = "hybrid"                      # what `pockg link run` uses
    model: str = ""                                    # which learned layer, if any

    def as_dict(self) -> dict:
        return {"threshold": self.threshold, "passages": self.passages,
                "micro": self.micro.as_dict() | self.counts, "macro": self.macro.as_dict(),
                "precision_at": {str(k): round(v, 4) for k, v in self.precision_at.items()},
                "ndcg_at_5": round(self.ndcg_at_5, 4), "per_concept": self.per_concept,
                "unresolved": self.unresolved, "configuration": self.configuration,
                "model": self.model,
                "components": {k: v.as_dict() for k, v in self.components.items()}}

    def to_text(self) -> str:
        m, a = self.micro, self.macro
        lines = [f"component {name}: precision {c.precision:.3f} recall {c.recall:.3f} "
                 f"f1 {c.f1:.3f}" for name, c in self.components.items()]
        lines += [
            f"configuration: {self.configuration} (what `pockg link run` uses; the lines "
            "below are its scores)",
            f"model: {self.model or 'none (words and meaning alone)'}",
            f"micro: precision {m.precision:.3f} recall {m.recall:.3f} f1 {m.f1:.3f}",
            f"macro: precision {a.precision:.3f} recall {a.recall:.3f} f1 {a.f1:.3f}",
            "precision at 1/3/5: " + " / ".join(f"{self.precision_at[k]:.3f}" for k in (1, 3, 5)),
            f"ndcg at 5: {self.ndcg_at_5:.3f}",
            (f"passages: {self.passages}; threshold {self.threshold}; "
             f"tp {self.counts['tp']} fp {self.counts['fp']} fn {self.counts['fn']}"),
            "",
            f"{'concept':<20} {'gold':>5} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'rec':>6} {'f1':>6}",
        ]
        for row in self.per_concept:
            lines.append(f"{row['concept']:<20} {row['gold']:>5} {row['tp']:>4} {row['fp']:>4} "
                         f"{row['fn']:>4} {row['precision']:>6.3f} {row['recall']:>6.3f} {row['f1']:>6.3f}")
        for key in self.unresolved:
            lines.append(f"warning: gold passage {key} is not in its document; its concepts count as missed")
        return "\n".join(lines)


# Each configuration measured, by the components it runs; LINK_RUN is what
# `pockg link run` uses (the learned layer over both components), and the
# report's micro line is its score.
CONFIGURATIONS = {"lexical": ("lexical",), "semantic": ("semantic",),
                  "hybrid": ("lexical", "semantic"),
                  "learned": ("lexical", "semantic", LEARNED)}
LINK_RUN = "learned"


def read_gold(path: str | Path) -> list[GoldItem]:
    path = Path(path)
    if not path.is_file():
        raise GoldError(f"no gold file at {path}")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            file, passage, concepts = obj["file"], str(obj["passage"]), obj["concepts"]
            if not isinstance(concepts, list) or not all(isinstance(c, str) for c in concepts):
                raise TypeError("concepts must be a list of strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise GoldError(f"{path}:{n}: not a gold line ({exc})") from exc
        target = (path.parent / file).resolve()
        if not target.is_file():
            raise GoldError(f"{path}:{n}: no file {file} (relative to {path.parent})")
        items.append(GoldItem(target, passage, [concept_iri(c) for c in concepts], n))
    if not items:
        raise GoldError(f"{path} has no gold lines")
    return items


def _temporary_store(settings: Settings):
    from pockg.build import build
    from pockg.store import open_store

    store = open_store(MEMORY)
    build(settings.with_overrides(store=MEMORY), store, check=False, train_linker=False)
    return store


def predict(store, files: list[Path], threshold: float, progress=None,
            components: tuple[str, ...] = COMPONENTS,
            results=None) -> dict[tuple[Path, str], dict[str, float]]:
    """(file, passage key) -> {concept IRI: score} for every passage of the files,
    linked with ``components`` (``results``: the files' ingest results, if done)."""
    from pockg.ingest import ingest
    from pockg.linking.annotations import existing_links, matcher_for, store_links

    results = results or ingest(store, files)
    matcher = matcher_for(store)
    out: dict[tuple[Path, str], dict[str, float]] = {}
    keys = _passage_keys(store)
    for file, result in zip(files, results):
        graph, count = store_links(store, result.version, threshold, matcher, components)
        if progress:
            progress(f"{file.name}: {result.passages} passages, {count} links")
        for link in existing_links(store, graph):
            if not matcher.lexicon.is_concept(link.body):
                continue
            key = keys.get(link.passage)
            if key is None:
                continue
            scores = out.setdefault((file, key), {})
            scores[link.body] = max(scores.get(link.body, 0.0), link.score)
        for passage, key in keys.items():
            if passage.startswith(result.version + "/p/"):
                out.setdefault((file, key), {})
    return out


def _passage_keys(store) -> dict[str, str]:
    rows = store.select("SELECT ?p ?n WHERE { ?p a pockg:Passage ; pockg:number ?n ; pockg:text ?t }").rows
    return {r["p"].value: r["n"].value for r in rows}


def file_hashes(files: list[Path]) -> set[str]:
    """The SHA-256 of each file, whole and as the 12 characters a version IRI keeps."""
    import hashlib

    out = set()
    for f in files:
        digest = hashlib.sha256(Path(f).read_bytes()).hexdigest()
        out |= {digest, digest[:12]}
    return out


def evaluate(gold_path: str | Path, settings: Settings, threshold: float = DEFAULT_THRESHOLD,
             progress=None, model_path: str | Path | None = None) -> Report:
    """Score every configuration on the gold. The learned layer is the model at
    ``model_path``, or (without it) the one a build of data/ makes, trained
    with the evaluated documents left out: their reviewed links, exemplars
    and all."""
    from dataclasses import replace

    from pockg.ingest import ingest
    from pockg.linking import learned
    from pockg.linking.training import train

    items = read_gold(gold_path)
    files = sorted({i.file for i in items})
    store = _temporary_store(settings)
    skip = file_hashes(files)
    if model_path is not None:
        model = replace(learned.load(model_path), leave_out=frozenset(skip))
        described = f"{model.label} (from {model.path}; exemplars of the evaluated files left out)"
    else:
        model = train(store, settings, progress, skip=skip)
        left = ", ".join(sorted(Path(f).name for f in files))
        described = (f"{model.label} (built from data/ as `pockg build` does, with the "
                     f"evaluated documents left out of its training: {left})")
    learned.save(model, store)
    results = ingest(store, files)
    reports = {}
    for name, parts in CONFIGURATIONS.items():
        if progress:
            progress(f"linking with the {name} configuration")
        reports[name] = score(items, predict(store, files, threshold, None, parts, results),
                              threshold)
    report = reports[LINK_RUN]
    report.configuration = LINK_RUN
    report.model = described
    report.components = {name: r.micro for name, r in reports.items()}
    return report


def score(items: list[GoldItem], predicted: dict, threshold: float) -> Report:
    tp = fp = fn = 0
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # gold, tp, fp, fn
    at = {1: [], 3: [], 5: []}
    ndcg = []
    unresolved = []
    for item in items:
        gold = set(item.concepts)
        found = (item.file, item.passage) in predicted
        if not found:
            unresolved.append(f"{item.file.name} ¶{item.passage}")
        scores = predicted.get((item.file, item.passage), {})
        ranked = [c for c, s in sorted(scores.items(), key=lambda x: (-x[1], x[0])) if s >= threshold]
        chosen = set(ranked)
        tp += len(gold & chosen)
        fp += len(chosen - gold)
        fn += len(gold - chosen)
        for c in gold:
            per[c][0] += 1
        for c in gold & chosen:
            per[c][1] += 1
        for c in chosen - gold:
            per[c][2] += 1
        for c in gold - chosen:
            per[c][3] += 1
        if gold:
            for k in at:
                at[k].append(sum(1 for c in ranked[:k] if c in gold) / k)
            dcg = sum(1 / math.log2(i + 2) for i, c in enumerate(ranked[:5]) if c in gold)
            idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold), 5)))
            ndcg.append(dcg / idcg)
    rows = []
    for c, (g, t, f, n) in sorted(per.items(), key=lambda x: x[0].rsplit("/", 1)[-1]):
        s = Scores.of(t, f, n)
        rows.append({"concept": c.rsplit("/", 1)[-1], "iri": c, "gold": g, "tp": t, "fp": f, "fn": n,
                     "precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4)})
    macro = Scores(*(sum(r[k] for r in rows) / len(rows) if rows else 0.0
                     for k in ("precision", "recall", "f1")))
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    return Report(threshold, len(items), Scores.of(tp, fp, fn), macro,
                  {k: mean(v) for k, v in at.items()}, mean(ndcg), rows, unresolved,
                  {"tp": tp, "fp": fp, "fn": fn})

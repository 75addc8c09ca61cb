"""What the learned layer learns from, and how it is trained (``pockg link train``).

Three kinds of decision, each a document of passages:

- **curated training passages** (``data/training/*.yaml``): original passages
  written by the team, each with every concept a careful reader would tag;
- **the curated reviewed links** (``data/links/*.yaml``): the report's
  passages with their accepted concepts. Its text is not in the repository,
  so the layer reads our own gist of each passage and its short evidence
  quotes (``data/documents/``);
- **review decisions stored since**: links of ingested documents that a
  curator accepted or rejected, or made by hand.

In the first two every concept a passage does not list counts as wrong; in
review decisions only what was decided counts. The unseen gold sets of
``tests/gold/`` are never read here.

``cross_validate`` measures the layer by leaving one document out at a time:
it is trained on the others (exemplars included) and scored on that one,
never on passages it was trained on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pockg.errors import DataError, PockgError, Problem
from pockg.linking import learned
from pockg.linking.context import PassageInput, document_links
from pockg.linking.evaluate import Scores
from pockg.linking.lexicon import concept_iri
from pockg.linking.semantic import language

KIND = {"heading": "heading", "footnote": "footnote", "operative": "operative"}


class NotEnoughDecisions(PockgError):
    """Nothing to learn from: no accepted and no rejected link (or not both)."""

    exit_code = 3
    prefix = "linker error"


@dataclass
class TrainingDoc:
    id: str
    source: str | None                       # SHA-256 of the document's file, where known
    origin: str                              # training | curated | review
    passages: list[PassageInput]
    gold: dict[str, set[str]] = field(default_factory=dict)        # every concept listed
    decided: dict[str, dict[str, bool]] = field(default_factory=dict)  # only these count

    @property
    def council(self) -> bool:
        return any(p.kind == "operative" for p in self.passages)

    def labels(self, pid: str) -> tuple[set[str] | None, dict[str, bool]]:
        return self.gold.get(pid), self.decided.get(pid, {})

    def decisions(self) -> int:
        return sum(len(v) for v in self.gold.values()) + sum(len(v) for v in self.decided.values())


def _read(settings, name: str, records: dict | None = None) -> list:
    """The checked records of one data/ folder (schema errors name file and line);
    ``records``: what a build already read, by loader name."""
    if records is not None and name in records:
        return records[name]
    from loaders import get_loader
    from loaders.context import Context
    from pockg.build import _schema_dir

    ctx = Context(root=settings.data_dir.parent)
    loader = get_loader(name)(settings.data_dir / name, ctx.root, _schema_dir(settings))
    loader.read(ctx)
    errors = [p for p in ctx.problems if p.severity == "error"]
    if errors:
        raise DataError(errors)
    return loader.records


def _concepts(notations, lexicon, where: str) -> set[str]:
    out = set()
    for notation in notations:
        iri = concept_iri(str(notation))
        if iri not in lexicon.concepts:
            raise DataError([Problem(f"{where}: {notation!r} is not a concept of the linkable schemes")])
        out.add(iri)
    return out


def curated_documents(settings, lexicon, records: dict | None = None) -> list[TrainingDoc]:
    """data/training/ and data/links/ (with data/documents/), as training documents."""
    docs = []
    for record in _read(settings, "training", records):
        doc = TrainingDoc(record.id, None, "training", [])
        headings = [str(e["n"]) for e in record.data["passages"] if e.get("kind") == "heading"]
        last = None
        for entry in record.data["passages"]:
            n = str(entry["n"])
            pid = f"training:{record.id}/p/{n}"
            kind = KIND.get(str(entry.get("kind", "paragraph")), "paragraph")
            section = _section(n, headings, last)
            doc.passages.append(PassageInput(pid, str(entry["text"]), kind,
                                             f"training:{record.id}/p/{section}" if section else None))
            doc.gold[pid] = _concepts(entry["concepts"], lexicon, f"{record.file} ¶{n}")
            if kind == "heading":
                last = n
        docs.append(doc)
    documents = {r.id: r for r in _read(settings, "documents", records)}
    for record in _read(settings, "links", records):
        source = documents.get(record.id)
        if source is None:
            continue
        texts = {str(p["n"]): p for p in source.data.get("passages", [])}
        doc = TrainingDoc(record.id, record.data.get("source_sha256"), "curated", [])
        for entry in record.data["passages"]:
            n = str(entry["n"])
            part = texts.get(n, {})
            pid = f"curated:{record.id}/p/{n}"
            kind = KIND.get(str(part.get("kind", "paragraph")), "paragraph")
            text = _english(part.get("title")) if kind == "heading" else " ".join(
                [_english(part.get("gist"))] + [str(q) for q in part.get("quotes", [])])
            if not text.strip():
                continue
            section = f"curated:{record.id}/p/{part['section']}" if part.get("section") else None
            doc.passages.append(PassageInput(pid, text.strip(), kind, section))
            where = f"{record.file} ¶{n}"
            accepted = [l["concept"] for l in entry["links"] if l["status"] == "accepted"]
            rejected = _concepts([l["concept"] for l in entry["links"] if l["status"] == "rejected"],
                                 lexicon, where)
            doc.gold[pid] = _concepts(accepted, lexicon, where) - rejected
        docs.append(doc)
    return docs


def _section(n: str, headings: list[str], last: str | None) -> str | None:
    """The heading a passage sits under, as ingest finds it: the heading whose
    number is the longest prefix of its own ("5.2" for "5.2.1"), else the last
    heading before it."""
    parts = n.split(".")
    for size in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:size])
        if prefix in headings:
            return prefix
    return last if last != n else None


def _english(value) -> str:
    if isinstance(value, dict):
        return str(value.get("en") or next(iter(value.values()), ""))
    return str(value or "")


_DECISIONS_Q = """
SELECT ?passage ?version ?body ?status ?creator WHERE {
  GRAPH ?g {
    ?link a pockg:ConceptLink ; oa:hasBody ?body ; oa:hasTarget ?t ; pockg:linkStatus ?status .
    ?t oa:hasSource ?passage .
    OPTIONAL { ?link dcterms:creator ?creator }
  }
  ?passage dcterms:isPartOf ?version ; pockg:text ?text .
}
"""


def review_documents(store, lexicon) -> list[TrainingDoc]:
    """Ingested documents with links a curator accepted or rejected (or made)."""
    import re

    from pockg.linking.annotations import passages_of, status_iri

    accepted, rejected = status_iri("LS-accepted"), status_iri("LS-rejected")
    by_version: dict[str, dict[str, dict[str, bool]]] = {}
    for r in store.select(_DECISIONS_Q).rows:
        status, body = r["status"].value, r["body"].value
        if body not in lexicon.concepts or status not in (accepted, rejected):
            continue
        decided = by_version.setdefault(r["version"].value, {}).setdefault(r["passage"].value, {})
        decided[body] = decided.get(body, True) and status == accepted
    docs = []
    for version, decided in sorted(by_version.items()):
        m = re.search(r"/document/([^/]+)/v/([0-9a-f]{12})$", version)
        doc = TrainingDoc(m[1] if m else version, m[2] if m else None, "review",
                          passages_of(store, version), decided=decided)
        docs.append(doc)
    return docs


def exemplars_of(docs: list[TrainingDoc]) -> list[learned.Exemplar]:
    """Every decided passage (not headings), with the concepts it was found about."""
    out = []
    for doc in docs:
        for p in doc.passages:
            if p.kind == "heading":
                continue
            gold, decided = doc.labels(p.id)
            concepts = gold if gold is not None else {c for c, ok in decided.items() if ok}
            if gold is None and not concepts:
                continue
            out.append(learned.Exemplar(doc.id, doc.source, language(p.text), p.text,
                                        tuple(sorted(concepts))))
    return out


def _lexical(matcher, space, doc, cache: dict | None) -> dict:
    """The lexical component's links of a training document (computed once)."""
    if cache is not None and doc.id in cache:
        return cache[doc.id]
    found = document_links(matcher, doc.passages, 0.0, space, ("lexical",))
    links = {pid: {l.target: l for l in ls} for pid, ls in found.items()}
    if cache is not None:
        cache[doc.id] = links
    return links


def _features(matcher, space, doc, index, links):
    """A training document's features, kept on the exemplar index they come from
    (a fold of the cross-validation has an index of its own)."""
    kept = index.training_features
    if doc.id not in kept:
        kept[doc.id] = learned.features_of(matcher, doc.passages, links, space, index, {doc.id},
                                           doc.council)
    return kept[doc.id]


def _rows(matcher, space, docs, index, schemes, heading_weights=None, headings_only=False,
          cache: dict | None = None):
    """(features, labels, gold concepts the layer may not link) of every labelled
    (passage, concept) of ``docs``. ``headings_only``: the heading model's rows;
    otherwise the passages under a heading see what ``heading_weights`` say it
    is about."""
    import numpy as np

    lex = matcher.lexicon
    scheme_of = {c: lex.concepts[c].scheme for c in space.concepts}
    stub = learned.Model([], schemes, [], "", {}, "", heading_weights=heading_weights)
    xs, ys, missed = [], [], 0
    for doc in docs:
        links = _lexical(matcher, space, doc, cache)
        found = _features(matcher, space, doc, index, links)
        heads = [i for i, p in enumerate(found.passages) if p.kind == "heading"]
        if headings_only:
            if not heads:
                continue
            found = found.subset(heads)
        elif heads and heading_weights:
            found = found.with_sections(learned.section_scores_of(
                doc.passages, learned.heading_scores(stub, found.subset(heads), lex)))
        x = learned.design(found, schemes, scheme_of)
        column = {c: j for j, c in enumerate(found.concepts)}
        for i, p in enumerate(found.passages):
            gold, decided = doc.labels(p.id)
            labels = ({c: c in gold for c in found.concepts} if gold is not None
                      else {c: ok for c, ok in decided.items() if c in column})
            for c, label in labels.items():
                j = column[c]
                if not found.allowed[i, j]:
                    missed += bool(label)
                    continue
                xs.append(x[i, j])
                ys.append(label)
    return (np.array(xs, dtype=np.float64).reshape(len(xs), -1), np.array(ys, dtype=bool),
            missed)


def fit_layer(matcher, space, docs, index, schemes,
              cache: dict | None = None) -> tuple[list[float], list[float] | None, int]:
    """The heading model, then the passage model that uses it; and the rows fitted."""
    cache = {} if cache is None else cache
    hx, hy, _m = _rows(matcher, space, docs, index, schemes, headings_only=True, cache=cache)
    heading_weights = learned.fit(hx, hy) if len(hy) and hy.any() and not hy.all() else None
    xs, ys, _m = _rows(matcher, space, docs, index, schemes, heading_weights, cache=cache)
    if not len(ys) or ys.all() or not ys.any():
        raise NotEnoughDecisions(
            "the learned layer needs reviewed links to learn from (curated ones in "
            "data/training/ or data/links/, or links accepted and rejected in review); "
            "there are none, so the linker runs on words and meaning alone")
    return learned.fit(xs, ys), heading_weights, len(ys)


def _schemes(matcher) -> list[str]:
    return sorted({c.scheme for c in matcher.lexicon.concepts.values()})


def train(store, settings, progress=None, skip: set[str] = frozenset(),
          with_reviews: bool = True, records: dict | None = None) -> learned.Model:
    """A model from data/ (and the store's review decisions); ``skip``: document
    ids or file SHA-256s to leave out (an evaluation's own documents)."""
    from pockg.linking.annotations import LINKER_VERSION, matcher_for

    say = progress or (lambda _m: None)
    matcher = matcher_for(store)
    space = matcher.space
    docs = documents(store, settings, matcher, with_reviews, skip, records)
    schemes = _schemes(matcher)
    exemplars = exemplars_of(docs)
    index = learned.ExemplarIndex(exemplars, space.concepts, learned.twins_of(matcher.lexicon))
    weights, heading_weights, rows = fit_layer(matcher, space, docs, index, schemes)
    counts = {origin: sum(d.decisions() for d in docs if d.origin == origin)
              for origin in ("training", "curated", "review")}
    say(f"trained the learned layer on {rows} candidates of {len(docs)} documents "
        f"({sum(counts.values())} decisions)")
    trained = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return learned.Model(weights, schemes, exemplars, trained, counts, LINKER_VERSION,
                         heading_weights=heading_weights)


def documents(store, settings, matcher, with_reviews: bool = True,
              skip: set[str] = frozenset(), records: dict | None = None) -> list[TrainingDoc]:
    docs = curated_documents(settings, matcher.lexicon, records)
    if with_reviews:
        docs += review_documents(store, matcher.lexicon)
    return [d for d in docs if d.id not in skip and not (d.source and (
        d.source in skip or d.source[:12] in skip))]


def cross_validate(store, settings, progress=None, threshold: float = 0.5) -> dict:
    """Leave one document out: train on the others, score it. Returns the pooled
    micro precision/recall/F1 and each document's."""
    import numpy as np

    from pockg.linking.annotations import matcher_for

    say = progress or (lambda _m: None)
    matcher = matcher_for(store)
    space = matcher.space
    docs = documents(store, settings, matcher)
    schemes = _schemes(matcher)
    totals = [0, 0, 0]
    per = {}
    cache: dict = {}
    for n, held in enumerate(docs):
        rest = [d for d in docs if d is not held]
        index = learned.ExemplarIndex(exemplars_of(rest), space.concepts,
                                       learned.twins_of(matcher.lexicon))
        try:
            weights, heading_weights, _n = fit_layer(matcher, space, rest, index, schemes, cache)
        except NotEnoughDecisions:
            say(f"  left out {held.id}: the other documents have nothing to learn from; skipped")
            continue
        model = learned.Model(weights, schemes, [], "", {}, "", heading_weights=heading_weights)
        hx, hy, missed = _rows(matcher, space, [held], index, schemes, heading_weights,
                               cache=cache)
        chosen = 1.0 / (1.0 + np.exp(-np.clip(hx @ np.asarray(model.weights), -30, 30))) >= threshold
        tp = int((chosen & hy).sum())
        fp = int((chosen & ~hy).sum())
        fn = int((~chosen & hy).sum()) + missed
        per[held.id] = Scores.of(tp, fp, fn).as_dict() | {"tp": tp, "fp": fp, "fn": fn}
        say(f"  left out {held.id}: precision {per[held.id]['precision']:.3f} "
            f"recall {per[held.id]['recall']:.3f} f1 {per[held.id]['f1']:.3f}")
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
    pooled = Scores.of(*totals).as_dict() | dict(zip(("tp", "fp", "fn"), totals))
    return {"micro": pooled, "documents": per, "threshold": threshold}

"""The linker's learned layer: what reviewers accepted and rejected, learned.

The lexical and semantic components each say something about every linkable
concept for a passage; this layer decides. For every (passage, concept) it
computes a few features (``FEATURES``: the words' score, how close the
passage's sentences come to the concept's texts and how the concept ranks
for the passage by meaning, how close the passage is to passages already
accepted for the concept and what a classifier fitted on them says, what
the headings above it are about, the passage's kind, the concept's scheme)
and a logistic regression turns them into one score in [0, 1]: the chance
that a reviewer accepts the link (``MISSED_COST`` says how a missed link
weighs against a wrong one). The threshold therefore means the same for
every concept. Headings are scored first, by a model of their own, so that
the passages under a heading know what it is about.

**Exemplars** are passages whose concepts someone decided: the curated
training passages (``data/training/``), the report's reviewed links
(``data/links/``, its gists and evidence words) and the passages of ingested
documents with accepted links. A passage is never compared with exemplars of
its own document, and ``skip`` leaves out further documents (by id or by the
SHA-256 of their file), so an evaluation never sees its own answers.

**The model** is a small JSON file (weights, the exemplars it carries, its
provenance), never a pickle: a restored or copied model cannot run code. It
lives in ``<store>.linker/model.json``; ``pockg build`` makes the first one
and ``pockg link train`` makes it again with the review decisions stored
since (``pockg.linking.training``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import weakref
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

from pockg import vocab as V
from pockg.errors import ConfigurationError

MODEL_FILE = "model.json"
FORMAT = 1
FEATURES = ("bias", "lexical", "has_lexical", "inherited", "similarity", "z", "top",
            "rank", "exemplar", "vote", "lexical_x_similarity", "heading", "footnote",
            "council_topic", "hybrid", "about_strategy", "inherited_x_strategy",
            "inherited_x_structural", "classifier", "classifier_rank", "sentence_classifier",
            "twin_classifier", "inherited_x_recommendation")
RIDGE = 1.0
# A suggestion the linker misses costs a reviewer more than a wrong one: a wrong
# suggestion is rejected with one click, a missing link must be found in the
# text. The layer weighs a right link this many times a wrong one, so its score
# is the chance of acceptance under that cost, and 0.5 is where a suggestion
# is worth a reviewer's click.
MISSED_COST = 2.0
NEIGHBOURS = 7               # exemplars whose concepts vote
CLASSIFIER_RIDGE = 0.3       # the per-concept classifier over exemplars
BAG_DIMENSIONS = 4096        # word stems and stem pairs, hashed
BAG_WEIGHT = 2.0             # the bag of words against the embedding, in the classifier
BATCH = 256                  # passages whose features are computed together
KEPT = 0.05                  # scores below this never become links, whatever the threshold
WORD_RE = re.compile(r"[^\W\d_]+")
STRATEGY_RE = re.compile(r"\bstrat[eé]gi", re.IGNORECASE)
RECOMMENDATION_RE = re.compile(
    r"\b(?:should|must|ought|need(?:s|ed)?\s+to|recommend\w*|devr\w+|doi(?:t|vent)"
    r"|il\s+convient|recommand\w*|faudr\w+)\b", re.IGNORECASE)
# beyond context.COUNCIL_RE: the Council's decisions and the Secretary-General's reports to it
COUNCIL_CUE_RE = re.compile(
    r"\b(?:Council|Conseil|resolutions?\s+\d|r[ée]solutions?\s+\d|Secretary-General'?s?\s+"
    r"reports?|reports?\s+of\s+the\s+Secretary-General|rapports?\s+du\s+Secr[ée]taire\s+"
    r"g[ée]n[ée]ral)", re.IGNORECASE)


# -- words ------------------------------------------------------------------------------
@lru_cache(maxsize=200_000)
def _stem(word: str) -> str | None:
    """First six letters, lower case, accents folded; None for a stop word."""
    from pockg.linking.matcher import STOPWORDS, fold

    low = word.lower()
    return None if low in STOPWORDS or len(word) < 3 else fold(low)[:6]


@lru_cache(maxsize=400_000)
def _slot(term: str) -> int:
    import zlib

    return zlib.crc32(term.encode()) % BAG_DIMENSIONS


def slots(text: str, spans) -> tuple[list, list]:
    """(per sentence, for the whole text): the hashed slots of the word stems and
    adjacent stem pairs, the words a concept's passages share even where the
    embedding is vague ("patrols", "fled")."""
    per = []
    for a, b in spans:
        stems = [x for x in map(_stem, WORD_RE.findall(text[a:b])) if x]
        per.append(sorted({_slot(t) for t in stems}))
    whole = sorted(set().union(*per)) if per else []
    return per, whole


def bag_matrix(slot_lists):
    """Dense L2-normalised bags, one row per slot list."""
    import numpy as np

    out = np.zeros((len(slot_lists), BAG_DIMENSIONS), dtype=np.float32)
    for i, found in enumerate(slot_lists):
        if found:
            out[i, found] = 1.0 / math.sqrt(len(found))
    return out


def classify(weights, vectors, slot_lists):
    """The per-concept classifier's scores, one row per text (its vector and slots)."""
    import numpy as np

    d = vectors.shape[1]
    out = vectors @ weights[:d] + weights[-1]
    bag = weights[d:-1]
    for i, found in enumerate(slot_lists):
        if found:
            out[i] += BAG_WEIGHT * bag[found].sum(0) / np.float32(math.sqrt(len(found)))
    return out


# -- exemplars -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Exemplar:
    """A passage whose concepts were decided, as the layer compares with it."""

    document: str             # a document id (``workshop-2010``, ``training-...``)
    source: str | None        # SHA-256 of the document's file, where known
    lang: str
    text: str
    concepts: tuple[str, ...]  # concept IRIs


class ExemplarIndex:
    """The exemplars embedded once; per passage, how close each concept's are,
    and a linear classifier per concept fitted on them."""

    def __init__(self, exemplars: list[Exemplar], concepts: list[str],
                 twins: dict[str, tuple[str, ...]] | None = None):
        """``twins``: concept -> the same concept in another wording (the 2010 and
        2015 tiers, ``skos:closeMatch``): an exemplar of one counts for the other,
        and the document's wording decides between them (``_one_wording``)."""
        import numpy as np

        from pockg.linking.semantic import encode

        self.exemplars = exemplars
        self.column = {c: i for i, c in enumerate(concepts)}
        self.member = np.zeros((len(exemplars), len(concepts)), dtype=bool)
        for row, ex in enumerate(exemplars):
            for c in ex.concepts:
                for same in (c, *(twins or {}).get(c, ())):
                    if same in self.column:
                        self.member[row, self.column[same]] = True
        self.votes = self.member.astype(np.float32)
        self.training_features: dict = {}   # training document id -> its Features (training.py)
        texts = [ex.text for ex in exemplars]
        encoded = encode(texts)
        self.vectors = encoded.passages
        self.bags = bag_matrix([slots(t, sp)[1] for t, sp in zip(texts, encoded.spans)])
        self.langs = np.array([ex.lang for ex in exemplars], dtype=object)
        self.owner = [(ex.document, (ex.source or "")[:12]) for ex in exemplars]
        self._classifiers: dict = {}
        self._gram = self._design = None

    def _allowed(self, skip: frozenset):
        import numpy as np

        return np.array([doc not in skip and (not h or h not in skip) for doc, h in self.owner],
                        dtype=bool)

    def _classifier(self, allowed):
        """Ridge regression on +1/-1 per concept over the allowed exemplars' vectors
        and bags, in the dual (fewer exemplars than dimensions; one solve for every
        concept, the Gram matrix of all exemplars computed once)."""
        import numpy as np

        key = allowed.tobytes()
        cached = self._classifiers.get(key)
        if cached is None:
            if self._gram is None:
                self._design = np.hstack([self.vectors, BAG_WEIGHT * self.bags,
                                          np.ones((len(self.vectors), 1), np.float32)])
                self._gram = self._design @ self._design.T
            x = self._design[allowed]
            gram = self._gram[np.ix_(allowed, allowed)]
            y = np.where(self.member[allowed], 1.0, -1.0).astype(np.float32)
            alpha = np.linalg.solve(gram + CLASSIFIER_RIDGE * np.eye(len(x), dtype=np.float32), y)
            cached = (x.T @ alpha).astype(np.float32)
            self._classifiers[key] = cached
        return cached

    def features(self, vectors, slot_lists, langs: list[str], skip: list[frozenset]):
        """(closest exemplar, neighbours' vote, classifier score), each passages x
        concepts, and each passage's classifier; ``skip[i]``: document ids and
        12-hex file hashes passage i must not see."""
        import numpy as np

        n = len(self.column)
        best = np.zeros((len(vectors), n), dtype=np.float32)
        vote = np.zeros((len(vectors), n), dtype=np.float32)
        fitted = np.full((len(vectors), n), -1.0, dtype=np.float32)
        weights_of = [None] * len(vectors)
        if not self.exemplars or not len(vectors):
            return best, vote, fitted, weights_of
        sims = vectors @ self.vectors.T
        groups: dict = {}
        for i, lang in enumerate(langs):
            groups.setdefault((lang, skip[i]), []).append(i)
        for (lang, skipped), rows in groups.items():
            allowed = self._allowed(skipped)
            same = allowed & (self.langs == lang)
            usable = same if same.any() else allowed
            rows = np.array(rows)
            if allowed.sum() > 10:
                weights = self._classifier(allowed)
                fitted[rows] = classify(weights, vectors[rows], [slot_lists[i] for i in rows])
                for i in rows:
                    weights_of[i] = weights
            if not usable.any():
                continue
            k = min(NEIGHBOURS, int(usable.sum()))
            for chunk in np.array_split(rows, max(1, len(rows) // 64)):
                s = np.where(usable[None, :], sims[chunk], -1.0)         # rows x exemplars
                best[chunk] = np.maximum(
                    np.where(self.member[None, :, :], s[:, :, None], -1.0).max(1), 0.0)
                top = np.argpartition(-s, k - 1, axis=1)[:, :k]
                vote[chunk] = self.votes[top].sum(1) / NEIGHBOURS
        return best, vote, fitted, weights_of


@dataclass
class Model:
    """A trained learned layer: weights over ``FEATURES`` plus one per scheme."""

    weights: list[float]
    schemes: list[str]
    exemplars: list[Exemplar]
    trained: str                          # ISO date and time
    decisions: dict                       # what it was trained on, counted
    version: str                          # the linker version that trained it
    cross_validation: dict = field(default_factory=dict)
    features: tuple[str, ...] = FEATURES
    heading_weights: list[float] | None = None   # the heading model, scored first
    path: str | None = None               # where it was read from
    leave_out: frozenset = frozenset()    # documents whose exemplars it must not use here
    _index: object = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        body = json.dumps([self.weights, self.heading_weights, self.schemes, self.trained],
                          sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()[:12]

    @property
    def iri(self) -> str:
        return V.ID + "linker-model/" + self.id

    @property
    def label(self) -> str:
        total = sum(self.decisions.values())
        return f"learned layer {self.id}, trained {self.trained[:10]} on {total} decisions"

    def same_training(self, other: "Model") -> bool:
        """The same weights from the same decisions (only the date may differ)."""
        return (self.weights == other.weights and self.heading_weights == other.heading_weights
                and self.schemes == other.schemes and self.exemplars == other.exemplars
                and self.decisions == other.decisions and self.version == other.version)

    def index(self, concepts: list[str], twins: dict | None = None) -> ExemplarIndex:
        if self._index is None or list(self._index.column) != list(concepts):
            self._index = ExemplarIndex(self.exemplars, concepts, twins)
        return self._index

    def probabilities(self, features: "Features", lexicon, weights=None):
        """passages x concepts: the chance each link is accepted (0 where rule 2
        forbids it); ``weights``: the heading model's instead."""
        import numpy as np

        w = np.asarray(weights or self.weights, dtype=np.float32)
        per_scheme = dict(zip(self.schemes, w[len(FEATURES):]))
        bias = np.array([per_scheme.get(lexicon.concepts[c].scheme, 0.0)
                         for c in features.concepts], dtype=np.float32)
        z = np.clip(features.x @ w[:len(FEATURES)] + bias[None, :], -30.0, 30.0)
        return np.where(features.allowed, 1.0 / (1.0 + np.exp(-z)), 0.0)

    def to_json(self) -> str:
        data = {"format": FORMAT, "features": list(self.features), "schemes": self.schemes,
                "weights": self.weights, "heading_weights": self.heading_weights,
                "trained": self.trained, "decisions": self.decisions,
                "version": self.version, "cross_validation": self.cross_validation,
                "exemplars": [asdict(ex) for ex in self.exemplars]}
        return json.dumps(data, ensure_ascii=False, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str) -> "Model":
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, this pockg reads {FORMAT}")
            if tuple(data["features"]) != FEATURES:
                raise ValueError("its features are not this linker's; run `pockg link train`")
            weights = [float(w) for w in data["weights"]]
            heads = data.get("heading_weights")
            heads = [float(w) for w in heads] if heads is not None else None
            if len(weights) != len(FEATURES) + len(data["schemes"]) or (
                    heads is not None and len(heads) != len(weights)):
                raise ValueError("it has the wrong number of weights")
            exemplars = [Exemplar(str(e["document"]), e.get("source"), str(e["lang"]),
                                  str(e["text"]), tuple(e["concepts"])) for e in data["exemplars"]]
            return cls(weights, list(data["schemes"]), exemplars, str(data["trained"]),
                       dict(data["decisions"]), str(data["version"]),
                       dict(data.get("cross_validation") or {}), heading_weights=heads,
                       path=where)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigurationError(f"{where} is not a pockg linker model ({exc})") from None


# -- where models live -------------------------------------------------------------
_IN_MEMORY: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # in-memory stores' models
_LOADED: dict[str, tuple[float, Model]] = {}


def folder_of(store_location: str) -> Path:
    """``<store>.linker``, beside the store."""
    location = Path(store_location)
    return location.with_name(location.name + ".linker")


def _in_memory(store) -> bool:
    """Stores without a folder (in memory, or a remote endpoint) keep their model in
    this process only."""
    return store.location == ":memory:" or "://" in str(store.location)


def save(model: Model, store) -> str:
    """Keep ``model`` as the store's model; returns where (atomically replaced)."""
    if _in_memory(store):
        _IN_MEMORY[store] = model
        return "(in memory)"
    folder = folder_of(store.location)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / MODEL_FILE
    tmp = folder / (MODEL_FILE + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(model.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    model.path = str(target)
    return str(target)


def forget(store) -> None:
    """The store has no model any more (the build found nothing to learn from)."""
    if _in_memory(store):
        _IN_MEMORY.pop(store, None)
    else:
        (folder_of(store.location) / MODEL_FILE).unlink(missing_ok=True)


def load(path: str | Path) -> Model:
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise ConfigurationError(f"no linker model at {path} (make one with `pockg link train`)")
    stamp = path.stat().st_mtime
    cached = _LOADED.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1]
    model = Model.from_json(path.read_text(encoding="utf-8"), str(path))
    _LOADED[str(path)] = (stamp, model)
    return model


def model_of(store) -> Model | None:
    """The store's latest model, or None (words and meaning alone)."""
    if _in_memory(store):
        return _IN_MEMORY.get(store)
    target = folder_of(store.location) / MODEL_FILE
    return load(target) if target.is_file() else None


# -- features and scores ---------------------------------------------------------------
@dataclass
class Features:
    """Every (passage, concept) of a batch of passages, described by ``FEATURES``."""

    passages: list                 # context.PassageInput, in order
    concepts: list[str]            # concept IRIs, the columns
    x: object                      # passages x concepts x FEATURES (float32)
    allowed: object                # passages x concepts: may be linked at all (rule 2)
    spans: list                    # each passage's sentences (start, end)
    sentence: object               # passages x concepts: the sentence closest in meaning
    similarity: object             # passages x concepts
    z: object
    sims: list                     # per passage: its sentences x concept texts (or None)
    parts: dict = field(default_factory=dict)   # what the heading columns are made from:
    #                                             one row per passage, but PER_CONCEPT

    def subset(self, rows: list[int]) -> "Features":
        """The features of some of the passages (the headings, scored first)."""
        return Features([self.passages[i] for i in rows], self.concepts, self.x[rows],
                        self.allowed[rows], [self.spans[i] for i in rows], self.sentence[rows],
                        self.similarity[rows], self.z[rows], [self.sims[i] for i in rows],
                        {k: (v if k in PER_CONCEPT else v[rows]) for k, v in self.parts.items()})

    def with_sections(self, sections: dict) -> "Features":
        """The same features where the headings above each passage say what the
        heading model scored (``section_scores_of``), not what their words say."""
        import numpy as np

        col = {c: j for j, c in enumerate(self.concepts)}
        inherited = np.zeros_like(self.similarity)
        for i, p in enumerate(self.passages):
            for target, score in sections.get(p.id, {}).items():
                if target in col:
                    inherited[i, col[target]] = score
        x = self.x.copy()
        _heading_columns(x, inherited, self.parts)
        return Features(self.passages, self.concepts, x, self.allowed, self.spans, self.sentence,
                        self.similarity, self.z, self.sims, self.parts)


PER_CONCEPT = frozenset({"structural"})      # parts with one value per concept, not per passage


def _heading_columns(x, inherited, parts: dict) -> None:
    """Fill, in place, the columns of ``x`` that depend on what the headings say."""
    import numpy as np

    f = FEATURES.index
    h = np.clip(np.maximum(parts["hybrid"], inherited), 0.0, 1.0)
    x[:, :, f("inherited")] = inherited
    x[:, :, f("hybrid")] = np.where(
        h <= 0, -6.0, np.where(h >= 1, 6.0, np.log(np.clip(h, 1e-6, 1 - 1e-6)
                                                   / np.clip(1 - h, 1e-6, 1))))
    x[:, :, f("inherited_x_strategy")] = inherited * parts["strategy"][:, None]
    x[:, :, f("inherited_x_structural")] = inherited * parts["structural"][None, :]
    x[:, :, f("inherited_x_recommendation")] = inherited * parts["recommends"][:, None]


def section_scores_of(passages, heading_scores: dict) -> dict[str, dict[str, float]]:
    """passage id -> concept -> what the headings above it say it is about: each
    heading's score for the concept, times ``INHERIT_FACTOR`` per level up."""
    from pockg.linking.context import INHERIT_FACTOR

    by_id = {p.id: p for p in passages}
    out: dict[str, dict[str, float]] = {}
    for p in passages:
        if p.kind == "footnote":
            continue
        found: dict[str, float] = {}
        section, factor, hops = p.section, INHERIT_FACTOR, 0
        while section and section in by_id and hops < 3:
            for target, score in heading_scores.get(section, {}).items():
                found[target] = max(found.get(target, 0.0), round(score * factor, 3))
            section, factor, hops = by_id[section].section, factor * INHERIT_FACTOR, hops + 1
        out[p.id] = found
    return out


def features_of(matcher, passages, links: dict, space, index: ExemplarIndex,
                skip: set[str], council: bool) -> Features:
    """The features of every (passage, concept), a heading's words passing to the
    passages under it as the lexical rule says (``Features.with_sections`` puts
    the heading model's scores in their place).

    ``links``: passage id -> concept -> the lexical component's ``context.Link``;
    ``skip``: documents whose exemplars these passages must not see."""
    import numpy as np

    from pockg.linking import semantic
    from pockg.linking.context import (COMBINATION, COUNCIL_RE, COUNCIL_SCHEME,
                                       STRUCTURAL_SCHEMES)

    lex = matcher.lexicon
    concepts = space.concepts
    col = {c: i for i, c in enumerate(concepts)}
    n, m = len(passages), len(concepts)
    texts = [p.text for p in passages]
    encoded = semantic.encode(texts)
    scored = space.scores_many(texts, encoded)
    words = [slots(t, sp) for t, sp in zip(texts, encoded.spans)]
    best, vote, fitted, weights_of = index.features(
        encoded.passages, [w[1] for w in words], encoded.langs,
        [frozenset(skip | _own(p.id)) for p in passages])

    sim = np.zeros((n, m), dtype=np.float32)
    z = np.zeros((n, m), dtype=np.float32)
    sentence = np.zeros((n, m), dtype=np.int64)
    sims: list = [None] * n
    for i, (_spans, found) in enumerate(scored):
        if found is not None:
            sim[i], z[i], sentence[i], sims[i] = found
    rank = (-z).argsort(1).argsort(1)
    fitted_rank = (-fitted).argsort(1).argsort(1)
    by_sentence = fitted.copy()            # the classifier per sentence: a passage often
    offsets = encoded.offsets              # speaks of two things
    for i in range(n):
        lo, hi = offsets[i], offsets[i + 1]
        if weights_of[i] is not None and hi - lo > 1:
            by_sentence[i] = classify(weights_of[i], encoded.sentences[lo:hi], words[i][0]).max(0)
    twin = by_sentence.copy()              # the same concept in the other wording of the tiers
    for target, c in col.items():
        for other in lex.concepts[target].close:
            if other in col:
                twin[:, c] = np.maximum(twin[:, c], by_sentence[:, col[other]])

    lexical = np.zeros((n, m), dtype=np.float32)
    inherited = np.zeros((n, m), dtype=np.float32)
    for i, p in enumerate(passages):
        for target, link in links.get(p.id, {}).items():
            c = col.get(target)
            if c is None:
                continue
            if link.lexical:
                lexical[i, c] = link.lexical
            if link.inherited_from and not link.mentions:
                inherited[i, c] = link.score
    speaks = np.array([council or bool(COUNCIL_RE.search(t) or COUNCIL_CUE_RE.search(t))
                       for t in texts], dtype=bool)
    strategy = np.array([bool(STRATEGY_RE.search(t)) for t in texts], dtype=np.float32)
    recommends = np.array([bool(RECOMMENDATION_RE.search(t)) for t in texts], dtype=np.float32)
    heading = np.array([p.kind == "heading" for p in passages], dtype=np.float32)
    footnote = np.array([p.kind == "footnote" for p in passages], dtype=np.float32)
    topic = np.array([lex.concepts[c].scheme == COUNCIL_SCHEME for c in concepts], dtype=bool)
    structural = np.array([lex.concepts[c].scheme in STRUCTURAL_SCHEMES for c in concepts],
                          dtype=np.float32)

    # what the fixed rule of the hybrid configuration scores (context.combine), or the
    # heading's word when higher, as log-odds
    proposed = (rank == 0) & (sim >= semantic.MIN_SIMILARITY) & (z >= semantic.MIN_Z)
    points = semantic.CALIBRATION
    meaning = np.where(proposed, np.interp(z, [a for a, _ in points], [b for _, b in points]), 0.0)
    has_l, has_s = lexical > 0, proposed
    w = COMBINATION
    logit = w[0] + w[1] * lexical + w[2] * meaning + w[3] * lexical * meaning + w[4] * has_l \
        + w[5] * has_s
    hybrid = np.where(has_l | has_s, np.minimum(1.0 / (1.0 + np.exp(-logit)), 0.99), 0.0)
    zeros = np.zeros((n, m))

    col_of = lambda v: np.broadcast_to(v[:, None], (n, m))  # noqa: E731 - per passage
    x = np.stack([
        np.ones((n, m)), lexical, (lexical > 0), inherited, sim, np.clip(z, -3.0, 10.0) / 5.0,
        (rank == 0), 1.0 / (1.0 + rank), best, vote, lexical * sim, col_of(heading),
        col_of(footnote), topic[None, :] & speaks[:, None], zeros, col_of(strategy),
        zeros, zeros, fitted, 1.0 / (1.0 + fitted_rank), by_sentence, twin, zeros,
    ], axis=2).astype(np.float32)
    parts = {"hybrid": hybrid.astype(np.float32), "strategy": strategy,
             "structural": structural, "recommends": recommends}
    _heading_columns(x, inherited, parts)
    allowed = ~(topic[None, :] & ~speaks[:, None])     # rule 2: the Council's topics need the Council
    return Features(list(passages), list(concepts), x, allowed, encoded.spans, sentence, sim, z,
                    sims, parts)


def twins_of(lexicon) -> dict[str, tuple[str, ...]]:
    """concept -> its close matches among the linkable concepts (the other wording)."""
    return {c: tuple(x for x in concept.close if x in lexicon.concepts)
            for c, concept in lexicon.concepts.items() if concept.close}


def _own(passage_id: str) -> set[str]:
    """The passage's own document, as exemplars name it (id and 12-hex hash)."""
    m = re.search(r"/document/([^/]+)/v/([0-9a-f]{12})/p/", passage_id)
    if m:
        return {m[1], m[2]}
    m = re.match(r"(?:curated|training):([^/]+)/", passage_id)
    return {m[1]} if m else set()


def design(features: Features, schemes: list[str], scheme_of: dict[str, str]):
    """passages x concepts x (FEATURES + one per scheme): the model's input."""
    import numpy as np

    onehot = np.array([[float(scheme_of[c] == s) for s in schemes] for c in features.concepts],
                      dtype=np.float32)
    n = features.x.shape[0]
    return np.concatenate([features.x, np.broadcast_to(onehot[None], (n, *onehot.shape))], axis=2)


def rescore(model: Model, matcher, passages, links: dict, space, council: bool,
            skip: set[str] = frozenset(), threshold: float = KEPT) -> dict:
    """``links`` (passage id -> concept -> context.Link, the lexical component's),
    with every concept of every passage scored by the model: links it scores at
    ``threshold`` or more are kept (new ones with the sentence closest in meaning
    as evidence), the rest dropped."""
    import numpy as np

    lex = matcher.lexicon
    index = model.index(space.concepts, twins_of(lex))
    skip = set(skip) | model.leave_out
    batches = [features_of(matcher, passages[i:i + BATCH], links, space, index, skip, council)
               for i in range(0, len(passages), BATCH)]      # arrays that stay in cache
    if model.heading_weights:                 # what each heading is about, first
        scores: dict = {}
        for found in batches:
            heads = [i for i, p in enumerate(found.passages) if p.kind == "heading"]
            if heads:
                scores.update(heading_scores(model, found.subset(heads), lex))
        if scores:
            sections = section_scores_of(passages, scores)
            batches = [found.with_sections(sections) for found in batches]
    keep = max(KEPT, min(threshold, 1.0))
    out = {p.id: {t: l for t, l in links.get(p.id, {}).items() if t not in lex.concepts}
           for p in passages}
    for found in batches:
        probs = model.probabilities(found, lex)
        for i, j in zip(*np.nonzero(probs >= keep - 5e-4)):
            score = round(min(0.99, float(probs[i, j])), 3)
            if score >= keep:
                _keep_link(found, i, j, score, links, out, space, model)
    _one_wording(matcher, out, links)
    return out


def _keep_link(found: Features, i: int, j: int, score: float, links: dict, out: dict, space,
               model: Model) -> None:
    """Passage i's link to concept j, scored by ``model``: the lexical one with its
    words, or a new one whose evidence is the sentence closest in meaning."""
    from pockg.linking.context import Link
    from pockg.linking.matcher import Mention
    from pockg.linking.semantic import SemanticMatch, calibrated

    p, target = found.passages[i], found.concepts[j]
    link = links.get(p.id, {}).get(target)
    has_sentence = found.sims[i] is not None and found.spans[i]
    if has_sentence:
        sentence = int(found.sentence[i, j])
        start, end = found.spans[i][sentence]
        closest = space._closest(found.sims[i], sentence, j)
    if link is None:
        if not has_sentence:
            return
        link = Link(target, 0.0, [Mention(target, start, end, p.text[start:end], score,
                                          closest, "semantic")])
    if has_sentence and found.similarity[i, j] > 0:
        link.semantic = SemanticMatch(
            target, calibrated(float(found.z[i, j])), round(float(found.similarity[i, j]), 3),
            round(float(found.z[i, j]), 2), start, end, closest)
    link.score = link.learned = score
    link.model = model
    out[p.id][target] = link


def heading_scores(model: Model, headings: Features, lexicon) -> dict[str, dict[str, float]]:
    """heading id -> concept -> the heading model's score (those of at least KEPT)."""
    probs = model.probabilities(headings, lexicon, model.heading_weights)
    return {p.id: {c: float(probs[i, j]) for j, c in enumerate(headings.concepts)
                   if probs[i, j] >= KEPT} for i, p in enumerate(headings.passages)}


def _one_wording(matcher, out: dict, lexical: dict) -> None:
    """A document speaks of the tiers in one wording (2010 or 2015): of two
    concepts that are the same in two wordings, a passage keeps the one of the
    wording the document uses (its words first, then the layer's scores); the
    other keeps half its twin's score."""
    lex = matcher.lexicon
    weight: dict[str, float] = {}
    for own in lexical.values():
        for link in own.values():
            c = lex.concepts.get(link.target)
            if c is not None and c.close and link.lexical:
                weight[c.scheme] = weight.get(c.scheme, 0.0) + 10.0 * link.lexical
    for own in out.values():
        for link in own.values():
            c = lex.concepts.get(link.target)
            if c is not None and c.close and link.learned:
                weight[c.scheme] = weight.get(c.scheme, 0.0) + link.learned
    for own in out.values():
        for target, link in own.items():
            c = lex.concepts.get(target)
            if c is None or not c.close or link.learned is None:
                continue
            for twin in c.close:
                other = own.get(twin)
                if other is None or other.learned is None:
                    continue
                if weight.get(lex.concepts[twin].scheme, 0.0) > weight.get(c.scheme, 0.0):
                    best = max(link.score, other.score)
                    other.score = other.learned = best
                    link.score = link.learned = round(min(link.score, best) * 0.5, 3)


# -- fitting ---------------------------------------------------------------------------
def fit(x, y, ridge: float = RIDGE, missed_cost: float = MISSED_COST) -> list[float]:
    """L2-regularised logistic regression by Newton's method (the bias unpenalised),
    a right link weighing ``missed_cost`` times a wrong one."""
    import numpy as np

    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    weight = np.where(y > 0, missed_cost, 1.0)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], ridge)
    penalty[0] = 1e-6
    for _ in range(60):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30, 30)))
        grad = x.T @ (weight * (p - y)) + penalty * w
        hess = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return [round(float(v), 5) for v in w]

"""The linker's semantic component: what a sentence means, not only its words.

Real mandates and reports rarely use a concept's label ("protect civilians
under imminent threat of physical violence", never "tier 2"). So every
sentence of a passage is compared with short texts that describe each
linkable concept: its preferred, alternative and hidden labels, and its
definition and scope note sentence by sentence, in the passage's language
(French passages with French texts; English texts where a concept has none
in French: embedding models of this size match poorly across languages).

**The model** is WordLlama (``l2_supercat``, 256 dimensions, 16 MB of
weights inside the ``wordllama`` wheel) on numpy. It is loaded from the
installed package with downloads switched off, so linking never touches
the network, and a missing file is an error, never a download.

**Scores.** A raw cosine similarity is not a probability, and it runs higher
for some concepts than for others (their texts share common words). Each
concept's similarity is therefore measured against a fixed background, the
gists of the workshop report's passages written in our own words: ``z`` says
how far a sentence stands above what is usual for that concept. A concept is
proposed for a passage only when it is the passage's closest concept, with a
similarity of at least ``MIN_SIMILARITY`` and ``z`` of at least ``MIN_Z``;
its score maps ``z`` to the precision such matches had on the project's own
gold (``CALIBRATION``, measured by ``benchmarks/calibrate_linker.py``), so a
semantic 0.6 means what a lexical 0.6 means: about six in ten are right.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pockg.errors import ConfigurationError

MODEL = "wordllama l2_supercat 256"
MIN_SIMILARITY = 0.55
MIN_Z = 2.0
# (z, precision) of the proposals that pass the rules above, on the project's own
# gold (the workshop report and the first unseen set: 92 proposals), made
# non-decreasing; linear in between, flat outside. Printed by
# benchmarks/calibrate_linker.py on 2026-12-07.
CALIBRATION = ((1.5, 0.25), (2.5, 0.47), (4.0, 0.7), (5.5, 0.91))
SENTENCE_RE = re.compile(r"[^.;:!?\n]+(?:[.;:!?]|$)")
WORD_RE = re.compile(r"[^\W\d_]+")
SPACE_RE = re.compile(r"\s+")
POOL_BATCH = 64
FRENCH = frozenset("""le la les des du de et pour dans par une un est sont aux au sur avec
que qui ne pas leur leurs ces cette afin ainsi entre dont été être""".split())
ENGLISH = frozenset("""the of and to in for with on by is are be that this which from as
their its at an or has have shall should""".split())

_lock = threading.Lock()


@dataclass(frozen=True)
class SemanticMatch:
    """A concept proposed for a passage because one sentence means it."""

    target: str
    score: float          # calibrated, in [0, 1]
    similarity: float     # cosine between the sentence and the closest concept text
    z: float              # how far above the concept's background
    start: int            # the sentence, as offsets into the passage text
    end: int
    closest: str          # the concept text it was closest to


def language(text: str) -> str:
    """``fr`` or ``en``, by the function words of the text (its first 80 words)."""
    words = [w.lower() for w in WORD_RE.findall(text[:600])]
    fr = sum(map(FRENCH.__contains__, words))
    en = sum(map(ENGLISH.__contains__, words))
    return "fr" if fr > en else "en"


def sentences(text: str, min_words: int = 3) -> list[tuple[int, int]]:
    """The sentences and clauses of ``text`` as (start, end) offsets, trimmed."""
    out = []
    for m in SENTENCE_RE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if len(WORD_RE.findall(text[start:end])) >= min_words:
            out.append((start, end))
    return out


@lru_cache(maxsize=1)
def encoder():
    """The WordLlama model, from the installed ``wordllama`` package (never downloaded)."""
    try:
        import wordllama
        from wordllama import WordLlama
    except ImportError as exc:  # pragma: no cover - a dependency of pockg
        raise ConfigurationError(f"the semantic linker needs the wordllama package ({exc}); "
                                 "reinstall pockg") from None
    folder = Path(wordllama.__file__).parent
    with _lock:
        try:
            return WordLlama.load(cache_dir=folder, disable_download=True)
        except Exception as exc:  # noqa: BLE001 - any failure: say which files are missing
            raise ConfigurationError(f"the semantic linker's model could not be loaded from "
                                     f"{folder} (downloads are off): {exc}") from None


@lru_cache(maxsize=100_000)
def _word_ids(word: str) -> tuple[int, ...]:
    """The model's token ids of one word (with the word-start mark its tokenizer
    prepends), looked up once."""
    model = encoder()
    top = model.embedding.shape[0] - 1
    return tuple(min(max(i, 0), top)
                 for i in model.tokenizer.encode(word, add_special_tokens=False).ids)


def pooled(texts: list[str]):
    """Each text's mean token vector (not normalised), as WordLlama pools them.

    The model is a bag of tokens (the mean of their vectors, order ignored), so
    a text is tokenised word by word with each word's ids remembered: the same
    vectors as ``WordLlama.embed`` but for the rare token that would span two
    words, at a fraction of the cost on long documents."""
    import numpy as np

    model = encoder()
    out = np.zeros((len(texts), model.embedding.shape[1]), dtype=np.float32)
    for first in range(0, len(texts), POOL_BATCH):       # a batch's token vectors fit in cache
        ids: list[int] = []
        starts, lengths = [], []
        for text in texts[first:first + POOL_BATCH]:
            start = len(ids)
            for word in SPACE_RE.split(text):
                if word:
                    ids.extend(_word_ids(word))
            starts.append(start)
            lengths.append(len(ids) - start)
        if not ids:
            continue
        vectors = model.embedding[np.asarray(ids, dtype=np.int64)]
        for k, (start, length) in enumerate(zip(starts, lengths)):   # faster than reduceat
            if length:
                out[first + k] = vectors[start:start + length].sum(0) / length
    return out


def embed(texts: list[str]):
    """Unit vectors for ``texts`` (a float32 array, one row per text)."""
    import numpy as np

    if not texts:
        return np.zeros((0, 256), dtype=np.float32)
    raw = pooled(texts)
    return raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)


@dataclass
class Encoded:
    """Texts cut into sentences and embedded once, for every part of the linker
    that compares them: each text's sentence spans, the sentences' unit
    vectors (one array, text after text), each text's own unit vector (its
    sentences' vectors weighted by their words) and its language."""

    spans: list
    offsets: object          # text i's sentences are rows offsets[i]:offsets[i + 1]
    sentences: object
    passages: object
    langs: list


def encode(texts: list[str]) -> Encoded:
    import numpy as np

    spans = [sentences(t) or ([(0, len(t))] if t.strip() else []) for t in texts]
    offsets = np.cumsum([0] + [len(sp) for sp in spans])
    parts = [t[s:e] for t, sp in zip(texts, spans) for s, e in sp]
    raw = pooled(parts) if parts else np.zeros((0, 256), dtype=np.float32)
    norms = np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-9)
    weights = np.array([len(WORD_RE.findall(p)) or 1 for p in parts], dtype=np.float32)
    passages = np.zeros((len(texts), raw.shape[1] if len(raw) else 256), dtype=np.float32)
    weighted = raw * weights[:, None]
    for i in range(len(texts)):
        lo, hi = offsets[i], offsets[i + 1]
        if hi > lo:
            passages[i] = weighted[lo] if hi - lo == 1 else weighted[lo:hi].sum(0)
    passages /= np.maximum(np.linalg.norm(passages, axis=1, keepdims=True), 1e-9)
    return Encoded(spans, offsets, raw / norms, passages, [language(t) for t in texts])


def calibrated(z: float) -> float:
    points = CALIBRATION
    if z <= points[0][0]:
        return points[0][1]
    for (z0, p0), (z1, p1) in zip(points, points[1:]):
        if z <= z1:
            return round(p0 + (p1 - p0) * (z - z0) / (z1 - z0), 3)
    return points[-1][1]


class ConceptSpace:
    """The concept texts, embedded once, and each concept's background."""

    def __init__(self, texts: dict[str, list[tuple[str, str]]], background: list[str]):
        """``texts``: concept IRI -> [(text, lang)]; ``background``: sentences that
        are about nothing in particular for any one concept (our gists)."""
        import numpy as np

        self.concepts = sorted(texts)
        rows, owner, langs = [], [], []
        for i, concept in enumerate(self.concepts):
            for text, lang in dict.fromkeys(texts[concept]):
                rows.append(text)
                owner.append(i)
                langs.append(lang)
        self.texts = rows
        self.owner = np.array(owner, dtype=np.int64)
        self.langs = np.array(langs)
        self.vectors = embed(rows)
        self._masks: dict = {}
        # each concept's texts are one run of columns, starting here (every concept has
        # an English label, so no run is empty)
        self.starts = np.searchsorted(self.owner, np.arange(len(self.concepts)))
        self.mean = np.zeros(len(self.concepts), dtype=np.float32)
        self.std = np.ones(len(self.concepts), dtype=np.float32)
        back = [text[s:e] for text in background for s, e in sentences(text)]
        if back:         # English gists against each concept's English texts
            sims = self._per_concept(embed(back), "en")[0]
            self.mean = sims.mean(0).astype(np.float32)
            self.std = np.maximum(sims.std(0), 0.02).astype(np.float32)

    def _usable(self, lang: str):
        """Which texts a passage in ``lang`` is compared with: the concept's texts in
        that language, or its English ones where it has none in that language."""
        import numpy as np

        cached = self._masks.get(lang)
        if cached is None:
            has_lang = np.zeros(len(self.concepts), dtype=bool)
            has_lang[self.owner[self.langs == lang]] = True
            cached = (self.langs == lang) | ((self.langs == "en") & ~has_lang[self.owner])
            self._masks[lang] = cached
        return cached

    def _per_concept(self, vectors, lang: str):
        """sentences x concepts: the best similarity with a usable text of the concept."""
        import numpy as np

        sims = vectors @ self.vectors.T                  # sentences x texts
        sims[:, ~self._usable(lang)] = -1.0
        return np.maximum.reduceat(sims, self.starts, axis=1), sims

    def scores_many(self, texts: list[str], encoded: Encoded | None = None):
        """For each passage: its sentences, and for each concept its best
        (similarity, z, sentence index, the sentences' similarities with every
        text); the sentences embedded and compared in one batch per language
        (``encoded``: ``encode(texts)``, if already done)."""
        import numpy as np

        encoded = encoded or encode(texts)
        spans, offsets, vectors, langs = (encoded.spans, encoded.offsets, encoded.sentences,
                                          encoded.langs)
        best = np.full((len(vectors), len(self.concepts)), -1.0, dtype=np.float32)
        sims = np.zeros((len(vectors), len(self.texts)), dtype=np.float32)
        for lang in set(langs):
            rows = np.concatenate([np.arange(offsets[i], offsets[i + 1])
                                   for i, lg in enumerate(langs) if lg == lang] or [[]]).astype(int)
            if len(rows):
                best[rows], sims[rows] = self._per_concept(vectors[rows], lang)
        cols = np.arange(len(self.concepts))
        out = []
        for i, sp in enumerate(spans):
            if not sp:
                out.append((sp, None))
                continue
            own = best[offsets[i]:offsets[i + 1]]
            top = own.argmax(0)                          # the best sentence per concept
            sim = own[top, cols]
            out.append((sp, (sim, (sim - self.mean) / self.std, top,
                             sims[offsets[i]:offsets[i + 1]])))
        return out

    def _closest(self, sims, sentence: int, concept: int) -> str:
        lo = self.starts[concept]
        hi = self.starts[concept + 1] if concept + 1 < len(self.starts) else len(self.texts)
        return self.texts[lo + int(sims[sentence, lo:hi].argmax())]

    def match(self, text: str, min_similarity: float = MIN_SIMILARITY, min_z: float = MIN_Z,
              top: int = 1) -> list[SemanticMatch]:
        """The concepts one passage means, by the rules in the module's docstring."""
        return self.match_many([text], min_similarity, min_z, top)[0]

    def match_many(self, texts: list[str], min_similarity: float = MIN_SIMILARITY,
                   min_z: float = MIN_Z, top: int = 1) -> list[list[SemanticMatch]]:
        out = []
        for spans, found in self.scores_many(texts):
            if found is None:
                out.append([])
                continue
            sim, z, sentence, sims = found
            order = sim.argsort()[::-1][:top]
            matches = []
            for c in order:
                if sim[c] < min_similarity or z[c] < min_z:
                    continue
                start, end = spans[int(sentence[c])]
                matches.append(SemanticMatch(
                    self.concepts[c], calibrated(float(z[c])), round(float(sim[c]), 3),
                    round(float(z[c]), 2), start, end, self._closest(sims, int(sentence[c]), int(c))))
            out.append(matches)
        return out


_TEXTS_Q = """
SELECT ?c ?kind ?v WHERE {
  ?c a skos:Concept .
  { ?c skos:prefLabel ?v BIND("label" AS ?kind) } UNION { ?c skos:altLabel ?v BIND("label" AS ?kind) }
  UNION { ?c skos:hiddenLabel ?v BIND("label" AS ?kind) }
  UNION { ?c skos:definition ?v BIND("note" AS ?kind) } UNION { ?c skos:scopeNote ?v BIND("note" AS ?kind) }
}
"""

_GISTS_Q = """SELECT ?g WHERE { ?p a pockg:Passage ; pockg:gist ?g . FILTER(lang(?g) = "en") }"""


def concept_texts(store, concepts) -> dict[str, list[tuple[str, str]]]:
    """concept IRI -> [(text, lang)]: labels whole, definitions and scope notes
    sentence by sentence (each sentence says one thing)."""
    out: dict[str, list[tuple[str, str]]] = {c: [] for c in concepts}
    for row in store.select(_TEXTS_Q).rows:
        concept = row["c"].value
        if concept not in out:
            continue
        value = row["v"]
        lang = (getattr(value, "language", None) or "en").split("-")[0]
        if lang not in ("en", "fr"):
            continue
        if row["kind"].value == "label":
            out[concept].append((value.value, lang))
        else:
            out[concept].extend((value.value[s:e], lang) for s, e in sentences(value.value))
    for concept in out:
        out[concept].sort()
    return out


def background(store) -> list[str]:
    """Our own one-sentence gists of the report's passages, in a fixed order."""
    return sorted(r["g"].value for r in store.select(_GISTS_Q).rows)


def space_for(store, lexicon) -> ConceptSpace:
    return ConceptSpace(concept_texts(store, lexicon.concepts), background(store))

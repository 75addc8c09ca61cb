"""The search index: a SQLite FTS5 database built from the store.

Search and autocomplete answer from this index, never from FILTER(CONTAINS)
scans of the graph. ``build_index(store, path)`` writes it atomically
(``path + ".part"``, then ``os.replace``); ``ensure_index(store, path)``
rebuilds it when the store has changed since (the index records the store's
build identity: the ``prov:wasGeneratedBy`` activity in graph/meta and the
number of quads).

What is indexed, one row each:

- every labelled entity (``skos:prefLabel``, ``rdfs:label``, ``dcterms:title``):
  its labels in every language, alternative labels (``skos:altLabel``, which
  holds actors' abbreviations; ``pockg:fullName``), codes (``skos:notation``,
  ``pockg:acronym``, ``dcterms:identifier``, ``pockg:symbol``), and a body
  (definitions, a passage's gist and quotes, a recommendation's or lesson's
  text, a question, a position's argument);
- every ``pockg:Passage`` and ``pockg:Lesson``, labelled or not.

Each row has a kind (its main pockg or SKOS class) and facets: ``kind``,
``mission`` (the peace operation it belongs to or is about) and ``tier``
(the protection tiers it is tagged with).

Text is folded with ``unicode61 remove_diacritics 2``, so "deplaces" finds
"déplacés"; prefixes of 1, 2 and 3 characters are indexed for autocomplete
(without the one-character prefix index, the first keystroke costs ~50 ms
at 100k entries instead of ~1 ms).
User text never reaches SQLite as SQL or as FTS5 syntax: each word is quoted
as an FTS5 string and the whole query is a bound parameter.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pockg import vocab as V
from pockg.config import MEMORY

SCHEMA_VERSION = "2"
SUFFIX = ".search.sqlite"
Progress = Callable[[str], None]

# -- what is read from the store -------------------------------------------

LABEL_PREDICATES = (V.SKOS + "prefLabel", V.RDFS + "label", V.DCT + "title")
ALT_PREDICATES = (V.SKOS + "altLabel", V.SKOS + "hiddenLabel", V.POCKG + "fullName")
CODE_PREDICATES = (V.SKOS + "notation", V.POCKG + "acronym", V.DCT + "identifier",
                   V.POCKG + "symbol")
NOTATION_PREDICATES = (V.SKOS + "notation", V.POCKG + "acronym")
BODY_PREDICATES = (V.SKOS + "definition", V.POCKG + "gist", V.POCKG + "quote",
                   V.POCKG + "text", V.POCKG + "questionText", V.POCKG + "argument",
                   V.POCKG + "purpose", V.POCKG + "subjectSummary", V.RDFS + "comment",
                   V.DCT + "description", V.SKOS + "scopeNote")
TEXT_PREDICATES = LABEL_PREDICATES + ALT_PREDICATES + CODE_PREDICATES + BODY_PREDICATES + (
    V.POCKG + "number",)
ALWAYS_INDEXED = (V.POCKG + "Passage", V.POCKG + "Lesson")  # even without a label

TEXT_QUERY = """
SELECT DISTINCT ?s ?p ?o WHERE {
  VALUES ?p { %s }
  ?s ?p ?o . FILTER(isIRI(?s) && isLITERAL(?o))
}""" % " ".join(f"<{p}>" for p in TEXT_PREDICATES)

TYPE_QUERY = """
SELECT DISTINCT ?s ?c WHERE {
  ?s a ?c . FILTER(isIRI(?s) && isIRI(?c))
  FILTER(?c NOT IN (pockg:Claim, rdf:Statement, oa:SpecificResource, oa:TextQuoteSelector,
                    pockg:SourceGraph))
}"""

# The operation an entity belongs to or is about: the operation itself, what
# points at it (a strategy's or mechanism's pockg:mission, a mandate's
# mandateOf, a role's roleIn, a section's subOrganizationOf, a resolution's
# establishes/extends/..., a recommendation's mentions), what it points at
# (hasStrategy, hasCoordinationMechanism, hasMandate) and a strategy's plans.
# Three simple queries: Oxigraph plans a UNION of them badly at 1M triples.
MISSION_QUERIES = (
    """SELECT DISTINCT ?s ?op WHERE {
         ?op a pockg:PeaceOperation . ?s ?p ?op . FILTER(isIRI(?s))
         FILTER(?p NOT IN (pockg:hasPredecessor, pockg:hasSuccessor, rdf:subject, rdf:object,
                           prov:wasDerivedFrom, skos:related, owl:sameAs)) }""",
    """SELECT DISTINCT ?s ?op WHERE {
         ?op a pockg:PeaceOperation .
         ?op pockg:hasStrategy|pockg:hasCoordinationMechanism|pockg:hasMandate ?s }""",
    """SELECT DISTINCT ?s ?op WHERE {
         ?owner pockg:hasActionPlan ?s ; pockg:mission ?op . ?op a pockg:PeaceOperation }""",
)
OPERATION = V.POCKG + "PeaceOperation"

TIER_QUERY = """
SELECT DISTINCT ?s ?t WHERE {
  ?t a pockg:ProtectionTier . ?s pockg:tier|pockg:addresses|pockg:correspondsToTier ?t
}"""
TIER = V.POCKG + "ProtectionTier"

CONTEXT_QUERY = """
SELECT DISTINCT ?s ?ctx WHERE {
  { ?s a pockg:Passage ; dcterms:isPartOf ?ctx }
  UNION { ?s skos:inScheme ?ctx }
}"""

IDENTITY_QUERY = """
SELECT DISTINCT ?a WHERE { GRAPH <%s> { ?ds prov:wasGeneratedBy ?a } } ORDER BY ?a
""" % V.graph("meta")

# -- kinds ------------------------------------------------------------------

# The main class of an entity is the first of these it has (so a resolution is
# a resolution, not a document; a paragraph is a passage); the order is also
# the order of importance used to break ties.
KIND_ORDER = tuple(V.POCKG + k for k in (
    "PeaceOperation", "ProtectionTier", "RiskCategory", "VulnerableGroup",
    "VulnerabilityFactor", "Threat", "Perpetrator", "FrameworkElement", "ActivityType",
    "CoordinationLevel", "CapacityType", "AreaOfResponsibility", "Approach", "Actor",
    "ProtectionStrategy", "ActionPlan", "CoordinationMechanism", "Resolution", "Mandate",
    "ReportingRequirement", "Benchmark", "Indicator", "Recommendation", "Lesson",
    "ContestedQuestion", "Position", "ActorRole", "MissionSection", "Person",
    "ProtectionActivity", "Topic", "Country", "VerificationStatus", "Passage", "Document",
    "Source"))
OTHER_KINDS = (  # (class, kind key, English, French), after any pockg class
    (V.SKOS + "Concept", "skos:Concept", "concept", "concept"),
    (V.SKOS + "ConceptScheme", "skos:ConceptScheme", "concept scheme", "schéma de concepts"),
    (V.OWL + "Class", "owl:Class", "class", "classe"),
    (V.OWL + "ObjectProperty", "rdf:Property", "property", "propriété"),
    (V.OWL + "DatatypeProperty", "rdf:Property", "property", "propriété"),
    (V.OWL + "AnnotationProperty", "rdf:Property", "property", "propriété"),
    (V.RDF + "Property", "rdf:Property", "property", "propriété"),
    (V.OWL + "Ontology", "owl:Ontology", "ontology", "ontologie"),
    (V.DCAT + "Dataset", "dcat:Dataset", "dataset", "jeu de données"),
    (V.VOID + "Dataset", "dcat:Dataset", "dataset", "jeu de données"),
    (V.PROV + "Activity", "prov:Activity", "activity", "activité"),
    (V.FOAF + "Agent", "foaf:Agent", "agent", "agent"),
)
OTHER = ("rdfs:Resource", "resource", "ressource")

# -- weights ----------------------------------------------------------------

SEARCH_WEIGHTS = (10.0, 6.0, 8.0, 1.0)    # bm25 weights: label matches above body matches
SUGGEST_WEIGHTS = (10.0, 6.0, 8.0, 0.0)
SUGGEST_COLUMNS = "{labels alts codes}"
CANDIDATES = 400      # autocomplete ranks at most this many matches (in importance order)
SEARCH_PREFIX_MIN = 2  # /search treats the last word as a prefix from this many characters
MAX_QUERY_CHARS = 300
MAX_WORDS = 12
HIT, END = "\x02", "\x03"   # snippet markers (control characters are stripped from the data)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_WORD = re.compile(r"[^\W_]+")


# -- text helpers -------------------------------------------------------------

def fold(text: str) -> str:
    """Lower case, accents removed, compatibility forms unified."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def norm(text: str) -> str:
    """The form used for exact matches: folded words joined by one space."""
    return " ".join(_WORD.findall(fold(text)))


def clean(text: str) -> str:
    return _CONTROL.sub(" ", text).strip()


def fts_string(chunk: str) -> str:
    """One FTS5 string: the text in double quotes, inner quotes doubled."""
    return '"' + chunk.replace('"', '""') + '"'


def words(query: str) -> list[str]:
    """The user's words (whitespace-separated chunks that contain a letter or digit)."""
    text = unicodedata.normalize("NFC", clean(query or "")[:MAX_QUERY_CHARS])
    return [w for w in text.split() if _WORD.search(w)][:MAX_WORDS]


def match_expression(query: str, prefix: bool = True, columns: str | None = None,
                     any_word: bool = False) -> str | None:
    """A safe FTS5 expression for ``query``: every word quoted; the last one a prefix.

    Nothing the user types is read as FTS5 syntax: ``NEAR``, ``AND``, ``*``,
    ``(``, ``"`` and ``:`` end up inside quoted strings.
    """
    ws = words(query)
    if not ws:
        return None
    parts = [fts_string(w) for w in ws]
    if prefix:
        parts[-1] += "*"
    body = (" OR " if any_word else " ").join(parts)
    return f"{columns} : ({body})" if columns else body


# -- the entries --------------------------------------------------------------

@dataclass
class Entry:
    iri: str
    types: set = field(default_factory=set)
    labels: dict = field(default_factory=lambda: defaultdict(list))   # lang -> [text]
    alts: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    notations: list = field(default_factory=list)
    body: list = field(default_factory=list)
    number: str | None = None
    missions: set = field(default_factory=set)
    tiers: set = field(default_factory=set)
    context: str | None = None
    kind: str = OTHER[0]
    priority: int = 10_000

    def add_once(self, items: list, text: str) -> None:
        if text and text not in items:
            items.append(text)

    def label_in(self, lang: str) -> str | None:
        values = self.labels.get(lang)
        return values[0] if values else None

    def any_label(self) -> str:
        for lang in ("en", "", "fr"):
            if self.labels.get(lang):
                return self.labels[lang][0]
        for values in self.labels.values():
            if values:
                return values[0]
        if self.number:
            return "¶" + self.number
        return self.codes[0] if self.codes else self.iri.rsplit("/", 1)[-1]

    def all_labels(self) -> list[str]:
        out = []
        for lang in sorted(self.labels, key=lambda l: (l not in ("en", "fr"), l)):
            for text in self.labels[lang]:
                self.add_once(out, text)
        return out


def _pairs(rows, a: str, b: str):
    for row in rows:
        if a in row and b in row:
            yield row[a], row[b]


def collect(store, progress: Progress | None = None) -> tuple[list[Entry], dict]:
    """Read from the store everything the index holds; returns entries and kind labels."""
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    texts: dict[str, list] = defaultdict(list)   # iri -> [(predicate, literal)]
    for row in store.select(TEXT_QUERY).rows:
        texts[row["s"].value].append((row["p"].value, row["o"]))
    types: dict[str, set] = defaultdict(set)
    for s, c in _pairs(store.select(TYPE_QUERY).rows, "s", "c"):
        types[s.value].add(c.value)
    say(f"read the text of {len(texts)} resources and the types of {len(types)} "
        f"in {time.perf_counter() - t0:.1f}s")
    always = set(ALWAYS_INDEXED)
    indexed = [iri for iri, values in texts.items()
               if any(p in LABEL_PREDICATES for p, _o in values) or types.get(iri, set()) & always]
    indexed += [iri for iri, cls in types.items() if cls & always and iri not in texts]
    entries = {iri: Entry(iri, types=types.get(iri, set())) for iri in indexed}
    for iri, entry in entries.items():
        _fill(entry, texts.get(iri, ()))
    _link_facets(store, entries)
    for s, ctx in _pairs(store.select(CONTEXT_QUERY).rows, "s", "ctx"):
        entry = entries.get(s.value)
        if entry is not None and (entry.context is None or ctx.value < entry.context):
            entry.context = ctx.value
    kinds = _assign_kinds(entries.values())
    return list(entries.values()), kinds


def _fill(entry: Entry, values: Iterable[tuple[str, object]]) -> None:
    """Sort an entity's literals into labels, alternative labels, codes and body."""
    for p, lit in values:
        text = clean(lit.value)
        if not text:
            continue
        if p in LABEL_PREDICATES:
            entry.add_once(entry.labels[lit.language or ""], text)
        elif p in ALT_PREDICATES:
            entry.add_once(entry.alts, text)
        elif p in CODE_PREDICATES:
            entry.add_once(entry.codes, text)
            if p in NOTATION_PREDICATES:
                entry.add_once(entry.notations, text)
        elif p == V.POCKG + "number":
            entry.number = text
            entry.add_once(entry.codes, text)
        else:
            entry.add_once(entry.body, text)
    for texts in entry.labels.values():
        texts.sort()
    entry.alts.sort()
    entry.codes.sort()
    entry.notations.sort(key=lambda n: (len(n), n))


def _link_facets(store, entries: dict[str, Entry]) -> None:
    """The mission and tier facets: an operation is its own mission, a tier its own tier."""
    for iri, entry in entries.items():
        if OPERATION in entry.types:
            entry.missions.add(iri)
        if TIER in entry.types:
            entry.tiers.add(iri)
    for query in MISSION_QUERIES:
        for s, op in _pairs(store.select(query).rows, "s", "op"):
            if s.value in entries:
                entries[s.value].missions.add(op.value)
    for s, t in _pairs(store.select(TIER_QUERY).rows, "s", "t"):
        if s.value in entries:
            entries[s.value].tiers.add(t.value)


def _assign_kinds(entries: Iterable[Entry]) -> dict[str, tuple[str, str, str, int]]:
    """Give each entry its kind; returns kind key -> (class IRI, English, French, priority)."""
    entries = list(entries)
    by_iri = {e.iri: e for e in entries}
    order = {cls: i for i, cls in enumerate(KIND_ORDER)}
    other = {cls: (key, en, fr, 1000 + i) for i, (cls, key, en, fr) in enumerate(OTHER_KINDS)}
    kinds: dict[str, tuple[str, str, str, int]] = {}
    for e in entries:
        pockg = sorted(c for c in e.types if c.startswith(V.POCKG))
        if pockg:
            cls = min(pockg, key=lambda c: (order.get(c, 500), c))
            key = cls[len(V.POCKG):]
            priority = order.get(cls, 500)
            described = by_iri.get(cls)
            en = (described.label_in("en") or described.any_label()) if described else key
            fr = (described.label_in("fr") or en) if described else key
        else:
            found = sorted((other[c] for c in e.types if c in other), key=lambda k: k[3])
            key, en, fr, priority = found[0] if found else (*OTHER, 2000)
            cls = next((c for c, k, *_ in OTHER_KINDS if k == key), V.RDFS + "Resource")
        e.kind, e.priority = key, priority
        kinds.setdefault(key, (cls, en, fr, priority))
    return kinds


# -- building -------------------------------------------------------------------

DDL = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE kind (key TEXT PRIMARY KEY, iri TEXT, label_en TEXT, label_fr TEXT,
                   priority INTEGER);
CREATE TABLE entry (id INTEGER PRIMARY KEY, iri TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
                    priority INTEGER NOT NULL, label TEXT NOT NULL, label_en TEXT,
                    label_fr TEXT, notation TEXT, number TEXT, context TEXT, names TEXT);
CREATE TABLE facet (name TEXT NOT NULL, value TEXT NOT NULL, entry_id INTEGER NOT NULL);
CREATE TABLE exact (norm TEXT NOT NULL, entry_id INTEGER NOT NULL, weight INTEGER NOT NULL);
CREATE VIRTUAL TABLE fts USING fts5(labels, alts, codes, body, keys UNINDEXED,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '1 2 3');
"""
INDEXES = """
CREATE INDEX facet_by_value ON facet (name, value, entry_id);
CREATE INDEX facet_by_entry ON facet (entry_id, name, value);
CREATE INDEX exact_by_norm ON exact (norm, entry_id, weight);
"""
SEP = " · "


def store_identity(store) -> str:
    """What the index was built from: the build activity(ies) and the number of quads."""
    activities = " ".join(store.select(IDENTITY_QUERY).values("a"))
    try:
        count = len(store)
    except TypeError:
        rows = store.select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }").rows
        count = int(rows[0]["n"].value) if rows else 0
    return f"{activities or 'no-build'}|quads={count}"


def build_index(store, path: str | Path, progress: Progress | None = None,
                identity: str | None = None) -> dict:
    """Write the index of ``store`` to ``path`` atomically; returns what was indexed."""
    say = progress or (lambda _m: None)
    start = time.perf_counter()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    identity = identity or store_identity(store)
    entries, kinds = collect(store, say)
    entries.sort(key=lambda e: (e.priority, len(e.any_label()), e.any_label().casefold(), e.iri))
    part = Path(str(path) + ".part")
    for leftover in (part, Path(str(part) + "-journal")):
        leftover.unlink(missing_ok=True)
    db = sqlite3.connect(part)
    try:
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + DDL)
        with db:
            _write(db, entries, kinds)
            db.executescript(INDEXES)
            db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            seconds = time.perf_counter() - start
            db.executemany("INSERT INTO meta VALUES (?, ?)", [
                ("schema", SCHEMA_VERSION), ("identity", identity),
                ("entries", str(len(entries))), ("seconds", f"{seconds:.2f}"),
                ("built", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))])
        db.execute("ANALYZE")
    finally:
        db.close()
    os.replace(part, path)
    seconds = time.perf_counter() - start
    say(f"indexed {len(entries)} entries for search in {seconds:.1f}s: {path}")
    return {"entries": len(entries), "seconds": seconds, "identity": identity, "path": str(path)}


def _write(db: sqlite3.Connection, entries: list[Entry], kinds: dict) -> None:
    db.executemany("INSERT INTO kind VALUES (?, ?, ?, ?, ?)",
                   [(k, cls, en, fr, p) for k, (cls, en, fr, p) in kinds.items()])
    entry_rows, fts_rows, facet_rows, exact_rows = [], [], [], []
    for i, e in enumerate(entries, start=1):
        labels = e.all_labels()
        label = e.any_label()
        names = {"labels": {lang: v for lang, v in e.labels.items() if v}, "alts": e.alts,
                 "codes": e.codes}
        entry_rows.append((i, e.iri, e.kind, e.priority, label, e.label_in("en"),
                           e.label_in("fr"), e.notations[0] if e.notations else None,
                           e.number, e.context, json.dumps(names, ensure_ascii=False)))
        forms = {}
        for text, weight in [(t, 0) for t in e.codes] + [(t, 1) for t in labels + e.alts]:
            key = norm(text)
            if key and weight < forms.get(key, 9):
                forms[key] = weight
        exact_rows += [(key, i, w) for key, w in forms.items()]
        keys = "|" + "|".join(forms) + "|"
        fts_rows.append((i, SEP.join(labels) or label, SEP.join(e.alts), SEP.join(e.codes),
                         SEP.join(e.body), keys))
        facet_rows.append(("kind", e.kind, i))
        facet_rows += [("mission", m, i) for m in sorted(e.missions)]
        facet_rows += [("tier", t, i) for t in sorted(e.tiers)]
    db.executemany("INSERT INTO entry VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", entry_rows)
    db.executemany("INSERT INTO fts (rowid, labels, alts, codes, body, keys) "
                   "VALUES (?, ?, ?, ?, ?, ?)", fts_rows)
    db.executemany("INSERT INTO facet VALUES (?, ?, ?)", facet_rows)
    db.executemany("INSERT INTO exact VALUES (?, ?, ?)", exact_rows)


def read_meta(path: str | Path) -> dict[str, str]:
    """The index's meta table, or {} if there is no readable index at ``path``."""
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            return dict(db.execute("SELECT key, value FROM meta").fetchall())
        finally:
            db.close()
    except sqlite3.Error:
        return {}


def default_path(store_location: str | Path) -> Path | None:
    """``<store folder>.search.sqlite``, next to the store (None for an in-memory store)."""
    if str(store_location) == MEMORY:
        return None
    location = Path(store_location)
    return location.with_name(location.name + SUFFIX)


def ensure_index(store, path: str | Path, progress: Progress | None = None) -> "SearchIndex":
    """The index at ``path``, rebuilt first if it is missing, older or from another store."""
    identity = store_identity(store)
    meta = read_meta(path)
    if meta.get("schema") != SCHEMA_VERSION or meta.get("identity") != identity:
        build_index(store, path, progress, identity=identity)
    return SearchIndex(path)


# -- querying -----------------------------------------------------------------------

@dataclass
class Hit:
    iri: str
    kind: str
    label: str
    label_en: str | None
    label_fr: str | None
    notation: str | None
    number: str | None
    context: str | None
    names: dict
    score: float = 0.0
    exact: bool = False
    snippet: list = field(default_factory=list)    # [(text, is_match)]

    def label_for(self, lang: str) -> str:
        return (self.label_fr if lang == "fr" else self.label_en) or self.label_en or self.label

    def matched_name(self, query: str) -> str | None:
        """The name (label, alternative label, code) the query matched, when not the label."""
        key = norm(query)
        if not key:
            return None
        names = [t for ts in self.names.get("labels", {}).values() for t in ts]
        names += self.names.get("alts", []) + self.names.get("codes", [])
        for text in names:
            if norm(text) == key:
                return text
        for text in names:
            if (" " + norm(text)).find(" " + key) >= 0:
                return text
        return None


@dataclass
class Results:
    query: str
    total: int
    hits: list
    facets: dict          # name -> [(value, count)]
    any_word: bool = False


ENTRY_COLUMNS = ("e.iri, e.kind, e.label, e.label_en, e.label_fr, e.notation, e.number, "
                 "e.context, e.names")


def _hit(row, score=0.0, exact=False) -> Hit:
    iri, kind, label, en, fr, notation, number, context, names = row[:9]
    return Hit(iri, kind, label, en, fr, notation, number, context, json.loads(names or "{}"),
               score, exact)


def split_snippet(text: str) -> list[tuple[str, bool]]:
    """A snippet with HIT/END markers as (text, is_match) pieces, for safe rendering."""
    out: list[tuple[str, bool]] = []
    for i, piece in enumerate(re.split(f"[{HIT}{END}]", text)):
        if piece:
            out.append((piece, i % 2 == 1))
    return out


class SearchIndex:
    """Read-only access to an index file; one connection per thread, reopened
    when the file is replaced by a rebuild."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()

    def _db(self) -> sqlite3.Connection:
        stat = os.stat(self.path)
        stamp = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        db = getattr(self._local, "db", None)
        if db is None or self._local.stamp != stamp:
            if db is not None:
                db.close()
            db = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
            self._local.db, self._local.stamp = db, stamp
        return db

    def meta(self) -> dict[str, str]:
        return dict(self._db().execute("SELECT key, value FROM meta").fetchall())

    def kinds(self) -> dict[str, dict]:
        return {k: {"iri": iri, "en": en, "fr": fr, "priority": p} for k, iri, en, fr, p in
                self._db().execute("SELECT key, iri, label_en, label_fr, priority FROM kind")}

    def labels(self, iris: Iterable[str]) -> dict[str, tuple[str, str | None, str | None]]:
        """(label, English, French) of indexed IRIs."""
        iris = list(dict.fromkeys(iris))
        out = {}
        for start in range(0, len(iris), 500):
            chunk = iris[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for iri, label, en, fr in self._db().execute(
                    f"SELECT iri, label, label_en, label_fr FROM entry WHERE iri IN ({marks})",
                    chunk):
                out[iri] = (label, en, fr)
        return out

    # autocomplete ---------------------------------------------------------------
    def suggest(self, query: str, limit: int = 10) -> list[Hit]:
        """Entities whose labels, alternative labels, notations or acronyms have
        words starting with the words typed. Exact matches (a notation, an
        acronym, a whole name) come first, then names that begin with the text,
        then by kind (operations and concepts before passages and sources),
        then by bm25 over the names (or, when the prefix matches more than
        CANDIDATES entries, by the length of their names)."""
        expression = match_expression(query, prefix=True, columns=SUGGEST_COLUMNS)
        if expression is None:
            return []
        db = self._db()
        key = norm(query)
        ranked: dict[int, tuple] = {}
        for entry_id, weight, priority in db.execute(
                "SELECT x.entry_id, x.weight, e.priority FROM exact x JOIN entry e "
                "ON e.id = x.entry_id WHERE x.norm = ? ORDER BY x.weight, e.priority, e.id "
                "LIMIT ?", (key, limit)):
            ranked.setdefault(entry_id, (0, weight, priority, 0.0, entry_id))
        # Matches come in rowid order, which is the order of importance (kind,
        # then shorter names first); FTS5 stops after CANDIDATES + 1 of them.
        rows = db.execute(
            "SELECT f.rowid, f.keys, e.priority FROM (SELECT rowid, keys FROM fts "
            "WHERE fts MATCH ? LIMIT ?) f JOIN entry e ON e.id = f.rowid",
            (expression, CANDIDATES + 1)).fetchall()
        scores = {}
        if len(rows) <= CANDIDATES and len(key.rsplit(" ", 1)[-1]) > 1:
            # Few enough to rank all by bm25. Its cost grows with the number of
            # documents each word matches, so a one-letter last word ("rule p"),
            # which can match most of the index, is ranked by importance only.
            scores = dict(db.execute(
                f"SELECT rowid, bm25(fts, {', '.join(map(str, SUGGEST_WEIGHTS))}) FROM fts "
                "WHERE fts MATCH ?", (expression,)).fetchall())
        start = "|" + key
        for entry_id, keys, priority in rows[:CANDIDATES]:
            if entry_id not in ranked:
                begins = 1 if start in keys else 2
                ranked[entry_id] = (begins, 0, priority, scores.get(entry_id, 0.0), entry_id)
        best = sorted(ranked.values())[:limit]
        ids = [r[-1] for r in best]
        return self._hits(ids, {r[-1]: (r[3], r[0] == 0) for r in best})

    def _hits(self, ids: list[int], scores: dict[int, tuple]) -> list[Hit]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = {r[0]: r[1:] for r in self._db().execute(
            f"SELECT e.id, {ENTRY_COLUMNS} FROM entry e WHERE e.id IN ({marks})", ids)}
        return [_hit(rows[i], *scores.get(i, (0.0, False))) for i in ids if i in rows]

    # full-text search ----------------------------------------------------------
    def search(self, query: str, kind: str | None = None, mission: str | None = None,
               tier: str | None = None, limit: int = 20, offset: int = 0,
               facet_limit: int = 50) -> Results:
        """Full-text search over labels and bodies (passages, lessons, definitions),
        filtered by facets; with the count of results per facet value."""
        ws = words(query)
        if not ws:
            return Results(query, 0, [], {})
        prefix = len(_WORD.findall(ws[-1])[-1]) >= SEARCH_PREFIX_MIN
        expression = match_expression(query, prefix=prefix)
        filters = {"kind": kind, "mission": expand(mission), "tier": expand(tier)}
        results = self._search(query, expression, filters, limit, offset, facet_limit)
        if results.total == 0 and len(ws) > 1:
            any_word = match_expression(query, prefix=prefix, any_word=True)
            results = self._search(query, any_word, filters, limit, offset, facet_limit)
            results.any_word = True
        return results

    def _search(self, query, expression, filters, limit, offset, facet_limit) -> Results:
        db = self._db()
        where, params = [], [expression]
        for name, value in filters.items():
            if value:
                # EXISTS, not "id IN (SELECT ...)": SQLite would push an IN list
                # into the FTS5 scan and re-run the MATCH for every value.
                where.append("EXISTS (SELECT 1 FROM facet f WHERE f.name = ? AND f.value = ? "
                             "AND f.entry_id = h.id)")
                params += [name, value]
        hits_cte = (
            "WITH hits AS (SELECT rowid AS id, bm25(fts, "
            f"{', '.join(map(str, SEARCH_WEIGHTS))}) AS score FROM fts WHERE fts MATCH ?), "
            "found AS (SELECT h.id, h.score FROM hits h"
            + (" WHERE " + " AND ".join(where) if where else "") + ") ")
        counts = db.execute(
            hits_cte + "SELECT '', '', COUNT(*) FROM found UNION ALL "
            "SELECT f.name, f.value, COUNT(*) FROM found JOIN facet f ON f.entry_id = found.id "
            "GROUP BY f.name, f.value", params).fetchall()
        total = counts[0][2] if counts else 0
        facets: dict[str, list] = {"kind": [], "mission": [], "tier": []}
        for name, value, n in counts[1:]:
            facets.setdefault(name, []).append((value, n))
        for name in facets:
            facets[name] = sorted(facets[name], key=lambda vn: (-vn[1], vn[0]))[:facet_limit]
        key = norm(query)
        page = db.execute(
            hits_cte + "SELECT found.id, found.score, "
            "EXISTS (SELECT 1 FROM exact x WHERE x.norm = ? AND x.entry_id = found.id) AS ex, "
            "e.priority FROM found JOIN entry e ON e.id = found.id "
            "ORDER BY ex DESC, found.score, e.priority, e.id LIMIT ? OFFSET ?",
            params + [key, int(limit), int(offset)]).fetchall()
        ids = [r[0] for r in page]
        hits = self._hits(ids, {r[0]: (r[1], bool(r[2])) for r in page})
        if ids:
            marks = ",".join("?" * len(ids))
            snippets = dict(db.execute(
                f"SELECT rowid, snippet(fts, -1, '{HIT}', '{END}', '…', 24) FROM fts "
                f"WHERE fts MATCH ? AND rowid IN ({marks})", [expression, *ids]).fetchall())
            by_id = dict(zip(ids, hits))
            for i, hit in by_id.items():
                hit.snippet = split_snippet(snippets.get(i, ""))
        return Results(query, total, hits, facets)


def expand(value: str | None) -> str | None:
    """A facet value from a URL: a full IRI, or a pockg id path like ``operation/MONUC``."""
    return V.expand(value) if value and value.strip() else None


compact = V.compact

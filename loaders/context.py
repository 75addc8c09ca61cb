"""The build context: what loaders share while turning data/ into quads.

Loading is two passes. First every loader reads its files and registers the
identifiers it defines (entities, concept notations, document passages).
Then every loader emits quads, resolving references against that index.
Problems are collected, not raised one by one, so a user sees every error of
a build at once; the build raises them together before touching the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from loaders.fields import Field
from pockg import vocab as V
from pockg.errors import Problem
from pockg.yamlio import Located

RDF_TYPE = ox.NamedNode(V.RDF + "type")
XSD_GYEAR = ox.NamedNode(V.XSD + "gYear")
XSD_GYEARMONTH = ox.NamedNode(V.XSD + "gYearMonth")
REGISTRY = V.graph("registry")

CITE_RE = re.compile(r"^(?P<source>[A-Za-z0-9][A-Za-z0-9._-]*)(?: ¶(?P<at>[A-Za-z0-9.-]+))?$")
STATUS_NOTATION = {"S": "VS-S", "S+V": "VS-SV", "V": "VS-V", "P": "VS-P", "C": "VS-C"}


def nn(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@dataclass
class Record:
    """One entity read from a data file."""

    kind: str
    id: str
    data: Located
    file: str
    file_cite: object = None  # the file-level ``cite`` of a group file

    @property
    def iri(self) -> ox.NamedNode:
        return nn(V.entity(self.kind, self.id))

    def line(self, key=None) -> int:
        return self.data.line_of(key) if key is not None else self.data.line


@dataclass(frozen=True)
class Citation:
    source: str            # id of a source or a document
    at: str | None         # passage number within a document
    quote: str | None
    status: str            # VS-* notation
    note: str | None


@dataclass
class Context:
    """Shared state of one build."""

    root: Path
    quads: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    ids: dict = field(default_factory=dict)          # kind -> id -> Record
    concepts: dict = field(default_factory=dict)     # notation -> (iri, scheme id)
    passages: dict = field(default_factory=dict)     # (doc, n) -> iri
    documents: set = field(default_factory=set)
    counts: dict = field(default_factory=dict)       # graph -> quads added
    graph_sources: dict = field(default_factory=dict)  # graph iri -> source id
    locations: dict = field(default_factory=dict)    # iri -> (file, line, id), for messages

    def locate(self, iri: ox.NamedNode, record: Record, data=None, key: str | None = None) -> None:
        """Remember where the entity ``iri`` is defined, for error messages."""
        line = getattr(data, "line", None) or record.line()
        self.locations.setdefault(iri.value, (record.file, line, key or record.id))

    # -- problems --------------------------------------------------------
    def problem(self, message: str, record: Record | None = None, key=None,
                line: int | None = None, file: str | None = None, severity="error",
                entity: str | None = None) -> None:
        if record is not None:
            file = file or record.file
            line = line or record.line(key)
            entity = entity or record.id
        self.problems.append(Problem(message, file=file, line=line, entity=entity,
                                     severity=severity))

    # -- index -----------------------------------------------------------
    def register(self, record: Record) -> None:
        known = self.ids.setdefault(record.kind, {})
        if record.id in known:
            first = known[record.id]
            self.problem(f"duplicate identifier {record.id!r}: already defined at "
                         f"{first.file}:{first.line()}", record, "id")
            return
        known[record.id] = record

    def register_concept(self, notation: str, scheme: str, record: Record, line: int) -> None:
        if notation in self.concepts:
            self.problem(f"duplicate concept notation {notation!r} (already in scheme "
                         f"{self.concepts[notation][1]})", record, line=line)
            return
        self.concepts[notation] = (nn(V.ID + "concept/" + notation), scheme)

    def is_source(self, source_id: str) -> bool:
        return source_id in self.ids.get("source", {}) or source_id in self.documents

    def source_iri(self, source_id: str) -> ox.NamedNode:
        kind = "document" if source_id in self.documents else "source"
        return nn(V.entity(kind, source_id))

    # -- emitting --------------------------------------------------------
    def add(self, s, p, o, graph: str) -> None:
        if isinstance(p, str):
            p = nn(p)
        self.quads.append(ox.Quad(s, p, o, nn(graph)))
        self.counts[graph] = self.counts.get(graph, 0) + 1

    def source_graph(self, source_id: str) -> str:
        g = V.graph("source/" + source_id)
        self.graph_sources[g] = source_id
        return g

    # -- references ------------------------------------------------------
    def ref(self, kinds: str, value, record: Record, key) -> ox.NamedNode | None:
        value = str(value)
        for kind in kinds.split("|"):
            if value in self.ids.get(kind, {}):
                return nn(V.entity(kind, value))
        self.problem(f"{key}: reference to {' or '.join(kinds.split('|'))} {value!r}, "
                     "which does not exist", record, key)
        return None

    def concept(self, notation, record: Record, key) -> ox.NamedNode | None:
        found = self.concepts.get(str(notation))
        if found is None:
            self.problem(f"{key}: unknown concept notation {notation!r}", record, key)
            return None
        return found[0]

    def passage(self, doc: str, n: str, record: Record, key) -> ox.NamedNode | None:
        iri = self.passages.get((doc, str(n)))
        if iri is None:
            self.problem(f"{key}: document {doc!r} has no passage ¶{n}", record, key)
        return iri

    def default_document(self) -> str | None:
        return next(iter(self.documents)) if len(self.documents) == 1 else None

    # -- values ----------------------------------------------------------
    def literal_or_ref(self, spec: Field, value, record: Record, key) -> list:
        """RDF terms for one YAML value under a field spec (possibly several, for text)."""
        kind = spec.value
        try:
            if kind == "text":
                if isinstance(value, dict):
                    out = []
                    for lang, text in value.items():
                        texts = text if isinstance(text, list) else [text]
                        out += [ox.Literal(str(t).strip(), language=str(lang)) for t in texts]
                    return out
                return [ox.Literal(str(value).strip(), language="en")]
            if kind == "string":
                return [ox.Literal(str(value))]
            if kind == "integer":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError(f"{value!r} is not a whole number")
                return [ox.Literal(value)]
            if kind == "boolean":
                if not isinstance(value, bool):
                    raise ValueError(f"{value!r} is not true or false")
                return [ox.Literal(value)]
            if kind == "date":
                return [date_literal(value)]
            if kind == "uri":
                return [ox.NamedNode(str(value))]
            if kind.startswith("ref:"):
                term = self.ref(kind[4:], value, record, key)
                return [term] if term else []
            if kind == "concept":
                term = self.concept(value, record, key)
                return [term] if term else []
            if kind == "passage":
                doc = self.default_document()
                term = self.passage(doc, value, record, key) if doc else None
                return [term] if term else []
        except ValueError as exc:
            self.problem(f"{key}: {exc}", record, key)
            return []
        raise AssertionError(f"unknown value kind {kind}")

    def citations(self, raw, record: Record, key, status: str | None = None,
                  note: str | None = None) -> list[Citation]:
        """Parse ``cite:`` values; report unknown sources and passages."""
        items = raw if isinstance(raw, list) else [raw]
        out = []
        for item in items:
            quote = None
            item_status, item_note = status, note
            if isinstance(item, dict):
                quote = item.get("quote")
                item_status = item.get("status", status)
                item_note = note_text(item.get("note")) or note
                item = item.get("source")
            m = CITE_RE.match(str(item or ""))
            if not m:
                self.problem(f"{key}: malformed citation {item!r} (write SOURCE-ID or "
                             "DOCUMENT-ID ¶NUMBER)", record, key)
                continue
            source, at = m.group("source"), m.group("at")
            if not self.is_source(source):
                self.problem(f"{key}: cites {source!r}, which is neither a source in "
                             "data/sources/ nor a document in data/documents/", record, key)
                continue
            if at is not None:
                if source not in self.documents:
                    self.problem(f"{key}: {source!r} is not a document, so ¶{at} "
                                 "cannot be cited", record, key)
                    continue
                if (source, at) not in self.passages:
                    self.problem(f"{key}: document {source!r} has no passage ¶{at}", record, key)
                    continue
            if quote and source not in self.documents:
                self.problem(f"{key}: a quote must come from a document in data/documents/, "
                             f"whose text can be checked; for {source!r} paraphrase in a note",
                             record, key)
                continue
            code = item_status or ("S" if source in self.documents else "V")
            if code == "U":
                self.problem(f"{key}: status U (unverified) is not loaded as a fact", record, key)
                continue
            if code not in STATUS_NOTATION:
                self.problem(f"{key}: unknown status {code!r} (use S, S+V, V, P or C)", record, key)
                continue
            out.append(Citation(source, at, quote, STATUS_NOTATION[code], item_note))
        shared = next((c.note for c in out if c.note), None)
        return [c if c.note or not shared else Citation(c.source, c.at, c.quote, c.status, shared)
                for c in out]

    def claim(self, s: ox.NamedNode, p: str, o, citations: list[Citation],
              inverse: str | None = None) -> None:
        """The direct edge in each source's graph, plus a claim node per source."""
        pn = nn(p)
        for c in citations:
            g = self.source_graph(c.source)
            self.add(s, pn, o, g)
            if inverse is not None:
                self.add(o, nn(inverse), s, g)
            derived = (self.passages[(c.source, c.at)] if c.at else self.source_iri(c.source))
            digest = hashlib.sha1(
                f"{s}|{pn}|{o}|{c.source}|{c.at}|{c.status}".encode()).hexdigest()[:20]
            cn = nn(V.ID + "claim/" + digest)
            where = self.locations.get(s.value)
            if where:
                self.locations.setdefault(cn.value, where)
            self.add(cn, RDF_TYPE, nn(V.POCKG + "Claim"), g)
            self.add(cn, RDF_TYPE, nn(V.RDF + "Statement"), g)
            self.add(cn, V.RDF + "subject", s, g)
            self.add(cn, V.RDF + "predicate", pn, g)
            self.add(cn, V.RDF + "object", o, g)
            self.add(cn, V.PROV + "wasDerivedFrom", derived, g)
            self.add(cn, V.POCKG + "verificationStatus", self.concepts.get(
                c.status, (nn(V.ID + "concept/" + c.status),))[0], g)
            if c.note:
                self.add(cn, V.SKOS + "note", ox.Literal(c.note, language="en"), g)
            if c.quote:
                span = hashlib.sha1(str(c.quote).encode()).hexdigest()[:8]
                ev = nn(f"{cn.value}-evidence-{span}")
                sel = nn(f"{cn.value}-quote-{span}")
                self.add(cn, V.POCKG + "hasEvidence", ev, g)
                self.add(ev, RDF_TYPE, nn(V.OA + "SpecificResource"), g)
                self.add(ev, V.OA + "hasSource", derived, g)
                self.add(ev, V.OA + "hasSelector", sel, g)
                self.add(sel, RDF_TYPE, nn(V.OA + "TextQuoteSelector"), g)
                self.add(sel, V.OA + "exact", ox.Literal(str(c.quote)), g)
                if where:
                    self.locations.setdefault(ev.value, where)
                    self.locations.setdefault(sel.value, where)


def note_text(note) -> str | None:
    if note is None:
        return None
    if isinstance(note, dict):
        return str(note.get("en") or next(iter(note.values()), "")) or None
    return str(note)


def date_literal(value) -> ox.Literal:
    """xsd:date for a full date, xsd:gYear / gYearMonth for a partial one."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return ox.Literal(value.isoformat(), datatype=nn(V.XSD + "date"))
    text = str(value)
    if re.fullmatch(r"\d{4}", text):
        return ox.Literal(text, datatype=XSD_GYEAR)
    if re.fullmatch(r"\d{4}-\d{2}", text) and 1 <= int(text[5:]) <= 12:
        return ox.Literal(text, datatype=XSD_GYEARMONTH)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return ox.Literal(dt.date.fromisoformat(text).isoformat(), datatype=nn(V.XSD + "date"))
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date (write YYYY-MM-DD, or YYYY / YYYY-MM)")

"""What curators do to lessons: create, edit, move through the lifecycle,
revert, comment; and what each person may see.

Every change goes through ``Writer.write``: under its lock the service reads
the lesson, checks the role, the lifecycle rule (data, from the graph that
``pockg build`` makes of data/lifecycle: ``pockg.curation.lifecycle``), the
fields (from the SHACL shape) and the revision the editor started from, then
writes the new lesson, its history event and, if its visibility changed,
moves it to the graph of its new tier, all in one transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pockg import vocab as V
from pockg.accounts import User
from pockg.curation import graphs as G
from pockg.curation import lifecycle
from pockg.curation.fields import FieldSpec, by_key, compact, expand, lesson_fields, now
from pockg.curation.history import changed_predicates, diff, from_ntriples, to_ntriples
from pockg.curation.lifecycle import Transition
from pockg.curation.roles import at_least
from pockg.errors import Conflict, Forbidden, NotFound, QueryError
from pockg.writer import Change, Writer

RDF_TYPE = ox.NamedNode(V.RDF + "type")
LESSON = ox.NamedNode(V.term("Lesson"))
STATE = ox.NamedNode(V.term("lifecycleState"))
PUBLICITY = ox.NamedNode(V.term("publicity"))
CREATOR = ox.NamedNode(V.DCT + "creator")
CREATED = ox.NamedNode(V.DCT + "created")
REVISION = ox.NamedNode(V.term("revision"))
PUBLIC = V.ID + "concept/PUB-PUBLIC"
LESSON_ID_RE = r"^L-[0-9A-Za-z._-]{1,60}$"


def lesson_iri(lesson_id: str) -> str:
    return V.entity("lesson", lesson_id)


def lesson_id_of(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


@dataclass
class LessonRecord:
    """A lesson as stored: its values by field key, where it lives, its revision."""

    id: str
    graph: str
    triples: list[ox.Triple]
    revision: int
    fields: tuple

    @property
    def iri(self) -> str:
        return lesson_iri(self.id)

    @property
    def tier(self) -> str:
        return G.tier_of(self.graph)

    def values(self, key: str) -> list:
        spec = by_key(self.fields)[key]
        return [t.object for t in self.triples if t.predicate.value == spec.path]

    def value(self, key: str):
        found = self.values(key)
        return found[0] if found else None

    @property
    def state(self) -> str | None:
        v = self.value("lifecycleState")
        return v.value if v is not None else None

    @property
    def creator(self) -> str | None:
        v = self.value("creator")
        return v.value if v is not None else None

    @property
    def title(self) -> str:
        v = self.value("prefLabel")
        return v.value if v is not None else self.id


@dataclass
class Event:
    revision: int
    kind: str
    who: str
    when: str
    label: str = ""
    note: str = ""
    from_state: str | None = None
    to_state: str | None = None
    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    snapshot: list = field(default_factory=list)


class Curation:
    """The curation service over one store (reads) and its writer (writes)."""

    def __init__(self, store, writer: Writer | None, shapes_dir: Path):
        self.store = store
        self.writer = writer
        self.fields = lesson_fields(shapes_dir)
        self.by_key = by_key(self.fields)

    # -- reading -------------------------------------------------------------
    def _find(self, store, lesson_id: str) -> LessonRecord | None:
        iri = ox.NamedNode(lesson_iri(lesson_id))
        for root in (V.USER, V.GRAPH):
            for g in G.lesson_graphs(lesson_id, root):
                triples = [ox.Triple(q.subject, q.predicate, q.object) for q in
                           store.match(iri, None, None, ox.NamedNode(g))]
                if triples:
                    return LessonRecord(lesson_id, g, triples, self._revision(store, iri),
                                        self.fields)
        return None

    def _revision(self, store, iri: ox.NamedNode) -> int:
        g = ox.NamedNode(G.review_graph(lesson_id_of(iri.value)))
        for q in store.match(iri, REVISION, None, g):
            return int(q.object.value)
        return 0

    def can_see(self, record: LessonRecord, viewer: User | None) -> bool:
        role = viewer.role if viewer else None
        if G.visible(record.graph, role):
            return True
        return bool(viewer and at_least(role, "contributor") and record.creator == viewer.iri)

    def get(self, lesson_id: str, viewer: User | None) -> LessonRecord:
        record = self._find(self.store, lesson_id)
        if record is None or not self.can_see(record, viewer):
            raise NotFound(f"no lesson {lesson_id!r}")
        return record

    def list(self, viewer: User | None, state: str | None = None) -> list[dict]:
        rows = self.store.select("""
            SELECT ?lesson ?g ?label ?state ?creator ?created WHERE {
              GRAPH ?g { ?lesson a pockg:Lesson ; pockg:lifecycleState ?state .
                         OPTIONAL { ?lesson skos:prefLabel ?label }
                         OPTIONAL { ?lesson dcterms:creator ?creator }
                         OPTIONAL { ?lesson dcterms:created ?created } } }""").rows
        out, seen = [], set()
        role = viewer.role if viewer else None
        for row in rows:
            lid = lesson_id_of(row["lesson"].value)
            g = row["g"].value
            mine = bool(viewer and "creator" in row and row["creator"].value == viewer.iri)
            if lid in seen or not (G.visible(g, role) or (mine and at_least(role, "contributor"))):
                continue
            if state and row["state"].value != state:
                continue
            seen.add(lid)
            out.append({"id": lid, "iri": row["lesson"].value, "graph": g, "tier": G.tier_of(g),
                        "title": row["label"].value if "label" in row else lid,
                        "state": row["state"].value,
                        "creator": row["creator"].value if "creator" in row else None,
                        "created": row["created"].value if "created" in row else None})
        return sorted(out, key=lambda r: (r["created"] or "", r["id"]), reverse=True)

    def transitions(self) -> list[Transition]:
        return lifecycle.transitions(self.store)

    def initial_state(self) -> str:
        return lifecycle.initial_state(self.store)

    def published_states(self) -> set[str]:
        return lifecycle.published_states(self.store)

    def available(self, record: LessonRecord, viewer: User | None) -> list[Transition]:
        """The transitions this viewer may make now (roles and source state)."""
        role = viewer.role if viewer else None
        return [t for t in self.transitions()
                if record.state in t.sources and at_least(role, t.role)]

    def history(self, lesson_id: str, viewer: User | None) -> list[Event]:
        self.get(lesson_id, viewer)
        if not at_least(viewer.role if viewer else None, "curator") and not (
                viewer and self._find(self.store, lesson_id).creator == viewer.iri):
            raise Forbidden("only curators and the author see a lesson's history")
        g = ox.NamedNode(G.review_graph(lesson_id))
        rows = self.store.select("""
            SELECT ?g ?lesson ?e ?rev ?kind ?who ?when ?label ?note ?from ?to ?added ?removed ?snap WHERE {
              GRAPH ?g { ?e a pockg:CurationEvent ; pockg:eventOf ?lesson ; pockg:revision ?rev ;
                 pockg:eventKind ?kind ; prov:wasAssociatedWith ?who ; prov:endedAtTime ?when ;
                 pockg:addedTriples ?added ; pockg:removedTriples ?removed ; pockg:snapshot ?snap .
                 OPTIONAL { ?e rdfs:label ?label } OPTIONAL { ?e rdfs:comment ?note }
                 OPTIONAL { ?e pockg:fromState ?from } OPTIONAL { ?e pockg:toState ?to } } }
            ORDER BY ?rev""", {"g": g, "lesson": ox.NamedNode(lesson_iri(lesson_id))}).rows
        return [Event(int(r["rev"].value), r["kind"].value, r["who"].value, r["when"].value,
                      r["label"].value if "label" in r else "", r["note"].value if "note" in r else "",
                      r["from"].value if "from" in r else None, r["to"].value if "to" in r else None,
                      from_ntriples(r["added"].value), from_ntriples(r["removed"].value),
                      from_ntriples(r["snap"].value)) for r in rows]

    def comments(self, lesson_id: str, viewer: User | None) -> list[dict]:
        self.get(lesson_id, viewer)
        rows = self.store.select("""
            SELECT ?g ?lesson ?c ?text ?who ?when WHERE { GRAPH ?g {
              ?c oa:hasTarget ?lesson ; oa:motivatedBy oa:commenting ; oa:hasBody ?b ;
                 dcterms:creator ?who ; dcterms:created ?when . ?b rdf:value ?text } }
            ORDER BY ?when""", {"g": ox.NamedNode(G.review_graph(lesson_id)),
                                "lesson": ox.NamedNode(lesson_iri(lesson_id))}).rows
        return [{"iri": r["c"].value, "text": r["text"].value, "who": r["who"].value,
                 "when": r["when"].value} for r in rows]

    # -- checking ------------------------------------------------------------
    def check_values(self, values: dict[str, list], store=None) -> dict[str, list[str]]:
        """Field-level problems of the form values, by field key (from the shape)."""
        store = store or self.store
        errors: dict[str, list[str]] = {}
        for spec in self.fields:
            if spec.record:
                continue
            got = values.get(spec.key, [])
            problems = []
            if len(got) < spec.min:
                problems.append("required")
            if spec.max is not None and len(got) > spec.max:
                problems.append(f"at most {spec.max} value{'s' if spec.max > 1 else ''}")
            for term in got:
                problems.extend(self._check_term(spec, term, store))
            if problems:
                errors[spec.key] = [f"{spec.name()}: {p}" for p in dict.fromkeys(problems)]
        for key in values:
            if key not in self.by_key or self.by_key[key].record:
                errors.setdefault(key, []).append(f"{key}: not a field of a lesson")
        return errors

    def _check_term(self, spec: FieldSpec, term, store) -> list[str]:
        if spec.kind == "text":
            if not isinstance(term, ox.Literal) or not term.value.strip():
                return ["must be text"]
            if spec.max_length and len(term.value) > spec.max_length:
                return [f"at most {spec.max_length} characters"]
            return []
        if not isinstance(term, ox.NamedNode):
            return [f"{term} is not an IRI"]
        if spec.allowed and term.value not in spec.allowed:
            return [f"{compact(term.value)} is not one of "
                    + ", ".join(compact(a) for a in spec.allowed)]
        if spec.cls and not store.ask("ASK { VALUES ?x {} VALUES ?cls {} ?x a ?cls }",
                                               {"x": term, "cls": ox.NamedNode(spec.cls)}):
            return [f"{compact(term.value)} is not a {compact(spec.cls).rsplit('#', 1)[-1]} of the graph"]
        return []

    # -- writing -------------------------------------------------------------
    def _writer(self) -> Writer:
        if self.writer is None:
            raise Forbidden("this server is read-only: curation is off")
        return self.writer

    def create(self, values: dict[str, list], actor: User, lesson_id: str | None = None,
               kind: str = "create") -> str:
        """Submit a new observation (contributors and above); returns its id."""
        if not at_least(actor.role, "contributor"):
            raise Forbidden("only contributors and above submit observations")
        lesson_id = lesson_id or new_lesson_id()
        errors = self.check_values(values)
        if errors:
            raise FieldErrors(errors)

        def plan(store):
            found = self._find(store, lesson_id)
            if found is not None and found.creator == actor.iri and kind == "create":
                return None             # the same submission again (a retry): saved already
            return self._create_change(store, values, actor, lesson_id, kind)

        self._writer().write(plan)
        return lesson_id

    def create_many(self, values_list: list[dict], actor: User, kind: str = "import") -> list[str]:
        """Submit several observations in one transaction (bulk import)."""
        if not at_least(actor.role, "contributor"):
            raise Forbidden("only contributors and above submit observations")
        ids = [new_lesson_id() for _ in values_list]

        def plan(store):
            merged = Change()
            for lesson_id, values in zip(ids, values_list):
                change = self._create_change(store, values, actor, lesson_id, kind)
                merged.remove += change.remove
                merged.add += change.add
            return merged

        if values_list:
            self._writer().write(plan)
        return ids

    def _create_change(self, store, values, actor: User, lesson_id: str, kind: str) -> Change:
        if self._find(store, lesson_id) is not None:
            raise Conflict(f"lesson {lesson_id} exists already")
        state = ox.NamedNode(self.initial_state())
        iri = ox.NamedNode(lesson_iri(lesson_id))
        triples = [ox.Triple(iri, RDF_TYPE, LESSON), ox.Triple(iri, STATE, state),
                   ox.Triple(iri, CREATOR, ox.NamedNode(actor.iri)),
                   ox.Triple(iri, CREATED, now())]
        triples += self._triples(iri, values)
        graph = self._graph_for(triples, lesson_id)
        return self._change(lesson_id, None, graph, triples, 0, actor, kind)

    def update(self, lesson_id: str, values: dict[str, list], base: int, actor: User) -> int:
        """Save an edit made from revision ``base``; Conflict if someone saved since."""
        errors = self.check_values(values)
        if errors:
            raise FieldErrors(errors)

        def plan(store):
            record = self._editable(store, lesson_id, actor, base)
            iri = ox.NamedNode(record.iri)
            kept = [t for t in record.triples
                    if t.predicate.value not in self._form_paths() or t.predicate == RDF_TYPE]
            triples = kept + self._triples(iri, values)
            graph = self._graph_for(triples, lesson_id)
            return self._change(lesson_id, record, graph, triples, record.revision, actor, "edit")

        change = self._writer().write(plan)
        return base + 1 if change else base

    def transition(self, lesson_id: str, transition_id: str, base: int, actor: User,
                   note: str = "") -> int:
        def plan(store):
            record = self._find(store, lesson_id)
            if record is None or not self.can_see(record, actor):
                raise NotFound(f"no lesson {lesson_id!r}")
            self._check_base(store, record, base)
            t = next((t for t in self.transitions() if t.id == transition_id), None)
            if t is None:
                raise QueryError(f"unknown transition {transition_id!r}")
            if not at_least(actor.role, t.role):
                raise Forbidden(f"'{t.label}' needs the {t.role} role")
            if record.state not in t.sources:
                raise Conflict(f"'{t.label}' cannot start from {compact(record.state or '')}",
                               {"state": record.state})
            present = {tr.predicate.value for tr in record.triples}
            missing = [p for p in t.requires if p not in present]
            if missing:
                names = [by_path_name(self.fields, p) for p in missing]
                raise FieldErrors({self._key(p): [f"{n}: needed to {t.label}"]
                                   for p, n in zip(missing, names)})
            iri = ox.NamedNode(record.iri)
            triples = [tr for tr in record.triples if tr.predicate != STATE]
            triples.append(ox.Triple(iri, STATE, ox.NamedNode(t.target)))
            if t.target.endswith("/LC-LEARNED"):
                for key in ("validatedBy", "validatedOn"):
                    path = self.by_key[key].path
                    triples = [tr for tr in triples if tr.predicate.value != path]
                triples.append(ox.Triple(iri, ox.NamedNode(self.by_key["validatedBy"].path),
                                         ox.NamedNode(actor.iri)))
                triples.append(ox.Triple(iri, ox.NamedNode(self.by_key["validatedOn"].path), now()))
            graph = self._graph_for(triples, lesson_id)
            return self._change(lesson_id, record, graph, triples, record.revision, actor,
                                "transition", t, record.state, note)

        self._writer().write(plan)
        return base + 1

    def revert(self, lesson_id: str, to_revision: int, base: int, actor: User) -> int:
        """Restore the lesson as revision ``to_revision`` left it, as a new event."""
        if not at_least(actor.role, "curator"):
            raise Forbidden("only curators and above revert lessons")
        events = {e.revision: e for e in self.history(lesson_id, actor)}
        if to_revision not in events:
            raise NotFound(f"lesson {lesson_id} has no revision {to_revision}")
        target = events[to_revision].snapshot

        def plan(store):
            record = self._find(store, lesson_id)
            self._check_base(store, record, base)
            graph = self._graph_for(target, lesson_id)
            return self._change(lesson_id, record, graph, target, record.revision, actor,
                                "revert", note=f"reverted to revision {to_revision}")

        self._writer().write(plan)
        return base + 1

    def comment(self, lesson_id: str, text: str, actor: User) -> None:
        text = (text or "").strip()
        if not text:
            raise FieldErrors({"comment": ["comment: required"]})
        if len(text) > 5000:
            raise FieldErrors({"comment": ["comment: at most 5000 characters"]})
        if not at_least(actor.role, "contributor"):
            raise Forbidden("sign in to comment")
        self.get(lesson_id, actor)

        def plan(store):
            g = ox.NamedNode(G.review_graph(lesson_id))
            c = ox.NamedNode(f"{lesson_iri(lesson_id)}/comment/{secrets.token_hex(6)}")
            body = ox.NamedNode(c.value + "/body")
            add = [ox.Quad(c, RDF_TYPE, ox.NamedNode(V.OA + "Annotation"), g),
                   ox.Quad(c, ox.NamedNode(V.OA + "motivatedBy"), ox.NamedNode(V.OA + "commenting"), g),
                   ox.Quad(c, ox.NamedNode(V.OA + "hasTarget"), ox.NamedNode(lesson_iri(lesson_id)), g),
                   ox.Quad(c, ox.NamedNode(V.OA + "hasBody"), body, g),
                   ox.Quad(body, RDF_TYPE, ox.NamedNode(V.OA + "TextualBody"), g),
                   ox.Quad(body, ox.NamedNode(V.RDF + "value"), ox.Literal(text), g),
                   ox.Quad(c, CREATOR, ox.NamedNode(actor.iri), g),
                   ox.Quad(c, CREATED, now(), g)]
            return Change(add=add + self._agent(actor))

        self._writer().write(plan)

    # -- helpers -------------------------------------------------------------
    def _form_paths(self) -> set[str]:
        return {f.path for f in self.fields if not f.record}

    def _key(self, path: str) -> str:
        return next((f.key for f in self.fields if f.path == path), path)

    def _triples(self, iri: ox.NamedNode, values: dict[str, list]) -> list[ox.Triple]:
        out = []
        for key, terms in values.items():
            spec = self.by_key[key]
            for term in terms:
                out.append(ox.Triple(iri, ox.NamedNode(spec.path), term))
        return out

    def _editable(self, store, lesson_id: str, actor: User, base: int) -> LessonRecord:
        record = self._find(store, lesson_id)
        if record is None or not self.can_see(record, actor):
            raise NotFound(f"no lesson {lesson_id!r}")
        own_draft = (record.creator == actor.iri and record.state == self.initial_state()
                     and at_least(actor.role, "contributor"))
        if not (at_least(actor.role, "curator") or own_draft):
            raise Forbidden("only curators edit lessons (authors may edit their own observations)")
        self._check_base(store, record, base)
        return record

    def _check_base(self, store, record: LessonRecord | None, base: int) -> None:
        if record is None:
            raise NotFound("no such lesson")
        if record.revision != base:
            events = {e.revision: e for e in self.history(record.id, User("system", "admin"))}
            before = events[base].snapshot if base in events else []
            changed = changed_predicates(before, record.triples)
            raise Conflict(
                f"lesson {record.id} changed since you opened it (you edited revision {base}, "
                f"it is now at revision {record.revision}); nothing was saved",
                {"base": base, "current": record.revision,
                 "changed": [self._key(p) for p in changed],
                 "by": [events[r].who for r in sorted(events) if r > base]})

    def _graph_for(self, triples, lesson_id: str) -> str:
        state = next((t.object.value for t in triples if t.predicate == STATE), None)
        public = any(t.predicate == PUBLICITY and t.object.value == PUBLIC for t in triples)
        tier = G.tier_for(state in self.published_states(), public)
        return G.lesson_graph(lesson_id, tier)

    def _agent(self, actor: User) -> list[ox.Quad]:
        """The person, named for staff in the review graph (readers see only the opaque IRI)."""
        g = ox.NamedNode(G.AGENTS_GRAPH)
        a = ox.NamedNode(actor.iri)
        return [ox.Quad(a, RDF_TYPE, ox.NamedNode(V.PROV + "Agent"), g),
                ox.Quad(a, ox.NamedNode(V.RDFS + "label"), ox.Literal(actor.name), g)]

    def _change(self, lesson_id: str, record: LessonRecord | None, graph: str, triples,
                revision: int, actor: User, kind: str, transition: Transition | None = None,
                from_state: str | None = None, note: str = "") -> Change | None:
        before = record.triples if record else []
        removed, added = diff(before, triples)
        if record is not None and not removed and not added and graph == record.graph:
            return None                                  # nothing changed: no event
        iri = ox.NamedNode(lesson_iri(lesson_id))
        rg = ox.NamedNode(G.review_graph(lesson_id))
        new_rev = revision + 1
        e = ox.NamedNode(f"{iri.value}/event/{new_rev}")
        g_new = ox.NamedNode(graph)
        remove = [ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(record.graph))
                  for t in before] if record else []
        if record is not None and record.revision:
            remove.append(ox.Quad(iri, REVISION, ox.Literal(record.revision), rg))
        add = [ox.Quad(t.subject, t.predicate, t.object, g_new) for t in triples]
        P = lambda local: ox.NamedNode(V.term(local))  # noqa: E731
        add += [ox.Quad(iri, REVISION, ox.Literal(new_rev), rg),
                ox.Quad(e, RDF_TYPE, P("CurationEvent"), rg),
                ox.Quad(e, P("eventOf"), iri, rg),
                ox.Quad(e, P("revision"), ox.Literal(new_rev), rg),
                ox.Quad(e, P("eventKind"), ox.Literal(kind), rg),
                ox.Quad(e, ox.NamedNode(V.PROV + "wasAssociatedWith"), ox.NamedNode(actor.iri), rg),
                ox.Quad(e, ox.NamedNode(V.PROV + "endedAtTime"), now(), rg),
                ox.Quad(e, P("addedTriples"), ox.Literal(to_ntriples(added)), rg),
                ox.Quad(e, P("removedTriples"), ox.Literal(to_ntriples(removed)), rg),
                ox.Quad(e, P("snapshot"), ox.Literal(to_ntriples(triples)), rg)]
        if transition is not None:
            add += [ox.Quad(e, ox.NamedNode(V.RDFS + "label"), ox.Literal(transition.label), rg),
                    ox.Quad(e, P("toState"), ox.NamedNode(transition.target), rg)]
            if from_state:
                add.append(ox.Quad(e, P("fromState"), ox.NamedNode(from_state), rg))
        if note:
            add.append(ox.Quad(e, ox.NamedNode(V.RDFS + "comment"), ox.Literal(note), rg))
        moved = [record.graph] if record is not None and record.graph != graph else []
        return Change(remove=remove, add=add + self._agent(actor), drop=moved)


def new_lesson_id() -> str:
    return f"L-{dt.date.today():%Y%m%d}-{secrets.token_hex(6)}"


def is_new_lesson_id(text: str | None) -> bool:
    """Whether ``text`` has the shape ``new_lesson_id`` gives (a form's own id)."""
    return bool(text) and re.fullmatch(r"L-\d{8}-[0-9a-f]{12}", text) is not None


def by_path_name(fields, path: str) -> str:
    return next((f.name() for f in fields if f.path == path), compact(path))


class FieldErrors(QueryError):
    """Field-level problems of a lesson form, by field key (HTTP 422)."""

    http_status = 422
    prefix = "invalid lesson"

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(m for ms in errors.values() for m in ms))


def parse_values(fields, form: dict[str, list[str]], lang: str = "en") -> tuple[dict, dict]:
    """Form strings (key → list of strings) into RDF terms by field; (values, errors)."""
    values, errors = {}, {}
    for spec in fields:
        if spec.record or spec.key not in form:
            continue
        raw = [s for item in form[spec.key] for s in _split(item, spec)]
        terms = []
        for text in raw:
            if spec.kind == "text":
                terms.append(ox.Literal(text, language=lang))
            elif spec.kind == "datetime":
                terms.append(ox.Literal(text, datatype=ox.NamedNode(V.XSD + "dateTime")))
            else:
                try:
                    terms.append(ox.NamedNode(expand(text)))
                except ValueError:
                    errors.setdefault(spec.key, []).append(f"{spec.name()}: {text!r} is not an IRI")
        if terms:
            values[spec.key] = terms
    return values, errors


def _split(item: str, spec: FieldSpec) -> list[str]:
    item = (item or "").replace("\r\n", "\n")
    if spec.kind == "text":
        return [item.strip()] if item.strip() else []
    return [p.strip() for p in item.replace(",", "\n").split("\n") if p.strip()]

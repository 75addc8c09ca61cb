"""Concept links as W3C Web Annotations, and the pure functions that make them.

One link is a ``pockg:ConceptLink`` (an ``oa:Annotation``):

    <passage>/link/<h>  a pockg:ConceptLink, oa:Annotation ;
        oa:motivatedBy oa:tagging            # oa:identifying for named entities
        oa:hasBody <concept or entity> ;
        oa:hasTarget <passage>/link/<h>#target ;
        pockg:score 0.9 ; pockg:linkStatus id:concept/LS-suggested ;
        dcterms:creator <agent> ; prov:wasAttributedTo <agent> ; dcterms:created ... .
    <...#target> a oa:SpecificResource ; oa:hasSource <passage> ;
        oa:hasSelector <...#quote>, <...#position> .
    <...#quote> a oa:TextQuoteSelector ; oa:exact ... ; oa:prefix ... ; oa:suffix ... .
    <...#position> a oa:TextPositionSelector ; oa:start 10 ; oa:end 14 .

``<h>`` hashes the body and the offsets, so the same link always has the same
IRI and re-linking changes nothing. The links of one document version live
in the graph ``user/public/links/<doc id>/<hash12>``.

``link_document`` computes the new content of that graph, keeping every
accepted or rejected decision (a rejected suggestion is never suggested
again) and every manual link; ``set_status`` and ``manual_link`` compute the
quads of a review decision. None of them writes: ``store_links`` (the CLI)
or the web's serialized writer does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import pyoxigraph as ox

from pockg import __version__
from pockg import vocab as V
from pockg.errors import NotFound, PockgError
from pockg.linking import learned, semantic
from pockg.linking.context import LINK_RUN, PassageInput, document_links
from pockg.linking.lexicon import CONCEPT, Lexicon, build_lexicon
from pockg.linking.matcher import DEFAULT_THRESHOLD, Matcher

LINKER_VERSION = f"{__version__}+linker.1"
LINKER = V.ID + "agent/pockg-linker"
USER_IRI = V.ID + "user/"
LINKS_GRAPH = V.USER + "public/links/"

SUGGESTED, ACCEPTED, REJECTED = (CONCEPT + s for s in ("LS-suggested", "LS-accepted", "LS-rejected"))
STATUSES = (SUGGESTED, ACCEPTED, REJECTED)
CONTEXT = 32  # characters of prefix and suffix kept in the TextQuoteSelector

PASSAGE_RE = re.compile(r"^(?P<version>" + re.escape(V.ID) +
                        r"document/(?P<doc>[^/]+)/v/(?P<hash>[0-9a-f]{12}))/p/(?P<key>.+)$")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


RDF_TYPE = _n(V.RDF + "type")
OA = {k: _n(V.OA + k) for k in (
    "Annotation", "SpecificResource", "TextQuoteSelector", "TextPositionSelector",
    "motivatedBy", "tagging", "identifying", "hasBody", "hasTarget", "hasSource",
    "hasSelector", "exact", "prefix", "suffix", "start", "end")}
CONCEPT_LINK = _n(V.term("ConceptLink"))
SCORE = _n(V.term("score"))
LEXICAL_SCORE = _n(V.term("lexicalScore"))
SEMANTIC_SCORE = _n(V.term("semanticScore"))
CLOSEST_TEXT = _n(V.term("closestConceptText"))
LEARNED_SCORE = _n(V.term("learnedScore"))
SUGGESTED_BY_MODEL = _n(V.term("suggestedByModel"))
LINKER_MODEL = _n(V.term("LinkerModel"))
TRAINING_DECISIONS = _n(V.term("trainingDecisions"))
LINK_STATUS = _n(V.term("linkStatus"))
SOFTWARE_VERSION = _n(V.term("softwareVersion"))
TEXT = _n(V.term("text"))
CURRENT_VERSION = _n(V.term("currentVersion"))
CREATOR = _n(V.DCT + "creator")
CREATED = _n(V.DCT + "created")
MODIFIED = _n(V.DCT + "modified")
ATTRIBUTED = _n(V.PROV + "wasAttributedTo")
DERIVED = _n(V.PROV + "wasDerivedFrom")
SOFTWARE_AGENT = _n(V.PROV + "SoftwareAgent")
PERSON = _n(V.PROV + "Person")
LABEL = _n(V.RDFS + "label")
XSD_DECIMAL = _n(V.XSD + "decimal")
XSD_INTEGER = _n(V.XSD + "integer")
XSD_DATETIME = _n(V.XSD + "dateTime")


class LinkError(PockgError):
    """A link cannot be made or changed as asked (bad offsets, unknown status)."""

    exit_code = 3
    http_status = 422
    prefix = "link error"


# -- names -----------------------------------------------------------------
def links_graph(doc_id: str, hash12: str) -> str:
    return f"{LINKS_GRAPH}{doc_id}/{hash12}"


def graph_of_passage(passage_iri: str) -> str:
    m = PASSAGE_RE.match(passage_iri)
    if not m:
        raise LinkError(f"{passage_iri} is not a passage of an ingested document version")
    return links_graph(m["doc"], m["hash"])


def annotation_iri(passage_iri: str, body: str, start: int, end: int) -> str:
    digest = hashlib.sha256(f"{body}|{start}|{end}".encode()).hexdigest()[:16]
    return f"{passage_iri}/link/{digest}"


def person_iri(person: str) -> str:
    if person.startswith(("http://", "https://")):
        return person
    if not re.fullmatch(r"[A-Za-z0-9._@-]+", person or ""):
        raise LinkError(f"{person!r} is not a user name")
    return USER_IRI + person


def status_iri(status: str) -> str:
    """``accepted``, ``LS-accepted`` or the full IRI -> the status IRI."""
    for s in STATUSES:
        local = s.rsplit("/", 1)[1]
        if status in (s, local, local[3:]):
            return s
    raise LinkError(f"unknown link status {status!r} (suggested, accepted or rejected)")


def now() -> ox.Literal:
    stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    return ox.Literal(stamp.replace("+00:00", "Z"), datatype=XSD_DATETIME)


# -- building one annotation ------------------------------------------------
@dataclass(frozen=True)
class Link:
    """One link, as the functions below read and write it."""

    iri: str
    passage: str
    body: str
    start: int
    end: int
    exact: str
    score: float
    status: str
    creator: str
    lexical: float | None = None       # the components' scores (None: it did not propose it)
    semantic: float | None = None
    closest: str | None = None         # for a match by meaning: the closest concept text
    derived_from: str | None = None    # the heading's link it was inherited from
    learned: float | None = None       # the learned layer's score
    model: str | None = None           # the learned layer (model IRI) that scored it
    model_trained: str | None = None   # when that model was trained (ISO)
    model_decisions: int | None = None # on how many reviewed decisions


def annotation_quads(passage_iri: str, text: str, body: str, start: int, end: int,
                     score: float, status: str, creator: str, created: ox.Literal,
                     entity: bool, graph: str, derived_from: str | None = None,
                     reason: dict | None = None) -> list[ox.Quad]:
    """The quads of one annotation; ``creator`` is the linker or a person's IRI.
    ``reason``: the components' scores (``lexical``, ``semantic``) and, for a
    match by meaning, the concept text it was closest to (``closest``, ``lang``)."""
    if not (0 <= start < end <= len(text)):
        raise LinkError(f"offsets {start}..{end} are outside the passage text (0..{len(text)})")
    a = annotation_iri(passage_iri, body, start, end)
    g = _n(graph)
    an, target, quote, pos = _n(a), _n(a + "#target"), _n(a + "#quote"), _n(a + "#position")
    agent = _n(creator)
    q = [
        (an, RDF_TYPE, CONCEPT_LINK), (an, RDF_TYPE, OA["Annotation"]),
        (an, OA["motivatedBy"], OA["identifying"] if entity else OA["tagging"]),
        (an, OA["hasBody"], _n(body)), (an, OA["hasTarget"], target),
        (an, SCORE, ox.Literal(str(Decimal(str(round(score, 3)))), datatype=XSD_DECIMAL)),
        (an, LINK_STATUS, _n(status)),
        (an, CREATOR, agent), (an, ATTRIBUTED, agent), (an, CREATED, created),
        (target, RDF_TYPE, OA["SpecificResource"]), (target, OA["hasSource"], _n(passage_iri)),
        (target, OA["hasSelector"], quote), (target, OA["hasSelector"], pos),
        (quote, RDF_TYPE, OA["TextQuoteSelector"]),
        (quote, OA["exact"], ox.Literal(text[start:end])),
        (quote, OA["prefix"], ox.Literal(text[max(0, start - CONTEXT):start])),
        (quote, OA["suffix"], ox.Literal(text[end:end + CONTEXT])),
        (pos, RDF_TYPE, OA["TextPositionSelector"]),
        (pos, OA["start"], ox.Literal(str(start), datatype=XSD_INTEGER)),
        (pos, OA["end"], ox.Literal(str(end), datatype=XSD_INTEGER)),
    ]
    if derived_from:  # inherited from the section heading's link
        q.append((an, DERIVED, _n(derived_from)))
    for key, predicate in (("lexical", LEXICAL_SCORE), ("semantic", SEMANTIC_SCORE),
                           ("learned", LEARNED_SCORE)):
        if reason and reason.get(key) is not None:
            q.append((an, predicate, ox.Literal(str(Decimal(str(round(reason[key], 3)))),
                                                datatype=XSD_DECIMAL)))
    if reason and reason.get("closest"):
        q.append((an, CLOSEST_TEXT, ox.Literal(reason["closest"], language=reason.get("lang") or "en")))
    if creator != LINKER:
        q += [(agent, RDF_TYPE, PERSON)]
    model = reason.get("model") if reason else None
    if model is not None:
        q.append((an, SUGGESTED_BY_MODEL, _n(model.iri)))
    out = [ox.Quad(s, p, o, g) for s, p, o in q]
    return out + linker_quads(graph) if creator == LINKER else out


def linker_quads(graph: str) -> list[ox.Quad]:
    """The linker as a prov:SoftwareAgent with its version, in ``graph``."""
    agent, g = _n(LINKER), _n(graph)
    return [ox.Quad(agent, RDF_TYPE, SOFTWARE_AGENT, g),
            ox.Quad(agent, LABEL, ox.Literal("pockg linker", language="en"), g),
            ox.Quad(agent, SOFTWARE_VERSION, ox.Literal(LINKER_VERSION), g)]


def model_quads(model, graph: str) -> list[ox.Quad]:
    """The learned layer as a prov:Entity with its provenance, in ``graph``."""
    m, g = _n(model.iri), _n(graph)
    trained = ox.Literal(model.trained, datatype=XSD_DATETIME)
    return [ox.Quad(m, RDF_TYPE, LINKER_MODEL, g),
            ox.Quad(m, RDF_TYPE, _n(V.PROV + "Entity"), g),
            ox.Quad(m, LABEL, ox.Literal(model.label, language="en"), g),
            ox.Quad(m, CREATED, trained, g),
            ox.Quad(m, TRAINING_DECISIONS, ox.Literal(str(sum(model.decisions.values())),
                                                      datatype=XSD_INTEGER), g),
            ox.Quad(m, SOFTWARE_VERSION, ox.Literal(model.version), g),
            ox.Quad(m, _n(V.PROV + "wasAttributedTo"), _n(LINKER), g)]


# -- reading ------------------------------------------------------------------
_PASSAGES_Q = """
SELECT ?version ?passage ?text ?order ?class ?section WHERE {
  VALUES ?version {}
  ?passage dcterms:isPartOf ?version ; pockg:text ?text .
  OPTIONAL { ?passage pockg:order ?order }
  OPTIONAL { ?passage pockg:inSection ?section }
  OPTIONAL { ?passage a ?class . FILTER(?class IN (pockg:Heading, pockg:Footnote, pockg:OperativeParagraph)) }
}
"""
KIND_OF_CLASS = {V.term("Heading"): "heading", V.term("Footnote"): "footnote",
                 V.term("OperativeParagraph"): "operative"}

_VERSION_Q = """
SELECT ?doc ?version WHERE { VALUES ?doc {} ?doc pockg:currentVersion ?version }
"""

_TEXT_Q = """SELECT ?passage ?text WHERE { VALUES ?passage {} ?passage pockg:text ?text }"""

_LINKS_Q = """
SELECT ?g ?link ?body ?passage ?start ?end ?exact ?score ?status ?creator
       ?lexical ?semantic ?closest ?derived ?learned ?model ?modelTrained ?modelDecisions WHERE {
  GRAPH ?g {
    ?link a pockg:ConceptLink ; oa:hasBody ?body ; oa:hasTarget ?t ; pockg:linkStatus ?status .
    ?t oa:hasSource ?passage ; oa:hasSelector ?ps , ?qs .
    ?ps oa:start ?start ; oa:end ?end .
    ?qs oa:exact ?exact .
    OPTIONAL { ?link pockg:score ?score }
    OPTIONAL { ?link dcterms:creator ?creator }
    OPTIONAL { ?link pockg:lexicalScore ?lexical }
    OPTIONAL { ?link pockg:semanticScore ?semantic }
    OPTIONAL { ?link pockg:closestConceptText ?closest }
    OPTIONAL { ?link prov:wasDerivedFrom ?derived }
    OPTIONAL { ?link pockg:learnedScore ?learned }
    OPTIONAL { ?link pockg:suggestedByModel ?model
               OPTIONAL { ?model dcterms:created ?modelTrained ; pockg:trainingDecisions ?modelDecisions } }
  }
}
"""

_LINK_Q = """
SELECT ?link ?g ?p ?o WHERE { VALUES ?link {} GRAPH ?g { ?link ?p ?o } }
"""


def resolve_version(store, document_or_version: str) -> str:
    """A document IRI (its current version), a version IRI, or a bare doc id -> version IRI."""
    iri = document_or_version
    if not iri.startswith(("http://", "https://")):
        iri = V.ID + "document/" + iri
    if re.search(r"/v/[0-9a-f]{12}$", iri):
        return iri
    rows = store.select(_VERSION_Q, {"doc": _n(iri)}).rows
    if not rows:
        raise NotFound(f"no ingested document {document_or_version} (run `pockg ingest` first)")
    return rows[0]["version"].value


def passages_of(store, version_iri: str) -> list[PassageInput]:
    """The passages of one document version, in reading order."""
    rows = store.select(_PASSAGES_Q, {"version": _n(version_iri)}).rows
    found: dict[str, tuple[int, PassageInput]] = {}
    for r in rows:
        pid = r["passage"].value
        order = int(r["order"].value) if "order" in r else 0
        kind = KIND_OF_CLASS.get(r["class"].value, "paragraph") if "class" in r else "paragraph"
        section = r["section"].value if "section" in r else None
        if pid in found and found[pid][1].kind != "paragraph":
            continue
        found[pid] = (order, PassageInput(pid, r["text"].value, kind, section))
    return [p for _, p in sorted(found.values(), key=lambda x: (x[0], x[1].id))]


def existing_links(store, graph: str | None = None) -> list[Link]:
    bindings = {"g": _n(graph)} if graph else None
    out = []
    for r in store.select(_LINKS_Q, bindings).rows:
        out.append(Link(r["link"].value, r["passage"].value, r["body"].value,
                        int(r["start"].value), int(r["end"].value), r["exact"].value,
                        float(r["score"].value) if "score" in r else 1.0,
                        r["status"].value, r["creator"].value if "creator" in r else "",
                        float(r["lexical"].value) if "lexical" in r else None,
                        float(r["semantic"].value) if "semantic" in r else None,
                        r["closest"].value if "closest" in r else None,
                        r["derived"].value if "derived" in r else None,
                        float(r["learned"].value) if "learned" in r else None,
                        r["model"].value if "model" in r else None,
                        r["modelTrained"].value if "modelTrained" in r else None,
                        int(r["modelDecisions"].value) if "modelDecisions" in r else None))
    return out


def _annotation_quads_in_store(store, link_iri: str) -> list[ox.Quad]:
    """Every quad about the annotation and its target and selectors."""
    out = []
    for node in (link_iri, link_iri + "#target", link_iri + "#quote", link_iri + "#position"):
        for r in store.select(_LINK_Q, {"link": _n(node)}).rows:
            out.append(ox.Quad(_n(node), r["p"], r["o"], r["g"]))
    return out


# -- linking a document ---------------------------------------------------------
_MATCHERS: dict[int, tuple[int, Matcher]] = {}
_SIZE_Q = """SELECT (COUNT(*) AS ?n) WHERE { ?c a skos:Concept ; ?p ?o }"""


def matcher_for(store) -> Matcher:
    """A matcher on the store's lexicon, kept while the store's size is unchanged
    apart from links (the lexicon comes from the build graphs)."""
    key = id(store)
    size = int(store.select(_SIZE_Q).rows[0]["n"].value)
    cached = _MATCHERS.get(key)
    if not (cached and cached[0] == size):
        m = Matcher(build_lexicon(store))
        m.space = semantic.space_for(store, m.lexicon)      # the semantic component
        _MATCHERS[key] = (size, m)
    m = _MATCHERS[key][1]
    try:
        m.model, m.model_problem = learned.model_of(store), None   # the latest learned layer
    except PockgError as exc:          # e.g. a model of an older linker: words and meaning alone
        m.model, m.model_problem = None, f"{exc}; linking without the learned layer"
    return m


def link_document(store, document_or_version_iri: str, threshold: float = DEFAULT_THRESHOLD,
                  matcher: Matcher | None = None,
                  components: tuple[str, ...] = LINK_RUN,
                  only: set[str] | None = None) -> list[ox.Quad]:
    """The complete new content of the version's links graph.

    Accepted and rejected links and manual links are kept as they are;
    suggestions still made are kept as they are (same IRI, same date); new
    suggestions are added, and suggestions no longer made are dropped. A
    suggestion that a curator rejected is not made again. Writing the
    result over the graph (``store_links``) twice changes nothing the second
    time.
    """
    version = resolve_version(store, document_or_version_iri)
    m = PASSAGE_RE.match(version + "/p/x")
    graph = links_graph(m["doc"], m["hash"])
    matcher = matcher or matcher_for(store)
    passages = passages_of(store, version)
    texts = {p.id: p.text for p in passages}
    old = {link.iri: link for link in existing_links(store, graph)}
    keep = {iri for iri, link in old.items() if link.status != SUGGESTED or link.creator != LINKER
            or only is not None and not within(matcher, link.body, only)}
    quads: list[ox.Quad] = []
    for iri in sorted(keep):
        quads.extend(_annotation_quads_in_store(store, iri))
    created = now()
    new_iris: set[str] = set()

    def add(passage: str, target: str, start: int, end: int, score: float, derived: str | None,
            reason: dict | None = None):
        iri = annotation_iri(passage, target, start, end)
        if iri in keep or iri in new_iris:
            return
        new_iris.add(iri)
        model = reason.get("model") if reason else None
        if (iri in old and abs(old[iri].score - score) < 5e-4
                and old[iri].model == (model.iri if model is not None else None)):
            quads.extend(_annotation_quads_in_store(store, iri))
            return
        quads.extend(annotation_quads(
            passage, texts[passage], target, start, end, score, SUGGESTED, LINKER, created,
            not matcher.lexicon.is_concept(target), graph, derived, reason))

    for passage, links in document_links(matcher, passages, threshold, matcher.space,
                                         components, getattr(matcher, "model", None)).items():
        for link in links:
            if only is not None and not within(matcher, link.target, only):
                continue
            reason = reason_of(link, texts[passage])
            if link.inherited_from:
                head, mention = link.inherited_from
                add(passage, link.target, 0, len(texts[passage]), link.score,
                    annotation_iri(head, mention.target, mention.start, mention.end), reason)
            for mention in link.mentions:
                add(passage, link.target, mention.start, mention.end, link.score, None, reason)
    if any(q.predicate == CREATOR and q.object.value == LINKER for q in quads):
        quads.extend(linker_quads(graph))
    quads.extend(_models_of(store, quads, getattr(matcher, "model", None), graph))
    people = {q.object for q in quads if q.predicate in (CREATOR, ATTRIBUTED) and q.object.value != LINKER}
    quads.extend(ox.Quad(p, RDF_TYPE, PERSON, _n(graph)) for p in sorted(people, key=str))
    return _dedupe(quads)


_MODEL_IN_GRAPH_Q = """SELECT ?m ?g ?p ?o WHERE { GRAPH ?g { ?m ?p ?o } }"""


def _models_of(store, quads: list[ox.Quad], current, graph: str) -> list[ox.Quad]:
    """The provenance of every model the graph's links name: the current model's
    from itself, an older one's as the graph already holds it."""
    out = []
    for iri in sorted({q.object.value for q in quads if q.predicate == SUGGESTED_BY_MODEL}):
        if current is not None and iri == current.iri:
            out += model_quads(current, graph)
        else:
            rows = store.select(_MODEL_IN_GRAPH_Q, {"m": _n(iri), "g": _n(graph)}).rows
            out += [ox.Quad(_n(iri), r["p"], r["o"], _n(graph)) for r in rows]
    return out


def within(matcher: Matcher, target: str, schemes: set[str]) -> bool:
    """Whether ``target`` is a concept of one of ``schemes`` (scheme ids)."""
    concept = matcher.lexicon.concepts.get(target)
    return concept is not None and concept.scheme in schemes


def reason_of(link, text: str) -> dict:
    """Which components proposed ``link``, with their scores and the closest concept text."""
    match = link.semantic
    return {"lexical": link.lexical,
            "semantic": match.score if match is not None else None,
            "closest": match.closest if match is not None else None,
            "lang": semantic.language(text) if match is not None else None,
            "learned": getattr(link, "learned", None),
            "model": getattr(link, "model", None)}


def _dedupe(quads: list[ox.Quad]) -> list[ox.Quad]:
    seen, out = set(), []
    for q in quads:
        if q not in seen:
            seen.add(q)
            out.append(q)
    return out


def store_links(store, document_or_version_iri: str, threshold: float = DEFAULT_THRESHOLD,
                matcher: Matcher | None = None,
                components: tuple[str, ...] = LINK_RUN,
                only: set[str] | None = None) -> tuple[str, int]:
    """Link one document version and write its links graph; (graph, links in it)."""
    version = resolve_version(store, document_or_version_iri)
    m = PASSAGE_RE.match(version + "/p/x")
    graph = links_graph(m["doc"], m["hash"])
    quads = link_document(store, version, threshold, matcher, components, only)
    store.replace_graphs([graph], quads)
    links = sum(1 for q in quads if q.predicate == RDF_TYPE and q.object == CONCEPT_LINK)
    return graph, links


# -- review ----------------------------------------------------------------------
def set_status(store, annotation_iri: str, status: str, person: str) -> tuple[list[ox.Quad], list[ox.Quad]]:
    """The quads to remove and to add so that ``person`` sets the link's status.

    The status replaces the old one; the person is recorded with
    ``prov:wasAttributedTo`` next to the link's creator, with the time in
    ``dcterms:modified``. Nothing is written.
    """
    new_status = _n(status_iri(status))
    who = _n(person_iri(person))
    quads = [q for q in _annotation_quads_in_store(store, annotation_iri)
             if q.subject.value == annotation_iri]
    if not any(q.predicate == RDF_TYPE and q.object == CONCEPT_LINK for q in quads):
        raise NotFound(f"no concept link {annotation_iri}")
    graph = quads[0].graph_name
    a = _n(annotation_iri)
    creators = {q.object for q in quads if q.predicate == CREATOR}
    removed = [q for q in quads if q.predicate in (LINK_STATUS, MODIFIED)
               or (q.predicate == ATTRIBUTED and q.object not in creators)]
    added = [ox.Quad(a, LINK_STATUS, new_status, graph), ox.Quad(a, MODIFIED, now(), graph)]
    if who not in creators:
        added += [ox.Quad(a, ATTRIBUTED, who, graph), ox.Quad(who, RDF_TYPE, PERSON, graph)]
    keep = set(removed) & set(added)
    return [q for q in removed if q not in keep], [q for q in added if q not in keep]


def manual_link(store, passage_iri: str, start: int, end: int, concept_iri: str,
                person: str) -> list[ox.Quad]:
    """The quads of a link a person adds by selecting text: accepted, score 1."""
    rows = store.select(_TEXT_Q, {"passage": _n(passage_iri)}).rows
    if not rows:
        raise NotFound(f"no passage with text {passage_iri}")
    text = rows[0]["text"].value
    body = concept_iri if concept_iri.startswith(("http://", "https://")) else CONCEPT + concept_iri
    kinds = store.select("SELECT ?c ?t WHERE { VALUES ?c {} ?c a ?t }", {"c": _n(body)}).values("t")
    if not kinds:
        raise NotFound(f"{body} is not in the graph")
    entity = V.SKOS + "Concept" not in kinds
    return annotation_quads(passage_iri, text, body, start, end, 1.0, ACCEPTED,
                            person_iri(person), now(), entity, graph_of_passage(passage_iri))


# -- retrieval --------------------------------------------------------------------
_ABOUT_Q = """
SELECT ?concept ?body ?passage ?link ?exact ?start ?end ?score ?status WHERE {
  VALUES ?concept {}
  ?body skos:broader* ?concept .
  ?link a pockg:ConceptLink ; oa:hasBody ?body ; pockg:linkStatus ?status ; oa:hasTarget ?t .
  ?t oa:hasSource ?passage ; oa:hasSelector ?qs , ?ps .
  ?qs oa:exact ?exact .
  ?ps oa:start ?start ; oa:end ?end .
  OPTIONAL { ?link pockg:score ?score }
}
"""


def passages_about(store, concept_iri: str, status: Iterable[str] = ("LS-accepted",)) -> list[dict]:
    """Every linked passage about the concept or any narrower concept (skos:broader*).

    One row per link: passage, link, body (the concept linked, perhaps a
    narrower one), exact quote, offsets, score and status; ``status`` names
    the statuses that count (default: accepted links only).
    """
    wanted = {status_iri(s) for s in status}
    body = concept_iri if concept_iri.startswith(("http://", "https://")) else CONCEPT + concept_iri
    rows = store.select(_ABOUT_Q, {"concept": _n(body)}).rows
    out = []
    for r in rows:
        if r["status"].value not in wanted:
            continue
        out.append({"passage": r["passage"].value, "link": r["link"].value, "body": r["body"].value,
                    "exact": r["exact"].value, "start": int(r["start"].value),
                    "end": int(r["end"].value), "status": r["status"].value,
                    "score": float(r["score"].value) if "score" in r else None})
    out.sort(key=lambda d: (d["passage"], d["start"], d["body"]))
    return out


def lexicon_of(store) -> Lexicon:
    return matcher_for(store).lexicon

"""What a strategy covers, read from the documents about it.

A stored document can be declared the text of a strategy or mandate, or a
report or evaluation about a strategy, mandate or mission (``pockg ingest
--about ID --role ROLE``, ``pockg document set``, the document page, or
data/document-roles/ for the curated data). Its accepted concept links then
become evidence of the strategy's coverage::

    <doc> pockg:isTextOf | pockg:reportsOn | pockg:evaluates <target>
        in user/public/document-about/<doc id>   (declared by a curator)
        or graph/document-roles                  (declared in data/)

    <strategy> pockg:addresses <concept> .       in user/public/coverage/<doc id>
    <claim> a pockg:Claim, rdf:Statement ; rdf:subject <strategy> ;
        rdf:predicate pockg:addresses ; rdf:object <concept> ;
        prov:wasDerivedFrom <passage> ; pockg:hasEvidence [the linked words] ;
        pockg:verificationStatus VS-L ; pockg:documentRole DR-text|report|evaluation ;
        prov:wasAttributedTo <reviewer> ; pockg:basedOnLink <annotation> .

so the comparison matrices (which read ``pockg:addresses``) fill the cell,
with the passage, the quote, the reviewer and the role as its evidence.

Which passages count: a document about one strategy (and nothing else)
gives all its passages to that strategy. A document about several gives a
strategy only the passages that are themselves linked, by an accepted link,
to that strategy or its mission. Only accepted links count: a suggestion
nobody accepted never fills a cell, a rejected one never shows.

The coverage graph of a document is computed whole from the store and
written over the old one (``refresh``) after every change that can alter it:
a review, a new version, a declaration, a build.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pyoxigraph as ox

from pockg import vocab as V
from pockg.errors import NotFound, PockgError

ABOUT_GRAPH = V.USER + "public/document-about/"
COVERAGE_GRAPH = V.USER + "public/coverage/"
CURATED_ROLES_GRAPH = V.graph("document-roles")

# role name -> (the document's property, the role concept)
ROLES = {
    "text": ("isTextOf", "DR-text"),
    "report": ("reportsOn", "DR-report"),
    "evaluation": ("evaluates", "DR-evaluation"),
}
ROLE_OF_PROPERTY = {V.term(prop): name for name, (prop, _) in ROLES.items()}
# what a document can be about, and the roles each kind admits
TARGET_KINDS = {
    V.term("ProtectionStrategy"): ("strategy", set(ROLES)),
    V.term("Resolution"): ("mandate", set(ROLES)),
    V.term("PeaceOperation"): ("mission", {"report", "evaluation"}),
}
# the schemes whose accepted links say what a strategy covers
COVERAGE_SCHEMES = ("tier-2010", "tier-2015", "risk-category", "vulnerable-group",
                    "vulnerability-factor", "framework-element", "aor", "capacity-type",
                    "coordination-level", "activity-type")
ACCEPTED = V.ID + "concept/LS-accepted"
BASED_ON_LINK = V.term("basedOnLink")
DOC_LINK_STATUS = V.ID + "concept/VS-L"


class RoleError(PockgError):
    """A declaration of what a document is cannot be made as asked."""

    exit_code = 2
    http_status = 422
    prefix = "document role error"


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def about_graph(doc_id: str) -> str:
    return ABOUT_GRAPH + doc_id


def coverage_graph(doc_id: str) -> str:
    return COVERAGE_GRAPH + doc_id


def doc_id_of(document_iri: str) -> str:
    return document_iri[len(V.ID + "document/"):]


# -- declaring what a document is ----------------------------------------------------
@dataclass(frozen=True)
class Declaration:
    document: str        # document IRI
    target: str          # strategy, resolution or operation IRI
    role: str            # text, report, evaluation
    kind: str            # strategy, mandate, mission

    def to_dict(self) -> dict:
        return {"document": self.document, "about": V.compact(self.target), "role": self.role,
                "kind": self.kind}


_KIND_Q = "SELECT ?t WHERE { VALUES ?x {} ?x a ?t }"
_DOC_Q = """ASK { VALUES ?doc {} { ?doc pockg:currentVersion ?v } UNION { ?doc a pockg:Document } }"""


def target_iri(store, about: str, role: str) -> tuple[str, str]:
    """An id path (``strategy/UNMISS-2012``, ``resolution/1925``, ``operation/MONUC``) or an
    IRI -> (IRI, kind), checked against the graph and the role."""
    if role not in ROLES:
        raise RoleError(f"unknown role {role!r}: use text, report or evaluation")
    iri = about.strip()
    if not iri.startswith(("http://", "https://")):
        iri = V.ID + iri.strip("/")
    types = set(store.select(_KIND_Q, {"x": _n(iri)}).values("t"))
    for cls, (kind, roles) in TARGET_KINDS.items():
        if cls in types:
            if role not in roles:
                raise RoleError(f"a document cannot be the {role} of a {kind} ({about}): "
                                f"use {' or '.join(sorted(roles))}")
            return iri, kind
    if types:
        raise RoleError(f"{about} is not a strategy, a resolution or an operation, so a "
                        f"document cannot be declared about it")
    raise NotFound(f"the graph has no {about}: name a strategy (strategy/UNMISS-2012), a "
                   f"resolution (resolution/1925) or an operation (operation/MONUC) "
                   f"as its id path")


def declaration_quads(store, doc_id: str, abouts: list[str],
                      role: str) -> tuple[list[ox.Quad], list[Declaration]]:
    """The content of the document's declaration graph: it is ``role`` of each of ``abouts``
    (none: the declaration is withdrawn), and the declarations it makes. Checks the
    document and every target."""
    doc = _n(V.entity("document", doc_id))
    if not store.ask(_DOC_Q, {"doc": doc}):
        raise NotFound(f"no stored document {doc_id!r} (ingest it first: pockg ingest FILE)")
    g = _n(about_graph(doc_id))
    quads, made = [], []
    for about in abouts:
        iri, kind = target_iri(store, about, role)
        quads.append(ox.Quad(doc, _n(V.term(ROLES[role][0])), _n(iri), g))
        made.append(Declaration(doc.value, iri, role, kind))
    return quads, made


_DECLARED_Q = """
SELECT ?doc ?p ?target ?t ?g WHERE {
  VALUES ?p { pockg:isTextOf pockg:reportsOn pockg:evaluates }
  GRAPH ?g { ?doc ?p ?target }
  ?target a ?t .
  FILTER(?t IN (pockg:ProtectionStrategy, pockg:Resolution, pockg:PeaceOperation))
}"""


def declarations(store, document: str | None = None,
                 leave_out: str | None = None) -> list[Declaration]:
    """What each document (or the one given, by IRI) is declared to be, in any graph
    but ``leave_out``."""
    q = _DECLARED_Q if document is None else _DECLARED_Q.replace(
        "GRAPH ?g { ?doc ?p ?target }", "VALUES ?doc {} GRAPH ?g { ?doc ?p ?target }")
    rows = store.select(q, {"doc": _n(document)} if document else None).rows
    out = {Declaration(r["doc"].value, r["target"].value, ROLE_OF_PROPERTY[r["p"].value],
                       TARGET_KINDS[r["t"].value][0]) for r in rows
           if r["g"].value != leave_out}
    return sorted(out, key=lambda d: (d.document, d.kind, d.target))


# -- what the declarations give ------------------------------------------------------
_VERSION_Q = """SELECT ?v WHERE { VALUES ?doc {} ?doc pockg:currentVersion ?v }"""

_ACCEPTED_Q = """
SELECT ?passage ?link ?body ?exact ?who WHERE {
  VALUES ?part {}
  ?passage dcterms:isPartOf ?part .
  ?t oa:hasSource ?passage .
  ?link oa:hasTarget ?t ; a pockg:ConceptLink ; pockg:linkStatus <%s> ;
        oa:hasBody ?body .
  ?t oa:hasSelector ?qs . ?qs oa:exact ?exact .
  OPTIONAL { ?link prov:wasAttributedTo ?who }
}""" % ACCEPTED

_COVERED_Q = """
SELECT ?c WHERE { VALUES ?scheme { %s } ?c skos:inScheme ?scheme }""" % " ".join(
    f"<{V.ID}scheme/{s}>" for s in COVERAGE_SCHEMES)

_STRATEGIES_OF_MISSION_Q = """
SELECT ?s ?m WHERE { VALUES ?s {} ?s pockg:mission ?m }"""


def _reviewer(people: set[str]) -> str | None:
    """The person who accepted the link (not the linker that suggested it)."""
    persons = sorted(p for p in people if p != V.ID + "agent/pockg-linker")
    return persons[0] if persons else None


def coverage_quads(store, doc_id: str,
                   declared: list[Declaration] | None = None) -> list[ox.Quad]:
    """The complete content of the document's coverage graph (``declared``: what the
    document is, if not as the store says)."""
    doc = V.entity("document", doc_id)
    declared = declarations(store, doc) if declared is None else declared
    strategies = [d for d in declared if d.kind == "strategy"]
    if not strategies:
        return []
    whole = len({d.target for d in declared}) == 1
    # an ingested document's passages belong to its current version, a curated one's to it
    part = (store.select(_VERSION_Q, {"doc": _n(doc)}).values("v") or [doc])[0]
    rows = store.select(_ACCEPTED_Q, {"part": _n(part)}).rows
    covered = set(store.select(_COVERED_Q).values("c"))
    # per link: passage, body, words, reviewers
    links: dict[str, dict] = {}
    for r in rows:
        link = links.setdefault(r["link"].value, {"passage": r["passage"].value,
                                                  "body": r["body"].value,
                                                  "exact": r["exact"].value, "who": set()})
        if "who" in r:
            link["who"].add(r["who"].value)
    linked_to: dict[str, set[str]] = {}
    for link in links.values():
        linked_to.setdefault(link["passage"], set()).add(link["body"])
    g = _n(coverage_graph(doc_id))
    out: list[ox.Quad] = []
    for d in strategies:
        mission = store.select(_STRATEGIES_OF_MISSION_Q, {"s": _n(d.target)}).values("m")
        names = {d.target, *mission}
        role = _n(V.ID + "concept/" + ROLES[d.role][1])
        for iri, link in sorted(links.items()):
            if link["body"] not in covered:
                continue
            if not whole and not (linked_to[link["passage"]] & names):
                continue
            out += _claim(g, d.target, link["body"], link, iri, role)
    return out


def _claim(g, strategy: str, concept: str, link: dict, link_iri: str, role) -> list[ox.Quad]:
    s, o, p = _n(strategy), _n(concept), _n(V.term("addresses"))
    digest = hashlib.sha1(f"{strategy}|addresses|{concept}|{link_iri}".encode()).hexdigest()[:20]
    claim = _n(V.ID + "claim/doc-" + digest)
    ev, sel = _n(claim.value + "-evidence"), _n(claim.value + "-quote")
    passage = _n(link["passage"])
    rdf = V.RDF
    triples = [
        (s, p, o),
        (claim, _n(rdf + "type"), _n(V.term("Claim"))),
        (claim, _n(rdf + "type"), _n(rdf + "Statement")),
        (claim, _n(rdf + "subject"), s), (claim, _n(rdf + "predicate"), p),
        (claim, _n(rdf + "object"), o),
        (claim, _n(V.PROV + "wasDerivedFrom"), passage),
        (claim, _n(V.term("verificationStatus")), _n(DOC_LINK_STATUS)),
        (claim, _n(V.term("documentRole")), role),
        (claim, _n(BASED_ON_LINK), _n(link_iri)),
        (claim, _n(V.term("hasEvidence")), ev),
        (ev, _n(rdf + "type"), _n(V.OA + "SpecificResource")),
        (ev, _n(V.OA + "hasSource"), passage), (ev, _n(V.OA + "hasSelector"), sel),
        (sel, _n(rdf + "type"), _n(V.OA + "TextQuoteSelector")),
        (sel, _n(V.OA + "exact"), ox.Literal(link["exact"])),
    ]
    reviewer = _reviewer(link["who"])
    if reviewer:
        triples.append((claim, _n(V.PROV + "wasAttributedTo"), _n(reviewer)))
    return [ox.Quad(a, b, c, g) for a, b, c in triples]


def claims_in(quads) -> int:
    """How many claims of coverage these quads hold (one per accepted link and strategy)."""
    return sum(1 for q in quads if q.predicate.value == BASED_ON_LINK)


def refresh(store, doc_ids: list[str] | None = None) -> dict[str, int]:
    """Rewrite the coverage graphs of ``doc_ids`` (default: every document with a
    declaration or a coverage graph) in one transaction; returns the claims per
    document. A document with neither is left alone: nothing is written for it."""
    has_graph = {g[len(COVERAGE_GRAPH):] for g in store.named_graphs()
                 if g.startswith(COVERAGE_GRAPH)}
    if doc_ids is None:
        doc_ids = sorted(has_graph | {doc_id_of(d.document) for d in declarations(store)})
    owned, quads, counts = [], [], {}
    for doc_id in doc_ids:
        declared = declarations(store, V.entity("document", doc_id))
        if not declared and doc_id not in has_graph:
            continue                  # never declared, nothing to undo
        found = coverage_quads(store, doc_id, declared)
        owned.append(coverage_graph(doc_id))
        counts[doc_id] = claims_in(found)
        quads += found
    if owned:
        store.replace_graphs(owned, quads)
    return counts


def declare(store, doc_id: str, abouts: list[str], role: str) -> dict[str, int]:
    """Declare (or, with no ``abouts``, withdraw) what a document is and rewrite its
    coverage, in one write. Returns the claims its coverage now holds."""
    quads, made = declaration_quads(store, doc_id, abouts, role)
    doc = V.entity("document", doc_id)
    declared = sorted(set(made) | set(declarations(store, doc, leave_out=about_graph(doc_id))),
                      key=lambda d: (d.kind, d.target))
    coverage = coverage_quads(store, doc_id, declared)
    store.replace_graphs([about_graph(doc_id), coverage_graph(doc_id)], quads + coverage)
    return {doc_id: claims_in(coverage)}

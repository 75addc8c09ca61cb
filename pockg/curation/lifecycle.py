"""The lessons-learned lifecycle as rules: transitions, the least role for
each, the initial state and the published states.

They decide who may publish what, so they are read only from the graph
``pockg build`` makes from data/lifecycle (``RULES_GRAPH``), never from the
whole store: triples about transitions or states in any other graph (an RDF
upload, a document) change nothing. The graph name is bound as a query
parameter, so no query text is spliced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyoxigraph as ox

from pockg import vocab as V
from pockg.errors import NotFound

RULES_GRAPH = V.graph("lifecycle")


@dataclass
class Transition:
    id: str
    label: str
    sources: list[str]
    target: str
    role: str
    requires: list[str] = field(default_factory=list)


def _rules() -> dict:
    return {"rules": ox.NamedNode(RULES_GRAPH)}


def transitions(store) -> list[Transition]:
    """Every allowed transition, by id."""
    rows = store.select("""
        SELECT ?t ?id ?label ?from ?to ?role ?req WHERE { VALUES ?rules {} GRAPH ?rules {
          ?t a pockg:LifecycleTransition ; dcterms:identifier ?id ; pockg:fromState ?from ;
             pockg:toState ?to ; pockg:allowedRole ?role .
          OPTIONAL { ?t rdfs:label ?label FILTER(lang(?label) = "en") }
          OPTIONAL { ?t pockg:requiresField ?req } } }""", _rules()).rows
    found: dict[str, Transition] = {}
    for row in rows:
        t = found.setdefault(row["id"].value, Transition(
            row["id"].value, row["label"].value if "label" in row else row["id"].value,
            [], row["to"].value, row["role"].value))
        if row["from"].value not in t.sources:
            t.sources.append(row["from"].value)
        if "req" in row and row["req"].value not in t.requires:
            t.requires.append(row["req"].value)
    return sorted(found.values(), key=lambda t: t.id)


def initial_state(store) -> str:
    """The state a new lesson starts in."""
    rows = store.select("""SELECT ?c WHERE { VALUES ?rules {} GRAPH ?rules {
        ?c pockg:isInitialState true } }""", _rules()).rows
    if not rows:
        raise NotFound("the lifecycle is not in the graph (run `pockg build`)")
    return rows[0]["c"].value


def published_states(store) -> set[str]:
    """The states in which a lesson is published (outside the draft tier)."""
    rows = store.select("""SELECT ?c WHERE { VALUES ?rules {} GRAPH ?rules {
        ?c pockg:isPublishedState true } }""", _rules()).rows
    return {r["c"].value for r in rows}

"""A query's cost by its shape (web/query_cost.py): the reserved worker is kept
for cheap ones, whoever sends them (finding 6 of the red-team pass)."""

from __future__ import annotations

import pytest

from pockg.config import REPO_ROOT
from web.query_cost import estimate
from web.sparql import DEFAULT_QUERY

LIBRARY = sorted((REPO_ROOT / "queries").glob("*.rq"))


@pytest.mark.parametrize("path", LIBRARY, ids=[p.stem for p in LIBRARY])
def test_every_library_query_is_cheap(path):
    cost = estimate(path.read_text(encoding="utf-8"))
    assert cost.cheap, cost.reasons


@pytest.mark.parametrize("query", [
    DEFAULT_QUERY,
    "ASK { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 10",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 5",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <urn:C> ; ?p ?o }",
    "SELECT ?x WHERE { ?x a <urn:C> FILTER NOT EXISTS { ?x <urn:p> ?y } }",
    "SELECT * WHERE { ?x a <urn:C> . ?x <urn:p>/<urn:q>* ?y }",
    "DESCRIBE <urn:x>",
])
def test_selective_or_bounded_queries_are_cheap(query):
    cost = estimate(query)
    assert cost.cheap, cost.reasons


@pytest.mark.parametrize("query,reason", [
    ("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }", "cross product"),
    ("SELECT ?a ?b WHERE { ?a a ?t . ?b a ?u }", "cross product"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "scans"),
    ("SELECT ?s WHERE { ?s ?p ?o FILTER(STRLEN(STR(?o)) > 200) } LIMIT 5", "scans"),
    ("SELECT * WHERE { ?s ?p ?o } ORDER BY ?o LIMIT 5", "scans"),
    ("SELECT * WHERE { ?s !<urn:x:p> ?o }", "scans"),
    ("SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:x:p>|!<urn:x:p>)* ?o }", "property path"),
    ("SELECT * WHERE { ?s <urn:p>+ ?o }", "property path"),
])
def test_shapes_that_are_costly_whatever_the_data(query, reason):
    cost = estimate(query)
    assert not cost.cheap and any(reason in r for r in cost.reasons)


def test_a_query_of_many_patterns_is_costly_without_comparing_them_pairwise():
    """A 64 KB list of objects (~30,000 patterns) once took 30 s to estimate, pair by pair."""
    query = "SELECT * WHERE { <urn:s> <urn:p> " + ",".join(["1"] * 30_000) + " }"
    cost = estimate(query)
    assert not cost.cheap and "more than" in cost.reasons[0]

"""The store facade: union default graph, bound parameters, clear errors."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pockg.errors import QueryError, StoreError
from pockg.store import open_store

EX = "http://example.org/"


def quad(s, o, g):
    return ox.Quad(ox.NamedNode(EX + s), ox.NamedNode(EX + "p"), ox.Literal(o), ox.NamedNode(EX + g))


@pytest.fixture
def store():
    s = open_store(":memory:")
    s.extend([quad("a", "one", "g1"), quad("b", "two", "g2")])
    return s


def test_queries_see_the_union_of_named_graphs_as_default_graph(store):
    assert sorted(store.select("SELECT ?o WHERE { ?s <http://example.org/p> ?o }").values("o")) == ["one", "two"]


def test_parameters_are_bound_as_terms_not_spliced(store):
    hostile = ox.Literal('one" } UNION { ?s ?p ?o } #')
    q = "SELECT ?s ?o WHERE { ?s <http://example.org/p> ?o }"
    assert store.select(q, {"o": ox.Literal("one")}).values("s") == [EX + "a"]
    assert store.select(q, {"o": hostile}).rows == []


def test_malformed_query_is_a_query_error_with_the_parser_message(store):
    with pytest.raises(QueryError, match="malformed SPARQL"):
        store.select("SELECT ?s WHERE { ?s ")


def test_replace_graphs_is_all_or_nothing(store):
    before = {str(q) for q in store.quads()}
    bad = ox.Quad(ox.NamedNode(EX + "s"), ox.NamedNode(EX + "p"), ox.Literal("x"), ox.BlankNode())
    with pytest.raises(StoreError):
        store.replace_graphs([EX + "g1"], [quad("c", "three", "g1"), bad])
    assert {str(q) for q in store.quads()} == before


def test_replace_graphs_drops_only_the_owned_graphs(store):
    store.replace_graphs([EX + "g1"], [quad("c", "three", "g1")])
    assert sorted(store.select("SELECT ?o WHERE { ?s ?p ?o }").values("o")) == ["three", "two"]


def test_on_disk_store_persists_and_refuses_a_second_writer(tmp_path):
    path = tmp_path / "store"
    first = open_store(path)
    first.extend([quad("a", "one", "g1")])
    with pytest.raises(StoreError, match="in use by another process"):
        open_store(path)
    first.close()
    assert open_store(path, read_only=True).select("SELECT ?o WHERE { ?s ?p ?o }").values("o") == ["one"]


def test_binding_a_variable_the_query_does_not_project_is_a_query_error(store):
    with pytest.raises(QueryError, match="cannot bind"):
        store.select("SELECT ?s WHERE { ?s ?p ?o }", {"o": ox.Literal("one")})


def test_a_bound_variable_with_a_values_placeholder_is_bound_there(store):
    q = "SELECT ?s ?o WHERE { VALUES ?o {} ?s <http://example.org/p> ?o }"
    assert store.select(q, {"o": ox.Literal("one")}).values("s") == [EX + "a"]
    hostile = ox.Literal('one" } UNION { ?s ?p ?o } #')
    assert store.select(q, {"o": hostile}).rows == []        # a term, serialised: no injection


def test_a_placeholder_left_without_a_value_is_an_error_not_an_empty_answer(store):
    q = "SELECT ?s WHERE { VALUES ?s {} VALUES ?o {} ?s <http://example.org/p> ?o }"
    with pytest.raises(QueryError, match=r"no value given for the parameter\(s\) o"):
        store.select(q, {"s": ox.NamedNode(EX + "a")})

"""`pockg build`: each source in its own graph, provenance alongside direct
edges, atomic replacement of build graphs only, inference materialised."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pockg import vocab as V
from pockg.build import build
from pockg.errors import StoreError, ValidationFailed
from pockg.store import open_store

LESSON = ox.Quad(ox.NamedNode("https://w3id.org/pockg/id/lesson/L1"),
                 ox.NamedNode(V.SKOS + "prefLabel"),
                 ox.Literal("a lesson curated in the browser", language="en"),
                 ox.NamedNode(V.USER + "lessons"))


def content(store, skip_meta=True) -> set:
    """Quads as strings; blank nodes (OWL axioms in the ontology graph) are
    renamed by every parse, so they are counted per graph instead."""
    meta = V.graph("meta")
    out, blanks = set(), {}
    for q in store.quads():
        if skip_meta and q.graph_name.value == meta:
            continue
        if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode):
            blanks[q.graph_name.value] = blanks.get(q.graph_name.value, 0) + 1
        else:
            out.add(str(q))
    return out | {f"{g} has {n} blank-node quads" for g, n in blanks.items()}


def test_rebuild_keeps_user_graphs_and_gives_the_same_graph(data_copy):
    store = open_store(data_copy.store)
    build(data_copy, store)
    first = content(store)
    store.extend([LESSON])
    build(data_copy, store)
    assert LESSON in set(store.quads())
    assert content(store) - {str(LESSON)} == first


def test_failed_write_leaves_the_store_as_it_was(data_copy):
    store = open_store(data_copy.store)
    build(data_copy, store)
    before = content(store, skip_meta=False)
    bad = ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                  ox.Literal("o"), ox.BlankNode("not-a-graph-name"))
    with pytest.raises(StoreError, match="nothing was changed"):
        store.replace_graphs(store.named_graphs(), [bad])
    assert content(store, skip_meta=False) == before


def test_validation_failure_names_the_file_and_leaves_the_store(data_copy):
    store = open_store(data_copy.store)
    build(data_copy, store)
    before = content(store, skip_meta=False)
    (data_copy.data_dir / "resolutions" / "zz-resolution-without-date.yaml").write_text(
        'id: "9999"\nnumber: 9999\nyear: 2099\ncite: workshop-2010 ¶1.1\n', encoding="utf-8")
    with pytest.raises(ValidationFailed) as info:
        build(data_copy, store)
    assert "data/resolutions/zz-resolution-without-date.yaml:1: 9999: resolution has no date" \
        in str(info.value)
    assert content(store, skip_meta=False) == before


def test_each_claim_sits_in_the_graph_of_its_own_source(store):
    rows = store.select("""
        SELECT ?g ?claim ?from WHERE { GRAPH ?g { ?claim a pockg:Claim ; prov:wasDerivedFrom ?from } }
    """).rows
    assert rows
    for row in rows:
        source_id = row["g"].value.removeprefix(V.graph("source/"))
        derived = row["from"].value
        assert derived.removeprefix(V.ID).split("/")[1] == source_id, (row["g"], derived)


def test_every_source_graph_has_provenance_metadata(store):
    missing = store.select("""
        SELECT ?g WHERE {
          GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), "https://w3id.org/pockg/graph/source/"))
          FILTER NOT EXISTS { GRAPH <https://w3id.org/pockg/graph/meta> {
            ?g prov:wasDerivedFrom ?src ; prov:generatedAtTime ?t ; void:triples ?n } }
        } GROUP BY ?g""").values("g")
    assert missing == []


def test_a_fact_is_a_direct_edge_with_a_claim_node_citing_the_paragraph(store):
    rows = store.select("""
        SELECT ?lead ?passage ?quote WHERE {
          <https://w3id.org/pockg/id/strategy/MONUC-2009> pockg:draftingLead ?lead .
          ?claim rdf:subject <https://w3id.org/pockg/id/strategy/MONUC-2009> ; rdf:predicate pockg:draftingLead ;
                 rdf:object ?lead ; prov:wasDerivedFrom ?passage .
          OPTIONAL { ?claim pockg:hasEvidence/oa:hasSelector/oa:exact ?quote }
        }""").rows
    assert rows
    assert {r["lead"].value for r in rows} == {V.entity("actor", "MONUC-CA")}
    assert V.entity("document", "workshop-2010") + "/p/8.2.1" in {r["passage"].value for r in rows}


def test_build_materialises_system_wide_strategy_in_the_inferred_graph(store):
    rows = store.select("""
        SELECT ?s WHERE { GRAPH <https://w3id.org/pockg/graph/inferred> { ?s a pockg:SystemWideStrategy } }
    """).values("s")
    assert V.entity("strategy", "MONUC-2009") in rows
    assert V.entity("strategy", "UNAMID-2009") not in rows


def test_no_unverified_fact_is_loaded(store):
    assert store.ask("ASK { ?c pockg:verificationStatus ?s . FILTER(STRENDS(STR(?s), '/VS-U')) }") is False


def test_build_reports_counts_per_graph_and_class(built):
    _, report = built
    assert report.graphs[V.graph("source/workshop-2010")] > 0
    assert report.classes[V.POCKG + "Recommendation"] == 44
    assert report.total == sum(report.graphs.values())

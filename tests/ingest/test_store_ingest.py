"""Ingest into the store: stable IRIs, named graphs, idempotent re-ingest,
versions linked to the previous one, all-or-nothing batches."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from support import FIXTURES

from pockg import vocab as V
from pockg.errors import IngestError
from pockg.ingest import ingest, rdf, read_document
from pockg.store import open_store

BASE = "https://w3id.org/pockg/id/document/"
USER = "https://w3id.org/pockg/user/public/document/"


def quads(store):
    return sorted(map(str, store.quads()))


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "report.txt"
    path.write_text("## 8.2 Key Drafting Considerations\n\n8.2.1 Who drafts matters.[^1]\n\n"
                    "- first point\n\n8.2.2 Consult early.\n\n[^1]: See the 2009 study.\n", encoding="utf-8")
    return path


def test_document_version_and_passages_get_stable_iris_in_their_own_graphs(report):
    store = open_store(":memory:")
    [result] = ingest(store, [report])
    doc = read_document(report)
    version = f"{BASE}report/v/{doc.content_hash[:12]}"
    assert (result.status, result.doc_id, result.version) == ("new", "report", version)
    assert store.named_graphs() == [f"{USER}report", f"{USER}report/{doc.content_hash[:12]}"]
    rows = store.select("""SELECT ?doc ?p ?n ?order ?text ?label ?section ?note WHERE {
        ?doc pockg:currentVersion ?v . ?v pockg:hasPassage ?p . ?p dcterms:isPartOf ?v ;
        a pockg:Passage ; pockg:number ?n ; pockg:order ?order ; pockg:text ?text ; rdfs:label ?label .
        OPTIONAL { ?p pockg:inSection ?section } OPTIONAL { ?p pockg:hasFootnote ?note } }
        ORDER BY ?order""", {"doc": ox.NamedNode(BASE + "report")}).rows
    assert [r["n"].value for r in rows] == ["8.2", "8.2.1", "8.2.2", "fn1"]
    assert rows[1]["p"].value == f"{version}/p/8.2.1"
    assert rows[1]["text"].value == "Who drafts matters.\n- first point"
    assert rows[1]["label"].value == "¶8.2.1"
    assert rows[1]["section"].value == f"{version}/p/8.2"
    assert rows[1]["note"].value == f"{version}/p/fn1"
    assert store.ask(f"""ASK {{ GRAPH <{USER}report/{doc.content_hash[:12]}> {{
        <{version}> a pockg:DocumentVersion ; dcterms:isVersionOf <{BASE}report> ;
        pockg:contentHash "{doc.content_hash}" ; dcterms:format "text/plain" ; dcterms:created ?c ;
        rdfs:label ?l }} }}""")
    assert store.ask(f"""ASK {{ GRAPH <{USER}report> {{ <{BASE}report> a pockg:Document ;
        pockg:currentVersion <{version}> ; rdfs:label ?l }} }}""")
    assert store.ask(f"ASK {{ <{version}/p/8.2> a pockg:Heading . <{version}/p/fn1> a pockg:Footnote . "
                     f"<{version}/p/8.2.1> a pockg:Paragraph }}")


def test_reingesting_the_same_file_changes_nothing(report):
    store = open_store(":memory:")
    ingest(store, [report])
    before = quads(store)
    [again] = ingest(store, [report])
    assert again.status == "unchanged" and again.previous is None
    assert quads(store) == before


def test_new_content_is_a_new_version_linked_to_the_old(report):
    store = open_store(":memory:")
    [first] = ingest(store, [report])
    report.write_text(report.read_text(encoding="utf-8") + "\n8.2.3 A new paragraph.\n", encoding="utf-8")
    [second] = ingest(store, [report])
    assert second.status == "version" and second.previous == first.version != second.version
    assert store.ask(f"ASK {{ <{second.version}> prov:wasRevisionOf <{first.version}> }}")
    current = store.select(f"SELECT ?v WHERE {{ <{BASE}report> pockg:currentVersion ?v }}").values("v")
    assert current == [second.version]
    # the old version and its passages are still there, in their own graph
    assert store.ask(f"ASK {{ <{first.version}> pockg:hasPassage <{first.version}/p/8.2.1> }}")
    assert len(store.named_graphs()) == 3


def test_a_failed_file_in_a_batch_stores_nothing(report):
    store = open_store(":memory:")
    with pytest.raises(IngestError) as caught:
        ingest(store, [report, FIXTURES / "ingest" / "junk-binary.txt"])
    assert "junk-binary.txt" in caught.value.message
    assert len(store) == 0


def test_a_batch_is_written_in_one_transaction(report, tmp_path):
    other = tmp_path / "other.md"
    other.write_text("# Other\n\nText.\n", encoding="utf-8")
    store = open_store(":memory:")
    results = ingest(store, [report, other], progress=lambda m: None)
    assert [r.status for r in results] == ["new", "new"]
    assert len(store.named_graphs()) == 4


def test_the_id_option_names_the_document_and_takes_one_file(report, tmp_path):
    store = open_store(":memory:")
    [result] = ingest(store, [report], doc_id="S-2010-164")
    assert result.document == BASE + "S-2010-164"
    with pytest.raises(IngestError, match="--id names one document"):
        ingest(store, [report, report], doc_id="x")


def test_two_files_that_would_share_an_id_are_refused(tmp_path):
    (tmp_path / "a.txt").write_text("One.", encoding="utf-8")
    (tmp_path / "a.md").write_text("Two.", encoding="utf-8")
    store = open_store(":memory:")
    with pytest.raises(IngestError, match="would both be document 'a'"):
        ingest(store, [tmp_path / "a.txt", tmp_path / "a.md"])
    assert len(store) == 0


def test_unnumbered_passage_keys_are_percent_encoded_in_iris(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("Some text.\n\nMore text.\n", encoding="utf-8")
    store = open_store(":memory:")
    [result] = ingest(store, [path])
    rows = store.select(f"SELECT ?p ?n WHERE {{ <{result.version}> pockg:hasPassage ?p . ?p pockg:number ?n }} "
                        "ORDER BY ?n").rows
    assert [(r["p"].value, r["n"].value) for r in rows] == [
        (f"{result.version}/p/%231", "#1"), (f"{result.version}/p/%232", "#2")]
    assert rdf.passage_iri("v", "#12") == "v/p/%2312" and rdf.passage_iri("v", "8.4.1") == "v/p/8.4.1"


def test_operative_paragraphs_are_typed(tmp_path):
    store = open_store(":memory:")
    [result] = ingest(store, [FIXTURES / "ingest" / "resolution-operative.txt"])
    ops = store.select(f"SELECT ?n WHERE {{ ?p dcterms:isPartOf <{result.version}> ; "
                       "a pockg:OperativeParagraph, pockg:Paragraph ; pockg:number ?n } ORDER BY ?n")
    assert ops.values("n") == ["1", "2", "3", "4"]


def test_every_term_written_is_declared_in_the_ontology(report):
    declared = set(V.CLASSES) | set(V.OBJECT_PROPERTIES) | set(V.DATATYPE_PROPERTIES)
    doc = read_document(report)
    used = {t.value for q in rdf.document_quads(doc, previous=BASE + "x/v/0")
            for t in (q.predicate, q.object) if isinstance(t, ox.NamedNode) and t.value.startswith(V.POCKG)}
    assert {u[len(V.POCKG):] for u in used} <= declared


def test_ingest_never_touches_graphs_it_does_not_own(report):
    store = open_store(":memory:")
    other = ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o"),
                    ox.NamedNode("https://w3id.org/pockg/graph/source/x"))
    store.extend([other])
    ingest(store, [report])
    assert other in set(store.quads())

"""The workshop report linked to its concepts (issue 13, section 4).

``data/links/workshop-2010.yaml`` holds the reviewed links of the report's 86
numbered passages; ``pockg build`` loads them as Web Annotations attributed
to the curated data set, so the passage queries, the tier comparison and the
concept pages find the report on a fresh build. The report's text is read
from ../shared (never from the repository); tests that need it are skipped,
saying why, where it is absent.
"""

from __future__ import annotations

import json
import re

import pyoxigraph as ox
import pytest
from support import require_report

from loaders.links import CURATED_AGENT, links_graph
from pockg import vocab as V
from pockg.config import REPO_ROOT
from pockg.errors import DataError
from pockg.library import QueryLibrary
from pockg.yamlio import read_yaml

LINKS = REPO_ROOT / "data" / "links" / "workshop-2010.yaml"
GOLD = REPO_ROOT / "tests" / "gold" / "workshop-2010.jsonl"
DOC = V.ID + "document/workshop-2010"
C = V.ID + "concept/"
GRAPH = links_graph("workshop-2010")
ASKED = ("T1", "T2", "T3", "VG-IDP", "FE7")   # the concepts the issue names


def passage_iri(n: str) -> str:
    return f"{DOC}/p/{n}"


@pytest.fixture(scope="module")
def links() -> dict:
    return read_yaml(LINKS, "data/links/workshop-2010.yaml")


@pytest.fixture(scope="module")
def by_passage(links) -> dict[str, list[dict]]:
    return {str(p["n"]): list(p["links"]) for p in links["passages"]}


@pytest.fixture(scope="module")
def gold() -> dict[str, set[str]]:
    rows = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line]
    return {row["passage"]: set(row["concepts"]) for row in rows}


@pytest.fixture(scope="module")
def report_passages():
    """The report's passages as `pockg ingest` reads them (the offsets' reference text)."""
    from pockg.ingest import read_document

    doc = read_document(require_report(), doc_id="workshop-2010")
    return {p.key: p.text for p in doc.passages}


# -- the data file -------------------------------------------------------------

def test_the_file_lists_every_numbered_passage_of_the_report_once(links, gold, store):
    listed = [str(p["n"]) for p in links["passages"]]
    assert len(listed) == len(set(listed)) == 86
    assert listed == list(gold)   # the gold's keys, in the report's reading order
    numbers = set(store.select(f"""
        SELECT ?n WHERE {{ ?p dcterms:isPartOf <{DOC}> ; pockg:number ?n }}""").values("n"))
    assert set(listed) == numbers - {"summary", "annex-programme", "annex-participants"}
    empty = [n for n, p in zip(listed, links["passages"]) if p["links"] == []]
    assert "1" in empty and "9.4" in empty and len(empty) == 28


def test_every_concept_exists_and_is_linked_once_per_passage(by_passage, store):
    notations = set(store.select(
        "SELECT ?n WHERE { ?c a skos:Concept ; skos:notation ?n }").values("n"))
    for n, items in by_passage.items():
        concepts = [link["concept"] for link in items]
        assert len(concepts) == len(set(concepts)), n
        assert set(concepts) <= notations, (n, set(concepts) - notations)
        assert all(link["status"] == "accepted" for link in items), n


def test_the_links_are_the_gold_with_each_difference_explained(by_passage, gold):
    """The reviewed links start from the hand-annotated gold; a link the gold
    lacks says why in its note, and no gold concept is dropped."""
    for n, concepts in gold.items():
        have = {link["concept"] for link in by_passage[n]}
        assert concepts <= have, (n, concepts - have)
        for link in by_passage[n]:
            if link["concept"] not in concepts:
                assert "Not in the gold" in str(link.get("note")), (n, link["concept"])
    extra = {(n, link["concept"]) for n, items in by_passage.items() for link in items
             if link["concept"] not in gold[n]}
    assert extra == {("8.6.2", "CAP-EQP"), ("8.6.3", "FE3")}


def test_every_evidence_is_an_exact_short_span_of_its_passage(by_passage, report_text,
                                                              report_passages):
    squashed = re.sub(r"\s+", " ", report_text)
    for n, items in by_passage.items():
        text = report_passages[n]
        for link in items:
            evidence, start, end = link["evidence"], link["start"], link["end"]
            assert evidence in report_text, (n, evidence)     # copied exactly from the report
            assert evidence in squashed, (n, evidence)
            assert text[start:end] == evidence, (n, link["concept"], text[start:end])
            assert len(evidence) < 200, (n, evidence)
        # a few short quotes per passage, never the passage itself
        quoted = sum(len(e) for e in {link["evidence"] for link in items})
        assert quoted <= max(300, len(text) // 2), n


# -- the build ---------------------------------------------------------------------

def test_the_build_makes_one_accepted_annotation_per_link_attributed_to_the_curated_data(
        built, by_passage):
    from pockg.linking.annotations import annotation_iri

    store, report = built
    assert report.graphs[GRAPH] > 0
    rows = store.select(f"""
        SELECT ?a ?body ?passage ?exact ?start ?end ?status ?score ?creator ?who ?from ?created
        WHERE {{ GRAPH <{GRAPH}> {{
          ?a a pockg:ConceptLink , oa:Annotation ; oa:motivatedBy oa:tagging ;
             oa:hasBody ?body ; pockg:linkStatus ?status ; pockg:score ?score ;
             dcterms:creator ?creator ; prov:wasAttributedTo ?who ; prov:wasDerivedFrom ?from ;
             dcterms:created ?created ; oa:hasTarget ?t .
          ?t a oa:SpecificResource ; oa:hasSource ?passage ; oa:hasSelector ?q , ?p .
          ?q a oa:TextQuoteSelector ; oa:exact ?exact .
          ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
        }} }}""").rows
    expected = {(passage_iri(n), C + link["concept"], link["evidence"], link["start"], link["end"])
                for n, items in by_passage.items() for link in items}
    got = {(r["passage"].value, r["body"].value, r["exact"].value, int(r["start"].value),
            int(r["end"].value)) for r in rows}
    assert len(rows) == len(expected) == 137
    assert got == expected
    for r in rows:
        assert r["status"].value == C + "LS-accepted"
        assert float(r["score"].value) == 1.0
        assert r["creator"].value == r["who"].value == CURATED_AGENT
        assert r["from"].value == r["passage"].value
        assert r["a"].value == annotation_iri(r["passage"].value, r["body"].value,
                                              int(r["start"].value), int(r["end"].value))
    agent = ox.NamedNode(CURATED_AGENT)
    assert store.ask(f"ASK {{ {agent} a prov:Agent ; rdfs:label ?l }}")
    assert not store.ask(f"ASK {{ {agent} a prov:SoftwareAgent }}")
    assert not store.ask(f"""ASK {{ GRAPH <{GRAPH}> {{ ?a dcterms:creator <{V.ID}agent/pockg-linker> }} }}""")
    # graph/meta says where the graph comes from
    assert store.ask(f"ASK {{ GRAPH <{V.graph('meta')}> {{ <{GRAPH}> prov:wasDerivedFrom <{DOC}> }} }}")


@pytest.mark.parametrize("notation", ASKED)
def test_passages_about_concept_lists_the_reports_passages_with_their_quotes(
        notation, store, settings, by_passage):
    table = QueryLibrary(settings.queries_dir).run("passages-about-concept",
                                                   {"concept": notation}, store)
    got = {(r["passage"], r["quote"]) for r in table.rows if r.get("document") == DOC}
    expected = {(passage_iri(n), link["evidence"]) for n, items in by_passage.items()
                for link in items if link["concept"] == notation}
    assert expected and got == expected
    report_rows = [r for r in table.rows if r.get("document") == DOC]
    assert all(r.get("documentLabel", "").startswith("Report of the Workshop") for r in report_rows)
    assert all(r["number"] and r["status"] == C + "LS-accepted" for r in report_rows)


def test_the_report_passages_come_in_reading_order(store, settings):
    table = QueryLibrary(settings.queries_dir).run("passages-about-concept",
                                                   {"concept": "FE5"}, store)
    numbers = [r["number"] for r in table.rows if r.get("document") == DOC]
    assert numbers[:3] == ["8.6", "8.6.1", "8.6.2"] and numbers[-1] == "8.6.9"


def test_documents_by_tier_shows_the_report(store, settings):
    table = QueryLibrary(settings.queries_dir).run("documents-by-tier", {}, store)
    cells = {r["tierNotation"]: r["passages"] for r in table.rows if r["document"] == DOC}
    assert cells == {"T1": "5", "T2": "4", "T3": "5"}


def test_a_concept_page_lists_the_reports_passages(curated_store_path):
    from web import create_app

    app = create_app({"STORE": str(curated_store_path)}, profile="testing")
    client = app.test_client()
    page = client.get("/id/concept/T1").get_data(as_text=True)
    section = page[page.index('id="passages"'):page.index('id="incoming"')]
    for n in ("4.1", "4.9", "8.3.3", "8.4.1", "8.9.1"):
        assert f'href="/id/document/workshop-2010/p/{n}"' in section, n
    assert "protection through political process" in section
    assert 'href="/id/document/workshop-2010"' in section and "Report of the Workshop" in section
    assert "reviewed" in section and "in brief" in section
    page = client.get("/id/concept/VG-IDP").get_data(as_text=True)
    section = page[page.index('id="passages"'):page.index('id="incoming"')]
    assert "/id/document/workshop-2010/p/8.4.2" in section and "IDPs" in section
    data = client.get("/id/concept/FE7?format=json").get_json()
    numbers = [p["number"] for p in data["passages"] if p["document"] == "workshop-2010"]
    assert numbers == ["8.5.2", "8.8", "8.8.1", "8.8.2", "8.8.3"]
    french = client.get("/id/concept/T1?lang=fr").get_data(as_text=True)
    assert "revu" in french[french.index('id="passages"'):french.index('id="incoming"')]


# -- the loader's checks ------------------------------------------------------------

def test_bad_links_are_located_errors(data_copy):
    from pockg.build import assemble

    path = data_copy.data_dir / "links" / "workshop-2010.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace('- {n: "1", links: []}', '- {n: "99.9", links: []}', 1)
    text = text.replace("concept: AOR-MA,", "concept: AOR-NOPE,", 1)
    text = text.replace('evidence: "IDPs", start: ', 'evidence: "IDPs!", start: ', 1)
    text = text.replace('- {n: "fn1", links: []}', '- {n: "fn1", links: []}\n- {n: "fn1", links: []}', 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        assemble(data_copy)
    messages = [str(p) for p in err.value.problems]
    assert any("99.9" in m and "no passage" in m for m in messages), messages
    assert any("fn3 AOR-NOPE" in m and "unknown concept" in m for m in messages), messages
    assert any("8.4.2 VG-IDP" in m and "the evidence has 5" in m for m in messages), messages
    assert any("fn1" in m and "twice" in m for m in messages), messages
    assert all("data/links/workshop-2010.yaml:" in m for m in messages), messages

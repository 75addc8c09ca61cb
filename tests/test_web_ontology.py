"""The ontology documentation at /ontology: generated from graph/ontology and
graph/scheme/*, with anchors, links, both languages, a JSON twin and the
Turtle of the ontology graph."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from support import Audit

from pockg import vocab as V
from pockg.build import build
from pockg.replica import rebuild
from pockg.store import open_store
from web import create_app

SCRIPT = "<script>alert('ontology')</script>"
EVIL = V.POCKG + "ZzEvilClass"


@pytest.fixture(scope="module")
def app(tmp_path_factory, settings):
    path = tmp_path_factory.mktemp("web-ontology") / "store"
    store = open_store(path)
    build(settings, store, check=False)
    graph = ox.NamedNode(V.graph("ontology"))   # a class whose label carries markup
    store.extend([
        ox.Quad(ox.NamedNode(EVIL), ox.NamedNode(V.RDF + "type"), ox.NamedNode(V.OWL + "Class"), graph),
        ox.Quad(ox.NamedNode(EVIL), ox.NamedNode(V.RDFS + "label"), ox.Literal(SCRIPT, language="en"), graph),
        ox.Quad(ox.NamedNode(EVIL), ox.NamedNode(V.SKOS + "definition"),
                ox.Literal("<b>bold</b> & co", language="en"), graph),
    ])
    store.close()
    rebuild(str(path))            # the public replica, as `pockg build` makes it
    return create_app({"STORE": str(path)}, profile="testing")


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def english(app):
    response = app.test_client().get("/ontology")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def french(app):
    response = app.test_client().get("/ontology?lang=fr")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture(scope="module")
def doc(app):
    response = app.test_client().get("/ontology?format=json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def entry(text: str, anchor: str) -> str:
    """The HTML of one term's entry (article or table row) on the page."""
    start = text.index(f'id="{anchor}"')
    ends = [i for i in (text.find("</article>", start), text.find("</tr>", start)) if i > 0]
    return text[start:min(ends)]


# -- the page --------------------------------------------------------------
def test_header_comes_from_the_ontology(english):
    assert re.search(r"<h1><span lang=\"en\">pockg ontology: protection of civilians in UN "
                     r"peacekeeping</span></h1>", english)
    assert "0.1.0" in english and "https://w3id.org/pockg/ontology/0.1.0" in english
    assert '<a href="https://creativecommons.org/licenses/by/4.0/" rel="license external noopener">CC BY 4.0</a>' in english
    assert "<code>pockg:</code> = <code>https://w3id.org/pockg/ontology#</code>" in english
    assert "Classes and properties of pockg" in english          # the description
    assert 'href="/ontology.ttl"' in english and 'href="/ontology?format=json"' in english


def test_every_term_has_its_anchor_and_every_link_a_target(english):
    outline = Audit()
    outline.feed(english)
    for anchor in ("Class-PeaceOperation", "Class-Actor", "Property-hasSuccessor",
                   "Property-acronym", "scheme-tier-2010", "scheme-topic", "concept-T1",
                   "concept-T1-2015", "term-skos-Concept", "term-org-Organization"):
        assert anchor in outline.ids, anchor
    assert len(outline.ids) == len(set(outline.ids)), "duplicate ids"
    assert set(outline.anchors) <= set(outline.ids), set(outline.anchors) - set(outline.ids)
    assert outline.headings.count(1) == 1 and outline.headings[0] == 1
    for before, after in zip(outline.headings, outline.headings[1:]):
        assert after <= before + 1
    assert outline.th_without_scope == 0


def test_a_class_entry(english):
    html = entry(english, "Class-PeaceOperation")
    assert '<span lang="en">peace operation</span>' in html
    assert '<span lang="fr">opération de paix</span>' in html
    assert "A United Nations peacekeeping operation" in html          # definition
    assert 'href="#term-org-Organization"' in html                    # superclass
    for prop in ("acronym", "hasSuccessor", "pocMandateBy", "startDate"):
        assert f'href="#Property-{prop}"' in html                       # its domain
    assert 'href="/resource?uri=https://w3id.org/pockg/ontology%23PeaceOperation"' in html
    actor = entry(english, "Class-Actor")
    for sub in ("Person", "MissionSection", "Perpetrator"):
        assert f'href="#Class-{sub}"' in actor                          # subclasses
    defined = entry(english, "Class-PoCMandatedOperation")
    assert re.search(r'Defined as.*href="#Class-PeaceOperation".*<span class="kw">and</span>.*'
                     r'href="#Property-pocMandateBy".*<span class="kw">some</span>.*'
                     r'href="#Class-Resolution"', defined, re.S)


def test_a_property_entry(english):
    html = entry(english, "Property-hasSuccessor")
    assert re.search(r"Domain</dt><dd>.*href=\"#Class-PeaceOperation\"", html)
    assert re.search(r"Range</dt><dd>.*href=\"#Class-PeaceOperation\"", html)
    assert re.search(r"Inverse</dt><dd>.*href=\"#Property-hasPredecessor\"", html)
    assert "A peace operation that replaced or took over from this operation." in html
    union = entry(english, "Property-hasPoCLanguage")
    assert re.search(r'href="#Class-Resolution".*<span class="kw">or</span>.*href="#Class-Mandate"', union, re.S)
    assert "xsd:boolean" in union


def test_reused_terms_are_listed(english, doc):
    reused = {t["curie"]: t for t in doc["reused"]}
    assert reused["skos:prefLabel"]["kind"] == "annotation_property"
    assert reused["prov:wasDerivedFrom"]["kind"] == "object_property"
    assert reused["skos:Concept"]["kind"] == "class"
    assert 'id="term-skos-prefLabel"' in english


def test_concept_schemes_with_their_concepts(english, doc):
    scheme = entry(english, "scheme-tier-2010")
    assert "Protection tiers (2010 operational concept)" in scheme
    assert 'href="#Class-ProtectionTier"' in scheme
    t1 = entry(english, "concept-T1")
    assert "<code>T1</code>" in t1
    assert '<span lang="en">protection through political process</span>' in t1
    assert '<span lang="fr">protection par le processus politique</span>' in t1
    assert '<span lang="en">Tier I</span>' in t1 and '<span lang="fr">niveau 1</span>' in t1
    assert "First tier of the 2010 operational concept" in t1
    assert 'href="#concept-T1-2015"' in t1                              # close match
    assert 'href="/id/concept/T1"' in t1                                 # the concept's page
    by_id = {s["id"]: s for s in doc["schemes"]}
    topics = by_id["topic"]["concepts"]
    child = next(c for c in topics if c["broader"])
    parent = child["broader"][0]["iri"]
    assert child["iri"] in [n["iri"] for c in topics if c["iri"] == parent for n in c["narrower"]]
    positions = [c["iri"] for c in topics]
    assert positions.index(parent) < positions.index(child["iri"])    # tree order


def test_json_twin_has_every_language(doc):
    assert set(doc) >= {"header", "classes", "object_properties", "datatype_properties",
                        "reused", "schemes"}
    assert doc["header"]["version"] == "0.1.0" and doc["header"]["prefix"] == "pockg"
    classes = {c["iri"]: c for c in doc["classes"]}
    peace = classes[V.POCKG + "PeaceOperation"]
    assert peace["label"] == {"en": "peace operation", "fr": "opération de paix"}
    assert peace["anchor"] == "Class-PeaceOperation"
    props = {p["name"]: p for p in doc["object_properties"] + doc["datatype_properties"]}
    assert props["hasSuccessor"]["inverse"][0]["iri"] == V.POCKG + "hasPredecessor"
    assert props["acronym"]["kind"] == "datatype_property"
    t1 = next(c for s in doc["schemes"] if s["id"] == "tier-2010" for c in s["concepts"]
              if c["notation"] == "T1")
    assert t1["alt"]["en"] == ["Tier 1", "Tier I"] and t1["anchor"] == "concept-T1"
    assert [m["iri"] for m in t1["close_match"]] == [V.ID + "concept/T1-2015"]


def test_french_labels_with_english_fallback(french):
    assert '<html lang="fr">' in french
    assert "<h1><span lang=\"fr\">Ontologie pockg" in french
    assert re.search(r'<h3 id="Class-PeaceOperation"><span lang="fr">opération de paix</span>', french)
    assert "Sommaire" in french and "Propriétés d&#39;objet" in french
    # definitions exist in English only: shown, and marked as English
    assert '<p class="definition"><span lang="en">A United Nations peacekeeping operation' in french


def test_turtle_of_the_ontology_graph(client, app):
    response = client.get("/ontology.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    triples = list(ox.parse(response.data, ox.RdfFormat.TURTLE))
    ontology = ox.NamedNode(V.BASE + "ontology")
    assert any(t.subject == ontology and t.object == ox.NamedNode(V.OWL + "Ontology") for t in triples)
    store = app.extensions["pockg"].store
    n = int(store.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{V.graph('ontology')}> "
                         "{ ?s ?p ?o } }").rows[0]["n"].value)
    assert len(triples) == n
    assert client.get("/ontology", headers={"Accept": "text/turtle"}).mimetype == "text/turtle"


def test_markup_in_the_ontology_is_escaped(english):
    assert SCRIPT not in english and "<b>bold</b>" not in english
    assert "&lt;script&gt;alert(&#39;ontology&#39;)&lt;/script&gt;" in english
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in english


def test_entity_pages_of_terms_link_to_their_documentation(client):
    text = client.get("/resource?uri=https://w3id.org/pockg/ontology%23PeaceOperation").get_data(as_text=True)
    assert 'href="/ontology#Class-PeaceOperation"' in text
    text = client.get("/id/concept/T1").get_data(as_text=True)
    assert 'href="/ontology#concept-T1"' in text
    text = client.get("/resource?uri=https://w3id.org/pockg/ontology%23hasSuccessor").get_data(as_text=True)
    assert 'href="/ontology#Property-hasSuccessor"' in text

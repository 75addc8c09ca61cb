"""Every property whose value is a SKOS concept is tied to its scheme in SHACL, so a
concept from the wrong scheme (``scope = T1``) is refused whatever the subject is."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
import rdflib

from pockg import vocab as V
from pockg.build import assemble
from pockg.config import REPO_ROOT
from pockg.validate import run_shacl

SHAPES = REPO_ROOT / "ontology" / "shapes" / "pockg-shapes.ttl"
ONTOLOGY = REPO_ROOT / "ontology" / "pockg.ttl"
SKOS = rdflib.Namespace(V.SKOS)


def concept_valued_properties() -> set[str]:
    """Properties whose rdfs:range is skos:Concept or one of its subclasses."""
    g = rdflib.Graph().parse(ONTOLOGY)
    concept_classes = {SKOS.Concept, *g.subjects(rdflib.RDFS.subClassOf, SKOS.Concept)}
    return {str(p).rsplit("#", 1)[-1] for p, r in g.subject_objects(rdflib.RDFS.range)
            if r in concept_classes}


def scheme_shapes() -> dict[str, set[str]]:
    """property -> the schemes its ValueInScheme shape allows."""
    g = rdflib.Graph().parse(SHAPES)
    SH = rdflib.Namespace(V.SH)
    out = {}
    for shape, prop in g.subject_objects(SH.targetObjectsOf):
        for ps in g.objects(shape, SH.property):
            if g.value(ps, SH.path) == SKOS.inScheme:
                items = rdflib.collection.Collection(g, g.value(ps, SH["in"]))
                out[str(prop).rsplit("#", 1)[-1]] = {str(s).rsplit("/", 1)[-1] for s in items}
    return out


def test_every_concept_valued_property_is_tied_to_its_scheme():
    assert concept_valued_properties() - set(scheme_shapes()) == set()


@pytest.fixture(scope="module")
def assembly(settings):
    return assemble(settings)


def test_the_curated_data_passes_the_scheme_shapes(assembly):
    errors = [p for p in run_shacl(assembly, REPO_ROOT / "ontology" / "shapes")
              if p.severity == "error"]
    assert errors == []


def test_a_concept_of_the_wrong_scheme_is_refused_for_every_property(assembly):
    shapes = scheme_shapes()
    g = ox.NamedNode(V.graph("test-wrong-scheme"))
    added = []
    for prop, schemes in sorted(shapes.items()):
        wrong = "VS-S" if "verification-status" not in schemes else "T1"
        subject = ox.NamedNode(V.ID + "test/subject-" + prop)
        added.append(ox.Quad(subject, ox.NamedNode(V.term(prop)),
                             ox.NamedNode(V.ID + "concept/" + wrong), g))
    assembly.quads.extend(added)
    try:
        problems = run_shacl(assembly, REPO_ROOT / "ontology" / "shapes")
    finally:
        del assembly.quads[-len(added):]
    refused = {m.group(1) for p in problems if p.severity == "error"
               for m in [re.search(r"A value of pockg:(\w+) must be a concept of the scheme",
                                   p.message)] if m}
    assert refused == set(shapes)


def test_scope_t1_names_the_scheme_it_should_come_from(assembly):
    quad = ox.Quad(ox.NamedNode(V.ID + "strategy/UNAMID-2009"), ox.NamedNode(V.term("scope")),
                   ox.NamedNode(V.ID + "concept/T1"), ox.NamedNode(V.graph("test-scope")))
    assembly.quads.append(quad)
    try:
        messages = [p.message for p in run_shacl(assembly, REPO_ROOT / "ontology" / "shapes")
                    if p.severity == "error"]
    finally:
        assembly.quads.remove(quad)
    assert any("pockg:scope must be a concept of the scheme strategy-scope" in m
               for m in messages), messages


def test_every_property_has_a_domain_or_says_why_not():
    g = rdflib.Graph().parse(ONTOLOGY)
    schema = rdflib.URIRef("https://schema.org/domainIncludes")
    missing = []
    for kind in (rdflib.OWL.ObjectProperty, rdflib.OWL.DatatypeProperty):
        for p in g.subjects(rdflib.RDF.type, kind):
            if not str(p).startswith(V.POCKG) or (p, rdflib.RDFS.domain, None) in g:
                continue
            why = [str(c) for c in g.objects(p, rdflib.RDFS.comment)
                   if str(c).startswith("No rdfs:domain, on purpose")]
            if not (why and (p, schema, None) in g):
                missing.append(str(p))
    assert missing == []

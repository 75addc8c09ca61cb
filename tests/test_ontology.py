"""The ontology layer: ontology/pockg.ttl, ontology/schemes/*.yaml,
ontology/shapes/pockg-shapes.ttl and the HermiT consistency check."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import rdflib
from rdflib import OWL, RDF, RDFS, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SH, SKOS

from pockg import vocab as V
from pockg.errors import ReasoningError
from pockg.reasoning import ReasoningReport, check_consistency
from pockg.yamlio import read_yaml

ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY = ROOT / "ontology" / "pockg.ttl"
SCHEMES = ROOT / "ontology" / "schemes"
SHAPES = ROOT / "ontology" / "shapes" / "pockg-shapes.ttl"
FIXTURES = ROOT / "tests" / "fixtures"
DATA = ROOT / "data"
ONTOLOGY_IRI = URIRef("https://w3id.org/pockg/ontology")
POCKG = Namespace(V.POCKG)
VANN = Namespace("http://purl.org/vocab/vann/")
CONCEPT = V.ID + "concept/"

KINDS = {
    "class": (V.CLASSES, OWL.Class),
    "object property": (V.OBJECT_PROPERTIES, OWL.ObjectProperty),
    "datatype property": (V.DATATYPE_PROPERTIES, OWL.DatatypeProperty),
}
ALL_TERMS = [(kind, name) for kind, (names, _) in KINDS.items() for name in names]


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    return rdflib.Graph().parse(ONTOLOGY, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(SHAPES, format="turtle")


@pytest.fixture(scope="module")
def schemes() -> dict[str, dict]:
    return {path.name: read_yaml(path) for path in sorted(SCHEMES.glob("*.yaml"))}


@pytest.fixture(scope="module")
def ontology_report() -> ReasoningReport:
    return check_consistency([ONTOLOGY])


# ---------------------------------------------------------------- ontology file


def test_ontology_parses_with_rdflib(ontology):
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    assert len(ontology) > 500


def test_ontology_parses_with_pyoxigraph_to_the_same_triples(ontology):
    import pyoxigraph
    store = pyoxigraph.Store()
    store.load(path=str(ONTOLOGY), format=pyoxigraph.RdfFormat.TURTLE)
    assert len(store) == len(ontology)


@pytest.mark.parametrize("kind,name", ALL_TERMS, ids=[n for _, n in ALL_TERMS])
def test_vocab_term_is_declared_with_its_owl_type_label_and_definition(ontology, kind, name):
    term = POCKG[name]
    owl_type = KINDS[kind][1]
    assert (term, RDF.type, owl_type) in ontology, f"pockg:{name} is not declared as {kind}"
    labels = {lit.language: str(lit) for lit in ontology.objects(term, RDFS.label)}
    assert labels.get("en"), f"pockg:{name} has no English rdfs:label"
    assert labels.get("fr"), f"pockg:{name} has no French rdfs:label"
    definitions = [lit for lit in ontology.objects(term, SKOS.definition) if lit.language == "en"]
    assert len(definitions) == 1, f"pockg:{name} needs exactly one English skos:definition"
    assert (term, RDFS.isDefinedBy, ONTOLOGY_IRI) in ontology


def test_ontology_declares_only_terms_named_in_vocab(ontology):
    named = set(V.CLASSES) | set(V.OBJECT_PROPERTIES) | set(V.DATATYPE_PROPERTIES)
    declared = {str(s)[len(V.POCKG):] for s in ontology.subjects()
                if isinstance(s, URIRef) and str(s).startswith(V.POCKG)}
    assert declared - named == set(), "add these terms to pockg/vocab.py or drop them"


def test_header_has_the_metadata_documentation_generators_need(ontology):
    header = {p: list(ontology.objects(ONTOLOGY_IRI, p)) for p in (
        DCTERMS.title, DCTERMS.description, OWL.versionInfo, OWL.versionIRI,
        DCTERMS.license, DCTERMS.creator, DCTERMS.created,
        VANN.preferredNamespacePrefix, VANN.preferredNamespaceUri)}
    missing = [ontology.namespace_manager.normalizeUri(p) for p, v in header.items() if not v]
    assert not missing, f"ontology header lacks {missing}"
    assert Literal("0.1.0") in header[OWL.versionInfo]
    assert URIRef("https://creativecommons.org/licenses/by/4.0/") in header[DCTERMS.license]
    assert Literal("pockg") in header[VANN.preferredNamespacePrefix]
    assert str(header[VANN.preferredNamespaceUri][0]) == V.POCKG
    assert any(lit.language == "en" for lit in header[DCTERMS.title])


def test_ontology_has_no_owl_imports(ontology):
    assert list(ontology.objects(None, OWL.imports)) == []


def test_no_property_has_two_owl_property_types(ontology):
    """OWL 2 DL forbids punning between object, datatype and annotation properties."""
    types = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    clashes = {str(s) for s in ontology.subjects(RDF.type, None)
               if sum((s, RDF.type, t) in ontology for t in types) > 1}
    assert clashes == set()


def test_every_property_used_in_the_ontology_is_declared(ontology):
    builtin = {RDF.type, RDFS.label, RDFS.comment, RDFS.isDefinedBy, RDFS.subClassOf,
               RDFS.subPropertyOf, RDFS.domain, RDFS.range, RDF.first, RDF.rest}
    declared = set(ontology.subjects(RDF.type, OWL.AnnotationProperty)) | set(
        ontology.subjects(RDF.type, OWL.ObjectProperty)) | set(
        ontology.subjects(RDF.type, OWL.DatatypeProperty))
    undeclared = {str(p) for p in ontology.predicates()
                  if p not in builtin and p not in declared and not str(p).startswith(str(OWL))}
    assert undeclared == set()


def test_reused_classes_are_subclassed_instead_of_minting_twins(ontology):
    expected = {
        "PeaceOperation": "http://www.w3.org/ns/org#Organization",
        "Actor": "http://www.w3.org/ns/prov#Agent",
        "MissionSection": "http://www.w3.org/ns/org#OrganizationalUnit",
        "Person": "http://xmlns.com/foaf/0.1/Person",
        "Document": "http://xmlns.com/foaf/0.1/Document",
        "Passage": "http://www.w3.org/ns/prov#Entity",
        "Source": "http://www.w3.org/ns/prov#Entity",
        "Claim": str(RDF.Statement),
        "Resolution": V.POCKG + "Document",
        "Paragraph": V.POCKG + "Passage",
        "Heading": V.POCKG + "Passage",
        "Footnote": V.POCKG + "Passage",
    }
    for name in ("ProtectionTier", "RiskCategory", "VulnerableGroup", "VulnerabilityFactor",
                 "FrameworkElement", "AreaOfResponsibility", "CapacityType", "ActivityType",
                 "CoordinationLevel", "Topic", "Approach", "VerificationStatus"):
        expected[name] = str(SKOS.Concept)
    for name, parent in expected.items():
        assert (POCKG[name], RDFS.subClassOf, URIRef(parent)) in ontology, f"{name} ⊑ {parent}"
    assert (POCKG.correspondsToTier, RDFS.subPropertyOf, SKOS.related) in ontology


# ---------------------------------------------------------------- OWL 2 DL profile

DL_CHECK_JAVA = """
import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;
public class DLCheck {
  public static void main(String[] args) throws Exception {
    OWLOntologyManager manager = OWLManager.createOWLOntologyManager();
    OWLOntology ontology = manager.loadOntologyFromOntologyDocument(new File(args[0]));
    for (OWLProfileViolation v : new OWL2DLProfile().checkOntology(ontology).getViolations())
      System.out.println("VIOLATION\\t" + v.getClass().getSimpleName() + "\\t" + v);
  }
}
"""
# rdf:Statement and the reification properties are reserved RDF vocabulary; the
# ontology declares them on purpose (see its header comment).
RESERVED_ON_PURPOSE = ("rdf:Statement", "rdf:subject", "rdf:predicate", "rdf:object")


def test_ontology_is_owl2_dl_apart_from_the_reserved_reification_terms(tmp_path):
    if shutil.which("java") is None:
        pytest.fail("Java is needed for the OWL API profile checker: scripts/test.sh installs it")
    import owlready2

    jar = Path(owlready2.__file__).parent / "hermit" / "HermiT.jar"  # bundles the OWL API
    source = tmp_path / "DLCheck.java"
    source.write_text(DL_CHECK_JAVA)
    run = subprocess.run(["java", "-cp", str(jar), str(source), str(ONTOLOGY)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    violations = [line for line in run.stdout.splitlines() if line.startswith("VIOLATION")]
    unexpected = [line for line in violations
                  if not ("UseOfReservedVocabulary" in line
                          and any(term in line for term in RESERVED_ON_PURPOSE))]
    assert unexpected == []


# ---------------------------------------------------------------- HermiT


def test_hermit_finds_the_ontology_consistent_with_no_unsatisfiable_class(ontology_report):
    assert ontology_report.error is None
    assert ontology_report.consistent
    assert ontology_report.unsatisfiable == []
    assert ontology_report.seconds > 0


def test_individual_in_two_disjoint_classes_is_reported_inconsistent():
    report = check_consistency([ONTOLOGY, FIXTURES / "ontology-inconsistent.ttl"])
    assert report.consistent is False


def test_class_under_two_disjoint_classes_is_reported_unsatisfiable(tmp_path):
    extra = tmp_path / "unsatisfiable.ttl"
    extra.write_text(
        "@prefix pockg: <https://w3id.org/pockg/ontology#> .\n"
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "<https://example.org/Chimera> a owl:Class ;\n"
        "    rdfs:subClassOf pockg:PeaceOperation , pockg:Resolution .\n")
    report = check_consistency([ONTOLOGY, extra])
    assert report.consistent
    assert report.unsatisfiable == ["https://example.org/Chimera"]


def test_data_with_partial_dates_and_language_text_is_checked_not_rejected(tmp_path):
    data = tmp_path / "data.nt"
    op = "<https://w3id.org/pockg/id/operation/X>"
    data.write_text(
        f"{op} <{RDF.type}> <{V.POCKG}PeaceOperation> .\n"
        f'{op} <{V.POCKG}startDate> "1999"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n'
        f'{op} <{V.POCKG}endDate> "2005-12-31"^^<http://www.w3.org/2001/XMLSchema#date> .\n'
        f'{op} <{V.POCKG}fullName> "Mission X"@en .\n')
    report = check_consistency([ONTOLOGY, data])
    assert report.error is None
    assert report.consistent


def test_owl_imports_are_refused_without_touching_the_network(tmp_path):
    canary = socket.socket()
    canary.bind(("127.0.0.1", 0))
    canary.listen(1)
    canary.setblocking(False)
    port = canary.getsockname()[1]
    try:
        ontology = tmp_path / "imports.ttl"
        ontology.write_text(
            "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n"
            f"<https://example.org/o> a owl:Ontology ; owl:imports <http://127.0.0.1:{port}/x> .\n")
        with pytest.raises(ReasoningError, match="owl:imports"):
            check_consistency([ontology])
        with pytest.raises(BlockingIOError):
            canary.accept()  # nobody connected
    finally:
        canary.close()


def test_reasoner_that_overruns_its_time_limit_is_stopped_with_an_error():
    started = time.perf_counter()
    with pytest.raises(ReasoningError, match="did not finish"):
        check_consistency([ONTOLOGY], timeout_s=0.01)
    assert time.perf_counter() - started < 30


def test_reasoner_child_refuses_imports_on_its_own(tmp_path):
    data = tmp_path / "x.nt"
    data.write_text("<https://example.org/o> <http://www.w3.org/2002/07/owl#imports> "
                    "<http://127.0.0.1:9/x> .\n")
    run = subprocess.run([sys.executable, "-m", "pockg.reasoning", str(data)],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert "refused" in result.get("fatal", "")


def test_defined_classes_are_materialised_by_hermit(tmp_path):
    """SystemWideStrategy, MissionOnlyStrategy, PoCMandatedOperation, ThematicResolution."""
    import owlready2

    if shutil.which(owlready2.JAVA_EXE) is None:
        pytest.fail("Java is needed for HermiT: scripts/test.sh installs it")
    graph = rdflib.Graph().parse(ONTOLOGY)
    graph.parse(format="turtle", data=f"""
        @prefix pockg: <{V.POCKG}> .
        @prefix c: <{CONCEPT}> .
        @prefix id: <{V.ID}> .
        <{V.ID}operation/OP> a pockg:PeaceOperation ; pockg:pocMandateBy <{V.ID}resolution/1> .
        <{V.ID}resolution/1> a pockg:Resolution ; pockg:thematic false .
        <{V.ID}resolution/2> a pockg:Resolution ; pockg:thematic true .
        <{V.ID}strategy/S1> a pockg:ProtectionStrategy ; pockg:scope c:SCOPE-SYSTEM .
        <{V.ID}strategy/S2> a pockg:ProtectionStrategy ; pockg:scope c:SCOPE-MISSION .
    """)
    merged = tmp_path / "merged.nt"
    graph.serialize(merged, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology("https://w3id.org/pockg/test#").load(
        fileobj=open(merged, "rb"), format="ntriples")
    owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0,
                                   ignore_unsupported_datatypes=True)

    def classes(kind_key: str) -> set[str]:
        return {c.name for c in world[V.ID + kind_key].is_a}

    assert "PoCMandatedOperation" in classes("operation/OP")
    assert "ThematicResolution" in classes("resolution/2")
    assert "ThematicResolution" not in classes("resolution/1")
    assert "SystemWideStrategy" in classes("strategy/S1")
    assert "MissionOnlyStrategy" in classes("strategy/S2")


# ---------------------------------------------------------------- concept schemes

EXPECTED_NOTATIONS = {
    "tier-2010": ["T1", "T2", "T3"],
    "tier-2015": ["T1-2015", "T2-2015", "T3-2015"],
    "risk-category": ["R1", "R2", "R3"],
    "framework-element": [f"FE{i}" for i in range(1, 9)],
    "vulnerable-group": ["VG-REF", "VG-IDP", "VG-AGE", "VG-GEN", "VG-SOC", "VG-AFF"],
    "vulnerability-factor": ["VF-DISP", "VF-SEP", "VF-POL", "VF-ROL"],
    "aor": ["AOR-GBV", "AOR-CP", "AOR-HLP", "AOR-ROL", "AOR-MA"],
    "capacity-type": ["CAP-EQP", "CAP-FIN", "CAP-HR", "CAP-POL"],
    "activity-type": ["HA-RESP", "HA-REM", "HA-ENV"],
    "coordination-level": ["LVL-HQ", "LVL-REGIONAL", "LVL-FIELD", "LVL-EXTERNAL",
                           "LVL-DRAFTING", "LVL-LEADERSHIP"],
    "verification-status": ["VS-S", "VS-SV", "VS-V", "VS-P", "VS-C", "VS-L"],
    "document-role": ["DR-text", "DR-report", "DR-evaluation"],
    "actor-category": ["AC-UN-DEPT", "AC-UN-AGENCY", "AC-MISSION-SECTION",
                       "AC-MISSION-COMPONENT", "AC-MISSION-POST", "AC-HOST-GOV", "AC-CLUSTER",
                       "AC-REGIONAL-ORG", "AC-ICRC", "AC-TCC-PCC", "AC-COMMUNITY",
                       "AC-CIVIL-SOCIETY", "AC-RESEARCH", "AC-MEMBER-STATE", "AC-PERSON",
                       "AC-SC", "AC-GA-BODY", "AC-NON-UN-FORCE"],
    "resolution-topic": ["RT-POC", "RT-CAAC", "RT-CRSV", "RT-WPS", "RT-JOURNALISTS",
                         "RT-MISSION"],
    "mandate-action": ["MA-ESTABLISHES", "MA-EXTENDS", "MA-EXPANDS", "MA-RENAMES",
                       "MA-TERMINATES", "MA-WITHDRAWS", "MA-AUTHORISES", "MA-REPRIORITISES"],
    "operation-status": ["OST-ACTIVE", "OST-CLOSED"],
    "strategy-scope": ["SCOPE-SYSTEM", "SCOPE-MISSION"],
    "publicity": ["PUB-PUBLIC", "PUB-INTERNAL"],
    "strategy-status": ["SST-COMPLETED", "SST-DRAFTING", "SST-PRESENTED", "SST-REVISED"],
    "approach": ["APP-CONDITIONALITY"],
    "agreement": ["AGR-AGREED", "AGR-GENERAL", "AGR-SOME", "AGR-NONE"],
    "question-type": ["QT-DISAGREEMENT", "QT-OPEN", "QT-TENSION", "QT-MINORITY", "QT-AGREEMENT"],
    "mechanism-status": ["CMS-RECOMMENDED", "CMS-ACTUAL"],
}
EXPECTED_CLASS = {
    "tier-2010": "ProtectionTier", "tier-2015": "ProtectionTier",
    "risk-category": "RiskCategory", "framework-element": "FrameworkElement",
    "vulnerable-group": "VulnerableGroup", "vulnerability-factor": "VulnerabilityFactor",
    "aor": "AreaOfResponsibility", "capacity-type": "CapacityType",
    "activity-type": "ActivityType", "coordination-level": "CoordinationLevel",
    "verification-status": "VerificationStatus", "approach": "Approach",
    "document-role": "DocumentRole",
}


def _concepts(schemes):
    for filename, scheme in schemes.items():
        for concept in scheme["concepts"]:
            yield filename, concept


def _text(value, lang="en"):
    return value if isinstance(value, str) and lang == "en" else (
        value.get(lang) if isinstance(value, dict) else None)


def _cites(value):
    values = value if isinstance(value, list) else [value]
    for item in values:
        yield item["source"] if isinstance(item, dict) else item


def test_every_scheme_file_parses_with_an_id_matching_its_file_name(schemes):
    assert schemes, "no scheme files"
    for filename, scheme in schemes.items():
        assert scheme.get("id") == filename.removesuffix(".yaml")
        assert scheme.get("concepts"), f"{filename}: no concepts"


def test_every_scheme_file_follows_the_json_schema(schemes):
    import jsonschema
    import referencing
    registry = referencing.Registry()
    for path in (DATA / "schemas").glob("*.schema.json"):
        schema = json.loads(path.read_text())
        registry = registry.with_resource(schema["$id"], referencing.Resource.from_contents(schema))
    schema = json.loads((DATA / "schemas" / "schemes.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    from pockg.yamlio import to_plain
    problems = [f"{name}: {'/'.join(map(str, e.path))}: {e.message}"
                for name, scheme in schemes.items()
                for e in validator.iter_errors(to_plain(scheme))]
    assert problems == []


def test_concept_notations_are_unique_across_schemes(schemes):
    seen: dict[str, str] = {}
    duplicates = []
    for filename, concept in _concepts(schemes):
        notation = concept["notation"]
        if notation in seen:
            duplicates.append(f"{notation} in {seen[notation]} and {filename}")
        seen[notation] = filename
    assert duplicates == []


def test_every_concept_has_an_english_label_and_an_english_definition(schemes):
    missing = [f"{f}: {c['notation']}" for f, c in _concepts(schemes)
               if not _text(c.get("label")) or not _text(c.get("definition"))]
    assert missing == []


def test_every_scheme_has_english_and_french_title_and_an_english_definition(schemes):
    for filename, scheme in schemes.items():
        assert _text(scheme.get("title")) and _text(scheme.get("title"), "fr"), filename
        assert _text(scheme.get("definition")), filename


@pytest.mark.parametrize("scheme_id", sorted(EXPECTED_NOTATIONS))
def test_scheme_has_exactly_the_agreed_notations(schemes, scheme_id):
    scheme = schemes[f"{scheme_id}.yaml"]
    assert [c["notation"] for c in scheme["concepts"]] == EXPECTED_NOTATIONS[scheme_id]
    for concept in scheme["concepts"]:
        assert _text(concept["label"], "fr"), f"{concept['notation']} has no French label"


def test_concept_class_names_a_declared_subclass_of_skos_concept(schemes, ontology):
    for filename, scheme in schemes.items():
        name = scheme.get("concept_class")
        scheme_id = filename.removesuffix(".yaml")
        if scheme_id in EXPECTED_CLASS:
            assert name == EXPECTED_CLASS[scheme_id], filename
        if name is None:
            continue
        # the schemes loader appends the value to the pockg namespace: a bare local name
        assert re.fullmatch(r"[A-Z][A-Za-z]*", name), f"{filename}: {name!r} is not a local name"
        assert (POCKG[name], RDFS.subClassOf, SKOS.Concept) in ontology, f"{filename}: {name}"


def test_concept_references_point_to_existing_notations(schemes):
    notations = {c["notation"]: f for f, c in _concepts(schemes)}
    bad = []
    for filename, concept in _concepts(schemes):
        for key in ("broader", "close_match", "related", "tier", "replaced_by"):
            refs = concept.get(key) or []
            for ref in [refs] if isinstance(refs, str) else refs:
                if ref not in notations:
                    bad.append(f"{filename}: {concept['notation']}.{key} -> {ref}")
        if "tier" in concept:
            assert notations[concept["tier"]] in ("tier-2010.yaml", "tier-2015.yaml")
    assert bad == []


def test_aor_rule_of_law_is_kept_with_a_note_not_deprecated(schemes):
    rol = next(c for c in schemes["aor.yaml"]["concepts"] if c["notation"] == "AOR-ROL")
    assert not rol.get("deprecated")
    assert "2011" in _text(rol["note"])


def test_scheme_citations_point_to_known_sources_and_passages(schemes):
    sources = {p.stem for p in (DATA / "sources").glob("*.yaml")}
    documents = {p.stem: p for p in (DATA / "documents").glob("*.yaml")}
    passages: dict[str, set[str]] = {}
    bad = []
    for filename, scheme in schemes.items():
        cites = list(_cites(scheme["cite"])) if "cite" in scheme else []
        for concept in scheme["concepts"]:
            if "cite" in concept:
                cites += list(_cites(concept["cite"]))
        for cite in cites:
            target, _, number = cite.partition(" ¶")
            if number:
                if target not in documents:
                    bad.append(f"{filename}: no document {target}")
                    continue
                if target not in passages:
                    document = read_yaml(documents[target])
                    passages[target] = {str(p["n"]) for p in document.get("passages", [])}
                if number not in passages[target]:
                    bad.append(f"{filename}: no passage {cite}")
            elif target not in sources and target not in documents:
                bad.append(f"{filename}: no source {target}")
    assert bad == []


# ---------------------------------------------------------------- SHACL shapes

SHAPED_CLASSES = {
    "PeaceOperation": POCKG.PeaceOperation, "Resolution": POCKG.Resolution,
    "ProtectionStrategy": POCKG.ProtectionStrategy, "Recommendation": POCKG.Recommendation,
    "Lesson": POCKG.Lesson, "Document": POCKG.Document, "Passage": POCKG.Passage,
    "Claim": POCKG.Claim, "skos:Concept": SKOS.Concept,
}


def test_shapes_parse_and_target_every_required_class(shapes):
    targets = set(shapes.objects(None, SH.targetClass))
    missing = [name for name, cls in SHAPED_CLASSES.items() if cls not in targets]
    assert missing == []
    for cls in SHAPED_CLASSES.values():
        shape = shapes.value(None, SH.targetClass, cls)
        assert (shape, RDF.type, SH.NodeShape) in shapes


def test_every_shape_constraint_has_an_english_message(shapes):
    constrained = set(shapes.objects(None, SH.property))
    constrained |= {s for s in shapes.subjects(RDF.type, SH.NodeShape)
                    if any(shapes.value(s, p) is not None for p in (SH["or"], SH["class"]))}
    silent = [shapes.value(s, SH.path) or s for s in constrained
              if not any(m.language == "en" for m in shapes.objects(s, SH.message))]
    assert silent == []


def test_every_shape_constraint_says_how_severe_it_is(shapes):
    constrained = set(shapes.objects(None, SH.property))
    vague = [shapes.value(s, SH.path) for s in constrained
             if shapes.value(s, SH.severity) not in (SH.Violation, SH.Warning)]
    assert vague == []


def test_no_warning_node_shape_holds_violation_property_shapes(shapes):
    """pySHACL's allow_warnings goes by the node shape's severity, which would mask
    the Violations of its property shapes: keep advice in node shapes of its own."""
    masked = [str(s) for s in shapes.subjects(SH.severity, SH.Warning)
              if (s, RDF.type, SH.NodeShape) in shapes
              and any(shapes.value(ps, SH.severity) == SH.Violation
                      for ps in shapes.objects(s, SH.property))]
    assert masked == []


WELL_FORMED = f"""
@prefix pockg: <{V.POCKG}> .
@prefix c: <{CONCEPT}> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix id: <{V.ID}> .

<{V.ID}scheme/strategy-scope> a skos:ConceptScheme .
<{V.ID}scheme/verification-status> a skos:ConceptScheme .
<{V.ID}scheme/framework-element> a skos:ConceptScheme .
<{V.ID}scheme/publicity> a skos:ConceptScheme .
<{V.ID}scheme/lifecycle-state> a skos:ConceptScheme .
c:SCOPE-SYSTEM a skos:Concept ; skos:notation "SCOPE-SYSTEM" ;
    skos:prefLabel "system-wide"@en , "à l'échelle du système"@fr ;
    skos:definition "One strategy for mission and agencies."@en ;
    skos:inScheme <{V.ID}scheme/strategy-scope> .
c:VS-S a pockg:VerificationStatus ; skos:notation "VS-S" ;
    skos:prefLabel "stated in the workshop report"@en , "énoncé dans le rapport"@fr ;
    skos:definition "Stated in the report."@en ;
    skos:inScheme <{V.ID}scheme/verification-status> .
c:FE1 a pockg:FrameworkElement ; skos:notation "FE1" ;
    skos:prefLabel "key drafting considerations"@en , "considérations clés"@fr ;
    skos:definition "Drafting."@en ; skos:inScheme <{V.ID}scheme/framework-element> .
c:PUB-PUBLIC a skos:Concept ; skos:notation "PUB-PUBLIC" ;
    skos:prefLabel "public"@en , "public"@fr ;
    skos:definition "Public."@en ; skos:inScheme <{V.ID}scheme/publicity> .
<{V.ID}country/COD> a pockg:Country ; skos:prefLabel "Democratic Republic of the Congo"@en .
<{V.ID}operation/MONUC> a pockg:PeaceOperation ; skos:prefLabel "MONUC"@en ;
    pockg:acronym "MONUC" ; pockg:fullName "United Nations Organization Mission in the DRC"@en ;
    pockg:startDate "1999-11-30"^^xsd:date ; pockg:country <{V.ID}country/COD> ;
    pockg:establishedBy <{V.ID}resolution/1279> .
<{V.ID}resolution/1279> a pockg:Resolution ; pockg:resolutionNumber 1279 ;
    dcterms:date "1999-11-30"^^xsd:date ; pockg:symbol "S/RES/1279 (1999)" ;
    pockg:subjectSummary "Sets up MONUC."@en ; pockg:establishes <{V.ID}operation/MONUC> .
<{V.ID}strategy/MONUC-2009> a pockg:ProtectionStrategy ; dcterms:title "MONUC strategy"@en ;
    pockg:mission <{V.ID}operation/MONUC> ; pockg:scope c:SCOPE-SYSTEM .
<{V.ID}document/workshop-2010> a pockg:Document ; dcterms:title "Workshop report"@en .
<{V.ID}document/workshop-2010/p/8.2.1> a pockg:Paragraph ; pockg:number "8.2.1" ;
    dcterms:isPartOf <{V.ID}document/workshop-2010> .
<{V.ID}recommendation/R01> a pockg:Recommendation ;
    pockg:atPassage <{V.ID}document/workshop-2010/p/8.2.1> ; pockg:frameworkElement c:FE1 ;
    pockg:text "Senior leaders pick the section that leads the drafting."@en .
<{V.ID}claim/c1> a pockg:Claim ;
    rdf:subject <{V.ID}strategy/MONUC-2009> ; rdf:predicate pockg:scope ; rdf:object c:SCOPE-SYSTEM ;
    prov:wasDerivedFrom <{V.ID}document/workshop-2010/p/8.2.1> ;
    pockg:verificationStatus c:VS-S ;
    pockg:hasEvidence [ a oa:SpecificResource ; oa:hasSource <{V.ID}document/workshop-2010/p/8.2.1> ;
        oa:hasSelector [ a oa:TextQuoteSelector ; oa:exact "to Civil Affairs in MONUC" ] ] .
<{V.ID}lesson/L1> a pockg:Lesson ; skos:prefLabel "Name the drafting lead early"@en ;
    pockg:observation "The strategy stalled until a section was named to draft it."@en ;
    pockg:publicity c:PUB-PUBLIC ; pockg:lifecycleState c:LC-LEARNED ;
    prov:wasDerivedFrom <{V.ID}document/workshop-2010/p/8.2.1> .
c:LC-LEARNED a pockg:LifecycleState ; skos:notation "LC-LEARNED" ;
    skos:prefLabel "lesson learned"@en , "enseignement validé"@fr ;
    skos:definition "Validated by a reviewer."@en ; skos:inScheme <{V.ID}scheme/lifecycle-state> .
"""

BROKEN = {
    "claim without a source": (
        f"prov:wasDerivedFrom <{V.ID}document/workshop-2010/p/8.2.1> ;\n    pockg:verificationStatus",
        "pockg:verificationStatus"),
    "operation without an acronym": ('pockg:acronym "MONUC" ;', ""),
    "operation without a country": (f"pockg:country <{V.ID}country/COD> ;", ""),
    "resolution with a malformed symbol": ('"S/RES/1279 (1999)"', '"S/RES/1279"'),
    "strategy with two missions": (
        f"pockg:mission <{V.ID}operation/MONUC> ;",
        f"pockg:mission <{V.ID}operation/MONUC> , <{V.ID}operation/MONUC2> ;"),
    "recommendation without a framework element": ("pockg:frameworkElement c:FE1 ;", ""),
    "document without a title": ('a pockg:Document ; dcterms:title "Workshop report"@en', "a pockg:Document"),
    "passage without a document": (f"dcterms:isPartOf <{V.ID}document/workshop-2010> .", "."),
    "lesson without a label": ('skos:prefLabel "Name the drafting lead early"@en ;', ""),
    "lesson without an observation": ('pockg:observation "The strategy stalled', 'skos:note "x'),
    "lesson neither public nor internal": ("pockg:publicity c:PUB-PUBLIC", "pockg:publicity c:T1"),
    "lesson without a lifecycle state": ("pockg:lifecycleState c:LC-LEARNED ;", ""),
    "concept without an English label": ('skos:prefLabel "system-wide"@en ,', "skos:prefLabel"),
}


def _validate(turtle: str):
    import pyshacl
    data = rdflib.Graph().parse(data=turtle, format="turtle")
    conforms, results, text = pyshacl.validate(
        data, shacl_graph=rdflib.Graph().parse(SHAPES), ont_graph=rdflib.Graph().parse(ONTOLOGY),
        inference="none")
    violations = [r for r in results.subjects(SH.resultSeverity, SH.Violation)]
    return conforms, violations, text


def test_well_formed_sample_conforms_to_the_shapes():
    conforms, violations, text = _validate(WELL_FORMED)
    assert conforms, text


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_sample_is_a_shape_violation(case):
    old, new = BROKEN[case]
    assert old in WELL_FORMED, f"test data for {case!r} is stale"
    conforms, violations, text = _validate(WELL_FORMED.replace(old, new, 1))
    assert not conforms
    assert violations, text

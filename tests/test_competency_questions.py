"""The competency questions of the foundation issue, asked in SPARQL of the
built graph. Expected answers come from the workshop report and the fact
sheets, not from the data files."""

from __future__ import annotations

from collections import defaultdict

import pyoxigraph as ox

from pockg import vocab as V

REPORT = V.entity("document", "workshop-2010")


def ids(values):
    return {v.rsplit("/", 1)[1] for v in values}


def test_cq1_missions_with_a_completed_strategy_by_the_workshop_and_their_scope(store):
    rows = store.select("""
        SELECT DISTINCT ?mission ?scope WHERE {
          ?s a pockg:ProtectionStrategy ; pockg:mission ?mission ; pockg:scope ?scope .
          ?claim rdf:subject ?s ; rdf:predicate pockg:scope ; prov:wasDerivedFrom ?passage .
          ?passage pockg:number "2.2" ; dcterms:isPartOf <https://w3id.org/pockg/id/document/workshop-2010> .
        }""").rows
    got = {(r["mission"].value.rsplit("/", 1)[1], r["scope"].value.rsplit("/", 1)[1]) for r in rows}
    assert got == {("MONUC", "SCOPE-SYSTEM"), ("UNAMID", "SCOPE-MISSION"), ("UNMIS", "SCOPE-MISSION")}


def test_cq2_the_section_that_led_drafting_in_each_mission(store):
    rows = store.select("""
        SELECT ?acronym ?leadLabel WHERE {
          ?s pockg:mission ?m ; pockg:draftingLead ?lead .
          ?m pockg:acronym ?acronym .
          ?lead skos:prefLabel ?leadLabel . FILTER(lang(?leadLabel) = "en")
          ?claim rdf:subject ?s ; rdf:predicate pockg:draftingLead ; prov:wasDerivedFrom ?p .
          ?p pockg:number "8.2.1" .
        }""").rows
    leads = {r["acronym"].value: r["leadLabel"].value.lower() for r in rows}
    assert set(leads) == {"UNAMID", "MONUC", "UNMIS", "MINUSTAH", "UNOCI"}
    assert "humanitarian liaison" in leads["UNAMID"]
    assert "civil affairs" in leads["MONUC"]
    assert "protection of civilians" in leads["UNMIS"]
    assert "human rights" in leads["MINUSTAH"] and "human rights" in leads["UNOCI"]


def test_cq3_the_first_operation_with_a_poc_mandate(store):
    rows = store.select("""
        SELECT ?acronym ?number ?date WHERE {
          ?op pockg:pocMandateBy ?res ; pockg:acronym ?acronym .
          ?res pockg:resolutionNumber ?number ; dcterms:date ?date .
        } ORDER BY ?date LIMIT 1""").rows
    first = rows[0]
    assert (first["acronym"].value, int(first["number"].value), first["date"].value[:4]) == \
        ("UNAMSIL", 1270, "1999")


def test_cq4_the_three_tiers_and_the_risk_category_matching_each(store):
    rows = store.select("""
        SELECT ?tier ?risk WHERE {
          ?t skos:inScheme <https://w3id.org/pockg/id/scheme/tier-2010> ; skos:notation ?tier .
          ?r pockg:correspondsToTier ?t ; skos:notation ?risk .
        }""").rows
    assert {(r["tier"].value, r["risk"].value) for r in rows} == {("T1", "R1"), ("T2", "R2"), ("T3", "R3")}


def test_cq5_resolutions_behind_reporting_requirements_and_their_subject(store):
    rows = store.select("""
        SELECT ?number ?subject WHERE {
          ?req a pockg:ReportingRequirement ; pockg:basedOnResolution ?res ; pockg:subjectSummary ?subject .
          ?res pockg:resolutionNumber ?number .
          ?claim rdf:subject ?req ; prov:wasDerivedFrom/pockg:number "8.9.5" .
        }""").rows
    by_number = defaultdict(set)
    for r in rows:
        by_number[int(r["number"].value)].add(r["subject"].value.lower())
    assert {1612, 1882, 1888, 1894} <= set(by_number)
    assert any("sexual violence" in s for s in by_number[1888])
    assert any("child" in s for s in by_number[1612])


def test_cq6_recommendations_on_coordination_mechanisms_with_their_paragraphs(store):
    rows = store.select("""
        SELECT ?rec ?n WHERE {
          ?rec a pockg:Recommendation ; pockg:frameworkElement <https://w3id.org/pockg/id/concept/FE7> ; pockg:atPassage/pockg:number ?n .
        }""").rows
    assert {(r["rec"].value.rsplit("/", 1)[1], r["n"].value) for r in rows} == \
        {("R37", "8.8.1"), ("R38", "8.8.2"), ("R39", "8.8.3")}


def test_cq7_the_unsettled_question_of_8_6_3_and_its_positions(store):
    rows = store.select("""
        SELECT ?q ?position WHERE {
          ?q a pockg:ContestedQuestion ; pockg:settled false ; pockg:atPassage/pockg:number "8.6.3" ;
             pockg:hasPosition ?p .
          ?p skos:prefLabel ?position .
        }""").rows
    positions = {r["position"].value.lower() for r in rows}
    assert len({r["q"].value for r in rows}) == 1
    assert len(positions) >= 2
    assert any("dedicated" in p for p in positions)
    assert any("existing" in p for p in positions)


def test_cq8_what_monuc_became_when_and_by_which_resolution(store):
    rows = store.select("""
        SELECT DISTINCT ?start ?number ?adopted WHERE {
          <https://w3id.org/pockg/id/operation/MONUC> pockg:hasSuccessor ?next .
          ?next pockg:acronym "MONUSCO" ; pockg:startDate ?start ; pockg:establishedBy ?res .
          ?res pockg:resolutionNumber ?number ; dcterms:date ?adopted .
        }""").rows
    assert [(r["start"].value, int(r["number"].value), r["adopted"].value) for r in rows] == \
        [("2010-07-01", 1925, "2010-05-28")]


POC_ON_DATE = """
SELECT DISTINCT ?acronym ?day WHERE {
  ?op a pockg:PeaceOperation ; pockg:acronym ?acronym ; pockg:pocMandateBy ?res .
  # the start of operations, or where no source states it the founding resolution's adoption
  OPTIONAL { ?op pockg:startDate ?began }
  OPTIONAL { ?op pockg:establishedBy/dcterms:date ?founded }
  BIND(COALESCE(?began, ?founded) AS ?start)
  ?res dcterms:date ?given .
  FILTER(?given <= ?day)
  # some operations are known to have started only in a given year (xsd:gYear)
  FILTER(IF(datatype(?start) = xsd:gYear, xsd:integer(STR(?start)) <= YEAR(?day), ?start <= ?day))
  OPTIONAL { ?op pockg:endDate ?end }
  FILTER(!BOUND(?end) || ?end >= ?day)
}"""


def test_cq9_operations_holding_a_poc_mandate_on_1_june_2010(store):
    day = ox.Literal("2010-06-01", datatype=ox.NamedNode(V.XSD + "date"))
    got = set(store.select(POC_ON_DATE, {"day": day}).values("acronym"))
    assert got == {"MONUC", "UNMIL", "UNOCI", "MINUSTAH", "UNMIS", "UNIFIL", "UNAMID", "MINURCAT"}


def test_cq10_recommendations_for_each_framework_element(store):
    rows = store.select("""
        SELECT ?fe (COUNT(?rec) AS ?n) WHERE {
          ?rec a pockg:Recommendation ; pockg:frameworkElement ?c . ?c skos:notation ?fe .
        } GROUP BY ?fe""").rows
    counts = {r["fe"].value: int(r["n"].value) for r in rows}
    assert set(counts) == {f"FE{i}" for i in range(1, 9)}
    assert sum(counts.values()) == 44


def test_cq11_vulnerable_groups_and_factors_a_strategy_should_define(store):
    rows = store.select("""
        SELECT ?notation WHERE {
          ?rec a pockg:Recommendation ; pockg:atPassage/pockg:number "8.4.2" ; pockg:about ?c .
          ?c skos:notation ?notation .
          { ?c a pockg:VulnerableGroup } UNION { ?c a pockg:VulnerabilityFactor }
        }""").values("notation")
    assert set(rows) == {"VG-REF", "VG-IDP", "VG-AGE", "VG-GEN", "VG-SOC", "VG-AFF",
                         "VF-DISP", "VF-SEP", "VF-POL", "VF-ROL"}


def test_cq12_recommended_coordination_structure_at_each_level(store):
    rows = store.select("""
        SELECT ?level ?label WHERE {
          ?m a pockg:CoordinationMechanism ; pockg:mechanismStatus <https://w3id.org/pockg/id/concept/CMS-RECOMMENDED> ;
             pockg:level/skos:notation ?level ; skos:prefLabel ?label .
        }""").rows
    by_level = defaultdict(set)
    for r in rows:
        by_level[r["level"].value].add(r["label"].value.lower())
    assert any("protection group" in label for label in by_level["LVL-HQ"])
    assert any("technical cell" in label for label in by_level["LVL-HQ"])
    assert by_level["LVL-REGIONAL"]
    assert any("working group" in label for label in by_level["LVL-FIELD"])

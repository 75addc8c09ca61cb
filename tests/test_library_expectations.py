"""What each comparison of the query library answers on the curated graph.

One test per library query pins its substantive answer. The expected values
come from the workshop report and the fact sheets (drafting leads from
¶8.2.1, scopes from ¶2.2, the operations with a PoC mandate on 1 June 2010,
...), not from the data files: when a test here fails after a data change,
check the change against the sources before changing the test. Sets that
more curation may extend (strategies, mechanisms, resolutions) are checked
by inclusion. Where the sources say nothing (which tiers, risk categories,
framework elements or vulnerable groups the 2009-2010 strategies address),
the tests pin that the cells are gaps (unbound), never "no"; two tests on a
tiny synthetic graph show the same queries filling such cells, with their
evidence, once a claim exists.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pockg.compare import to_matrix
from pockg.errors import QueryError
from pockg.library import QueryLibrary
from pockg.store import open_store

ID = "https://w3id.org/pockg/id/"
REPORT = ID + "document/workshop-2010"
WORKSHOP_MISSIONS = ["MONUC", "UNAMID", "UNMIS", "MINUSTAH", "UNOCI"]
# The strategies of those missions known when this was written; more may be
# curated later (the tests check inclusion, not equality, for these).
WORKSHOP_STRATEGIES = {"MONUC-2009", "UNAMID-2009", "UNAMID-2013", "UNMIS-2009",
                       "MINUSTAH-2010", "ONUCI-2010"}


def iri(kind: str, key: str) -> str:
    return f"{ID}{kind}/{key}"


def key(value: str) -> str:
    return value.rsplit("/", 1)[-1]


def passages(evidence: dict, column: str) -> set[tuple[str, str]]:
    """(document, paragraph) of each passage cited for a cell."""
    return {(e["document"], e["paragraph"]) for e in evidence.get(column, [])
            if e["kind"] == "passage"}


@pytest.fixture(scope="module")
def lib(settings):
    return QueryLibrary(settings.queries_dir)


# -- 1. drafting-lead ---------------------------------------------------------

def test_drafting_lead_names_each_missions_section_with_the_paragraph(lib, store):
    table = lib.run("drafting-lead", {}, store)  # the five missions of the workshop
    rows = {key(r["strategy"]): (r, e) for r, e in zip(table.rows, table.evidence)}
    assert WORKSHOP_STRATEGIES <= set(rows)
    leads = {"MONUC-2009": "MONUC-CA", "UNAMID-2009": "UNAMID-HLS", "UNMIS-2009": "UNMIS-POC",
             "MINUSTAH-2010": "MINUSTAH-HR", "ONUCI-2010": "UNOCI-HR"}
    for strategy, lead in leads.items():
        row, evidence = rows[strategy]
        assert row["lead"] == iri("actor", lead), strategy
        assert (REPORT, "8.2.1") in passages(evidence, "lead"), strategy
    assert "civil affairs" in rows["MONUC-2009"][0]["leadLabel"].lower()
    assert "humanitarian liaison" in rows["UNAMID-2009"][0]["leadLabel"].lower()
    assert "protection of civilians" in rows["UNMIS-2009"][0]["leadLabel"].lower()
    assert "human rights" in rows["MINUSTAH-2010"][0]["leadLabel"].lower()
    assert "human rights" in rows["ONUCI-2010"][0]["leadLabel"].lower()
    # Scope (¶2.2): MONUC system-wide, UNAMID and UNMIS mission-only; no
    # source says for MINUSTAH or ONUCI, so those cells are gaps, not "no".
    assert rows["MONUC-2009"][0]["scope"] == iri("concept", "SCOPE-SYSTEM")
    assert rows["UNAMID-2009"][0]["scope"] == iri("concept", "SCOPE-MISSION")
    assert rows["UNMIS-2009"][0]["scope"] == iri("concept", "SCOPE-MISSION")
    assert (REPORT, "2.2") in passages(rows["MONUC-2009"][1], "scope")
    assert "scope" not in rows["MINUSTAH-2010"][0] and "scope" not in rows["ONUCI-2010"][0]
    # MONUC's three-year strategy with annual action plans (¶8.3.4).
    monuc, monuc_evidence = rows["MONUC-2009"]
    assert monuc["timeframe"] == "three years"
    assert (REPORT, "8.3.4") in passages(monuc_evidence, "timeframe")
    assert "annual" in monuc["revision"]
    # No source says whether any of the 2009-2010 strategies is public or internal.
    assert all("publicity" not in rows[s][0] for s in WORKSHOP_STRATEGIES)
    assert rows["ONUCI-2010"][0]["status"] == iri("concept", "SST-DRAFTING")
    # The later UNAMID strategy is listed with its gaps, not dropped.
    assert "lead" not in rows["UNAMID-2013"][0]


def test_drafting_lead_keeps_to_the_chosen_missions(lib, store):
    table = lib.run("drafting-lead", {"missions": "MONUC,UNAMID"}, store)
    assert {key(r["mission"]) for r in table.rows} == {"MONUC", "UNAMID"}
    monuc = [e for r, e in zip(table.rows, table.evidence) if key(r["strategy"]) == "MONUC-2009"]
    assert monuc and (REPORT, "8.2.1") in passages(monuc[0], "lead")
    matrix = to_matrix(table)
    assert matrix.columns == ["lead", "scope", "timeframe", "revision", "publicity", "status"]
    assert matrix.differs("lead") and matrix.cell(iri("strategy", "MONUC-2009"), "publicity").gap


# -- 2-4, 7. coverage matrices ---------------------------------------------------

def assert_grid(table, row_column, column_column, rows, columns):
    """Every row value meets every column value (a cell, filled or a gap)."""
    cells: dict[str, set[str]] = {}
    for r in table.rows:
        cells.setdefault(key(r[row_column]), set()).add(key(r[column_column]))
    assert set(rows) <= set(cells)
    assert all(found == set(columns) for found in cells.values()), cells
    return cells


def assert_gaps_are_unbound_and_fills_have_evidence(table, filled_column):
    for row, evidence in zip(table.rows, table.evidence):
        if filled_column in row:
            assert evidence.get(filled_column), row
        else:
            assert "addressed" not in row and not evidence, row


def test_tier_coverage_is_every_mission_and_tier_with_gaps_where_no_source_says(lib, store):
    tiers = ["T1", "T2", "T3", "T1-2015", "T2-2015", "T3-2015"]
    table = lib.run("tier-coverage", {}, store)
    assert_grid(table, "mission", "tier", WORKSHOP_MISSIONS, tiers)
    assert_gaps_are_unbound_and_fills_have_evidence(table, "strategy")
    filled = {(key(r["mission"]), key(r["tier"]), key(r["strategy"]))
              for r in table.rows if "strategy" in r}
    # UNAMID's refined strategy is built on the three tiers (its contents, §II.B).
    assert {("UNAMID", t, "UNAMID-REFINED") for t in ("T1-2015", "T2-2015", "T3-2015")} <= filled
    # MONUC's 2009-2010 strategy: no source says which tiers it frames.
    assert not any(m == "MONUC" for m, _, _ in filled)
    matrix = to_matrix(table)
    assert matrix.columns == ["protection through political process",
                              "protection from physical violence",
                              "establishing a protective environment",
                              "protection through dialogue and engagement",
                              "provision of physical protection",
                              "establishment of a protective environment"]
    assert matrix.cell(iri("operation", "MONUC"), "protection from physical violence").gap
    refined = matrix.cell(iri("operation", "UNAMID"), "provision of physical protection")
    assert refined.values and refined.evidence


def test_risk_coverage_is_every_mission_and_category_with_gaps_where_no_source_says(
        lib, store):
    table = lib.run("risk-coverage", {"missions": "MONUC,UNAMID,UNMIS"}, store)
    assert_grid(table, "mission", "risk", ["MONUC", "UNAMID", "UNMIS"], ["R1", "R2", "R3"])
    assert [r["riskNotation"] for r in table.rows[:3]] == ["R1", "R2", "R3"]
    assert_gaps_are_unbound_and_fills_have_evidence(table, "strategy")
    # No source says which of the workshop's risk categories these missions'
    # strategies use (UNAMID's refined one lists threat areas, not categories).
    assert not any("strategy" in r for r in table.rows)


def test_framework_gaps_lists_every_strategy_against_the_eight_elements(lib, store):
    table = lib.run("framework-gaps", {}, store)
    elements = [f"FE{i}" for i in range(1, 9)]
    assert_grid(table, "strategy", "element", WORKSHOP_STRATEGIES, elements)
    assert_gaps_are_unbound_and_fills_have_evidence(table, "addressed")
    # No source maps the 2009-2010 strategies onto the workshop's framework.
    assert not any("addressed" in r for r in table.rows
                   if key(r["strategy"]) in {"MONUC-2009", "UNAMID-2009", "UNMIS-2009"})
    one = lib.run("framework-gaps", {"missions": "UNMIS", "framework_elements": "FE7"}, store)
    assert [(key(r["strategy"]), r["elementLabel"]) for r in one.rows] == \
        [("UNMIS-2009", "coordination mechanisms")]


def test_vulnerable_groups_covers_every_group_and_factor(lib, store):
    table = lib.run("vulnerable-groups", {"missions": "MONUC,UNMIS"}, store)
    concepts = ["VG-AFF", "VG-AGE", "VG-GEN", "VG-IDP", "VG-REF", "VG-SOC",
                "VF-DISP", "VF-POL", "VF-ROL", "VF-SEP"]
    assert_grid(table, "strategy", "concept", ["MONUC-2009", "UNMIS-2009"], concepts)
    first = [r["conceptNotation"] for r in table.rows if key(r["strategy"]) == "MONUC-2009"]
    assert first == concepts  # groups first, then factors, each by notation
    assert_gaps_are_unbound_and_fills_have_evidence(table, "addressed")
    # MONUC-2009 and UNMIS-2009: no source names the groups they address.
    assert not any("addressed" in r for r in table.rows
                   if key(r["strategy"]) in {"MONUC-2009", "UNMIS-2009"})


# -- 5. coordination-by-level -------------------------------------------------------

def test_coordination_by_level_lists_actual_and_recommended_mechanisms(lib, store):
    table = lib.run("coordination-by-level", {}, store)
    got = {(r["context"], key(r["mechanism"]), key(r["level"])) for r in table.rows}
    assert got >= {
        ("recommended", "K7", "LVL-LEADERSHIP"), ("recommended", "K1", "LVL-HQ"),
        ("recommended", "K2", "LVL-HQ"), ("recommended", "K3", "LVL-REGIONAL"),
        ("recommended", "K4", "LVL-FIELD"), ("recommended", "K5", "LVL-EXTERNAL"),
        ("recommended", "K6", "LVL-DRAFTING"),
        ("MONUC", "MONUC-JPT", "LVL-FIELD"),
        ("UNAMID", "UNAMID-JPG", "LVL-HQ"), ("UNAMID", "UNAMID-SECTOR-JPG", "LVL-REGIONAL"),
        ("UNMIS", "UNMIS-KPSG", "LVL-HQ"), ("UNMIS", "UNMIS-SCHRP", "LVL-HQ"),
        ("UNMIS", "UNMIS-FIELD-PWG", "LVL-FIELD"),
        ("MINUSTAH", "MINUSTAH-JOTC", "LVL-EXTERNAL"),
    }
    # The recommended ones come first, from the top of the mission down.
    assert [key(r["mechanism"]) for r in table.rows[:7]] == \
        ["K7", "K1", "K2", "K3", "K4", "K5", "K6"]
    assert all("mission" not in r for r in table.rows[:7])
    by_mechanism = {key(r["mechanism"]): (r, e) for r, e in zip(table.rows, table.evidence)}
    jpt, jpt_evidence = by_mechanism["MONUC-JPT"]
    assert jpt["ledBy"] == iri("actor", "MONUC-CA") and jpt_evidence["mission"]
    assert by_mechanism["UNAMID-JPG"][0]["ledBy"] == iri("actor", "UNAMID-POC-HLS")
    assert (REPORT, "8.8.1") in passages(by_mechanism["K1"][1], "level")
    matrix = to_matrix(table)
    assert [label for _, label in matrix.rows][0] == "recommended"
    assert matrix.columns[0] == "mission leadership"


def test_coordination_by_level_can_leave_out_the_recommended_ones(lib, store):
    table = lib.run("coordination-by-level",
                    {"missions": "UNMIS", "include_recommended": "no"}, store)
    assert sorted(key(r["mechanism"]) for r in table.rows) == \
        ["UNMIS-FIELD-PWG", "UNMIS-KPSG", "UNMIS-SCHRP"]
    with pytest.raises(QueryError, match="not one of"):
        lib.run("coordination-by-level", {"include_recommended": "maybe"}, store)


# -- 6. actors-and-roles ------------------------------------------------------------

def test_actors_and_roles_ties_sections_to_drafting_and_coordination(lib, store):
    table = lib.run("actors-and-roles", {"missions": "MONUC,UNAMID"}, store)
    rows = list(zip(table.rows, table.evidence))
    links = {(key(r["actor"]), r["link"], key(r.get("role") or r.get("strategy")
                                             or r.get("mechanism") or r.get("partOf")))
             for r, _ in rows}
    assert ("MONUC-CA", "leads drafting", "MONUC-2009") in links
    assert ("MONUC-CA", "leads coordination", "MONUC-JPT") in links
    assert ("MONUC-CA", "role", "MONUC-CA-1") in links
    assert ("MONUC-CA", "part of the mission", "MONUC") in links
    assert ("UNAMID-HLS", "leads drafting", "UNAMID-2009") in links
    assert ("UNAMID-POC-HLS", "leads coordination", "UNAMID-JPG") in links
    # The JPT contributors (FFI-rapport 2010/02378) are MONUC's.
    assert {"MONUC-HR", "MONUC-PA", "MONUC-CP", "MONUC-PI", "MONUC-UNPOL"} <= \
        {a for a, link, _ in links if link == "role"}
    # Generic posts recommended for every mission carry no mission.
    assert not any(key(r["actor"]) in {"head-of-mission", "head-of-office"} for r, _ in rows)
    role = [(r, e) for r, e in rows if r.get("role") == iri("role", "MONUC-CA-1")]
    assert role and (REPORT, "8.2.1") in passages(role[0][1], "role")
    assert "drafting lead" in role[0][0]["roleDescription"]
    assert all(r["missionLabel"] in {"MONUC", "UNAMID"} for r, _ in rows)


# -- 8. mandate-timeline ---------------------------------------------------------------

def test_mandate_timeline_orders_by_date_and_marks_poc_language(lib, store):
    table = lib.run("mandate-timeline", {}, store)
    missions = [r["missionLabel"] for r in table.rows]
    assert missions == sorted(missions)
    assert set(missions) == {"UNAMSIL", "MONUC", "MONUSCO", "UNMIL", "UNOCI", "ONUB", "MINUSTAH",
                             "UNMIS", "UNIFIL", "UNAMID", "MINURCAT", "UNMISS", "UNISFA",
                             "MINUSMA", "MINUSCA"}
    for mission in set(missions):
        dates = [r["date"] for r in table.rows if r["missionLabel"] == mission]
        assert dates == sorted(dates), mission
    monuc = [(r, e) for r, e in zip(table.rows, table.evidence) if r["missionLabel"] == "MONUC"]
    known = ["1279", "1291", "1856", "1906", "1925"]  # MONUC's resolutions, in date order
    seen = [key(r["resolution"]) for r, _ in monuc]
    assert [n for n in dict.fromkeys(seen) if n in known] == known
    by_mandate = {key(r["mandate"]): (r, e) for r, e in monuc}
    established = by_mandate["1279-MONUC-1"][0]
    assert established["action"] == iri("concept", "MA-ESTABLISHES")
    assert "pocLanguage" not in established  # no source says either way
    assert by_mandate["1291-MONUC-1"][0]["pocLanguage"] == "true"  # the first PoC mandate
    assert by_mandate["1291-MONUC-1"][1]["action"]
    # 1925 renames MONUC; its PoC language is MONUSCO's, not MONUC's.
    renamed = by_mandate["1925-MONUC-1"][0]
    assert renamed["resolutionPoC"] == "true" and "pocLanguage" not in renamed
    unifil = {key(r["resolution"]): r for r in table.rows if r["missionLabel"] == "UNIFIL"}
    assert unifil["425"]["pocLanguage"] == "false" and unifil["1701"]["pocLanguage"] == "true"
    assert all("action" in e for r, e in zip(table.rows, table.evidence) if "action" in r)


# -- 9. poc-mandates-on-date -------------------------------------------------------------

def test_poc_mandates_on_1_june_2010(lib, store):
    table = lib.run("poc-mandates-on-date", {}, store)  # default: 2010-06-01
    assert [r["acronym"] for r in table.rows] == \
        ["MINURCAT", "MINUSTAH", "MONUC", "UNAMID", "UNIFIL", "UNMIL", "UNMIS", "UNOCI"]
    first = {r["acronym"]: key(r["resolution"]) for r in table.rows}
    assert first["MONUC"] == "1291" and first["UNAMID"] == "1769" and first["UNIFIL"] == "1701"
    assert all(e.get("resolution") for e in table.evidence)


def test_poc_mandates_on_other_days(lib, store):
    def on(day):
        return {r["acronym"] for r in lib.run("poc-mandates-on-date", {"date": day}, store).rows}
    assert on("1999-10-22") == {"UNAMSIL"}  # the first PoC mandate, adopted that day
    july = on("2010-07-01")  # MONUC ended on 30 June 2010; MONUSCO began on 1 July
    assert "MONUSCO" in july and "MONUC" not in july
    with pytest.raises(QueryError, match="is not a date"):
        on("2010-06-31")


# -- 10. reporting-requirements ---------------------------------------------------------

def test_reporting_requirements_and_their_resolutions(lib, store):
    table = lib.run("reporting-requirements", {}, store)
    rows = list(zip(table.rows, table.evidence))
    numbers = {int(r["number"]) for r, _ in rows if "number" in r}
    assert {1612, 1882, 1888, 1894} <= numbers
    subjects = {int(r["number"]): r["subject"].lower() for r, _ in rows if "number" in r}
    assert "sexual violence" in subjects[1888] and "child" in subjects[1612]
    rr1894 = [e for r, e in rows if key(r["requirement"]) == "RR-1894"]
    assert rr1894 and (REPORT, "8.9.5") in passages(rr1894[0], "resolution")
    # Requirements that rest on no resolution are still listed.
    unresolved = {key(r["requirement"]) for r, _ in rows if "resolution" not in r}
    assert {"RR-HR", "RR-SG-POC"} <= unresolved


# -- 11. recommendations ----------------------------------------------------------------

def test_recommendations_by_framework_element(lib, store):
    table = lib.run("recommendations", {}, store)
    assert [key(r["rec"]) for r in table.rows] == [f"R{i:02d}" for i in range(1, 45)]
    rows = {key(r["rec"]): r for r in table.rows}
    # Lists read the same on every engine: notations in alphabetical order.
    assert rows["R15"]["tiers"] == "T1 T2 T3" and rows["R15"]["risks"] == "R1 R2 R3"
    assert rows["R16"]["about"] == " ".join(sorted(
        ["VG-AFF", "VG-AGE", "VG-GEN", "VG-IDP", "VG-REF", "VG-SOC",
         "VF-DISP", "VF-POL", "VF-ROL", "VF-SEP"]))
    assert rows["R16"]["elementNotation"] == "FE3"
    assert set(rows["R16"]["topics"].split()) == {"vulnerability", "vulnerable-groups"}
    fe7 = lib.run("recommendations", {"framework_elements": "FE7"}, store)
    assert [(key(r["rec"]), r["paragraph"]) for r in fe7.rows] == \
        [("R37", "8.8.1"), ("R38", "8.8.2"), ("R39", "8.8.3")]
    assert (REPORT, "8.8.1") in passages(fe7.evidence[0], "element")


def test_recommendation_lists_fit_their_slots(store):
    """The lists spell out at most 6 tiers, 4 risks, 12 concepts, 8 topics."""
    limits = {"tier": 6, "riskCategory": 4, "about": 12, "topic": 8}
    for prop, limit in limits.items():
        rows = store.select(f"""
            SELECT ?rec (COUNT(DISTINCT ?c) AS ?n) WHERE {{
              ?rec a pockg:Recommendation ; pockg:{prop} ?c }} GROUP BY ?rec""").rows
        assert all(int(r["n"].value) <= limit for r in rows), prop


# -- 12. contested-questions --------------------------------------------------------------

def test_contested_questions_with_positions(lib, store):
    table = lib.run("contested-questions", {}, store)
    rows = list(zip(table.rows, table.evidence))
    workshop = {f"X{i}" for i in range(1, 9)}
    assert workshop <= {key(r["question"]) for r, _ in rows}
    x1 = [(r, e) for r, e in rows if key(r["question"]) == "X1"]
    assert {r["paragraph"] for r, _ in x1} == {"8.6.3"}
    assert all(r["settled"] == "false" for r, _ in x1)
    positions = {r["positionLabel"].lower() for r, _ in x1}
    assert any("dedicated" in p for p in positions) and any("existing" in p for p in positions)
    assert all((REPORT, "8.6.3") in passages(e, "settled") for _, e in x1)
    assert all(e.get("position") for _, e in x1)
    settled = {key(r["question"]) for r, _ in rows
               if r["settled"] == "true" and key(r["question"]) in workshop}
    agreement = {key(r["question"]) for r, _ in rows
                 if key(r["type"]) == "QT-AGREEMENT" and key(r["question"]) in workshop}
    assert settled == agreement == {"X5", "X6", "X7"}
    held = {r["heldBy"] for r, _ in rows if key(r["question"]) == "X8"}
    assert held == {"Global Protection Cluster; Humanitarian agencies (collectively)"}


# -- 13. lessons ----------------------------------------------------------------------------

def test_lessons_runs_and_is_empty_until_lessons_are_curated(lib, store):
    table = lib.run("lessons", {}, store)
    assert table.rows == []
    assert {"lesson", "state", "mission", "tier"} <= set(table.columns)


# -- the same queries on a tiny graph where the gaps are filled ---------------------------

TINY = """
@prefix pockg: <https://w3id.org/pockg/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@base <https://w3id.org/pockg/id/> .
<https://w3id.org/pockg/graph/source/test> {
  <operation/MONUC> a pockg:PeaceOperation ; pockg:acronym "MONUC" ;
      skos:prefLabel "MONUC"@en .
  <strategy/S> a pockg:ProtectionStrategy ;
      pockg:mission <operation/MONUC> ; skos:prefLabel "S"@en ;
      pockg:addresses <concept/T1> , <concept/FE3> .
  <concept/T1> a skos:Concept ; skos:notation "T1" ; skos:prefLabel "tier one"@en .
  <concept/T2> a skos:Concept ; skos:notation "T2" ; skos:prefLabel "tier two"@en .
  <concept/FE3> a skos:Concept ; skos:notation "FE3" ; skos:prefLabel "risks"@en .
  <concept/LS-ID> a skos:Concept ; skos:notation "LS-ID" ;
      skos:prefLabel "lesson identified"@en .
  <concept/VS-S> skos:notation "VS-S" .
  <claim/c1> a pockg:Claim ; rdf:subject <strategy/S> ;
      rdf:predicate pockg:addresses ; rdf:object <concept/T1> ;
      prov:wasDerivedFrom <document/d/p/4.1> ;
      pockg:verificationStatus <concept/VS-S> .
  <document/d/p/4.1> pockg:number "4.1" ;
      dcterms:isPartOf <document/d> .
  <https://w3id.org/pockg/user/lesson/L1> a pockg:Lesson ; skos:prefLabel "L1"@en ;
      pockg:mission <operation/MONUC> ;
      pockg:lifecycleState <concept/LS-ID> ;
      pockg:tier <concept/T2> .
}
"""


@pytest.fixture(scope="module")
def tiny():
    store = open_store(":memory:")
    store.extend(ox.parse(TINY, format=ox.RdfFormat.TRIG))
    return store


def test_coverage_cells_fill_with_their_evidence_once_a_claim_exists(lib, tiny):
    table = lib.run("tier-coverage", {"missions": "MONUC", "tiers": "T1,T2"}, tiny)
    cells = {key(r["tier"]): (r, e) for r, e in zip(table.rows, table.evidence)}
    t1, t1_evidence = cells["T1"]
    assert t1["strategy"] == iri("strategy", "S") and t1["addressed"] == "addressed"
    assert passages(t1_evidence, "strategy") == {(iri("document", "d"), "4.1")}
    assert "strategy" not in cells["T2"][0]  # a gap
    gaps = lib.run("framework-gaps", {"missions": "MONUC", "framework_elements": "FE3"}, tiny)
    assert [r.get("addressed") for r in gaps.rows] == ["addressed"]


def test_lessons_lists_a_curated_lesson(lib, tiny):
    table = lib.run("lessons", {"missions": "MONUC"}, tiny)
    assert [(r["lessonLabel"], r["stateLabel"], key(r["tier"])) for r in table.rows] == \
        [("L1", "lesson identified", "T2")]

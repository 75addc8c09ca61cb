"""The policy around the strategies: dated, sourced policy documents in a timeline
(the library query policy-timeline and a section of the home page)."""

from __future__ import annotations

import pyoxigraph as ox
import pytest

from pockg import api
from pockg import vocab as V
from web.browse import readable_date

ALLOWED = {"VS-S", "VS-SV", "VS-V", "VS-P", "VS-C"}


@pytest.fixture(scope="module")
def timeline(store, settings):
    return api.run_query("policy-timeline", store=store, settings=settings)


def test_at_least_twelve_policy_documents_have_a_date_with_a_source(timeline):
    dated = {}
    for row, evidence in zip(timeline.rows, timeline.evidence):
        if row.get("date"):
            dated.setdefault(row["document"], []).extend(evidence.get("date", []))
    assert len(dated) >= 12
    unsourced = [doc for doc, ev in dated.items() if not ev]
    assert unsourced == []
    assert {e["status"] for ev in dated.values() for e in ev} <= ALLOWED


def test_the_documents_the_issue_names_are_there(timeline):
    ids = {row["document"].rsplit("/", 1)[-1] for row in timeline.rows}
    assert {"holt-taylor-2009", "dpko-dfs-lessons-learned-note", "c34-report-a-63-19",
            "c34-report-a-64-19", "sg-decision-integration-2008", "impp-guidelines",
            "iasc-protection-definition", "nupi-accord-comparative-study",
            "dpko-dfs-framework-2011", "dpko-dfs-poc-policy-2015", "dpo-poc-policy-2019",
            "dpo-poc-handbook-2020", "dpko-dfs-operational-concept-2010"} <= ids


def test_the_timeline_runs_in_date_order_with_undated_documents_last(timeline):
    dates = [row.get("date") for row in timeline.rows]
    known = [d for d in dates if d]
    assert known == sorted(known)
    assert dates[:len(known)] == known


def test_a_date_is_as_precise_as_its_source(store):
    kinds = {4: "gYear", 7: "gYearMonth", 10: "date"}
    rows = store.select("""SELECT ?d ?date WHERE { ?d a pockg:PolicyDocument ;
                                                 dcterms:issued ?date }""").rows
    assert rows
    for r in rows:
        lit = r["date"]
        assert lit.datatype == ox.NamedNode(V.XSD + kinds[len(lit.value)]), (r["d"], lit)


def test_a_symbol_is_given_only_where_a_source_states_it(timeline):
    symbols = {row["document"].rsplit("/", 1)[-1]: row.get("symbol") for row in timeline.rows}
    assert symbols["c34-report-a-64-19"] == "A/64/19"
    assert symbols["holt-taylor-2009"] is None


def test_a_revision_points_to_the_policy_it_revises(timeline):
    revises = {row["document"].rsplit("/", 1)[-1]: row.get("revises") for row in timeline.rows}
    assert revises["dpo-poc-policy-2019"] == V.ID + "policy/dpko-dfs-poc-policy-2015"


@pytest.mark.parametrize("value, lang, shown", [
    ("2009", "en", "2009"), ("2009-12", "en", "December 2009"),
    ("2010-05-31", "en", "31 May 2010"), ("2008-06", "fr", "juin 2008"), (None, "en", None)])
def test_a_date_reads_as_precisely_as_it_is_known(value, lang, shown):
    assert readable_date(value, lang) == shown


def test_the_home_page_lists_the_documents_by_date_and_marks_doubtful_dates(curated_store_path):
    from web import create_app

    app = create_app({"STORE": str(curated_store_path), "READ_ONLY": True}, profile="testing")
    try:
        client = app.test_client()
        html = client.get("/").get_data(as_text=True)
        data = client.get("/?format=json").get_json()
    finally:
        workers = app.extensions["pockg"].extras.get("sparql_workers")
        if workers:
            workers.shutdown()
    assert "Policy and guidance on protecting civilians" in html
    assert "December 2009" in html and "date: partly verified" in html
    policy = {p["iri"].rsplit("/", 1)[-1]: p for p in data["policy_timeline"]}
    assert len([p for p in policy.values() if p["date"]]) >= 12
    assert len(policy["dpko-dfs-poc-policy-2015"]["issuers"]) == 2      # a joint issue
    assert policy["impp-guidelines"]["doubtful"] == "partly verified"

"""Comparisons as of a day: only the strategy versions in force then (pockg.versions),
through the library, the API, the command line and /compare."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pockg import api
from pockg import vocab as V
from pockg.cli import main
from pockg.errors import QueryError
from pockg.versions import Versions, on_or_before, strategies_in_force

S = V.ID + "strategy/"
FIRST_GENERATION = {S + "MONUC-2009", S + "UNAMID-2009", S + "UNMIS-2009"}
LATER = {S + "MONUSCO-2012", S + "UNAMID-2013", S + "UNAMID-REFINED", S + "UNMISS-2012"}


@pytest.mark.parametrize("date, day, expected", [
    ("2012", "2012-01-01", True), ("2012", "2011-12-31", False),
    ("2012-06", "2012-06-30", True), ("2012-06", "2012-05-31", False),
    ("2010-05-31", "2010-06-01", True), ("2010-06-02", "2010-06-01", False)])
def test_a_date_counts_from_the_start_of_its_precision(date, day, expected):
    assert on_or_before(date, day) is expected


def test_a_revision_takes_over_from_the_day_it_exists():
    v = Versions(since={"a": "2009", "b": "2013-03-17", "c": "2020"},
                 revised_by={"a": {"b"}, "b": {"c"}})
    assert v.in_force("2010-06-01") == {"a"}
    assert v.in_force("2013-03-17") == {"b"}
    assert v.in_force("2021-01-01") == {"c"}
    assert v.in_force("2008-01-01") == set()


def test_on_the_workshop_day_the_2009_10_versions_are_in_force(store):
    found = strategies_in_force(store, "2010-06-01")
    assert FIRST_GENERATION <= found
    assert not (found & LATER)


def test_as_of_drops_the_rows_of_later_versions(store, settings):
    every = api.compare(["UNAMID", "MONUC", "MONUSCO"], "drafting-lead", store=store,
                        settings=settings)
    then = api.compare(["UNAMID", "MONUC", "MONUSCO"], "drafting-lead", store=store,
                       settings=settings, as_of="2010-06-01")
    assert len(then.rows) < len(every.rows)
    assert {label for _, label in then.rows} == {
        "MONUC system-wide PoC strategy (2009-2010)", "UNAMID PoC strategy (2009-2010)"}
    assert then.params["as_of"] == "2010-06-01"


def test_as_of_empties_the_cells_a_later_version_filled(store, settings):
    def filled(matrix):
        return {(k, c) for k, _ in matrix.rows for c in matrix.columns
                if not matrix.cell(k, c).gap}

    every = api.compare(["UNAMID"], "tier-coverage", store=store, settings=settings)
    then = api.compare(["UNAMID"], "tier-coverage", store=store, settings=settings,
                       as_of="2010-06-01")
    assert filled(every)                  # the refined strategy addresses the 2015 tiers
    assert filled(then) == set()


@pytest.mark.parametrize("bad", ["2010-13-01", "1 June 2010", "2010"])
def test_a_day_that_is_not_a_day_is_refused(store, settings, bad):
    with pytest.raises(QueryError, match="as_of"):
        api.compare(["UNAMID"], "drafting-lead", store=store, settings=settings, as_of=bad)


def test_a_query_that_compares_no_strategies_refuses_as_of(store, settings):
    with pytest.raises(QueryError, match="takes no as_of"):
        api.run_query("mandate-timeline", store=store, settings=settings, as_of="2010-06-01")


def test_cli_compare_as_of(curated_store_path):
    r = CliRunner().invoke(main, ["compare", "--missions", "UNAMID,MONUSCO", "--on",
                                  "drafting-lead", "--as-of", "2010-06-01", "-f", "json",
                                  "--store", str(curated_store_path)])
    assert r.exit_code == 0, r.output
    assert '"as_of": "2010-06-01"' in r.output and "UNAMID revamped" not in r.output


def test_compare_page_takes_as_of_and_keeps_it_in_the_permalink(curated_store_path):
    from web import create_app

    app = create_app({"STORE": str(curated_store_path), "READ_ONLY": True}, profile="testing")
    try:
        client = app.test_client()
        url = "/compare?comparison=drafting-lead&missions=UNAMID,MONUSCO&as_of=2010-06-01"
        data = client.get(url + "&format=json").get_json()
        html = client.get(url).get_data(as_text=True)
        bad = client.get(url.replace("2010-06-01", "nope"))
    finally:
        workers = app.extensions["pockg"].extras.get("sparql_workers")
        if workers:
            workers.shutdown()
    assert [r["label"] for r in data["rows"]] == ["UNAMID PoC strategy (2009-2010)"]
    assert 'name="as_of" type="date" value="2010-06-01"' in html
    assert "as_of=2010-06-01" in html and "As of 2010-06-01" in html
    assert bad.status_code == 400 and "is not a day" in bad.get_data(as_text=True)


def test_query_list_names_as_of_as_an_optional_parameter(curated_store_path):
    r = CliRunner().invoke(main, ["query", "list", "--store", str(curated_store_path)])
    assert r.exit_code == 0, r.output
    block = r.output.split("drafting-lead  [matrix]")[1].split("\n\n")[0]
    assert "--param as_of=…  (date; optional:" in block


def test_a_strategy_ends_with_its_mission():
    v = Versions(since={"a": "2009"}, revised_by={}, mission_ended={"a": "2010-06-30"})
    assert v.in_force("2010-06-30") == {"a"}
    assert v.in_force("2010-07-01") == set()


def test_after_the_revamp_unamid_2013_replaces_the_2009_10_strategy(store):
    found = strategies_in_force(store, "2014-01-01")
    assert S + "UNAMID-2013" in found and S + "UNAMID-2009" not in found
    assert S + "MONUC-2009" not in found          # MONUC ended on 30 June 2010

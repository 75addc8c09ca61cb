"""Doubtful facts stay visibly doubtful: a value whose claim is partly verified (P) or in
conflict (C) carries its status in JSON (code and label), in CSV (a <column>_status
column) and on the comparison page (a visible marker, not only inside the evidence)."""

from __future__ import annotations

import csv
import io

from pockg import api


def test_unmis_first_poc_mandate_1706_is_marked_partly_verified(store, settings):
    table = api.run_query("mandate-timeline", store=store, settings=settings, missions=["UNMIS"])
    found = [e["status"] for row, ev in zip(table.to_json()["rows"], table.to_json()["evidence"])
             for e in ev.get("pocMandate", []) if "1706" in (row.get("resolutionLabel") or "")]
    assert found == [{"code": "VS-P", "label": "partly verified", "doubtful": True}]


def test_matrix_json_gives_each_evidence_status_code_and_label(store, settings):
    matrix = api.compare(["UNMISS"], "drafting-lead", store=store, settings=settings).to_json()
    [row] = matrix["rows"]
    statuses = [e["status"] for e in row["cells"]["scope"]["evidence"]]
    assert {"code": "VS-P", "label": "partly verified", "doubtful": True} in statuses


def test_matrix_csv_has_a_status_column_per_value_column(store, settings):
    text = api.compare(["MONUC", "UNMISS"], "drafting-lead", store=store,
                       settings=settings).to_csv()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert "scope_status" in rows[0] and "lead_status" in rows[0]
    by = {r["strategy"]: r for r in rows}
    unmiss = next(v for k, v in by.items() if k.startswith("UNMISS"))
    assert "partly verified" in unmiss["scope_status"]
    monuc = next(v for k, v in by.items() if k.startswith("MONUC"))
    assert monuc["lead_status"] == "stated in the workshop report"


def test_the_comparison_page_marks_a_partly_verified_cell_without_opening_it(settings,
                                                                          curated_store_path):
    from web import create_app

    app = create_app({"STORE": str(curated_store_path), "READ_ONLY": True}, profile="testing")
    try:
        html = app.test_client().get(
            "/compare?comparison=drafting-lead&missions=UNMISS").get_data(as_text=True)
    finally:
        workers = app.extensions["pockg"].extras.get("sparql_workers")
        if workers:
            workers.shutdown()
    marker = '<span class="doubt-marker">partly verified</span>'
    assert marker in html
    assert html.index(marker) < html.index("<details class=\"evidence-cell\"", html.index(marker) - 1)

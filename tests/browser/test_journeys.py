"""What a person does with the pockg browser, in real headless Chromium against
the real production server: search and reach a concept, follow a statement to
the paragraph it comes from, compare missions and download the CSV, run a
SPARQL query. Each step leaves a screenshot in tests/artifacts/browser/."""

from __future__ import annotations

import csv
import io
import re

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures fail and say that scripts/test.sh installs it
    expect = None

ID = "https://w3id.org/pockg/id/"
IDP = ID + "concept/VG-IDP"
IDP_LABEL = "internally displaced persons"
MONUC_STRATEGY = "/id/strategy/MONUC-2009"
COMPARED = ("MONUC", "UNAMID", "UNMIS")
PASSAGE_PATH = re.compile(r"/id/document/workshop-2010/p/([0-9][0-9.]*)$")


def open_home(page, live_server, shot):
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_contain_text("Protection of civilians")
    expect(page.locator("#q")).to_be_visible()
    shot("home")


def assert_idp_concept_page(page):
    expect(page).to_have_url(re.compile(r"/id/concept/VG-IDP$"))
    expect(page.locator("h1")).to_have_text(IDP_LABEL)
    expect(page.locator("dd.iri code")).to_have_text(IDP)
    expect(page.locator("#main")).to_contain_text("VG-IDP")   # its notation


# -- search -----------------------------------------------------------------------
def test_search_idp_results_page_reaches_the_concept(page, live_server, shot):
    open_home(page, live_server, shot)
    box = page.locator("#q")
    box.click()
    box.press_sequentially("IDP", delay=60)
    suggestions = page.locator("#suggestions li")
    expect(suggestions.first).to_be_visible()
    expect(suggestions.first).to_contain_text(IDP_LABEL)
    shot("suggestions for IDP")

    box.press("Enter")      # no suggestion chosen: the form goes to the results page
    expect(page).to_have_url(re.compile(r"/search\?q=IDP$"))
    first = page.locator("ol.results > li").first
    expect(first.locator(".result-title a")).to_have_text(IDP_LABEL)
    expect(page.locator(".search-status")).to_contain_text("IDP")
    shot("results for IDP")

    first.locator(".result-title a").click()
    assert_idp_concept_page(page)
    shot("concept internally displaced persons")


def test_search_idp_suggestion_by_keyboard_reaches_the_concept(page, live_server, shot):
    open_home(page, live_server, shot)
    box = page.locator("#q")
    box.click()
    box.press_sequentially("IDP", delay=60)
    option = page.locator("#suggestions li").first
    expect(option).to_contain_text(IDP_LABEL)
    box.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", "suggestion-0")
    shot("suggestion chosen with the keyboard")

    box.press("Enter")
    assert_idp_concept_page(page)
    shot("concept internally displaced persons")


# -- a statement's source ---------------------------------------------------------------
def test_monuc_statement_source_leads_to_its_paragraph(page, live_server, shot):
    open_home(page, live_server, shot)
    page.locator("header nav").get_by_role("link", name="Missions", exact=True).click()
    expect(page.locator("h1")).to_have_text("Peace operations")
    page.locator("ul.listing").get_by_role("link", name="MONUC", exact=True).click()
    expect(page).to_have_url(re.compile(r"/id/operation/MONUC$"))
    expect(page.locator("h1")).to_contain_text("MONUC")
    expect(page.locator("a.source-link").first).to_be_visible()   # its statements are sourced
    shot("MONUC")

    # The operation's strategy: its statements come from the 2010 workshop report.
    page.locator(f"#main a[href='{MONUC_STRATEGY}']").first.click()
    expect(page).to_have_url(re.compile(MONUC_STRATEGY + "$"))
    lead_row = page.locator("table.statements tr").filter(
        has=page.get_by_role("link", name="drafting lead", exact=True))
    expect(lead_row).to_have_count(1)
    expect(lead_row.locator("td").first).to_contain_text("Civil Affairs")
    source = lead_row.locator("a.source-link").first
    link_text = source.inner_text().strip()
    href = source.get_attribute("href")
    match = PASSAGE_PATH.search(href or "")
    assert match, f"the drafting lead's source is not a paragraph page: {href!r}"
    number = match.group(1)
    assert link_text == f"¶{number}"
    shot("MONUC strategy with sources")

    source.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))
    expect(page.locator("h1")).to_have_text(f"¶{number}")
    assert number == "8.2.1"
    # The paragraph page lists what the graph states on its authority, the lead included.
    cited = page.locator("table.cited")
    expect(cited).to_contain_text("Civil Affairs Section (MONUC)")
    expect(cited.locator(f"a[href='{MONUC_STRATEGY}']").first).to_be_visible()
    shot(f"paragraph {number}")


# -- comparison and its CSV --------------------------------------------------------------
def test_compare_drafting_lead_and_download_csv(page, live_server, shot, artifacts):
    open_home(page, live_server, shot)
    page.locator("header nav").get_by_role("link", name="Compare", exact=True).click()
    form = page.locator("form#compare-form")
    expect(form).to_be_visible()
    form.locator("select#comparison").select_option("drafting-lead")
    boxes = form.locator("#missions input[type=checkbox]")
    for i in range(boxes.count()):
        boxes.nth(i).uncheck()
    for acronym in COMPARED:
        form.locator(f"#missions input[value='{acronym}']").check()
    shot("compare form")

    form.locator("button#compare-run").click()
    matrix = page.locator("table#matrix")
    expect(matrix).to_be_visible()
    for acronym in COMPARED:
        expect(matrix.locator("tbody")).to_contain_text(acronym)
    lead = matrix.locator("thead th[data-column='lead']")
    expect(lead).to_be_visible()
    shown_rows = matrix.locator("tbody tr").count()
    shot("drafting lead of MONUC UNAMID UNMIS")

    with page.expect_download() as info:
        page.locator("a#download-csv").click()
    download = info.value
    saved = artifacts / "compare-drafting-lead.csv"
    download.save_as(str(saved))
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert "lead" in header, header
    # one row per strategy of the three missions, as the graph has them
    strategies = live_server.sparql(f"""
        PREFIX pockg: <https://w3id.org/pockg/ontology#>
        SELECT DISTINCT ?s WHERE {{ ?s a pockg:ProtectionStrategy ; pockg:mission ?m .
          VALUES ?m {{ {' '.join(f'<{ID}operation/{a}>' for a in COMPARED)} }} }}""")
    assert len(strategies) >= len(COMPARED)
    assert len(body) == len(strategies) == shown_rows, (len(body), len(strategies), shown_rows)
    names = [r[0] for r in body]
    assert len(set(names)) == len(names) and all(names), names
    for acronym in COMPARED:
        assert any(acronym in name for name in names), (acronym, names)
    assert "8.2.1" in saved.read_text(encoding="utf-8-sig")
    leads = {r[0]: r[header.index("lead")] for r in body}
    monuc = next(name for name in names if name.startswith("MONUC"))
    assert leads[monuc] == "Civil Affairs Section (MONUC)"


# -- the SPARQL editor --------------------------------------------------------------------
SPARQL_QUERY = """PREFIX pockg: <https://w3id.org/pockg/ontology#>
SELECT ?operation ?acronym WHERE {
  ?operation a pockg:PeaceOperation ; pockg:acronym ?acronym .
} ORDER BY ?acronym"""

SET_QUERY = """(text) => {
  const wrapper = document.querySelector('.CodeMirror');
  if (wrapper && wrapper.CodeMirror) { wrapper.CodeMirror.setValue(text); return 'codemirror'; }
  return null;
}"""


def test_sparql_editor_runs_a_query_and_shows_the_table(page, live_server, shot):
    open_home(page, live_server, shot)
    page.locator("header nav").get_by_role("link", name="SPARQL", exact=True).click()
    expect(page.locator("h1")).to_have_text("SPARQL endpoint")
    expect(page.locator("button#run-query")).to_be_visible()
    page.wait_for_load_state("load")            # CodeMirror (deferred) has wrapped the textarea
    if page.evaluate(SET_QUERY, SPARQL_QUERY) is None:
        page.locator("textarea#query").fill(SPARQL_QUERY)
    shot("query in the editor")

    page.locator("button#run-query").click()
    table = page.locator("table#results")
    expect(table).to_be_visible()
    expect(table.locator("thead th")).to_have_text(["?operation", "?acronym"])
    rows = table.locator("tbody tr")
    expected = live_server.sparql(SPARQL_QUERY)
    assert expected, "the graph has no peace operations"
    expect(rows).to_have_count(len(expected))
    expect(table).to_contain_text("MONUC")
    shot("results table")

"""The comparison, query-library and picture pages of the browser: matrices
with differences and gaps marked and evidence per cell, downloads and
permalinks, forms built from query headers, the coverage heatmap and the
server-side neighbourhood graph."""

from __future__ import annotations

import csv
import io
import shutil
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox
import pytest
from lxml import html

from pockg import vocab as V
from pockg.library import QueryLibrary
from pockg.store import open_store
from web import create_app

DRAFTING = "/compare?comparison=drafting-lead&missions=MONUC,UNAMID,UNMIS"
PASSAGE_821 = "/id/document/workshop-2010/p/8.2.1"
MONUC = V.ID + "operation/MONUC"


@pytest.fixture(scope="module")
def store_path(curated_store_path):
    return curated_store_path

@pytest.fixture(scope="module")
def client(store_path):
    return create_app({"STORE": str(store_path)}, profile="testing").test_client()


@pytest.fixture(scope="module")
def changed(store_path, tmp_path_factory):
    """A copy of the store with a hostile label and two pockg:addresses facts,
    one with a cited claim and one without."""
    copy = tmp_path_factory.mktemp("web-compare-changed") / "store"
    shutil.copytree(store_path, copy)
    store = open_store(copy)
    g = ox.NamedNode(V.ID + "graph/test")
    evil, claim = ox.NamedNode(V.ID + "strategy/EVIL"), ox.NamedNode(V.ID + "claim/test-1")
    monuc_2009, unmis_2009 = (ox.NamedNode(V.ID + "strategy/MONUC-2009"),
                              ox.NamedNode(V.ID + "strategy/UNMIS-2009"))
    addresses = ox.NamedNode(V.POCKG + "addresses")
    t1, fe2 = ox.NamedNode(V.ID + "concept/T1"), ox.NamedNode(V.ID + "concept/FE2")
    rdf = lambda local: ox.NamedNode(V.RDF + local)  # noqa: E731
    store.extend([ox.Quad(s, p, o, g) for s, p, o in [
        (ox.NamedNode(MONUC), ox.NamedNode(V.POCKG + "hasStrategy"), evil),
        (evil, ox.NamedNode(V.SKOS + "prefLabel"),
         ox.Literal('<script>alert("x")</script>', language="en")),
        (monuc_2009, addresses, t1),
        (claim, rdf("subject"), monuc_2009), (claim, rdf("predicate"), addresses),
        (claim, rdf("object"), t1),
        (claim, ox.NamedNode(V.PROV + "wasDerivedFrom"), ox.NamedNode(V.ID + PASSAGE_821[4:])),
        (claim, ox.NamedNode(V.POCKG + "verificationStatus"), ox.NamedNode(V.ID + "concept/VS-S")),
        (unmis_2009, addresses, fe2),
    ]])
    app = create_app({"STORE": str(copy), "STORE_OBJECT": store}, profile="testing")
    yield app.test_client()
    store.close()


def page(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return html.fromstring(response.get_data(as_text=True))


def text(el) -> str:
    return " ".join(el.text_content().split())


def matrix(doc) -> dict:
    """Row label → column → (cell text, classes)."""
    table = doc.get_element_by_id("matrix")
    columns = [th.get("data-column") for th in table.xpath("./thead/tr/th")[1:]]
    out = {}
    for tr in table.xpath("./tbody/tr"):
        cells = tr.xpath("./td")
        out[text(tr.xpath("./th")[0])] = {c: (text(td), td.get("class").split())
                                          for c, td in zip(columns, cells)}
    return out


# -- the comparison page ---------------------------------------------------------
def test_the_form_has_the_ids_and_offers_only_matrix_comparisons(client, settings):
    doc = page(client, "/compare")
    form = doc.get_element_by_id("compare-form")
    assert form.get("method") == "get"
    assert doc.xpath('//fieldset[@id="missions"]//input[@type="checkbox" and @value="MONUC"]')
    labels = text(doc.get_element_by_id("missions"))
    assert "United Nations Organization Mission in the Democratic Republic of the Congo" in labels
    options = doc.xpath('//select[@id="comparison"]/option/@value')
    library = QueryLibrary(settings.queries_dir)
    assert set(options) == {q.name for q in library.all() if q.view == "matrix"}
    assert "drafting-lead" in options and "poc-mandates-on-date" not in options
    assert doc.xpath('//button[@id="compare-run" and @type="submit"]')
    assert doc.xpath('//a[@id="heatmap-link"]')


def test_drafting_lead_shows_the_three_strategies_and_flags_the_lead_column(client):
    doc = page(client, DRAFTING)
    rows = matrix(doc)
    for label in ("MONUC system-wide PoC strategy (2009-2010)", "UNAMID PoC strategy (2009-2010)",
                  "UNMIS PoC strategy (2009-2010)"):
        assert label in rows
    assert rows["MONUC system-wide PoC strategy (2009-2010)"]["lead"][0].startswith(
        "Civil Affairs Section (MONUC)")
    assert rows["UNMIS PoC strategy (2009-2010)"]["lead"][0].startswith(
        "Protection of Civilians Section (UNMIS)")
    lead = doc.xpath('//table[@id="matrix"]/thead/tr/th[@data-column="lead"]')[0]
    assert "differs" in lead.get("class").split()
    assert "differs" in text(lead)                       # a visible marker, not colour alone
    timeframe = doc.xpath('//table[@id="matrix"]/thead/tr/th[@data-column="timeframe"]')[0]
    assert "differs" not in text(timeframe)
    assert all("differs" in cls for _, cls in
               [r["lead"] for r in rows.values()])


def test_minustah_scope_is_a_gap_never_a_no(client):
    doc = page(client, DRAFTING + ",MINUSTAH")
    cell_text, classes = matrix(doc)["MINUSTAH PoC strategy (presented 2010)"]["scope"]
    assert "gap" in classes
    assert cell_text == "gap: no source states it"


def test_each_lead_cell_opens_its_evidence_at_paragraph_8_2_1(client):
    doc = page(client, DRAFTING)
    cells = doc.xpath('//table[@id="matrix"]/tbody/tr/td[@data-column="lead" and contains(@class, "filled")]')
    assert len(cells) == 3
    for td in cells:
        details = td.xpath(".//details")
        assert details, text(td)
        links = details[0].xpath('.//a[@class="passage"]')
        assert [a.get("href") for a in links] == [PASSAGE_821]
        assert text(links[0]) == "¶8.2.1"
        item = text(details[0])
        assert "stated in the workshop report" in item        # the verification status
        assert details[0].xpath(".//q")                        # the quote
    assert client.get(PASSAGE_821).status_code == 200


def test_csv_download_has_one_row_per_strategy_with_evidence_columns(client):
    doc = page(client, DRAFTING)
    href = doc.get_element_by_id("download-csv").get("href")
    assert parse_qs(urlsplit(href).query)["format"] == ["csv"]
    response = client.get(href)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    shown = doc.xpath('//table[@id="matrix"]/tbody/tr')
    assert len(rows) == len(shown) and len({r["strategy"] for r in rows}) == len(rows)
    assert {"lead", "lead document", "lead paragraph", "lead quote", "lead source"} <= set(rows[0])
    monuc = next(r for r in rows if r["strategy"].startswith("MONUC"))
    assert monuc["lead"] == "Civil Affairs Section (MONUC)" and monuc["lead paragraph"] == "8.2.1"


def test_json_and_markdown_downloads(client):
    doc = page(client, DRAFTING)
    response = client.get(doc.get_element_by_id("download-json").get("href"))
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = response.get_json()
    assert data["name"] == "drafting-lead" and data["differs"]["lead"] is True
    assert data["params"]["missions"] == ["MONUC", "UNAMID", "UNMIS"]
    response = client.get(doc.get_element_by_id("download-md").get("href"))
    assert response.status_code == 200 and response.mimetype == "text/markdown"
    assert response.headers["Content-Disposition"].startswith("attachment")
    body = response.get_data(as_text=True)
    assert body.startswith("| strategy |") and "lead (differs)" in body and "¶8.2.1" in body


def test_the_permalink_reproduces_the_same_matrix(client):
    # As a browser submits the form: repeated keys, the run marker.
    submitted = ("/compare?run=1&comparison=drafting-lead&missions=MONUC&missions=UNAMID"
                 "&missions=UNMIS")
    doc = page(client, submitted)
    field = doc.get_element_by_id("permalink")
    assert field.get("readonly") is not None
    link = urlsplit(field.get("value"))
    assert link.scheme in ("http", "https") and link.path == "/compare"
    again = page(client, f"{link.path}?{link.query}")
    assert matrix(again) == matrix(doc) == matrix(page(client, DRAFTING))
    checked = again.xpath('//fieldset[@id="missions"]//input[@checked]/@value')
    assert sorted(checked) == ["MONUC", "UNAMID", "UNMIS"]


def test_unknown_mission_shows_the_form_again_with_the_error(client):
    doc = page(client, "/compare?comparison=drafting-lead&missions=MONUC,MONUX", status=400)
    assert "unknown mission 'MONUX'" in text(doc.xpath('//*[@role="alert"]')[0])
    assert doc.get_element_by_id("compare-form") is not None
    response = client.get("/compare?comparison=drafting-lead&missions=MONUX&format=json")
    assert response.status_code == 400 and response.get_json()["ok"] is False


def test_a_table_query_is_not_a_comparison(client):
    assert client.get("/compare?comparison=poc-mandates-on-date").status_code == 400
    assert client.get("/compare?comparison=no-such-query").status_code == 404


def test_the_page_speaks_french(client):
    own = client.application.test_client()          # ?lang= sets a cookie: keep it here
    doc = page(own, DRAFTING + ",MINUSTAH&lang=fr")
    assert "lacune : aucune source ne l'indique" in text(doc.get_element_by_id("matrix"))


# -- the query library -------------------------------------------------------------
def test_the_library_index_lists_every_query_file(client, settings):
    doc = page(client, "/queries")
    names = QueryLibrary(settings.queries_dir).names()
    assert names
    for name in names:
        card = doc.get_element_by_id(f"query-{name}")
        assert card.xpath(f'.//a[@href="/queries/{name}"]'), name
        assert not card.xpath('.//*[@class="error"]'), text(card)
        assert card.xpath('.//p[@class="summary"]') and card.xpath('.//ul[@class="tags"]/li')
    assert {q["name"] for q in client.get("/queries?format=json").get_json()["queries"]} == set(names)


def test_every_library_query_has_a_working_page_and_matrices_a_comparison(client, settings):
    """Built from the headers alone: a new .rq file gets its pages with no code."""
    for q in QueryLibrary(settings.queries_dir).all():
        doc = page(client, f"/queries/{q.name}")
        assert doc.get_element_by_id("query-form") is not None
        assert len(doc.xpath('//form[@id="query-form"]//fieldset | //form[@id="query-form"]'
                             '//div[@class="param"]')) == len(q.params), q.name
        if q.view == "matrix":
            doc = page(client, f"/compare?comparison={q.name}")
            # a matrix, or (documents-by-tier before any document is linked) the "no rows" note
            assert doc.xpath('//table[@id="matrix"]') or doc.xpath('//p[@class="empty"]'), q.name


def test_a_query_form_has_dropdowns_for_enumerated_parameters(client):
    doc = page(client, "/queries/coordination-by-level")
    select = doc.xpath('//form[@id="query-form"]//select[@name="include_recommended"]')[0]
    assert select.xpath("./option/@value") == ["yes", "no"]
    assert select.get("id") and doc.xpath(f'//label[@for="{select.get("id")}"]')
    assert doc.xpath('//form[@id="query-form"]//input[@name="missions" and @value="MONUC"]')
    doc = page(client, "/queries/tier-coverage")
    tiers = doc.xpath('//form[@id="query-form"]//input[@name="tiers"]/@value')
    assert {"T1", "T2", "T3", "T1-2015"} <= set(tiers) and "FE1" not in tiers
    doc = page(client, "/queries/poc-mandates-on-date")
    assert doc.xpath('//form[@id="query-form"]//input[@name="date" and @type="date"]')


def test_poc_mandates_on_1_june_2010_gives_eight_rows(client):
    url = "/queries/poc-mandates-on-date?date=2010-06-01"
    doc = page(client, url)
    rows = doc.xpath('//table[@id="results"]/tbody/tr')
    assert len(rows) == 8
    shown = text(doc.get_element_by_id("results"))
    for acronym in ("MINURCAT", "MINUSTAH", "MONUC", "UNAMID", "UNIFIL", "UNMIL", "UNMIS", "UNOCI"):
        assert acronym in shown
    assert doc.xpath('//table[@id="results"]//a[@href="/id/operation/MONUC"]')  # IRIs linked
    assert doc.xpath('//table[@id="results"]//details[@class="evidence-cell"]')
    data = client.get(url + "&format=json").get_json()
    assert len(data["rows"]) == 8 and data["params"] == {"date": "2010-06-01"}
    response = client.get(doc.get_element_by_id("download-csv").get("href"))
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert len(list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))) == 8
    permalink = urlsplit(doc.get_element_by_id("permalink").get("value"))
    assert parse_qs(permalink.query) == {"date": ["2010-06-01"]}


def test_a_bad_date_gives_400_with_the_message_and_the_form(client):
    doc = page(client, "/queries/poc-mandates-on-date?date=2010-13-01&run=1", status=400)
    assert "'2010-13-01' is not a date" in text(doc.get_element_by_id("query-error"))
    assert doc.get_element_by_id("query-form") is not None
    response = client.get("/queries/poc-mandates-on-date?date=2010-13-01&format=json")
    assert response.status_code == 400
    assert response.get_json() == {"ok": False, "status": 400,
                                   "error": "date: '2010-13-01' is not a date (YYYY-MM-DD)"}


def test_the_sparql_text_opens_in_the_editor_with_the_values_bound(client):
    doc = page(client, "/queries/poc-mandates-on-date?date=2010-06-01")
    href = doc.get_element_by_id("open-in-editor").get("href")
    assert href.startswith("/sparql?")
    query = parse_qs(urlsplit(href).query)["query"][0]
    assert '"2010-06-01"^^<http://www.w3.org/2001/XMLSchema#date>' in query
    assert "#+" not in query and "SELECT" in query


# -- pictures ----------------------------------------------------------------------------
def test_the_heatmap_is_a_table_with_labelled_gap_cells(client):
    doc = page(client, "/compare/heatmap?missions=MONUC,UNAMID,UNMIS")
    for name in ("tier-coverage", "framework-gaps"):
        table = doc.get_element_by_id(f"heatmap-{name}")
        assert table.xpath("./caption") and table.xpath('./thead/tr/th[@scope="col"]')
        rows = table.xpath("./tbody/tr")
        assert [text(r.xpath('./th[@scope="row"]')[0]) for r in rows] == ["MONUC", "UNAMID", "UNMIS"]
        gaps = table.xpath('.//td[contains(@class, "heat-gap")]')
        assert gaps and all(text(td) == "gap" for td in gaps), [text(td) for td in gaps]
    header = text(doc.get_element_by_id("heatmap-framework-gaps").xpath("./thead")[0])
    assert "FE1" in header and "FE8" in header
    assert "gap" in text(doc.get_element_by_id("heat-legend"))
    data = client.get("/compare/heatmap?missions=MONUC,UNAMID,UNMIS&format=json").get_json()
    assert {g["name"] for g in data["grids"]} == {"tier-coverage", "framework-gaps"}
    assert all(c["state"] in {"addressed", "unsourced", "gap"}
               for g in data["grids"] for r in g["rows"] for c in r["cells"])


def test_the_graph_view_draws_monucs_neighbours_as_links(client):
    doc = page(client, "/graph?" + "uri=" + MONUC)
    svg = doc.xpath("//svg")[0]
    hrefs = set(svg.xpath(".//a/@href"))
    assert "/id/strategy/MONUC-2009" in hrefs and "/id/operation/MONUSCO" in hrefs
    assert any(h.startswith("/graph?uri=") and "MONUC-2009" in h for h in hrefs)
    labels = " ".join(t.text_content() for t in svg.xpath(".//text"))
    assert "MONUSCO" in labels and "has strategy" in labels
    data = client.get(f"/graph?uri={MONUC}&format=json").get_json()
    ids = {n["id"] for n in data["nodes"]}
    assert V.ID + "strategy/MONUC-2009" in ids and len(data["nodes"]) <= 31
    assert {"source", "target", "predicate", "label"} <= set(data["edges"][0])
    raw = client.get(f"/graph?uri={MONUC}&format=svg")
    assert raw.mimetype == "image/svg+xml" and raw.data.startswith(b"<?xml")
    assert client.get("/graph?uri=https://w3id.org/pockg/id/nothing-here").status_code == 404
    assert client.get("/graph").status_code == 400


def test_the_graph_escapes_a_hostile_label(changed):
    for url in (f"/graph?uri={MONUC}", f"/graph?uri={MONUC}&format=svg"):
        body = changed.get(url).get_data(as_text=True)
        assert "<script>alert" not in body
        assert "&lt;script&gt;alert(" in body
    data = changed.get(f"/graph?uri={MONUC}&format=json").get_json()
    assert '<script>alert("x")</script>' in {n["label"] for n in data["nodes"]}


def test_the_heatmap_fills_and_labels_addressed_cells(changed):
    doc = page(changed, "/compare/heatmap?missions=MONUC,UNMIS")
    tiers = doc.get_element_by_id("heatmap-tier-coverage")
    monuc_t1 = tiers.xpath("./tbody/tr[1]/td[1]")[0]
    assert "heat-addressed" in monuc_t1.get("class")
    assert text(monuc_t1).startswith("addressed MONUC system-wide PoC strategy (2009-2010)")
    assert monuc_t1.xpath('.//details//a[@class="passage"]/@href') == [PASSAGE_821]
    elements = doc.get_element_by_id("heatmap-framework-gaps")
    unmis_fe2 = elements.xpath("./tbody/tr[2]/td[2]")[0]
    assert "heat-unsourced" in unmis_fe2.get("class")
    assert text(unmis_fe2).startswith("addressed, no evidence found")
    assert "heat-gap" in elements.xpath("./tbody/tr[1]/td[1]")[0].get("class")


def test_entity_pages_link_to_their_neighbourhood_graph(client):
    doc = page(client, "/id/operation/MONUC")
    link = doc.get_element_by_id("graph-link")
    assert parse_qs(urlsplit(link.get("href")).query) == {"uri": [MONUC]}

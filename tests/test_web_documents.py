"""Documents in the browser: upload (curators), suggested links highlighted,
review one by one or in bulk, links added by selection, and concept pages
listing the passages linked to them."""

from __future__ import annotations

import io
import re
import shutil

import pytest

from pockg import vocab as V
from web import create_app

PASSWORD = "a long password 1"
STRATEGY = (b"# Mission-wide strategy\n\n"
            b"1. Camps of internally displaced persons need early warning and patrols.\n\n"
            b"2. Sexual and gender-based violence must be prevented with the host government.\n\n"
            b"3. The budget for the strategy is agreed each year.\n")


@pytest.fixture(scope="module")
def app(curated_store_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-documents")
    shutil.copytree(curated_store_path, folder / "store")
    app = create_app({"STORE": str(folder / "store"), "READ_ONLY": False,
                      "DB": str(folder / "users.sqlite"), "UPLOAD_MAX_BYTES": 200_000},
                     profile="testing")
    for name, role in (("cy", "curator"), ("ann", "contributor")):
        app.extensions["pockg"].accounts.add(name, role, PASSWORD)
    return app


def token_of(client, url="/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"',
                     client.get(url).get_data(as_text=True)).group(1)


def signed_in(app, name):
    client = app.test_client()
    assert client.post("/login", data={"name": name, "password": PASSWORD,
                                       "csrf_token": token_of(client)}).status_code == 302
    return client


def upload(client, data: bytes, name: str, doc_id: str | None = None):
    form = {"csrf_token": token_of(client, "/documents"), "file": (io.BytesIO(data), name)}
    if doc_id:
        form["id"] = doc_id
    return client.post("/documents", data=form, content_type="multipart/form-data",
                       headers={"Accept": "application/json"})


@pytest.fixture(scope="module")
def strategy(app):
    answer = upload(signed_in(app, "cy"), STRATEGY, "strategy.md", "strat-test")
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return app.test_client().get("/documents/strat-test?format=json").get_json()


def concepts(doc) -> dict[str, str]:
    return {l["concept"].rsplit("/", 1)[-1]: l["status"] for l in doc["links"]}


def test_an_upload_is_split_into_numbered_passages_with_suggested_links(strategy):
    assert [p["number"] for p in strategy["passages"]][-3:] == ["1", "2", "3"]
    found = concepts(strategy)
    assert found["VG-IDP"] == "LS-suggested" and found["AOR-GBV"] == "LS-suggested"
    idp = next(l for l in strategy["links"] if l["concept"].endswith("VG-IDP"))
    text = next(p["text"] for p in strategy["passages"] if p["iri"] == idp["passage"])
    assert text[idp["start"]:idp["end"]] == idp["exact"]


def test_the_document_page_highlights_links_by_scheme(app, strategy):
    page = app.test_client().get("/documents/strat-test").get_data(as_text=True)
    marks = re.findall(r'<mark class="(s\d)[^"]*"[^>]*>([^<]+)</mark>', page)
    assert ("internally displaced persons" in {text for _, text in marks})
    assert len({cls for cls, _ in marks}) >= 2           # two schemes, two colours


def test_uploading_the_same_file_again_changes_nothing(app, strategy):
    store = app.extensions["pockg"].full_store
    before = len(store)
    answer = upload(signed_in(app, "cy"), STRATEGY, "strategy.md", "strat-test")
    assert answer.status_code == 200 and answer.get_json()["status"] == "unchanged"
    assert len(store) == before


def test_readers_and_contributors_cannot_upload(app):
    for client in (app.test_client(), signed_in(app, "ann")):
        form = {"csrf_token": token_of(client), "file": (io.BytesIO(STRATEGY), "x.md")}
        assert client.post("/documents", data=form,
                           content_type="multipart/form-data").status_code == 403


@pytest.mark.parametrize("name, data, status", [
    ("empty.txt", b"", 422),
    ("junk.txt", bytes(range(256)) * 20, 422),
    ("program.exe", b"MZ\x90\x00" * 100, 415),
    ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", 422),
])
def test_a_bad_upload_gets_a_clear_error_and_stores_nothing(app, name, data, status):
    store = app.extensions["pockg"].full_store
    before = len(store)
    answer = upload(signed_in(app, "cy"), data, name)
    assert answer.status_code == status
    assert name in answer.get_json()["error"]
    assert len(store) == before


def test_an_upload_over_the_limit_is_refused_with_413(app):
    answer = upload(signed_in(app, "cy"), b"1. words\n" * 30_000, "big.txt")
    assert answer.status_code == 413


def test_review_accepts_and_rejects_in_bulk_and_one_by_one(app, strategy):
    cy = signed_in(app, "cy")
    idp = next(l["iri"] for l in strategy["links"] if l["concept"].endswith("VG-IDP"))
    gbv = next(l["iri"] for l in strategy["links"] if l["concept"].endswith("AOR-GBV"))
    assert cy.post("/documents/strat-test/review", data={
        "csrf_token": token_of(cy, "/documents"), "action": "accept",
        "link": [idp, gbv]}).status_code == 303
    others = [l["iri"] for l in strategy["links"] if l["iri"] not in (idp, gbv)]
    if others:
        assert cy.post("/documents/strat-test/review?action=reject", data={
            "csrf_token": token_of(cy, "/documents"), "one": others[0]}).status_code == 303
    after = app.test_client().get("/documents/strat-test?format=json").get_json()
    status = {l["iri"]: l["status"] for l in after["links"]}
    assert status[idp] == status[gbv] == "LS-accepted"
    if others:
        assert status[others[0]] == "LS-rejected"


def test_a_curator_adds_a_link_by_selecting_words(app, strategy):
    cy = signed_in(app, "cy")
    passage = strategy["passages"][-1]
    start = passage["text"].index("budget")
    answer = cy.post("/documents/strat-test/links", data={
        "csrf_token": token_of(cy, "/documents"), "passage": passage["iri"], "start": start,
        "end": start + len("budget"), "concept": "CAP-FIN"})
    assert answer.status_code == 303
    after = app.test_client().get("/documents/strat-test?format=json").get_json()
    added = [l for l in after["links"] if l["concept"].endswith("CAP-FIN")
             and l["passage"] == passage["iri"]]
    assert added and added[0]["exact"] == "budget" and added[0]["status"] == "LS-accepted"


def test_concept_pages_list_the_passages_linked_to_them_with_the_quote(app, strategy):
    page = app.test_client().get("/id/concept/VG-IDP").get_data(as_text=True)
    section = page[page.index('id="passages"'):page.index('id="incoming"')]
    assert "strat-test" in section and "internally displaced persons" in section


def test_accepted_links_feed_the_documents_by_tier_comparison(app, strategy):
    cy = signed_in(app, "cy")
    passage = strategy["passages"][-3]
    start = passage["text"].index("patrols")
    cy.post("/documents/strat-test/links", data={
        "csrf_token": token_of(cy, "/documents"), "passage": passage["iri"], "start": start,
        "end": start + len("patrols"), "concept": "T2"})
    table = app.test_client().get("/queries/documents-by-tier?format=json")
    assert table.status_code == 200
    assert "strat-test" in table.get_data(as_text=True)


def upload_rdf(client, data: bytes, filename: str, name: str = "extra"):
    form = {"csrf_token": token_of(client, "/documents"), "name": name,
            "file": (io.BytesIO(data), filename)}
    return client.post("/documents/rdf", data=form, content_type="multipart/form-data",
                       headers={"Accept": "application/json"})


def test_an_rdf_upload_becomes_a_graph_of_its_own(app):
    answer = upload_rdf(signed_in(app, "cy"), b"<urn:x:a> <urn:x:b> \"c\" .\n", "extra.nt")
    assert answer.status_code == 201 and answer.get_json()["triples"] == 1
    graphs = app.extensions["pockg"].full_store.named_graphs()
    assert V.USER + "public/import/extra" in graphs


@pytest.mark.parametrize("filename, data, problem", [
    ("bad.ttl", b"<urn:a> <urn:b> .", "malformed"),
    ("entity.rdf", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                   b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>', "DTD"),
    ("imports.ttl", b"<urn:o> <http://www.w3.org/2002/07/owl#imports> <http://example.org/x> .",
     "owl:imports"),
])
def test_rdf_uploads_pass_the_strict_gate(app, filename, data, problem):
    store = app.extensions["pockg"].full_store
    before = len(store)
    answer = upload_rdf(signed_in(app, "cy"), data, filename, "refused")
    assert answer.status_code == 422
    assert problem in answer.get_json()["error"] and filename in answer.get_json()["error"]
    assert len(store) == before

"""The SPARQL endpoint (/sparql): the 1.1 Protocol, its formats and datasets, the
read-only and no-federation rules, the time and row limits, the HTML editor,
and real clients (SPARQLWrapper, rdflib's SPARQLStore) against a real server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.collection import Collection
from support import Listener

from pockg.replica import rebuild
from pockg.store import open_store
from web import create_app

REGISTRY = "https://w3id.org/pockg/graph/registry"
RESULTS_NS = "{http://www.w3.org/2005/sparql-results#}"
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}
OPERATIONS = ("PREFIX pockg: <https://w3id.org/pockg/ontology#>\n"
              "SELECT DISTINCT ?op WHERE { ?op a pockg:PeaceOperation } ORDER BY ?op")
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
W3C_PROTOCOL = (Path(__file__).resolve().parents[2] / "shared" / "w3c-rdf-tests" / "sparql"
                / "sparql11" / "protocol")


# -- fixtures -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store_path(curated_store_path):
    """The curated graph on disk (workers open it read-only)."""
    return str(curated_store_path)

def _stop_workers(app) -> None:
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


@pytest.fixture(scope="module")
def app(store_path):
    app = create_app({"STORE": store_path}, profile="testing")
    yield app
    _stop_workers(app)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def limited(store_path):
    """An app with a 1 s time limit and a 5-row cap."""
    app = create_app({"STORE": store_path, "SPARQL_TIMEOUT_S": 1, "SPARQL_MAX_ROWS": 5},
                     profile="testing")
    yield app
    _stop_workers(app)


@pytest.fixture(scope="module")
def listener():
    listening = Listener()
    # The listener really counts: one connection of our own, then back to zero.
    socket.create_connection(("127.0.0.1", listening.port), timeout=2).close()
    deadline = time.monotonic() + 2
    while listening.count == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert listening.count == 1
    listening.count = 0
    yield listening
    listening.close()


@pytest.fixture(scope="module")
def server(app):
    """The app served by waitress on 127.0.0.1 and a free port; the endpoint's URL."""
    from waitress.server import create_server

    srv = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    mp = pytest.MonkeyPatch()
    mp.setenv("NO_PROXY", "127.0.0.1,localhost")
    mp.setenv("no_proxy", "127.0.0.1,localhost")
    yield f"http://127.0.0.1:{srv.effective_port}/sparql"
    mp.undo()
    srv.close()
    thread.join(5)


def bindings(response) -> list[dict]:
    assert response.status_code == 200, response.data[:500]
    return json.loads(response.data)["results"]["bindings"]


def values(response, var: str) -> list[str]:
    return [b[var]["value"] for b in bindings(response) if var in b]


def count(client, query: str, **params) -> int:
    r = client.get("/sparql", query_string={"query": query, **params}, headers=JSON_ACCEPT)
    return int(bindings(r)[0]["n"]["value"])


# -- no work before the first query --------------------------------------------------
def test_no_worker_is_started_at_app_creation(store_path):
    app = create_app({"STORE": store_path}, profile="testing")
    assert "sparql_workers" not in app.extensions["pockg"].extras


# -- the Protocol ----------------------------------------------------------------------
def test_get_with_query_answers_sparql_json(client):
    r = client.get("/sparql", query_string={"query": OPERATIONS}, headers=JSON_ACCEPT)
    assert r.status_code == 200
    assert r.mimetype == "application/sparql-results+json"
    ops = values(r, "op")
    assert "https://w3id.org/pockg/id/operation/MONUSCO" in ops
    assert len(ops) == len(set(ops)) > 5


@pytest.mark.parametrize("form", ["get", "post-form", "post-direct"])
def test_every_protocol_form_gives_the_same_answer(client, form):
    if form == "get":
        r = client.get("/sparql", query_string={"query": OPERATIONS}, headers=JSON_ACCEPT)
    elif form == "post-form":
        r = client.post("/sparql", data={"query": OPERATIONS}, headers=JSON_ACCEPT)
    else:
        r = client.post("/sparql", data=OPERATIONS.encode(), headers=JSON_ACCEPT,
                        content_type="application/sparql-query")
    reference = client.get("/sparql", query_string={"query": OPERATIONS}, headers=JSON_ACCEPT)
    assert values(r, "op") == values(reference, "op")


def test_unsupported_post_content_type_is_415(client):
    r = client.post("/sparql", data=OPERATIONS, content_type="text/plain", headers=JSON_ACCEPT)
    assert r.status_code == 415
    assert "application/sparql-query" in r.get_json()["error"]


def test_two_queries_in_one_request_are_refused(client):
    r = client.get("/sparql?query=ASK%7B%7D&query=ASK%7B%7D", headers=JSON_ACCEPT)
    assert r.status_code == 400


# -- result formats ------------------------------------------------------------------
SELECT3 = ("PREFIX pockg: <https://w3id.org/pockg/ontology#>\n"
           "SELECT ?op ?acronym WHERE { ?op a pockg:PeaceOperation ; pockg:acronym ?acronym } "
           "ORDER BY ?acronym LIMIT 3")


@pytest.mark.parametrize("accept,mimetype", [
    ("application/sparql-results+json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values", "text/tab-separated-values"),
])
def test_select_results_parse_in_every_format(client, accept, mimetype):
    r = client.get("/sparql", query_string={"query": SELECT3}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.mimetype == mimetype
    text = r.data.decode("utf-8")
    if "json" in mimetype:
        doc = json.loads(text)
        assert doc["head"]["vars"] == ["op", "acronym"]
        assert len(doc["results"]["bindings"]) == 3
    elif "xml" in mimetype:
        root = ET.fromstring(r.data)
        assert [v.get("name") for v in root.iter(RESULTS_NS + "variable")] == ["op", "acronym"]
        assert len(list(root.iter(RESULTS_NS + "result"))) == 3
    elif mimetype == "text/csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["op", "acronym"] and len(rows) == 4
        assert rows[1][0].startswith("https://w3id.org/pockg/id/")
    else:
        lines = text.strip("\n").split("\n")
        assert lines[0] == "?op\t?acronym" and len(lines) == 4
        assert lines[1].startswith("<https://w3id.org/pockg/id/")


def test_format_parameter_gives_a_download(client):
    r = client.get("/sparql", query_string={"query": SELECT3, "format": "csv"})
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    assert r.headers["Content-Disposition"].endswith('results.csv"')


def test_ask_answers_a_boolean_in_json_and_xml(client):
    q = "ASK { ?s a <https://w3id.org/pockg/ontology#PeaceOperation> }"
    r = client.get("/sparql", query_string={"query": q}, headers=JSON_ACCEPT)
    assert r.get_json()["boolean"] is True
    r = client.get("/sparql", query_string={"query": q},
                   headers={"Accept": "application/sparql-results+xml"})
    assert ET.fromstring(r.data).find(RESULTS_NS + "boolean").text == "true"


CONSTRUCT = ("PREFIX pockg: <https://w3id.org/pockg/ontology#>\n"
             "CONSTRUCT { ?op a pockg:PeaceOperation ; pockg:acronym ?a } "
             "WHERE { ?op a pockg:PeaceOperation ; pockg:acronym ?a }")


@pytest.mark.parametrize("accept,rdflib_format", [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"),
    ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
])
def test_construct_in_every_rdf_format(client, accept, rdflib_format):
    r = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": accept})
    assert r.status_code == 200 and r.mimetype == accept
    graph = rdflib.Graph().parse(data=r.data, format=rdflib_format)
    ops = set(graph.subjects(rdflib.RDF.type,
                             rdflib.URIRef("https://w3id.org/pockg/ontology#PeaceOperation")))
    assert rdflib.URIRef("https://w3id.org/pockg/id/operation/MONUSCO") in ops


def test_describe_answers_turtle(client):
    r = client.get("/sparql", query_string={
        "query": "DESCRIBE <https://w3id.org/pockg/id/operation/MONUSCO>"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    assert len(rdflib.Graph().parse(data=r.data, format="turtle")) > 0


# -- datasets -------------------------------------------------------------------------
def test_without_dataset_the_default_graph_is_the_union(client):
    assert count(client, "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") > 2


def test_default_graph_uri_selects_only_that_graph(client):
    in_registry = count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{REGISTRY}> {{ ?s ?p ?o }} }}")
    everything = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    chosen = count(client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                   **{"default-graph-uri": REGISTRY})
    assert 0 < chosen == in_registry < everything


def test_default_graph_uri_works_in_a_form_post(client):
    r = client.post("/sparql", headers=JSON_ACCEPT, data={
        "query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "default-graph-uri": REGISTRY})
    in_registry = count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{REGISTRY}> {{ ?s ?p ?o }} }}")
    assert int(bindings(r)[0]["n"]["value"]) == in_registry


def test_named_graph_uri_limits_the_named_graphs(client):
    r = client.get("/sparql", headers=JSON_ACCEPT, query_string={
        "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "named-graph-uri": REGISTRY})
    assert values(r, "g") == [REGISTRY]


def test_unknown_graph_iri_gives_an_empty_dataset_and_no_fetch(client, listener):
    outside = f"{listener.url}/graph"
    for param in ("default-graph-uri", "named-graph-uri"):
        r = client.get("/sparql", headers=JSON_ACCEPT, query_string={
            "query": "SELECT * WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } } LIMIT 5",
            param: outside})
        assert bindings(r) == []
    assert listener.count == 0


def test_from_a_graph_of_the_store_is_allowed(client):
    q = f"SELECT (COUNT(*) AS ?n) FROM <{REGISTRY}> WHERE {{ ?s ?p ?o }}"
    in_registry = count(client, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{REGISTRY}> {{ ?s ?p ?o }} }}")
    assert count(client, q) == in_registry


# -- the service description --------------------------------------------------------------
def test_service_description_without_a_query(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    g = rdflib.Graph().parse(data=r.data, format="turtle")
    SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    service = g.value(predicate=rdflib.RDF.type, object=SD.Service)
    assert service is not None
    assert g.value(service, SD.endpoint) == rdflib.URIRef("http://localhost/sparql")
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in g
    formats = {str(f) for f in g.objects(service, SD.resultFormat)}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_JSON" in formats
    assert "http://www.w3.org/ns/formats/Turtle" in formats
    assert rdflib.URIRef(REGISTRY) in set(g.objects(None, SD.name))


def test_service_description_as_json_ld(client):
    r = client.get("/sparql", headers={"Accept": "application/ld+json"})
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    assert len(rdflib.Graph().parse(data=r.data, format="json-ld")) > 10


# -- read-only ----------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["form", "direct", "get"])
def test_updates_are_refused_with_405(client, how):
    update = "INSERT DATA { <http://example.org/s> <http://example.org/p> 1 }"
    if how == "form":
        r = client.post("/sparql", data={"update": update}, headers=JSON_ACCEPT)
    elif how == "direct":
        r = client.post("/sparql", data=update.encode(), content_type="application/sparql-update",
                        headers=JSON_ACCEPT)
    else:
        r = client.get("/sparql", query_string={"update": update}, headers=JSON_ACCEPT)
    assert r.status_code == 405
    body = r.get_json()
    assert body == {"ok": False, "error": body["error"], "status": 405}
    assert "read-only" in body["error"]
    assert count(client, "SELECT (COUNT(*) AS ?n) WHERE { <http://example.org/s> ?p ?o }") == 0


def service_queries(url: str) -> dict[str, str]:
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "lowercase": f"select * where {{ service <{url}/sparql> {{ ?s ?p ?o }} }}",
        "mixed-case-and-comment": f"SELECT * WHERE {{ SeRvIcE # a comment\n <{url}/sparql> {{ ?s ?p ?o }} }}",
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        "optional": f"SELECT * WHERE {{ ?x a ?t OPTIONAL {{ SERVICE <{url}/s> {{ ?x ?p ?o }} }} }} LIMIT 1",
        "exists": f"SELECT * WHERE {{ ?x a ?t FILTER EXISTS {{ SERVICE <{url}/s> {{ ?x ?p ?o }} }} }} LIMIT 1",
        "subquery": f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }} }} }}",
        "variable-endpoint": f"SELECT * WHERE {{ BIND(<{url}/s> AS ?ep) SERVICE ?ep {{ ?s ?p ?o }} }}",
        "prefixed-endpoint": f"PREFIX ep: <{url}/> SELECT * WHERE {{ SERVICE ep:sparql {{ ?s ?p ?o }} }}",
        "ask": f"ASK {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "construct": f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        # rdflib cannot parse this (a triple term, SPARQL 1.2): the token-scan fallback refuses it
        "rdflib-cannot-parse": (f"SELECT * WHERE {{ BIND(<<( <http://a> <http://b> <http://c> )>> AS ?t) "
                                f"SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"),
    }


def test_oxigraph_alone_would_federate(listener):
    """Why the check exists: embedded Oxigraph really calls a SERVICE over HTTP."""
    store = ox.Store()
    with pytest.raises(OSError):
        list(store.query(f"SELECT * WHERE {{ SERVICE <{listener.url}/sparql> {{ ?s ?p ?o }} }}"))
    assert listener.count == 1
    listener.count = 0


@pytest.mark.parametrize("name", list(service_queries("http://x")))
def test_service_is_refused_in_every_spelling_and_position(client, listener, name):
    query = service_queries(listener.url)[name]
    for send in ("get", "post"):
        if send == "get":
            r = client.get("/sparql", query_string={"query": query}, headers=JSON_ACCEPT)
        else:
            r = client.post("/sparql", data=query.encode(), content_type="application/sparql-query",
                            headers=JSON_ACCEPT)
        assert r.status_code == 400, r.data
        assert "SERVICE" in r.get_json()["error"]
    assert listener.count == 0


@pytest.mark.parametrize("query", [
    "LOAD <{url}/data.ttl>",
    "LOAD SILENT <{url}/data.ttl> INTO GRAPH <http://example.org/g>",
    "SELECT * FROM <http://example.org/x> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM <{url}/x> WHERE {{ ?s ?p ?o }}",
    "SELECT * FROM NAMED <{url}/x> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "ASK FROM <{url}/x> {{ ?s ?p ?o }}",
])
def test_load_and_outside_from_are_refused(client, listener, query):
    r = client.get("/sparql", query_string={"query": query.format(url=listener.url)},
                   headers=JSON_ACCEPT)
    assert r.status_code == 400
    error = r.get_json()["error"]
    assert ("read-only" in error) if query.startswith("LOAD") else ("FROM" in error)
    assert listener.count == 0


def test_load_as_an_update_is_refused_with_405(client, listener):
    r = client.post("/sparql", data={"update": f"LOAD <{listener.url}/data.ttl>"})
    assert r.status_code == 405
    assert listener.count == 0


# -- malformed queries -----------------------------------------------------------------
def test_malformed_query_is_400_with_the_parser_message(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"},
                   headers=JSON_ACCEPT)
    assert r.status_code == 400
    body = r.get_json()
    assert body["ok"] is False and body["status"] == 400
    assert body["error"].startswith("malformed SPARQL:")
    assert "error at 1:" in body["error"]          # the parser's position


def test_deeply_nested_query_is_refused_before_any_parser_sees_it(client):
    deep = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000
    r = client.get("/sparql", query_string={"query": deep}, headers=JSON_ACCEPT)
    assert r.status_code == 400
    assert "nests brackets 3000 deep" in r.get_json()["error"]
    ok = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=JSON_ACCEPT)
    assert ok.status_code == 200


def test_malformed_query_is_plain_text_for_csv_clients(client):
    r = client.get("/sparql", query_string={"query": "SELECT WHERE"}, headers={"Accept": "text/csv"})
    assert r.status_code == 400 and r.mimetype == "text/plain"
    assert "malformed SPARQL" in r.data.decode()


def test_unknown_prefix_is_a_400_not_a_500(client):
    r = client.get("/sparql", query_string={"query": "SELECT * WHERE { ?s nope:p ?o }"},
                   headers=JSON_ACCEPT)
    assert r.status_code == 400


def test_the_pockg_prefixes_are_predeclared(client):
    r = client.get("/sparql", headers=JSON_ACCEPT, query_string={
        "query": "SELECT ?op WHERE { ?op a pockg:PeaceOperation } LIMIT 1"})
    assert len(bindings(r)) == 1


# -- time and row limits -----------------------------------------------------------------
def test_time_limit_kills_the_query_and_the_next_one_runs(limited):
    c = limited.test_client()
    assert c.get("/sparql", query_string={"query": "ASK {}"}, headers=JSON_ACCEPT).status_code == 200
    pool = limited.extensions["pockg"].extras["sparql_workers"]
    before = {p.pid for p in pool.processes}
    started = time.monotonic()
    r = c.get("/sparql", query_string={"query": CARTESIAN}, headers=JSON_ACCEPT)
    elapsed = time.monotonic() - started
    assert r.status_code == 503
    assert elapsed < 2.0
    assert int(r.headers["Retry-After"]) >= 1
    assert "time limit" in r.get_json()["error"]
    r = c.get("/sparql", query_string={"query": OPERATIONS.replace("ORDER BY ?op", "LIMIT 1")},
              headers=JSON_ACCEPT)
    assert r.status_code == 200 and len(bindings(r)) == 1
    deadline = time.monotonic() + 10     # the stopped worker is replaced in the background
    after = {p.pid for p in pool.processes}
    while (not after or after == before) and time.monotonic() < deadline:
        time.sleep(0.05)
        after = {p.pid for p in pool.processes}
    assert after and after != before          # the stopped worker was replaced


def test_row_cap_cuts_and_flags_the_result(limited):
    c = limited.test_client()
    q = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 50"
    r = c.get("/sparql", query_string={"query": q}, headers=JSON_ACCEPT)
    assert r.status_code == 200
    assert r.headers["Pockg-Truncated"] == "true"
    assert len(json.loads(r.data)["results"]["bindings"]) == 5
    for accept in ("text/csv", "application/sparql-results+xml", "text/tab-separated-values"):
        r = c.get("/sparql", query_string={"query": q}, headers={"Accept": accept})
        assert r.headers["Pockg-Truncated"] == "true"
        if accept == "text/csv":
            assert len(list(csv.reader(io.StringIO(r.data.decode())))) == 6
        elif "xml" in accept:
            assert len(list(ET.fromstring(r.data).iter(RESULTS_NS + "result"))) == 5
        else:
            assert len(r.data.decode().strip("\n").split("\n")) == 6
    r = c.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"},
              headers=JSON_ACCEPT)
    assert "Pockg-Truncated" not in r.headers
    r = c.get("/sparql", query_string={"query": q}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert b'class="notice truncated"' in r.data
    assert r.data.count(b"<tr>") == 6


def test_row_cap_applies_to_construct(limited):
    c = limited.test_client()
    r = c.get("/sparql", query_string={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
              headers={"Accept": "application/n-triples"})
    assert r.headers["Pockg-Truncated"] == "true"
    assert len(rdflib.Graph().parse(data=r.data, format="nt")) == 5


def test_in_memory_store_runs_in_process():
    store = open_store(":memory:")
    store.extend([ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"),
                          ox.Literal("o"), ox.NamedNode("http://example.org/g"))])
    app = create_app({"STORE": ":memory:", "STORE_OBJECT": store}, profile="testing")
    r = app.test_client().get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p ?o }"},
                              headers=JSON_ACCEPT)
    assert values(r, "s") == ["http://example.org/s"]
    assert "sparql_workers" not in app.extensions["pockg"].extras


# -- the HTML editor -------------------------------------------------------------------------
def test_editor_page_has_the_editor_and_the_library_examples(client, app):
    r = client.get("/sparql", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.mimetype == "text/html"
    page = r.data.decode()
    assert '<textarea id="query" name="query"' in page
    assert '<label for="query">' in page
    assert 'id="run-query"' in page
    assert "vendor/codemirror/lib/codemirror.js" in page
    assert "vendor/codemirror/mode/sparql/sparql.js" in page
    names = app.extensions["pockg"].library.names()
    assert names
    for name in names:
        assert f'id="example-{name}"' in page
    assert "VALUES ?mission {}" not in page      # examples come with their defaults bound


def test_example_link_loads_the_query_without_javascript(client, app):
    name = app.extensions["pockg"].library.names()[0]
    r = client.get("/sparql", query_string={"example": name}, headers={"Accept": "text/html"})
    page = r.data.decode()
    editor = page[page.index('<textarea id="query"'):page.index("</textarea>")]
    assert f"# {name}:" in editor


def test_editor_shows_results_in_a_table_with_downloads(client):
    r = client.get("/sparql", query_string={"query": SELECT3}, headers={"Accept": "text/html"})
    page = r.data.decode()
    assert '<table id="results">' in page
    assert '<th scope="col">?op</th>' in page
    assert page.count("<tr>") == 4
    assert "format=csv" in page and "format=json" in page
    assert "/id/operation/" in page          # IRIs link to their pages


def test_editor_escapes_the_query_and_the_results(client):
    evil = 'SELECT ("</textarea><script>alert(1)</script>" AS ?x) WHERE {}'
    r = client.get("/sparql", query_string={"query": evil}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    page = r.data.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_editor_shows_errors_with_the_query_kept(client):
    r = client.get("/sparql", query_string={"query": "SELECT ?s WHERE { ?s ?p }"},
                   headers={"Accept": "text/html"})
    assert r.status_code == 400
    page = r.data.decode()
    assert 'role="alert"' in page and "malformed SPARQL" in page
    assert "SELECT ?s WHERE { ?s ?p }" in page


def test_editor_in_french(app):
    r = app.test_client().get("/sparql?lang=fr", headers={"Accept": "text/html"})  # own cookies
    assert "Lancer la requête" in r.data.decode()


def test_codemirror_is_vendored_with_its_licence():
    vendor = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "codemirror"
    for name in ("lib/codemirror.js", "lib/codemirror.css", "mode/sparql/sparql.js", "LICENSE"):
        assert (vendor / name).is_file(), name
    assert "MIT" in (vendor / "LICENSE").read_text()


# -- real clients against a real server ------------------------------------------------------------
def test_sparqlwrapper_select_ask_construct_and_errors(server):
    from SPARQLWrapper import JSON, POST, TURTLE, XML, SPARQLWrapper
    from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

    sw = SPARQLWrapper(server)
    sw.setQuery(SELECT3)
    sw.setReturnFormat(JSON)
    result = sw.query().convert()
    assert len(result["results"]["bindings"]) == 3

    sw.setMethod(POST)
    sw.setReturnFormat(XML)
    doc = sw.query().convert()                        # an xml.dom document
    assert len(doc.getElementsByTagName("result")) == 3

    sw = SPARQLWrapper(server)
    sw.setQuery("ASK { ?s a <https://w3id.org/pockg/ontology#PeaceOperation> }")
    sw.setReturnFormat(JSON)
    assert sw.query().convert()["boolean"] is True

    sw.setQuery(CONSTRUCT)
    sw.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=sw.query().convert(), format="turtle")
    assert len(graph) > 10

    sw.setQuery("SELECT ?s WHERE { ?s ?p }")
    sw.setReturnFormat(JSON)
    with pytest.raises(QueryBadFormed):
        sw.query()


def test_rdflib_sparqlstore_select_and_construct(server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = rdflib.Graph(store=SPARQLStore(server))
    rows = list(graph.query(SELECT3))
    assert len(rows) == 3 and all(isinstance(r[0], rdflib.URIRef) for r in rows)
    constructed = graph.query(CONSTRUCT).graph
    assert len(constructed) > 10
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True


def test_real_server_time_limit_leaves_others_served(server):
    """Under waitress, a busy query does not block a simple one from another client."""
    import urllib.parse
    import urllib.request

    def get(query, timeout=10):
        url = server + "?" + urllib.parse.urlencode({"query": query})
        req = urllib.request.Request(url, headers=JSON_ACCEPT)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    slow = {}
    thread = threading.Thread(target=lambda: slow.setdefault("status", get(CARTESIAN)))
    thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert get("ASK {}") == 200
    assert time.monotonic() - started < 2.5
    thread.join(15)
    assert slow["status"] == 503                         # the testing profile: 3 s limit


# -- the W3C SPARQL 1.1 Protocol tests (query and refusal parts) ----------------------------------
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")


def w3c_cases() -> list:
    manifest = W3C_PROTOCOL / "manifest.ttl"
    if not manifest.is_file():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"no W3C tests at {manifest}"))]
    g = rdflib.Graph().parse(manifest, format="turtle")
    root = g.value(predicate=rdflib.RDF.type, object=MF.Manifest)
    cases = []
    for test in Collection(g, g.value(root, MF.entries)):
        name = str(test).rsplit("#", 1)[1]
        action = g.value(test, MF.action)
        first = list(Collection(g, g.value(action, HT.requests)))[0]
        body = g.value(first, HT.body)
        headers = {}
        header_list = g.value(first, HT.headers)
        if header_list is not None:
            for h in Collection(g, header_list):
                headers[str(g.value(h, HT.fieldName))] = str(g.value(h, HT.fieldValue))
        resp = g.value(first, HT.resp)
        expected = g.value(resp, MF.expectedBoolean)
        cases.append(pytest.param({
            "name": name,
            "method": str(g.value(first, HT.methodName)),
            "path": str(g.value(first, HT.absolutePath)).replace("/sparql/", "/sparql", 1),
            "body": str(g.value(body, CNT.chars)).encode(
                str(g.value(body, CNT.characterEncoding) or "UTF-8")) if body is not None else None,
            "headers": headers,
            "boolean": None if expected is None else expected.toPython(),
            "format": str(g.value(resp, MF.expectedFormat) or ""),
        }, id=name))
    return cases


@pytest.fixture(scope="module")
def w3c_client(tmp_path_factory):
    """A store holding the W3C protocol test graphs (data1-3.nt, named as in the manifest)."""
    path = tmp_path_factory.mktemp("w3c") / "store"
    store = ox.Store(str(path))
    for n in (1, 2, 3):
        store.load(path=str(W3C_PROTOCOL / f"data{n}.nt"), format=ox.RdfFormat.N_TRIPLES,
                   to_graph=ox.NamedNode(f"http://kasei.us/2009/09/sparql/data/data{n}.rdf"))
    store.flush()
    del store
    rebuild(str(path))            # the public replica, which the workers open
    app = create_app({"STORE": str(path)}, profile="testing")
    yield app.test_client()
    _stop_workers(app)


@pytest.mark.parametrize("case", w3c_cases())
def test_w3c_protocol(w3c_client, case):
    r = w3c_client.open(case["path"], method=case["method"], data=case["body"],
                        headers=case["headers"])
    name = case["name"]
    if name.startswith("bad_"):
        assert 400 <= r.status_code < 500, (r.status_code, r.data)
    elif name.startswith("update_"):
        assert r.status_code in (403, 405), (r.status_code, r.data)   # read-only endpoint
    else:
        assert 200 <= r.status_code < 400, (r.status_code, r.data)
        if case["format"] == "boolean" or case["boolean"] is not None:
            assert r.mimetype in ("application/sparql-results+json", "application/sparql-results+xml")
        if case["format"] == "tabular":
            assert r.mimetype in ("application/sparql-results+json", "application/sparql-results+xml",
                                  "text/csv", "text/tab-separated-values")
        if case["format"] == "RDF":
            assert r.mimetype in ("text/turtle", "application/rdf+xml", "application/n-triples",
                                  "application/ld+json")
        if case["boolean"] is not None:
            assert r.get_json()["boolean"] is case["boolean"]


def test_queries_rdflib_cannot_parse_still_run(client):
    """Oxigraph-only syntax (a SPARQL 1.2 triple term) falls back to the token scan and runs."""
    q = "SELECT ?t WHERE { BIND(<<( <http://a> <http://b> <http://c> )>> AS ?t) }"
    r = client.get("/sparql", query_string={"query": q}, headers=JSON_ACCEPT)
    assert bindings(r)[0]["t"]["type"] == "triple"


def test_a_worker_dies_with_its_server(store_path):
    """A worker whose parent is gone ends itself, even in the middle of a query."""
    import subprocess
    import sys

    code = ("import sys, time\n"
            "from web.query_worker import Worker, Job\n"
            "w = Worker(sys.argv[1]); w.wait_ready(60)\n"
            f"w.writer.send(dict(query={CARTESIAN!r}, max_rows=5))\n"
            "print(w.process.pid, flush=True)\n")
    out = subprocess.run([sys.executable, "-c", code, store_path], capture_output=True, text=True,
                         timeout=60)
    pid = int(out.stdout.strip())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, 9)
        pytest.fail("the orphaned worker kept running")


def test_editor_shows_construct_results_as_triples(client):
    r = client.get("/sparql", query_string={"query": CONSTRUCT}, headers={"Accept": "text/html"})
    page = r.data.decode()
    assert '<th scope="col">?subject</th>' in page and '<th scope="col">?object</th>' in page
    assert "format=ttl" in page and "format=jsonld" in page


def test_editor_shows_ask_as_yes_or_no(client):
    r = client.get("/sparql", query_string={"query": "ASK {}"}, headers={"Accept": "text/html"})
    assert "Yes (true)" in r.data.decode()


# -- fairness under hostile queries ---------------------------------------------------------
@pytest.fixture
def one_worker(store_path):
    """One worker, a 4 s limit, a 0.5 s wait for a free worker, a 1.5 GB worker cap."""
    app = create_app({"STORE": store_path, "SPARQL_TIMEOUT_S": 4, "SPARQL_WORKERS": 1,
                      "SPARQL_QUEUE_WAIT_S": 0.5, "SPARQL_WORKER_MEMORY_MB": 1500,
                      "SPARQL_CLIENT_BUDGET_S": 0}, profile="testing")
    yield app
    _stop_workers(app)


def test_when_every_worker_is_busy_a_query_gets_503_at_once_not_after_the_limit(one_worker):
    import threading

    c = one_worker.test_client()
    assert c.get("/sparql", query_string={"query": "ASK {}"}, headers=JSON_ACCEPT).status_code == 200
    hog = threading.Thread(target=lambda: one_worker.test_client().get(
        "/sparql", query_string={"query": CARTESIAN}, headers=JSON_ACCEPT))
    hog.start()
    time.sleep(0.5)                                # the hog holds the only worker
    started = time.monotonic()
    r = c.get("/sparql", query_string={"query": "ASK {}"}, headers=JSON_ACCEPT)
    elapsed = time.monotonic() - started
    hog.join()
    assert r.status_code == 503 and "busy" in r.get_json()["error"]
    assert elapsed < 1.5 and int(r.headers["Retry-After"]) >= 1


def test_service_is_refused_with_400_even_while_every_worker_is_busy(one_worker):
    import threading

    hog = threading.Thread(target=lambda: one_worker.test_client().get(
        "/sparql", query_string={"query": CARTESIAN}, headers=JSON_ACCEPT))
    hog.start()
    time.sleep(0.5)
    r = one_worker.test_client().get("/sparql", headers=JSON_ACCEPT, query_string={
        "query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    hog.join()
    assert r.status_code == 400 and "SERVICE" in r.get_json()["error"]


@pytest.fixture
def capped_worker(store_path):
    """One worker capped at 1 GB, with a time limit the cap is sure to beat."""
    app = create_app({"STORE": store_path, "SPARQL_TIMEOUT_S": 20, "SPARQL_WORKERS": 1,
                      "SPARQL_WORKER_MEMORY_MB": 1000, "SPARQL_CLIENT_BUDGET_S": 0},
                     profile="testing")
    yield app
    _stop_workers(app)


def test_a_query_past_the_worker_memory_cap_gets_503_and_the_next_one_runs(capped_worker):
    c = capped_worker.test_client()
    assert c.get("/sparql", query_string={"query": "ASK {}"}, headers=JSON_ACCEPT).status_code == 200
    greedy = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i"
    started = time.monotonic()
    r = c.get("/sparql", query_string={"query": greedy}, headers=JSON_ACCEPT)
    assert r.status_code == 503 and time.monotonic() - started < 20.0
    assert "memory" in r.get_json()["error"]          # the cap stopped it, not the clock
    ok = c.get("/sparql", query_string={"query": "ASK {}"}, headers=JSON_ACCEPT)
    assert ok.status_code == 200


"""Red-team findings 1, 2 and 9 on the SPARQL endpoint (issue 12).

1. Parse-time denial of service: queries with ``\\u``/``\\U`` or SERVICE were
   parsed by rdflib in the server's request thread, unbounded, before the
   client's budget was checked.
2. Private graphs through /sparql on a read-only server after a restore: no
   replica, so workers opened the full store, and a query rdflib could not
   parse skipped the FROM check.
9. ``FROM NAMED`` with a public graph was refused ("FROM <default>").
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from support import pockg_command

from pockg import vocab as V
from pockg.accounts import Accounts
from pockg.curation.graphs import AGENTS_GRAPH
from pockg.replica import location_of
from pockg.store import open_store
from web import create_app
from web import query_check as QC

JSON = {"Accept": "application/sparql-results+json"}
REGISTRY = V.graph("registry")
DRAFT = V.USER + "draft/lesson/L-secret"
SECRET = "a draft nobody outside the curators may read"


def ask(client, query: str, **params):
    return client.get("/sparql", query_string={"query": query, **params}, headers=JSON)


@pytest.fixture(scope="module")
def app(curated_store_path):
    app = create_app({"STORE": str(curated_store_path), "SPARQL_TIMEOUT_S": 5},
                     profile="testing")
    yield app
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


@pytest.fixture
def client(app):
    return app.test_client()


# -- finding 1: no unbounded parsing in the server, budget first -------------------------------
def test_finding1_the_server_never_parses_a_query_with_rdflib(client, monkeypatch):
    """Finding 1: rdflib's parser (~2.7 ms per term) ran in the request thread."""
    import rdflib.plugins.sparql.parser as rdflib_parser

    parsed = []
    real = rdflib_parser.parseQuery
    monkeypatch.setattr(rdflib_parser, "parseQuery", lambda *a, **k: parsed.append(a) or real(*a, **k))
    escapes = "".join(f'"\\u00{40 + i % 20:02x}" ' for i in range(400))
    query = f"# SERVICE\nSELECT * WHERE {{ VALUES ?x {{ {escapes} }} }} LIMIT 1"
    r = ask(client, query)
    assert r.status_code == 200, r.data[:300]
    assert parsed == [], "rdflib's SPARQL parser ran in the server"


def test_finding1_a_query_over_the_check_limit_gets_413_in_the_json_shape(app):
    """Finding 1: a 200 KB query held a server thread for 218 s."""
    client = app.test_client()
    limit = app.config["SPARQL_CHECK_MAX_BYTES"]
    query = "SELECT * WHERE { ?s ?p ?o } #" + "\\u0053ERVICE " * (limit // 12)
    r = client.post("/sparql", data=query.encode(), headers={
        "Content-Type": "application/sparql-query", "Accept": "application/json"})
    assert r.status_code == 413
    body = r.get_json()
    assert body["ok"] is False and body["status"] == 413
    assert f"{limit:,}" in body["error"]


def test_finding1_a_client_over_its_budget_is_refused_before_any_check(curated_store_path,
                                                                        monkeypatch):
    """Finding 1: the parse ran before the per-client budget was looked at."""
    app = create_app({"STORE": str(curated_store_path), "SPARQL_CLIENT_BUDGET_S": 1,
                      "SPARQL_CLIENT_WINDOW_S": 600}, profile="testing")
    client = app.test_client()
    from web.sparql import client_budget

    with app.test_request_context():
        client_budget().charge("127.0.0.1", 5.0)        # this client spent its budget
    checked = []
    monkeypatch.setattr(QC, "tokens", lambda text: checked.append(text) or [])
    r = ask(client, "SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }")
    assert r.status_code == 429 and "Retry-After" in r.headers
    assert checked == []


@pytest.mark.parametrize("query", [
    "SELECT * WHERE { ?s ?p 1SERVICE <http://example.org/> { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p trueSERVICE <http://example.org/> { ?a ?b ?c } }",
    "PREFIX e: <http://example.org/> SELECT * WHERE { ?s ?p ?o SERVICE:x { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p ?o . \\u0053ERVICE <http://example.org/> { ?a ?b ?c } }",
    "PREFIX e: <http://e/> SELECT * WHERE { ?s ?p e:a\\#b SERVICE <http://example.org/> {} }",
    "SELECT * WHERE { ?s ?p ?o LATERAL { SERVICE SILENT ?s { ?a ?b ?c } } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { sErViCe <http://example.org/> { ?a ?b ?c } } }",
])
def test_the_token_check_refuses_service_in_any_spelling(query):
    """The check that replaced rdflib's parse (finding 1) still stops every SERVICE."""
    with pytest.raises(QC.Refused) as refused:
        QC.check_query(query, {REGISTRY})
    assert refused.value.status == 400


@pytest.mark.parametrize("query", [
    'SELECT ("SERVICE" AS ?x) WHERE {}',
    "SELECT ?service WHERE { ?service ?p ?o } # SERVICE in a comment",
    "SELECT * WHERE { ?s <http://www.w3.org/ns/sparql-service-description#endpoint> ?o }",
    "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s ex:serviceFrom ?o }",
    "SELECT * WHERE { ?s ?p '''FROM <urn:x> SERVICE''' }",
])
def test_the_token_check_reads_no_keyword_in_strings_iris_comments_and_names(query):
    assert QC.check_query(query, {REGISTRY}).has_dataset_clause is False


# -- finding 9: FROM NAMED with a public graph ---------------------------------------------------
def test_finding9_from_named_with_a_public_graph_works(client):
    """Finding 9: FROM NAMED <public graph> was refused as "FROM <default>"."""
    r = ask(client, f"SELECT DISTINCT ?g FROM NAMED <{REGISTRY}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}")
    assert r.status_code == 200, r.data[:300]
    assert [b["g"]["value"] for b in r.get_json()["results"]["bindings"]] == [REGISTRY]


@pytest.mark.parametrize("clause", [
    f"FROM <{DRAFT}>", f"FROM NAMED <{DRAFT}>", f"FROMNAMED <{DRAFT}>",
    f"FROM <{AGENTS_GRAPH}>", "FROM <file:///etc/passwd>",
    f"PREFIX u: <{V.USER}> SELECT * FROM u:review\\/agents",
    "FROM NAMEDpockg:x", "FROM relative", "FROM <relative/graph>",
])
def test_from_a_private_outside_or_unclear_graph_is_refused(client, clause):
    query = clause if clause.startswith("PREFIX") else f"SELECT * {clause}"
    r = ask(client, query + " WHERE { ?s ?p ?o } LIMIT 1")
    assert r.status_code == 400, r.data[:300]


def test_prefixed_names_in_from_resolve_as_the_engine_resolves_them():
    info = QC.check_query(f"PREFIX g: <{V.GRAPH}> SELECT * FROM g:registry FROM NAMED "
                          f"<{V.graph('meta')}> WHERE {{ ?s ?p ?o }}",
                          {REGISTRY, V.graph("meta")})
    assert info.has_dataset_clause and info.dataset_iris == [REGISTRY, V.graph("meta")]


# -- finding 2: readers never see the full store -------------------------------------------------
@pytest.fixture
def restored(curated_store_path, tmp_path):
    """A store with private graphs (a draft, the sign-in names), backed up and restored."""
    import pyoxigraph as ox

    store_dir = tmp_path / "store"
    shutil.copytree(curated_store_path, store_dir)
    store = open_store(store_dir)
    store.extend([
        ox.Quad(ox.NamedNode(V.ID + "lesson/L-secret"), ox.NamedNode(V.SKOS + "prefLabel"),
                ox.Literal(SECRET), ox.NamedNode(DRAFT)),
        ox.Quad(ox.NamedNode(V.ID + "agent/ann"), ox.NamedNode(V.RDFS + "label"),
                ox.Literal("ann-signin"), ox.NamedNode(AGENTS_GRAPH)),
    ])
    store.close()
    Accounts(str(tmp_path / "users.sqlite")).close()
    env = {"POCKG_STORE": str(store_dir), "POCKG_DB": str(tmp_path / "users.sqlite")}
    run = lambda *args: subprocess.run([*pockg_command(), *args], capture_output=True,  # noqa: E731
                                       text=True, timeout=300, env={**_env(), **env})
    done = run("backup", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    shutil.rmtree(location_of(str(store_dir)), ignore_errors=True)
    done = run("restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    return store_dir


def _env() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("POCKG_")}


LEAKS = [
    f"SELECT ?o FROM <{DRAFT}> WHERE {{ ?s ?p ?o }}",
    f"SELECT ?o FROM <{AGENTS_GRAPH}> WHERE {{ ?s ?p ?o }}",
    f"SELECT ?o FROM <{DRAFT}> WHERE {{ ?s ?p ?o LATERAL {{ SELECT ?x WHERE {{ BIND(1 AS ?x) }} }} }}",
    "SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT ?o WHERE { ?s ?p ?o }",
]


def test_finding2_a_read_only_server_after_restore_never_answers_from_private_graphs(restored):
    """Finding 2: after `pockg restore`, a read-only server's workers opened the full store."""
    app = create_app({"STORE": str(restored), "READ_ONLY": True}, profile="testing")
    try:
        client = app.test_client()
        for query in LEAKS:
            r = ask(client, query)
            assert SECRET.encode() not in r.data and b"ann-signin" not in r.data, query
            assert r.status_code in (200, 400), (query, r.status_code, r.data[:200])
        assert ask(client, "ASK { ?s ?p ?o }").get_json()["boolean"] is True   # it answers
    finally:
        workers = app.extensions["pockg"].extras.get("sparql_workers")
        if workers is not None:
            workers.shutdown()


def test_finding2_restore_makes_the_public_replica_again(restored):
    """Finding 2: `pockg restore` deleted <store>.public and nothing made it again."""
    replica = open_store(location_of(str(restored)), read_only=True)
    try:
        graphs = set(replica.named_graphs())
        assert REGISTRY in graphs and DRAFT not in graphs and AGENTS_GRAPH not in graphs
    finally:
        replica.close()


def test_finding2_without_a_replica_readers_get_503_never_the_full_store(restored):
    """Finding 2: with no replica, a read-only server fell back to the full store."""
    shutil.rmtree(location_of(str(restored)))
    app = create_app({"STORE": str(restored), "READ_ONLY": True}, profile="testing")
    client = app.test_client()
    for query in LEAKS:
        r = ask(client, query)
        assert r.status_code == 503 and SECRET.encode() not in r.data
        assert "pockg build" in r.get_json()["error"]
    for path in ("/search?q=secret", "/id/operation/MONUC", "/"):
        r = client.get(path)
        assert r.status_code == 503, path
        assert b"pockg build" in r.data and SECRET.encode() not in r.data
    assert not (restored.parent / "store.public").exists()     # a read-only server never writes


# -- finding 12: the editor's table is one page, and its rendering is charged ---------------------
def test_finding12_the_editor_shows_one_page_of_rows_and_links_the_rest(client):
    """Finding 12: 10k rows x 9 columns were rendered into a 12.6 MB page in the server."""
    r = client.get("/sparql", query_string={
        "query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2000"}, headers={"Accept": "text/html"})
    assert r.status_code == 200
    page = r.get_data(as_text=True)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 500
    assert "only the first 500 rows are here" in page
    assert 'format=csv' in page and 'format=json' in page      # the rest, downloadable


def test_finding12_rendering_the_editor_is_charged_to_the_client(curated_store_path, monkeypatch):
    """Finding 12: the table's rendering (7.6 s of CPU) was not charged to the client."""
    import web.sparql as endpoint

    app = create_app({"STORE": str(curated_store_path), "SPARQL_CLIENT_BUDGET_S": 0.9,
                      "SPARQL_CLIENT_WINDOW_S": 600}, profile="testing")
    client = app.test_client()
    real = endpoint.render_page

    def slow_render(*args, **kwargs):
        import time

        time.sleep(1.5)                     # as a big table takes to render
        return real(*args, **kwargs)

    monkeypatch.setattr(endpoint, "render_page", slow_render)
    html = {"Accept": "text/html"}
    try:
        assert client.get("/sparql", query_string={"query": "ASK {}"}, headers=html).status_code == 200
        again = client.get("/sparql", query_string={"query": "ASK {}"}, headers=JSON)
        assert again.status_code == 429
    finally:
        workers = app.extensions["pockg"].extras.get("sparql_workers")
        if workers is not None:
            workers.shutdown()

"""The SPARQL endpoint's network sandbox: query workers run without network access.

Each worker starts in a network namespace of its own (``unshare -n``), so a
query cannot reach another machine even if SERVICE got past the parsed-query
check: Oxigraph's Rust HTTP client ignores Python audit hooks, only the OS can
stop it (shared/reference/security.md §0 items 1-3). A local listener on
127.0.0.1 counts every connection: with the check switched off
(SPARQL_PARSED_CHECK=False) the sandbox alone must keep it at zero.

Where no sandbox can be made (simulated with SPARQL_SANDBOX="off") the
endpoint stays closed (503) unless the operator accepts the risk
(SPARQL_ALLOW_UNSANDBOXED=True).

Never skipped: CI runs as root on Linux, where ``unshare -n`` works. Without
``unshare`` these tests fail and say that util-linux provides it.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest
from support import Listener, free_port, pockg_command

from pockg.replica import rebuild
from web import create_app
from web import query_worker as qw

JSON_ACCEPT = {"Accept": "application/sparql-results+json"}
EX = "http://example.org/"
GRAPH = EX + "graph"
NO_UNSHARE = ("the SPARQL sandbox needs `unshare` (util-linux provides it: "
              "apt-get install util-linux) and the right to make network namespaces "
              "(root, or user namespaces for `unshare -r -n`)")


def service_queries(url: str) -> dict[str, str]:
    """SERVICE in every disguise; each would call ``url`` if it ran with network."""
    return {
        "plain": f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "lowercase": f"select * where {{ service <{url}/sparql> {{ ?s ?p ?o }} }}",
        "escaped": f"SELECT * WHERE {{ \\u0053ERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        "filter-exists": (f"SELECT * WHERE {{ ?x a ?t FILTER EXISTS {{ SERVICE <{url}/s> "
                          f"{{ ?x ?p ?o }} }} }}"),
        "optional": f"SELECT * WHERE {{ ?x a ?t OPTIONAL {{ SERVICE <{url}/s> {{ ?x ?p ?o }} }} }}",
        "subquery": (f"SELECT * WHERE {{ {{ SELECT ?s ?o WHERE {{ SERVICE <{url}/s> "
                     f"{{ ?s ?p ?o }} }} }} }}"),
        "silent": f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        "variable-endpoint": (f"SELECT * WHERE {{ VALUES ?ep {{ <{url}/sparql> }} "
                              f"SERVICE ?ep {{ ?s ?p ?o }} }}"),
    }


VARIANTS = list(service_queries("http://x"))


# -- fixtures -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox():
    """The sandbox this machine gives; a clear failure (never a skip) when there is none."""
    if shutil.which("unshare") is None:
        pytest.fail(f"`unshare` was not found: {NO_UNSHARE}")
    box = qw.sandbox("auto")
    if not box:
        pytest.fail(f"no network namespace could be made ({box.reason}): {NO_UNSHARE}")
    return box


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """A small on-disk store: a few typed resources in one named graph."""
    path = tmp_path_factory.mktemp("sandbox") / "store"
    store = ox.Store(str(path))
    a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    for i in range(3):
        thing = ox.NamedNode(f"{EX}thing{i}")
        store.add(ox.Quad(thing, a, ox.NamedNode(EX + "Thing"), ox.NamedNode(GRAPH)))
        store.add(ox.Quad(thing, label, ox.Literal(f"thing {i}"), ox.NamedNode(GRAPH)))
    store.flush()
    del store
    rebuild(str(path))            # the public replica, which the workers open
    return str(path)


@pytest.fixture(scope="module")
def listener_module():
    listening = Listener()
    socket.create_connection(("127.0.0.1", listening.port), timeout=2).close()
    assert listening.wait_for(1) == 1          # it really counts
    yield listening
    listening.sock.close()


@pytest.fixture
def listener(listener_module):
    listener_module.count = 0
    return listener_module


def make_app(store_path, **config):
    return create_app({"STORE": store_path, **config}, profile="testing")


def stop_workers(app) -> None:
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


@pytest.fixture(scope="module")
def sandbox_only(store_path, sandbox):
    """The parsed check off: the sandbox alone stands between a query and the network."""
    app = make_app(store_path, SPARQL_PARSED_CHECK=False)
    yield app
    stop_workers(app)


@pytest.fixture(scope="module")
def checked(store_path, sandbox):
    """The default: parsed check and sandbox."""
    app = make_app(store_path)
    yield app
    stop_workers(app)


@pytest.fixture(scope="module")
def accepted(store_path):
    """No sandbox (simulated), and the operator accepted the risk; the check stays on."""
    app = make_app(store_path, SPARQL_SANDBOX="off", SPARQL_ALLOW_UNSANDBOXED=True)
    yield app
    stop_workers(app)


def ask(app, query, headers=JSON_ACCEPT):
    return app.test_client().get("/sparql", query_string={"query": query}, headers=headers)


def net_namespace(pid) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


# -- the sandbox itself ---------------------------------------------------------------------
def test_a_sandbox_can_be_made_here(sandbox):
    assert sandbox.command[0].endswith("unshare") and "-n" in sandbox.command
    assert qw.sandbox("auto") is sandbox                   # probed once, then cached
    assert not qw.sandbox("off") and "SPARQL_SANDBOX=off" in qw.sandbox("off").reason


def test_workers_answer_ordinary_queries_inside_their_own_network_namespace(checked):
    r = ask(checked, "SELECT ?x ?l WHERE { ?x a <http://example.org/Thing> ; "
                     "<http://www.w3.org/2000/01/rdf-schema#label> ?l } ORDER BY ?x")
    assert r.status_code == 200, r.data
    rows = r.get_json()["results"]["bindings"]
    assert [row["l"]["value"] for row in rows] == ["thing 0", "thing 1", "thing 2"]
    workers = checked.extensions["pockg"].extras["sparql_workers"]
    assert workers.sandbox
    processes = workers.processes
    assert processes
    for process in processes:
        assert net_namespace(process.pid) != net_namespace("self")
        # the worker itself (unshare execs the interpreter), so a kill stops the query
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert b"web.query_worker" in cmdline


def test_the_user_namespace_variant_also_runs_workers(store_path, sandbox, listener):
    """``unshare -r -n``, the fallback for servers not run as root, gives a working worker
    with no network either."""
    worker = qw.Worker(store_path, (sandbox.command[0], "-r", "-n"))
    try:
        worker.wait_ready(60)
        assert net_namespace(worker.process.pid) != net_namespace("self")
        outcome = worker.run(qw.Job("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"), 30)
        assert outcome.status == 200 and b'"6"' in outcome.body
        outcome = worker.run(qw.Job(service_queries(listener.url)["plain"], parsed_check=False), 30)
        assert outcome.status == 400 and "Network is unreachable" in outcome.message
        assert listener.settled_count() == 0
    finally:
        worker.kill()


def test_a_worker_outside_its_namespace_is_refused(store_path, sandbox):
    """The parent checks the worker's own word: same namespace as the server is refused."""
    worker = qw.Worker(store_path, ("env",))                 # a prefix that sandboxes nothing
    try:
        with pytest.raises(qw.NoSandbox, match="shares the server's network namespace"):
            worker.wait_ready(60)
    finally:
        worker.kill()


@pytest.mark.parametrize("name", VARIANTS)
def test_the_sandbox_alone_stops_service(sandbox_only, listener, name):
    """Check off: SERVICE reaches Oxigraph, which finds no network. An error, or
    an answer with nothing from elsewhere; never a connection."""
    r = ask(sandbox_only, service_queries(listener.url)[name])
    assert listener.settled_count() == 0
    if r.status_code != 200:
        assert 400 <= r.status_code < 600 and r.get_json()["ok"] is False
    else:
        rows = r.get_json()["results"]["bindings"]
        assert all("o" not in row for row in rows), rows       # nothing came from the SERVICE
    if name == "plain":
        assert r.status_code == 400
        error = r.get_json()["error"]
        assert "SERVICE" in error and "Network is unreachable" in error


# The variants Oxigraph really runs (it rejects the escape as a syntax error, and
# wants SERVICE ?ep bound before the SERVICE, not by VALUES beside it).
OXIGRAPH_CALLS = ("plain", "lowercase", "filter-exists", "optional", "subquery", "silent")


def test_without_sandbox_and_check_the_same_queries_do_connect(store_path, listener):
    """The control: the listener does see SERVICE calls when nothing stops them."""
    app = make_app(store_path, SPARQL_SANDBOX="off", SPARQL_ALLOW_UNSANDBOXED=True,
                   SPARQL_PARSED_CHECK=False)
    try:
        for name in OXIGRAPH_CALLS:
            listener.count = 0
            ask(app, service_queries(listener.url)[name])
            assert listener.wait_for(1) >= 1, name
    finally:
        stop_workers(app)


@pytest.mark.parametrize("name", VARIANTS)
def test_with_the_check_service_is_refused_before_it_runs(checked, listener, name):
    r = ask(checked, service_queries(listener.url)[name])
    assert r.status_code == 400, r.data
    assert "SERVICE" in r.get_json()["error"]
    assert listener.settled_count() == 0


# -- no sandbox ----------------------------------------------------------------------------------
def test_without_a_sandbox_the_endpoint_is_closed(store_path, listener, caplog):
    with caplog.at_level(logging.WARNING, logger="pockg.web.sparql"):
        app = make_app(store_path, SPARQL_SANDBOX="off")
    assert any("CLOSED" in rec.getMessage() and "SPARQL_SANDBOX=off" in rec.getMessage()
               for rec in caplog.records)
    client = app.test_client()
    for query in ("ASK {}", service_queries(listener.url)["plain"]):
        r = ask(app, query)
        assert r.status_code == 503
        body = r.get_json()
        assert body["ok"] is False and body["status"] == 503
        assert "without network access" in body["error"]
        assert "SPARQL_ALLOW_UNSANDBOXED" in body["error"]
        assert "Retry-After" not in r.headers        # waiting will not fix it
    r = ask(app, "ASK {}", headers={"Accept": "text/html"})
    assert r.status_code == 503 and r.mimetype == "text/html"
    assert "without network access" in r.data.decode()
    assert client.get("/sparql", headers={"Accept": "text/turtle"}).status_code == 503
    assert "sparql_workers" not in app.extensions["pockg"].extras   # no worker was started
    assert listener.settled_count() == 0


def test_the_pool_itself_refuses_to_start_without_a_sandbox(store_path):
    with pytest.raises(qw.NoSandbox, match="SPARQL_ALLOW_UNSANDBOXED"):
        qw.WorkerPool(store_path, sandbox_mode="off")


def test_with_acceptance_it_runs_and_the_check_still_refuses_service(accepted, listener, caplog):
    r = ask(accepted, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert r.status_code == 200
    assert r.get_json()["results"]["bindings"][0]["n"]["value"] == "6"
    workers = accepted.extensions["pockg"].extras["sparql_workers"]
    assert not workers.sandbox
    for process in workers.processes:                        # really unsandboxed
        assert net_namespace(process.pid) == net_namespace("self")
    for name, query in service_queries(listener.url).items():
        r = ask(accepted, query)
        assert r.status_code == 400, (name, r.data)
        assert "SERVICE" in r.get_json()["error"]
    assert listener.settled_count() == 0


def test_acceptance_is_logged_as_a_warning(store_path, caplog):
    with caplog.at_level(logging.WARNING, logger="pockg.web.sparql"):
        make_app(store_path, SPARQL_SANDBOX="off", SPARQL_ALLOW_UNSANDBOXED=True)
    assert any("WITHOUT SANDBOX" in rec.getMessage() and "OPEN" in rec.getMessage()
               for rec in caplog.records)


def test_settings_come_from_the_environment(store_path, monkeypatch):
    monkeypatch.setenv("POCKG_SPARQL_SANDBOX", "off")
    monkeypatch.setenv("POCKG_SPARQL_ALLOW_UNSANDBOXED", "true")
    monkeypatch.setenv("POCKG_SPARQL_PARSED_CHECK", "false")
    app = create_app({"STORE": store_path}, profile="testing")
    assert app.config["SPARQL_SANDBOX"] == "off"
    assert app.config["SPARQL_ALLOW_UNSANDBOXED"] is True
    assert app.config["SPARQL_PARSED_CHECK"] is False


def test_defaults_are_safe():
    from web.config import Config

    assert Config.SPARQL_SANDBOX == "auto"
    assert Config.SPARQL_ALLOW_UNSANDBOXED is False
    assert Config.SPARQL_PARSED_CHECK is True


def test_an_in_memory_store_is_closed_outside_tests_unless_accepted():
    """An in-memory store is queried inside the server process: never sandboxed."""
    from pockg.store import open_store

    store = open_store(":memory:")
    for accept, status in ((False, 503), (True, 200)):
        app = create_app({"STORE": ":memory:", "STORE_OBJECT": store,
                          "SPARQL_ALLOW_UNSANDBOXED": accept}, profile="development")
        r = ask(app, "ASK {}")
        assert r.status_code == status, r.data
        if status == 503:
            assert "in-memory" in r.get_json()["error"]


# -- pockg serve -------------------------------------------------------------------------------


def serve(store_path, out, log: Path, **env_settings):
    """``pockg serve`` on a free port, its output in ``out``; (process, url) once healthy."""
    command = pockg_command()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POCKG_")}
    env.update(POCKG_SECRET_KEY=secrets.token_hex(16), PYTHONUNBUFFERED="1", **env_settings)
    process = subprocess.Popen([*command, "serve", "--store", store_path, "--port", str(port)],
                               stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    pytest.fail("pockg serve did not start:\n" + log.read_text(errors="replace"))


def status_of(url: str) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


@pytest.mark.parametrize("sandboxed", [True, False])
def test_pockg_serve_says_at_start_whether_queries_are_sandboxed(store_path, tmp_path, sandboxed,
                                                                 sandbox):
    log = tmp_path / "serve.log"
    settings = {} if sandboxed else {"POCKG_SPARQL_SANDBOX": "off"}
    with open(log, "wb") as out:
        process, url = serve(store_path, out, log, **settings)
        check_serve(process, url, log, sandboxed)


def check_serve(process, url: str, log: Path, sandboxed: bool) -> None:
    try:
        status, body = status_of(url + "/sparql?query=ASK%20%7B%7D")
        text = log.read_text(errors="replace")
        if sandboxed:
            assert "SPARQL sandbox: each query worker runs in a network namespace" in text, text
            assert status == 200 and body["boolean"] is True
        else:
            assert "SPARQL endpoint CLOSED" in text and "POCKG_SPARQL_ALLOW_UNSANDBOXED" in text, text
            assert status == 503 and "without network access" in body["error"]
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()

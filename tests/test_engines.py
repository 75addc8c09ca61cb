"""Integration tests against two real SPARQL engines on 127.0.0.1.

An Oxigraph server (read-only, union default graph) and a Virtuoso 7 server
of its own are started once for this module, bulk-loaded from an N-Quads dump
of the curated graph (named graphs kept), and stopped at the end even when a
test fails. Then:

- every library query (whatever ``queries/*.rq`` holds) gives the same
  answer on the embedded store and on each engine: the same multiset of rows
  (numbers compared by value), the same order where the query orders, the
  same evidence; once with the defaults and once with other parameters;
- Virtuoso's own system graphs stay out of the answers;
- ``pockg push`` copies every named graph into a fresh read-write Oxigraph
  server (Graph Store Protocol, and SPARQL Update);
- an endpoint that is down, slow or failing gives a clear error within its
  timeout.

``scripts/test.sh`` installs both engines; see ``tests/engines.py``.
"""

from __future__ import annotations

import collections
import http.server
import re
import socket
import threading
import time
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from engines import Engine, free_port, start_oxigraph, start_virtuoso
from pockg.cli import main
from pockg.config import load_settings
from pockg.errors import QueryError, StoreError
from pockg.library import load_query, QueryLibrary
from pockg.remote import RemoteStore, push
from pockg.store import open_store

QUERIES_DIR = load_settings(env={}, store=":memory:").queries_dir
LIBRARY_NAMES = QueryLibrary(QUERIES_DIR).names()
ENGINES = ["oxigraph", "virtuoso"]
POCKG_GRAPHS = "https://w3id.org/pockg/"
TIMEOUT = 2.0  # seconds, for the failure-mode tests
QUERY_TIMEOUT = 60.0  # seconds, for the engines under test

# Parameters other than the defaults: named here where the issue asks for them,
# derived from the parameter's type for every other query that takes any.
OTHER_PARAMS = {
    "drafting-lead": {"missions": "MONUC,UNMIS"},
    "poc-mandates-on-date": {"date": "2005-01-01"},
}


# -- engines -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def nquads(store, tmp_path_factory):
    """The curated graph as N-Quads, in a folder of its own (Virtuoso's DirsAllowed)."""
    path = tmp_path_factory.mktemp("engine-data") / "pockg.nq"
    with open(path, "wb") as out:
        store.dump(out, "nquads")
    return path


@pytest.fixture(scope="module")
def oxigraph(nquads, tmp_path_factory):
    engine = start_oxigraph(tmp_path_factory.mktemp("oxigraph"), nquads)
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="module")
def virtuoso(nquads, tmp_path_factory):
    engine = start_virtuoso(tmp_path_factory.mktemp("virtuoso"), nquads)
    try:
        yield engine
    finally:
        engine.stop()


@pytest.fixture(scope="module", params=ENGINES)
def engine(request) -> Engine:
    return request.getfixturevalue(request.param)


@pytest.fixture(scope="module")
def remote(engine) -> RemoteStore:
    return RemoteStore(engine.endpoint, timeout=QUERY_TIMEOUT)


@pytest.fixture(scope="module")
def lib() -> QueryLibrary:
    return QueryLibrary(QUERIES_DIR)


# -- comparing answers ------------------------------------------------------------

XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {XSD + t for t in (
    "integer", "decimal", "float", "double", "int", "long", "short", "byte",
    "nonNegativeInteger", "nonPositiveInteger", "positiveInteger", "negativeInteger",
    "unsignedLong", "unsignedInt", "unsignedShort", "unsignedByte")}


def cell(term, separator: str | None = None) -> tuple:
    """A term as compared across engines: what a user sees (IRIs, lexical forms),
    with numbers by value (Virtuoso answers COUNT as xsd:int) and blank nodes alike.
    A GROUP_CONCAT cell (``separator`` given) is compared as a multiset of its
    items: SPARQL leaves their order to the engine, as it does the row order."""
    if isinstance(term, ox.NamedNode):
        return ("iri", term.value)
    if isinstance(term, ox.BlankNode):
        return ("bnode",)
    if separator is not None:
        return ("items", tuple(sorted(term.value.split(separator))))
    if term.datatype.value in NUMERIC:
        try:
            return ("number", Decimal(term.value))
        except InvalidOperation:
            pass
    return ("literal", term.value)


def row_key(columns: list[str], terms: dict, concat: dict[str, str] | None = None) -> tuple:
    concat = concat or {}
    return tuple(cell(terms[c], concat.get(c)) if c in terms else None for c in columns)


def evidence_key(evidence: dict) -> tuple:
    """A row's evidence, each cell's items as a multiset."""
    return tuple(sorted(
        (column, tuple(sorted(tuple(sorted((k, str(v)) for k, v in item.items()))
                              for item in items)))
        for column, items in evidence.items()))


def _code(text: str) -> str:
    """The query without its comments (a '#' inside an IRI or a string is kept)."""
    return re.sub(r'(<[^>\s]*>|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\')|#[^\n]*',
                  lambda m: m.group(1) or "", text)


def group_concats(text: str) -> dict[str, str]:
    """Columns made by GROUP_CONCAT, with their separators (a space by default)."""
    found = {}
    for m in re.finditer(r"GROUP_CONCAT\s*\((.*?)\)\s*AS\s*\?(\w+)", _code(text), re.I | re.S):
        sep = re.search(r";\s*separator\s*=\s*(?:\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)')",
                        m.group(1), re.I)
        if sep is None:
            found[m.group(2)] = " "
        else:
            found[m.group(2)] = sep.group(1) if sep.group(1) is not None else sep.group(2)
    # ... and columns bound from one of those (BIND(IF(?x0 != "", ?x0, ?none) AS ?x)).
    for m in re.finditer(r"BIND\s*\((.*?)\s+AS\s+\?(\w+)\s*\)", _code(text), re.I | re.S):
        used = [v for v in re.findall(r"[?$](\w+)", m.group(1)) if v in found]
        if used:
            found[m.group(2)] = found[used[0]]
    return found


def order_columns(text: str, columns: list[str]) -> list[str] | None:
    """The columns the answer is ordered on: the variables of the outermost ORDER BY
    (after the last closing brace). None when the query does not order; the whole
    row when an ORDER BY variable is not projected."""
    code = _code(text)
    tail = code[code.rfind("}"):]
    m = re.search(r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|\bOFFSET\b|$)", tail, re.I | re.S)
    if not m:
        return None
    names = re.findall(r"[?$](\w+)", m.group(1))
    if not names or any(n not in columns for n in names):
        return list(columns)
    return list(dict.fromkeys(names))


def describe(rows: list, columns: list[str]) -> str:
    lines = []
    for row, evidence in rows[:8]:
        shown = {c: v[1] if v and len(v) == 2 else v for c, v in zip(columns, row) if v}
        text = ", ".join(f"{c}={str(v)[:60]}" for c, v in shown.items())
        cells = ", ".join(f"{c}:{len(items)}" for c, items in evidence)
        lines.append(f"    {text}\n      evidence {cells or '-'}")
    if len(rows) > 8:
        lines.append(f"    … {len(rows) - 8} more")
    return "\n".join(lines)


def assert_same_answer(lib: QueryLibrary, name: str, params: dict, embedded, remote, where: str):
    """Same columns, same multiset of rows with the same evidence; same order where ordered."""
    expected = lib.run(name, params, embedded)
    actual = lib.run(name, params, remote)
    assert actual.columns == expected.columns, f"{name} on {where}: columns differ"
    assert actual.params == expected.params
    assert len(actual.evidence) == len(actual.rows)
    query = lib.get(name)
    concat = group_concats(query.text)

    def keyed(table):
        return [(row_key(table.columns, t, concat), evidence_key(e))
                for t, e in zip(table.terms, table.evidence)]

    exp, act = keyed(expected), keyed(actual)
    want, got = collections.Counter(exp), collections.Counter(act)
    if want != got:
        same_rows = collections.Counter(r for r, _ in exp) == collections.Counter(r for r, _ in act)
        what = "the evidence" if same_rows else "the rows"
        pytest.fail(
            f"{name} {params or '(defaults)'}: {what} differ between the embedded store and "
            f"{where} ({len(exp)} vs {len(act)} rows)\n"
            f"  only embedded:\n{describe(list((want - got).elements()), expected.columns)}\n"
            f"  only {where}:\n{describe(list((got - want).elements()), expected.columns)}",
            pytrace=False)
    keys = order_columns(query.text, expected.columns)
    if keys is not None:  # rows tied on every ORDER BY key may come in any order
        index = [expected.columns.index(k) for k in keys]
        seq = lambda rows: [tuple(r[i] for i in index) for r, _ in rows]  # noqa: E731
        assert seq(act) == seq(exp), f"{name}: the order on {keys} differs on {where}"


def other_params(query) -> dict | None:
    """Parameters other than the defaults for ``query`` (None when it takes none)."""
    if query.name in OTHER_PARAMS:
        return OTHER_PARAMS[query.name]
    params = {}
    for p in query.params:
        default = p.default if isinstance(p.default, list) else str(p.default).split(",")
        if p.type == "missions" and len(default) > 1:
            params[p.name] = ",".join(str(d) for d in default[: max(1, len(default) // 2)])
        elif p.type == "date":
            params[p.name] = "2005-01-01" if str(p.default) != "2005-01-01" else "2012-06-30"
        elif p.type == "enum" and p.allowed and len(p.allowed) > 1:
            params[p.name] = next(str(a) for a in p.allowed if str(a) != str(p.default))
    return params or None


# -- (a) every library query, same answer everywhere ------------------------------

def test_the_library_is_not_empty():
    assert LIBRARY_NAMES, f"no library queries in {QUERIES_DIR}"


@pytest.mark.parametrize("name", LIBRARY_NAMES)
def test_library_query_same_answer(lib, name, store, remote, engine):
    assert_same_answer(lib, name, {}, store, remote, engine.name)


PARAMETRISED = [n for n in LIBRARY_NAMES if other_params(load_query(QUERIES_DIR / f"{n}.rq"))]


@pytest.mark.parametrize("name", PARAMETRISED)
def test_library_query_other_params_same_answer(lib, name, store, remote, engine):
    assert_same_answer(lib, name, other_params(lib.get(name)), store, remote, engine.name)


def test_parameters_reach_the_engine(lib, store, remote, engine):
    """Non-default parameters change the answer, on each engine as embedded."""
    for name, params in OTHER_PARAMS.items():
        if name not in LIBRARY_NAMES:
            continue
        default = lib.run(name, {}, remote)
        other = lib.run(name, params, remote)
        assert other.params != default.params
        assert other.rows != default.rows or not default.rows, f"{name}: {params} changed nothing"


def test_bound_parameters_reach_every_engine_through_values_placeholders(store, remote, engine):
    """A bound term fills the query's empty VALUES block, on each engine as embedded;
    a variable without a placeholder is refused remotely, not spliced in."""
    monuc = ox.NamedNode("https://w3id.org/pockg/id/operation/MONUC")
    query = ("SELECT ?label WHERE { VALUES ?op {} ?op skos:prefLabel ?label } ORDER BY ?label")
    expected = store.select(query, {"op": monuc}).values("label")
    assert "MONUC" in " ".join(expected)
    assert remote.select(query, {"op": monuc}).values("label") == expected
    operation = ox.NamedNode("https://w3id.org/pockg/ontology#PeaceOperation")
    ask = "ASK { VALUES ?x {} VALUES ?cls {} ?x a ?cls }"
    assert remote.ask(ask, {"x": monuc, "cls": operation}) is True
    assert remote.ask(ask, {"x": operation, "cls": monuc}) is False
    with pytest.raises(QueryError, match="VALUES"):
        remote.select("SELECT ?s WHERE { ?s ?p ?o }", {"s": monuc})


# -- (b) the loaded graph, and Virtuoso's own graphs kept out ----------------------

GRAPH_COUNTS = f"""
SELECT ?g (COUNT(*) AS ?n) WHERE {{
  GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{POCKG_GRAPHS}"))
}} GROUP BY ?g"""


def graph_counts(store) -> dict[str, int]:
    return {r["g"].value: int(r["n"].value) for r in store.select(GRAPH_COUNTS).rows}


def test_every_named_graph_is_loaded(store, remote):
    expected = {g: sum(1 for _ in store.quads(g)) for g in store.named_graphs()}
    assert graph_counts(remote) == expected


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(DISTINCT ?op) AS ?n) WHERE { ?op a pockg:PeaceOperation }",
    "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a skos:Concept }",
])
def test_counts_match_the_embedded_store(store, remote, query):
    count = lambda s: int(s.select(query).rows[0]["n"].value)  # noqa: E731
    assert count(remote) == count(store)


def test_virtuoso_system_graphs_exist_but_stay_out(store, virtuoso, lib):
    """Virtuoso's default graph includes its own graphs: no answer may draw on them."""
    remote = RemoteStore(virtuoso.endpoint, timeout=QUERY_TIMEOUT)
    outside = f'FILTER(!STRSTARTS(STR(?g), "{POCKG_GRAPHS}"))'
    system = remote.select(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {outside} }}")
    assert system.rows, "expected Virtuoso's own graphs (virtrdf#, ...) to be there"
    ours = {t.value for q in store.quads() for t in (q.subject, q.predicate, q.object)
            if isinstance(t, ox.NamedNode)}
    theirs = {r[k].value for r in remote.select(
        f"SELECT DISTINCT ?s ?o WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {outside} }}").rows
        for k in ("s", "o") if k in r and isinstance(r[k], ox.NamedNode)} - ours
    assert theirs
    for name in LIBRARY_NAMES:
        table = lib.run(name, {}, remote)
        leaked = {t.value for row in table.terms for t in row.values()
                  if isinstance(t, ox.NamedNode) and t.value in theirs}
        assert not leaked, f"{name}: terms from Virtuoso's own graphs: {sorted(leaked)[:5]}"


# -- (c) pockg push into a fresh read-write Oxigraph server -------------------------

@pytest.fixture(scope="module")
def disk_store(tmp_path_factory):
    """The curated graph built on disk by `pockg build` (what `pockg push` reads)."""
    path = tmp_path_factory.mktemp("push") / "store"
    result = CliRunner().invoke(main, ["build", "--store", str(path), "-q"])
    assert result.exit_code == 0, result.output
    return path


def quads_of(store, graphs=POCKG_GRAPHS) -> collections.Counter:
    rows = store.select(f"""SELECT ?g ?s ?p ?o WHERE {{
        GRAPH ?g {{ ?s ?p ?o }} FILTER(STRSTARTS(STR(?g), "{graphs}")) }}""").rows
    return collections.Counter(tuple(cell(r[k]) for k in "gspo") for r in rows)


@pytest.mark.parametrize("mode", ["--gsp", "--update"])
def test_push_copies_every_named_graph(disk_store, tmp_path, lib, mode):
    from pockg.curation.graphs import visible

    target = start_oxigraph(tmp_path / "target", None, read_only=False)
    try:
        address = target.extra["store" if mode == "--gsp" else "update"]
        result = CliRunner().invoke(main, ["push", "--store", str(disk_store), mode, address,
                                           "--timeout", "60"])
        assert result.exit_code == 0, result.output
        # every graph a reader may see (the curators' editorial notes stay behind)
        local = open_store(disk_store, read_only=True).view(lambda g: visible(g, None))
        expected = {g: sum(1 for _ in local.quads(g)) for g in local.named_graphs()}
        assert f"pushed {sum(expected.values())} triples in {len(expected)} named graphs" \
            in result.output
        pushed = RemoteStore(target.endpoint, timeout=QUERY_TIMEOUT)
        assert graph_counts(pushed) == expected
        assert quads_of(pushed) == quads_of(local)
        # ... and the library runs on it (its default graph is the union, as embedded).
        for name in LIBRARY_NAMES[:3]:
            assert_same_answer(lib, name, {}, local, pushed, f"pushed oxigraph ({mode})")
    finally:
        target.stop()
    assert not target.running


def test_push_leaves_drafts_and_review_records_behind(disk_store, tmp_path):
    import shutil

    from pockg.accounts import User
    from pockg.config import load_settings
    from pockg.curation.service import Curation, parse_values
    from pockg.writer import Writer

    copy = tmp_path / "store"
    shutil.copytree(disk_store, copy)
    store = open_store(copy)
    settings = load_settings(store=str(copy))
    cur = Curation(store, Writer(store), settings.ontology_dir / "shapes")
    values, _ = parse_values(cur.fields, {"prefLabel": ["Draft"], "observation": ["o"],
                                          "publicity": ["concept/PUB-PUBLIC"]})
    lesson = cur.create(values, User("ann", "contributor", public_id="uann"))
    store.close()
    target = start_oxigraph(tmp_path / "target", None, read_only=False)
    try:
        result = CliRunner().invoke(main, ["push", "--store", str(copy), "--gsp",
                                           target.extra["store"], "--timeout", "60"])
        assert result.exit_code == 0, result.output
        pushed = list(graph_counts(RemoteStore(target.endpoint, timeout=QUERY_TIMEOUT)))
        assert not [g for g in pushed if lesson in g]
        assert [g for g in pushed if g.startswith("https://w3id.org/pockg/graph/")]
    finally:
        target.stop()


# -- (d) an endpoint that is down, slow or failing ---------------------------------

class Silent:
    """A TCP server on 127.0.0.1 that accepts connections and never answers
    (or, with ``headers=True``, sends a 200 header and then nothing)."""

    def __init__(self, headers: bool = False):
        self.headers = headers
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)
            if self.headers:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json"
                             b"\r\nContent-Length: 100000\r\n\r\n{\"head\":")

    def close(self):
        self.sock.close()
        for conn in self.held:
            conn.close()


class Failing(http.server.BaseHTTPRequestHandler):
    def _fail(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = b"internal error: the engine fell over"
        self.send_response(500)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _fail

    def log_message(self, *args):
        pass


@pytest.fixture
def down() -> str:
    """An address on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture
def slow():
    server = Silent()
    yield f"http://127.0.0.1:{server.port}"
    server.close()


@pytest.fixture
def stalling():
    server = Silent(headers=True)
    yield f"http://127.0.0.1:{server.port}"
    server.close()


@pytest.fixture
def failing():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Failing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def timed(call):
    start = time.monotonic()
    with pytest.raises((StoreError, QueryError)) as info:
        call()
    return info.value, time.monotonic() - start


@pytest.mark.parametrize("kind, words", [
    ("down", "refused the connection"),
    ("slow", f"did not answer within {TIMEOUT:g} s"),
    ("stalling", f"did not answer within {TIMEOUT:g} s"),
    ("failing", "500"),
])
def test_query_failures_are_clear_and_quick(request, kind, words):
    endpoint = request.getfixturevalue(kind) + "/sparql"
    remote = RemoteStore(endpoint, timeout=TIMEOUT)
    error, seconds = timed(lambda: remote.select("SELECT * WHERE { ?s ?p ?o }"))
    assert isinstance(error, StoreError)
    assert endpoint in error.message and words in error.message, error.message
    assert seconds < TIMEOUT + 1, f"{kind}: {seconds:.1f} s for a {TIMEOUT:g} s timeout"


@pytest.mark.parametrize("kind, words", [
    ("down", "did not answer within"),
    ("slow", f"did not answer within {TIMEOUT:g} s"),
    ("failing", "answered 500"),
])
def test_push_failures_are_clear_and_quick(request, store, kind, words):
    address = request.getfixturevalue(kind) + "/store"
    one_graph = _OneGraph(store)
    error, seconds = timed(lambda: push(one_graph, gsp=address, timeout=TIMEOUT))
    assert isinstance(error, StoreError)
    assert address in error.message and words in error.message, error.message
    assert seconds < TIMEOUT + 1, f"{kind}: {seconds:.1f} s for a {TIMEOUT:g} s timeout"


class _OneGraph:
    """The smallest graph of ``store``: push fails on the first request anyway."""

    def __init__(self, store):
        self.store = store
        self.graph = min(store.named_graphs(), key=lambda g: sum(1 for _ in store.quads(g)))

    def named_graphs(self):
        return [self.graph]

    def quads(self, graph=None):
        return self.store.quads(graph)


def test_cli_reports_an_endpoint_that_is_down(down):
    endpoint = down + "/sparql"
    start = time.monotonic()
    result = CliRunner().invoke(main, ["query", "sparql", "-", "--endpoint", endpoint,
                                       "--timeout", str(TIMEOUT)],
                                input="SELECT * WHERE { ?s ?p ?o } LIMIT 1")
    assert time.monotonic() - start < TIMEOUT + 1
    assert result.exit_code == 1
    assert f"store error: the endpoint {endpoint}" in result.output


def test_a_refused_query_is_a_query_error(remote, engine):
    with pytest.raises(QueryError) as info:
        remote.select("SELECT * WHERE { ?s ?p }")
    assert engine.endpoint in info.value.message


# -- the engines themselves ---------------------------------------------------------

def test_engines_stop_cleanly(nquads, tmp_path):
    """Stopping ends the server; a second stop is harmless."""
    engine = start_oxigraph(tmp_path / "ox", nquads)
    assert engine.running
    engine.stop()
    assert not engine.running
    engine.stop()


def test_a_missing_engine_is_a_clear_error(monkeypatch, tmp_path, nquads):
    import engines

    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    monkeypatch.setattr(engines.sys, "executable", str(tmp_path / "python"))
    for start in (start_oxigraph, start_virtuoso):
        with pytest.raises(engines.EngineError, match="scripts/test.sh installs it"):
            start(tmp_path / start.__name__, nquads)

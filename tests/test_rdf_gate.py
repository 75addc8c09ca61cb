"""The ingest gate's own edge cases (pockg.rdf_gate): invalid IRIs, DTDs and
entities, round trips, size caps, remote contexts, SPARQL checks that never run
the query. These need no W3C suite, so they always run (see test_w3c_syntax.py)."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading

import pyoxigraph as ox
import pytest
from support import FIXTURES

from pockg import rdf_gate
from pockg.config import REPO_ROOT
from pockg.errors import DataError, QueryError
from pockg.rdf_gate import check_rdf, check_rdf_file, check_sparql

GATE = FIXTURES / "rdf-gate"

# ---------------------------------------------------------------------------
# invalid IRIs
# ---------------------------------------------------------------------------

BAD_IRIS = ["http://ex.org/a b", 'http://ex.org/a"onmouseover="alert(1)', "http://ex.org/a<b",
            "http://ex.org/{x}", "http://ex.org/a\\b"]
TEMPLATES = {
    "nt": "<http://ex.org/s> <http://ex.org/p> <{iri}> .\n",
    "nq": "<http://ex.org/s> <http://ex.org/p> <http://ex.org/o> <{iri}> .\n",
    "ttl": "@prefix ex: <http://ex.org/> .\nex:s ex:p\n    <{iri}> .\n",
    "trig": "@prefix ex: <http://ex.org/> .\nex:g {{ ex:s ex:p\n    <{iri}> . }}\n",
    "rdf": ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://ex.org/">\n<rdf:Description rdf:about="http://ex.org/s">\n'
            '<ex:p rdf:resource="{iri}"/></rdf:Description></rdf:RDF>\n'),
}


@pytest.mark.parametrize("fmt", sorted(TEMPLATES))
@pytest.mark.parametrize("iri", BAD_IRIS)
def test_invalid_iri_refused(fmt, iri):
    value = iri.replace('"', "&quot;").replace("<", "&lt;") if fmt == "rdf" else iri
    data = TEMPLATES[fmt].format(iri=value).encode()
    with pytest.raises(DataError) as refused:
        check_rdf(data, fmt, source=f"upload.{fmt}")
    assert f"upload.{fmt}" in str(refused.value)


@pytest.mark.parametrize("fixture,line,words", [
    ("turtle-iri-with-space.ttl", 3, "Invalid IRI code point ' '"),
    ("turtle-iri-attribute-injection.ttl", 4, "Invalid IRI code point '\"'"),
    ("turtle-relative-iri-without-base.ttl", 1, "No scheme found in an absolute IRI"),
])
def test_refusal_names_file_line_column_and_message(fixture, line, words):
    with pytest.raises(DataError) as refused:
        check_rdf_file(GATE / fixture, source=fixture)
    (problem,) = refused.value.problems
    assert problem.file == fixture
    assert problem.line == line
    assert "column" in problem.message and words in problem.message
    assert f"{fixture}:{line}:" in str(refused.value)


def test_relative_iri_accepted_with_a_base():
    quads = check_rdf_file(GATE / "turtle-relative-iri-without-base.ttl",
                           base_iri="http://ex.org/base/")
    assert quads[0].subject == ox.NamedNode("http://ex.org/base/a")


def test_jsonld_invalid_iri_never_comes_back():
    # JSON-LD drops terms with invalid IRIs instead of failing; they must not reach the store,
    # and a document reduced to nothing is refused.
    for iri in BAD_IRIS:
        doc = json.dumps({"@id": "http://ex.org/s", "http://ex.org/p": {"@id": iri}})
        with pytest.raises(DataError, match="yields no triple"):
            check_rdf(doc.encode(), "jsonld", source="upload.jsonld")
    mixed = (b'{"@id": "http://ex.org/s", "http://ex.org/p": [{"@id": "http://ex.org/a b"}, '
             b'{"@id": "http://ex.org/ok"}]}')
    quads = check_rdf(mixed, "application/ld+json")
    assert [q.object for q in quads] == [ox.NamedNode("http://ex.org/ok")]


# ---------------------------------------------------------------------------
# RDF/XML: no DTD, no entities, UTF-8 only, bounded depth
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fixture,words", [
    ("rdfxml-doctype-entity-expansion.rdf", "DTD"),
    ("rdfxml-external-entity-xxe.rdf", "DTD"),
    ("rdfxml-utf16-doctype.rdf", "must be UTF-8"),
    ("rdfxml-undeclared-entity-without-dtd.rdf", "undefined entity"),
])
def test_rdfxml_dtd_and_entities_refused(fixture, words):
    with pytest.raises(DataError, match=words) as refused:
        check_rdf_file(GATE / fixture, source=fixture)
    assert fixture in str(refused.value)
    assert "root:" not in str(refused.value)         # nothing of /etc/passwd leaked


def test_rdfxml_dtd_refused_even_in_disguise():
    inner = (b'<!DOCTYPE r [<!ENTITY a "x">]>\n<rdf:RDF xmlns:rdf='
             b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>')
    for data in (inner, b'<?xml version="1.0"?>\n' + inner,
                 (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<rdf:RDF xmlns:rdf='
                  b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>'),
                 inner.decode().encode("utf-16-le")):
        with pytest.raises(DataError):
            check_rdf(data, "rdf/xml")


def test_rdfxml_depth_capped():
    depth = rdf_gate.MAX_XML_DEPTH
    head = ('<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            'xmlns:ex="http://ex.org/">')

    def nested(n):
        return (head + "<rdf:Description><ex:p>" * n + "x"
                + "</ex:p></rdf:Description>" * n + "</rdf:RDF>").encode()

    assert len(check_rdf(nested(depth // 2 - 1), "rdf")) == depth // 2 - 1
    with pytest.raises(DataError, match="deeper than"):
        check_rdf(nested(depth), "rdf")


def test_round_trip_failure_refused():
    # pyoxigraph accepts rdf:nodeID="a." but writes it as the invalid N-Quads label _:a.
    with pytest.raises(DataError, match="N-Quads dump does not parse back"):
        check_rdf_file(GATE / "rdfxml-nodeid-trailing-dot.rdf")


def test_rdf12_refused_unless_allowed():
    path = GATE / "turtle-rdf12-triple-term.ttl"
    with pytest.raises(DataError, match="RDF 1.2"):
        check_rdf_file(path)
    assert len(check_rdf_file(path, allow_rdf12=True)) == 1
    with pytest.raises(DataError, match="RDF 1.2"):
        check_rdf(b'<http://ex.org/s> <http://ex.org/p> "x"@en--ltr .', "nt")


def test_size_cap_and_formats():
    with pytest.raises(DataError, match="over the 10 byte limit"):
        check_rdf(b"<http://ex.org/s> <http://ex.org/p> <http://ex.org/o> .", "nt",
                  max_bytes=10)
    for fmt in ("n3", "text/plain", "text/html", "csv"):
        with pytest.raises(DataError, match="unsupported RDF format"):
            check_rdf(b"", fmt)
    bom = b"\xef\xbb\xbf<http://ex.org/s> <http://ex.org/p> <http://ex.org/o> ."
    assert len(check_rdf(bom, "text/turtle")) == 1


# ---------------------------------------------------------------------------
# no network: remote contexts, SERVICE and LOAD never leave the process
# ---------------------------------------------------------------------------

@pytest.fixture
def canary():
    """A local HTTP server that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _record(self):
            hits.append(f"{self.command} {self.path}")
            self.send_response(404)
            self.end_headers()

        do_GET = do_POST = _record

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def test_jsonld_remote_and_file_contexts_refused(canary):
    url, hits = canary
    for doc in (f'{{"@context": "{url}/ctx", "@id": "http://ex.org/a", "name": "x"}}',
                f'{{"@context": {{"@import": "{url}/imp"}}, "@id": "http://ex.org/a"}}'):
        with pytest.raises(DataError, match="LoadDocumentCallback"):
            check_rdf(doc.encode(), "jsonld")
    with pytest.raises(DataError, match="LoadDocumentCallback"):
        check_rdf_file(GATE / "jsonld-file-context.jsonld")
    assert hits == []


def test_check_sparql_parses_without_running(canary):
    url, hits = canary
    queries = [f"SELECT * WHERE {{ SERVICE <{url}/select> {{ ?s ?p ?o }} }}",
               f"ASK {{ SERVICE <{url}/ask> {{ ?s ?p ?o }} }}",
               f"SELECT * WHERE {{ BIND(1 AS ?x) FILTER EXISTS {{ SERVICE <{url}/exists> {{}} }} }}"]
    updates = [f"LOAD <{url}/load>",
               f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}/insert> {{ ?s ?p ?o }} }}"]
    for query in queries:
        check_sparql(query)
    for update in updates:
        check_sparql(update, update=True)
    assert hits == []
    # the canary does hear pyoxigraph when a query is really run
    with pytest.raises(OSError):
        ox.Store().query(queries[1])
    assert hits == ["POST /ask"]


def test_update_is_not_a_query_and_vice_versa():
    with pytest.raises(QueryError):
        check_sparql("INSERT DATA { <http://ex.org/s> <http://ex.org/p> 1 }")
    with pytest.raises(QueryError):
        check_sparql("SELECT * WHERE { ?s ?p ?o }", update=True)


def test_gate_fails_closed_if_pyoxigraph_evaluates(monkeypatch):
    class Evaluating:
        def query(self, *args, **kwargs):
            return True

    monkeypatch.setattr(rdf_gate.ox, "Store", Evaluating)
    with pytest.raises(rdf_gate.GateBroken):
        check_sparql("ASK {}")


# ---------------------------------------------------------------------------
# SPARQL parser stack: nesting and long paths must not crash the process
# ---------------------------------------------------------------------------

def test_deep_nesting_refused():
    deep = "SELECT * WHERE " + "{" * 3000 + "}" * 3000   # ~2 150 levels kill pyoxigraph
    with pytest.raises(QueryError, match="nests brackets 3000 deep"):
        check_sparql(deep)
    with pytest.raises(QueryError, match="over the"):
        check_sparql("SELECT * WHERE { ?s ?p ?o }" + " " * rdf_gate.DEFAULT_MAX_SPARQL_BYTES)


def test_long_flat_path_parses_without_crashing():
    # 40 000 path steps (120 KB) overflow an 8 MiB stack in pyoxigraph's recursive parser
    # (SIGSEGV); in the gate's big-stack thread they parse. Run in a child process so a
    # regression fails this test instead of killing the test run.
    code = ("from pockg.rdf_gate import check_sparql\n"
            "check_sparql('PREFIX : <http://ex.org/> SELECT * WHERE { ?s ' + ':a/' * 40000"
            " + ':a ?o }')\n"
            "check_sparql('PREFIX : <http://ex.org/> DELETE { ?s :a ?o } WHERE { ?s '"
            " + ':a/' * 40000 + ':a ?o }', update=True)\n"
            "print('parsed')\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=REPO_ROOT, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "parsed"

"""Property-based tests: every parser and entry point gives a result or a clear
error for any input, never a crash or a 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from pockg.errors import DataError, NotFound, QueryError
from pockg.library import QueryLibrary
from pockg.rdf_gate import check_rdf, check_sparql
from pockg.yamlio import read_yaml
from web import create_app

FAST = hsettings(max_examples=120, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = hsettings(max_examples=40, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text that looks a little like the formats, so the parsers get past the first byte.
SYNTAX = st.sampled_from(list("{}[]()<>\"'#@:;,.!?*^_-=+&|\\/ \n\t")) | st.characters(codec="utf-8")  # no lone surrogates: they cannot be encoded
NEAR_TEXT = st.lists(st.sampled_from(
    ["SELECT", "ASK", "WHERE", "{", "}", "?s", "?p", "?o", "SERVICE", "<http://x/>", "FILTER",
     "OPTIONAL", "UNION", "LIMIT", "1", '"a"', "@en", "^^", "prefix", "a", ".", ";", ",",
     "id: X", "- ", ": ", "&a", "*a", "!!python/object", "\n", "  "]) | st.text(SYNTAX, max_size=4),
    max_size=40).map(" ".join)


@FAST
@given(data=st.binary(max_size=400) | NEAR_TEXT.map(str.encode))
def test_any_yaml_file_gives_data_or_a_located_error(tmp_path, data):
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    try:
        read_yaml(path, "f.yaml")
    except DataError as exc:
        assert exc.problems and all(p.file == "f.yaml" for p in exc.problems)


@FAST
@given(data=st.binary(max_size=300) | NEAR_TEXT.map(str.encode),
       fmt=st.sampled_from(["ttl", "nt", "nq", "trig", "rdf", "jsonld"]))
def test_any_rdf_upload_gives_quads_or_a_data_error(data, fmt):
    try:
        check_rdf(data, fmt, base_iri="http://example.org/")
    except DataError as exc:
        assert exc.problems


@FAST
@given(text=NEAR_TEXT | st.text(max_size=200), update=st.booleans())
def test_any_sparql_text_parses_or_gives_a_query_error(text, update):
    try:
        check_sparql(text, update=update)
    except QueryError as exc:
        assert exc.message


@pytest.fixture(scope="module")
def library(settings):
    return QueryLibrary(settings.queries_dir)


@SLOW
@given(value=st.text(max_size=60) | NEAR_TEXT)
def test_any_parameter_value_runs_or_gives_a_query_error(library, store, value):
    for name in ("drafting-lead", "poc-mandates-on-date", "recommendations"):
        query = library.get(name)
        for param in query.params:
            try:
                library.run(name, {param.name: value}, store)
            except (QueryError, NotFound) as exc:
                assert exc.message


@pytest.fixture(scope="module")
def client(curated_store_path):
    app = create_app({"STORE": str(curated_store_path), "SPARQL_TIMEOUT_S": 2,
                      "SPARQL_CLIENT_BUDGET_S": 0}, profile="testing")
    yield app.test_client()
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


@SLOW
@given(text=NEAR_TEXT | st.text(max_size=120))
def test_any_request_to_the_web_app_is_answered_without_a_server_error(client, text):
    for url, args in (("/sparql", {"query": text}), ("/search", {"q": text}),
                      ("/suggest", {"q": text}), ("/resource", {"uri": text}),
                      ("/compare", {"comparison": "drafting-lead", "missions": text}),
                      ("/queries/poc-mandates-on-date", {"date": text})):
        response = client.get(url, query_string=args, headers={"Accept": "application/json"})
        assert response.status_code < 500 or response.status_code == 503, (url, text)
        if response.status_code >= 400:
            body = response.get_json(silent=True)
            assert body is None or body.get("ok") is False


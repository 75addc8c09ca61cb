"""A remote SPARQL 1.1 endpoint behind the same facade as the embedded store.

Queries go through SPARQLWrapper; answers come back as pyoxigraph terms, so
every part of pockg (library, comparisons, evidence) runs unchanged on
Virtuoso, Fuseki, GraphDB or an Oxigraph server. ``push`` copies the local
store to a remote one, named graphs kept (Graph Store Protocol or Update).
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Mapping

import pyoxigraph as ox

from pockg.errors import QueryError, StoreError
from pockg.store import SelectResult, Term
from pockg.vocab import PREFIXES

XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def _term(binding: dict) -> Term:
    kind = binding["type"]
    if kind == "uri":
        return ox.NamedNode(binding["value"])
    if kind == "bnode":
        try:
            return ox.BlankNode(binding["value"])
        except ValueError:  # e.g. Virtuoso's "nodeID://b10007": keep it, as a valid label
            return ox.BlankNode("x" + binding["value"].encode("utf-8").hex())
    if "xml:lang" in binding:
        return ox.Literal(binding["value"], language=binding["xml:lang"])
    if "datatype" in binding:
        value, datatype = binding["value"], binding["datatype"]
        if datatype == XSD_BOOLEAN:  # Virtuoso answers "1"/"0": keep the canonical form
            value = {"1": "true", "0": "false"}.get(value, value)
        return ox.Literal(value, datatype=ox.NamedNode(datatype))
    return ox.Literal(binding["value"])


class RemoteStore:
    """Read access to a SPARQL 1.1 query endpoint."""

    def __init__(self, endpoint: str, timeout: float = 30.0, default_graphs: list[str] | None = None):
        if not endpoint.startswith(("http://", "https://")):
            raise StoreError(f"endpoint {endpoint!r} is not an http(s) address")
        self.location = endpoint
        self.timeout = timeout
        self.default_graphs = default_graphs or []

    def _wrapper(self, query: str):
        from SPARQLWrapper import JSON, POST, SELECT, SPARQLWrapper

        sw = SPARQLWrapper(self.location)
        sw.setMethod(POST)
        sw.setTimeout(int(max(1, self.timeout)))
        sw.setReturnFormat(JSON)
        for g in self.default_graphs:
            sw.addDefaultGraph(g)
        sw.setQuery(PROLOGUE + query)
        # SPARQLWrapper guesses the query form by searching the text for a keyword;
        # a word in a comment ("addresses", "loaded") makes it send an update.
        # This store only reads: SELECT and ASK are sent alike, as `query=`.
        sw.queryType = SELECT
        return sw

    def _run(self, query: str, bindings: Mapping[str, Term] | None):
        from pockg.store import bind

        query, left = bind(query, bindings)
        if left:
            raise QueryError(f"a remote endpoint takes parameters through empty VALUES "
                             f"blocks; the query has none for {', '.join(sorted(left))}")
        from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

        try:
            return self._wrapper(query).queryAndConvert()
        except QueryBadFormed as exc:
            raise QueryError(f"the endpoint {self.location} refused the query: {exc}") from exc
        except SPARQLWrapperException as exc:
            raise StoreError(f"the endpoint {self.location} answered with an error: {exc}") from exc
        except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(f"the endpoint {self.location} did not answer within "
                             f"{self.timeout:g} s or refused the connection: {reason}") from exc

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> SelectResult:
        data = self._run(query, bindings)
        if not isinstance(data, dict) or "results" not in data:
            raise QueryError("expected a SELECT query")
        columns = list(data.get("head", {}).get("vars", []))
        rows = [{k: _term(v) for k, v in b.items()} for b in data["results"]["bindings"]]
        return SelectResult(columns, rows)

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        data = self._run(query, bindings)
        if not isinstance(data, dict) or "boolean" not in data:
            raise QueryError("expected an ASK query")
        return bool(data["boolean"])


def push(store, *, gsp: str | None = None, update: str | None = None, user: str | None = None,
         password: str | None = None, timeout: float = 120.0, progress=lambda m: None) -> dict:
    """Copy every named graph of ``store`` to a remote store; returns quads per graph."""
    if bool(gsp) == bool(update):
        raise QueryError("give exactly one of a Graph Store Protocol address (--gsp) "
                         "or a SPARQL Update address (--update)")
    counts = {}
    for graph in store.named_graphs():
        triples = [f"{q.subject} {q.predicate} {q.object} ." for q in store.quads(graph)]
        counts[graph] = len(triples)
        if gsp:
            _gsp_put(gsp, graph, "\n".join(triples).encode("utf-8"), user, password, timeout)
        else:
            _update_graph(update, graph, triples, user, password, timeout)
        progress(f"pushed {len(triples)} triples to {graph}")
    return counts


def _auth_header(user, password) -> dict:
    if not user:
        return {}
    token = b64encode(f"{user}:{password or ''}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _send(request: urllib.request.Request, timeout: float, where: str) -> None:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - user-given endpoint
            response.read()
    except urllib.error.HTTPError as exc:
        raise StoreError(f"{where} answered {exc.code} {exc.reason}: "
                         f"{exc.read()[:300].decode('utf-8', 'replace')}") from exc
    except (urllib.error.URLError, socket.timeout, TimeoutError, OSError) as exc:
        raise StoreError(f"{where} did not answer within {timeout:g} s: "
                         f"{getattr(exc, 'reason', exc)}") from exc


def _gsp_put(base: str, graph: str, body: bytes, user, password, timeout) -> None:
    from urllib.parse import quote

    sep = "&" if "?" in base else "?"
    request = urllib.request.Request(
        f"{base}{sep}graph={quote(graph, safe='')}", data=body, method="PUT",
        headers={"Content-Type": "application/n-triples", **_auth_header(user, password)})
    _send(request, timeout, base)


def _update_graph(endpoint: str, graph: str, triples: list[str], user, password, timeout,
                  chunk: int = 5000) -> None:
    from urllib.parse import urlencode

    g = ox.NamedNode(graph)
    statements = [f"DROP SILENT GRAPH {g}"]
    for start in range(0, len(triples), chunk):
        body = "\n".join(triples[start:start + chunk])
        statements.append(f"INSERT DATA {{ GRAPH {g} {{\n{body}\n}} }}")
    for statement in statements:
        request = urllib.request.Request(
            endpoint, data=urlencode({"update": statement}).encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     **_auth_header(user, password)})
        _send(request, timeout, endpoint)

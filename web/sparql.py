"""The SPARQL 1.1 Protocol endpoint (/sparql): read-only, time- and row-limited.

* Queries come as GET ``?query=``, POST form-encoded ``query=``, or POST with
  the body typed ``application/sparql-query``; ``default-graph-uri`` and
  ``named-graph-uri`` choose graphs of the store (an IRI that names no graph
  of the store is an empty graph: nothing is ever fetched). Without them the
  default graph is the union of all the named graphs.
* Results by Accept (or ``?format=``): SPARQL JSON, XML, CSV, TSV for
  SELECT/ASK; Turtle, JSON-LD, N-Triples, RDF/XML for CONSTRUCT/DESCRIBE.
* With no query: the HTML editor for people, a service description (RDF)
  for machines.
* Updates are refused (405), and so are SERVICE, and FROM/FROM NAMED naming
  graphs outside the public ones (400): see ``web.query_check``, a token-level
  check in linear time, on queries of at most ``SPARQL_CHECK_MAX_BYTES``
  (413 beyond). A client over its budget is refused before any of it.
* Queries only ever see the public replica: without one the endpoint answers
  503 and says why.
* Each query runs in a worker process (``web.query_worker.WorkerPool``),
  killed past ``SPARQL_TIMEOUT_S`` (503 with Retry-After); results are cut
  at ``SPARQL_MAX_ROWS`` and flagged with the ``Pockg-Truncated: true`` header.
* The workers have no network (a namespace of their own, ``unshare -n``).
  Where no such sandbox can be made the server says so at start, and the
  endpoint answers 503 unless the operator accepts the risk with
  ``SPARQL_ALLOW_UNSANDBOXED``; see ``sandbox_refusal``.
"""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from dataclasses import dataclass

import pyoxigraph as ox
from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for

from pockg import vocab as V
from pockg.config import MEMORY
from pockg.errors import NoPublicReplica, PockgError
from pockg.replica import touches_public
from web import query_worker as qw
from web.budget import ClientBudget
from web.query_cost import estimate
from web.state import current

bp = Blueprint("sparql", __name__)

HTML = "text/html"
FORMAT_PARAM = {"json": qw.JSON, "xml": qw.XML, "csv": qw.CSV, "tsv": qw.TSV,
                "ttl": qw.TURTLE, "jsonld": qw.JSON_LD, "nt": qw.N_TRIPLES, "rdf": qw.RDF_XML,
                "html": HTML}
EXTENSIONS = {v: k for k, v in FORMAT_PARAM.items()}
RESULT_TYPES = {qw.JSON: qw.JSON, "application/json": qw.JSON, qw.XML: qw.XML,
                "application/xml": qw.XML, "text/xml": qw.XML, qw.CSV: qw.CSV, qw.TSV: qw.TSV}
GRAPH_TYPES = {qw.TURTLE: qw.TURTLE, "application/x-turtle": qw.TURTLE, qw.JSON_LD: qw.JSON_LD,
               "application/json": qw.JSON_LD, qw.N_TRIPLES: qw.N_TRIPLES,
               qw.RDF_XML: qw.RDF_XML, "application/xml": qw.RDF_XML, "text/xml": qw.RDF_XML}
JSONISH = {qw.JSON, "application/json", qw.JSON_LD}
READ_ONLY = ("this endpoint is read-only: SPARQL updates are not accepted "
             "(send queries: SELECT, ASK, CONSTRUCT or DESCRIBE)")

_pool_lock = threading.Lock()
log = logging.getLogger("pockg.web.sparql")


class ProtocolError(Exception):
    def __init__(self, message: str, status: int = 400, headers: dict | None = None):
        super().__init__(message)
        self.message, self.status, self.headers = message, status, headers or {}


@dataclass
class ProtocolRequest:
    query: str | None
    default_graphs: list[str] | None
    named_graphs: list[str] | None


# -- the endpoint ------------------------------------------------------------------
@bp.route("/sparql", methods=["GET", "POST"])
def endpoint():
    html = wants_html()
    closed = sandbox_refusal()
    if closed:
        return error(closed, 503, html=html)
    try:
        req = read_protocol()
    except ProtocolError as exc:
        return error(exc.message, exc.status, exc.headers, html=html)
    if req.query is None:
        if html:
            return editor(example_text(request.args.get("example")), req)
        if request.method == "POST":
            return error("no query given: send query=... (form) or an "
                         "application/sparql-query body", 400)
        return service_description()
    if not req.query.strip():
        return error("the query is empty", 400, html=html, req=req)
    config = current_app.config
    budget, client = client_budget(), request.remote_addr or "unknown"
    wait = budget.retry_after(client)       # before any other work on the query
    if wait is not None:
        return error(f"this client has used its query-time budget ({budget.budget_s:g} s of "
                     f"queries per {budget.window_s:g} s); try again in {wait} s",
                     429, {"Retry-After": str(wait)}, html=html, req=req)
    limit = int(config.get("SPARQL_CHECK_MAX_BYTES", 65_536))
    size = len(req.query.encode("utf-8"))
    if size > limit:
        return error(f"the query is {size:,} bytes long, over this endpoint's limit of "
                     f"{limit:,} bytes (SPARQL_CHECK_MAX_BYTES); shorten it (use VALUES or "
                     "several queries)", 413, html=html, req=req)
    max_rows = int(config["SPARQL_MAX_ROWS"])
    if html:        # one page in the server-rendered table; the downloads give the rest
        max_rows = min(max_rows, int(config.get("SPARQL_HTML_ROWS", 500)))
    job = qw.Job(req.query, req.default_graphs, req.named_graphs,
                 results_format=qw.JSON if html else results_format(),
                 graph_format=qw.TRIPLE_TABLE if html else graph_format(),
                 max_rows=max_rows,
                 base_iri=url_for("sparql.endpoint", _external=True),
                 parsed_check=flag(config.get("SPARQL_PARSED_CHECK", True)))
    started = time.monotonic()
    cost = estimate(req.query)          # by its shape: may it use the reserved worker?
    job.cheap, job.costly_because = cost.cheap, "; ".join(cost.reasons)
    try:
        public = current().public_store           # NoPublicReplica (503) without one
        if job.parsed_check:        # here, not in a worker: refused at once even when all
            info = qw.check_query(req.query, None, job.base_iri)   # are busy (linear time)
            if info.dataset_iris:
                qw.check_graphs(info.dataset_iris, set(public.named_graphs()))
    except qw.Refused as exc:
        budget.charge(client, time.monotonic() - started)
        return error(exc.message, exc.status, html=html, req=req)
    except PockgError as exc:
        return error(exc.message, exc.http_status, html=html, req=req)
    try:                                  # the client pays for its answer's rendering too
        return answer(job, client, req, html)
    finally:
        budget.charge(client, time.monotonic() - started)


def answer(job: qw.Job, client: str, req: ProtocolRequest, html: bool):
    """Run ``job`` and give its results, or the error, as the client asked."""
    try:
        outcome = run(job, client)
    except qw.NoSandbox as exc:
        return error(exc.message, 503, html=html, req=req)
    except qw.Unavailable as exc:
        return error(exc.message, 503, {"Retry-After": str(exc.retry_after)}, html=html, req=req)
    except PockgError as exc:             # e.g. a worker could not open the store
        return error(exc.message, exc.http_status, html=html, req=req)
    if outcome.status != 200:
        return error(outcome.message, outcome.status, html=html, req=req)
    if html:
        return editor(req.query, req, outcome)
    return results_response(outcome, job.max_rows)


def results_response(outcome: qw.Outcome, max_rows: int) -> Response:
    """The serialised results, flagged when cut at the row cap; a download for ?format=."""
    response = Response(outcome.body, content_type=outcome.content_type)
    response.headers["Vary"] = "Accept"
    if outcome.truncated:
        response.headers["Pockg-Truncated"] = "true"
        response.headers["Pockg-Row-Limit"] = str(max_rows)
    fmt = request.args.get("format")
    if fmt in FORMAT_PARAM:
        ext = EXTENSIONS.get(outcome.content_type.split(";")[0], fmt)
        response.headers["Content-Disposition"] = f'attachment; filename="results.{ext}"'
    return response


# -- reading the request -------------------------------------------------------------
def read_protocol() -> ProtocolRequest:
    """The query and dataset of a SPARQL 1.1 Protocol request (or a ProtocolError)."""
    if request.method == "GET":
        if "update" in request.args:
            raise _update_refused()
        queries, params = request.args.getlist("query"), request.args
        graphs = (params.getlist("default-graph-uri"), params.getlist("named-graph-uri"))
    else:
        mimetype = request.mimetype
        if mimetype == "application/sparql-update":
            raise _update_refused()
        if mimetype == "application/x-www-form-urlencoded":
            form = request.form
            if "update" in form or "update" in request.args:
                raise _update_refused()
            queries = form.getlist("query") + request.args.getlist("query")
            graphs = (form.getlist("default-graph-uri") + request.args.getlist("default-graph-uri"),
                      form.getlist("named-graph-uri") + request.args.getlist("named-graph-uri"))
        elif mimetype == "application/sparql-query":
            charset = request.mimetype_params.get("charset", "utf-8").lower()
            if charset not in ("utf-8", "utf8"):
                raise ProtocolError(f"the query must be UTF-8 (got charset={charset})", 415)
            try:
                body = request.get_data(cache=False).decode("utf-8")
            except UnicodeDecodeError:
                raise ProtocolError("the query body is not valid UTF-8", 400) from None
            queries = [body] + request.args.getlist("query")
            graphs = (request.args.getlist("default-graph-uri"),
                      request.args.getlist("named-graph-uri"))
        else:
            shown = mimetype or "none"
            raise ProtocolError(
                f"unsupported content type {shown}: POST a query as "
                "application/x-www-form-urlencoded (query=...) or as application/sparql-query",
                415)
    if len(queries) > 1:
        raise ProtocolError("give exactly one query (the request has several 'query' values)")
    default, named = ([g.strip() for g in gs if g.strip()] for gs in graphs)
    for iri in default + named:
        try:
            ox.NamedNode(iri)
        except ValueError:
            raise ProtocolError(f"{iri!r} is not a valid graph IRI") from None
    return ProtocolRequest(queries[0] if queries else None, default or None, named or None)


def _update_refused() -> ProtocolError:
    return ProtocolError(READ_ONLY, 405, {"Allow": "GET, POST"})


def _explicit(mimes) -> float:
    """The highest quality the Accept header gives, by name, to one of ``mimes``."""
    return max((q for value, q in request.accept_mimetypes if value in mimes), default=0)


def wants_html() -> bool:
    """People: the Accept header names HTML, ahead of every result format (or ?format=html)."""
    fmt = request.args.get("format")
    if fmt:
        return fmt == "html"
    html = _explicit({HTML, "application/xhtml+xml"})
    return html > 0 and html >= _explicit(set(RESULT_TYPES) | set(GRAPH_TYPES))


def results_format() -> str:
    fmt = FORMAT_PARAM.get(request.args.get("format", ""))
    if fmt in RESULT_TYPES.values():
        return fmt
    best = request.accept_mimetypes.best_match(list(RESULT_TYPES))
    return RESULT_TYPES.get(best, qw.JSON)


def graph_format() -> str:
    fmt = FORMAT_PARAM.get(request.args.get("format", ""))
    if fmt in GRAPH_TYPES.values():
        return fmt
    if fmt == qw.JSON:
        return qw.JSON_LD
    best = request.accept_mimetypes.best_match(list(GRAPH_TYPES))
    return GRAPH_TYPES.get(best, qw.TURTLE)


# -- running ---------------------------------------------------------------------------
def client_budget() -> ClientBudget:
    """The app's per-client query-time budget (SPARQL_CLIENT_BUDGET_S per
    SPARQL_CLIENT_WINDOW_S; a budget of 0 switches it off)."""
    extras = current().extras
    if "sparql_budget" not in extras:
        config = current_app.config
        extras["sparql_budget"] = ClientBudget(float(config.get("SPARQL_CLIENT_BUDGET_S", 60)),
                                               float(config.get("SPARQL_CLIENT_WINDOW_S", 60)))
    return extras["sparql_budget"]



def run(job: qw.Job, client: str = "") -> qw.Outcome:
    """Run a job in the worker pool, or in-process for an in-memory store.

    An in-memory store (STORE ":memory:", used by some unit tests) cannot be
    opened by another process, so its queries run in this process, with the
    row cap but WITHOUT a time limit.
    """
    public = current().public_store         # the replica, or NoPublicReplica (503)
    if str(public.location) == MEMORY:
        return qw.execute(public._store, job)  # the pyoxigraph Store inside EmbeddedStore
    return pool().run(job, client)


def pool() -> qw.WorkerPool:
    """The app's worker pool, started on first use and stopped at exit.

    Raises ``qw.NoSandbox`` where workers cannot be started without network
    access and SPARQL_ALLOW_UNSANDBOXED is not set.
    """
    extras = current().extras
    with _pool_lock:
        workers = extras.get("sparql_workers")
        if workers is None:
            state = current()
            config = current_app.config
            # the public replica only: a worker never opens the full store, which
            # holds drafts, internal lessons and review records
            workers = qw.WorkerPool(state.public_store.location,
                                    size=int(config.get("SPARQL_WORKERS", 2)),
                                    timeout=float(config["SPARQL_TIMEOUT_S"]),
                                    queue_wait=float(config.get("SPARQL_QUEUE_WAIT_S", 2.0)),
                                    memory_mb=int(config.get("SPARQL_WORKER_MEMORY_MB", 0) or 0),
                                    short_s=float(config.get("SPARQL_SHORT_QUERY_S", 1.0)),
                                    reserved=int(config.get("SPARQL_RESERVED_WORKERS", 1)),
                                    window_s=float(config.get("SPARQL_CLIENT_WINDOW_S", 60)),
                                    spare=flag(config.get("SPARQL_SPARE_WORKER", True)),
                                    sandbox_mode=config.get("SPARQL_SANDBOX", "auto"),
                                    allow_unsandboxed=flag(config.get("SPARQL_ALLOW_UNSANDBOXED")))
            extras["sparql_workers"] = workers
            atexit.register(workers.shutdown)
            if state.writer is not None:      # workers see a snapshot of what readers see:
                state.writer.on_change(  # renew them after writes that readers can see
                    lambda change: workers.invalidate() if touches_public(change) else None)
    return workers


# -- the network sandbox ------------------------------------------------------------------
IN_MEMORY_UNSANDBOXED = (
    "the SPARQL endpoint is closed: an in-memory store can only be queried inside the server "
    "process, which has network access, so a query (SERVICE) could make the server contact "
    "other machines. Serve an on-disk store, or accept the risk with "
    "SPARQL_ALLOW_UNSANDBOXED=True (POCKG_SPARQL_ALLOW_UNSANDBOXED=true)")


def flag(value) -> bool:
    """A boolean setting, given as a bool or as text from a settings file ("true", "1"...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes", "on")
    return bool(value)


def _in_memory(app) -> bool:
    state = app.extensions["pockg"]
    return str(getattr(state.full_store, "location", state.settings.store)) == MEMORY


def sandbox_refusal(app=None) -> str | None:
    """Why the endpoint must stay closed (the 503 message), or None when it may run queries.

    Open when the workers run in the network sandbox, or when the operator
    accepted the risk (SPARQL_ALLOW_UNSANDBOXED). An in-memory store is queried
    in-process, never sandboxed: open only under the testing profile or with
    the acceptance.
    """
    app = app or current_app
    config = app.config
    if flag(config.get("SPARQL_ALLOW_UNSANDBOXED")):
        return None
    if _in_memory(app):
        return None if config.get("TESTING") else IN_MEMORY_UNSANDBOXED
    box = qw.sandbox(config.get("SPARQL_SANDBOX", "auto"))
    return None if box else qw.no_sandbox_message(box.reason)


@bp.record_once
def _announce_sandbox(setup) -> None:
    """Say at start (in ``pockg serve``'s log) whether SPARQL queries run without network."""
    app = setup.app
    config = app.config
    accepted = flag(config.get("SPARQL_ALLOW_UNSANDBOXED"))
    if _in_memory(app):
        if not config.get("TESTING"):
            state = "OPEN (SPARQL_ALLOW_UNSANDBOXED is set)" if accepted else "CLOSED (503)"
            log.warning("SPARQL: the store is in memory, so queries would run inside the server "
                        "process, without a network sandbox: the endpoint is %s", state)
        return
    box = qw.sandbox(config.get("SPARQL_SANDBOX", "auto"))
    if box:
        log.info("SPARQL sandbox: %s", box.reason)
    elif accepted:
        log.warning("SPARQL WITHOUT SANDBOX: %s. The endpoint is OPEN anyway because "
                    "SPARQL_ALLOW_UNSANDBOXED is set: queries (SERVICE) could make this server "
                    "contact other machines; only the parsed-query check stands in the way.",
                    box.reason)
    else:
        log.warning("SPARQL endpoint CLOSED (every query answers 503): %s. Fix the server "
                    "(unshare -n must work), or accept the risk with "
                    "POCKG_SPARQL_ALLOW_UNSANDBOXED=true.", box.reason)


# -- answers ----------------------------------------------------------------------------
def error(message: str, status: int, headers: dict | None = None, html: bool | None = None,
          req: ProtocolRequest | None = None):
    """An error as JSON ({"ok": false, "error", "status"}), on the editor page, or as text."""
    html = wants_html() if html is None else html
    if html:
        response = Response(render_page(req.query if req else request.values.get("query", ""),
                                        req, error=message, status=status), status=status)
    elif _wants_json_error():
        response = jsonify({"ok": False, "error": message, "status": status})
        response.status_code = status
    else:
        response = Response(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response.headers.update(headers or {})
    response.headers["Vary"] = "Accept"
    return response


def _wants_json_error() -> bool:
    """JSON, unless the client prefers a non-JSON format (XML, CSV, TSV, Turtle...)."""
    fmt = request.args.get("format")
    if fmt:
        return fmt in ("json", "jsonld")
    others = (set(RESULT_TYPES) | set(GRAPH_TYPES) | {"text/plain"}) - JSONISH
    return _explicit(others) <= _explicit(JSONISH)


def editor(text: str, req: ProtocolRequest | None = None, outcome: qw.Outcome | None = None):
    response = Response(render_page(text, req, outcome=outcome))
    response.headers["Vary"] = "Accept"
    if outcome is not None and outcome.truncated:
        response.headers["Pockg-Truncated"] = "true"
    return response


def render_page(text: str | None, req: ProtocolRequest | None, outcome: qw.Outcome | None = None,
                error: str | None = None, status: int | None = None) -> str:
    config = current_app.config
    results = table_view(outcome) if outcome is not None else None
    downloads = []
    if outcome is not None and text:
        dataset = {"default-graph-uri": (req.default_graphs or []) if req else [],
                   "named-graph-uri": (req.named_graphs or []) if req else []}
        names = ("csv", "json", "tsv", "xml") if outcome.kind != "graph" else ("ttl", "jsonld", "nt")
        if outcome.kind == "ask":
            names = ("json", "xml")
        downloads = [(n, url_for("sparql.endpoint", query=text, format=n, **dataset)) for n in names]
    return render_template(
        "sparql/editor.html", query=text or "", results=results, outcome=outcome,
        error=error, status=status, downloads=downloads, examples=examples(),
        graphs=store_graph_names(), chosen_graph=(req.default_graphs or [""])[0] if req else "",
        timeout=config["SPARQL_TIMEOUT_S"], max_rows=config["SPARQL_MAX_ROWS"],
        page_rows=min(int(config["SPARQL_MAX_ROWS"]), int(config.get("SPARQL_HTML_ROWS", 500))))


def table_view(outcome: qw.Outcome) -> dict:
    """The results for the HTML page: columns and cells, or a yes/no."""
    doc = json.loads(outcome.body)
    if "boolean" in doc:
        return {"boolean": bool(doc["boolean"])}
    columns = doc["head"]["vars"]
    rows = [[cell(b.get(c)) for c in columns] for b in doc["results"]["bindings"]]
    return {"columns": columns, "rows": rows, "truncated": outcome.truncated}


def cell(term: dict | None) -> dict | None:
    if term is None:
        return None
    kind = term["type"]
    if kind == "uri":
        return {"kind": "uri", "value": term["value"], "short": compact(term["value"])}
    if kind == "bnode":
        return {"kind": "bnode", "value": "_:" + term["value"]}
    if kind == "triple":
        parts = [cell(term["value"][k]) for k in ("subject", "predicate", "object")]
        return {"kind": "triple", "value": "<< " + " ".join(
            p.get("short") or p["value"] for p in parts) + " >>"}
    datatype = term.get("datatype")
    return {"kind": "literal", "value": term["value"], "lang": term.get("xml:lang"),
            "datatype": compact(datatype) if datatype else None}


def compact(iri: str) -> str:
    for prefix, ns in V.PREFIXES.items():
        if iri.startswith(ns) and len(iri) > len(ns):
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def examples() -> list[dict]:
    """The library queries, rendered with their default parameters (cached per app)."""
    state = current()
    cached = state.extras.get("sparql_examples")
    if cached is None:
        cached = []
        for name in state.library.names():
            try:
                text, _ = state.library.render(name, {}, state.store)
                summary = state.library.get(name).summary
            except PockgError as exc:
                current_app.logger.warning("library query %s left out of the examples: %s",
                                           name, exc)
                continue
            body = "\n".join(line for line in text.splitlines() if not line.startswith("#+"))
            cached.append({"name": name, "summary": summary,
                           "query": f"# {name}: {summary}\n{body.lstrip()}"})
        state.extras["sparql_examples"] = cached
    return cached


def example_text(name: str | None) -> str:
    for item in examples():
        if item["name"] == name:
            return item["query"]
    return DEFAULT_QUERY


DEFAULT_QUERY = """PREFIX pockg: <https://w3id.org/pockg/ontology#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

SELECT DISTINCT ?operation ?acronym WHERE {
  ?operation a pockg:PeaceOperation ;
             pockg:acronym ?acronym .
}
ORDER BY ?acronym
LIMIT 50
"""


def store_graph_names() -> list[str]:
    """The graphs readers may query (none while the server has no public replica)."""
    try:
        return list(current().public_store.named_graphs())
    except NoPublicReplica:
        return []


# -- the service description -----------------------------------------------------------------
SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
SD_FORMATS = ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
              "SPARQL_Results_TSV", "Turtle", "JSON-LD", "N-Triples", "RDF_XML")
SD_TYPES = {qw.TURTLE: ox.RdfFormat.TURTLE, qw.JSON_LD: ox.RdfFormat.JSON_LD,
            qw.N_TRIPLES: ox.RdfFormat.N_TRIPLES, qw.RDF_XML: ox.RdfFormat.RDF_XML,
            "application/json": ox.RdfFormat.JSON_LD, "text/plain": ox.RdfFormat.N_TRIPLES}


def service_description():
    """sd:Service: the endpoint, SPARQL 1.1 Query, result formats, the graphs, the limits."""
    config = current_app.config
    endpoint_iri = ox.NamedNode(url_for("sparql.endpoint", _external=True))
    sd = lambda local: ox.NamedNode(SD + local)  # noqa: E731
    a = ox.NamedNode(V.RDF + "type")
    dataset, default = ox.BlankNode(), ox.BlankNode()
    triples = [
        ox.Triple(endpoint_iri, a, sd("Service")),
        ox.Triple(endpoint_iri, sd("endpoint"), endpoint_iri),
        ox.Triple(endpoint_iri, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(endpoint_iri, sd("feature"), sd("UnionDefaultGraph")),
        ox.Triple(endpoint_iri, ox.NamedNode(V.DCT + "description"), ox.Literal(
            "pockg's knowledge graph of the protection of civilians in UN peace operations. "
            f"Read-only: no updates, no SERVICE (federation), no FROM outside the store. "
            f"Each query stops after {config['SPARQL_TIMEOUT_S']:g} s; results are cut at "
            f"{int(config['SPARQL_MAX_ROWS'])} rows (header Pockg-Truncated: true).", language="en")),
        ox.Triple(endpoint_iri, sd("defaultDataset"), dataset),
        ox.Triple(dataset, a, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), default),
        ox.Triple(default, a, sd("Graph")),
    ]
    triples += [ox.Triple(endpoint_iri, sd("resultFormat"), ox.NamedNode(FORMATS_NS + f))
                for f in SD_FORMATS]
    for graph in store_graph_names():
        node = ox.BlankNode()
        triples += [ox.Triple(dataset, sd("namedGraph"), node),
                    ox.Triple(node, a, sd("NamedGraph")),
                    ox.Triple(node, sd("name"), ox.NamedNode(graph))]
    mime = request.accept_mimetypes.best_match(list(SD_TYPES), default=qw.TURTLE)
    fmt = SD_TYPES[mime]
    prefixes = {"sd": SD, "formats": FORMATS_NS, "dcterms": V.DCT} if fmt in (
        ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None
    body = ox.serialize(triples, format=fmt, prefixes=prefixes)
    response = Response(body, content_type=fmt.media_type + (
        "; charset=utf-8" if fmt == ox.RdfFormat.TURTLE else ""))
    response.headers["Vary"] = "Accept"
    return response

"""Runs the queries of the SPARQL endpoint, in worker processes with a time limit.

Two halves:

* what runs a query — ``check_query`` (the no-federation and public-FROM
  rules, ``web.query_check``, at the token level) and ``execute`` (dataset, row cap, serialisation). The
  same functions run in a worker process, or in-process for an in-memory store;
* ``WorkerPool``, the parent side: a few worker processes, each opening the
  on-disk store read-only with pyoxigraph, receiving a ``Job`` over a pipe and
  answering with an ``Outcome`` (body, content type, truncation flag). A query
  past the time limit is killed with its process and a replacement started, so
  one runaway query never blocks the server (Oxigraph cannot interrupt a query
  from Python; a process can be killed).

Workers are fresh interpreters (``python -m web.query_worker STORE``), never
forks of a multi-threaded server, and each starts in a network namespace of
its own (``unshare -n``, see ``sandbox``): no interface but a loopback that is
down, so nothing a query does (SERVICE in any disguise; Oxigraph's Rust HTTP
client, which Python audit hooks do not see) can reach another machine. The
store is a local file: the workers need no network. The query check
stays in front of the sandbox (a clear 400 rather than a network error).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from pockg.vocab import PREFIXES
from web.fairness import Fairness, Running, Waiter
from web.query_check import (SERVICE_REFUSED, QueryInfo, Refused, check_graphs,  # noqa: F401
                              check_query, first_keyword, keyword_tokens)

# -- formats -----------------------------------------------------------------
JSON = "application/sparql-results+json"
XML = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
RESULT_FORMATS = {JSON: ox.QueryResultsFormat.JSON, XML: ox.QueryResultsFormat.XML,
                  CSV: ox.QueryResultsFormat.CSV, TSV: ox.QueryResultsFormat.TSV}

TURTLE = "text/turtle"
JSON_LD = "application/ld+json"
N_TRIPLES = "application/n-triples"
RDF_XML = "application/rdf+xml"
GRAPH_FORMATS = {TURTLE: ox.RdfFormat.TURTLE, JSON_LD: ox.RdfFormat.JSON_LD,
                 N_TRIPLES: ox.RdfFormat.N_TRIPLES, RDF_XML: ox.RdfFormat.RDF_XML}
# Internal, for the HTML page: CONSTRUCT/DESCRIBE triples as SPARQL JSON results
# with the variables subject, predicate, object.
TRIPLE_TABLE = "application/x-pockg-triples+json"

CONTENT_TYPES = {JSON: JSON, XML: XML, CSV: "text/csv; charset=utf-8",
                 TSV: "text/tab-separated-values; charset=utf-8", TURTLE: "text/turtle; charset=utf-8",
                 JSON_LD: JSON_LD, N_TRIPLES: N_TRIPLES, RDF_XML: RDF_XML, TRIPLE_TABLE: JSON}

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"


@dataclass
class Job:
    """One query to run: the text, the protocol dataset, the wanted formats, the row cap.

    ``default_graphs``/``named_graphs`` are the protocol's ``default-graph-uri``
    and ``named-graph-uri`` (None when not given).
    """

    query: str
    default_graphs: list[str] | None = None
    named_graphs: list[str] | None = None
    results_format: str = JSON
    graph_format: str = TURTLE
    max_rows: int = 10_000
    base_iri: str | None = None        # relative IRIs in the query resolve against it
    parsed_check: bool = True          # False (tests only): skip check_query, the sandbox alone
    cheap: bool = True                 # cheap by its shape (web.query_cost): may use the
    #                                    reserved worker
    costly_because: str = ""           # why it is not cheap, for the busy message


@dataclass
class Outcome:
    """What a query gave: an HTTP status, a body and its type, or an error message."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    truncated: bool = False
    kind: str = ""                 # select, ask or graph
    message: str = ""
    rows: int = 0


# The read-only and no-federation rules live in web.query_check (token level,
# linear time); re-exported here for the worker and the endpoint.
UPDATE_KEYWORDS = {"LOAD", "INSERT", "DELETE", "CLEAR", "DROP", "CREATE", "COPY", "MOVE",
                   "ADD", "WITH"}


# -- running one query ----------------------------------------------------------
def store_graphs(store: ox.Store) -> set[str]:
    """The named graphs the public may query: drafts, internal lessons and
    review records (``pockg.curation.graphs``) never reach the endpoint."""
    from pockg.curation.graphs import visible

    return {g.value for g in store.named_graphs()
            if isinstance(g, ox.NamedNode) and visible(g.value, None)}


def only_public_graphs(store: ox.Store, graphs: set[str]) -> bool:
    """Whether every named graph of ``store`` is among the public ``graphs`` (the
    public replica): then the union default graph is the public union."""
    return all(isinstance(g, ox.NamedNode) and g.value in graphs for g in store.named_graphs())


def dataset_options(job: Job, info: QueryInfo, graphs: set[str], whole: bool = False) -> dict:
    """pyoxigraph's dataset arguments for a job, within the public ``graphs``.

    The protocol dataset (default-graph-uri / named-graph-uri) wins over the
    query's FROM; a graph it names that the store lacks, or that the public
    may not see, is simply empty. With neither, the default graph is the
    union of the public named graphs: on the replica (``whole``: it holds only
    public graphs) Oxigraph's own union default graph, which is one lookup per
    pattern, where a list of graphs costs one per graph (~70x slower at 150).
    """
    if job.default_graphs is not None or job.named_graphs is not None:
        return {"default_graph": [ox.NamedNode(g) for g in job.default_graphs or [] if g in graphs]
                or [ox.NamedNode(NO_GRAPH)],
                "named_graphs": [ox.NamedNode(g) for g in job.named_graphs or [] if g in graphs]}
    if info.has_dataset_clause:
        return {}        # the query's own FROM / FROM NAMED, checked to be public graphs
    if whole:
        return {"use_default_graph_as_union": True}
    public = [ox.NamedNode(g) for g in sorted(graphs)]
    return {"default_graph": public or [ox.NamedNode(NO_GRAPH)], "named_graphs": public}


NO_GRAPH = "urn:pockg:no-graph"


def execute(store: ox.Store, job: Job, graphs: set[str] | None = None,
            whole: bool | None = None) -> Outcome:
    """Check and run ``job`` on ``store``; errors come back as an Outcome, never raised.
    ``graphs``: the public graphs; ``whole``: they are all the store holds."""
    try:
        graphs = store_graphs(store) if graphs is None else graphs
        whole = only_public_graphs(store, graphs) if whole is None else whole
        if job.parsed_check:
            info = check_query(job.query, graphs, job.base_iri)
        else:       # SPARQL_PARSED_CHECK=False: no SERVICE/FROM check, the sandbox alone
            info = QueryInfo(has_dataset_clause="FROM" in keyword_tokens(job.query))
        try:
            options = dataset_options(job, info, graphs, whole)
        except ValueError as exc:
            raise Refused(f"not a valid graph IRI: {exc}") from None
        try:
            result = store.query(job.query, prefixes=PREFIXES, base_iri=job.base_iri, **options)
        except SyntaxError as exc:
            update = first_keyword(job.query)
            if update in UPDATE_KEYWORDS:
                raise Refused(f"{update} is a SPARQL update: this endpoint is read-only and "
                              "runs queries only (SELECT, ASK, CONSTRUCT, DESCRIBE)") from None
            raise Refused(f"malformed SPARQL: {exc}") from None
        if isinstance(result, ox.QuerySolutions):
            return _solutions(result, job)
        if isinstance(result, ox.QueryBoolean):
            fmt = job.results_format if job.results_format in RESULT_FORMATS else JSON
            return Outcome(200, result.serialize(format=RESULT_FORMATS[fmt]), CONTENT_TYPES[fmt],
                           kind="ask", rows=1)
        return _triples(result, job)
    except Refused as exc:
        return Outcome(exc.status, message=exc.message)
    except SyntaxError as exc:
        return Outcome(400, message=f"malformed SPARQL: {exc}")
    except (ValueError, RuntimeError) as exc:   # evaluation errors Oxigraph reports
        return Outcome(400, message=f"the query failed: {exc}")
    except OSError as exc:
        if is_network_error(exc):       # SERVICE tried, and the sandbox has no network
            return Outcome(400, message=f"{SERVICE_REFUSED} (the query's attempt failed: {exc})")
        return Outcome(503, message=f"the store could not answer: {exc}")


_NETWORK_ERRNOS = "|".join(str(n) for n in (101, 110, 111, 113))  # unreachable, timeout, refused
_NETWORK_ERROR = re.compile(rf"os error (?:{_NETWORK_ERRNOS})\b|network is unreachable|"
                            r"lookup address|name resolution|dns error", re.IGNORECASE)


def is_network_error(exc: OSError) -> bool:
    """Whether Oxigraph's error is a failed connection (a SERVICE call), not a store failure."""
    return isinstance(exc, ConnectionError) or bool(_NETWORK_ERROR.search(str(exc)))


def _solutions(result: ox.QuerySolutions, job: Job) -> Outcome:
    variables = [v.value for v in result.variables]
    rows = list(islice(result, job.max_rows + 1))
    truncated = len(rows) > job.max_rows
    rows = rows[: job.max_rows]
    doc = json.dumps(results_json(variables, rows), ensure_ascii=False).encode("utf-8")
    fmt = job.results_format if job.results_format in RESULT_FORMATS else JSON
    if fmt != JSON:  # re-serialise the capped, complete document with Oxigraph's writers
        doc = ox.parse_query_results(doc, ox.QueryResultsFormat.JSON).serialize(
            format=RESULT_FORMATS[fmt])
    return Outcome(200, doc, CONTENT_TYPES[fmt], truncated, kind="select", rows=len(rows))


def _triples(result: ox.QueryTriples, job: Job) -> Outcome:
    triples = list(islice(result, job.max_rows + 1))
    truncated = len(triples) > job.max_rows
    triples = triples[: job.max_rows]
    if job.graph_format == TRIPLE_TABLE:
        rows = [{"subject": t.subject, "predicate": t.predicate, "object": t.object} for t in triples]
        body = json.dumps(results_json(["subject", "predicate", "object"], rows),
                          ensure_ascii=False).encode("utf-8")
        return Outcome(200, body, JSON, truncated, kind="graph", rows=len(triples))
    fmt = job.graph_format if job.graph_format in GRAPH_FORMATS else TURTLE
    prefixes = PREFIXES if fmt in (TURTLE, RDF_XML) else None
    body = ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=prefixes)
    return Outcome(200, body, CONTENT_TYPES[fmt], truncated, kind="graph", rows=len(triples))


def results_json(variables: list[str], rows) -> dict:
    """A complete SPARQL 1.1 JSON results document for ``rows``."""
    bindings = []
    for row in rows:
        binding = {}
        for name in variables:
            term = row[name]
            if term is not None:
                binding[name] = term_json(term)
        bindings.append(binding)
    return {"head": {"vars": variables}, "results": {"bindings": bindings}}


def term_json(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if getattr(term, "direction", None) is not None:
                out["its:dir"] = str(term.direction)
        elif term.datatype.value not in (XSD_STRING, RDF_LANG_STRING, RDF_DIR_LANG_STRING):
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": term_json(term.subject),
                                            "predicate": term_json(term.predicate),
                                            "object": term_json(term.object)}}
    return {"type": "literal", "value": str(term)}


# -- the network sandbox --------------------------------------------------------------
SANDBOX_OFF = {"off", "false", "no", "0", "none"}


@dataclass(frozen=True)
class Sandbox:
    """How worker processes are started without network access, or why they cannot be.

    ``command`` is the prefix put before the worker's command line
    (``("/usr/bin/unshare", "-n")``), empty when there is no sandbox;
    ``reason`` says which one it is, or why there is none.
    """

    command: tuple[str, ...]
    reason: str

    def __bool__(self) -> bool:
        return bool(self.command)


def sandbox(mode: object = "auto") -> Sandbox:
    """The sandbox for ``mode``: "auto" (default) finds one, "off" means none (for tests).

    "auto" runs ``unshare -n true`` once per process (then ``unshare -r -n true``:
    a user namespace too, for servers not run as root) and caches the answer.
    """
    if str(mode).strip().lower() in SANDBOX_OFF:
        return Sandbox((), "the sandbox is switched off (SPARQL_SANDBOX=off)")
    return _probe_sandbox()


@functools.lru_cache(maxsize=1)
def _probe_sandbox() -> Sandbox:
    unshare = shutil.which("unshare")
    if unshare is None:
        return Sandbox((), "the command unshare was not found; util-linux provides it "
                           "(apt-get install util-linux)")
    failures = []
    for flags in (("-n",), ("-r", "-n")):
        shown = " ".join(("unshare",) + flags)
        try:
            done = subprocess.run([unshare, *flags, "true"], stdin=subprocess.DEVNULL,
                                  capture_output=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            failures.append(f"{shown}: {exc}")
            continue
        if done.returncode == 0:
            return Sandbox((unshare, *flags), f"each query worker runs in a network namespace "
                                              f"of its own ({shown}): no network access")
        said = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        failures.append(f"{shown}: {said}")
    return Sandbox((), "no network namespace can be made here (" + "; ".join(failures) + ")")


def network_namespace() -> str | None:
    """This process's network namespace (``net:[4026531840]``), or None off Linux."""
    try:
        return os.readlink("/proc/self/ns/net")
    except OSError:
        return None


class NoSandbox(Exception):
    """Workers cannot be started without network access, and the risk was not accepted."""

    def __init__(self, reason: str):
        self.message = no_sandbox_message(reason)
        super().__init__(self.message)


def no_sandbox_message(reason: str) -> str:
    return ("the SPARQL endpoint is closed: its query workers cannot be started without "
            f"network access on this server ({reason}), so a query (SERVICE) could make the "
            "server contact other machines. The operator can run the server where network "
            "namespaces can be made (unshare -n, from util-linux), or accept the risk with "
            "SPARQL_ALLOW_UNSANDBOXED=True (POCKG_SPARQL_ALLOW_UNSANDBOXED=true)")


# -- the worker process -------------------------------------------------------------
MEMORY_ENV = "POCKG_SPARQL_WORKER_MEMORY_MB"


def _cap_memory() -> None:
    """Bound the worker's address space (SPARQL_WORKER_MEMORY_MB): a query that needs
    more fails (the worker dies, the client gets 503 and a fresh worker is started)
    instead of taking the machine's memory."""
    import resource

    megabytes = int(os.environ.get(MEMORY_ENV) or 0)
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def worker_main(reader, writer, location: str) -> None:
    """A worker process: open the store read-only, answer jobs (dicts) until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # Ctrl-C is the parent's to handle
    _watch_parent()
    _cap_memory()
    os.nice(10)        # queries yield the CPU to the server's own page rendering
    try:
        store = ox.Store.read_only(location)
        graphs = store_graphs(store)
        whole = only_public_graphs(store, graphs)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which answers 503
        writer.send({"failed": f"cannot open the store at {location}: {exc}"})
        return
    writer.send({"ready": True, "netns": network_namespace()})
    while True:
        try:
            job = reader.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        try:
            outcome = execute(store, Job(**job), graphs, whole)
        except Exception as exc:  # noqa: BLE001 - never let one query end the worker
            outcome = Outcome(500, message=f"the query could not be run: {exc}")
        try:
            writer.send(asdict(outcome))
        except (OSError, ValueError):
            return


def _watch_parent(interval: float = 1.0) -> None:
    """End this worker if the server dies (even mid-query): no orphan keeps running."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(interval)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


class Unavailable(Exception):
    """No answer in time: the query was stopped, or every worker stayed busy."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Worker:
    """One worker process (``python -m web.query_worker STORE``) and its two pipes.

    A plain subprocess rather than ``multiprocessing``: it never re-imports the
    parent's ``__main__`` and never forks a multi-threaded server. Jobs and
    outcomes travel as pickled dicts over the child's stdin and a duplicate of
    its stdout (the child points its own stdout at stderr). ``sandbox`` is the
    command prefix that starts it without network (``Sandbox.command``; unshare
    execs the interpreter, so the process is the worker itself).
    """

    generation = 0     # the pool's store generation when this worker opened the store
    preempted = False  # killed to make room for a shorter query (the pool frees its place)

    def __init__(self, location: str, sandbox: tuple[str, ...] | list[str] = (),
                 memory_mb: int = 0):
        env = dict(os.environ)
        if memory_mb:
            env[MEMORY_ENV] = str(int(memory_mb))
        root = str(Path(__file__).resolve().parent.parent)      # so that ``web`` imports
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        self.sandboxed = bool(sandbox)
        self.process = subprocess.Popen(
            [*sandbox, sys.executable, "-m", "web.query_worker", str(location)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, env=env,
            start_new_session=True)          # a terminal's Ctrl-C goes to the parent only
        self.writer = Connection(os.dup(self.process.stdin.fileno()), readable=False)
        self.reader = Connection(os.dup(self.process.stdout.fileno()), writable=False)
        self.process.stdin.close()
        self.process.stdout.close()
        self.ready = False

    def wait_ready(self, timeout: float) -> None:
        if self.ready:
            return
        if not self.reader.poll(timeout):
            raise Unavailable("the query worker did not start in time", 5)
        try:
            message = self.reader.recv()
        except (EOFError, OSError):
            raise Unavailable("the query worker stopped while starting", 5) from None
        if not message.get("ready"):
            from pockg.errors import StoreError

            raise StoreError(message.get("failed", "the query worker could not start"))
        own = network_namespace()
        if self.sandboxed and (message.get("netns") is None or message.get("netns") == own):
            raise NoSandbox("the query worker was started with unshare but shares the "
                            "server's network namespace")
        self.ready = True

    def run(self, job: Job, timeout: float) -> Outcome | None:
        """The outcome, or None when the time limit passed (the caller kills the worker)."""
        self.writer.send(asdict(job))
        if not self.reader.poll(timeout):
            return None
        return Outcome(**self.reader.recv())

    def kill(self) -> None:
        try:
            self.process.kill()
            self.process.wait(2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self._close()

    def stop(self) -> None:
        try:
            self.writer.send(None)
            self.process.wait(1)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            self.kill()
            return
        self._close()

    def _close(self) -> None:
        for conn in (self.writer, self.reader):
            try:
                conn.close()
            except OSError:
                pass


class WorkerPool:
    """Up to ``size`` worker processes, started on demand and replaced when killed.

    ``run(job, client)`` gives the worker's Outcome, or raises ``Unavailable``
    when the query passed ``timeout`` seconds (its worker is killed and a fresh
    one started), when no worker came free within ``queue_wait``, or when the
    query was stopped to make room for a shorter one (``web.fairness``: short
    queries first; heavy clients share the workers that are not reserved).

    Workers start in the network sandbox (``sandbox(mode)``); where none can be
    made the pool refuses to start (``NoSandbox``) unless ``allow_unsandboxed``.
    """

    START_TIMEOUT = 60.0
    HEAVY_WAIT_S = 0.5        # longest wait of a heavy client for a worker (light: queue_wait)

    def __init__(self, location: str, size: int = 2, timeout: float = 10.0,
                 sandbox_mode: object = "auto", allow_unsandboxed: bool = False,
                 queue_wait: float = 2.0, memory_mb: int = 0, short_s: float = 1.0,
                 reserved: int = 1, window_s: float = 60.0, spare: bool = True):
        self.sandbox = sandbox(sandbox_mode)
        if not self.sandbox and not allow_unsandboxed:
            raise NoSandbox(self.sandbox.reason)
        self.location = str(location)
        self.size = max(1, int(size))
        self.timeout = float(timeout)
        # a request waits this long at most for a free worker, then gets 503: server
        # threads are never held for a whole time limit behind other clients' queries
        self.queue_wait = min(float(queue_wait), self.timeout)
        self.memory_mb = int(memory_mb or 0)
        self.fairness = Fairness(short_s=float(short_s), reserved=int(reserved),
                                 window_s=float(window_s))
        self._cond = threading.Condition()
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._running: dict[Worker, Running] = {}
        self._waiting: list[Waiter] = []
        self._preempting = 0          # stopped queries whose workers are not yet freed
        # one started, ready worker held back: a stopped or killed worker's place is
        # taken at once instead of after a start (~0.3 s); off with spare=False
        self.spare_wanted = bool(spare)
        self._spare: Worker | None = None
        self._spare_starting = False
        self._live = 0
        self._closed = False
        self.generation = 0

    def invalidate(self) -> None:
        """The store changed: workers opened before now see an old snapshot
        (a read-only open does not follow later writes), so each is replaced
        before its next query."""
        with self._cond:
            self.generation += 1

    # -- getting a worker ------------------------------------------------------------
    def _acquire(self, client: str, cheap: bool = True,
                 why: str = "") -> tuple[Worker, Running]:
        now = time.monotonic()
        deadline = now + self.queue_wait
        me = Waiter(client, now, cheap=cheap, why=why)
        with self._cond:
            self._waiting.append(me)
            try:
                while True:
                    if self._closed:
                        raise Unavailable("the server is shutting down", 5)
                    now = time.monotonic()
                    running = list(self._running.values())
                    order = self.fairness.rank(self._waiting, now, running)
                    if self._idle or self._live < self.size:
                        first = next((w for w in order if self.fairness.may_start(
                            w, running, self.size, now)), None)
                        if first is me:
                            worker = self._take()
                            record = Running(client, None, me.heavy, cheap=cheap)
                            self._running[worker] = record
                            return worker, record
                    elif not me.restricted:
                        lights = sum(1 for w in order if not w.restricted)
                        victim = self.fairness.victim(me, running, now)
                        if victim is not None and self._preempting < lights:
                            self._preempt(victim)
                            continue
                    # a heavy client or a costly query waits briefly: a server thread held
                    # for it is one fewer for everyone's pages, and its turn is seconds away
                    remaining = (min(deadline, me.arrived + self.HEAVY_WAIT_S) if me.restricted
                                 else deadline) - now
                    if remaining <= 0:
                        raise Unavailable(self._busy_message(me), max(1, round(self.timeout / 2)))
                    soon = None if me.restricted else self.fairness.next_long(running, now)
                    self._cond.wait(remaining if soon is None else min(remaining, soon + 0.01))
            finally:
                self._waiting.remove(me)
                self._cond.notify_all()          # the serving order changed

    def _take(self) -> Worker:
        """An idle worker of the current generation, or a new one (under the lock;
        the caller has checked there is room)."""
        while self._idle:
            worker = self._idle.pop()
            if worker.generation == self.generation:
                return worker
            self._all.discard(worker)
            self._live -= 1
            threading.Thread(target=worker.stop, daemon=True).start()
        worker = self._use_spare() or Worker(self.location, self.sandbox.command, self.memory_mb)
        worker.generation = self.generation
        self._live += 1
        self._all.add(worker)
        return worker

    def _use_spare(self) -> Worker | None:
        """The ready spare (under the lock), if it opened the current store; a new
        spare is started in the background either way."""
        spare, self._spare = self._spare, None
        if spare is not None and spare.generation != self.generation:
            threading.Thread(target=spare.stop, daemon=True).start()
            spare = None
        self._refill_spare()
        return spare

    def _refill_spare(self) -> None:
        """Start a spare in the background when one is wanted and none is there (under the lock)."""
        if not self.spare_wanted or self._spare is not None or self._spare_starting or self._closed:
            return
        self._spare_starting = True
        threading.Thread(target=self._start_spare, args=(self.generation,), daemon=True,
                         name="pockg-spare-worker").start()

    def _start_spare(self, generation: int) -> None:
        try:
            spare = Worker(self.location, self.sandbox.command, self.memory_mb)
            spare.generation = generation
            spare.wait_ready(self.START_TIMEOUT)
        except Exception:  # noqa: BLE001 - no spare then; requests start their own workers
            with self._cond:
                self._spare_starting = False
                self.spare_wanted = False       # do not retry a start that fails
            return
        with self._cond:
            self._spare_starting = False
            if self._closed or self._spare is not None:
                keep = False
            else:
                self._spare, keep = spare, True
                self._cond.notify_all()
        if not keep:
            spare.stop()

    def _preempt(self, record: Running) -> None:
        """Stop ``record``'s query (under the lock): its worker is killed, its
        client gets 503, and the freed place goes to the light waiters."""
        worker = next(w for w, r in self._running.items() if r is record)
        record.preempted = True
        worker.preempted = True
        self._preempting += 1
        try:
            os.kill(worker.process.pid, signal.SIGKILL)
        except OSError:
            pass

    def _busy_message(self, me: Waiter) -> str:
        if not me.restricted:
            return "every query worker is busy; try again shortly"
        slots = self.fairness.heavy_slots(self.size)
        if not me.heavy:
            return (f"every query worker this query may use now is busy: its shape may make "
                    f"it slow ({me.why or 'see the query'}), and such queries "
                    f"share {slots} of the {self.size} workers so that cheap ones are answered "
                    "at once; try again shortly, or narrow it down (fix more terms, add LIMIT)")
        return (f"every query worker this client may use now is busy: it ran long queries "
                f"(over {self.fairness.short_s:g} s) in the last {self.fairness.window_s:g} s, "
                f"and long queries share {slots} of the {self.size} workers so that short ones "
                "are answered at once; try again shortly, or narrow the query down")

    # -- giving it back ----------------------------------------------------------------
    def _finish(self, worker: Worker, record: Running, healthy: bool) -> None:
        """The query is over: record its time; keep the worker if it is healthy."""
        with self._cond:
            self._running.pop(worker, None)
            now = time.monotonic()
            self.fairness.record(record.client, now, now - (record.since or now))
            if healthy and not record.preempted and not self._closed:
                self._idle.append(worker)
                self._cond.notify_all()
                return
            if self._closed:
                threading.Thread(target=worker.kill, daemon=True).start()
                return
        self._replace_soon(worker)

    def _discard(self, worker: Worker) -> bool:
        """Kill ``worker`` and free its place; False once the pool is shut down."""
        worker.kill()
        with self._cond:
            self._running.pop(worker, None)
            if worker in self._all:
                self._all.discard(worker)
                self._live -= 1
            if worker.preempted:
                worker.preempted = False
                self._preempting -= 1
            self._cond.notify_all()
            return not self._closed

    def _replace(self, worker: Worker) -> None:
        """Kill ``worker`` and start a fresh one in its place (it gets ready in the
        background), unless a waiting request has already started one."""
        if not self._discard(worker):
            return
        with self._cond:
            if self._live >= self.size or self._closed:
                return
            spare = self._use_spare()
            if spare is not None:
                self._live += 1
                self._all.add(spare)
                self._idle.append(spare)
                self._cond.notify_all()
                return
            self._live += 1
            generation = self.generation
        try:
            fresh = Worker(self.location, self.sandbox.command, self.memory_mb)
        except Exception:  # noqa: BLE001 - the next request will try again
            with self._cond:
                self._live -= 1
                self._cond.notify_all()
            return
        fresh.generation = generation
        with self._cond:
            self._all.add(fresh)
            self._idle.append(fresh)
            self._cond.notify_all()

    def run(self, job: Job, client: str = "") -> Outcome:
        asked = time.monotonic()
        worker, record = self._acquire(client, job.cheap, job.costly_because)
        waited = time.monotonic() - asked               # waiting for a worker counts too,
        #                                                 starting a fresh one does not
        try:
            worker.wait_ready(self.START_TIMEOUT)
        except Exception:
            self._discard(worker)        # the next request starts another one
            raise
        with self._cond:
            record.since = time.monotonic()
        try:
            outcome = worker.run(job, max(0.1, self.timeout - waited))
        except (EOFError, OSError, ValueError):
            ran = time.monotonic() - record.since
            self._finish(worker, record, healthy=False)
            if record.preempted:
                raise Unavailable(
                    f"the query was stopped after {ran:.1f} s to make room for shorter queries "
                    "from other clients (every worker was busy); narrow it down (add LIMIT, "
                    "more specific patterns) or try again later",
                    max(1, round(self.timeout / 2))) from None
            raise Unavailable("the query worker stopped: the query needed more memory than a "
                              "worker may use, or failed; narrow it down and try again",
                              5) from None
        if outcome is None:
            self._finish(worker, record, healthy=False)
            seconds = f"{self.timeout:g}"
            raise Unavailable(f"the query ran past the time limit of {seconds} s and was "
                              "stopped; narrow it down (add LIMIT, more specific patterns) "
                              "and try again", max(1, round(self.timeout)))
        self._finish(worker, record, healthy=True)   # answered, even if stopped just after
        return outcome

    def _replace_soon(self, worker: Worker) -> None:
        """Kill and replace ``worker`` in the background: the client's 503 goes out
        at the time limit, not after the kill and a fresh start."""
        try:
            os.kill(worker.process.pid, signal.SIGKILL)     # stop its CPU use now
        except OSError:
            pass
        threading.Thread(target=self._replace, args=(worker,), daemon=True,
                         name="pockg-replace-worker").start()

    def shutdown(self) -> None:
        """Stop every worker: idle ones politely, busy ones (mid-query) at once."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            busy = self._all - set(idle)
            self._all = set()
            if self._spare is not None:
                idle.append(self._spare)
                self._spare = None
            self._cond.notify_all()
        for worker in idle:
            worker.stop()
        for worker in busy:
            worker.kill()

    @property
    def processes(self) -> list:
        """The worker processes (for tests and health checks), the spare included."""
        with self._cond:
            return [w.process for w in [*self._all, *([self._spare] if self._spare else [])]]


def _main(argv: list[str]) -> int:
    """``python -m web.query_worker STORE``: the worker process (see ``Worker``)."""
    if len(argv) != 2:
        print("usage: python -m web.query_worker STORE", file=sys.stderr)
        return 2
    protocol_out = os.dup(1)
    os.dup2(2, 1)                  # stray prints go to stderr, not into the protocol
    protocol_in = os.dup(0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    from web.query_worker import worker_main as main  # the importable module, not __main__

    main(Connection(protocol_in, writable=False), Connection(protocol_out, readable=False), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))

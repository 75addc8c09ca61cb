"""Adversarial load test: normal traffic's latency while hostile SPARQL clients hammer /sparql.

Run by hand (not part of the test suite):
    .venv/bin/python benchmarks/adversarial_load.py                       # build, serve, measure
    .venv/bin/python benchmarks/adversarial_load.py --store /tmp/store    # reuse a built store
    .venv/bin/python benchmarks/adversarial_load.py --url http://127.0.0.1:8000 [--server-pid PID]

Without --url it builds the curated graph into a temporary on-disk store
(``pockg build``; with --store it copies that built store, since the write
loop saves lessons), adds a curator account, and starts the real production
server (``pockg serve``, production profile, read-write, waitress 8 threads,
2 SPARQL workers with fair shares, per-client budget 60 s per 60 s: the
defaults of web/config.py) with the SPARQL time limit of ``--timeout``
seconds (POCKG_SPARQL_TIMEOUT_S, default 5 here to keep runs short; the
server's default is 10), and stops it at the end. With --url the server's
own limit is read from its service description.

Three phases, back to back, while normal traffic runs throughout:

1. baseline (``--baseline`` s): ``--clients`` normal clients (default 20),
   each sending ``--rate`` requests per second on a fixed schedule (a steady
   stream, not a saturation test): entity pages of every kind round-robin and,
   every ``--sparql-every``-th request, a cheap SPARQL SELECT;
2. hostile (``--hostile`` s): the same, plus one hostile client per query
   kind, each sending its query again as soon as it is answered (0.1 s pause):
   a cartesian COUNT over three unconstrained triple patterns, ORDER BY over a
   cross join, a "catastrophic" regex ``(a+)+$`` over long literals followed
   by a run of a's and a "!", an unbounded property path
   ``?s (<p>|!<p>)* ?o``, and SERVICE in seven disguises aimed at a local
   listener that counts connections;
3. recovery (``--recovery`` s): normal traffic alone again.

Throughout all three, a curator signed in from 127.0.3.1 saves lessons
through the web forms (``--write-pause`` between saves, ``--edits-per-lesson``
saves per lesson, each based on the revision it last saw); at the end every
lesson's stored revision and text must be those of its last acknowledged
save (no lost writes). ``--curator ''`` leaves the write loop out.

Each client has an address of its own on the loopback network (normal
client i sends from 127.0.1.i, hostile kind k from 127.0.2.k), so the
server's per-client budgets and fair shares tell them apart, as they would
on the open web; ``--same-address`` sends everything from 127.0.0.1.

Reported: normal traffic's p50/p95/p99 and error rate in each phase (per
kind and overall; latency is measured from the send, and also from the
scheduled send time, which counts the wait of requests that a stalled
client could not send on time), how each hostile query was answered (503
with Retry-After at the time limit, 503 when every worker is busy, 429 once
over budget, 400 for SERVICE) and how long each answer took (the issue:
within SPARQL_TIMEOUT_S + 1 s), the listener's connection count, and, when
the server was started here (or --server-pid is given), the peak RSS of the
server and of its SPARQL workers, sampled from /proc every 0.5 s, and the
write loop's saves (latency, failures, lost). One JSON line
(``RESULT {...}``) and a table. Exits 1 when a target of the issue fails:
normal traffic (pages, and all of it) p95 < 300 ms and p99 < 1 s during the
hostile phase, no errors, every hostile answer within the limit + 1 s,
SERVICE refused with 400 and no connection made, no failed or lost save.
The cheap SPARQL clients' own latency is reported and checked too.

``--attack`` chooses what the hostile phase sends (normal traffic, the
curator and the three phases are the same in each):

* ``classic`` (the default): the query kinds above, one client each;
* ``parse``: parse-heavy queries (issue 12, finding 1). ``--parse-connections``
  (8) connections from one address (127.0.2.1; ``--parse-addresses`` spreads
  them over 127.0.2.1..N) POST queries that are dear to parse with rdflib
  (``--parse-shape``: one triple pattern with a long list of objects,
  ``1, 1, 1, ...``, 16 s of rdflib alone for 4 KB, which from ~6 KB also
  crashes pyoxigraph's query planner; or a long CONCAT, ~1 s per KB, cheap
  for Oxigraph), sent to rdflib by the old code because of ``\\u`` escapes
  (``escapes``), the word SERVICE in a comment and a string with an escape
  (``comment``), or a real SERVICE clause (``service``, which must be
  refused with 400), in each of the ``--parse-sizes`` (2 KB, 4 KB, 64 KB,
  200 KB). A query over ``--check-max-bytes`` (65,536, the server's
  SPARQL_CHECK_MAX_BYTES) must be refused before any parse: 413 (or 429
  once its client is over budget). Before the fix, eight 4 KB queries from
  one address held the server's threads for 42 s and stalled pages for
  39 s;
* ``rotating``: heavy queries from rotating addresses (finding 6).
  ``--rotating-connections`` (8) clients send the cartesian COUNT and the
  unbounded property path, each query from an address never used before
  (127.0.4.1, 127.0.4.2, ...), so no record tells them apart from new
  clients; meanwhile ``--light-clients`` (8) new light clients, each from a
  fresh address of its own (127.0.250.i), spread over the hostile phase,
  send ``--light-queries`` (3) cheap SELECTs each. Before the fix 8 of 8
  light clients got 503 and page medians rose to 1.4 s.

Each mode prints the figures a closing note needs: pages' p50/p95/p99
under attack, saves acknowledged and lost, the slowest hostile answer and
the statuses seen (and, for ``rotating``, how many light clients got 503).
Every run stops by itself: each phase is bounded (600 s in all), each
request by ``--request-timeout``, and it targets the loopback network only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_test
from bench_serve_memory import RssSampler, load_average

TARGET_P95_MS = 300.0
TARGET_P99_MS = 1000.0
MAX_SECONDS = 600
DEFAULT_TIMEOUT_S = 5.0

CHEAP_SPARQL = ("PREFIX pockg: <https://w3id.org/pockg/ontology#>\n"
                "SELECT ?operation ?acronym WHERE { ?operation a pockg:PeaceOperation ; "
                "pockg:acronym ?acronym } ORDER BY ?acronym LIMIT 20")

RUN_OF_AS = "a" * 40 + "!"
HOSTILE = {
    "cartesian-count": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "order-by-cross-join": "SELECT ?a ?d WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 10",
    "catastrophic-regex": (
        "SELECT ?s WHERE { ?s ?p ?o . FILTER(isLiteral(?o) && STRLEN(STR(?o)) > 200) "
        f'FILTER(REGEX(CONCAT(STR(?o), "{RUN_OF_AS}"), "(a+)+$")) }}'),
    "property-path": ("SELECT (COUNT(*) AS ?n) WHERE { ?s (<urn:x:p>|!<urn:x:p>)* ?o }"),
    "service": None,      # seven variants, see service_queries()
}
ATTACKS = ("classic", "parse", "rotating")
ATTACK_SECONDS = {"classic": 90.0, "parse": 60.0, "rotating": 30.0}
PARSE_VARIANTS = ("escapes", "comment", "service")
PARSE_SIZES = (2048, 4096, 65536, 204800)
PARSE_SHAPES = ("objects", "concat")
CHECK_MAX_BYTES = 65536          # the server's default SPARQL_CHECK_MAX_BYTES
ROTATING_KINDS = ("cartesian-count", "property-path")


def parse_heavy_query(size: int, variant: str, url: str, shape: str = "objects") -> str:
    """A query of exactly ``size`` bytes that is dear for rdflib to parse, with what
    made the old server parse it in its request thread: ``\\u`` escapes
    (``escapes``), the word SERVICE in a comment and a string with an escape
    (``comment``), or a SERVICE clause (``service``).

    ``objects``: one subject and predicate with a long list of objects
    (``1, 1, 1, ...``), the dearest for rdflib (4 KB took 16 s of rdflib alone,
    more with several at once); from about 3,000 objects (6 KB) pyoxigraph 0.5.13
    crashes (segfault) when it plans the query, so a worker that gets one dies.
    ``concat``: one CONCAT of many one-character arguments under a FILTER on one
    row, about 1 s of rdflib per KB, answered by Oxigraph at once at any size."""
    subject = "<urn:pockg:\\u006eone>" if variant == "escapes" else "<urn:pockg:none>"
    prefix = {
        "escapes": "SELECT * WHERE { ",
        "comment": ("# SERVICE <" + url + "/sparql> or \\u0053ERVICE: only words\n"
                    "SELECT * WHERE { "),
        "service": "SELECT * WHERE { SERVICE <" + url + "/sparql> { ?s ?p ?o } ",
    }[variant]
    first = {"escapes": '"\\u0061"', "comment": '"SERVICE"', "service": "1"}[variant]
    if shape == "objects":
        head, tail = f"{prefix}{subject} <urn:pockg:none> {first}, ", " }"
    else:
        head = f"{prefix}VALUES ?o {{ {first} }} FILTER(CONCAT("
        tail = f') != "x" || {subject} = ?o) }}'
    room = size - len(head.encode()) - len(tail.encode())
    if room < 1:
        raise ValueError(f"{size} bytes is too short for a parse-heavy query")
    escape = '"\\u0031"' if variant == "escapes" else None
    args, used = [], 0
    while True:                      # every 16th argument an escape, when escaping
        arg = escape if escape and len(args) % 16 == 15 else "1"
        cost = len(arg) + (1 if args else 0)
        if used + cost > room:
            break
        args.append(arg)
        used += cost
    query = head + ",".join(args) + " " * (room - used) + tail
    assert len(query.encode()) == size
    return query


def sleep_until(moment: float, stagger: float = 0.0) -> None:
    """Wait until ``moment`` (time.monotonic), then ``stagger`` seconds more;
    no wait at all once it has passed."""
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay + stagger)


def size_label(size: int) -> str:
    return f"{size // 1024} KB" if size % 1024 == 0 else f"{size:,} B"


def service_queries(url: str) -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"select * where {{ service <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT <{url}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ BIND(<{url}/s> AS ?ep) SERVICE ?ep {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ ?x a ?t OPTIONAL {{ SERVICE <{url}/s> {{ ?x ?p ?o }} }} }} LIMIT 1",
        f"SELECT * WHERE {{ {{ SELECT ?s WHERE {{ SERVICE <{url}/s> {{ ?s ?p ?o }} }} }} }}",
        "SELECT * WHERE { \\u0053ERVICE <" + url + "/sparql> { ?s ?p ?o } }",
    ]


# -- a listener that counts connections (SERVICE must never reach it) ----------------
class Listener:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.5)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()


# -- HTTP with a chosen source address ------------------------------------------------
class Client:
    """One keep-alive connection from ``source`` (an address of the loopback network)."""

    def __init__(self, base: str, source: str | None, timeout: float):
        parts = urlsplit(base)
        self.host, self.port, self.source, self.timeout = parts.hostname, parts.port, source, timeout
        self.conn = None

    def _connect(self):
        self.conn = http.client.HTTPConnection(
            self.host, self.port, timeout=self.timeout,
            source_address=(self.source, 0) if self.source else None)

    def get(self, path: str, accept: str) -> tuple[int | str, dict, bytes]:
        """(status or error name, headers, body)."""
        return self.request("GET", path, accept)

    def request(self, method: str, path: str, accept: str, body: bytes | None = None,
                content_type: str | None = None) -> tuple[int | str, dict, bytes]:
        if self.conn is None:
            self._connect()
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            self.conn.request(method, path, body=body, headers=headers)
            r = self.conn.getresponse()
            body = r.read()
            headers = {k.lower(): v for k, v in r.getheaders()}
            if headers.get("connection", "").lower() == "close":
                self.close()
            return r.status, headers, body
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return f"error:{type(exc).__name__}", {}, b""

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class Curator:
    """A signed-in curator (from 127.0.3.1) editing lessons in a loop through the web
    forms, as a person would: every save is one POST with the revision it was based on."""

    PASSWORD = "adversarial-curator-pw"

    def __init__(self, base: str, name: str, timeout: float, same_address: bool):
        parts = urlsplit(base)
        self.host, self.port, self.timeout = parts.hostname, parts.port, timeout
        self.source = None if same_address else "127.0.3.1"
        self.name, self.cookie, self.conn = name, None, None

    def request(self, method: str, path: str, form: dict | None = None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout,
                source_address=(self.source, 0) if self.source else None)
        headers = {"Accept": "text/html"}
        body = None
        if self.cookie:
            headers["Cookie"] = self.cookie
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            r = self.conn.getresponse()
            data = r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.conn.close()
            self.conn = None
            return f"error:{type(exc).__name__}", {}, ""
        for key, value in r.getheaders():
            if key.lower() == "set-cookie" and value.startswith("pockg_session="):
                self.cookie = value.split(";", 1)[0]
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def token(self, path: str) -> str:
        status, _, page = self.request("GET", path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        if not found:
            raise RuntimeError(f"no form at {path} (status {status})")
        return found.group(1)

    def sign_in(self) -> None:
        status, _, _ = self.request("POST", "/login", {
            "name": self.name, "password": self.PASSWORD, "csrf_token": self.token("/login")})
        if status != 302:
            raise RuntimeError(f"the curator could not sign in (status {status})")

    def fields(self, n: int) -> dict:
        return {"prefLabel": f"Adversarial-load lesson {n}",
                "observation": f"Observation text, save number {n}.",
                "mission": ["operation/MONUC"], "tier": ["concept/T1"],
                "publicity": "concept/PUB-PUBLIC"}

    def create(self, n: int) -> str | None:
        status, headers, _ = self.request("POST", "/lessons/new", {
            **self.fields(n), "csrf_token": self.token("/lessons/new")})
        if status != 303:
            return None
        return headers["location"].rstrip("/").rsplit("/", 1)[-1]

    def edit(self, lesson: str, base: int, n: int) -> int | str:
        status, _, _ = self.request("POST", f"/lessons/{lesson}/edit", {
            **self.fields(n), "base": str(base),
            "csrf_token": self.token(f"/lessons/{lesson}/edit")})
        return status

    def stored(self, lesson: str) -> tuple[int, str]:
        """(revision, observation) as the server now has them."""
        _, _, page = self.request("GET", f"/lessons/{lesson}/edit")
        base = re.search(r'name="base" value="(\d+)"', page)
        text = re.search(r"save number (\d+)\.", page)
        return (int(base.group(1)) if base else -1, text.group(1) if text else "")


# -- records ---------------------------------------------------------------------------
@dataclass
class Sample:
    phase: str
    kind: str
    status: int | str
    ms: float             # from the send
    late_ms: float        # from the scheduled send time
    message: str = ""     # an error's message (what the server said)
    at_s: float = 0.0     # seconds into the run


@dataclass
class LightAnswer:
    """One cheap query of a new light client (rotating attack)."""

    client: str
    status: int | str
    seconds: float
    message: str = ""


@dataclass
class HostileAnswer:
    kind: str
    status: int | str
    category: str
    retry_after: str | None
    seconds: float
    message: str = ""


def categorise(status, body: bytes) -> tuple[str, str]:
    try:
        message = json.loads(body).get("error", "") if body[:1] == b"{" else ""
    except (ValueError, AttributeError):
        message = ""
    if status == 200:
        return "200 answered", message
    if status == 503 and "time limit" in message:
        return "503 time limit", message
    if status == 503 and "make room" in message:
        return "503 stopped for others", message
    if status == 503 and "memory" in message:
        return "503 memory cap", message
    if status == 503 and "busy" in message:
        return "503 workers busy", message
    if status == 429:
        return "429 over budget", message
    if status == 400 and "SERVICE" in message:
        return "400 SERVICE refused", message
    if status == 413:
        return "413 too long", message
    return f"{status}", message


def stats(samples: list[Sample], seconds: float, late: bool = False) -> dict:
    ms = sorted((s.late_ms if late else s.ms) for s in samples)
    errors = sum(1 for s in samples if not (isinstance(s.status, int) and 200 <= s.status < 400))
    p = load_test.percentile
    return {"n": len(samples), "rps": round(len(samples) / seconds, 1) if seconds else 0,
            "p50_ms": round(p(ms, 50), 1) if ms else None,
            "p95_ms": round(p(ms, 95), 1) if ms else None,
            "p99_ms": round(p(ms, 99), 1) if ms else None,
            "max_ms": round(ms[-1], 1) if ms else None,
            "errors": errors,
            "error_rate": round(errors / len(samples), 4) if samples else None,
            "statuses": dict(sorted(_count(str(s.status) for s in samples).items()))}


def _kind_order(kind: str) -> tuple:
    """Classic kinds in HOSTILE's order, then parse-heavy ones by size, then rotating."""
    if kind in HOSTILE:
        return (0, list(HOSTILE).index(kind), 0, kind)
    found = re.search(r"([\d,]+) (KB|B)$", kind)
    size = int(found.group(1).replace(",", "")) * (1024 if found.group(2) == "KB" else 1) \
        if found else 0
    return (1 if kind.startswith("parse") else 2, size, 0, kind)


def light_out(answers: list[LightAnswer], clients: int) -> dict:
    """How the new light clients were answered: how many got a 503, of how many."""
    if not clients:
        return {}
    by = defaultdict(list)
    for a in answers:
        by[a.client].append(a)
    seconds = sorted(a.seconds for a in answers)
    return {"clients": clients, "answered_clients": len(by),
            "clients_with_503": sum(1 for mine in by.values()
                                    if any(a.status == 503 for a in mine)),
            "clients_with_error": sum(1 for mine in by.values()
                                      if any(a.status != 200 for a in mine)),
            "queries": len(answers),
            "statuses": dict(sorted(_count(str(a.status) for a in answers).items())),
            "p50_ms": round(1000 * load_test.percentile(seconds, 50), 1) if seconds else None,
            "max_ms": round(1000 * seconds[-1], 1) if seconds else None,
            "examples": sorted({a.message for a in answers if a.message})[:3]}


def _count(items) -> dict:
    out = defaultdict(int)
    for i in items:
        out[i] += 1
    return out


# -- the run -------------------------------------------------------------------------------
def server_timeout(base: str) -> float:
    """The time limit stated in the server's service description."""
    request = urllib.request.Request(base + "/sparql", headers={"Accept": "text/turtle"})
    with urllib.request.urlopen(request, timeout=30) as r:
        text = r.read().decode("utf-8")
    found = re.search(r"stops after ([0-9.]+) s", text)
    if not found:
        raise SystemExit("could not read the time limit from the service description")
    return float(found.group(1))


def address(prefix: str, i: int, same: bool) -> str | None:
    return None if same else f"{prefix}.{i}"


def run(base: str, args, limit_s: float) -> dict:
    entity = load_test.entity_paths(base)
    sparql_path = "/sparql?" + urlencode({"query": CHEAP_SPARQL})
    load_test.warm_up(base, entity)
    load_test.warm_up(base, [sparql_path, sparql_path])      # starts the SPARQL workers
    lock = threading.Lock()
    samples: list[Sample] = []
    answers: list[HostileAnswer] = []
    listener = Listener()
    services = service_queries(listener.url)
    phases = [("baseline", args.baseline), ("hostile", args.hostile), ("recovery", args.recovery)]
    t_start = time.monotonic() + 2.0              # every thread starts on the same clock
    edges, t = {}, t_start
    for name, seconds in phases:
        edges[name] = (t, t + seconds)
        t += seconds
    end = t
    hostile_from, hostile_to = edges["hostile"]

    def phase_of(when: float) -> str:
        for name, (a, b) in edges.items():
            if a <= when < b:
                return name
        return "after"


    def keep(into: list, item) -> None:        # kept at once: a stuck client loses nothing
        with lock:
            into.append(item)

    unsent = [0]        # normal requests still due when the run ended (their client stalled)

    def normal(i: int):
        client = Client(base, address("127.0.1", i + 1, args.same_address), args.request_timeout)
        interval = 1.0 / args.rate
        rnd = random.Random(i)
        scheduled = t_start + rnd.random() * interval
        n = i * 7
        while scheduled < end:
            now = time.monotonic()
            if now >= end:                  # late past the end: the rest is never sent
                with lock:
                    unsent[0] += int((end - scheduled) / interval) + 1
                break
            if scheduled > now:
                time.sleep(scheduled - now)
            n += 1
            if args.sparql_every and n % args.sparql_every == 0:
                kind, path, accept = "sparql", sparql_path, "application/sparql-results+json"
            else:
                kind, path, accept = "entity", entity[n % len(entity)], "text/html"
            sent = time.monotonic()
            status, _headers, body = client.get(path, accept)
            done = time.monotonic()
            message = "" if status == 200 else categorise(status, body)[1][:160]
            keep(samples, Sample(phase_of(scheduled), kind, status, (done - sent) * 1000,
                                 (done - scheduled) * 1000, message, round(sent - t_start, 1)))
            scheduled += interval
        client.close()

    def hostile(k: int, kind: str, connection: int):
        client = Client(base, address("127.0.2", k + 1, args.same_address),
                        args.request_timeout)
        rnd = random.Random(k * 100 + connection)
        sleep_until(hostile_from, connection * 0.3)
        n = 0
        while time.monotonic() < hostile_to:
            query = services[n % len(services)] if kind == "service" else HOSTILE[kind]
            n += 1
            path = "/sparql?" + urlencode({"query": query})
            t0 = time.monotonic()
            status, headers, body = client.get(path, "application/sparql-results+json")
            seconds = time.monotonic() - t0
            category, message = categorise(status, body)
            keep(answers, HostileAnswer(kind, status, category, headers.get("retry-after"),
                                        seconds, message[:160]))
            time.sleep(args.hostile_pause * (0.5 + rnd.random()))
        client.close()

    def record(kind: str, status, headers: dict, body: bytes, seconds: float):
        category, message = categorise(status, body)
        keep(answers, HostileAnswer(kind, status, category, headers.get("retry-after"),
                                    seconds, message[:160]))

    def parse_heavy(connection: int):
        """POST parse-heavy queries of every size and variant, one after another."""
        spread = max(1, min(args.parse_addresses, 254))
        client = Client(base, address("127.0.2", connection % spread + 1, args.same_address),
                        args.request_timeout)
        combos = [(size, variant) for size in args.parse_sizes for variant in PARSE_VARIANTS]
        rnd = random.Random(500 + connection)
        sleep_until(hostile_from, connection * 0.05)
        n = connection
        while time.monotonic() < hostile_to:
            size, variant = combos[n % len(combos)]
            n += 1
            query = parse_heavy_query(size, variant, listener.url,
                                      args.parse_shape).encode("utf-8")
            t0 = time.monotonic()
            status, headers, body = client.request(
                "POST", "/sparql", "application/sparql-results+json", query,
                "application/sparql-query")
            record(f"parse {variant} {size_label(size)}", status, headers, body,
                   time.monotonic() - t0)
            time.sleep(args.hostile_pause * (0.5 + rnd.random()))
        client.close()

    rotation = iter(range(246 * 254))           # 127.0.4.1 ... 127.0.249.254
    light_answers: list[LightAnswer] = []

    def rotating(connection: int):
        """Heavy queries, each from a loopback address never used before."""
        rnd = random.Random(700 + connection)
        sleep_until(hostile_from, connection * 0.1)
        n = connection
        while time.monotonic() < hostile_to:
            with lock:
                k = next(rotation)
            client = Client(base, f"127.0.{4 + k // 254}.{1 + k % 254}", args.request_timeout)
            kind = ROTATING_KINDS[n % len(ROTATING_KINDS)]
            n += 1
            t0 = time.monotonic()
            status, headers, body = client.get("/sparql?" + urlencode({"query": HOSTILE[kind]}),
                                               "application/sparql-results+json")
            record(f"rotating {kind}", status, headers, body, time.monotonic() - t0)
            client.close()
            time.sleep(args.hostile_pause * (0.5 + rnd.random()))

    def light(i: int):
        """A new client (an address of its own, no record) sending a few cheap SELECTs."""
        source = f"127.0.250.{i + 1}"
        start = hostile_from + (i + 0.5) * (hostile_to - hostile_from) / args.light_clients
        sleep_until(start)
        client = Client(base, source, args.request_timeout)
        for q in range(args.light_queries):
            t0 = time.monotonic()
            status, _headers, body = client.get(sparql_path, "application/sparql-results+json")
            keep(light_answers, LightAnswer(
                source, status, time.monotonic() - t0,
                "" if status == 200 else categorise(status, body)[1][:160]))
            if q + 1 < args.light_queries:
                time.sleep(1.0)
        client.close()

    writes: list[Sample] = []
    ledger: dict = {}                 # lesson -> (revision, save number) last acknowledged
    write_errors: list[str] = []
    lost: list[str] = []              # acknowledged saves missing at the end
    unverified: list[str] = []        # lessons the server did not show at the end

    def curator_loop():
        curator = Curator(base, args.curator, args.request_timeout, args.same_address)
        try:
            curator.sign_in()
        except RuntimeError as exc:
            write_errors.append(str(exc))
            return
        n, lesson, revision = 0, None, 0
        rnd = random.Random(99)
        sleep_until(t_start)
        while time.monotonic() < end:
            n += 1
            sent = time.monotonic()
            try:
                if lesson is None or revision >= args.edits_per_lesson:
                    created = curator.create(n)
                    status = 303 if created else "create failed"
                    if created:
                        lesson, revision = created, 1
                        ledger[lesson] = (revision, str(n))
                else:
                    status = curator.edit(lesson, revision, n)
                    if status == 303:
                        revision += 1
                        ledger[lesson] = (revision, str(n))
            except RuntimeError as exc:                 # no form: the server did not answer
                status = str(exc)
            done = time.monotonic()
            writes.append(Sample(phase_of(sent), "write", status, (done - sent) * 1000,
                                 (done - sent) * 1000))
            if status != 303:
                write_errors.append(f"save {n}: {status}")
                if lesson is not None:      # a save not acknowledged may still have landed
                    stored = curator.stored(lesson)
                    if stored[1] == str(n):
                        revision = stored[0]
                        ledger[lesson] = (revision, str(n))
            time.sleep(args.write_pause * (0.5 + rnd.random()))
        for lesson, (revision, number) in ledger.items():     # every acknowledged save kept?
            stored = curator.stored(lesson)
            for _ in range(3):              # a stalled server gets a little longer to answer
                if stored[0] != -1:
                    break
                time.sleep(5)
                stored = curator.stored(lesson)
            if stored[0] == -1:
                unverified.append(lesson)
                write_errors.append(f"lesson {lesson}: acknowledged revision {revision} "
                                    f"(save {number}), not verified: no answer")
            elif stored != (revision, number):
                lost.append(lesson)
                write_errors.append(f"lesson {lesson}: acknowledged revision {revision} "
                                    f"(save {number}), stored {stored}")

    threads = [threading.Thread(target=normal, args=(i,), daemon=True)
               for i in range(args.clients)]
    if args.curator:
        threads.append(threading.Thread(target=curator_loop, daemon=True))
    kinds = [k for k in HOSTILE if k in args.kinds] if args.attack == "classic" else []
    threads += [threading.Thread(target=hostile, args=(k, kind, c), daemon=True)
                for k, kind in enumerate(kinds)
                for c in range(1 if kind == "service" else args.hostile_connections)]
    if args.attack == "parse":
        threads += [threading.Thread(target=parse_heavy, args=(c,), daemon=True)
                    for c in range(args.parse_connections)]
    if args.attack == "rotating":
        threads += [threading.Thread(target=rotating, args=(c,), daemon=True)
                    for c in range(args.rotating_connections)]
    threads += [threading.Thread(target=light, args=(i,), daemon=True)
                for i in range(args.light_clients)]
    loads = {}
    sampler_thread_stop = threading.Event()

    def watch_load():           # the load average at the middle of each phase
        for name, (a, b) in edges.items():
            while time.monotonic() < (a + b) / 2 and not sampler_thread_stop.is_set():
                time.sleep(0.2)
            loads[name] = load_average()

    watcher = threading.Thread(target=watch_load, daemon=True)
    watcher.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=end - time.monotonic() + 2 * args.request_timeout + 30)
    sampler_thread_stop.set()
    listener.close()

    normal_out = {}
    for name, (a, b) in edges.items():
        mine = [s for s in samples if s.phase == name]
        normal_out[name] = {
            "seconds": round(b - a, 1), "load_average": loads.get(name),
            "all": stats(mine, b - a),
            "all_from_schedule": stats(mine, b - a, late=True),
            "entity": stats([s for s in mine if s.kind == "entity"], b - a),
            "sparql": stats([s for s in mine if s.kind == "sparql"], b - a)}
    hostile_out = {}
    for kind in sorted({h.kind for h in answers}, key=_kind_order):
        mine = [h for h in answers if h.kind == kind]
        by = defaultdict(list)
        for h in mine:
            by[h.category].append(h)
        hostile_out[kind] = {
            cat: {"n": len(hs),
                  "retry_after": sorted({h.retry_after for h in hs if h.retry_after}),
                  "without_retry_after": sum(1 for h in hs if not h.retry_after),
                  "p50_s": round(load_test.percentile(sorted(h.seconds for h in hs), 50), 2),
                  "max_s": round(max(h.seconds for h in hs), 2),
                  "over_limit_plus_1s": sum(1 for h in hs if h.seconds > limit_s + 1),
                  "example": hs[0].message}
            for cat, hs in sorted(by.items())}
    writes_out = {name: stats([w for w in writes if w.phase == name], b - a)
                  for name, (a, b) in edges.items()} if args.curator else {}
    failed = [s for s in samples if s.status != 200]
    normal_errors = [{"phase": s.phase, "kind": s.kind, "status": s.status, "at_s": s.at_s,
                      "ms": round(s.ms), "message": s.message} for s in failed[:10]]
    return {"normal": normal_out, "hostile": hostile_out, "writes": writes_out,
            "normal_errors": normal_errors,
            "acknowledged_saves": sum(1 for w in writes if w.status == 303),
            "lessons_written": len(ledger), "write_problems": write_errors[:20],
            "write_problem_count": len(write_errors), "saves_lost": len(lost),
            "saves_unverified": len(unverified),
            "normal_unsent": unsent[0],
            "light": light_out(light_answers, args.light_clients),
            "service_listener_connections": listener.connections,
            "entity_urls": len(entity)}


def print_table(result: dict) -> None:
    limit = result["timeout_s"]
    print()
    print(f"{result['date']}  {platform.node()}  {os.cpu_count()} cores  Python "
          f"{platform.python_version()}  SPARQL_TIMEOUT_S {limit:g} ({result['timeout_source']})")
    print(f"normal traffic: {result['clients']} clients x {result['rate']:g} req/s "
          f"(every {result['sparql_every']}th a cheap SPARQL SELECT), distinct addresses: "
          f"{not result['same_address']}; attack: {result['attack']}")
    print(f"\n{'phase':9} {'kind':18} {'req':>6} {'req/s':>6} {'p50 ms':>8} {'p95 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>9} {'errors':>7}  load avg")
    for phase, block in result["normal"].items():
        for kind in ("entity", "sparql", "all"):
            s = block[kind]
            if not s["n"]:
                continue
            label = kind
            print(f"{phase:9} {label:18} {s['n']:6} {s['rps']:6} {s['p50_ms']:8} {s['p95_ms']:8} "
                  f"{s['p99_ms']:8} {s['max_ms']:9} {s['errors']:4} ({100 * s['error_rate']:.1f} %)"
                  f"  {block['load_average'] if kind == 'entity' else ''}")
    print(f"\n{'hostile kind':28} {'answer':22} {'n':>5} {'Retry-After':>12} {'p50 s':>7} "
          f"{'max s':>7} {'> limit+1 s':>11}")
    for kind, cats in result["hostile"].items():
        for cat, c in cats.items():
            values = sorted(int(v) for v in c["retry_after"] if v.isdigit())
            ra = (f"{values[0]}" if len(values) == 1 else f"{values[0]}-{values[-1]}"
                  if values else "-")
            if c["without_retry_after"] and c["retry_after"]:
                ra += f" ({c['without_retry_after']} none)"
            print(f"{kind:28} {cat:22} {c['n']:5} {ra:>12} {c['p50_s']:7} {c['max_s']:7} "
                  f"{c['over_limit_plus_1s']:11}")
    light = result.get("light")
    if light:
        print(f"\nnew light clients: {light['clients_with_503']} of {light['clients']} got 503 "
              f"({light['clients_with_error']} any error); {light['queries']} cheap queries, "
              f"statuses {light['statuses']}, p50 {light['p50_ms']} ms, max {light['max_ms']} ms")
        for example in light["examples"]:
            print(f"  e.g. {example}")
    if result.get("writes"):
        print(f"\ncurator write loop: {result['acknowledged_saves']} saves acknowledged on "
              f"{result['lessons_written']} lessons, {result['write_problem_count']} problems "
              "(failed saves, or an acknowledged save missing afterwards)")
        for phase, w in result["writes"].items():
            if w["n"]:
                print(f"  {phase:9} saves {w['n']:5}  p50 {w['p50_ms']} ms  p95 {w['p95_ms']} ms"
                      f"  p99 {w['p99_ms']} ms  errors {w['errors']}")
    for e in result.get("normal_errors", []):
        print(f"normal error: {e['phase']} {e['kind']} at {e['at_s']} s: {e['status']} after "
              f"{e['ms']} ms: {e['message']}")
    print(f"\nSERVICE listener: {result['service_listener_connections']} connection(s)")
    rss = result.get("rss")
    if rss:
        print(f"peak RSS: server + workers {rss['peak_total_rss_mib']:,} MiB (Pss "
              f"{rss['peak_total_pss_mib']:,}), server {rss['peak_server_rss_mib']:,} MiB, "
              f"largest worker {rss['peak_worker_rss_mib']:,} MiB, up to "
              f"{rss['max_processes']} processes")


def closing_figures(result: dict) -> dict:
    """What a closing note quotes: pages under attack, saves lost, the slowest hostile answer."""
    under, after = result["normal"]["hostile"], result["normal"]["recovery"]
    keys = ("p50_ms", "p95_ms", "p99_ms", "max_ms")
    answers = [(c["max_s"], f"{kind}: {cat}") for kind, cats in result["hostile"].items()
               for cat, c in cats.items()]
    slowest = max(answers, default=(None, "no hostile answer"))
    statuses = defaultdict(int)
    for cats in result["hostile"].values():
        for cat, c in cats.items():
            statuses[cat] += c["n"]
    out = {"attack": result["attack"],
           "pages_under_attack": {k: under["entity"][k] for k in keys},
           "normal_under_attack": {k: under["all"][k] for k in keys},
           "normal_errors_under_attack": under["all"]["errors"],
           "normal_requests_under_attack": under["all"]["n"],
           "normal_unsent": result.get("normal_unsent", 0),
           "pages_after_attack": {k: after["entity"][k] for k in keys},
           "saves_acknowledged": result["acknowledged_saves"],
           "saves_lost": result["saves_lost"],
           "saves_unverified": result.get("saves_unverified", 0),
           "saves_failed": (result["write_problem_count"] - result["saves_lost"]
                            - result.get("saves_unverified", 0)),
           "slowest_hostile_answer_s": slowest[0], "slowest_hostile_answer": slowest[1],
           "hostile_statuses": dict(sorted(statuses.items()))}
    if result.get("light"):
        out["light_clients_with_503"] = (f"{result['light']['clients_with_503']} of "
                                         f"{result['light']['clients']}")
    return out


def print_closing(c: dict) -> None:
    def ms(d: dict) -> str:
        return f"p50 {d['p50_ms']} / p95 {d['p95_ms']} / p99 {d['p99_ms']} ms (max {d['max_ms']})"

    print(f"\nfor the closing note (attack {c['attack']}):")
    print(f"  pages under attack:      {ms(c['pages_under_attack'])}")
    print(f"  all normal traffic:      {ms(c['normal_under_attack'])}, "
          f"{c['normal_errors_under_attack']} errors of {c['normal_requests_under_attack']}")
    if c["normal_unsent"]:
        print(f"  normal requests never sent (their clients stalled to the end): "
              f"{c['normal_unsent']}")
    print(f"  pages after the attack:  {ms(c['pages_after_attack'])}")
    print(f"  saves: {c['saves_acknowledged']} acknowledged, {c['saves_lost']} lost, "
          f"{c['saves_failed']} failed"
          + (f", {c['saves_unverified']} lesson(s) not verified (no answer at the end)"
             if c["saves_unverified"] else ""))
    print(f"  slowest hostile answer:  {c['slowest_hostile_answer_s']} s "
          f"({c['slowest_hostile_answer']})")
    print(f"  hostile answers:         {c['hostile_statuses']}")
    if "light_clients_with_503" in c:
        print(f"  new light clients with 503: {c['light_clients_with_503']}")


def checks(result: dict) -> list[tuple[str, bool]]:
    out = []
    limit = result["timeout_s"]
    h = result["normal"]["hostile"]
    for kind in ("entity", "sparql", "all"):
        s = h[kind]
        if s["n"]:
            out.append(((f"hostile phase, normal {kind}: p95 {s['p95_ms']} ms < {TARGET_P95_MS:g}, "
                         f"p99 {s['p99_ms']} ms < {TARGET_P99_MS:g}, {s['errors']} errors"),
                        s["p95_ms"] < TARGET_P95_MS and s["p99_ms"] < TARGET_P99_MS
                        and s["errors"] == 0))
    late = [c for cats in result["hostile"].values() for c in cats.values()]
    over = sum(c["over_limit_plus_1s"] for c in late)
    worst = max((c["max_s"] for c in late), default=0)
    out.append((f"hostile answers within {limit:g} + 1 s: {over} over, slowest {worst} s",
                over == 0))
    no_ra = sum(c["without_retry_after"] for cats in result["hostile"].values()
                for cat, c in cats.items() if cat.startswith(("503", "429")))
    out.append((f"every 503/429 has Retry-After ({no_ra} without)", no_ra == 0))
    if result.get("writes"):
        out.append((f"curator write loop: {result['acknowledged_saves']} saves acknowledged, "
                    f"{result['write_problem_count']} failed or lost",
                    result["write_problem_count"] == 0 and result["acknowledged_saves"] > 0))
    svc = result["hostile"].get("service", {})
    if svc:
        bad = sum(c["n"] for cat, c in svc.items() if cat != "400 SERVICE refused")
        out.append(((f"SERVICE refused with 400 ({bad} other answers), "
                     f"{result['service_listener_connections']} connections"),
                    bad == 0 and result["service_listener_connections"] == 0))
    if result["attack"] == "parse":
        s = h["entity"]
        out.append((f"pages under the parse-heavy attack: p95 {s['p95_ms']} ms < 1000 (finding 1)",
                    bool(s["n"]) and s["p95_ms"] < 1000))
        limit_bytes = result["check_max_bytes"]
        long_kinds = [k for k in result["hostile"] if _kind_order(k)[1] > limit_bytes]
        short_kinds = [k for k in result["hostile"] if k not in long_kinds]
        bad_long = sum(c["n"] for k in long_kinds for cat, c in result["hostile"][k].items()
                       if cat not in ("413 too long", "429 over budget"))
        bad_short = sum(c["n"] for k in short_kinds
                        for cat, c in result["hostile"][k].items() if cat == "413 too long")
        out.append(((f"queries over {limit_bytes:,} bytes answered 413 or 429 ({bad_long} "
                     f"otherwise), "
                     f"none under it ({bad_short})"),
                    bad_long == 0 and bad_short == 0 and bool(long_kinds or not any(
                        size > limit_bytes for size in result["parse_sizes"]))))
        served = sum(c["n"] for k in result["hostile"] if "service" in k.split()
                     for cat, c in result["hostile"][k].items() if cat.startswith("200"))
        out.append(((f"parse-heavy SERVICE never answered 200 ({served}), "
                     f"{result['service_listener_connections']} connections"),
                    served == 0 and result["service_listener_connections"] == 0))
    light = result.get("light")
    if light:
        out.append(((f"new light clients: {light['clients_with_503']} of {light['clients']} "
                     f"got 503 ({light['answered_clients']} answered; finding 6)"),
                    light["clients_with_503"] == 0
                    and light["answered_clients"] == light["clients"]))
    return out


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of byte counts: {text!r}") from None
    if not sizes or any(not 256 <= size <= 1_000_000 for size in sizes):
        raise argparse.ArgumentTypeError("each size must be 256 to 1,000,000 bytes")
    return sizes


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", help="a running server on this machine (loopback only)")
    ap.add_argument("--server-pid", type=int, help="with --url: sample this process tree's RSS")
    ap.add_argument("--store", type=Path, help="a built store to serve (else one is built)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S,
                    help="POCKG_SPARQL_TIMEOUT_S of the server started here (default 5)")
    ap.add_argument("--workers", type=int, help="POCKG_SPARQL_WORKERS (server default 2)")
    ap.add_argument("--server-threads", type=int, help="waitress threads (default 8)")
    ap.add_argument("--clients", type=int, default=20, help="normal clients (20)")
    ap.add_argument("--rate", type=float, default=5.0, help="requests/s per normal client (5)")
    ap.add_argument("--sparql-every", type=int, default=5,
                    help="every Nth normal request is the cheap SPARQL SELECT (5; 0: none)")
    ap.add_argument("--baseline", type=float, default=30, help="seconds without hostiles (30)")
    ap.add_argument("--hostile", type=float,
                    help="seconds with hostiles (classic 90, parse 60, rotating 30)")
    ap.add_argument("--recovery", type=float, default=15, help="seconds after them (15)")
    ap.add_argument("--hostile-connections", type=int, default=1,
                    help="concurrent connections per hostile query kind (1)")
    ap.add_argument("--hostile-pause", type=float, default=0.1,
                    help="seconds a hostile client waits between its queries (0.1)")
    ap.add_argument("--kinds", nargs="+", default=list(HOSTILE), choices=list(HOSTILE),
                    help="classic attack: hostile query kinds (default: all)")
    ap.add_argument("--attack", choices=ATTACKS, default="classic",
                    help="what the hostile phase sends: classic (the query kinds above), "
                         "parse (parse-heavy queries, finding 1) or rotating (heavy queries "
                         "from rotating addresses while new light clients query, finding 6)")
    ap.add_argument("--parse-connections", type=int, default=8,
                    help="parse attack: concurrent connections (8)")
    ap.add_argument("--parse-addresses", type=int, default=1,
                    help="parse attack: spread the connections over 127.0.2.1..N (1: all "
                         "from one address, as in the finding)")
    ap.add_argument("--parse-sizes", type=_sizes, default=PARSE_SIZES,
                    help="parse attack: query sizes in bytes, comma-separated "
                         "(2048,4096,65536,204800: one query of each size and variant in turn)")
    ap.add_argument("--parse-shape", choices=PARSE_SHAPES, default="objects",
                    help="parse attack: objects (one pattern with a long object list: the "
                         "dearest for rdflib, and from ~6 KB it crashes pyoxigraph's planner, so "
                         "a worker that gets one dies) or concat (a long CONCAT under a FILTER: "
                         "~1 s of rdflib per KB, cheap for Oxigraph at any size); default objects")
    ap.add_argument("--check-max-bytes", type=int, default=CHECK_MAX_BYTES,
                    help="the server's SPARQL_CHECK_MAX_BYTES: longer queries must get 413 "
                         "(65536)")
    ap.add_argument("--rotating-connections", type=int, default=8,
                    help="rotating attack: concurrent heavy queries, each from a new address (8)")
    ap.add_argument("--light-clients", type=int,
                    help="new light clients during the hostile phase, each from a fresh "
                         "address 127.0.250.i (rotating: 8; otherwise 0)")
    ap.add_argument("--light-queries", type=int, default=3,
                    help="cheap SELECTs each new light client sends, 1 s apart (3)")
    ap.add_argument("--same-address", action="store_true",
                    help="every client from 127.0.0.1 (one budget for all)")
    ap.add_argument("--request-timeout", type=float, default=60.0,
                    help="seconds a client waits for an answer before it gives up (60)")
    ap.add_argument("--curator", default="adv-curator",
                    help="the curator account of the write loop (made here when the server "
                         "is started here; with --url it must exist, its password in "
                         "$ADVERSARIAL_CURATOR_PASSWORD); '' for no write loop")
    ap.add_argument("--write-pause", type=float, default=0.2,
                    help="seconds between the curator's saves (0.2, jittered)")
    ap.add_argument("--edits-per-lesson", type=int, default=25,
                    help="saves on one lesson before the curator starts another (25)")
    args = ap.parse_args(argv)
    if args.hostile is None:
        args.hostile = ATTACK_SECONDS[args.attack]
    if args.light_clients is None:
        args.light_clients = 8 if args.attack == "rotating" else 0
    args.light_clients = max(0, min(args.light_clients, 254))
    args.light_queries = max(1, min(args.light_queries, 20))
    args.parse_connections = max(1, min(args.parse_connections, 32))
    args.rotating_connections = max(1, min(args.rotating_connections, 32))
    if args.same_address and (args.attack == "rotating" or args.light_clients):
        raise SystemExit("rotating addresses and new light clients need distinct addresses "
                         "(drop --same-address)")
    if args.baseline + args.hostile + args.recovery > MAX_SECONDS:
        raise SystemExit(f"the phases add up to over {MAX_SECONDS} s")
    args.clients = max(1, min(args.clients, 60))

    server, tmp, sampler = None, None, None
    result = {"date": date.today().isoformat(), "clients": args.clients, "rate": args.rate,
              "sparql_every": args.sparql_every, "same_address": args.same_address,
              "hostile_connections": args.hostile_connections, "attack": args.attack,
              "parse_sizes": list(args.parse_sizes), "parse_shape": args.parse_shape,
              "check_max_bytes": args.check_max_bytes,
              "load_average_before": load_average()}
    try:
        if args.url:
            base = load_test.require_loopback(args.url)
            if urlsplit(base).hostname != "127.0.0.1" and not args.same_address:
                raise SystemExit("distinct client addresses need the server at 127.0.0.1 "
                                 "(or pass --same-address)")
            result["timeout_s"] = server_timeout(base)
            Curator.PASSWORD = os.environ.get("ADVERSARIAL_CURATOR_PASSWORD", Curator.PASSWORD)
            result["timeout_source"] = "read from the server's service description"
            pid = args.server_pid
        else:
            tmp = Path(tempfile.mkdtemp(prefix="pockg-adversarial-"))
            store = tmp / "store"
            if args.store is None:
                load_test.build_store(store)
            else:                         # the write loop saves lessons: never into yours
                shutil.copytree(args.store, store)
                for extra in (".public", ".search.sqlite"):
                    if Path(str(args.store) + extra).exists():
                        copy = shutil.copytree if Path(str(args.store) + extra).is_dir() \
                            else shutil.copy2
                        copy(str(args.store) + extra, str(store) + extra)
            if args.curator:
                subprocess.run([*load_test.pockg_command(), "user", "add", args.curator,
                                "--role", "curator", "--password-stdin", "--store", str(store)],
                               input=Curator.PASSWORD + "\n", text=True, check=True,
                               stdout=subprocess.DEVNULL, env=load_test.server_env())
            config = {"SPARQL_TIMEOUT_S": args.timeout}
            if args.workers:
                config["SPARQL_WORKERS"] = args.workers
            server = load_test.Server(store, tmp / "serve.log", args.server_threads, config)
            server.wait_healthy()
            base = server.url
            result["timeout_s"] = args.timeout
            result["timeout_source"] = ("POCKG_SPARQL_TIMEOUT_S set by this benchmark; "
                                        "other settings: server defaults")
            pid = server.process.pid
            print(f"pockg serve (production profile, SPARQL_TIMEOUT_S={args.timeout:g}) at "
                  f"{base}, log {server.log}", file=sys.stderr, flush=True)
        if pid:
            sampler = RssSampler(pid, 0.5).start()
        print(f"phases: baseline {args.baseline:g} s, hostile {args.hostile:g} s, recovery "
              f"{args.recovery:g} s; load average {result['load_average_before']}",
              file=sys.stderr, flush=True)
        result.update(run(base, args, result["timeout_s"]))
    finally:
        if sampler is not None:
            result["rss"] = sampler.stop().as_dict()
        if server is not None:
            server.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    result["load_average_after"] = load_average()
    result["closing"] = closing_figures(result)
    print("RESULT " + json.dumps(result), flush=True)
    print_table(result)
    print_closing(result["closing"])
    ok = True
    print()
    for text, passed in checks(result):
        print(f"  {'PASS' if passed else 'FAIL'}  {text}")
        ok &= passed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

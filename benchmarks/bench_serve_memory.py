"""Benchmark: load rate into the embedded store, and peak memory of `pockg serve` at 1M and 10M.

Run by hand (not part of the test suite; 10M takes 10-15 minutes on 2 cores):
    .venv/bin/python benchmarks/bench_serve_memory.py                       # 1M, then 10M
    .venv/bin/python benchmarks/bench_serve_memory.py --sizes 1000000 --duration 30  # quick
    .venv/bin/python benchmarks/bench_serve_memory.py --serve-as public,curator --optimize
    .venv/bin/python benchmarks/bench_serve_memory.py --work /big/disk --keep

For each size (``--sizes``, statements):

1. writes the synthetic graph of benchmarks/synthetic.py (N-Quads, the
   curated graph plus renamed copies of its instance data) into ``--work DIR``
   (default: a new folder under /tmp; ``df -h`` is printed and a warning
   given when the free space looks short);
2. loads it into an on-disk store as ``pockg load`` does
   (``pockg.bulk.load_store``: Oxigraph's bulk loader on two pieces of the
   file at once, the parse included) and reports the load rate in
   statements/s (target: at least 150k/s at 1M; ``benchmarks/bench_load.py``
   measures it alone, with medians); the public replica is made the same way;
   ``--optimize`` then compacts the store (``Store.optimize``);
3. does what ``pockg build`` does after writing the store: brings the public
   replica up to date (``pockg.replica.sync`` into ``<store>.public``) and
   builds the search index on it (``<store>.search.sqlite``), in a child
   process killed after
   ``--index-timeout`` seconds; when it does not finish, that size is served
   without the index and larger sizes do not try (``--no-index``: skip);
4. for each pass of ``--serve-as`` (``public``: anonymous, pages query the
   public replica; ``curator``/``admin``: signed in with an account made by
   ``pockg user add``, pages query the union of the graphs) starts
   ``pockg serve --read-only`` (production profile, SPARQL time limit as
   configured: 10 s unless POCKG_SPARQL_TIMEOUT_S is set) on a free port;
5. sends a mix of requests from ``--clients`` concurrent clients for
   ``--duration`` seconds: the home page, entity pages of every kind (curated
   and synthetic), library query pages, /compare, SPARQL queries (a cheap
   SELECT, a 20,000-row SELECT cut at the row cap, a COUNT over every
   statement, a DESCRIBE) and, with the index, /suggest;
6. samples, every 0.5 s from /proc, the resident memory (VmRSS) of the
   server process and of all its descendants (the SPARQL worker processes),
   and their proportional share (Pss, which does not count shared pages
   twice); reports the peak of the sum (target: under 4 GB at 10M). Past
   ``--rss-cap-gb`` (default 12) the server is killed to protect the machine.

Prints one JSON line per size (``RESULT {...}``) and a table at the end.
The server is stopped in every case; the work folder is deleted unless
``--keep``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load_test
import pyoxigraph as ox
import synthetic

from pockg.bulk import load_store

REPO = Path(__file__).resolve().parents[1]
TARGET_LOAD_RATE = 150_000          # statements/s at 1M
TARGET_RSS_BYTES = 4 * 10**9        # "under 4 GB" at 10M
GIB = 2**30
MIB = 2**20
ID = "https://w3id.org/pockg/id/"
POCKG = "https://w3id.org/pockg/ontology#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

ENTITY_KINDS = [(POCKG + "PeaceOperation", 10), (POCKG + "ProtectionStrategy", 6),
                (SKOS + "Concept", 6), (POCKG + "Paragraph", 8), (POCKG + "Recommendation", 6),
                (POCKG + "Actor", 4), (POCKG + "Resolution", 6), (POCKG + "Document", 4)]
LIBRARY_PAGES = ["drafting-lead", "tier-coverage", "mandate-timeline", "recommendations"]
SPARQL_QUERIES = {
    "select-cheap": (
        "PREFIX pockg: <https://w3id.org/pockg/ontology#>\n"
        "SELECT DISTINCT ?operation ?acronym WHERE { ?operation a pockg:PeaceOperation ; "
        "pockg:acronym ?acronym } ORDER BY ?acronym LIMIT 50"),
    "select-20k-rows": "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 20000",
    "count-all": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "describe": "DESCRIBE <https://w3id.org/pockg/id/operation/MONUC>",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# -- memory of a process tree ------------------------------------------------------
def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read().decode("ascii", "replace")
        except OSError:
            continue
        # pid (comm) state ppid ... ; comm may hold spaces and parentheses
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children[ppid].append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants."""
    children, out, stack = _children_map(), [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        stack.extend(children.get(p, ()))
    return out


def memory_of(pid: int) -> dict[str, int] | None:
    """VmRSS, RssAnon, RssFile and Pss of one process, bytes (None if it is gone)."""
    out = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                    out[key] = int(line.split()[1]) * 1024
        with open(f"/proc/{pid}/smaps_rollup", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Pss:"):
                    out["Pss"] = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return out if "VmRSS" in out else None


@dataclass
class Peaks:
    total_rss: int = 0          # peak of the sum of VmRSS over the tree
    total_pss: int = 0
    total_anon: int = 0
    server_rss: int = 0         # peak of the server process alone
    worker_rss: int = 0         # peak of any one descendant
    processes: int = 0          # most processes seen at once
    samples: int = 0
    at_peak: dict = field(default_factory=dict)   # pid -> VmRSS at the peak of the total

    def as_dict(self) -> dict:
        return {"peak_total_rss_mib": round(self.total_rss / MIB, 1),
                "peak_total_pss_mib": round(self.total_pss / MIB, 1),
                "peak_total_anon_mib": round(self.total_anon / MIB, 1),
                "peak_server_rss_mib": round(self.server_rss / MIB, 1),
                "peak_worker_rss_mib": round(self.worker_rss / MIB, 1),
                "max_processes": self.processes, "samples": self.samples}


class RssSampler:
    """Samples a process and its descendants every ``interval`` s until stopped."""

    def __init__(self, pid: int, interval: float = 0.5, cap_bytes: int | None = None,
                 on_cap=None):
        self.pid, self.interval = pid, interval
        self.cap_bytes, self.on_cap, self.capped = cap_bytes, on_cap, False
        self.peaks = Peaks()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def start(self) -> RssSampler:
        self._thread.start()
        return self

    def sample(self) -> None:
        p = self.peaks
        seen = {pid: m for pid in process_tree(self.pid) if (m := memory_of(pid))}
        if not seen:
            return
        rss = sum(m["VmRSS"] for m in seen.values())
        p.samples += 1
        p.processes = max(p.processes, len(seen))
        p.total_pss = max(p.total_pss, sum(m.get("Pss", 0) for m in seen.values()))
        p.total_anon = max(p.total_anon, sum(m.get("RssAnon", 0) for m in seen.values()))
        if self.pid in seen:
            p.server_rss = max(p.server_rss, seen[self.pid]["VmRSS"])
        others = [m["VmRSS"] for pid, m in seen.items() if pid != self.pid]
        if others:
            p.worker_rss = max(p.worker_rss, max(others))
        if rss > p.total_rss:
            p.total_rss = rss
            p.at_peak = {pid: round(m["VmRSS"] / MIB, 1) for pid, m in seen.items()}
        if self.cap_bytes and rss > self.cap_bytes and not self.capped:
            self.capped = True          # protect the machine: the caller stops the server
            if self.on_cap:
                self.on_cap()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def stop(self) -> Peaks:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.peaks


# -- the server ----------------------------------------------------------------------
class ReadOnlyServer(load_test.Server):
    """``pockg serve --read-only`` on ``store`` (production profile), on a free port."""

    def __init__(self, store: Path, log_path: Path, threads: int | None, config: dict):
        self.port = load_test.free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [*load_test.pockg_command(), "serve", "--store", str(store), "--read-only",
                "--host", "127.0.0.1", "--port", str(self.port)]
        if threads:
            args += ["--threads", str(threads)]
        self.log = log_path
        self._out = open(log_path, "wb")  # noqa: SIM115 - closed by stop()
        env = load_test.server_env(**config)
        for key, value in os.environ.items():      # keep the operator's POCKG_SPARQL_* limits
            if key.startswith("POCKG_SPARQL_"):
                env[key] = value
        self.process = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=env)


# -- the request mix -----------------------------------------------------------------------
def entity_paths(store: ox.Store, curated_iris: set[str], seed: int) -> list[str]:
    """Entity pages of every kind, curated and synthetic, sampled with a seeded RNG."""
    rnd = random.Random(seed)
    out = []
    for cls, n in ENTITY_KINDS:
        iris = sorted({q.subject.value for q in store.quads_for_pattern(
            None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(cls), None)
            if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(ID)})
        curated = [i for i in iris if i in curated_iris]
        picks = rnd.sample(iris, min(n // 2, len(iris))) + rnd.sample(curated, min(n - n // 2,
                                                                                 len(curated)))
        out += ["/id/" + iri[len(ID):] for iri in dict.fromkeys(picks)]
    return out


def suggest_paths(seed: int, n: int = 20) -> list[str]:
    rnd = random.Random(seed)
    words = ["MON", "UNAM", "prot", "civ", "Secur", "child", "SYN0", "reso", "pol", "vio",
             "sexual", "dar", "mand", "early", "risk", "hum", "ref", "dis", "tier", "coor"]
    return ["/suggest?" + urlencode({"q": rnd.choice(words)}) for _ in range(n)]


def request_mix(entity: list[str], with_index: bool, seed: int) -> list[tuple[str, str]]:
    """(kind, path) pairs, shuffled; the clients walk the list round-robin."""
    mix = [("home", "/")] * 4
    mix += [("entity", p) for p in entity]
    mix += [("library", f"/queries/{name}") for name in LIBRARY_PAGES]
    mix += [("compare", p) for p in load_test.compare_paths()[::2]]
    for name, text in SPARQL_QUERIES.items():
        mix += [(f"sparql:{name}", "/sparql?" + urlencode({"query": text}))] * (
            4 if name == "select-cheap" else 1)
    if with_index:
        mix += [("suggest", p) for p in suggest_paths(seed, 10)]
    random.Random(seed).shuffle(mix)
    return mix


@dataclass
class KindStats:
    latencies: list = field(default_factory=list)
    statuses: dict = field(default_factory=lambda: defaultdict(int))


def add_account(location: Path, name: str, role: str, password: str) -> None:
    subprocess.run([*load_test.pockg_command(), "user", "add", name, "--role", role,
                    "--password-stdin", "--store", str(location)], input=password + "\n",
                   text=True, check=True, capture_output=True, env=load_test.server_env(),
                   timeout=120)


def sign_in(base: str, name: str, password: str) -> str:
    """Sign in through /login (with its CSRF token); returns the Cookie header to send."""
    import http.cookiejar
    import re

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + "/login", timeout=60) as r:
        page = r.read().decode("utf-8")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urlencode({"name": name, "password": password, "csrf_token": token}).encode()
    with opener.open(base + "/login", data=data, timeout=60) as r:
        r.read()
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "pockg_session" not in cookie:
        raise RuntimeError("signing in failed: no session cookie")
    return cookie


def drive(base: str, mix: list[tuple[str, str]], clients: int, duration: float,
          timeout: float, cookie: str | None = None,
          stop: threading.Event | None = None) -> dict[str, KindStats]:
    lock = threading.Lock()
    stats: dict[str, KindStats] = defaultdict(KindStats)
    counter = [0]
    deadline = time.monotonic() + duration

    def client(offset: int):
        while time.monotonic() < deadline and not (stop and stop.is_set()):
            with lock:
                counter[0] += 1
                kind, path = mix[(counter[0] + offset) % len(mix)]
            accept = ("application/sparql-results+json, text/turtle;q=0.9"
                      if kind.startswith("sparql") else
                      "application/json" if kind == "suggest" else "text/html")
            t0 = time.perf_counter()
            try:
                headers = {"Accept": accept}
                if cookie:
                    headers["Cookie"] = cookie
                req = urllib.request.Request(base + path, headers=headers)
                with urllib.request.urlopen(req, timeout=timeout) as r:
                    r.read()
                    status = r.status
            except urllib.error.HTTPError as exc:
                exc.read()
                status = exc.code
            except OSError as exc:
                status = f"error: {type(exc).__name__}"
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                stats[kind].latencies.append(ms)
                stats[kind].statuses[str(status)] += 1

    threads = [threading.Thread(target=client, args=(i * 7,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=duration + timeout + 30)
    return stats


# -- one size -------------------------------------------------------------------------------
def disk_check(work: Path, sizes: list[int]) -> None:
    shown = subprocess.run(["df", "-h", str(work)], capture_output=True, text=True,
                           check=False).stdout
    print(shown.rstrip(), file=sys.stderr)
    free = shutil.disk_usage(work).free
    # measured: ~200 bytes per N-Quads line, ~250 bytes per statement in the store
    need = max(sizes) * 500
    if free < need:
        log(f"WARNING: {free / GIB:.1f} GiB free in {work}, about {need / GIB:.1f} GiB needed "
            f"for {max(sizes):,} statements (N-Quads file + store)")
    else:
        log(f"disk: {free / GIB:.1f} GiB free in {work}, about {need / GIB:.1f} GiB needed")


def du(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                pass
    return total


INDEX_CODE = """
import json, sys, time
from pockg import replica, search_index as si
from pockg.store import open_store
say = lambda m: print(m, file=sys.stderr, flush=True)
store = open_store(sys.argv[1])
public = replica.open_replica(sys.argv[1])
try:
    t0 = time.perf_counter()
    replica.sync(store, public, progress=say)
    seconds = time.perf_counter() - t0
    built = si.build_index(public, si.default_path(sys.argv[1]), progress=say)
    built["replica_s"] = round(seconds, 1)
finally:
    public.close()
    store.close()
print("INDEX " + json.dumps(built), flush=True)
"""


def build_index_with_limit(location: Path, limit: float, size: int) -> tuple[dict | None, float]:
    """``pockg build``'s last steps (the public replica, then the search index built on it)
    in a child process,
    killed after ``limit`` seconds: (what was built or None, seconds)."""
    t0 = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", INDEX_CODE, str(location)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = child.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        child.kill()
        out, err = child.communicate()
        for line in err.splitlines():
            log(f"[{size:,}]   {line}")
        for leftover in location.parent.glob(location.name + ".search.sqlite*"):
            leftover.unlink(missing_ok=True)
        return None, time.perf_counter() - t0
    for line in err.splitlines():
        log(f"[{size:,}]   {line}")
    found = [x for x in out.splitlines() if x.startswith("INDEX ")]
    if child.returncode != 0 or not found:
        raise RuntimeError(f"the index build failed ({child.returncode}):\n{err[-2000:]}")
    return json.loads(found[0][6:]), time.perf_counter() - t0


def run_size(size: int, curated, work: Path, args) -> dict:
    result: dict = {"size": size, "date": date.today().isoformat(), "cores": os.cpu_count()}
    folder = work / f"syn-{size}"
    folder.mkdir(parents=True, exist_ok=True)
    nq, location = folder / "graph.nq", folder / "store"

    result["load_average_generate"] = load_average()
    t0 = time.perf_counter()
    lines = synthetic.write(nq, curated, size, args.seed)
    result["generate_s"] = round(time.perf_counter() - t0, 1)
    result["nquads_mib"] = round(nq.stat().st_size / MIB)
    log(f"[{size:,}] wrote {lines:,} statements ({result['nquads_mib']} MiB) in "
        f"{result['generate_s']} s")

    result["load_average_load"] = load_average()
    t0 = time.perf_counter()
    info = load_store(location, [nq], threads=2, replica=True)      # what `pockg load` does
    load_s = info["seconds"]
    result["replica_load_s"] = round(time.perf_counter() - t0 - load_s, 1)
    store = ox.Store(str(location))
    quads = len(store)
    result.update(statements=lines, quads=quads, bulk_load_s=round(load_s, 2),
                  load_rate=round(lines / load_s))
    log(f"[{size:,}] pockg load: {quads:,} quads in {load_s:.1f} s = {lines / load_s:,.0f} "
        f"statements/s (load average {result['load_average_load']}); the public replica "
        f"made the same way in {result['replica_load_s']} s")
    if args.optimize:
        t0 = time.perf_counter()
        store.optimize()
        result["optimize_s"] = round(time.perf_counter() - t0, 1)
        log(f"[{size:,}] optimize: {result['optimize_s']} s")
    entity = entity_paths(store, {iri.strip("<>") for iri in curated.entities}, args.seed)
    result["named_graphs"] = sum(1 for _ in store.named_graphs())
    del store
    result["store_mib"] = round(du(location) / MIB)
    if not args.keep_nquads:
        nq.unlink()

    with_index = False
    if args.no_index:
        result["index"] = "not built (--no-index)"
    elif args.index_skip_reason:
        result["index"] = args.index_skip_reason
    else:
        result["load_average_index"] = load_average()
        built, seconds = build_index_with_limit(location, args.index_timeout, size)
        result["index_s"] = round(seconds, 1)
        if built is None:
            result["index"] = (f"not feasible: replica + build_index did not finish "
                               f"in {args.index_timeout:g} s; served without the index")
            args.index_skip_reason = (f"not tried: it did not finish in {args.index_timeout:g} s "
                                      f"at {size:,}")
        else:
            result["index"] = "built"
            result["index_entries"] = built["entries"]
            result["replica_s"] = built.get("replica_s")
            with_index = True
        log(f"[{size:,}] search index: {result['index']} ({result['index_s']} s)")
    result["search_index"] = with_index

    mix = request_mix(entity, with_index, args.seed)
    result["serve"] = {}
    for mode in args.serve_as:
        result["serve"][mode] = serve_pass(mode, location, folder, mix, size, args)
    first = result["serve"][args.serve_as[0]]
    result.update({k: first[k] for k in ("peak_total_rss_mib", "peak_total_pss_mib",
                                         "peak_server_rss_mib", "peak_worker_rss_mib",
                                         "max_processes")})
    result["peak_total_rss_mib_all_passes"] = max(p["peak_total_rss_mib"]
                                                  for p in result["serve"].values())
    if not args.keep:
        shutil.rmtree(folder, ignore_errors=True)
    return result


def wait_listening(server, timeout: float) -> float:
    """Seconds until the server accepts connections (not /health: it queries the store)."""
    import socket

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if server.process.poll() is not None:
            raise RuntimeError(f"pockg serve exited:\n{server.log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                return time.perf_counter() - t0
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"pockg serve did not listen within {timeout} s")


def timed_get(url: str, timeout: float, cookie: str | None = None) -> tuple[object, float]:
    t0 = time.perf_counter()
    headers = {"Cookie": cookie} if cookie else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                    timeout=timeout) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        status = f"error: {type(exc).__name__}"
    return status, round(time.perf_counter() - t0, 2)


def serve_pass(mode: str, location: Path, folder: Path, mix, size: int, args) -> dict:
    """Start ``pockg serve --read-only``, send the mix (anonymous: the public view; or
    signed in with ``mode`` as role), sample the RSS of the process tree, stop it."""
    out: dict = {"mode": mode}
    password = None
    if mode != "public":
        import secrets

        password = secrets.token_urlsafe(16)
        add_account(location, f"bench{mode}", mode, password)
    server = ReadOnlyServer(location, folder / f"serve-{mode}.log", args.server_threads, {})
    sampler = None
    stats: dict = {}
    try:
        out["listening_s"] = round(wait_listening(server, 120), 1)
        cap = int(args.rss_cap_gb * GIB) if args.rss_cap_gb else None
        stop = threading.Event()

        def over_cap():
            stop.set()
            server.process.kill()

        sampler = RssSampler(server.process.pid, 0.5, cap, over_cap).start()
        cookie = sign_in(server.url, f"bench{mode}", password) if password else None
        out["health_status"], out["health_s"] = timed_get(server.url + "/health",
                                                          args.request_timeout * 5, cookie)
        out["load_average_start"] = load_average()
        log(f"[{size:,}] pockg serve --read-only at {server.url} ({mode}): listening after "
            f"{out['listening_s']} s, /health {out['health_status']} in {out['health_s']} s; "
            f"{args.clients} clients for {args.duration:g} s over {len(mix)} URLs")
        stats = drive(server.url, mix, args.clients, args.duration, args.request_timeout, cookie,
                      stop)
        out["load_average_end"] = load_average()
    finally:
        peaks = sampler.stop() if sampler else Peaks()
        server.stop()
    out.update(peaks.as_dict())
    out["stopped_at_rss_cap"] = bool(sampler and sampler.capped)
    if out["stopped_at_rss_cap"]:
        log(f"[{size:,}] ({mode}) the server passed --rss-cap-gb {args.rss_cap_gb:g} and was killed")
    out["rss_at_peak_mib"] = peaks.at_peak
    out["requests"] = {
        kind: {"n": len(s.latencies), "statuses": dict(s.statuses),
               "p50_ms": round(load_test.percentile(sorted(s.latencies), 50), 1),
               "max_ms": round(max(s.latencies), 1)}
        for kind, s in sorted(stats.items())}
    log(f"[{size:,}] ({mode}) peak RSS: total {out['peak_total_rss_mib']:,} MiB (Pss "
        f"{out['peak_total_pss_mib']:,}), server {out['peak_server_rss_mib']:,} MiB, "
        f"largest worker {out['peak_worker_rss_mib']:,} MiB, up to "
        f"{out['max_processes']} processes")
    return out


def _terminated(_signum, _frame):
    raise SystemExit("terminated")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000000,10000000",
                    help="statements per graph, comma-separated (default 1000000,10000000)")
    ap.add_argument("--work", type=Path, help="folder for the generated files and stores "
                    "(default: a new folder under /tmp)")
    ap.add_argument("--keep", action="store_true", help="keep the stores and files")
    ap.add_argument("--keep-nquads", action="store_true", help="keep the N-Quads files")
    ap.add_argument("--no-index", action="store_true", help="serve without the search index")
    ap.add_argument("--index-timeout", type=float, default=240,
                    help="give up building the search index after this many seconds (240)")
    ap.add_argument("--serve-as", default="public",
                    help="comma-separated passes: public (anonymous: pages query the public "
                    "view), curator or admin (signed in: sees every graph, pages query the "
                    "union of the graphs); default public")
    ap.add_argument("--rss-cap-gb", type=float, default=12,
                    help="kill the server when it and its workers pass this many GiB resident "
                    "(protects a shared machine; 0: no cap; default 12)")
    ap.add_argument("--optimize", action="store_true",
                    help="compact the store (Store.optimize) after bulk_load")
    ap.add_argument("--duration", type=float, default=120, help="seconds of requests (120)")
    ap.add_argument("--clients", type=int, default=4, help="concurrent clients (4)")
    ap.add_argument("--request-timeout", type=float, default=300)
    ap.add_argument("--server-threads", type=int, help="waitress threads (default 8)")
    ap.add_argument("--curated", help="a built curated store to copy (default: build data/)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    args.index_skip_reason = None
    args.serve_as = [m.strip() for m in args.serve_as.split(",") if m.strip()]
    if not set(args.serve_as) <= {"public", "curator", "admin"}:
        raise SystemExit("--serve-as: public, curator or admin")
    signal.signal(signal.SIGTERM, _terminated)     # clean up (server, folders) on kill

    created = args.work is None
    work = Path(tempfile.mkdtemp(prefix="pockg-serve-mem-", dir="/tmp")) if created else args.work
    work.mkdir(parents=True, exist_ok=True)
    disk_check(work, sizes)
    results = []
    try:
        t0 = time.perf_counter()
        curated = synthetic.index(synthetic.curated_quads(args.curated))
        log(f"curated graph: {curated.size:,} quads, read in {time.perf_counter() - t0:.1f} s")
        for size in sizes:
            result = run_size(size, curated, work, args)
            print("RESULT " + json.dumps(result), flush=True)
            results.append(result)
    finally:
        if args.keep:
            log(f"kept {work}")
        elif created:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{date.today().isoformat()}  {platform.node()}  {os.cpu_count()} cores  "
          f"Python {platform.python_version()}  pyoxigraph {ox.__version__}  "
          f"SPARQL_TIMEOUT_S {os.environ.get('POCKG_SPARQL_TIMEOUT_S', '10 (default)')}")
    print(f"{'statements':>12} {'load s':>7} {'stmt/s':>9} {'store MiB':>9} {'index s':>9}  "
          f"load avg (load)")
    for r in results:
        print(f"{r['statements']:>12,} {r['bulk_load_s']:>7} {r['load_rate']:>9,} "
              f"{r['store_mib']:>9,} {str(r.get('index_s', '-')) + ('' if r['search_index'] else ' x'):>9}  "
              f"{r['load_average_load']}")
        print(f"{'':14}search index: {r['index']}")
        for mode, p in r["serve"].items():
            print(f"{'':14}serve as {mode}: peak RSS server + workers {p['peak_total_rss_mib']:,} MiB "
                  f"(Pss {p['peak_total_pss_mib']:,}; server {p['peak_server_rss_mib']:,}, largest "
                  f"worker {p['peak_worker_rss_mib']:,}, {p['max_processes']} processes"
                  f"{'; KILLED at the RSS cap' if p.get('stopped_at_rss_cap') else ''}); /health "
                  f"{p['health_s']} s; load avg {p['load_average_start']} -> "
                  f"{p.get('load_average_end')}")
            for kind, st in p["requests"].items():
                print(f"{'':18}{kind:24} {st['n']:5} requests  p50 {st['p50_ms']:9.1f} ms  "
                      f"max {st['max_ms']:9.1f} ms  {st['statuses']}")
    ok = True
    for r in results:
        if r["size"] == 1_000_000:
            passed = r["load_rate"] >= TARGET_LOAD_RATE
            ok &= passed
            print(f"{'PASS' if passed else 'FAIL'}  load rate at 1M: {r['load_rate']:,} "
                  f"statements/s (target >= {TARGET_LOAD_RATE:,})")
        if r["size"] >= 10_000_000:
            peak = r["peak_total_rss_mib_all_passes"] * MIB
            passed = peak < TARGET_RSS_BYTES
            ok &= passed
            print(f"{'PASS' if passed else 'FAIL'}  peak RSS serving {r['statements']:,}: "
                  f"{peak / 1e9:.2f} GB (target < 4 GB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

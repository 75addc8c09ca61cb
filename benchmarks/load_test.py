"""Load test of the pockg browser: entity pages and comparison pages under 20 clients.

Run by hand (not part of the test suite):
    .venv/bin/python benchmarks/load_test.py                      # build a store, start the server
    .venv/bin/python benchmarks/load_test.py --store /tmp/store   # reuse a built store
    .venv/bin/python benchmarks/load_test.py --url http://127.0.0.1:8000   # a running server

Without --url it builds the curated graph into a temporary on-disk store
(``pockg build``, unless --store names a built one) and starts the real
production server as a subprocess (``pockg serve``, production profile, with
POCKG_SECRET_KEY set and POCKG_SESSION_COOKIE_SECURE=false), waits for
/health, and stops it at the end. --no-page-cache starts it with
POCKG_PAGE_CACHE_BYTES=0, so that every entity page is rendered (the cold
path; see web/browse.py, "the page cache").

Then, for each workload, it requests every URL once (warm-up; any non-200
stops the run), and drives the server with ``wrk`` (Debian package ``wrk``:
``apt-get install wrk``) or, when wrk is absent or with --python, a Python
client with one thread per connection:

(a) entity pages: ~50 /id/... pages of every kind (operations, strategies,
    concepts, paragraphs, recommendations, actors, resolutions, documents),
    taken round-robin;
(b) comparison pages: /compare?comparison=...&missions=... for a few mission
    sets and comparisons, round-robin.

It prints requests/s, p50/p95/p99 latency and the error count (connection
errors, timeouts and non-2xx answers) of each, and PASS or FAIL against the
targets for entity pages: p95 under 100 ms and at least 200 requests/s (on
the 2-core machine). Exits 1 when a target fails.

Bounded: only loopback addresses are accepted as targets, the duration and
connections are capped, every loop stops at its deadline, and the server
started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import platform
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parents[1]
ID = "https://w3id.org/pockg/id/"
TARGET_P95_MS = 100.0
TARGET_RPS = 200.0
MAX_DURATION_S = 120
MAX_CONNECTIONS = 64

# Entity pages: how many of each kind (about 50 in all), picked from the graph.
ENTITY_KINDS = [
    ("pockg:PeaceOperation", 10), ("pockg:ProtectionStrategy", 6), ("skos:Concept", 10),
    ("pockg:Paragraph", 8), ("pockg:Recommendation", 6), ("pockg:Actor", 4),
    ("pockg:Resolution", 4), ("pockg:Document", 2),
]
# Comparison pages: a few mission sets and comparisons.
MISSION_SETS = [("MONUC", "UNAMID", "UNMIS"), ("MONUC", "UNAMID", "UNMIS", "MINUSTAH", "UNOCI"),
                ("UNMISS", "MONUSCO"), ("MINUSMA", "MINUSCA", "UNMISS", "MONUSCO")]
COMPARISONS = ["drafting-lead", "tier-coverage", "framework-gaps"]

WRK_SCRIPT = r"""
-- pockg load test: paths round-robin, percentiles and errors as one JSON line.
local paths = {}
for line in io.lines(os.getenv("POCKG_LOAD_PATHS")) do paths[#paths + 1] = line end
local counter = 0
local threads = {}

setup = function(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

init = function(args)
  counter = id  -- each thread starts at a different path
end

request = function()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  return wrk.format("GET", path, {["Accept"] = "text/html"})
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'POCKG_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "connect": %d, "read": %d, "write": %d, "status": %d, ' ..
    '"timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
"""


# -- figures -------------------------------------------------------------------
@dataclass
class Figures:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    tool: str
    detail: dict = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        return (f"{self.name:<17} {self.rps:8.1f} req/s   p50 {self.p50_ms:7.1f} ms   "
                f"p95 {self.p95_ms:7.1f} ms   p99 {self.p99_ms:7.1f} ms   "
                f"errors {self.errors}   ({self.requests} requests in {self.seconds:.1f} s, "
                f"{self.tool})")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


# -- drivers -------------------------------------------------------------------
def run_wrk(name: str, base: str, paths: list[str], duration: int, connections: int,
            threads: int) -> Figures:
    with tempfile.TemporaryDirectory(prefix="pockg-load-") as tmp:
        script = Path(tmp) / "rotate.lua"
        script.write_text(WRK_SCRIPT)
        listing = Path(tmp) / "paths.txt"
        listing.write_text("\n".join(paths) + "\n")
        env = dict(os.environ, POCKG_LOAD_PATHS=str(listing))
        done = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
             "-s", str(script), base], capture_output=True, text=True, env=env,
            timeout=duration + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("POCKG_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    r = json.loads(line.split(" ", 1)[1])
    errors = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    return Figures(name, r["requests"], r["duration_us"] / 1e6, r["p50_us"] / 1000,
                   r["p95_us"] / 1000, r["p99_us"] / 1000, errors, f"wrk -t{threads} -c{connections}",
                   {k: r[k] for k in ("connect", "read", "write", "status", "timeout")})


def run_python(name: str, base: str, paths: list[str], duration: int,
               connections: int) -> Figures:
    """One thread per connection, keep-alive, round-robin over ``paths``, until the deadline."""
    parts = urlsplit(base)
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    counter = [0]
    start = time.perf_counter()
    deadline = start + duration

    def next_path() -> str:
        with lock:
            counter[0] += 1
            return paths[counter[0] % len(paths)]

    def client():
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine, bad = [], 0
        while time.perf_counter() < deadline:
            path = next_path()
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Accept": "text/html"})
                response = conn.getresponse()
                response.read()
                if not 200 <= response.status < 300:
                    bad += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            mine.append(time.perf_counter() - t0)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    workers = [threading.Thread(target=client, daemon=True) for _ in range(connections)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=duration + 30)
    seconds = time.perf_counter() - start
    ms = sorted(x * 1000 for x in latencies)
    return Figures(name, len(ms), seconds, percentile(ms, 50), percentile(ms, 95),
                   percentile(ms, 99), errors[0], f"python threads -c{connections}")


# -- the server ------------------------------------------------------------------
def pockg_command() -> list[str]:
    script = Path(sys.executable).with_name("pockg")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pockg.cli"]


def server_env(**config) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POCKG_")}
    env.update(POCKG_SECRET_KEY=secrets.token_hex(32), POCKG_SESSION_COOKIE_SECURE="false",
               PYTHONUNBUFFERED="1", **{f"POCKG_{k}": str(v) for k, v in config.items()})
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, store: Path, log: Path, threads: int | None, config: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        args = [*pockg_command(), "serve", "--store", str(store), "--host", "127.0.0.1",
                "--port", str(self.port)]
        if threads:
            args += ["--threads", str(threads)]
        self.log = log
        self._out = open(log, "wb")
        self.process = subprocess.Popen(args, stdout=self._out, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=server_env(**config))

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pockg serve exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"pockg serve did not answer /health in {timeout} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._out.close()


def build_store(path: Path) -> None:
    t0 = time.perf_counter()
    subprocess.run([*pockg_command(), "build", "--store", str(path), "-q"], check=True,
                   stdout=subprocess.DEVNULL, env=server_env(), timeout=600)
    print(f"built the curated graph into {path} in {time.perf_counter() - t0:.1f} s")


def require_loopback(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise SystemExit(f"--url must be http://HOST:PORT on this machine, not {url!r}")
    host = parts.hostname
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise SystemExit(f"refusing to load {host}: only loopback addresses "
                         "(127.0.0.0/8, ::1, localhost) are load-tested")
    return url.rstrip("/")


# -- the URLs ----------------------------------------------------------------------
def sparql(base: str, query: str) -> list[dict]:
    url = base + "/sparql?" + urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)["results"]["bindings"]


def entity_paths(base: str) -> list[str]:
    """~50 entity pages of every kind, chosen from the graph (the same ones each run)."""
    paths = []
    for cls, n in ENTITY_KINDS:
        rows = sparql(base, f"""
            PREFIX pockg: <https://w3id.org/pockg/ontology#>
            PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
            SELECT DISTINCT ?s WHERE {{ ?s a {cls} . FILTER(STRSTARTS(STR(?s), "{ID}")) }}
            ORDER BY ?s""")
        iris = [r["s"]["value"] for r in rows]
        step = max(1, len(iris) // n)
        paths += ["/id/" + iri[len(ID):] for iri in iris[::step][:n]]
    return paths


def compare_paths() -> list[str]:
    return ["/compare?" + urlencode({"comparison": c, "missions": ",".join(m)})
            for c in COMPARISONS for m in MISSION_SETS]


def warm_up(base: str, paths: list[str]) -> None:
    """Each URL once; a page that does not answer 200 stops the run."""
    for path in paths:
        request = urllib.request.Request(base + path, headers={"Accept": "text/html"})
        with urllib.request.urlopen(request, timeout=60) as r:
            if r.status != 200:
                raise SystemExit(f"{path} answered {r.status}")
            r.read()


# -- main ----------------------------------------------------------------------------
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running server on this machine (loopback only)")
    ap.add_argument("--store", type=Path, help="a built store to serve (else one is built)")
    ap.add_argument("--duration", type=int, default=20, help="seconds per workload (default 20)")
    ap.add_argument("--connections", type=int, default=20, help="concurrent clients (default 20)")
    ap.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    ap.add_argument("--server-threads", type=int, help="waitress threads (pockg serve --threads)")
    ap.add_argument("--python", action="store_true", help="use the Python client even if wrk exists")
    ap.add_argument("--only", choices=["entity", "compare"], help="run one workload only")
    ap.add_argument("--no-page-cache", action="store_true",
                    help="start the server with PAGE_CACHE_BYTES=0: every entity page rendered")
    args = ap.parse_args(argv)
    duration = max(1, min(args.duration, MAX_DURATION_S))
    connections = max(1, min(args.connections, MAX_CONNECTIONS))
    use_wrk = shutil.which("wrk") is not None and not args.python
    if not use_wrk and not args.python:
        print("wrk not found (apt-get install wrk): using the Python client", file=sys.stderr)

    server, tmp = None, None
    try:
        if args.url:
            base = require_loopback(args.url)
        else:
            tmp = Path(tempfile.mkdtemp(prefix="pockg-load-"))
            store = args.store
            if store is None:
                store = tmp / "store"
                build_store(store)
            config = {"PAGE_CACHE_BYTES": 0} if args.no_page_cache else {}
            server = Server(store, tmp / "serve.log", args.server_threads, config)
            server.wait_healthy()
            base = server.url
            print(f"pockg serve (production profile) at {base}, log {server.log}")
        workloads = {"entity": entity_paths(base), "compare": compare_paths()}
        if args.only:
            workloads = {args.only: workloads[args.only]}
        results = []
        for name, paths in workloads.items():
            warm_up(base, paths)
            label = f"{name} pages ({len(paths)} URLs)"
            print(f"-- {label}: {connections} clients for {duration} s", flush=True)
            if use_wrk:
                figures = run_wrk(label, base, paths, duration, connections, args.wrk_threads)
            else:
                figures = run_python(label, base, paths, duration, connections)
            print(figures.line(), flush=True)
            results.append((name, figures))
    finally:
        if server is not None:
            server.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"{date.today().isoformat()}  {platform.node()}  {os.cpu_count()} cores  "
          f"Python {platform.python_version()}")
    ok = True
    for name, f in results:
        print(f.line())
        if name == "entity":
            checks = [(f"p95 {f.p95_ms:.1f} ms < {TARGET_P95_MS:g} ms", f.p95_ms < TARGET_P95_MS),
                      (f"{f.rps:.1f} req/s >= {TARGET_RPS:g}", f.rps >= TARGET_RPS),
                      (f"{f.errors} errors", f.errors == 0)]
            for text, passed in checks:
                print(f"  {'PASS' if passed else 'FAIL'}  entity pages: {text}")
                ok &= passed
        elif f.errors:
            print(f"  FAIL  {name} pages: {f.errors} errors")
            ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Start and stop real SPARQL engines on 127.0.0.1 for the integration tests.

``start_oxigraph`` and ``start_virtuoso`` bulk-load an N-Quads file (named
graphs kept) into a fresh database under a temporary folder, start the server
on free loopback ports and return an ``Engine`` once it answers ``ASK {}``.
Every server runs in a process group of its own, so that ``Engine.stop`` (or
``Engine.kill``) ends it together with any child, even after a failed test.
The engines themselves are installed by ``scripts/test.sh``: Oxigraph's
server with the test extras (PyPI ``oxigraph``), Virtuoso from the Debian
package ``virtuoso-opensource``.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"
READY_TIMEOUT = 60.0  # seconds for a server to answer its first ASK {}
LOAD_TIMEOUT = 120.0  # seconds for a bulk load
STOP_TIMEOUT = 15.0  # seconds for a clean shutdown before the process group is killed


class EngineError(RuntimeError):
    """An engine could not be installed, started, loaded or stopped."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def find_binary(name: str, how: str) -> str:
    """The path of ``name`` (the venv's bin folder first), or a clear error."""
    local = Path(sys.executable).parent / name
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    found = shutil.which(name)
    if found:
        return found
    raise EngineError(f"`{name}` is not installed: scripts/test.sh installs it ({how}); "
                      "run the tests through scripts/test.sh, or install it yourself")


def _tail(path: Path, chars: int = 2000) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-chars:]
    except OSError:
        return "(no log)"


def ask(endpoint: str, timeout: float = 2.0) -> bool:
    """True when ``endpoint`` answers ``ASK {}`` with HTTP 200."""
    body = urllib.parse.urlencode({"query": "ASK {}"}).encode()
    request = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/sparql-results+json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            response.read()
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Engine:
    """A running engine: ``endpoint`` is its SPARQL query address."""

    name: str
    endpoint: str
    process: subprocess.Popen
    workdir: Path
    log: Path
    extra: dict = field(default_factory=dict)
    _shutdown: object = None  # callable asking the server to stop cleanly, or None

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """End the engine's whole process group at once (SIGKILL)."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not time out
            pass

    def stop(self) -> None:
        """Stop cleanly (the engine's own shutdown, else SIGTERM); kill when that hangs."""
        if self.process.poll() is not None:
            return
        try:
            if self._shutdown is not None:
                self._shutdown()
            else:
                os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=STOP_TIMEOUT)
        except Exception:  # noqa: BLE001 - whatever went wrong, the process must go
            self.kill()
        else:
            # The server is gone; end any child it left in its group.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


_STARTED: list[subprocess.Popen] = []


@atexit.register
def _kill_leftovers() -> None:
    """Last resort, should a test run end without its finalizers: no server outlives it."""
    for process in _STARTED:
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass


def _die_with_parent():  # pragma: no cover - runs in the child, between fork and exec
    """Linux: the server gets SIGKILL when the test process dies, even by SIGKILL."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


try:
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None
except (OSError, AttributeError):  # pragma: no cover
    _PRCTL = None


def _spawn(argv: list[str], log: Path, cwd: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        process = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   preexec_fn=_die_with_parent if _PRCTL else None)
    _STARTED.append(process)
    return process


def _wait_ready(engine: Engine, timeout: float = READY_TIMEOUT) -> Engine:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not engine.running:
            raise EngineError(f"{engine.name} exited with status {engine.process.returncode} "
                              f"before answering at {engine.endpoint}; its log ends:\n"
                              f"{_tail(engine.log)}")
        if ask(engine.endpoint, timeout=2.0):
            return engine
        time.sleep(0.1)
    engine.kill()
    raise EngineError(f"{engine.name} did not answer ASK {{}} at {engine.endpoint} within "
                      f"{timeout:g} s; its log ends:\n{_tail(engine.log)}")


def _run(argv: list[str], what: str, timeout: float = LOAD_TIMEOUT, **kwargs) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, **kwargs)
    except subprocess.TimeoutExpired as exc:
        raise EngineError(f"{what} did not finish within {timeout:g} s") from exc
    if done.returncode != 0:
        raise EngineError(f"{what} failed (exit status {done.returncode}):\n"
                          f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout + done.stderr


# -- Oxigraph server ---------------------------------------------------------------

def start_oxigraph(tmpdir: str | Path, nquads_path: str | Path | None = None, *,
                   read_only: bool = True, union_default_graph: bool = True) -> Engine:
    """An Oxigraph server on a free loopback port, bulk-loaded from ``nquads_path``.

    By default read-only with the union of the named graphs as its default
    graph (as pockg's embedded store queries it). ``read_only=False`` serves
    read-write, with the Graph Store Protocol at ``engine.extra["store"]``
    and SPARQL Update at ``engine.extra["update"]``.
    """
    oxigraph = find_binary("oxigraph", "pip install oxigraph, part of pockg's test extras")
    workdir = Path(tmpdir)
    workdir.mkdir(parents=True, exist_ok=True)
    db = workdir / "db"
    log = workdir / "oxigraph.log"
    if nquads_path is not None:
        _run([oxigraph, "load", "--location", str(db), "--file", str(nquads_path)],
             f"oxigraph load of {nquads_path}")
    else:
        db.mkdir(exist_ok=True)
    port = free_port()
    argv = [oxigraph, "serve-read-only" if read_only else "serve", "--location", str(db),
            "--bind", f"{HOST}:{port}"]
    if union_default_graph:
        argv.append("--union-default-graph")
    base = f"http://{HOST}:{port}"
    engine = Engine("oxigraph", f"{base}/query", _spawn(argv, log, workdir), workdir, log,
                    extra={"store": f"{base}/store", "update": f"{base}/update", "port": port})
    try:
        return _wait_ready(engine)
    except BaseException:
        engine.kill()
        raise


# -- OpenLink Virtuoso 7 -----------------------------------------------------------

VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort               = {host}:{sql_port}
LiteMode                 = 0
DisableUnixSocket        = 1
DisableTcpSocket         = 0
MaxClientConnections     = 10
CheckpointInterval       = 0
O_DIRECT                 = 0
CaseMode                 = 2
MaxStaticCursorRows      = 5000
CheckpointAuditTrail     = 0
AllowOSCalls             = 0
SchedulerInterval        = 10
DirsAllowed              = ., {data}
ThreadCleanupInterval    = 0
ThreadThreshold          = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize        = 100000
SingleCPU                = 0
PrefixResultNames        = 0
RdfFreeTextRulesSize     = 100
IndexTreeMaps            = 64
MaxQueryMem              = 500M
VectorSize               = 1000
MaxVectorSize            = 1000000
AdjustVectorSize         = 0
ThreadsPerQuery          = 2
AsyncQueueMaxThreads     = 4
NumberOfBuffers          = 20000
MaxDirtyBuffers          = 15000

[HTTPServer]
ServerPort                  = {host}:{http_port}
ServerRoot                  = /var/lib/virtuoso-opensource-7/vsp
MaxClientConnections        = 10
DavRoot                     = DAV
EnabledDavVSP               = 0
HTTPProxyEnabled            = 0
TempASPXDir                 = 0
ServerThreads               = 10
MaxKeepAlives               = 10
KeepAliveTimeout            = 10
MaxCachedProxyConnections   = 10
ProxyConnectionCacheTimeout = 15
HTTPThreadSize              = 280000
HttpPrintWarningsInOutput   = 0
Charset                     = UTF-8
EnabledGzipContent          = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = {host}:{http_port}

[SPARQL]
ResultSetMaxRows           = 1000000
MaxSortedTopRows           = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime      = 120
DefaultQuery               = ASK {{}}
DeferInferenceRulesInit    = 0
"""


def _isql(engine: Engine, sql: str, what: str, timeout: float = LOAD_TIMEOUT) -> str:
    isql = engine.extra["isql"]
    port = engine.extra["sql_port"]
    out = _run([isql, f"{HOST}:{port}", "dba", engine.extra["password"],
                "VERBOSE=OFF", "BANNER=OFF", "PROMPT=OFF", "ECHO=OFF", "ERRORS=STDOUT",
                f"exec={sql}"], what, timeout=timeout, cwd=engine.workdir)
    if "*** Error" in out:
        raise EngineError(f"{what} failed:\n{out[-2000:]}")
    return out


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def start_virtuoso(tmpdir: str | Path, nquads_path: str | Path) -> Engine:
    """A Virtuoso 7 server of its own on free loopback ports, bulk-loaded from ``nquads_path``.

    Everything lives under ``tmpdir``: database, logs and a ``virtuoso.ini``
    written here (both ports on 127.0.0.1, ``ResultSetMaxRows`` raised, the
    data folder in ``DirsAllowed``). The ``dba`` password is changed to a
    random one for this run as soon as the server answers. The SPARQL endpoint is ``/sparql``; its
    default graph is every graph, Virtuoso's own system graphs included.
    """
    how = "DEBIAN_FRONTEND=noninteractive apt-get install -y virtuoso-opensource"
    virtuoso = find_binary("virtuoso-t", how)
    isql = find_binary("isql-vt", how)
    nquads_path = Path(nquads_path).resolve()
    workdir = Path(tmpdir).resolve()
    db = workdir / "db"
    db.mkdir(parents=True, exist_ok=True)
    log = workdir / "virtuoso-t.log"
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = workdir / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(db=db, host=HOST, sql_port=sql_port, http_port=http_port,
                                       data=nquads_path.parent), encoding="utf-8")
    # +foreground (rather than +wait, which daemonises) keeps the server a
    # child of this process, in a process group of its own: stop() can wait
    # for it and kill() can end it for sure. Readiness is polled over HTTP.
    argv = [virtuoso, "+configfile", str(ini), "+foreground"]
    engine = Engine("virtuoso", f"http://{HOST}:{http_port}/sparql", _spawn(argv, log, db),
                    workdir, log, extra={"isql": isql, "sql_port": sql_port,
                                         "http_port": http_port, "password": "dba",
                                         "db_log": db / "virtuoso.log"})
    engine._shutdown = lambda: _isql(engine, "shutdown;", "virtuoso shutdown", timeout=STOP_TIMEOUT)
    try:
        _wait_ready(engine)
        # A password of this run's own instead of the well-known dba/dba.
        password = secrets.token_hex(12)
        _isql(engine, f"USER_SET_PASSWORD('dba', '{password}');", "virtuoso password change")
        engine.extra["password"] = password
        folder, name = (_sql_string(str(nquads_path.parent)), _sql_string(nquads_path.name))
        _isql(engine, f"ld_dir({folder}, {name}, 'urn:pockg:test:default'); "
                      "rdf_loader_run(); checkpoint;", f"virtuoso bulk load of {nquads_path}")
        state = _isql(engine, "SELECT 'LOADED', ll_state, ll_error FROM DB.DBA.load_list;",
                      "virtuoso load check")
        if not re.search(r"LOADED\s+2\s+NULL", state):
            raise EngineError(f"virtuoso could not load {nquads_path}:\n{state}")
        return engine
    except BaseException:
        engine.kill()
        raise

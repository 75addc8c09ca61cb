"""Real-browser fixtures: the production server on a built store, and headless Chromium.

* ``live_server``: builds the curated graph into a temporary on-disk store
  with ``pockg build``, then starts the real production server
  (``pockg serve``: waitress, production profile) as a subprocess on a free
  loopback port, waits for /health and stops it at the end of the session.
* ``browser_context``: Debian's Chromium (/usr/bin/chromium), launched by the
  playwright Python package with a fresh profile and the flags this machine
  needs (no sandbox as root; no background networking: the network is closed).
* ``page``: a new tab per test; uncaught script errors and CSP violations fail
  the test, and a failed test leaves a screenshot of where it stopped.
* ``shot``: keeps a screenshot of each step in tests/artifacts/browser/.

These tests are never skipped: without Chromium or playwright they fail and
say that ``scripts/test.sh`` installs them.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from support import free_port, pockg_command

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
CHROMIUM_FLAGS = [
    "--no-sandbox",                     # the tests run as root
    "--disable-gpu",
    "--disable-background-networking",  # without these Chromium's own connections
    "--disable-quic",                   # are refused by this machine's closed network
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
BUILD_TIMEOUT_S = 300
START_TIMEOUT_S = 60
STEP_TIMEOUT_MS = 20_000


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives headless Chromium against the "
                                       "real server (Chromium installed by scripts/test.sh)")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# -- the server ----------------------------------------------------------------




def server_env() -> dict:
    """The environment of a production server: a secret key, cookies not Secure
    (plain http on loopback), and no POCKG_* setting inherited from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POCKG_")}
    env.update(POCKG_SECRET_KEY=secrets.token_hex(32), POCKG_SESSION_COOKIE_SECURE="false",
               PYTHONUNBUFFERED="1")
    return env


def build_store(path: Path) -> None:
    done = subprocess.run([*pockg_command(), "build", "--store", str(path), "-q"],
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                          env=server_env())
    if done.returncode != 0:
        raise RuntimeError(f"pockg build failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


class Server:
    """``pockg serve`` in a subprocess; its output goes to a log file (never a pipe
    that nobody reads, which would block the server once full)."""

    def __init__(self, store: Path, log: Path, port: int | None = None, threads: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        args = [*pockg_command(), "serve", "--store", str(store), "--host", "127.0.0.1",
                "--port", str(self.port)]
        if threads:
            args += ["--threads", str(threads)]
        self._log_file = open(log, "wb")
        self.process = subprocess.Popen(args, stdout=self._log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, env=server_env())

    def wait_healthy(self, timeout: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pockg serve exited with {self.process.returncode}:\n"
                                   + self.output())
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200 and json.load(r).get("ok"):
                        return
            except OSError as exc:
                last = exc
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"pockg serve did not answer /health in {timeout:.0f} s "
                           f"({last}):\n{self.output()}")

    def output(self) -> str:
        self._log_file.flush()
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log_file.close()

    # a small client for cross-checks (the same server the browser uses)
    def get(self, path: str, accept: str = "application/json") -> bytes:
        request = urllib.request.Request(self.url + path, headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.read()

    def sparql(self, query: str) -> list[dict]:
        body = self.get("/sparql?" + urlencode({"query": query}),
                        accept="application/sparql-results+json")
        return json.loads(body)["results"]["bindings"]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The production server on the curated graph, for the whole session."""
    root = tmp_path_factory.mktemp("browser-server")
    store = root / "store"
    build_store(store)
    server = Server(store, root / "serve.log")
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


# -- the browser ---------------------------------------------------------------
def require_browser():
    """playwright's sync API, or a failure that says how to get it (never a skip)."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's Chromium. "
                    "scripts/test.sh installs it (apt-get install chromium); run the "
                    "suite with scripts/test.sh", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright Python package is missing: scripts/test.sh installs it "
                    "with the test extra (pip install -e '.[test]'); the browser itself is "
                    f"Debian's {CHROMIUM}, never `playwright install`", pytrace=False)
    return sync_playwright


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory):
    """Headless Chromium with a fresh profile, downloads accepted."""
    sync_playwright = require_browser()
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            accept_downloads=True, viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """tests/artifacts/browser/, emptied once per session."""
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@pytest.fixture
def page(request, browser_context, artifacts):
    """A new tab. Script errors and CSP violations are collected and fail the test."""
    tab = browser_context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    tab.on("console", lambda msg: problems.append(f"console: {msg.text}")
           if msg.type == "error" and "Content Security Policy" in msg.text else None)
    tab.problems = problems
    yield tab
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        try:
            tab.screenshot(path=str(artifacts / f"FAILED-{slug(request.node.name)}.png"),
                           full_page=True)
        except Exception:
            pass
    tab.close()
    assert not problems, "the page reported problems:\n" + "\n".join(problems)


@pytest.fixture
def shot(page, artifacts, request):
    """``shot("step name")`` keeps a full-page screenshot named after the journey and step."""
    journey = slug(request.node.name.removeprefix("test_"))
    count = {"n": 0}

    def take(step: str) -> Path:
        count["n"] += 1
        path = artifacts / f"{journey}-{count['n']:02d}-{slug(step)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take

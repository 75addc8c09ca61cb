"""Paths and helpers shared by the tests (importable as `support`, unlike conftest)."""

from __future__ import annotations

import re
import socket
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

from pockg.config import REPO_ROOT

FIXTURES = Path(__file__).parent / "fixtures"
REPORT = REPO_ROOT.parent / "shared" / "sources" / "poc-workshop-report-2010.txt"


def pockg_command() -> list[str]:
    """The venv's ``pockg`` script next to this Python, else ``python -m pockg.cli``."""
    script = Path(sys.executable).with_name("pockg")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "pockg.cli"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listener:
    """A local TCP listener that counts connections: any outside fetch shows up here."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.count = 0
        threading.Thread(target=self._loop, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _loop(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()

    def settled_count(self, wait: float = 0.3) -> int:
        """The count once any connection still queued has been accepted."""
        time.sleep(wait)
        return self.count

    def wait_for(self, n: int, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.count < n and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.count

    def close(self):
        self.sock.close()


# -- a small accessibility audit of served HTML ----------------------------
class Audit(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.headings, self.ids, self.anchors, self.labels_for = [], [], [], set()
        self.th_without_scope, self.unlabelled, self.html_lang, self.scripts = 0, [], None, []
        self._controls = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if tag == "th" and "scope" not in a:
            self.th_without_scope += 1
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit", "button"):
            self._controls.append(a)
        if tag == "label" and a.get("for"):
            self.labels_for.add(a["for"])
        if tag == "a" and (a.get("href") or "").startswith("#") and len(a["href"]) > 1:
            self.anchors.append(a["href"][1:])
        if tag == "html":
            self.html_lang = a.get("lang")
        if tag == "script":
            self.scripts.append(a)

    def close(self):
        super().close()
        self.unlabelled = [c for c in self._controls
                           if c.get("id") not in self.labels_for and not c.get("aria-label")
                           and not c.get("aria-labelledby")]


PASSWORD = "a long password 1"


def writable_app(store_path: Path, folder: Path, users=(("cy", "curator"), ("ann", "contributor")),
                 **config):
    """A curating app (not read-only) on a copy of the store at ``store_path`` in
    ``folder``, with accounts ``users`` (name, role) whose password is PASSWORD."""
    import shutil

    from web import create_app

    shutil.copytree(store_path, folder / "store")
    replica = Path(f"{store_path}.public")
    if replica.is_dir():
        shutil.copytree(replica, folder / "store.public")
    settings = {"STORE": str(folder / "store"), "READ_ONLY": False,
                "DB": str(folder / "users.sqlite"), "BACKUP_DIR": str(folder / "backups"),
                "LOGIN_LIMIT": 1000, **config}
    app = create_app(settings, profile="testing")
    for name, role in users:
        app.extensions["pockg"].accounts.add(name, role, PASSWORD)
    return app


def stop_workers(app) -> None:
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers:
        workers.shutdown()


def csrf_token_of(client, url: str = "/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def signed_in(app, name: str, password: str = PASSWORD):
    """A test client signed in through /login as ``name``."""
    client = app.test_client()
    assert client.post("/login", data={"name": name, "password": password,
                                       "csrf_token": csrf_token_of(client)}).status_code == 302
    return client


def session_client(app, name: str):
    """A test client holding a session of ``name`` (no /login round trip), and its CSRF token."""
    accounts = app.extensions["pockg"].accounts
    started = accounts.start_session(accounts.get(name))
    client = app.test_client()
    with client.session_transaction() as session:
        session["sid"] = started.token
    return client, started.csrf


def require_report() -> Path:
    """The workshop report in ../shared, or the test is skipped saying why: its
    imprint forbids reprinting, so the repository never holds it."""
    import pytest

    if not REPORT.is_file():
        pytest.skip(f"the workshop report is not at {REPORT}: its imprint forbids "
                    "reprinting, so it is not in the repository")
    return REPORT

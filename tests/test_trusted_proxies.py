"""Finding 4 of issue 12: behind the reverse proxy that the README recommends,
every client had the proxy's address, so five wrong logins locked everyone out
and one heavy SPARQL user spent everyone's budget.

POCKG_TRUSTED_PROXIES (web/proxy.py) believes X-Forwarded-For and
X-Forwarded-Proto only from the proxies it lists. Here a real nginx, with the
proxy lines of scripts/nginx-example.conf (the README's configuration), sits
in front of a real `pockg serve`; nginx is installed by scripts/test.sh.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from support import free_port, pockg_command

from pockg.accounts import Accounts
from pockg.config import REPO_ROOT
from pockg.errors import ConfigurationError
from web import create_app

PASSWORD = "a long password 1"
WRONG = "not the password"
EXAMPLE = REPO_ROOT / "scripts" / "nginx-example.conf"
CHEAP = "ASK { ?s ?p ?o }"


# -- the app, driven with Flask's test client -----------------------------------
@pytest.fixture(scope="module")
def behind_proxy(curated_store_path, tmp_path_factory):
    """The app trusting the proxy at 127.0.0.1, with accounts maria and sam."""
    db = tmp_path_factory.mktemp("proxied") / "users.sqlite"
    app = create_app({"STORE": str(curated_store_path), "DB": str(db),
                      "TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8"}, profile="testing")
    for name in ("maria", "sam"):
        app.extensions["pockg"].accounts.add(name, "curator", PASSWORD)
    yield app
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


def sign_in(app, peer: str, name: str, password: str, forwarded: str | None = None):
    """One sign-in over a connection from ``peer``, with X-Forwarded-For when given."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = peer
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get("/login", headers=headers).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", headers=headers,
                       data={"name": name, "password": password, "csrf_token": token})


def test_finding4_forwarded_clients_are_counted_apart_behind_a_trusted_proxy(behind_proxy):
    """Behind a proxy every client had the proxy's address: five wrong logins locked everyone out."""
    for _ in range(5):
        assert sign_in(behind_proxy, "127.0.0.1", "maria", WRONG, "203.0.113.1").status_code == 401
    assert sign_in(behind_proxy, "127.0.0.1", "maria", WRONG, "203.0.113.1").status_code == 429
    other = sign_in(behind_proxy, "127.0.0.1", "sam", PASSWORD, "203.0.113.2, 10.1.2.3")
    assert other.status_code == 302


def test_finding4_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored(behind_proxy):
    """A spoofed X-Forwarded-For from a peer that is not a trusted proxy must stay ignored."""
    for n in range(5):
        answer = sign_in(behind_proxy, "192.0.2.50", "ghost", WRONG, f"198.51.100.{n}")
        assert answer.status_code == 401
    spoofed = sign_in(behind_proxy, "192.0.2.50", "maria", PASSWORD, "198.51.100.99")
    assert spoofed.status_code == 429


def test_finding4_without_the_setting_forwarded_for_is_ignored(curated_store_path, tmp_path):
    """With no POCKG_TRUSTED_PROXIES nobody is trusted (the behaviour before the setting)."""
    app = create_app({"STORE": str(curated_store_path), "DB": str(tmp_path / "u.sqlite")},
                     profile="testing")
    app.extensions["pockg"].accounts.add("maria", "curator", PASSWORD)
    for n in range(5):
        assert sign_in(app, "127.0.0.1", "maria", WRONG, f"203.0.113.{n}").status_code == 401
    assert sign_in(app, "127.0.0.1", "maria", PASSWORD, "203.0.113.77").status_code == 429


def test_finding4_forwarded_proto_is_believed_only_from_a_trusted_proxy(behind_proxy):
    """X-Forwarded-Proto from the trusted proxy gives the scheme of the app's own links."""
    def endpoint_iri(peer: str) -> str:
        answer = behind_proxy.test_client().get(
            "/sparql", headers={"Accept": "text/turtle", "X-Forwarded-Proto": "https",
                                "X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": peer})
        assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
        return re.search(r"<(https?://[^>]*/sparql)>", answer.get_data(as_text=True)).group(1)

    assert endpoint_iri("127.0.0.1") == "https://localhost/sparql"
    assert endpoint_iri("192.0.2.50") == "http://localhost/sparql"


def test_finding4_a_wrong_trusted_proxies_setting_stops_the_app(curated_store_path, tmp_path):
    """A mistyped POCKG_TRUSTED_PROXIES must not silently trust nobody (or anybody)."""
    with pytest.raises(ConfigurationError) as caught:
        create_app({"STORE": str(curated_store_path), "DB": str(tmp_path / "u.sqlite"),
                    "TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/33"}, profile="testing")
    assert "10.0.0.0/33" in caught.value.message


# -- the middleware on its own -----------------------------------------------------
@pytest.mark.parametrize("trusted, peer, forwarded, client", [
    ("127.0.0.1", "127.0.0.1", "203.0.113.7", "203.0.113.7"),
    ("127.0.0.1", "127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),       # right to left
    ("127.0.0.1,10.0.0.0/8", "127.0.0.1", "6.6.6.6, 203.0.113.7, 10.0.0.5", "203.0.113.7"),
    ("127.0.0.1", "192.0.2.1", "203.0.113.7", None),                         # untrusted peer
    ("", "127.0.0.1", "203.0.113.7", None),                                  # nobody trusted
    ("127.0.0.1", "127.0.0.1", "", "127.0.0.1"),
    ("127.0.0.1", "127.0.0.1", "not an address", "127.0.0.1"),               # malformed
    ("127.0.0.1", "127.0.0.1", "203.0.113.7, 203.0.113.8:443", "127.0.0.1"),
    ("127.0.0.1,10.0.0.0/8", "127.0.0.1", "203.0.113.7, junk, 10.0.0.5", "10.0.0.5"),
    ("127.0.0.1", "127.0.0.1", " , ,203.0.113.7,, ", "203.0.113.7"),
    ("::1", "::1", "2001:db8::7", "2001:db8::7"),
    ("::1", "::1", "[2001:db8::8]", "2001:db8::8"),
    ("10.0.0.0/8", "10.0.0.1", "10.0.0.2, 10.0.0.3", "10.0.0.2"),             # all trusted
    ("127.0.0.1", "::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7"),
])
def test_finding4_the_client_is_the_first_untrusted_address_from_the_right(
        trusted, peer, forwarded, client):
    """The client is the first untrusted X-Forwarded-For hop from the right, from trusted peers only."""
    from web.proxy import TrustedProxies

    assert TrustedProxies(None, trusted).client(peer, forwarded) == client


def test_finding4_the_middleware_rewrites_the_address_and_scheme_only_from_trusted_peers():
    """REMOTE_ADDR and wsgi.url_scheme follow X-Forwarded-* from trusted proxies, and only from them."""
    from web.proxy import TrustedProxies

    def seen(environ, start_response):
        return environ["REMOTE_ADDR"], environ["wsgi.url_scheme"]

    app = TrustedProxies(seen, ["127.0.0.1"])
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_X_FORWARDED_PROTO": "https",
               "wsgi.url_scheme": "http"}
    assert app({"REMOTE_ADDR": "127.0.0.1", **headers}, None) == ("203.0.113.7", "https")
    assert app({"REMOTE_ADDR": "192.0.2.1", **headers}, None) == ("192.0.2.1", "http")
    untrusted = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_HOST": "evil.example", **headers}
    TrustedProxies(lambda environ, _: None, "")(untrusted, None)
    assert not [k for k in untrusted if "FORWARDED" in k]      # dropped: nobody reads them
    odd = {**headers, "HTTP_X_FORWARDED_PROTO": "javascript"}
    assert app({"REMOTE_ADDR": "127.0.0.1", **odd}, None) == ("203.0.113.7", "http")
    started = time.monotonic()
    flood = {**headers, "HTTP_X_FORWARDED_FOR": "127.0.0.1, " * 20_000 + "203.0.113.7"}
    assert app({"REMOTE_ADDR": "127.0.0.1", **flood}, None)[0] == "203.0.113.7"
    assert time.monotonic() - started < 1


# -- a real nginx in front of a real server -------------------------------------------
def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not found:
        pytest.fail("nginx is not installed: scripts/test.sh installs it (apt-get install nginx-light)")
    return found


def proxy_lines(upstream: str) -> str:
    """The ``location /`` block of scripts/nginx-example.conf, pointed at ``upstream``."""
    example = EXAMPLE.read_text(encoding="utf-8")
    block = re.search(r"^    location / \{\n.*?^    \}\n", example, re.M | re.S).group(0)
    assert "http://127.0.0.1:8000" in block
    return block.replace("http://127.0.0.1:8000", upstream)


def nginx_conf(folder: Path, port: int, upstream: str) -> str:
    """A whole nginx configuration: one process of the caller's user, everything in ``folder``."""
    paths = "\n".join(f"    {kind}_temp_path {folder / kind};"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""daemon off;
master_process off;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} warn;
events {{ worker_connections 64; }}
http {{
    access_log {folder / 'access.log'};
{paths}
    server {{
        listen 127.0.0.1:{port};
{proxy_lines(upstream)}    }}
}}
"""


def wait_for(url_host: str, port: int, process: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            conn = http.client.HTTPConnection(url_host, port, timeout=2)
            try:
                conn.request("GET", "/health")
                answer = conn.getresponse()
                if answer.status == 200 and json.loads(answer.read()).get("ok"):
                    return
            finally:
                conn.close()
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer /health in 60 s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def nginx_in_front(curated_store_path, tmp_path_factory):
    """(nginx port, pockg port): `pockg serve` trusting 127.0.0.1, nginx before it."""
    nginx = nginx_binary()
    folder = tmp_path_factory.mktemp("nginx")
    store = folder / "store"
    shutil.copytree(curated_store_path, store)
    db = folder / "users.sqlite"
    accounts = Accounts(db)
    for name in ("maria", "sam"):
        accounts.add(name, "curator", PASSWORD)
    accounts.close()
    app_port, proxy_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POCKG_")}
    env.update(POCKG_SECRET_KEY=secrets.token_hex(32), POCKG_SESSION_COOKIE_SECURE="false",
               POCKG_TRUSTED_PROXIES="127.0.0.1", POCKG_DB=str(db), PYTHONUNBUFFERED="1",
               POCKG_SPARQL_CLIENT_BUDGET_S="0.001", POCKG_SPARQL_WORKERS="1")
    server_log = folder / "pockg.log"
    with open(server_log, "wb") as out:
        server = subprocess.Popen([*pockg_command(), "serve", "--store", str(store),
                                   "--host", "127.0.0.1", "--port", str(app_port)],
                                  stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                  env=env)
    proxy = None
    try:
        wait_for("127.0.0.1", app_port, server, server_log, "pockg serve")
        conf = folder / "nginx.conf"
        conf.write_text(nginx_conf(folder, proxy_port, f"http://127.0.0.1:{app_port}"))
        proxy_log = folder / "error.log"
        proxy_log.touch()
        proxy = subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf), "-e", str(proxy_log)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL)
        wait_for("127.0.0.1", proxy_port, proxy, proxy_log, "nginx")
        yield proxy_port, app_port
    finally:
        if proxy is not None:
            stop(proxy)
        stop(server)


class Visitor:
    """A client with a cookie jar of one cookie, connecting from ``source`` and
    claiming to forward for ``forwarded`` (as a proxy in front of nginx would)."""

    def __init__(self, port: int, forwarded: str | None = None, source: str = "127.0.0.1"):
        self.port, self.source = port, source
        self.headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        self.cookie = ""

    def request(self, method: str, path: str, body: str | None = None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30,
                                          source_address=(self.source, 0))
        sent = {**self.headers, **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        conn.request(method, path, body=body, headers=sent)
        answer = conn.getresponse()
        answer.text = answer.read().decode("utf-8", "replace")
        cookie = answer.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        conn.close()
        return answer

    def sign_in(self, name: str, password: str) -> int:
        page = self.request("GET", "/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        return self.request("POST", "/login", urlencode(
            {"name": name, "password": password, "csrf_token": token}),
            {"Content-Type": "application/x-www-form-urlencoded"}).status

    def ask(self, query: str):
        return self.request("GET", "/sparql?" + urlencode({"query": query}),
                            headers={"Accept": "application/sparql-results+json"})


def test_finding4_behind_nginx_sign_in_limits_count_each_real_client(nginx_in_front):
    """Through nginx five wrong logins from one client locked every client out."""
    proxy_port, _ = nginx_in_front
    a, b = Visitor(proxy_port, "203.0.113.1"), Visitor(proxy_port, "203.0.113.2")
    assert [a.sign_in("maria", WRONG) for _ in range(5)] == [401] * 5
    assert a.sign_in("sam", PASSWORD) == 429             # client A's address is stopped ...
    assert b.sign_in("sam", PASSWORD) == 302             # ... not client B's (nor the proxy's)


def test_finding4_behind_nginx_the_sparql_budget_counts_each_real_client(nginx_in_front):
    """Through nginx one heavy SPARQL user spent every client's budget."""
    proxy_port, _ = nginx_in_front
    a, b = Visitor(proxy_port, "203.0.113.11"), Visitor(proxy_port, "203.0.113.12")
    assert a.ask(CHEAP).status == 200                    # spends its 1 ms budget
    spent = a.ask(CHEAP)
    assert spent.status == 429 and int(spent.getheader("Retry-After")) >= 1
    assert b.ask(CHEAP).status == 200, "client B was charged for client A's queries"


def test_finding4_a_spoofed_forwarded_for_sent_past_the_proxy_is_ignored(nginx_in_front):
    """A client reaching pockg directly (from 127.0.0.2, not a trusted proxy) cannot pick its address."""
    _, app_port = nginx_in_front
    for n in range(5):
        direct = Visitor(app_port, f"198.51.100.{n}", source="127.0.0.2")
        assert direct.sign_in("ghost", WRONG) == 401
    assert Visitor(app_port, "198.51.100.50", source="127.0.0.2").sign_in("sam", PASSWORD) == 429


def test_finding4_the_readme_shows_the_tested_nginx_configuration():
    """The README's deployment section must show the proxy configuration these tests run."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    example = EXAMPLE.read_text(encoding="utf-8")
    server_block = example[example.index("server {"):]
    assert server_block in readme
    assert "POCKG_TRUSTED_PROXIES=127.0.0.1" in readme

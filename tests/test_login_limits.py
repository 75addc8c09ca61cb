"""Finding 5 of issue 12: sign-in limits that attackers could turn against users.

Five wrong passwords from anywhere locked an account for 15 minutes, even
against the right password, and 24 parallel wrong logins got 11 password
checks instead of 5, because the limit was checked before failures were
counted. Now each attempt is counted in one transaction before its password
check (pockg/accounts.py), an account past its limit throttles only the
addresses that failed, with a rising Retry-After and no wait on the server,
and the admin's user page says which accounts are throttled.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from urllib.parse import urlencode

import pytest
from argon2 import PasswordHasher

import pockg.accounts
from web import create_app

PASSWORD = "a long password 1"
WRONG = "not the password"


class CountingHasher(PasswordHasher):
    """argon2 as before, counting the password checks."""

    def __init__(self):
        super().__init__()
        self.checks = 0
        self._lock = threading.Lock()

    def verify(self, hash, password):
        with self._lock:
            self.checks += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch):
    counting = CountingHasher()
    monkeypatch.setattr(pockg.accounts, "HASHER", counting)
    return counting


@pytest.fixture
def app(curated_store_path, tmp_path, hasher):
    app = create_app({"STORE": str(curated_store_path), "DB": str(tmp_path / "users.sqlite"),
                      "LOGIN_LIMIT": 5, "LOGIN_WINDOW_S": 900, "LOGIN_THROTTLE_S": 30},
                     profile="testing")
    accounts = app.extensions["pockg"].accounts
    accounts.add("maria", "curator", PASSWORD)
    accounts.add("boss", "admin", PASSWORD)
    yield app
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def sign_in(app, address: str, name: str, password: str):
    """One sign-in from ``address``: the response."""
    client = client_at(app, address)
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"name": name, "password": password, "csrf_token": token})


def test_finding5_parallel_wrong_logins_get_at_most_five_password_checks(app, hasher):
    """24 parallel wrong logins got 11 password checks: the limit was checked before failures were counted."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=8)   # pockg serve's default
    port = server.effective_port
    threading.Thread(target=server.run, daemon=True).start()
    try:
        first = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        first.request("GET", "/login")
        answer = first.getresponse()
        cookie = answer.getheader("Set-Cookie").split(";", 1)[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', answer.read().decode()).group(1)
        first.close()
        body = urlencode({"name": "maria", "password": WRONG, "csrf_token": token})
        start, codes, lock = threading.Barrier(24), [], threading.Lock()

        def attempt():
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            start.wait()
            conn.request("POST", "/login", body=body, headers={
                "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
            status = conn.getresponse().status
            conn.close()
            with lock:
                codes.append(status)

        threads = [threading.Thread(target=attempt) for _ in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.close()
        server.task_dispatcher.shutdown()
    assert len(codes) == 24 and set(codes) <= {401, 429}, codes
    assert hasher.checks <= 5, f"{hasher.checks} password checks for 24 parallel wrong logins"
    assert codes.count(401) == hasher.checks and codes.count(429) == 24 - hasher.checks


def test_finding5_owner_not_locked_out_by_other_addresses(app):
    """Five wrong passwords from anywhere locked the account, even against its owner's right password."""
    for n in range(1, 6):
        assert sign_in(app, f"203.0.113.{n}", "maria", WRONG).status_code == 401
    owner = sign_in(app, "198.51.100.7", "maria", PASSWORD)
    assert owner.status_code == 302, owner.get_data(as_text=True)[:500]
    # an address that failed is still held back, even with the right password
    assert sign_in(app, "203.0.113.1", "maria", PASSWORD).status_code == 429


def test_finding5_account_limit_answers_429_with_a_rising_retry_after(app, hasher):
    """Past the account's limit, further tries from addresses that failed get 429 with a rising Retry-After, at once."""
    for n in range(1, 6):
        assert sign_in(app, f"203.0.113.{n}", "maria", WRONG).status_code == 401
    checked = hasher.checks
    waits, started = [], time.monotonic()
    for address in ("203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4",
                    "203.0.113.5"):
        answer = sign_in(app, address, "maria", WRONG)
        assert answer.status_code == 429
        waits.append(int(answer.headers["Retry-After"]))
    assert time.monotonic() - started < 5          # answered at once: no wait on the server
    assert hasher.checks == checked                # and no password checked
    assert waits[:5] == sorted(set(waits[:5])), waits          # rising: 60, 120, 240, 480, 900
    assert waits[1] == 2 * waits[0] and max(waits) == 900      # doubling, at most the window


def test_finding5_throttle_lets_an_address_that_failed_try_again_after_its_wait(
        curated_store_path, tmp_path):
    """The account limit was a 15-minute lock; now it is a throttle that lets the next try through after the wait."""
    app = create_app({"STORE": str(curated_store_path), "DB": str(tmp_path / "u.sqlite"),
                      "LOGIN_LIMIT": 3, "LOGIN_THROTTLE_S": 1.0}, profile="testing")
    app.extensions["pockg"].accounts.add("maria", "curator", PASSWORD)
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert sign_in(app, address, "maria", WRONG).status_code == 401
    held = sign_in(app, "203.0.113.1", "maria", PASSWORD)
    assert held.status_code == 429 and int(held.headers["Retry-After"]) == 2   # twice 1 s
    time.sleep(2.1)
    assert sign_in(app, "203.0.113.1", "maria", PASSWORD).status_code == 302


def test_finding5_address_limit_keeps_its_hard_stop(app, hasher):
    """The per-address limit stays a hard stop: 429 even with the right password, and no password check."""
    for name in ("maria", "boss", "maria", "nobody", "boss"):
        assert sign_in(app, "192.0.2.9", name, WRONG).status_code == 401
    checked = hasher.checks
    stopped = sign_in(app, "192.0.2.9", "maria", PASSWORD)
    assert stopped.status_code == 429 and 800 < int(stopped.headers["Retry-After"]) <= 900
    assert hasher.checks == checked
    assert sign_in(app, "192.0.2.10", "maria", PASSWORD).status_code == 302   # others sign in


def test_finding5_admins_see_throttled_accounts_and_stopped_addresses(app):
    """Admins could not see which accounts were locked or throttled."""
    for address in ("203.0.113.1", "203.0.113.1", "203.0.113.1", "203.0.113.2", "203.0.113.3"):
        assert sign_in(app, address, "maria", WRONG).status_code == 401
    for address in ("203.0.113.1", "203.0.113.2"):       # refused: count, and double the wait
        assert sign_in(app, address, "maria", WRONG).status_code == 429
    for name in ("x1", "x2", "x3", "x4", "x5"):
        sign_in(app, "192.0.2.66", name, WRONG)
    admin = client_at(app, "198.51.100.1")
    page = admin.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert admin.post("/login", data={"name": "boss", "password": PASSWORD,
                                      "csrf_token": token}).status_code == 302
    text = admin.get("/admin/users").get_data(as_text=True)
    assert "active, <strong>sign-in throttled</strong>" in re.search(
        r'<tr data-user="maria">(.*?)</tr>', text, re.S).group(1)
    note = re.search(r'<tr class="sign-ins" data-sign-ins="maria">(.*?)</tr>', text, re.S).group(1)
    assert ("Sign-in throttled: 7 failed attempts in the last 15 min, from 3 addresses; "
            "next try from those addresses allowed in 2 min. Other addresses can still sign in.") in note
    assert 'data-sign-ins="boss"' not in text and "throttled" not in re.search(
        r'<tr data-user="boss">(.*?)</tr>', text, re.S).group(1)
    assert "192.0.2.66: 5 failed attempts; allowed again in 15 min." in text

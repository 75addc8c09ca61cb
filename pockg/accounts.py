"""Users, sessions and sign-in attempts, in SQLite (``POCKG_DB``).

Passwords are hashed with argon2id at argon2-cffi's defaults (RFC 9106 low
memory: 64 MiB, 3 passes, 4 lanes), above OWASP's minimum. Sessions are
random tokens stored only as SHA-256 hashes, so a stolen database does not
give working cookies; signing out or changing a password deletes them, so a
copied cookie stops working. There is no default account or password.

Sign-in attempts are limited per address and per account (``SignInLimits``).
An address with ``limit`` failed attempts in the window is stopped, even with
the right password. An account with ``limit`` failed attempts is throttled,
but only for the addresses that have failed: each further try from them waits
twice as long as the last, and its owner, from an address with no failures,
still signs in. Each attempt is counted in one transaction before the
password is checked, so parallel attempts cannot slip past the limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import secrets
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from pockg.curation.roles import ROLES, check_role
from pockg.errors import ConfigurationError, NotFound, RateLimited

NAME_RE = re.compile(r"^[a-z][a-z0-9._-]{1,39}$")
MIN_PASSWORD = 10
SESSION_DAYS = 14
HASHER = PasswordHasher()           # argon2id, t=3, m=65536 KiB, p=4
_DUMMY = HASHER.hash("not a password of anyone")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
  name TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, updated TEXT NOT NULL,
  public_id TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name),
  csrf TEXT NOT NULL, created REAL NOT NULL, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_by_name ON sessions(name);
DROP TABLE IF EXISTS failures;
CREATE TABLE IF NOT EXISTS sign_ins (
  id INTEGER PRIMARY KEY, name TEXT NOT NULL, address TEXT NOT NULL, at REAL NOT NULL,
  outcome TEXT NOT NULL);            -- checking (password being checked), failed, refused
CREATE INDEX IF NOT EXISTS sign_ins_by_name ON sign_ins(name, at);
CREATE INDEX IF NOT EXISTS sign_ins_by_address ON sign_ins(address, at);
"""
KEPT_S = 86400                      # attempts older than this are deleted


@dataclass(frozen=True)
class User:
    """An account. ``iri`` names the person in the graph by an opaque id, never
    by the sign-in name, so published lessons do not give away half a credential."""

    name: str
    role: str
    disabled: bool = False
    created: str = ""
    public_id: str = ""

    @property
    def iri(self) -> str:
        from pockg import vocab as V

        return V.entity("user", self.public_id or self.name)


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str
    token: str


@dataclass(frozen=True)
class SignInLimits:
    """``limit`` failed attempts per address or account within ``window_s``; past an
    account's limit, an address that failed waits ``throttle_s``, then twice that
    for each further attempt, at most ``window_s``."""

    limit: int = 5
    window_s: float = 900
    throttle_s: float = 30

    def delay(self, attempts: int) -> float:
        """How long after an account's latest attempt a failed address may try again."""
        if attempts < self.limit:
            return 0.0
        return min(float(self.window_s), self.throttle_s * 2 ** min(attempts - self.limit, 32))


@dataclass(frozen=True)
class SignInRecord:
    """An account's failed sign-in attempts in the window, for the admin's page."""

    name: str
    attempts: int
    addresses: int
    throttled: bool
    wait_s: int                     # until an address that failed may try again


@dataclass(frozen=True)
class StoppedAddress:
    """An address at its limit: it may not sign in for ``wait_s`` seconds."""

    address: str
    attempts: int
    wait_s: int


def wait_words(seconds: float) -> str:
    """``40 s``, ``4 min``, ``2 h``: a wait as people say it, rounded up."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 5400:
        return f"{math.ceil(seconds / 60)} min"
    return f"{math.ceil(seconds / 3600)} h"


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def default_db(store: str) -> str:
    """``<store>.users.sqlite`` beside an on-disk store; in memory for ``:memory:``."""
    return ":memory:" if store == ":memory:" else f"{store.rstrip('/')}.users.sqlite"


class Accounts:
    """The accounts database; safe to share between threads."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._db.executescript(SCHEMA)
        except sqlite3.Error as exc:
            raise ConfigurationError(f"cannot open the accounts database {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def _run(self, sql: str, args=()) -> list:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @contextmanager
    def _transaction(self):
        """One write transaction, begun at once (BEGIN IMMEDIATE): other threads, and
        other servers sharing the database, wait until it ends."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    # -- users -------------------------------------------------------------
    def add(self, name: str, role: str, password: str) -> User:
        if not NAME_RE.match(name or ""):
            raise ConfigurationError(f"user name {name!r}: use 2 to 40 lowercase letters, "
                                     "digits, '.', '_' or '-', starting with a letter")
        check_role(role)
        _check_password(password)
        if self.get(name, missing_ok=True):
            raise ConfigurationError(f"user {name!r} exists already")
        stamp = _now()
        public_id = "u" + secrets.token_hex(6)
        self._run("INSERT INTO users VALUES (?,?,?,0,?,?,?)",
                  (name, role, HASHER.hash(password), stamp, stamp, public_id))
        return User(name, role, False, stamp, public_id)

    def get(self, name: str, missing_ok: bool = False) -> User | None:
        rows = self._run("SELECT name, role, disabled, created, public_id FROM users WHERE name=?",
                         (name,))
        if not rows:
            if missing_ok:
                return None
            raise NotFound(f"no user {name!r}")
        n, role, disabled, created, public_id = rows[0]
        return User(n, role, bool(disabled), created, public_id)

    def list(self) -> list[User]:
        return [User(n, r, bool(d), c, p) for n, r, d, c, p in self._run(
            "SELECT name, role, disabled, created, public_id FROM users ORDER BY name")]

    def names(self) -> dict[str, str]:
        """Person IRI → sign-in name, for staff pages (never shown to readers)."""
        return {u.iri: u.name for u in self.list()}

    def set_role(self, name: str, role: str) -> User:
        check_role(role)
        self.get(name)
        self._run("UPDATE users SET role=?, updated=? WHERE name=?", (role, _now(), name))
        return self.get(name)

    def set_disabled(self, name: str, disabled: bool = True) -> User:
        self.get(name)
        self._run("UPDATE users SET disabled=?, updated=? WHERE name=?", (int(disabled), _now(), name))
        if disabled:
            self.end_sessions(name)
        return self.get(name)

    def set_password(self, name: str, password: str) -> None:
        """Change the password and end every session of the user."""
        _check_password(password)
        self.get(name)
        self._run("UPDATE users SET password_hash=?, updated=? WHERE name=?",
                  (HASHER.hash(password), _now(), name))
        self.end_sessions(name)

    def verify(self, name: str, password: str) -> User | None:
        """The user if the password is right and the account enabled; else None."""
        rows = self._run("SELECT password_hash FROM users WHERE name=?", (name,))
        stored = rows[0][0] if rows else _DUMMY
        try:
            HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if not rows:
            return None
        user = self.get(name)
        if HASHER.check_needs_rehash(stored):
            self._run("UPDATE users SET password_hash=? WHERE name=?", (HASHER.hash(password), name))
        return None if user.disabled else user

    # -- sessions ----------------------------------------------------------
    def start_session(self, user: User) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = time.time()
        self._run("INSERT INTO sessions VALUES (?,?,?,?,?)",
                  (_hash_token(token), user.name, csrf, now, now + SESSION_DAYS * 86400))
        return Session(user, csrf, token)

    def session(self, token: str | None) -> Session | None:
        if not token:
            return None
        rows = self._run("SELECT s.csrf, s.expires, u.name, u.role, u.disabled, u.created, "
                         "u.public_id FROM sessions s JOIN users u ON u.name = s.name "
                         "WHERE s.token_hash=?", (_hash_token(token),))
        if not rows:
            return None
        csrf, expires, name, role, disabled, created, public_id = rows[0]
        if disabled or expires < time.time():
            self.end_session(token)
            return None
        return Session(User(name, role, False, created, public_id), csrf, token)

    def end_session(self, token: str) -> None:
        self._run("DELETE FROM sessions WHERE token_hash=?", (_hash_token(token),))

    def end_sessions(self, name: str) -> None:
        self._run("DELETE FROM sessions WHERE name=?", (name,))

    # -- sign-in attempts --------------------------------------------------
    def sign_in(self, name: str, password: str, address: str,
                limits: SignInLimits = SignInLimits()) -> User | None:
        """The user for the right password; None for a wrong one or a disabled account.

        Raises RateLimited (with Retry-After) without checking the password when
        ``address`` is at its limit, or when the account is at its limit and
        ``address`` has failed in the window. A wrong password counts against
        both; the right one forgets this address's failures on the account.
        """
        name = name[:64]
        attempt = self._reserve(name, address, limits)
        user = self.verify(name, password)
        if user is None:
            self._run("UPDATE sign_ins SET outcome='failed' WHERE id=?", (attempt,))
        else:
            self._run("DELETE FROM sign_ins WHERE name=? AND address=?", (name, address))
        return user

    def _reserve(self, name: str, address: str, limits: SignInLimits) -> int:
        """Count the attempt (as failed until the password proves right) and decide, in
        one transaction: the attempt's id, or RateLimited."""
        now = time.time()
        since = now - limits.window_s
        with self._transaction() as db:
            tried, first = db.execute("SELECT COUNT(*), MIN(at) FROM sign_ins "
                                      "WHERE address=? AND at>?", (address, since)).fetchone()
            if tried >= limits.limit:           # the address's hard stop; nothing recorded
                stopped = first + limits.window_s - now
                raise RateLimited("too many failed sign-ins from this address; try again in "
                                  f"{wait_words(stopped)}", retry_after=max(1, math.ceil(stopped)))
            failed, last = db.execute("SELECT COUNT(*), MAX(at) FROM sign_ins "
                                      "WHERE name=? AND at>?", (name, since)).fetchone()
            throttled = bool(tried) and failed >= limits.limit and last + limits.delay(failed) > now
            db.execute("DELETE FROM sign_ins WHERE at<?", (now - max(KEPT_S, limits.window_s),))
            attempt = db.execute("INSERT INTO sign_ins (name, address, at, outcome) VALUES (?,?,?,?)",
                                 (name, address, now, "refused" if throttled else "checking"))
        if throttled:
            wait = limits.delay(failed + 1)     # from now: this refusal is the latest attempt
            raise RateLimited(f"too many failed sign-ins to this account; try again in "
                              f"{wait_words(wait)}", retry_after=max(1, math.ceil(wait)))
        return attempt.lastrowid

    def sign_in_records(self, limits: SignInLimits = SignInLimits()
                        ) -> tuple[dict[str, SignInRecord], list[StoppedAddress]]:
        """Accounts with failed attempts in the window (by name), and the stopped addresses."""
        now = time.time()
        since = now - limits.window_s
        records = {}
        for name, attempts, addresses, last in self._run(
                "SELECT name, COUNT(*), COUNT(DISTINCT address), MAX(at) FROM sign_ins "
                "WHERE at>? GROUP BY name", (since,)):
            wait = max(0, math.ceil(last + limits.delay(attempts) - now))
            records[name] = SignInRecord(name, attempts, addresses,
                                         attempts >= limits.limit and wait > 0, wait)
        stopped = [StoppedAddress(address, attempts, max(1, math.ceil(first + limits.window_s - now)))
                   for address, attempts, first in self._run(
                       "SELECT address, COUNT(*), MIN(at) FROM sign_ins WHERE at>? "
                       "GROUP BY address HAVING COUNT(*)>=? ORDER BY address",
                       (since, limits.limit))]
        return records, stopped

    def backup(self, target: str | Path) -> None:
        """A consistent copy of the database (SQLite's online backup)."""
        dest = sqlite3.connect(str(target))
        with self._lock:
            self._db.backup(dest)
        dest.close()


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise ConfigurationError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 1024:
        raise ConfigurationError("a password may have at most 1024 characters")


__all__ = ["Accounts", "User", "Session", "SignInLimits", "SignInRecord", "StoppedAddress",
           "ROLES", "default_db", "wait_words"]

"""Users, sessions and sign-in attempts, in SQLite (``POCKG_DB``).

Passwords are hashed with argon2id at argon2-cffi's defaults (RFC 9106 low
memory: 64 MiB, 3 passes, 4 lanes), above OWASP's minimum. Sessions are
random tokens stored only as SHA-256 hashes, so a stolen database does not
give working cookies; signing out or changing a password deletes them, so a
copied cookie stops working. There is no default account or password.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
import sqlite3
import threading
import time
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
CREATE TABLE IF NOT EXISTS failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_key ON failures(key, at);
"""


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
    def check_attempts(self, keys: list[str], limit: int, window_s: float) -> None:
        """Raise RateLimited when any key failed ``limit`` times within the window."""
        since = time.time() - window_s
        for key in keys:
            rows = self._run("SELECT COUNT(*), MIN(at) FROM failures WHERE key=? AND at>?",
                             (key, since))
            count, first = rows[0]
            if count >= limit:
                retry = max(1, int(first + window_s - time.time()) + 1)
                raise RateLimited("too many failed sign-ins; try again later", retry_after=retry)

    def record_failure(self, keys: list[str]) -> None:
        now = time.time()
        for key in keys:
            self._run("INSERT INTO failures VALUES (?,?)", (key, now))
        self._run("DELETE FROM failures WHERE at<?", (now - 86400,))

    def clear_failures(self, keys: list[str]) -> None:
        for key in keys:
            self._run("DELETE FROM failures WHERE key=?", (key,))

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


__all__ = ["Accounts", "User", "Session", "ROLES", "default_db"]

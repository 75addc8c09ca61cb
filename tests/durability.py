"""Helpers of the durability tests (tests/test_writer_durability.py).

* ``Server``: ``pockg serve`` as a subprocess in a process group of its own,
  so that ``kill9`` is a real ``kill -9`` of the server (and of any worker it
  started); its secret key is fixed per test, so signed-in sessions survive
  a restart.
* ``Http``: a tiny cookie-keeping HTTP client that never follows redirects
  (a save is acknowledged by its 303 answer).
* ``check_store``: opens an on-disk store read-only with pyoxigraph itself
  (not through pockg's code) and checks the curation invariants: every lesson
  lives in exactly one graph, its revision (``pockg:revision`` in its review
  graph) equals its number of ``pockg:CurationEvent``s, its current triples
  equal the ``pockg:snapshot`` of its latest event, and each event's snapshot
  is the previous one minus its removed triples plus its added triples.
* ``Editor``: one client streaming saves (create, edit, lifecycle moves) on
  its own lessons, keeping a model of every acknowledged save and of the one
  request in flight, so that after a crash the stored state of each lesson
  must be exactly the acknowledged one or the in-flight one.
"""

from __future__ import annotations

import http.client
import io
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from support import free_port, pockg_command

REPO = Path(__file__).resolve().parents[1]
BASE = "https://w3id.org/pockg/"
ID = BASE + "id/"
USER_ROOT = BASE + "user/"
GRAPH_ROOT = BASE + "graph/"
POCKG = BASE + "ontology#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
SKOS_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"
LESSON_PREFIX = ID + "lesson/"
CONCEPT = ID + "concept/"
PUBLIC, INTERNAL = CONCEPT + "PUB-PUBLIC", CONCEPT + "PUB-INTERNAL"
OBSERVATION, IDENTIFIED = CONCEPT + "LC-OBSERVATION", CONCEPT + "LC-IDENTIFIED"
REJECTED, LEARNED = CONCEPT + "LC-REJECTED", CONCEPT + "LC-LEARNED"
PUBLISHED = {LEARNED, CONCEPT + "LC-BEST-PRACTICE", CONCEPT + "LC-SUPERSEDED"}

LESSON_RE = re.compile("^" + re.escape(LESSON_PREFIX) + r"(L-[0-9A-Za-z._-]+)$")
EVENT_RE = re.compile("^" + re.escape(LESSON_PREFIX) + r"(L-[0-9A-Za-z._-]+)/event/(\d+)$")
CSRF_RE = re.compile(rb'name="csrf_token" value="([^"]+)"')
START_TIMEOUT_S = 60


def p(local: str) -> str:
    return POCKG + local


# -- processes -------------------------------------------------------------------




def server_env(secret: str | None = None) -> dict:
    """A production server's environment: a (fixed) secret key, cookies not
    Secure (plain http on loopback), no POCKG_* setting inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POCKG_")}
    env.update(POCKG_SECRET_KEY=secret or secrets.token_hex(32),
               POCKG_SESSION_COOKIE_SECURE="false", PYTHONUNBUFFERED="1")
    return env


def pockg(*args: str, env: dict | None = None, stdin: str | None = None,
          timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([*pockg_command(), *map(str, args)], input=stdin, capture_output=True,
                          text=True, timeout=timeout, env=env or server_env(), cwd=REPO,
                          check=False)


def pockg_ok(*args: str, **kw) -> str:
    done = pockg(*args, **kw)
    assert done.returncode == 0, (f"pockg {' '.join(map(str, args))} failed ({done.returncode}):\n"
                                  f"{done.stdout}\n{done.stderr}")
    return done.stdout


def copy_store(source: Path, target: Path) -> None:
    """A closed store folder, its public replica and its accounts database, copied
    to ``target`` (a read-only server needs the replica: it never makes one)."""
    shutil.copytree(source, target)
    replica = Path(f"{source}.public")
    if replica.is_dir():
        shutil.copytree(replica, f"{target}.public")
    db = Path(f"{source}.users.sqlite")
    if db.exists():
        shutil.copy2(db, f"{target}.users.sqlite")


class Server:
    """``pockg serve`` on ``store``; ``kill9`` sends SIGKILL to its process group."""

    def __init__(self, store: Path, log: Path, env: dict, threads: int = 8,
                 extra: tuple[str, ...] = ()):
        self.store, self.log, self.env, self.threads = Path(store), Path(log), env, threads
        self.extra = tuple(extra)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self._log_file = None

    def start(self, timeout: float = START_TIMEOUT_S) -> Server:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_file = open(self.log, "ab")
        self.process = subprocess.Popen(
            [*pockg_command(), "serve", "--store", str(self.store), "--host", "127.0.0.1",
             "--port", str(self.port), "--threads", str(self.threads), *self.extra],
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, cwd=REPO, start_new_session=True)
        self.wait_healthy(timeout)
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if not self.alive:
                raise RuntimeError(f"pockg serve exited with {self.process.returncode}:\n"
                                   + self.output())
            try:
                status, _, body = Http(self).request("GET", "/health", timeout=2)
                if status == 200 and b'"ok":true' in body.replace(b" ", b""):
                    return
            except (OSError, http.client.HTTPException) as exc:
                last = exc
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"pockg serve did not answer /health in {timeout:.0f} s ({last}):\n"
                           + self.output())

    def output(self) -> str:
        if self._log_file:
            self._log_file.flush()
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def kill9(self) -> None:
        """SIGKILL, no warning, to the server and everything it started."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)
        self._close_log()

    def stop(self) -> None:
        """A clean stop (SIGTERM), SIGKILL if it does not stop in 15 s."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)   # stragglers of its group
        except ProcessLookupError:
            pass
        if self.process.poll() is None:
            self.process.wait(timeout=15)
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file:
            self._log_file.close()
            self._log_file = None


# -- HTTP -------------------------------------------------------------------------
class Http:
    """One browser-like session: keeps cookies, never follows redirects."""

    def __init__(self, server: Server):
        self.server = server
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(self, method: str, path: str, form: dict | None = None,
                accept: str | None = None, timeout: float = 30):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=timeout)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if accept:
            headers["Accept"] = accept
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for key, value in response.getheaders():
                if key.lower() == "set-cookie":
                    name, _, rest = value.split(";", 1)[0].partition("=")
                    self.cookies[name.strip()] = rest
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def login(self, name: str, password: str) -> int:
        status, _, body = self.request("GET", "/login")
        assert status == 200, f"GET /login: {status}"
        token = CSRF_RE.search(body).group(1).decode()
        status, _, _ = self.request("POST", "/login", {"name": name, "password": password,
                                                            "csrf_token": token})
        if status in (302, 303):
            self.refresh_csrf()
        return status

    def refresh_csrf(self) -> str:
        status, _, body = self.request("GET", "/account/password")
        assert status == 200, f"GET /account/password after sign-in: {status}"
        self.csrf = CSRF_RE.search(body).group(1).decode()
        return self.csrf

    def post(self, path: str, form: dict, accept: str | None = None):
        return self.request("POST", path, {**form, "csrf_token": self.csrf}, accept=accept)


# -- the invariants of the stored curation -------------------------------------------
@dataclass(frozen=True)
class Model:
    """What a client expects of a lesson after a save."""

    label: str
    observation: str
    publicity: str
    state: str
    revision: int

    def short(self) -> str:
        return (f"rev {self.revision}, {self.state.rsplit('/', 1)[-1]}, "
                f"{self.publicity.rsplit('-', 1)[-1]}, label {self.label!r}")


@dataclass
class StoredLesson:
    id: str
    graph: str
    revision: int
    events: int
    values: dict = field(default_factory=dict)     # predicate -> list of lexical values

    def one(self, predicate: str) -> str | None:
        found = self.values.get(predicate, [])
        return found[0] if len(found) == 1 else None

    def model(self) -> Model:
        return Model(self.one(SKOS_LABEL) or "", self.one(p("observation")) or "",
                     self.one(p("publicity")) or "", self.one(p("lifecycleState")) or "",
                     self.revision)


def _nt(s, pr, o) -> str:
    return f"{s} {pr} {o} ."


def _parse_nt(text: str) -> set[str]:
    if not text.strip():
        return set()
    return {_nt(q.subject, q.predicate, q.object)
            for q in ox.parse(io.BytesIO(text.encode("utf-8")), ox.RdfFormat.N_TRIPLES)}


def _lesson_graphs(lesson_id: str) -> set[str]:
    return {f"{root}{tier}/lesson/{lesson_id}" for root in (USER_ROOT, GRAPH_ROOT)
            for tier in ("public", "internal", "draft")}


def check_store(path: Path) -> tuple[dict[str, StoredLesson], list[str]]:
    """Open the store at ``path`` read-only; (lessons by id, broken invariants)."""
    store = ox.Store.read_only(str(path))
    try:
        return _check(store)
    finally:
        del store


def _check(store: ox.Store) -> tuple[dict[str, StoredLesson], list[str]]:
    problems: list[str] = []
    lesson_quads: dict[str, list[ox.Quad]] = defaultdict(list)
    event_quads: dict[tuple[str, int], list[ox.Quad]] = defaultdict(list)
    for q in store.quads_for_pattern(None, None, None, None):
        s = q.subject.value if isinstance(q.subject, ox.NamedNode) else ""
        if not s.startswith(LESSON_PREFIX):
            continue
        m = LESSON_RE.match(s)
        if m:
            lesson_quads[m.group(1)].append(q)
            continue
        m = EVENT_RE.match(s)
        if m:
            event_quads[(m.group(1), int(m.group(2)))].append(q)
    events_of: dict[str, dict[int, list[ox.Quad]]] = defaultdict(dict)
    for (lid, number), quads in event_quads.items():
        events_of[lid][number] = quads
    lessons: dict[str, StoredLesson] = {}
    for lid in sorted(set(lesson_quads) | set(events_of)):
        review = f"{USER_ROOT}review/lesson/{lid}"
        where = lesson_quads.get(lid, [])
        graphs = {q.graph_name.value for q in where} - {review}
        if len(graphs) != 1:
            problems.append(f"{lid}: lives in {len(graphs)} graphs {sorted(graphs)} (must be one)")
            continue
        graph = graphs.pop()
        if graph not in _lesson_graphs(lid):
            problems.append(f"{lid}: lives in {graph}, not one of its lesson graphs")
        current = {_nt(q.subject, q.predicate, q.object) for q in where
                   if q.graph_name.value == graph}
        values: dict[str, list[str]] = defaultdict(list)
        for q in where:
            if q.graph_name.value == graph:
                values[q.predicate.value].append(q.object.value)
        if p("Lesson") not in values.get(RDF_TYPE, []):
            problems.append(f"{lid}: no rdf:type pockg:Lesson in {graph}")
        in_review = [q for q in where if q.graph_name.value == review]
        revisions = [int(q.object.value) for q in in_review if q.predicate.value == p("revision")]
        others = [q for q in in_review if q.predicate.value != p("revision")]
        if len(revisions) > 1:
            problems.append(f"{lid}: {len(revisions)} pockg:revision values {sorted(revisions)}")
        if others:
            problems.append(f"{lid}: unexpected triples about it in its review graph: {others[:3]}")
        revision = max(revisions) if revisions else 0
        events = events_of.get(lid, {})
        record = StoredLesson(lid, graph, revision, len(events), dict(values))
        lessons[lid] = record
        # every event: in the review graph, of this lesson, numbered by its revision
        snapshots: dict[int, set[str]] = {}
        chain: dict[int, tuple[set[str], set[str]]] = {}
        for number, quads in sorted(events.items()):
            by_pred: dict[str, list] = defaultdict(list)
            for q in quads:
                if q.graph_name.value != review:
                    problems.append(f"{lid}: event {number} has triples in {q.graph_name.value}")
                by_pred[q.predicate.value].append(q.object)
            if p("CurationEvent") not in [o.value for o in by_pred[RDF_TYPE]]:
                problems.append(f"{lid}: event {number} is not a pockg:CurationEvent")
            if [o.value for o in by_pred[p("eventOf")]] != [LESSON_PREFIX + lid]:
                problems.append(f"{lid}: event {number} eventOf {by_pred[p('eventOf')]}")
            if [o.value for o in by_pred[p("revision")]] != [str(number)]:
                problems.append(f"{lid}: event {number} has revision {by_pred[p('revision')]}")
            for key in ("snapshot", "addedTriples", "removedTriples"):
                if len(by_pred[p(key)]) != 1:
                    problems.append(f"{lid}: event {number} has {len(by_pred[p(key)])} {key}")
            if all(len(by_pred[p(k)]) == 1 for k in ("snapshot", "addedTriples", "removedTriples")):
                snapshots[number] = _parse_nt(by_pred[p("snapshot")][0].value)
                chain[number] = (_parse_nt(by_pred[p("addedTriples")][0].value),
                                 _parse_nt(by_pred[p("removedTriples")][0].value))
        if len(events) != revision or set(events) != set(range(1, revision + 1)):
            problems.append(f"{lid}: revision {revision} but events {sorted(events)}")
        if revision and revision in snapshots and snapshots[revision] != current:
            missing = sorted(snapshots[revision] - current)[:3]
            extra = sorted(current - snapshots[revision])[:3]
            problems.append(f"{lid}: current triples differ from the snapshot of event {revision}"
                            f" (in the snapshot only: {missing}; stored only: {extra})")
        previous: set[str] = set()
        for number in range(1, revision + 1):
            if number not in snapshots:
                break
            added, removed = chain[number]
            if snapshots[number] != (previous - removed) | added:
                problems.append(f"{lid}: event {number}'s snapshot is not event {number - 1}'s "
                                "minus its removed plus its added triples")
            previous = snapshots[number]
        # the lesson's graph follows its state and publicity
        state, publicity = record.one(p("lifecycleState")), record.one(p("publicity"))
        tier = ("draft" if state not in PUBLISHED else
                "public" if publicity == PUBLIC else "internal")
        if revision and graph != f"{USER_ROOT}{tier}/lesson/{lid}":
            problems.append(f"{lid}: in {graph} but its state and publicity put it in {tier}")
    return lessons, problems


def dump_quads(path: Path) -> set[str]:
    """Every quad of the store at ``path`` (read-only open), as N-Quads lines."""
    store = ox.Store.read_only(str(path))
    try:
        return {f"{q.subject} {q.predicate} {q.object} {q.graph_name} ."
                for q in store.quads_for_pattern(None, None, None, None)}
    finally:
        del store


def find_literals(path: Path, needle: str) -> list[str]:
    """Quads of the store whose literal contains ``needle`` (for refused saves)."""
    store = ox.Store.read_only(str(path))
    try:
        return [str(q) for q in store.quads_for_pattern(None, None, None, None)
                if isinstance(q.object, ox.Literal) and needle in q.object.value]
    finally:
        del store


# -- a client streaming saves -------------------------------------------------------
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


class Editor:
    """Streams saves on its own lessons and models every acknowledged one.

    ``lessons``: the last acknowledged state of each lesson; ``history``: every
    acknowledged state in order; ``pending``: (lesson id or None for a create,
    the state it would leave) of the request in flight when the server died.
    """

    def __init__(self, name: str, http_client: Http, rng: random.Random, action_body: str,
                 reviewer: bool = False, tag: str = ""):
        self.name, self.http, self.rng = name, http_client, rng
        self.action_body, self.reviewer, self.tag = action_body, reviewer, tag
        self.lessons: dict[str, Model] = {}
        self.history: dict[str, list[Model]] = defaultdict(list)
        self.pending: tuple[str | None, Model] | None = None
        self.refused_creates: list[str] = []
        self.unexpected: list[str] = []
        self.acked = 0
        self.ops = 0
        self.error: Exception | None = None
        self.lock = threading.Lock()
        self._seq = 0

    # the form of a lesson (every form field it uses, so nothing else is dropped)
    def _form(self, model: Model) -> dict:
        return {"prefLabel": model.label, "observation": model.observation,
                "publicity": model.publicity, "remedialAction": "Brief the patrol leaders.",
                "actionBody": self.action_body}

    def _text(self) -> tuple[str, str]:
        self._seq += 1
        label = f"{self.tag}{self.name}-n{self._seq}"
        filler = " ".join(self.rng.choice(("civilians", "patrol", "early-warning", "mission",
                                           "community", "alert", "base", "route"))
                          for _ in range(self.rng.randint(5, 400)))
        return label, f"{label}: {filler}"

    def _choose(self):
        label, observation = self._text()
        if len(self.lessons) < 3 or self.rng.random() < 0.15:
            model = Model(label, observation, self.rng.choice((PUBLIC, INTERNAL)), OBSERVATION, 1)
            return "create", None, "/lessons/new", self._form(model), model
        lesson_id = self.rng.choice(sorted(self.lessons))
        old = self.lessons[lesson_id]
        moves = {OBSERVATION: [("endorse", IDENTIFIED), ("reject", REJECTED)],
                 IDENTIFIED: [("send-back", OBSERVATION), ("reject", REJECTED)]
                 + ([("validate", LEARNED)] * 3 if self.reviewer else []),
                 REJECTED: [("reopen", OBSERVATION)]}.get(old.state, [])
        if moves and self.rng.random() < 0.35:
            transition, target = self.rng.choice(moves)
            model = replace(old, state=target, revision=old.revision + 1)
            form = {"transition": transition, "base": str(old.revision), "note": label}
            return transition, lesson_id, f"/lessons/{lesson_id}/transition", form, model
        publicity = self.rng.choice((PUBLIC, INTERNAL))
        model = replace(old, label=label, observation=observation, publicity=publicity,
                        revision=old.revision + 1)
        return ("edit", lesson_id, f"/lessons/{lesson_id}/edit",
                {**self._form(model), "base": str(old.revision)}, model)

    def step(self) -> bool:
        """One save; False once the server is unreachable (the request stays pending)."""
        kind, lesson_id, path, form, model = self._choose()
        with self.lock:
            self.pending = (lesson_id, model)
        self.ops += 1
        try:
            status, headers, body = self.http.post(path, form)
        except CONNECTION_ERRORS as exc:
            self.error = exc
            return False
        with self.lock:
            self.pending = None
            if status == 303 and kind == "create":
                lesson_id = headers.get("location", "").rsplit("/", 1)[-1]
            if status == 303 and lesson_id:
                self.lessons[lesson_id] = model
                self.history[lesson_id].append(model)
                self.acked += 1
            elif status == 409 and kind == "create":
                self.refused_creates.append(model.label)      # an id clash; nothing saved
            else:
                self.unexpected.append(f"{self.name} {kind} {lesson_id}: HTTP {status} "
                                       f"{body[:300]!r}")
        return True

    @property
    def in_flight(self) -> bool:
        """A request was (or may have been) under way when the server died: pending,
        and not simply refused because the server was gone already."""
        return bool(self.pending) and not isinstance(self.error, ConnectionRefusedError)

    def run(self, stop: threading.Event) -> None:
        self.error = None
        while not stop.is_set():
            if not self.step():
                return

    def snapshot(self) -> dict[str, int]:
        """For each lesson, how many of its saves are acknowledged now."""
        with self.lock:
            return {lid: len(h) for lid, h in self.history.items()}

    def reconcile(self, stored: dict[str, StoredLesson]) -> tuple[list[str], set[str], int]:
        """After a crash: (problems, lesson ids claimed, 1 if the in-flight save landed)."""
        problems, landed = [], 0
        claimed = set(self.lessons)
        pending_id, pending_model = self.pending if self.pending else (None, None)
        for lid, model in sorted(self.lessons.items()):
            found = stored.get(lid)
            if found is None:
                problems.append(f"{self.name}: acknowledged lesson {lid} ({model.short()}) is gone")
                continue
            got = found.model()
            if got == model:
                continue
            if self.pending and pending_id == lid and got == pending_model:
                self.lessons[lid] = got
                self.history[lid].append(got)
                landed = 1
                continue
            problems.append(f"{self.name}: lesson {lid} stored as ({got.short()}); acknowledged "
                            f"({model.short()})" + (f", in flight ({pending_model.short()})"
                                                     if pending_id == lid else ""))
        if self.pending and pending_id is None:                # an unacknowledged create
            matches = [lid for lid, s in stored.items() if s.model() == pending_model]
            if len(matches) > 1:
                problems.append(f"{self.name}: the create in flight was stored {len(matches)} times")
            for lid in matches:
                self.lessons[lid] = pending_model
                self.history[lid].append(pending_model)
                claimed.add(lid)
                landed = 1
        refused = set(self.refused_creates)
        for lid, s in stored.items():
            if s.model().label in refused:
                problems.append(f"{self.name}: refused create {s.model().label!r} stored as {lid}")
        self.pending = None
        return problems, claimed, landed

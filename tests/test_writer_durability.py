"""Nothing lost (issues 4 and 6): the serialized writer, revision checks,
kill -9 in the middle of a stream of saves, online and offline backups; and
(issue 12) every save flushed to disk before it is acknowledged.

Everything runs on the real on-disk store (on-disk Oxigraph loses concurrent
read-modify-write updates; the in-memory store hides it, see
../shared/reference/security.md) and, where HTTP is involved, against the
real production server (``pockg serve`` in a subprocess, killed with
SIGKILL). The invariants are checked by opening the store read-only with
pyoxigraph itself (tests/durability.py), not through pockg's own readers.

Set POCKG_DURABILITY_SEED to replay the random kill moments of a run.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import threading
import time
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox
import pytest
from durability import (
    INTERNAL,
    PUBLIC,
    REPO,
    Editor,
    Http,
    Server,
    check_store,
    copy_store,
    dump_quads,
    find_literals,
    pockg,
    pockg_ok,
    server_env,
)

PASSWORDS = {"cura": "curator-password-1", "cura2": "curator-password-2",
             "revi": "reviewer-password-3"}
ROLES = {"cura": "curator", "cura2": "curator", "revi": "reviewer"}
KILL_ROUNDS = 22
SEED = int(os.environ.get("POCKG_DURABILITY_SEED") or time.time_ns() % 1_000_000)
SHAPES = REPO / "ontology" / "shapes"


def say(capsys, text: str) -> None:
    """Figures the brief asks for, shown in the test output even when it passes."""
    with capsys.disabled():
        print(f"\n[durability] {text}", flush=True)


# -- a built store with accounts, made once ----------------------------------------------
@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """`pockg build` into an on-disk store, then `pockg user add … --password-stdin`."""
    root = tmp_path_factory.mktemp("durability-base")
    store = root / "store"
    env = server_env()
    pockg_ok("build", "--store", store, "-q", env=env, timeout=300)
    for name, role in ROLES.items():
        pockg_ok("user", "add", name, "--role", role, "--password-stdin", "--store", store,
                 env=env, stdin=PASSWORDS[name] + "\n")
    ro = ox.Store.read_only(str(store))
    actor = next(iter(ro.query(
        "SELECT ?x WHERE { ?x a <https://w3id.org/pockg/ontology#Actor> } ORDER BY ?x LIMIT 1",
        use_default_graph_as_union=True)))["x"].value
    del ro
    return {"store": store, "actor": actor}


@pytest.fixture
def fresh(base, tmp_path):
    """A private copy of the built store and its accounts."""
    store = tmp_path / "store"
    copy_store(base["store"], store)
    return store


@pytest.fixture
def servers():
    """Every server a test starts is stopped at its end, even when it fails."""
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def signed_in(server: Server, name: str) -> Http:
    client = Http(server)
    status = client.login(name, PASSWORDS[name])
    assert status in (302, 303), f"sign-in of {name} answered {status}"
    return client


# -- 1. the serialized writer on the on-disk store ---------------------------------------
COUNTER_G = ox.NamedNode("urn:pockg-test:counter-graph")
COUNTER_S = ox.NamedNode("urn:pockg-test:counter")
COUNTER_P = ox.NamedNode("urn:pockg-test:value")


def _values(store) -> list[int]:
    return sorted(int(q.object.value) for q in store.match(COUNTER_S, COUNTER_P, None, COUNTER_G))


def _increment(store):
    """Read the counter and replace it by its value plus one (a read-modify-write)."""
    from pockg.writer import Change

    seen = _values(store)
    return Change(remove=[ox.Quad(COUNTER_S, COUNTER_P, ox.Literal(v), COUNTER_G) for v in seen],
                  add=[ox.Quad(COUNTER_S, COUNTER_P, ox.Literal(max(seen) + 1), COUNTER_G)])


def _hammer(location: Path, serialized: bool, threads: int = 8, each: int = 150) -> list[int]:
    from pockg.store import open_store
    from pockg.writer import Writer

    store = open_store(location)
    assert store.location != ":memory:"
    try:
        store.apply([], [ox.Quad(COUNTER_S, COUNTER_P, ox.Literal(0), COUNTER_G)])
        writer = Writer(store)
        start = threading.Barrier(threads)
        errors: list[BaseException] = []

        def work():
            try:
                start.wait()
                for _ in range(each):
                    if serialized:
                        writer.write(_increment)
                    else:
                        change = _increment(store)           # read, then write, no lock
                        store.apply(change.remove, change.add)
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join(timeout=120)
        assert not errors, errors
        return _values(store)
    finally:
        store.close()


def test_serialized_writer_keeps_every_increment_on_the_on_disk_store(tmp_path, capsys):
    """8 threads × 150 read-modify-write increments through Writer.write: all 1,200
    kept. The same loop without the writer shows what the writer prevents."""
    unserialized = _hammer(tmp_path / "unserialized", serialized=False)
    kept = max(unserialized)
    say(capsys, f"without the writer, on disk: {kept} of 1200 increments kept, "
                f"{len(unserialized)} value(s) left coexisting")
    serialized = _hammer(tmp_path / "serialized", serialized=True)
    say(capsys, f"through Writer.write, on disk: {serialized} (expected [1200])")
    assert serialized == [1200], (
        f"the serialized writer lost updates on the on-disk store: {serialized}")
    # the unserialized half only demonstrates the test's power; it is not asserted


# -- 2. revision checks ------------------------------------------------------------------
def _service(location: Path):
    from pockg.curation.service import Curation
    from pockg.store import open_store
    from pockg.writer import Writer

    store = open_store(location)
    return store, Curation(store, Writer(store), SHAPES)


def _values_of(label: str, observation: str, actor: str, publicity: str = PUBLIC) -> dict:
    return {"prefLabel": [ox.Literal(label, language="en")],
            "observation": [ox.Literal(observation, language="en")],
            "publicity": [ox.NamedNode(publicity)], "remedialAction":
            [ox.Literal("Brief the patrol leaders.", language="en")],
            "actionBody": [ox.NamedNode(actor)]}


def test_second_editor_from_the_same_revision_gets_a_conflict(base, fresh):
    """Two editors start from revision 1: the first saves, the second gets Conflict
    naming the changed fields, and nothing of the second edit is stored."""
    from pockg.accounts import User
    from pockg.errors import Conflict

    store, svc = _service(fresh)
    ann, bob = User("cura", "curator"), User("cura2", "curator")
    try:
        lid = svc.create(_values_of("Original title", "Original observation", base["actor"]), ann)
        base_ann = svc.get(lid, ann).revision
        base_bob = svc.get(lid, bob).revision
        assert base_ann == base_bob == 1
        assert svc.update(lid, _values_of("Ann's title", "Ann's observation", base["actor"]),
                          base_ann, ann) == 2
        with pytest.raises(Conflict) as caught:
            svc.update(lid, _values_of("Bob-MARKER title", "Bob-MARKER observation",
                                       base["actor"], INTERNAL), base_bob, bob)
        details = caught.value.details
        assert caught.value.http_status == 409
        assert details["base"] == 1 and details["current"] == 2
        assert set(details["changed"]) == {"prefLabel", "observation"}, details
        assert details["by"] == [ann.iri], details
    finally:
        store.close()
    lessons, problems = check_store(fresh)
    assert not problems, problems
    stored = lessons[lid].model()
    assert (stored.revision, stored.label, stored.observation, stored.publicity) == (
        2, "Ann's title", "Ann's observation", PUBLIC)
    assert lessons[lid].events == 2
    assert find_literals(fresh, "Bob-MARKER") == [], "part of the refused edit was stored"


def test_racing_editors_from_one_revision_exactly_one_wins(base, fresh):
    """Eight editors save from the same revision at the same moment: the check runs
    under the writer's lock, so exactly one wins and seven get Conflict."""
    from pockg.accounts import User
    from pockg.errors import Conflict

    store, svc = _service(fresh)
    editor = User("cura", "curator")
    outcomes: dict[int, str] = {}
    try:
        lid = svc.create(_values_of("Raced", "Raced observation", base["actor"]), editor)
        start = threading.Barrier(8)

        def save(i: int):
            start.wait()
            try:
                svc.update(lid, _values_of(f"RACE-{i} title", f"RACE-{i} observation",
                                           base["actor"]), 1, editor)
                outcomes[i] = "saved"
            except Conflict:
                outcomes[i] = "conflict"
            except Exception as exc:  # noqa: BLE001 - reported below
                outcomes[i] = f"{type(exc).__name__}: {exc}"

        threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        store.close()
    winners = [i for i, o in outcomes.items() if o == "saved"]
    assert sorted(outcomes.values()).count("conflict") == 7 and len(winners) == 1, outcomes
    lessons, problems = check_store(fresh)
    assert not problems, problems
    stored = lessons[lid].model()
    assert stored.revision == 2 and stored.label == f"RACE-{winners[0]} title"
    losers = [i for i in outcomes if i not in winners]
    for i in losers:
        assert find_literals(fresh, f"RACE-{i} ") == [], f"the losing edit {i} left triples"


def test_stale_edit_over_http_is_409_and_stores_nothing(base, fresh, servers, tmp_path):
    """Over HTTP: two curators open the edit form at revision 1; the second save
    answers 409 naming the changed fields, as JSON and as the form page."""
    server = Server(fresh, tmp_path / "serve.log", server_env())
    servers.append(server)
    server.start()
    ann, bob = signed_in(server, "cura"), signed_in(server, "cura2")
    form = {"prefLabel": "Shared lesson", "observation": "First words",
            "publicity": PUBLIC, "remedialAction": "Act.", "actionBody": base["actor"]}
    status, headers, _ = ann.post("/lessons/new", form)
    assert status == 303, status
    lid = headers["location"].rsplit("/", 1)[-1]
    bases = []
    for client in (ann, bob):
        status, _, page = client.request("GET", f"/lessons/{lid}/edit")
        assert status == 200
        bases.append(page.split(b'name="base" value="', 1)[1].split(b'"', 1)[0].decode())
    assert bases == ["1", "1"]
    status, _, _ = ann.post(f"/lessons/{lid}/edit", {**form, "base": bases[0],
                                                     "observation": "Ann changed it"})
    assert status == 303, status
    stale = {**form, "base": bases[1], "prefLabel": "Bob-MARKER-1 title",
             "observation": "Bob-MARKER-1 words"}
    status, _, body = bob.post(f"/lessons/{lid}/edit", stale, accept="application/json")
    assert status == 409, (status, body[:500])
    answer = json.loads(body)
    assert answer["changed"] == ["observation"] and answer["current"] == 2, answer
    status, _, page = bob.post(f"/lessons/{lid}/edit", {**stale, "prefLabel": "Bob-MARKER-2"})
    assert status == 409 and b"observation" in page.lower()
    server.stop()
    lessons, problems = check_store(fresh)
    assert not problems, problems
    assert lessons[lid].model().observation == "Ann changed it"
    assert lessons[lid].revision == 2
    assert find_literals(fresh, "Bob-MARKER") == [], "part of a refused edit was stored"


# -- 3. kill -9 in the middle of a stream of saves ----------------------------------------
def _editors(server: Server, actor: str, rng: random.Random) -> list[Editor]:
    out = []
    for i, name in enumerate(("cura", "cura", "cura", "revi")):
        out.append(Editor(f"{name}{i}", signed_in(server, name), random.Random(rng.random()),
                          actor, reviewer=name == "revi"))
    return out


def _stream(editors: list[Editor]) -> tuple[threading.Event, list[threading.Thread]]:
    stop = threading.Event()
    threads = [threading.Thread(target=e.run, args=(stop,), daemon=True) for e in editors]
    for t in threads:
        t.start()
    return stop, threads


def _join(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client thread hangs"


def test_kill_9_during_saves_keeps_every_acknowledged_save_and_no_half_save(
        base, fresh, servers, tmp_path, capsys):
    """≥20 times: stream saves from four signed-in clients (three curators, one
    reviewer: creates, edits, lifecycle moves that change the lesson's graph),
    kill -9 the server at a random moment, check the store read-only, restart."""
    rng = random.Random(SEED)
    env = server_env()                       # one secret key: sessions outlive the kills
    server = Server(fresh, tmp_path / "serve.log", env)
    servers.append(server)
    server.start()
    editors = _editors(server, base["actor"], rng)
    rounds = []
    lessons: dict = {}
    for number in range(1, KILL_ROUNDS + 1):
        if number > 1:
            server.start()
            status, _, body = editors[0].http.request("GET", "/lessons?format=json")
            assert status == 200, f"round {number}: the restarted server lists lessons: {status}"
            listed = {row["id"] for row in json.loads(body)["lessons"]}
            assert listed == set(lessons), (
                f"round {number}: the restarted server lists {len(listed)} lessons, the store "
                f"held {len(lessons)} after the kill")
        acked_before = sum(e.acked for e in editors)
        stop, threads = _stream(editors)
        delay = rng.uniform(0.2, 2.2)
        time.sleep(delay)
        server.kill9()
        stop.set()
        _join(threads)
        in_flight = sum(1 for e in editors if e.in_flight)
        lessons, problems = check_store(fresh)
        landed, claimed = 0, set()
        for e in editors:
            found, mine, did_land = e.reconcile(lessons)
            problems += found
            claimed |= mine
            landed += did_land
            problems += e.unexpected
        problems += [f"lesson {lid} is stored but no client saved it"
                     for lid in sorted(set(lessons) - claimed)]
        acked = sum(e.acked for e in editors) - acked_before
        rounds.append((number, round(delay, 2), acked, in_flight, landed))
        assert not problems, (f"round {number} (seed {SEED}, kill after {delay:.2f} s):\n"
                              + "\n".join(problems[:30]) + "\n" + server.output()[-1500:])
    total = sum(r[2] for r in rounds)
    clashes = sum(len(e.refused_creates) for e in editors)
    say(capsys, f"kill -9 × {len(rounds)} (seed {SEED}): {total} acknowledged saves, "
                f"{sum(r[3] for r in rounds)} in flight at a kill, {sum(r[4] for r in rounds)} "
                f"of those landed; {len(lessons)} lessons, "
                f"{sum(s.events for s in lessons.values())} events; all invariants held; "
                f"{clashes} create(s) refused with 409 (lesson id clash)")
    say(capsys, "rounds (number, kill after s, acked, in flight, landed): "
                + " ".join(str(r) for r in rounds))
    assert len(rounds) >= 20 and total >= 20 * 5
    assert sum(r[3] for r in rounds) >= len(rounds) // 2, (
        "too few kills hit a save in flight to say anything about half-saves")

    # after the last crash (its control socket may be left behind), with no server:
    # `pockg backup` works offline and restores to the same quads
    backup = tmp_path / "backup-after-crash"
    out = pockg_ok("backup", backup, "--store", fresh, env=env)
    assert "(offline)" in out, out
    restored = tmp_path / "restored-after-crash"
    pockg_ok("restore", backup, "--store", restored, env=env)
    assert dump_quads(restored) == dump_quads(fresh)


# -- 4. online backup under write load -----------------------------------------------------
def test_online_backup_under_write_load_restores_consistently(base, fresh, servers, tmp_path,
                                                              capsys):
    env = server_env()
    server = Server(fresh, tmp_path / "serve.log", env)
    servers.append(server)
    server.start()
    rng = random.Random(SEED + 1)
    editors = _editors(server, base["actor"], rng)
    stop, threads = _stream(editors)
    try:
        time.sleep(1.5)
        before = {e.name: e.snapshot() for e in editors}        # acknowledged before the backup
        acked_before = sum(e.acked for e in editors)
        backup1 = tmp_path / "backup-under-load"
        out = pockg_ok("backup", backup1, "--store", fresh, env=env)
        assert "(server)" in out, f"the backup did not go through the server: {out}"
        time.sleep(0.5)
    finally:
        stop.set()
        _join(threads)
    problems = [u for e in editors for u in e.unexpected]
    problems += [f"{e.name}: {e.error!r}" for e in editors if e.error]
    assert not problems, problems
    acked_total = sum(e.acked for e in editors)
    say(capsys, f"online backup: {acked_before} saves acknowledged before it began, "
                f"{acked_total} in all while it ran")
    assert acked_before > 10 and acked_total > acked_before

    # restore into another location (the server keeps the live one) and check it
    restored = tmp_path / "restored-under-load"
    pockg_ok("restore", backup1, "--store", restored, env=env)
    lessons, problems = check_store(restored)
    histories = {lid: (e.name, h) for e in editors for lid, h in e.history.items()}
    for lid, stored in lessons.items():
        if lid not in histories:
            problems.append(f"the backup holds lesson {lid}, which no client saved")
            continue
        name, history = histories[lid]
        known = before[name].get(lid, 0)
        allowed = history[max(known - 1, 0):]
        if stored.model() not in allowed:
            problems.append(f"{lid}: backed up as ({stored.model().short()}), not a state "
                            f"acknowledged at or after the backup began "
                            f"({[m.short() for m in allowed][:3]})")
    for name, seen in before.items():
        for lid, count in seen.items():
            if count and lid not in lessons:
                problems.append(f"{lid} was acknowledged ({count} saves) before the backup "
                                "began but is not in it")
    assert not problems, "\n".join(problems[:30])
    from pockg.accounts import Accounts

    accounts = Accounts(f"{restored}.users.sqlite")
    assert accounts.verify("cura", PASSWORDS["cura"]) is not None, "accounts not restored"
    accounts.close()

    # a restore onto the store the server holds is refused, clearly, and changes nothing
    refused = pockg("restore", backup1, "--store", fresh, env=env)
    assert refused.returncode != 0, "restore replaced the store of a running server"
    assert "in use" in refused.stderr and "pockg serve" in refused.stderr, refused.stderr
    assert not list(fresh.parent.glob("store.replaced-*")), "restore moved the live store aside"
    assert not list(fresh.parent.glob("store.users.sqlite.replaced-*")), (
        "restore moved the live accounts aside")
    assert Http(server).request("GET", "/health")[0] == 200

    # quiet now: a second backup restores to exactly the live store's quads
    backup2 = tmp_path / "backup-quiet"
    pockg_ok("backup", backup2, "--store", fresh, env=env)
    live = dump_quads(fresh)                  # read-only open, same quiet moment
    restored2 = tmp_path / "restored-quiet"
    pockg_ok("restore", backup2, "--store", restored2, env=env)
    copy = dump_quads(restored2)
    say(capsys, f"quiet backup: {len(copy)} quads restored, live store {len(live)}, "
                f"{len(lessons)} lessons in the backup taken under load")
    assert copy == live, (f"{len(live - copy)} quads only live, {len(copy - live)} only in the "
                          f"restored backup: {sorted(live ^ copy)[:5]}")


# -- 5. offline backup --------------------------------------------------------------------
def test_offline_backup_and_restore_round_trip_store_and_accounts(base, fresh, servers, tmp_path):
    from pockg.accounts import Accounts, User

    store, svc = _service(fresh)
    curator = User("cura", "curator")
    try:
        kept = svc.create(_values_of("Kept lesson", "Before the backup", base["actor"]), curator)
        svc.update(kept, _values_of("Kept lesson", "Edited before the backup", base["actor"]),
                   1, curator)
    finally:
        store.close()
    before = dump_quads(fresh)
    env = server_env()
    backup = tmp_path / "offline-backup"
    out = pockg_ok("backup", backup, "--store", fresh, env=env)
    assert "(offline)" in out, out

    # after the backup: another lesson, a new password, a new account
    store, svc = _service(fresh)
    try:
        later = svc.create(_values_of("Later lesson", "After the backup", base["actor"]), curator)
    finally:
        store.close()
    pockg_ok("user", "set-password", "cura", "--password-stdin", "--store", fresh, env=env,
             stdin="a-new-password-9\n")
    pockg_ok("user", "add", "latecomer", "--role", "curator", "--password-stdin", "--store",
             fresh, env=env, stdin="latecomer-password\n")

    pockg_ok("restore", backup, "--store", fresh, env=env)
    assert dump_quads(fresh) == before, "the restored store differs from the backed-up one"
    lessons, problems = check_store(fresh)
    assert not problems, problems
    assert kept in lessons and later not in lessons
    assert list(fresh.parent.glob("store.replaced-*")), "the replaced store was not kept aside"
    accounts = Accounts(f"{fresh}.users.sqlite")
    assert accounts.get("latecomer", missing_ok=True) is None
    accounts.close()

    # users sign in on the restored store with the password they had at backup time
    server = Server(fresh, tmp_path / "serve.log", env)
    servers.append(server)
    server.start()
    client = Http(server)
    assert client.login("cura", "a-new-password-9") == 401
    assert client.login("cura", PASSWORDS["cura"]) in (302, 303)
    status, _, page = client.request("GET", f"/lessons/{kept}")
    assert status == 200 and b"Kept lesson" in page
    assert Http(server).login("latecomer", "latecomer-password") == 401


# -- the checks can fail: half-saves and lost saves are seen ----------------------------------
def _corrupt(source: Path, target: Path, update: str) -> list[str]:
    copy_store(source, target)
    store = ox.Store(str(target))
    store.update(update)
    store.flush()
    del store
    return check_store(target)[1]


def test_the_store_checks_see_half_saves_and_lost_saves(base, fresh, tmp_path):
    """check_store and Editor.reconcile are what the kill -9 and backup tests rely
    on: each kind of damage a crash could leave is reported."""
    from pockg.accounts import User

    store, svc = _service(fresh)
    curator = User("cura", "curator")
    try:
        lid = svc.create(_values_of("Checked", "Observation one", base["actor"]), curator)
        svc.update(lid, _values_of("Checked", "Observation two", base["actor"]), 1, curator)
        svc.update(lid, _values_of("Checked", "Observation three", base["actor"]), 2, curator)
    finally:
        store.close()
    lessons, problems = check_store(fresh)
    assert not problems and lessons[lid].revision == 3 and lessons[lid].events == 3
    iri = f"<https://w3id.org/pockg/id/lesson/{lid}>"
    event = f"<https://w3id.org/pockg/id/lesson/{lid}/event/3>"
    review = f"<https://w3id.org/pockg/user/review/lesson/{lid}>"
    draft = f"<https://w3id.org/pockg/user/draft/lesson/{lid}>"
    public = f"<https://w3id.org/pockg/user/public/lesson/{lid}>"
    label = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
    damage = {
        "the latest event is missing": f"DELETE WHERE {{ GRAPH {review} {{ {event} ?p ?o }} }}",
        "the revision is ahead of the events":
            f"DELETE {{ GRAPH {review} {{ {iri} pockg:revision ?r }} }} INSERT {{ GRAPH {review} "
            f"{{ {iri} pockg:revision 4 }} }} WHERE {{ GRAPH {review} {{ {iri} pockg:revision ?r }} }}",
        "the lesson is in two graphs": f"INSERT {{ GRAPH {public} {{ {iri} ?p ?o }} }} "
                                       f"WHERE {{ GRAPH {draft} {{ {iri} ?p ?o }} }}",
        "the lesson changed without an event":
            f"DELETE {{ GRAPH {draft} {{ {iri} {label} ?l }} }} INSERT {{ GRAPH {draft} "
            f"{{ {iri} {label} \"Changed\"@en }} }} WHERE {{ GRAPH {draft} {{ {iri} {label} ?l }} }}",
        "the lesson's triples are gone, its events not":
            f"DELETE WHERE {{ GRAPH {draft} {{ {iri} ?p ?o }} }}",
    }
    prefix = "PREFIX pockg: <https://w3id.org/pockg/ontology#>\n"
    for i, (what, update) in enumerate(damage.items()):
        found = _corrupt(fresh, tmp_path / f"damaged-{i}", prefix + update)
        assert any(lid in problem for problem in found), f"not seen: {what}"

    # reconcile: a lost acknowledged save is reported; a landed in-flight one is adopted
    stored = lessons[lid].model()
    editor = Editor("probe", None, random.Random(0), base["actor"])
    editor.lessons[lid] = stored
    editor.pending = (lid, stored)
    assert editor.reconcile(lessons)[0] == []
    editor.lessons[lid] = replace(stored, revision=4, observation="acknowledged, then lost")
    found, _, _ = editor.reconcile(lessons)
    assert found and "acknowledged" in found[0]
    previous = replace(stored, revision=2, observation="Observation two")
    editor.lessons[lid], editor.pending = previous, (lid, stored)
    assert editor.reconcile(lessons)[0] == [] and editor.lessons[lid] == stored
    editor.lessons = {"L-00000000-gone00": stored}
    assert "is gone" in editor.reconcile(lessons)[0][0]


# -- found while writing these tests -------------------------------------------------------
def test_restore_refuses_while_a_read_only_server_holds_the_store(fresh, servers, tmp_path):
    """`pockg serve --read-only` holds the store too (and its accounts database,
    which it still writes: sign-ins, sessions, user admin). A restore under it
    must be refused, not done behind its back."""
    env = server_env()
    backup = tmp_path / "backup"
    pockg_ok("backup", backup, "--store", fresh, env=env)
    server = Server(fresh, tmp_path / "serve.log", env, extra=("--read-only",))
    servers.append(server)
    server.start()
    done = pockg("restore", backup, "--store", fresh, env=env)
    moved = sorted(p.name for p in fresh.parent.glob("store*.replaced-*"))
    assert done.returncode != 0 and "pockg serve" in done.stderr, (
        f"restore went ahead under a running `pockg serve --read-only` (exit {done.returncode}:"
        f" {done.stdout.strip()}); moved aside while it served: {moved}")
    assert not moved


def test_a_refused_lifecycle_move_is_not_answered_like_a_save(fresh, servers, tmp_path):
    """A client knows a save was kept by its 303 answer. A lifecycle move the
    service refuses must not answer 303 too, at least to a client that asks for
    JSON (browsers get the page back with a message): a stale base gets 409, and
    so must a move refused for a missing field (422, as the forms answer)."""
    server = Server(fresh, tmp_path / "serve.log", server_env())
    servers.append(server)
    server.start()
    curator = signed_in(server, "cura")
    status, headers, _ = curator.post("/lessons/new", {
        "prefLabel": "No remedial action yet", "observation": "Seen on patrol",
        "publicity": PUBLIC})
    assert status == 303
    lid = headers["location"].rsplit("/", 1)[-1]
    stale, _, _ = curator.post(f"/lessons/{lid}/transition", {"transition": "reject",
                                                              "base": "7"},
                               accept="application/json")
    status, headers, _ = curator.post(f"/lessons/{lid}/transition",
                                      {"transition": "endorse", "base": "1"},
                                      accept="application/json")
    server.stop()
    assert stale == 409, f"a move from a stale revision answered {stale}"
    lessons, problems = check_store(fresh)
    assert not problems and lessons[lid].revision == 1, "the refused move was stored"
    assert 400 <= status < 500, (
        f"the refused move answered {status} (Location {headers.get('location')}), exactly "
        "like a kept save; nothing was saved (the lesson is still at revision 1)")


# -- 6. beyond kill -9: on disk before it is acknowledged -----------------------------------
# A commit puts a change in Oxigraph's write-ahead log, which the operating system
# holds in memory: a kill -9 keeps it, a power cut may not. Store.flush writes the
# memtables out and syncs them (and the WAL); the writer calls it before a save is
# acknowledged.
def _spy(store, name: str, events: list[str]):
    """Record ``name write`` / ``name flush`` each time ``store`` writes or flushes."""
    for method, event in (("apply", "write"), ("extend", "write"),
                          ("replace_graphs", "write"), ("flush", "flush")):
        real = getattr(store, method)

        def recorded(*args, _real=real, _event=event, **kwargs):
            events.append(f"{name} {_event}")
            return _real(*args, **kwargs)

        setattr(store, method, recorded)


def _flushed_before_ack(events: list[str], name: str) -> bool:
    """Whether ``events`` (ending with the acknowledgement) flush ``name`` after its
    last write."""
    writes = [i for i, e in enumerate(events) if e == f"{name} write"]
    return bool(writes) and f"{name} flush" in events[writes[-1]:]


def test_durability_save_is_flushed_before_acknowledged(base, fresh):
    """Durability beyond kill -9: a save was acknowledged while still only in the
    store's unsynced write-ahead log; it must be flushed to disk first."""
    from pockg import replica as R
    from pockg.accounts import User
    from pockg.curation.service import Curation
    from pockg.store import open_store
    from pockg.writer import Writer

    store = open_store(fresh)
    public = R.open_replica(str(fresh))
    writer = Writer(store)
    writer.on_commit(R.Mirror(store, public))
    svc = Curation(store, writer, SHAPES)
    curator = User("cura", "curator")
    events: list[str] = []
    _spy(store, "store", events)
    _spy(public, "replica", events)
    try:
        lid = svc.create(_values_of("Flushed", "Before it is acknowledged", base["actor"]),
                         curator)
        created = events + ["acknowledged"]
        events.clear()
        svc.update(lid, _values_of("Flushed", "Edited, flushed too", base["actor"]), 1, curator)
        edited = events + ["acknowledged"]
    finally:
        public.close()
        store.close()
    for what, seen in (("a create", created), ("an edit", edited)):
        assert _flushed_before_ack(seen, "store"), (
            f"{what} was acknowledged before the store was flushed to disk: {seen}")
        # the replica is derived (`pockg serve` re-copies it at start), but a read-only
        # server does not re-copy it: a withdrawal must stay withdrawn after a power cut
        assert _flushed_before_ack(seen, "replica"), (
            f"{what} was acknowledged before the public replica was flushed: {seen}")


class TracedServer(Server):
    """``pockg serve`` under strace: which files it syncs, and when it answers."""

    CALLS = "fsync,fdatasync,recvfrom,sendto"

    def __init__(self, store: Path, log: Path, env: dict, trace: Path):
        super().__init__(store, log, env)
        self.trace = trace

    def start(self, timeout: float = 60) -> Server:
        from durability import free_port, pockg_command

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log_file = open(self.log, "ab")  # noqa: SIM115 - closed by stop()
        self.process = subprocess.Popen(
            ["strace", "-f", "-qq", "--seccomp-bpf", "-y", "-s", "96", "-e",
             f"trace={self.CALLS}", "-o", str(self.trace), *pockg_command(), "serve",
             "--store", str(self.store), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, cwd=REPO, start_new_session=True)
        self.wait_healthy(timeout)
        return self


def _strace_works() -> bool:
    if not shutil.which("strace"):
        return False
    done = subprocess.run(["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=fsync", "true"],
                          capture_output=True, check=False)
    return done.returncode == 0


def _synced_before_answer(trace: str, store: Path, request: str, status: bytes) -> list[str]:
    """The store's files synced between the server reading ``request`` and sending
    the answer ``status``, in the order strace saw the calls."""
    lines = trace.splitlines()     # what recvfrom read is on its line or its "resumed" one
    start = next((i for i, line in enumerate(lines) if "recvfrom" in line and request in line),
                 None)
    assert start is not None, f"strace did not see the server read {request!r}"
    answer = next((i for i, line in enumerate(lines[start:], start)
                   if "sendto(" in line and status.decode() in line), None)
    assert answer is not None, f"strace did not see the server answer {request!r} with {status!r}"
    inside = f"<{store.resolve()}/"
    return [line.split("<", 1)[1].split(">", 1)[0] for line in lines[start:answer]
            if re.search(r"\b(fsync|fdatasync)\(", line) and inside in line]


def test_durability_save_is_fsynced_before_its_303(base, fresh, servers, tmp_path):
    """Durability beyond kill -9, at the system calls: the server answered a save's
    303 with the change written but not synced to disk (no fsync of the store)."""
    assert _strace_works(), "strace is missing or cannot trace here (scripts/test.sh installs it)"
    trace = tmp_path / "serve.strace"
    server = TracedServer(fresh, tmp_path / "serve.log", server_env(), trace)
    servers.append(server)
    server.start()
    curator = signed_in(server, "cura")
    status, headers, _ = curator.post("/lessons/new", {
        "prefLabel": "Synced lesson", "observation": "On disk before the 303",
        "publicity": PUBLIC, "remedialAction": "Act.", "actionBody": base["actor"]})
    assert status == 303, status
    lid = headers["location"].rsplit("/", 1)[-1]
    status, _, _ = curator.post(f"/lessons/{lid}/edit", {
        "prefLabel": "Synced lesson", "observation": "Edited, on disk before the 303",
        "publicity": PUBLIC, "remedialAction": "Act.", "actionBody": base["actor"],
        "base": "1"})
    assert status == 303, status
    server.stop()
    text = trace.read_text(errors="replace")
    for request in ("POST /lessons/new", f"POST /lessons/{lid}/edit"):
        synced = _synced_before_answer(text, fresh, request, b"HTTP/1.1 303")
        # the write-ahead log holds the save: it must be synced (a compaction that happens
        # to sync other files of the store at that moment would not be enough)
        assert any(path.endswith(".log") for path in synced), (
            f"{request} was answered 303 before the store's write-ahead log was synced to disk "
            f"(files of the store synced in between: {synced or 'none'})")

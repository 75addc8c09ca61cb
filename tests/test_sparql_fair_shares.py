"""Fair shares on the real endpoint and worker processes: a short query from one
client is not held behind another client's long ones (web/fairness.py)."""

from __future__ import annotations

import threading
import time

import pytest

from web import create_app

JSON_ACCEPT = {"Accept": "application/sparql-results+json"}
CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
CHEAP = "ASK { ?s ?p ?o }"


def make_app(store, **config):
    settings = {"STORE": str(store), "SPARQL_QUEUE_WAIT_S": 2.0, "SPARQL_CLIENT_BUDGET_S": 0,
                "SPARQL_WORKER_MEMORY_MB": 1500, "SPARQL_SHORT_QUERY_S": 1.0}
    settings.update(config)
    return create_app(settings, profile="testing")


def ask(app, query: str, address: str):
    """The query sent from ``address``; (response, seconds)."""
    started = time.monotonic()
    r = app.test_client().get("/sparql", query_string={"query": query}, headers=JSON_ACCEPT,
                              environ_base={"REMOTE_ADDR": address})
    return r, time.monotonic() - started


def in_background(app, query: str, address: str) -> tuple[threading.Thread, dict]:
    out: dict = {}

    def go():
        out["response"], out["seconds"] = ask(app, query, address)

    thread = threading.Thread(target=go)
    thread.start()
    return thread, out


@pytest.fixture
def stop():
    apps = []
    yield apps.append
    for app in apps:
        workers = app.extensions["pockg"].extras.get("sparql_workers")
        if workers is not None:
            workers.shutdown()


def test_a_short_query_stops_a_long_one_of_another_client_when_every_worker_is_busy(
        curated_store_path, stop):
    app = make_app(curated_store_path, SPARQL_WORKERS=1, SPARQL_TIMEOUT_S=6)
    stop(app)
    assert ask(app, CHEAP, "127.0.0.3")[0].status_code == 200     # a client with a record
    hog, hogged = in_background(app, CARTESIAN, "127.0.0.2")
    time.sleep(0.5)                                 # the hog holds the only worker
    r, seconds = ask(app, CHEAP, "127.0.0.3")
    hog.join()
    assert r.status_code == 200
    assert seconds < 2.0                            # ~0.5 s until the hog is long, then a restart
    stopped = hogged["response"]
    assert stopped.status_code == 503 and int(stopped.headers["Retry-After"]) >= 1
    assert "make room" in stopped.get_json()["error"]
    assert hogged["seconds"] < 3.0                  # stopped, not left to its 6 s limit


def test_a_client_cannot_stop_its_own_long_query(curated_store_path, stop):
    app = make_app(curated_store_path, SPARQL_WORKERS=1, SPARQL_TIMEOUT_S=3,
                   SPARQL_QUEUE_WAIT_S=1.5)
    stop(app)
    assert ask(app, CHEAP, "127.0.0.2")[0].status_code == 200
    hog, hogged = in_background(app, CARTESIAN, "127.0.0.2")
    time.sleep(0.3)
    r, seconds = ask(app, CHEAP, "127.0.0.2")
    hog.join()
    assert r.status_code == 503 and "busy" in r.get_json()["error"]
    assert seconds >= 0.5      # it waited (until its own query made it heavy); stopped nothing
    assert "time limit" in hogged["response"].get_json()["error"]


def test_a_heavy_client_leaves_the_reserved_worker_to_others(curated_store_path, stop):
    app = make_app(curated_store_path, SPARQL_WORKERS=2, SPARQL_RESERVED_WORKERS=1,
                   SPARQL_TIMEOUT_S=2, SPARQL_QUEUE_WAIT_S=1.0)
    stop(app)
    assert ask(app, CHEAP, "127.0.0.3")[0].status_code == 200
    first, _ = ask(app, CARTESIAN, "127.0.0.2")               # 2 s: now a heavy client
    assert first.status_code == 503 and "time limit" in first.get_json()["error"]
    one, one_out = in_background(app, CARTESIAN, "127.0.0.2")
    time.sleep(0.3)
    r, second_s = ask(app, CARTESIAN, "127.0.0.2")              # its second long query waits
    assert r.status_code == 503 and "this client may use" in r.get_json()["error"]
    assert second_s < 0.9                          # a heavy client waits 0.5 s, not 1 s
    light, light_s = ask(app, CHEAP, "127.0.0.3")               # the reserved worker is free
    one.join()
    assert light.status_code == 200 and light_s < 1.0
    assert "time limit" in one_out["response"].get_json()["error"]   # not stopped for it


def test_a_stopped_worker_is_replaced_at_once_by_the_started_spare(curated_store_path, stop):
    app = make_app(curated_store_path, SPARQL_WORKERS=1, SPARQL_TIMEOUT_S=1)
    stop(app)
    assert ask(app, CHEAP, "127.0.0.3")[0].status_code == 200
    workers = app.extensions["pockg"].extras["sparql_workers"]
    deadline = time.monotonic() + 30
    while workers._spare is None and time.monotonic() < deadline:
        time.sleep(0.05)
    spare = workers._spare.process.pid
    killed, _ = ask(app, CARTESIAN, "127.0.0.2")
    assert killed.status_code == 503 and "time limit" in killed.get_json()["error"]
    r, _ = ask(app, CHEAP, "127.0.0.3")
    assert r.status_code == 200
    assert spare in {w.process.pid for w in workers._all}     # the spare took the place


def test_without_a_spare_no_extra_worker_is_started(curated_store_path, stop):
    app = make_app(curated_store_path, SPARQL_WORKERS=1, SPARQL_SPARE_WORKER=False)
    stop(app)
    assert ask(app, CHEAP, "127.0.0.3")[0].status_code == 200
    time.sleep(1.0)
    assert len(app.extensions["pockg"].extras["sparql_workers"].processes) == 1


def test_finding6_costly_queries_from_rotating_addresses_leave_the_reserved_worker_free(
        curated_store_path, stop):
    """Finding 6: eight heavy queries from rotating addresses gave new light clients
    503 (8 of 8): every new address looked light, so they took every worker."""
    app = make_app(curated_store_path, SPARQL_WORKERS=2, SPARQL_RESERVED_WORKERS=1,
                   SPARQL_TIMEOUT_S=3, SPARQL_QUEUE_WAIT_S=2.0)
    stop(app)
    assert ask(app, CHEAP, "127.0.0.3")[0].status_code == 200          # workers started
    done = threading.Event()
    addresses = iter(f"127.0.{1 + n // 250}.{1 + n % 250}" for n in range(100_000))
    lock = threading.Lock()

    def attacker():
        while not done.is_set():
            with lock:
                address = next(addresses)                              # never the same twice
            ask(app, CARTESIAN, address)

    attackers = [threading.Thread(target=attacker) for _ in range(8)]
    for t in attackers:
        t.start()
    try:
        time.sleep(1.5)                             # the attack is under way
        answers = [ask(app, CHEAP, f"127.0.200.{n}")[0].status_code for n in range(1, 9)]
    finally:
        done.set()
        for t in attackers:
            t.join()
    assert answers == [200] * 8

"""Red team, issue 12, finding 7: document parsing held the writer.

An upload was parsed (a PDF: up to 60 s in a child process) and linked under
the store's one writer lock, so a lesson save took 6.4 s during a 7 s PDF
upload. Now the parse and the linking run with no lock held; the lock is
held only to judge the version (new, new version or unchanged) and write it.

The slow parse is the real reader behind a gate the test opens: the
component under test is the lock, not the reader.
"""

from __future__ import annotations

import io
import threading
import time

import pytest

from pockg.ingest import read
from support import csrf_token_of, signed_in, writable_app

DOCUMENT = (b"# Early warning\n\n"
            b"1. Camps of internally displaced persons need early warning and patrols.\n")
PARSE_HOLD_S = 5.0          # longest the gated parse waits for the test to let it go


@pytest.fixture(scope="module")
def app(curated_store_path, tmp_path_factory):
    return writable_app(curated_store_path, tmp_path_factory.mktemp("redteam-parse"))


class GatedParse:
    """The real reader, entered and then held until ``release`` (or PARSE_HOLD_S)."""

    def __init__(self, monkeypatch):
        self.entered = threading.Semaphore(0)
        self.release = threading.Event()
        real = read.get_reader

        def get_reader(kind):
            reader = real(kind)

            def slow(data, name):
                self.entered.release()
                self.release.wait(PARSE_HOLD_S)
                return reader(data, name)
            return slow

        monkeypatch.setattr(read, "get_reader", get_reader)


def upload_in_thread(client, token: str, doc_id: str) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        answer = client.post("/documents", data={
            "csrf_token": token, "id": doc_id, "file": (io.BytesIO(DOCUMENT), "warning.md")},
            content_type="multipart/form-data", headers={"Accept": "application/json"})
        outcome["status"] = answer.status_code
        outcome["json"] = answer.get_json()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def save_lesson(client, token: str, title: str):
    return client.post("/lessons/new", data={
        "prefLabel": title, "observation": "Radios reached villages late.",
        "mission": ["operation/MONUC"], "tier": ["concept/T1"],
        "publicity": "concept/PUB-PUBLIC", "csrf_token": token})


def test_finding7_a_lesson_save_does_not_wait_for_a_parse(app, monkeypatch):
    """Finding 7: a lesson save took 6.4 s during a 7 s PDF upload (parse under the writer lock)."""
    cy, ann = signed_in(app, "cy"), signed_in(app, "ann")
    token = csrf_token_of(ann, "/lessons/new")
    assert save_lesson(ann, token, "Warm-up save").status_code == 303
    gate = GatedParse(monkeypatch)
    thread, outcome = upload_in_thread(cy, csrf_token_of(cy, "/documents"), "slow-parse")
    try:
        assert gate.entered.acquire(timeout=10), "the upload never reached the parser"
        t0 = time.perf_counter()
        answer = save_lesson(ann, token, "Saved during a parse")
        took = time.perf_counter() - t0
        still_parsing = thread.is_alive() and not gate.release.is_set()
    finally:
        gate.release.set()
        thread.join(30)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    assert took < 1.0, f"the save waited {took:.1f} s for the parse"
    assert still_parsing
    assert outcome["status"] == 201, outcome
    assert outcome["json"]["status"] == "new" and outcome["json"]["passages"] >= 1


def test_finding7_one_file_parsed_twice_at_once_is_stored_once(app, monkeypatch):
    """Finding 7 (parse outside the lock): the same file twice still stores one version
    (a guard: versions are judged under the lock, after both parses)."""
    store = app.extensions["pockg"].full_store
    gate = GatedParse(monkeypatch)
    first, second = signed_in(app, "cy"), signed_in(app, "cy")
    runs = [upload_in_thread(c, csrf_token_of(c, "/documents"), "twice") for c in (first, second)]
    assert gate.entered.acquire(timeout=10)
    gate.entered.acquire(timeout=PARSE_HOLD_S + 2)      # both parsing at once (new code)
    gate.release.set()
    for thread, _ in runs:
        thread.join(30)
    answers = sorted((o["status"], o["json"]["status"]) for _, o in runs)
    assert answers == [(200, "unchanged"), (201, "new")]
    versions = [g for g in store.named_graphs() if "/document/twice/" in g]
    assert len(versions) == 1

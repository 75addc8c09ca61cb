"""What a write refreshes: a change readers cannot see (a draft edit, a review
comment) keeps their cached pages, their search index and the query workers'
snapshot; a change they can see refreshes all three."""

from __future__ import annotations

import shutil
import time

import pyoxigraph as ox
import pytest

from pockg import vocab as V
from pockg.writer import Change
from web import create_app
from web.page_cache import page_cache
from web.search import get_index as search_index
from web.sparql import pool

DRAFT = V.USER + "draft/lesson/L-test"
PUBLIC = V.USER + "public/lesson/L-test"


@pytest.fixture
def app(curated_store_path, tmp_path):
    shutil.copytree(curated_store_path, tmp_path / "store")
    app = create_app({"STORE": str(tmp_path / "store"), "READ_ONLY": False,
                      "DB": str(tmp_path / "u.sqlite")}, profile="testing")
    yield app
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


def write_into(app, graph: str, label: str) -> None:
    quad = ox.Quad(ox.NamedNode(V.BASE + "id/lesson/L-test"), ox.NamedNode(V.SKOS + "prefLabel"),
                   ox.Literal(label), ox.NamedNode(graph))
    app.extensions["pockg"].writer.write(lambda _store: Change(add=[quad]))


def test_a_change_readers_cannot_see_keeps_their_pages_index_and_workers(app):
    with app.test_request_context("/"):
        cache, index, workers = page_cache(), search_index(), pool()
        cache.put(("reader-page",), (b"public", []))
        generation = workers.generation
        write_into(app, DRAFT, "a draft")
        time.sleep(1.2)                              # past the reindex delay
        assert cache.get(("reader-page",)) is not None
        assert app.extensions["pockg"].extras["search"] is index
        assert workers.generation == generation


def test_a_change_readers_can_see_refreshes_their_pages_index_and_workers(app):
    with app.test_request_context("/"):
        cache, index, workers = page_cache(), search_index(), pool()
        cache.put(("reader-page",), (b"public", []))
        generation = workers.generation
        write_into(app, PUBLIC, "published")
        deadline = time.monotonic() + 30
        while app.extensions["pockg"].extras["search"] is index and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cache.get(("reader-page",)) is None
        assert app.extensions["pockg"].extras["search"] is not index
        assert workers.generation == generation + 1


def test_readers_pages_are_served_from_the_cache_until_they_could_change(app):
    state = app.extensions["pockg"]
    calls = []
    select = state.replica.select
    state.replica.select = lambda *a, **k: calls.append(1) or select(*a, **k)
    reader = app.test_client()
    for page in ("/", "/compare?missions=MONUC,UNAMID", "/queries/drafting-lead"):
        first = reader.get(page)
        asked = len(calls)
        again = reader.get(page)
        assert first.status_code == again.status_code == 200
        assert again.data == first.data and len(calls) == asked, page     # kept: no query
    asked = len(calls)
    write_into(app, DRAFT, "a draft")
    reader.get("/")
    assert len(calls) == asked                       # a draft changes nothing readers see
    write_into(app, PUBLIC, "published")
    reader.get("/")
    assert len(calls) > asked                        # rendered again after a public change

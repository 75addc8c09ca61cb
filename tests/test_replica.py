"""The public replica (pockg.replica): exactly the graphs readers may see,
kept up to date by the writer before a save is acknowledged, and re-synced at
start after a crash between the two."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from pockg import replica as R
from pockg import vocab as V
from pockg.accounts import User
from pockg.curation import graphs as G
from pockg.curation.service import Curation, parse_values
from pockg.store import StoreView, open_store
from pockg.writer import Writer

ANN = User("ann", "contributor", public_id="uann")
CY = User("cy", "curator", public_id="ucy")
RAE = User("rae", "reviewer", public_id="urae")


@pytest.fixture
def stores(curated_store_path, tmp_path, settings):
    shutil.copytree(curated_store_path, tmp_path / "store")
    main = open_store(tmp_path / "store")
    public = R.open_replica(str(tmp_path / "store"))
    R.sync(main, public)
    writer = Writer(main)
    writer.on_commit(R.Mirror(main, public))
    yield main, public, Curation(main, writer, settings.ontology_dir / "shapes")
    public.close()
    main.close()


def published(cur) -> str:
    values, _ = parse_values(cur.fields, {
        "prefLabel": ["t"], "observation": ["o"], "publicity": ["concept/PUB-PUBLIC"],
        "remedialAction": ["r"], "actionBody": ["actor/OCHA"]})
    lesson = cur.create(values, ANN)
    cur.transition(lesson, "endorse", 1, CY)
    cur.transition(lesson, "validate", 2, RAE)
    return lesson


def test_the_replica_holds_exactly_the_graphs_readers_may_see(stores):
    main, public, cur = stores
    values, _ = parse_values(cur.fields, {"prefLabel": ["t"], "observation": ["o"],
                                          "publicity": ["concept/PUB-PUBLIC"]})
    draft = cur.create(values, ANN)
    lesson = published(cur)
    expected = {g for g in main.named_graphs() if G.visible(g, None)}
    assert set(public.named_graphs()) == expected
    assert G.lesson_graph(lesson, "public") in expected
    assert not [g for g in public.named_graphs() if draft in g or "/review/" in g]
    for g in expected:
        assert set(public.quads(g)) == set(main.quads(g))


def test_a_lesson_leaves_the_replica_when_it_is_no_longer_public(stores):
    main, public, cur = stores
    lesson = published(cur)
    assert G.lesson_graph(lesson, "public") in public.named_graphs()
    cur.revert(lesson, 1, 3, CY)                          # back to an observation: a draft
    assert not [g for g in public.named_graphs() if lesson in g]


def test_a_start_after_a_crash_between_save_and_mirror_catches_up(stores):
    main, public, cur = stores
    graph = ox.NamedNode(V.USER + "public/lesson/L-missed")
    main.apply([], [ox.Quad(ox.NamedNode(V.entity("lesson", "L-missed")),
                            ox.NamedNode(V.RDF + "type"), ox.NamedNode(V.term("Lesson")), graph)])
    stale = ox.NamedNode(V.USER + "public/lesson/L-gone")
    public.apply([], [ox.Quad(ox.NamedNode(V.entity("lesson", "L-gone")),
                              ox.NamedNode(V.RDF + "type"), ox.NamedNode(V.term("Lesson")), stale)])
    done = R.sync(main, public)
    assert graph.value in public.named_graphs() and stale.value not in public.named_graphs()
    assert done["built"] == 0                            # built graphs unchanged: not re-copied


def test_readers_of_a_writing_server_query_the_replica_not_a_filtered_view(curated_store_path,
                                                                           tmp_path):
    from web import create_app

    shutil.copytree(curated_store_path, tmp_path / "store")
    app = create_app({"STORE": str(tmp_path / "store"), "READ_ONLY": False,
                      "DB": str(tmp_path / "u.sqlite")}, profile="testing")
    state = app.extensions["pockg"]
    assert state.view_for(None) is state.replica
    assert not isinstance(state.replica, StoreView)
    assert state.replica.location == str(tmp_path / "store") + ".public"
    assert state.view_for("curator") is state.full_store


def test_ingest_and_link_commands_bring_the_replica_up_to_date(curated_store_path, tmp_path):
    from click.testing import CliRunner

    from pockg.cli import main

    shutil.copytree(curated_store_path, tmp_path / "store")
    store = str(tmp_path / "store")
    main_store = open_store(store)
    public = R.open_replica(store)
    R.sync(main_store, public)
    public.close()
    main_store.close()
    doc = tmp_path / "note.txt"
    doc.write_text("1. Camps of internally displaced persons need patrols.\n", encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(doc), "--id", "note", "--store", store, "-q"]).exit_code == 0
    assert runner.invoke(main, ["link", "run", "note", "--store", store, "-q"]).exit_code == 0
    replica = open_store(store + ".public", read_only=True)
    graphs = [g for g in replica.named_graphs() if "/note" in g]
    assert any("/document/note/" in g for g in graphs) and any("/links/note/" in g for g in graphs)


def test_queries_use_the_union_default_graph_only_on_a_store_of_public_graphs(stores):
    from web import query_worker as qw

    main, public, cur = stores
    values, _ = parse_values(cur.fields, {"prefLabel": ["secret draft"], "observation": ["o"],
                                          "publicity": ["concept/PUB-PUBLIC"]})
    cur.create(values, ANN)
    job = qw.Job("SELECT ?l WHERE { ?x <http://www.w3.org/2004/02/skos/core#prefLabel> ?l "
                 "FILTER(?l = \"secret draft\") }", None, None, results_format=qw.JSON,
                 graph_format=qw.TURTLE, max_rows=10, base_iri=None, parsed_check=True)
    for store, whole in ((main._store, False), (public._store, True)):
        graphs = qw.store_graphs(store)
        assert qw.only_public_graphs(store, graphs) is whole
        outcome = qw.execute(store, job, graphs)
        assert outcome.status == 200 and b"secret draft" not in outcome.body

"""Search: autocomplete over labels, alternative labels, notations and
abbreviations in English and French; full-text search over passages with
facets; an FTS5 index kept in step with the store; any input is safe."""

from __future__ import annotations

import shutil
import sqlite3

import pyoxigraph as ox
import pytest

from pockg import search_index as si
from pockg import vocab as V
from pockg.store import open_store
from web import create_app

IDP = V.ID + "concept/VG-IDP"
MONUC = V.ID + "operation/MONUC"
FE3 = V.ID + "concept/FE3"
OCHA = V.ID + "actor/OCHA"
PASSAGE = V.ID + "document/workshop-2010/p/8.4.2"

HOSTILE = ['"', '""', "'", "(", ")", "((", 'NEAR(a b)', "NEAR", "a AND b", "OR", "NOT x",
           "*", "**", "a*b", "^x", "labels:x", "{labels alts}: x", "-", "+x", 'x"y', "\x00x",
           "\\", ";DROP TABLE entry;--", "%", "_", "😀", "☃ protection", "日本語", "ß",
           "İ", "e\u0301", "x" * 5000, "a " * 500, "<script>alert(1)</script>",
           "&amp; <b>", "MONUC\"* OR \"", "\u202e", "\ufeff"]


@pytest.fixture(scope="module")
def store_path(curated_store_path):
    return curated_store_path

@pytest.fixture(scope="module")
def disk_store(store_path):
    return open_store(store_path, read_only=True)


@pytest.fixture(scope="module")
def index(disk_store, tmp_path_factory):
    path = tmp_path_factory.mktemp("index") / "index.search.sqlite"
    si.build_index(disk_store, path)
    return si.SearchIndex(path)


@pytest.fixture(scope="module")
def client(store_path):
    """The app with no SEARCH_INDEX: the index goes next to the store."""
    app = create_app({"STORE": str(store_path)}, profile="testing")
    return app.test_client()


def iris(hits):
    return [h.iri for h in hits]


# -- autocomplete -------------------------------------------------------------------

def test_idp_suggests_the_internally_displaced_persons_concept_first(index, client):
    assert iris(index.suggest("IDP"))[0] == IDP
    first = client.get("/suggest?q=IDP").get_json()[0]
    assert first["url"] == "/id/concept/VG-IDP"
    assert first["label"] == "internally displaced persons"
    assert first["notation"] == "VG-IDP"


def test_french_labels_are_found_with_or_without_accents(index, client):
    for query in ("personnes déplacées", "personnes deplacees", "PERSONNES DÉPL", "deplaces"):
        assert IDP in iris(index.suggest(query)), query
    assert IDP in iris(index.search("personnes deplacees internes").hits)
    fr = client.get("/suggest?q=deplacees&lang=fr").get_json()
    assert fr[0]["label"] == "personnes déplacées internes"


def test_an_acronym_and_a_notation_are_found_first(index):
    assert iris(index.suggest("MONUC"))[0] == MONUC
    assert iris(index.suggest("monuc"))[0] == MONUC
    assert iris(index.suggest("FE3"))[0] == FE3
    assert iris(index.search("FE3").hits)[0] == FE3


def test_abbreviations_of_actors_in_both_languages(index):
    assert iris(index.suggest("OCHA"))[0] == OCHA
    assert iris(index.suggest("BCAH"))[0] == OCHA    # the French abbreviation


def test_prefixes_complete(index):
    assert MONUC in iris(index.suggest("MON"))
    assert IDP in iris(index.suggest("internally disp"))


def test_suggestions_are_at_most_ten_and_ranked_exact_first(client):
    items = client.get("/suggest?q=pro").get_json()
    assert 0 < len(items) <= 10
    assert client.get("/suggest?q=").get_json() == []


# -- full-text search -----------------------------------------------------------------

def test_passages_are_found_by_words_of_their_gist(index, disk_store):
    gist = disk_store.select(f"SELECT ?g WHERE {{ <{PASSAGE}> pockg:gist ?g }}").values("g")[0]
    assert "vulnerability" in gist
    results = index.search("vulnerability means circumstances")
    assert results.hits and results.hits[0].iri == PASSAGE
    assert results.hits[0].kind == "Passage"
    assert results.hits[0].context == V.ID + "document/workshop-2010"
    assert any(hit for _text, hit in results.hits[0].snippet)
    # and by the words of its quotes
    assert PASSAGE in iris(index.search("family separation", kind="Passage").hits)


def test_labels_rank_above_bodies(index):
    hits = index.search("vulnerable groups").hits
    labels = [h for h in hits if "vulnerable groups" in h.label.lower()]
    assert labels and hits.index(labels[0]) < len(hits) - 1
    assert hits[0].label.lower().startswith("vulnerable groups")


def test_facets_count_and_filter_correctly(index):
    everything = index.search("protection", limit=10_000)
    kinds = dict(everything.facets["kind"])
    assert sum(kinds.values()) == everything.total > 0   # one kind per result
    for kind, count in kinds.items():
        narrowed = index.search("protection", kind=kind, limit=10_000)
        assert narrowed.total == count
        assert {h.kind for h in narrowed.hits} == {kind}
    missions = dict(everything.facets["mission"])
    assert missions.get(MONUC)
    monuc = index.search("protection", mission="operation/MONUC", limit=10_000)
    assert monuc.total == missions[MONUC]
    assert monuc.total == index.search("protection", mission=MONUC).total  # full IRI too
    assert V.ID + "strategy/MONUC-2009" in iris(monuc.hits)
    assert dict(monuc.facets["mission"])[MONUC] == monuc.total
    tiers = index.search("recommendation", limit=10_000).facets["tier"]
    tier, count = tiers[0]
    by_tier = index.search("recommendation", tier=si.compact(tier), limit=10_000)
    assert by_tier.total == count
    assert index.search("protection", kind="NoSuchKind").total == 0


def test_mission_facet_reaches_strategies_mechanisms_and_the_operation(index):
    missions = dict(index.search("MONUC", limit=10_000).facets["mission"])
    assert MONUC in missions
    hits = iris(index.search("MONUC", mission="operation/MONUC", limit=10_000).hits)
    assert MONUC in hits and V.ID + "coordination/MONUC-JPT" in hits


# -- kept in step with the store --------------------------------------------------------

def test_the_index_rebuilds_when_the_store_changes(store_path, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(store_path, copy)
    store = open_store(copy)
    path = tmp_path / "index.search.sqlite"
    try:
        first = si.ensure_index(store, path)
        built = first.meta()["built"], first.meta()["identity"]
        assert not first.suggest("Zanzibarian")
        assert si.ensure_index(store, path).meta()["identity"] == built[1]   # unchanged: kept
        graph = ox.NamedNode(V.GRAPH + "test-search")
        new = ox.NamedNode(V.ID + "concept/test-zanzibar")
        lesson = ox.NamedNode(V.ID + "lesson/test-lesson")
        store.extend([
            ox.Quad(new, ox.NamedNode(V.SKOS + "prefLabel"),
                    ox.Literal("Zanzibarian protection cluster", language="en"), graph),
            ox.Quad(lesson, ox.NamedNode(V.RDF + "type"), ox.NamedNode(V.POCKG + "Lesson"), graph),
            ox.Quad(lesson, ox.NamedNode(V.POCKG + "text"),   # a lesson with no label yet
                    ox.Literal("Early warning works when communities own the alerts.",
                               language="en"), graph)])
        again = si.ensure_index(store, path)
        assert again.meta()["identity"] != built[1]
        assert iris(again.suggest("Zanzibarian")) == [new.value]
        found = again.search("communities alerts")
        assert iris(found.hits) == [lesson.value] and found.hits[0].kind == "Lesson"
        assert dict(found.facets["kind"]) == {"Lesson": 1}
        assert not list(tmp_path.glob("*.part"))
        store.replace_graphs([graph.value], [])
        assert not si.ensure_index(store, path).suggest("Zanzibarian")
    finally:
        store.close()


def test_the_app_builds_its_index_next_to_the_store(client, store_path):
    client.get("/suggest?q=MONUC")
    expected = store_path.with_name(store_path.name + ".search.sqlite")
    assert si.default_path(store_path) == expected
    assert expected.is_file() and si.read_meta(expected)["schema"] == si.SCHEMA_VERSION
    assert si.default_path(":memory:") is None


def test_the_index_is_sqlite_fts5_with_accent_folding_and_prefixes(index):
    db = sqlite3.connect(index.path)
    sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'fts'").fetchone()[0]
    db.close()
    assert "fts5" in sql and "remove_diacritics 2" in sql and "prefix = '1 2 3'" in sql


# -- safety -----------------------------------------------------------------------------

def test_match_expressions_quote_every_word():
    assert si.match_expression('NEAR(a b) "x" *') == '"NEAR(a" "b)" """x"""*'
    assert si.match_expression("***") is None
    assert si.match_expression("a b", columns="{labels}") == '{labels} : ("a" "b"*)'


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_safe(index, client, text):
    index.suggest(text)
    index.search(text, kind=text, mission=text, tier=text)
    response = client.get("/suggest", query_string={"q": text})
    assert response.status_code == 200 and isinstance(response.get_json(), list)
    response = client.get("/search", query_string={"q": text, "kind": text, "tier": text})
    assert response.status_code == 200
    assert b"<script>alert" not in response.data
    assert client.get("/search", query_string={"q": text, "format": "json"}).status_code == 200


def test_snippets_escape_the_data_then_mark_the_match(client, index):
    html = client.get("/search?q=vulnerable").data.decode()
    assert "<mark>" in html
    pieces = si.split_snippet(f"a <b>{si.HIT}x&y{si.END} c")
    assert pieces == [("a <b>", False), ("x&y", True), (" c", False)]


# -- the pages and their JSON twins --------------------------------------------------------

def test_search_page_links_results_and_facets(client):
    response = client.get("/search?q=MONUC&lang=en")
    html = response.data.decode()
    assert response.status_code == 200
    assert 'href="/id/operation/MONUC"' in html
    assert "/search?q=MONUC&amp;kind=PeaceOperation" in html
    active = client.get("/search?q=MONUC&kind=PeaceOperation&lang=en").data.decode()
    assert 'aria-current="true"' in active and 'href="/search?q=MONUC"' in active
    assert 'for="search-q"' in html
    assert client.get("/search").status_code == 200


def test_json_twin_shape(client):
    data = client.get("/search?q=MONUC&format=json").get_json()
    assert {"query", "total", "page", "pages", "results", "facets", "filters"} <= set(data)
    assert data["query"] == "MONUC" and data["total"] >= len(data["results"]) > 0
    first = data["results"][0]
    assert first["iri"] == MONUC and first["url"] == "/id/operation/MONUC"
    assert {"label", "kind", "kind_label", "snippet", "snippet_html", "notation",
            "context"} <= set(first)
    assert set(data["facets"]) == {"kind", "mission", "tier"}
    facet = data["facets"]["kind"][0]
    assert {"value", "label", "count", "active", "url"} <= set(facet)
    by_accept = client.get("/search?q=MONUC", headers={"Accept": "application/json"})
    assert by_accept.is_json and by_accept.get_json()["total"] == data["total"]
    items = client.get("/suggest?q=FE3").get_json()
    assert {"label", "kind", "url"} <= set(items[0]) and items[0]["notation"] == "FE3"

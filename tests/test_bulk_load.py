"""``pockg load``: RDF dumps into a new store, in pieces on several threads, with
blank nodes kept whole, exact contents, and nothing changed by a bad file."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from support import pockg_command

from pockg import replica
from pockg.bulk import load_file, load_store, pieces
from pockg.control import ServingLock
from pockg.errors import ConfigurationError, DataError, StoreError

FIXTURES = Path(__file__).parent / "fixtures" / "load"


def quads_of(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))


def test_pieces_are_cut_after_newlines_and_cover_the_whole_file():
    data = (FIXTURES / "blank-nodes-in-the-middle.nq").read_bytes()
    cuts = pieces(data, 2)
    assert len(cuts) == 2 and cuts[0][0] == 0 and cuts[-1][1] == len(data)
    assert all(data[a - 1:a] == b"\n" for a, _ in cuts[1:])
    assert b"".join(data[a:b] for a, b in cuts) == data


def test_no_cut_falls_inside_the_span_of_blank_node_lines():
    data = (FIXTURES / "blank-nodes-in-the-middle.nq").read_bytes()
    span = (data.rfind(b"\n", 0, data.find(b"_:")) + 1, data.find(b"\n", data.rfind(b"_:")) + 1)
    for n in (2, 3, 4, 8):
        for a, _ in pieces(data, n)[1:]:
            assert not span[0] < a < span[1]
    spread = (FIXTURES / "blank-node-on-first-and-last-line.nq").read_bytes()
    assert pieces(spread, 4) == [(0, len(spread))]        # no cut possible: one piece


def test_a_blank_node_used_on_distant_lines_stays_one_node(tmp_path):
    store = ox.Store(str(tmp_path / "s"))
    done = load_file(store, FIXTURES / "blank-node-on-first-and-last-line.nq", threads=2)
    subjects = {q.subject for q in store if isinstance(q.subject, ox.BlankNode)}
    assert len(subjects) == 1 and done.pieces == 1
    store = ox.Store(str(tmp_path / "t"))
    done = load_file(store, FIXTURES / "blank-nodes-in-the-middle.nq", threads=2)
    assert done.pieces == 2
    objects = {q.object for q in store if isinstance(q.object, ox.BlankNode)}
    subjects = {q.subject for q in store if isinstance(q.subject, ox.BlankNode)}
    assert len(objects) == 1 and objects == subjects


def test_the_loaded_store_holds_exactly_the_quads_of_the_file(tmp_path):
    source = FIXTURES / "blank-nodes-in-the-middle.nq"
    info = load_store(tmp_path / "store", [source], threads=2, replica=False)
    store = ox.Store.read_only(str(tmp_path / "store"))
    expected = {q for q in quads_of(source) if not isinstance(q.object, ox.BlankNode)
                and not isinstance(q.subject, ox.BlankNode)}
    got = {q for q in store if not isinstance(q.object, ox.BlankNode)
           and not isinstance(q.subject, ox.BlankNode)}
    assert got == expected and info["quads"] == len(quads_of(source)) == len(store)


def test_a_gzipped_dump_loads_the_same(tmp_path):
    source = FIXTURES / "blank-nodes-in-the-middle.nq"
    packed = tmp_path / "dump.nq.gz"
    packed.write_bytes(gzip.compress(source.read_bytes()))
    assert load_store(tmp_path / "store", [packed], replica=False)["quads"] == 8


def test_a_syntax_error_in_a_later_piece_names_the_file_and_its_own_line(tmp_path):
    bad = FIXTURES / "invalid-iri-on-line-7.nq"
    assert len(pieces(bad.read_bytes(), 2)) == 2            # line 7 is in the second piece
    with pytest.raises(DataError) as caught:
        load_store(tmp_path / "store", [bad], threads=2)
    message = str(caught.value)
    assert f"{bad}:7:" in message and "line 7" in message
    assert not (tmp_path / "store").exists()
    assert not (tmp_path / "store.loading").exists() and not (tmp_path / "store.public").exists()


def test_a_bad_file_leaves_the_store_it_would_replace_as_it_was(tmp_path):
    good = FIXTURES / "blank-nodes-in-the-middle.nq"
    load_store(tmp_path / "store", [good])
    before = sorted(str(q) for q in ox.Store.read_only(str(tmp_path / "store")))
    with pytest.raises(DataError):
        load_store(tmp_path / "store", [good, FIXTURES / "invalid-iri-on-line-7.nq"],
                   replace=True)
    assert sorted(str(q) for q in ox.Store.read_only(str(tmp_path / "store"))) == before
    assert not list(tmp_path.glob("store.replaced-*"))
    assert (tmp_path / "store.public").is_dir()              # the replica is untouched too


def test_a_store_that_holds_data_is_replaced_only_when_asked_and_kept_aside(tmp_path):
    load_store(tmp_path / "store", [FIXTURES / "blank-nodes-in-the-middle.nq"])
    with pytest.raises(StoreError, match="--replace"):
        load_store(tmp_path / "store", [FIXTURES / "draft-and-public-lessons.nq"])
    info = load_store(tmp_path / "store", [FIXTURES / "draft-and-public-lessons.nq"],
                      replace=True)
    kept = Path(info["replaced"])
    assert kept.parent == tmp_path and len(ox.Store.read_only(str(kept))) == 8
    main = ox.Store.read_only(str(tmp_path / "store"))
    assert len(main) == 4
    public = ox.Store.read_only(str(tmp_path / "store.public"))   # made again (finding 2)
    assert {g.value for g in public.named_graphs()} == {
        g.value for g in main.named_graphs() if replica.public(g.value)}


def test_the_replica_holds_only_what_readers_may_see(tmp_path):
    load_store(tmp_path / "store", [FIXTURES / "draft-and-public-lessons.nq"])
    main = ox.Store.read_only(str(tmp_path / "store"))
    public = ox.Store.read_only(str(tmp_path / "store.public"))
    graphs = {g.value for g in public.named_graphs()}
    assert graphs == {g.value for g in main.named_graphs() if replica.public(g.value)}
    assert not any("/draft/" in g for g in graphs) and len(main) == 4
    assert {str(q.object.value) for q in public} == {"published", "built"}


def test_triples_need_a_graph_and_quads_refuse_one(tmp_path):
    with pytest.raises(ConfigurationError, match="--graph"):
        load_store(tmp_path / "a", [FIXTURES / "triples-without-a-graph.ttl"])
    with pytest.raises(ConfigurationError, match="--graph is for triples"):
        load_store(tmp_path / "b", [FIXTURES / "draft-and-public-lessons.nq"],
                   graph="http://example.org/g")
    info = load_store(tmp_path / "c", [FIXTURES / "triples-without-a-graph.ttl"],
                      graph="http://example.org/g")
    store = ox.Store.read_only(str(tmp_path / "c"))
    assert info["quads"] == 2 and {q.graph_name.value for q in store} == {"http://example.org/g"}


def test_a_file_of_unknown_format_is_refused_by_name(tmp_path):
    odd = tmp_path / "dump.rdfx"
    odd.write_text("x")
    with pytest.raises(ConfigurationError, match="dump.rdfx"):
        load_store(tmp_path / "store", [odd])


def test_an_in_memory_target_is_refused_by_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigurationError, match=":memory:"):
        load_store(":memory:", [FIXTURES / "blank-nodes-in-the-middle.nq"])
    assert not (tmp_path / ":memory:").exists()


def test_a_load_is_refused_while_a_server_holds_the_store(tmp_path):
    serving = ServingLock(str(tmp_path / "store"))
    try:
        with pytest.raises(StoreError, match="pockg serve"):
            load_store(tmp_path / "store", [FIXTURES / "blank-nodes-in-the-middle.nq"])
    finally:
        serving.release()


def test_pockg_load_reports_progress_and_the_rate_and_exits_3_on_bad_data(tmp_path):
    ok = subprocess.run([*pockg_command(), "load", str(FIXTURES / "draft-and-public-lessons.nq"),
                         "--store", str(tmp_path / "store")], capture_output=True, text=True,
                        check=False, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "Loaded 4 quads" in ok.stdout and "quads/s" in ok.stdout
    assert "public replica" in ok.stderr and "indexed" in ok.stderr
    assert (tmp_path / "store.search.sqlite").is_file()
    bad = subprocess.run([*pockg_command(), "load", str(FIXTURES / "invalid-iri-on-line-7.nq"),
                          "--store", str(tmp_path / "other")], capture_output=True, text=True,
                         check=False, timeout=120)
    assert bad.returncode == 3 and "invalid-iri-on-line-7.nq:7:" in bad.stderr


def test_a_pockg_export_loads_back_to_the_same_quads(curated_store_path, tmp_path):
    dump = tmp_path / "export.nq"
    done = subprocess.run([*pockg_command(), "export", "-f", "nquads", "-o", str(dump),
                           "--include-restricted",     # everything, so a backup round-trips
                           "--store", str(curated_store_path)], capture_output=True, text=True,
                          check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    load_store(tmp_path / "store", [dump], threads=2, replica=False)
    original = ox.Store.read_only(str(curated_store_path))
    loaded = ox.Store.read_only(str(tmp_path / "store"))

    def named(store):
        return {q for q in store if not isinstance(q.subject, ox.BlankNode)
                and not isinstance(q.object, ox.BlankNode)}

    assert len(loaded) == len(original)
    assert named(loaded) == named(original)

"""The public replica: what readers may see, in a store of its own.

The store (``POCKG_STORE``) holds everything: built graphs, curated lessons in
every state, review records. Readers, the search index and the public SPARQL
endpoint must not see drafts, internal lessons or review records, and asking
Oxigraph for "the union of these N graphs" costs a lookup per graph for every
pattern (measured: 18× slower with 493 graphs, worse as graphs grow). So what
readers may see is copied into ``<store>.public`` and queried there with
Oxigraph's fast union default graph.

The replica is derived data, like the search index: ``pockg build`` and the
server's start bring it up to date (``sync``); while the server runs, the
writer updates it inside the same lock as each write, before the write is
acknowledged (``Mirror``). If the server dies between the two, the next start
re-copies every curated graph (they are small); built graphs are re-copied
when the build that made them differs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

from pockg import vocab as V
from pockg.config import MEMORY
from pockg.curation.graphs import visible

BATCH = 100_000
IDENTITY = ox.NamedNode(V.graph("meta"))
GENERATED = ox.NamedNode(V.PROV + "wasGeneratedBy")


def location_of(store_location: str) -> str:
    return MEMORY if store_location == MEMORY else f"{str(store_location).rstrip('/')}.public"


def public(graph: str) -> bool:
    return visible(graph, None)


def touched_graphs(change) -> set[str]:
    """The named graphs a writer ``Change`` touched."""
    return {q.graph_name.value for q in [*change.remove, *change.add]
            if isinstance(q.graph_name, ox.NamedNode)} | set(change.drop)


def touches_public(change) -> bool:
    """Whether readers can see a difference after ``change`` (drafts, internal
    lessons and review records are not theirs to see)."""
    return any(public(g) for g in touched_graphs(change))


def build_identity(store) -> str:
    """The build activities recorded in graph/meta: what the built graphs came from."""
    return " ".join(sorted({q.object.value for q in store.match(None, GENERATED, None, IDENTITY)
                            if isinstance(q.object, ox.NamedNode)}))


def _copy(main, replica, graphs: Iterable[str], exact: bool = False) -> int:
    """Replace ``graphs`` in the replica with their content in the main store.

    A graph is swapped in one transaction (SPARQL, so its blank nodes get new
    labels, consistently); ``exact`` copies quads as they are (blank node
    labels kept), dropping the graph first, in batches: for built graphs,
    copied before the server serves."""
    return sum(_put(replica, g, list(main.quads(g)), exact) for g in graphs)


def _put(replica, graph: str, quads: list, exact: bool = False) -> int:
    if exact or len(quads) > BATCH:
        replica.replace_graphs([graph], [])
        for start in range(0, len(quads), BATCH):
            replica.extend(quads[start:start + BATCH])
    else:
        replica.replace_graphs([graph], quads)
    return len(quads)


def sync(main, replica, progress: Callable[[str], None] | None = None) -> dict:
    """Bring the replica up to date with the main store; returns what was done.

    Built graphs are copied only when the build differs (one scan of the main
    store, bulk-loaded: nothing reads the replica yet when this runs, at
    ``pockg build`` and at the server's start); curated graphs always (they are
    small), each swapped in one transaction."""
    say = progress or (lambda _m: None)
    wanted = [g for g in main.named_graphs() if public(g)]
    have = set(replica.named_graphs())
    same_build = bool(build_identity(main)) and build_identity(main) == build_identity(replica)
    built = {g for g in wanted if g.startswith(V.GRAPH) and (not same_build or g not in have)}
    curated = [g for g in wanted if not g.startswith(V.GRAPH)]
    stale = sorted(have - set(wanted))
    drop = sorted(set(stale) | (built & have))
    if drop:
        replica.replace_graphs(drop, [])
    quads = 0
    if built:
        meta = IDENTITY.value
        batch: list[ox.Quad] = []
        last: list[ox.Quad] = []
        for q in main.match():
            graph = q.graph_name
            if not isinstance(graph, ox.NamedNode) or graph.value not in built:
                continue
            (last if graph.value == meta else batch).append(q)
            if len(batch) >= BATCH:
                replica.bulk_extend(batch)
                quads += len(batch)
                batch = []
        for chunk in (batch, last):             # graph/meta last: it names the build copied
            if chunk:
                replica.bulk_extend(chunk)
                quads += len(chunk)
    quads += _copy(main, replica, curated)
    replica.flush()
    if built or stale:
        say(f"public replica: copied {len(built)} built and {len(curated)} curated graphs "
            f"({quads:,} quads), dropped {len(stale)}")
    return {"built": len(built), "curated": len(curated), "dropped": len(stale), "quads": quads}


class Mirror:
    """A writer hook: after each change, copy each graph it touched into the
    replica, or drop it there if readers may not see it (or it is gone)."""

    def __init__(self, main, replica):
        self.main, self.replica = main, replica

    def __call__(self, change) -> None:
        touched = touched_graphs(change)
        content = {g: list(self.main.quads(g)) for g in touched if public(g)}
        hidden = [g for g in touched if not content.get(g)]   # private, or now empty
        if hidden:
            self.replica.replace_graphs(hidden, [])
        for g, quads in content.items():
            if quads:
                _put(self.replica, g, quads)


def open_replica(store_location: str, read_only: bool = False):
    """The replica store beside ``store_location`` (None if read-only and missing)."""
    from pockg.store import open_store

    location = location_of(store_location)
    if read_only and location != MEMORY and not Path(location).is_dir():
        return None
    return open_store(location, read_only=read_only and location != MEMORY)


def rebuild(store_location: str, progress: Callable[[str], None] | None = None) -> dict:
    """Make the replica beside an on-disk store afresh (no server holds either):
    after ``pockg restore``, readers must never be left without one, since a
    server falls back to nothing else (it answers 503 instead)."""
    import shutil

    from pockg.store import open_store

    location = location_of(store_location)
    shutil.rmtree(location, ignore_errors=True)
    main = open_store(store_location, read_only=True)
    try:
        public = open_replica(store_location)
        try:
            return sync(main, public, progress)
        finally:
            public.close()
    finally:
        main.close()


def refresh(store, progress: Callable[[str], None] | None = None) -> None:
    """After a command wrote curated graphs straight into an on-disk store (no server
    running): bring the replica beside it up to date, if there is one."""
    if store.location == MEMORY or not Path(location_of(store.location)).is_dir():
        return
    public = open_replica(store.location)
    try:
        sync(store, public, progress)
    finally:
        public.close()

"""Fast loading of RDF dumps into a new on-disk store (``pockg load``).

For dumps too big for ``pockg build``'s one transaction: a ``pockg export``
from another machine, another engine's N-Quads, a synthetic benchmark graph.
Everything is loaded into a staging store beside the target
(``<store>.loading``) with Oxigraph's bulk loader and its strict parsers; only
when every file has loaded does the staging store take the target's place
(a rename). A bad file therefore leaves the target exactly as it was, and the
error names the file and line.

Speed: ``Store.bulk_load`` parses on the calling thread and hands the
indexes to a writer only per million statements, so below a few million it
uses one core. It releases the GIL, so a line-based file (N-Quads,
N-Triples), mapped into memory, is cut at line boundaries and each piece
loaded from a thread of its own into the same store: about twice the rate
on two cores (``benchmarks/bench_load.py``). Each ``bulk_load`` call gives blank
nodes fresh identities, so no cut is made between two lines that mention
blank nodes: the span from the first to the last such line stays in one
piece (a file full of blank nodes loads on one thread).
"""

from __future__ import annotations

import gzip
import itertools
import mmap
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from pockg.config import MEMORY
from pockg.errors import ConfigurationError, DataError, Problem, StoreError

FORMATS = {".nq": ox.RdfFormat.N_QUADS, ".nt": ox.RdfFormat.N_TRIPLES,
           ".trig": ox.RdfFormat.TRIG, ".ttl": ox.RdfFormat.TURTLE}
LINE_BASED = {ox.RdfFormat.N_QUADS, ox.RdfFormat.N_TRIPLES}
WITH_GRAPHS = {ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG}


@dataclass
class Loaded:
    path: Path
    bytes: int
    pieces: int
    seconds: float


def format_of(path: Path) -> ox.RdfFormat:
    """The RDF format of ``path`` by its extension (``.gz`` allowed on top)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    fmt = FORMATS.get(suffixes[-1] if suffixes else "")
    if fmt is None:
        raise ConfigurationError(
            f"{path}: cannot tell the format from the name; pockg load reads N-Quads (.nq), "
            "TriG (.trig), N-Triples (.nt) and Turtle (.ttl), each optionally gzipped (.gz)")
    return fmt


def pieces(data: bytes, n: int) -> list[tuple[int, int]]:
    """Up to ``n`` (start, end) byte ranges of ``data``, cut after a newline and
    never inside the span of lines that mention blank nodes."""
    size = len(data)
    first, last = data.find(b"_:"), data.rfind(b"_:")
    if first >= 0:                      # widen the blank-node span to whole lines
        first = data.rfind(b"\n", 0, first) + 1
        end = data.find(b"\n", last)
        last = size if end < 0 else end + 1
    cuts = [0]
    for i in range(1, max(1, n)):
        cut = data.find(b"\n", size * i // n)
        cut = size if cut < 0 else cut + 1
        if first >= 0 and first < cut < last:
            cut = last
        if cuts[-1] < cut < size:
            cuts.append(cut)
    cuts.append(size)
    return list(itertools.pairwise(cuts))


def _read(path: Path):
    """The file's bytes: mapped, not read (each piece is copied out once), or
    decompressed for ``.gz``."""
    try:
        if path.suffix.lower() == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return b""
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:   # unreadable, a broken gzip stream
        raise DataError([Problem(f"cannot read it: {exc}", file=str(path))]) from None


def load_file(store: ox.Store, path: Path, graph: str | None = None, threads: int = 2,
              lenient: bool = False) -> Loaded:
    """Bulk-load one file into ``store`` (its graphs, or ``graph`` for triples).

    Raises DataError naming the file and line on a syntax error; the store may
    then hold part of the file (the caller loads into a staging store).
    """
    path = Path(path)
    fmt = format_of(path)
    if fmt in WITH_GRAPHS and graph is not None:
        raise ConfigurationError(f"{path}: --graph is for triples (.nt, .ttl); "
                                 "this file names its own graphs")
    if fmt not in WITH_GRAPHS and graph is None:
        raise ConfigurationError(f"{path}: triples have no graph; give --graph IRI (every "
                                 "source has a named graph of its own in pockg)")
    options = {"format": fmt, "lenient": lenient}
    if graph is not None:
        try:
            options["to_graph"] = ox.NamedNode(graph)
        except ValueError as exc:
            raise ConfigurationError(f"--graph {graph!r} is not a valid IRI: {exc}") from None
    started = time.perf_counter()
    data = _read(path)
    ranges = pieces(data, threads) if fmt in LINE_BASED else [(0, len(data))]
    errors: list[tuple[int, BaseException]] = []

    def work(start: int, end: int) -> None:
        try:
            store.bulk_load(input=data[start:end], **options)
        except BaseException as exc:  # noqa: BLE001 - reported below with its file and line
            errors.append((start, exc))

    workers = [threading.Thread(target=work, args=r, name="pockg-load") for r in ranges[1:]]
    for worker in workers:
        worker.start()
    work(*ranges[0])
    for worker in workers:
        worker.join()
    try:
        if errors:
            start, exc = min(errors, key=lambda e: e[0])
            raise _located(path, data, start, exc)
        return Loaded(path, len(data), len(ranges), time.perf_counter() - started)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def _located(path: Path, data: bytes, start: int, exc: BaseException) -> Exception:
    """``FILE:LINE: problem`` for an error in the piece that starts at byte ``start``."""
    if isinstance(exc, SyntaxError):
        before = data[:start].count(b"\n")
        line = (exc.lineno or 1) + before
        message = _relative_lines(str(exc.msg or exc), before)
        return DataError([Problem(message, file=str(path), line=line)])
    if isinstance(exc, (OSError, RuntimeError)):
        return StoreError(f"loading {path} failed: {exc}")
    if isinstance(exc, ValueError):
        return DataError([Problem(str(exc), file=str(path))])
    return exc if isinstance(exc, Exception) else RuntimeError(str(exc))


def _relative_lines(message: str, offset: int) -> str:
    """The parser's message with the line numbers of a piece made the file's."""
    import re

    if not offset:
        return message
    return re.sub(r"\bline (\d+)", lambda m: f"line {int(m.group(1)) + offset}", message)


def staging_location(location: Path) -> Path:
    return location.with_name(location.name + ".loading")


def _load_all(location: Path, files: list[Path], graph, threads, lenient, say,
              what: str) -> tuple[ox.Store, list[Loaded]]:
    """A fresh store at ``location`` with every file loaded (removed again on failure)."""
    shutil.rmtree(location, ignore_errors=True)              # a leftover of a failed load
    store = ox.Store(str(location))
    try:
        loaded = []
        for f in files:
            say(f"{what}: loading {f} ({f.stat().st_size / 2**20:,.1f} MiB)")
            done = load_file(store, f, graph, threads, lenient)
            loaded.append(done)
            say(f"{what}: loaded {f.name} in {done.seconds:.1f} s ({done.pieces} piece(s))")
        store.flush()
    except BaseException:
        del store
        shutil.rmtree(location, ignore_errors=True)
        raise
    return store, loaded


def _keep_public(store: ox.Store) -> int:
    """Drop what readers may not see (drafts, internal lessons, review records, the
    default graph): the loaded copy becomes the public replica. Graphs dropped."""
    from pockg.replica import public

    private = [g for g in store.named_graphs()
               if not (isinstance(g, ox.NamedNode) and public(g.value))]
    for g in private:
        store.remove_graph(g)
    store.clear_graph(ox.DefaultGraph())
    store.flush()
    return len(private)


def load_store(location: str | os.PathLike, files: Iterable[Path], graph: str | None = None,
               replace: bool = False, threads: int = 2, lenient: bool = False,
               replica: bool = True, progress: Callable[[str], None] | None = None) -> dict:
    """Load ``files`` into a new store that then takes the place of ``location``.

    The target must be missing or empty, or ``replace`` given (the old store is
    then kept beside it as ``<store>.replaced-<time>``). Refused while a
    server holds the store. With ``replica``, the public replica is made the
    same way (the files loaded again, then the graphs readers may not see
    dropped): much faster than copying quads one by one. Returns counts and
    timings; ``seconds`` and ``rate`` are the load into the store itself.
    """
    from pockg.backup import drop_derived, replaced_stamp, set_aside
    from pockg.control import ServingLock
    from pockg.replica import location_of
    from pockg.store import open_store

    say = progress or (lambda _m: None)
    files = [Path(f) for f in files]
    if not files:
        raise ConfigurationError("give at least one file to load")
    for f in files:
        format_of(f)
        if not f.is_file():
            raise ConfigurationError(f"{f}: no such file")
    if str(location) == MEMORY:
        raise ConfigurationError("pockg load makes an on-disk store: give --store PATH, "
                                 "not :memory:")
    location = Path(location)
    public_location = Path(location_of(str(location)))
    serving = ServingLock(str(location), exclusive=True)    # no server, read-only ones included
    try:
        old = 0
        if location.exists():
            existing = open_store(location)                  # nor any other writer
            old = len(existing)
            existing.close()
            if old and not replace:
                raise StoreError(
                    f"the store at {location} already holds {old:,} quads; load into a new "
                    "store (--store), or pass --replace to put the loaded one in its place "
                    "(the old store is kept beside it)")
        staging = staging_location(location)
        started = time.perf_counter()
        store, loaded = _load_all(staging, files, graph, threads, lenient, say, "store")
        seconds = time.perf_counter() - started
        quads, graphs = len(store), sum(1 for _ in store.named_graphs())
        say(f"store: {quads:,} quads in {graphs:,} graphs in {seconds:.1f} s "
            f"({quads / max(seconds, 1e-9):,.0f} quads/s)")
        del store                                            # closes it (pyoxigraph has no close)
        public_staging = staging_location(public_location)
        if replica:
            try:
                copy, _ = _load_all(public_staging, files, graph, threads, lenient, say,
                                    "public replica")
                dropped = _keep_public(copy)
                say(f"public replica: {len(copy):,} quads ({dropped} graphs readers may not "
                    "see left out)")
                del copy
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        kept = set_aside(location, replaced_stamp()) if location.exists() else None
        staging.rename(location)
        drop_derived(location)                               # made from the old contents
        if replica:
            public_staging.rename(public_location)
    finally:
        serving.release()
    return {"quads": quads, "graphs": graphs, "seconds": seconds, "files": len(files),
            "bytes": sum(d.bytes for d in loaded), "rate": quads / seconds if seconds else 0,
            "replaced": str(kept) if kept else None, "replaced_quads": old}

"""The one serialized writer of the embedded store.

On-disk Oxigraph gives each update its own transaction but does not order
read-modify-write cycles: two threads that read a lesson, change it and
write it back lose one of the changes (measured in
../shared/reference/security.md: 463 of 1,200 increments kept). So every
write in pockg goes through ``Writer.write``: one lock, a check run under it
(for instance "the lesson is still at the revision the editor started
from", raising ``Conflict``), then the change as one transaction. A change
is acknowledged only once Oxigraph has committed it and flushed it to disk:
a commit alone is in the write-ahead log, which a kill -9 keeps but which is
not synced, so a power cut could lose it; ``Store.flush`` writes it out and
syncs it. So a kill -9, or a power cut on a disk that honours fsync, keeps
every acknowledged write and no half of one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from pockg.errors import StoreError


@dataclass
class Change:
    """Quads to remove and to add, in one transaction."""

    remove: list[ox.Quad] = field(default_factory=list)
    add: list[ox.Quad] = field(default_factory=list)
    drop: list[str] = field(default_factory=list)     # graphs emptied by the change

    def __bool__(self) -> bool:
        return bool(self.remove or self.add or self.drop)


class Writer:
    """Serializes every write to one store; readers never wait for it."""

    def __init__(self, store):
        if getattr(store, "read_only", False):
            raise StoreError("the store is open read-only: curation and uploads are off "
                             "(serve without --read-only to enable them)")
        self.store = store
        self._lock = threading.RLock()
        self.generation = 0
        self._listeners: list[Callable[[Change], None]] = []
        self._hooks: list[Callable[[Change], None]] = []

    def on_change(self, listener: Callable[[Change], None]) -> None:
        """Call ``listener(change)`` after each committed change (caches, indexes)."""
        self._listeners.append(listener)

    def on_commit(self, hook: Callable[[Change], None]) -> None:
        """Call ``hook(change)`` under the lock, right after each commit and before it
        is acknowledged (the public replica, which readers must see at once)."""
        self._hooks.append(hook)

    def write(self, plan: Callable[[object], Change | None]) -> Change | None:
        """Run ``plan(store)`` under the lock, then commit the change it returns.

        ``plan`` reads the current state and raises (``Conflict``, ``Forbidden``…)
        to refuse; nothing is written then.
        """
        with self._lock:
            change = plan(self.store)
            if not change:
                return change
            self.store.apply(change.remove, change.add, change.drop)
            unflushed = self._flush()   # on disk before anyone is told
            self.generation += 1
            for hook in self._hooks:
                hook(change)
        for listener in self._listeners:
            listener(change)
        if unflushed:                   # committed, but not known to be on disk
            raise unflushed
        return change

    def _flush(self) -> StoreError | None:
        """Flush the store (``replace_graphs`` flushes by itself); a failure is
        returned, to raise once the replica and the caches have followed the
        committed change."""
        try:
            self.store.flush()
        except StoreError as exc:
            return exc
        return None

    def replace(self, owned: Iterable[str], quads: list[ox.Quad]) -> None:
        """Replace whole graphs (an ingested document version) under the lock."""
        owned = list(owned)
        change = Change(add=quads, drop=owned)
        with self._lock:
            self.store.replace_graphs(owned, quads)
            self.generation += 1
            for hook in self._hooks:
                hook(change)
        for listener in self._listeners:
            listener(change)

    def exclusive(self) -> "Exclusive":
        """``with writer.exclusive() as store:`` read and replace whole graphs with no
        other write in between (ingest and linking, which read then rewrite)."""
        return Exclusive(self)

    def backup(self, target) -> None:
        """A consistent snapshot, taken between two writes."""
        with self._lock:
            self.store.backup(target)


class Exclusive:
    """The store as seen while holding the writer's lock: reads go to the store;
    ``replace_graphs`` and ``apply`` go through the writer (so listeners run)."""

    def __init__(self, writer: Writer):
        self._writer = writer

    def __enter__(self):
        self._writer._lock.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self._writer._lock.release()

    def __getattr__(self, name):
        return getattr(self._writer.store, name)

    def replace_graphs(self, owned, quads) -> None:
        self._writer.replace(owned, list(quads))

    def apply(self, remove, add, drop=()) -> None:
        self._writer.write(lambda _store: Change(list(remove), list(add), list(drop)))

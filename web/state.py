"""What the app shares between requests: the store, the writer, the accounts,
the curation service, the library and per-area services.

Kept on ``app.extensions["pockg"]``; views reach it through ``current()``.
``current().store`` is the store *as the signed-in user may see it*: readers
(and the public SPARQL endpoint, see ``public_store``) see published public
graphs only. ``full_store`` is for the writer and the curation service,
which check visibility themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app, g, has_request_context

from pockg.config import MEMORY, Settings, load_settings
from pockg.errors import NoPublicReplica
from pockg.library import QueryLibrary


@dataclass
class State:
    settings: Settings
    full_store: object
    library: QueryLibrary
    writer: object = None              # pockg.writer.Writer, None when read-only
    accounts: object = None            # pockg.accounts.Accounts
    curation: object = None            # pockg.curation.service.Curation
    replica: object = None             # what readers may see (pockg.replica); None:
    replica_location: str = ""         # missing there, and readers get 503 (NoPublicReplica)
    extras: dict = field(default_factory=dict)   # per-area services (search index, workers)

    @property
    def store(self):
        """The store as the current request's user may see it."""
        if not has_request_context():
            return self.full_store
        user = g.get("user")
        return self.view_for(user.role if user else None)

    def view_for(self, role: str | None):
        """Staff see the whole store; everyone else the public replica (published
        public content; contributors reach internal lessons through /lessons).
        Without a replica, readers get ``NoPublicReplica`` (503), never the full store."""
        from pockg.curation.graphs import sees_everything

        if sees_everything(role) or not hasattr(self.full_store, "view"):
            return self.full_store
        if self.replica is not None:
            return self.replica
        raise NoPublicReplica(self.replica_location)    # never the full store instead

    @property
    def public_store(self):
        return self.view_for(None)


def init_app(app: Flask) -> None:
    settings = load_settings(store=app.config.get("STORE"))
    store = app.config.get("STORE_OBJECT")
    read_only = bool(app.config.get("READ_ONLY"))
    if store is None:
        from pockg.store import open_store

        store = open_store(settings.store, read_only=read_only and settings.store != MEMORY)
    read_only = read_only or getattr(store, "read_only", False)
    writer = None
    if not read_only:
        from pockg.writer import Writer

        writer = Writer(store)
    from pockg.accounts import Accounts, default_db
    from pockg.curation.service import Curation

    accounts = Accounts(app.config.get("DB") or default_db(settings.store))
    state = State(settings, store, QueryLibrary(settings.queries_dir), writer, accounts)
    state.curation = Curation(store, writer, settings.ontology_dir / "shapes")
    state.replica = _replica(app, settings, store, writer)
    from pockg import replica as R

    state.replica_location = R.location_of(getattr(store, "location", settings.store))
    app.extensions["pockg"] = state


def _replica(app: Flask, settings: Settings, store, writer):
    """Open the public replica, bring it up to date and keep it so (see pockg.replica)."""
    import logging

    from pockg import replica as R

    log = logging.getLogger("pockg.web")
    location = store.location if app.config.get("STORE_OBJECT") is None else MEMORY
    if writer is None:
        found = R.open_replica(location, read_only=True)
        if found is None and location != MEMORY:
            log.warning("no public replica at %s: readers, search and /sparql answer 503 "
                        "until one is made (`pockg build`, or a server without --read-only)",
                        R.location_of(location))
        if found is not None and location == MEMORY:
            R.sync(store, found)
        return found
    found = R.open_replica(location)
    R.sync(store, found, progress=log.info)
    writer.on_commit(R.Mirror(store, found))
    return found


def current() -> State:
    return current_app.extensions["pockg"]

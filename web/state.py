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
from pockg.library import QueryLibrary


@dataclass
class State:
    settings: Settings
    full_store: object
    library: QueryLibrary
    writer: object = None              # pockg.writer.Writer, None when read-only
    accounts: object = None            # pockg.accounts.Accounts
    curation: object = None            # pockg.curation.service.Curation
    extras: dict = field(default_factory=dict)   # per-area services (search index, workers)
    _views: dict = field(default_factory=dict)

    @property
    def store(self):
        """The store as the current request's user may see it."""
        if not has_request_context():
            return self.full_store
        user = g.get("user")
        return self.view_for(user.role if user else None)

    def view_for(self, role: str | None):
        from pockg.curation.graphs import sees_everything, visible

        if sees_everything(role) or not hasattr(self.full_store, "view"):
            return self.full_store
        key = role or "reader"
        if key not in self._views:
            self._views[key] = self.full_store.view(lambda graph, r=role: visible(graph, r))
        return self._views[key]

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
    app.extensions["pockg"] = state


def current() -> State:
    return current_app.extensions["pockg"]

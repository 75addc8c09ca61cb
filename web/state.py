"""What the app shares between requests: the store, the library, the search index.

Kept on ``app.extensions["pockg"]``; views reach it through ``current()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app

from pockg.config import MEMORY, Settings, load_settings
from pockg.library import QueryLibrary


@dataclass
class State:
    settings: Settings
    store: object
    library: QueryLibrary
    extras: dict = field(default_factory=dict)   # per-area services (search index, workers)


def init_app(app: Flask) -> None:
    settings = load_settings(store=app.config.get("STORE"))
    store = app.config.get("STORE_OBJECT")
    if store is None:
        from pockg.store import open_store

        store = open_store(settings.store, read_only=settings.store != MEMORY)
    app.extensions["pockg"] = State(settings, store, QueryLibrary(settings.queries_dir))


def current() -> State:
    return current_app.extensions["pockg"]

"""The Python API: what the CLI does, importable from a notebook.

    >>> from pockg import api
    >>> table = api.run_query("drafting-lead", missions="MONUC,UNAMID")
    >>> table.rows[0]["leadLabel"]
    >>> api.compare(["MONUC", "UNAMID", "UNMIS"], on="drafting-lead").to_markdown()
    >>> table.to_dataframe()          # when pandas is installed

Every function takes ``store=`` (an open store), or ``endpoint=`` (a SPARQL
1.1 endpoint address), or opens the embedded store of ``settings`` (default:
the environment and the repository's folders) read-only.
"""

from __future__ import annotations

from pockg.compare import Matrix, to_matrix
from pockg.config import MEMORY, Settings, load_settings
from pockg.library import QueryLibrary, Table


def open_store(settings: Settings | None = None, endpoint: str | None = None,
               timeout: float = 30.0):
    """The store to query: a remote endpoint, or the embedded store read-only."""
    if endpoint:
        from pockg.remote import RemoteStore

        return RemoteStore(endpoint, timeout=timeout)
    from pockg.store import open_store as open_embedded

    settings = settings or load_settings()
    return open_embedded(settings.store, read_only=settings.store != MEMORY)


def library(settings: Settings | None = None) -> QueryLibrary:
    return QueryLibrary((settings or load_settings()).queries_dir)


def list_queries(settings: Settings | None = None) -> list[dict]:
    """Name, summary, description, tags, view and parameters of each library query."""
    return [q.as_dict() for q in library(settings).all()]


def run_query(name: str, store=None, settings: Settings | None = None,
              endpoint: str | None = None, **params) -> Table:
    """Run a library query; parameters by name (sets as lists or comma strings)."""
    settings = settings or load_settings()
    store = store or open_store(settings, endpoint)
    return library(settings).run(name, params, store)


def compare(missions, on: str, store=None, settings: Settings | None = None,
            endpoint: str | None = None, as_of=None) -> Matrix:
    """A comparison matrix of ``missions`` on the library comparison ``on``; with
    ``as_of`` (a date or YYYY-MM-DD), only the strategy versions in force that day."""
    missions = ",".join(missions) if isinstance(missions, (list, tuple)) else missions
    extra = {"as_of": as_of} if as_of else {}
    return to_matrix(run_query(on, store=store, settings=settings, endpoint=endpoint,
                               missions=missions, **extra))

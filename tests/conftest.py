"""Shared fixtures: repository settings, a built graph, scratch data trees."""

from __future__ import annotations

import shutil

import pytest

from pockg.build import build
from pockg.config import REPO_ROOT, load_settings
from pockg.store import open_store
from support import require_report


@pytest.fixture(scope="session")
def settings():
    """The repository's own folders, with a throwaway in-memory store."""
    return load_settings(env={}, store=":memory:")


@pytest.fixture(scope="session")
def built(settings):
    """The curated graph, built once into an in-memory store."""
    store = open_store(":memory:")
    report = build(settings, store)
    return store, report


@pytest.fixture(scope="session")
def curated_store_path(settings, tmp_path_factory):
    """The curated graph built once into an on-disk store with its public replica
    beside it (as `pockg build` leaves them), then closed: open it read-only, or
    copy the folder before changing anything in it."""
    from pockg.replica import rebuild

    path = tmp_path_factory.mktemp("curated") / "store"
    store = open_store(path)
    build(settings, store)
    store.close()
    rebuild(str(path))
    return path


@pytest.fixture(scope="session")
def store(built):
    return built[0]


@pytest.fixture
def data_copy(tmp_path):
    """A scratch copy of data/ and ontology/ that a test may break."""
    data = tmp_path / "data"
    ontology = tmp_path / "ontology"
    shutil.copytree(REPO_ROOT / "data", data)
    shutil.copytree(REPO_ROOT / "ontology", ontology)
    return load_settings(env={}, store=str(tmp_path / "store"), data_dir=data,
                         ontology_dir=ontology)


@pytest.fixture
def report_text():
    """The workshop report's full text, read from ../shared (never from the repo)."""
    return require_report().read_text(encoding="utf-8")

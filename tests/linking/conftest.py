"""Fixtures of the linking tests: the lexicon of the curated graph, and a
fresh store with one small ingested strategy document."""

from __future__ import annotations

import pytest

from pockg.build import build
from pockg.linking.lexicon import build_lexicon
from pockg.linking.matcher import Matcher
from pockg.store import open_store

from linking_docs import STRATEGY


@pytest.fixture(scope="session")
def lexicon(store):
    return build_lexicon(store)


@pytest.fixture(scope="session")
def matcher(lexicon):
    return Matcher(lexicon)


@pytest.fixture
def linked_store(settings, tmp_path):
    """A throwaway store: the curated graph plus one ingested document, without a
    learned layer (these tests pin the components' rules; test_linking_learned.py
    the layer)."""
    from pockg.ingest import ingest

    store = open_store(":memory:")
    build(settings, store, check=False, train_linker=False)
    path = tmp_path / "strategy.md"
    path.write_text(STRATEGY, encoding="utf-8")
    result = ingest(store, [path], doc_id="test-strategy")[0]
    return store, result.version

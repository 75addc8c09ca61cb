"""Bad input gets a clear error naming file, line and problem, and nothing is loaded.

Each case is a tiny fixture in fixtures/bad-input/<folder>/<case>.yaml,
dropped into a scratch copy of data/ next to the real curated files.
"""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from pockg.build import build
from pockg.errors import DataError
from pockg.store import open_store

from support import FIXTURES

CASES = [
    # (folder, case, line, words the message must contain)
    ("operations", "malformed-yaml", 5, "quoted scalar that starts at line 3"),
    ("operations", "date-not-a-date", 4, "'2010-02-30' is not a date"),
    ("operations", "date-as-free-text", 4, "start"),
    ("operations", "reference-to-missing-entity", 4, "resolution '99999', which does not exist"),
    ("operations", "duplicate-identifier", 1, "duplicate identifier 'MONUC'"),
    ("operations", "claim-without-source", 3, "claim without a source"),
    ("operations", "unverified-status-u", 3, "start"),
    ("operations", "citation-of-unknown-source", 3, "'a-source-nobody-wrote'"),
    ("operations", "citation-of-missing-paragraph", 3, "no passage ¶99.9"),
    ("operations", "unknown-field", 4, "unknown field"),
    ("operations", "yaml-alias", 3, "aliases are not allowed"),
    ("operations", "quote-from-outside-source", 3, "a quote must come from a document"),
    ("recommendations", "unknown-concept-notation", 6, "T9"),
]

USER_GRAPH = ox.NamedNode("https://w3id.org/pockg/user/lessons")


@pytest.fixture
def prebuilt(data_copy):
    """A store holding a good build plus a user's curated graph."""
    store = open_store(data_copy.store)
    build(data_copy, store)
    store.extend([ox.Quad(ox.NamedNode("https://w3id.org/pockg/id/lesson/L1"),
                          ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel"),
                          ox.Literal("a curated lesson", language="en"), USER_GRAPH)])
    return data_copy, store


def snapshot(store) -> set:
    return {str(q) for q in store.quads()}


@pytest.mark.parametrize("folder,case,line,words", CASES, ids=[c[1] for c in CASES])
def test_bad_input_names_file_line_and_problem_and_loads_nothing(prebuilt, folder, case, line, words):
    settings, store = prebuilt
    before = snapshot(store)
    target = settings.data_dir / folder / f"zz-{case}.yaml"
    shutil.copy(FIXTURES / "bad-input" / folder / f"{case}.yaml", target)

    with pytest.raises(DataError) as info:
        build(settings, store)

    message = str(info.value)
    assert f"data/{folder}/zz-{case}.yaml:{line}:" in message, message
    assert words in message, message
    assert "nothing was loaded" in message
    assert snapshot(store) == before

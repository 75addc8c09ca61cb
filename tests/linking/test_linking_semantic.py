"""The semantic component (pockg/linking/semantic.py): meaning, offline, with reasons."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from pockg.build import build
from pockg.linking import annotations as A
from pockg.linking import semantic
from pockg.linking.context import combine
from pockg.linking.lexicon import CONCEPT
from pockg.store import open_store

IDP_PARAPHRASE = ("People who fled their homes but remain inside the country live in "
                  "overcrowded settlements.")


@pytest.fixture(scope="module")
def space(store):
    return A.matcher_for(store).space


def test_a_paraphrase_finds_its_concept_by_meaning_with_the_closest_text(space):
    best = space.match(IDP_PARAPHRASE)
    assert [m.target for m in best] == [CONCEPT + "VG-IDP"]
    match = best[0]
    assert IDP_PARAPHRASE[match.start:match.end].startswith("People who fled")
    assert match.closest and match.z >= semantic.MIN_Z and 0 < match.score <= 1


def test_french_passages_are_compared_with_french_texts(space):
    passage = ("Les casques bleus patrouillent de nuit autour des sites pour dissuader "
               "les attaques contre les civils.")
    assert semantic.language(passage) == "fr"
    best = space.match(passage, top=3)
    assert best and all(semantic.language(m.closest) == "fr" for m in best)


def test_the_calibrated_score_rises_with_z_and_stays_in_bounds():
    scores = [semantic.calibrated(z) for z in (0, 1.5, 2.5, 3, 4, 5.5, 9)]
    assert scores == sorted(scores) and all(0 < s <= 1 for s in scores)
    assert 0 <= combine(0.9, None) <= 0.99 and combine(None, None) == 0.0
    assert combine(0.6, 0.7) > combine(0.6, None)        # two components agreeing


def test_links_carry_which_components_proposed_them_and_why(settings, tmp_path):
    from pockg.ingest import ingest

    store = open_store(":memory:")
    build(settings, store, check=False, train_linker=False)     # the components' own rule
    path = tmp_path / "report.md"
    path.write_text("# Report\n\n1. " + IDP_PARAPHRASE + " Internally displaced persons "
                    "need shelter.\n", encoding="utf-8")
    version = ingest(store, [path], doc_id="semantic-report")[0].version
    graph, _ = A.store_links(store, version)
    found = {l.body.rsplit("/", 1)[1]: l for l in A.existing_links(store, graph)}
    idp = found["VG-IDP"]
    assert idp.lexical is not None and idp.semantic is not None and idp.closest
    assert idp.score == combine(idp.lexical, idp.semantic)
    lexical_only, _ = A.store_links(store, version, components=("lexical",))
    assert all(l.semantic is None for l in A.existing_links(store, lexical_only))


def test_linking_makes_no_network_connection():
    """The model loads from the installed package; nothing is fetched, even to check."""
    script = textwrap.dedent(f"""
        import socket, sys
        def no_network(event, args):
            if event in ("socket.connect", "socket.getaddrinfo"):
                raise RuntimeError("network: " + event + " " + repr(args))
        sys.addaudithook(no_network)
        from pockg.linking import semantic
        vectors = semantic.embed([{IDP_PARAPHRASE!r}, "internally displaced persons"])
        print(round(float(vectors[0] @ vectors[1]), 3))
    """)
    for prefix in (["unshare", "-n"], ["unshare", "-r", "-n"]):
        done = subprocess.run([*prefix, sys.executable, "-c", script], capture_output=True,
                              text=True, timeout=120)
        if "unshare failed" not in done.stderr and "Operation not permitted" not in done.stderr:
            break
    assert done.returncode == 0, done.stderr[-2000:]
    assert 0 < float(done.stdout.strip()) <= 1


def test_the_document_page_says_why_each_link_was_suggested(settings, tmp_path):
    from pockg.ingest import ingest
    from web import create_app

    store = open_store(":memory:")
    build(settings, store, check=False, train_linker=False)     # the components' own rule
    path = tmp_path / "report.md"
    path.write_text("# Report\n\n1. " + IDP_PARAPHRASE + " Internally displaced persons "
                    "need shelter.\n\n## 2. Protection Risks\n\n2.1 Patrols go out at night.\n",
                    encoding="utf-8")
    version = ingest(store, [path], doc_id="semantic-report")[0].version
    A.store_links(store, version)
    app = create_app({"STORE_OBJECT": store, "STORE": ":memory:"}, profile="testing")
    page = app.test_client().get("/documents/semantic-report").get_data(as_text=True)
    assert "Why:" in page and "the words match a label of the concept" in page
    assert "the sentence means what the concept says" in page
    assert "the heading of its section names the concept" in page       # inherited links

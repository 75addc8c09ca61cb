"""Documents to comparisons: a document declared the text of a strategy (or a report or
evaluation about it) fills the strategy's comparison cells from its accepted links, and
only from them (pockg.coverage).

The fixture is an original fictional strategy with numbered paragraphs that names its
tiers and groups by paraphrase. Links are made by hand here (suggestions in the linker's
own shape, then accepted, rejected or left alone), so these tests do not depend on what
the linker happens to suggest.
"""

from __future__ import annotations

import json
import shutil

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pockg import api, coverage
from pockg import vocab as V
from pockg.cli import main
from pockg.config import REPO_ROOT
from pockg.errors import NotFound
from pockg.ingest import ingest
from pockg.linking.annotations import (LINKER, SUGGESTED, annotation_quads,
                                       links_graph, manual_link, now, passages_of, set_status)
from pockg.profile import strategy_profile
from pockg.store import open_store
from support import session_client, stop_workers, writable_app

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "coverage"
STRATEGY_TEXT = FIXTURES / "strategy-by-paraphrase.md"
UNMIS = V.ID + "strategy/UNMIS-2009"
MONUC = V.ID + "strategy/MONUC-2009"


@pytest.fixture
def store(curated_store_path, tmp_path):
    """A writable copy of the curated graph with the fictional strategy ingested as 'ardessa'."""
    shutil.copytree(curated_store_path, tmp_path / "store")
    st = open_store(tmp_path / "store")
    ingest(st, [STRATEGY_TEXT], doc_id="ardessa")
    yield st
    st.close()


def version_of(st, doc_id="ardessa") -> str:
    return next(st.match(ox.NamedNode(V.entity("document", doc_id)),
                         ox.NamedNode(V.term("currentVersion")), None, None)).object.value


def words(st, n: str, phrase: str, doc_id="ardessa") -> tuple[str, int, int]:
    """The passage ¶n and the offsets of ``phrase`` in it."""
    version = version_of(st, doc_id)
    text = {p.id: p.text for p in passages_of(st, version)}[f"{version}/p/{n}"]
    start = text.index(phrase)
    return f"{version}/p/{n}", start, start + len(phrase)


def suggest(st, n: str, phrase: str, notation: str, doc_id="ardessa") -> str:
    """A suggestion in the linker's own shape; returns its IRI."""
    passage, start, end = words(st, n, phrase, doc_id)
    text = {p.id: p.text for p in passages_of(st, version_of(st, doc_id))}[passage]
    graph = links_graph(doc_id, version_of(st, doc_id).rsplit("/", 1)[-1])
    quads = annotation_quads(passage, text, V.ID + "concept/" + notation, start, end, 0.8,
                             SUGGESTED, LINKER, now(), False, graph)
    st.extend(quads)
    return quads[0].subject.value


def review(st, link: str, status: str, person: str = "alice") -> None:
    st.apply(*set_status(st, link, status, person))


def hand_link(st, n: str, phrase: str, target: str, person: str = "bob", doc_id="ardessa"):
    passage, start, end = words(st, n, phrase, doc_id)
    body = V.ID + target if "/" in target else target      # operation/UNMIS or a notation
    st.apply([], manual_link(st, passage, start, end, body, person))


def filled(matrix) -> dict[tuple[str, str], list[dict]]:
    """(row, column) -> evidence of every cell that is not a gap."""
    out = {}
    for row in matrix.to_json()["rows"]:
        for column, cell in row["cells"].items():
            if not cell["gap"]:
                out[(row["label"], column)] = cell["evidence"]
    return out


# -- a strategy's own text -------------------------------------------------------------
def test_accepted_links_fill_exactly_their_cells_and_suggestions_never_do(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    accepted = suggest(store, "3", "Physical protection", "T2")
    rejected = suggest(store, "5", "A safer environment over time", "T3")
    suggest(store, "4", "Families who fled their homes", "VG-IDP")      # left unreviewed
    review(store, accepted, "accepted")
    review(store, rejected, "rejected")
    hand_link(store, "2", "peace talks", "T1")
    coverage.refresh(store, ["ardessa"])

    tiers = filled(api.compare(["UNMIS"], "tier-coverage", store=store))
    assert set(tiers) == {("UNMIS", "protection through political process"),
                          ("UNMIS", "protection from physical violence")}
    [t1] = tiers[("UNMIS", "protection through political process")]
    assert t1["quote"] == "peace talks" and t1["paragraph"] == "2"
    assert t1["document"] == V.entity("document", "ardessa")
    assert t1["role"] == "text" and t1["reviewer"] == V.ID + "user/bob"
    assert t1["status"] == {"code": "VS-L", "label": "read in a document, link accepted by a reviewer",
                            "doubtful": False}
    [t2] = tiers[("UNMIS", "protection from physical violence")]
    assert (t2["quote"], t2["paragraph"], t2["reviewer"]) == ("Physical protection", "3",
                                                              V.ID + "user/alice")
    groups = api.compare(["UNMIS"], "vulnerable-groups", store=store)
    assert not [key for key in filled(groups) if "displaced" in key[1]]


def test_the_markdown_note_says_where_the_cell_comes_from(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    hand_link(store, "2", "peace talks", "T1")
    coverage.refresh(store, ["ardessa"])
    md = api.compare(["UNMIS"], "tier-coverage", store=store).to_markdown()
    assert ('ardessa ¶2: "peace talks" [VS-L] (the strategy\'s own text; '
            'link accepted by a reviewer)') in md


def test_links_to_schemes_a_strategy_cannot_cover_fill_nothing(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    hand_link(store, "2", "Head of Mission", "operation/UNMIS")        # an entity, not coverage
    assert coverage.refresh(store, ["ardessa"]) == {"ardessa": 0}


def test_a_rejection_after_acceptance_empties_the_cell(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    link = suggest(store, "3", "Physical protection", "T2")
    review(store, link, "accepted")
    coverage.refresh(store, ["ardessa"])
    assert filled(api.compare(["UNMIS"], "tier-coverage", store=store))
    review(store, link, "rejected")
    coverage.refresh(store, ["ardessa"])
    assert filled(api.compare(["UNMIS"], "tier-coverage", store=store)) == {}


def test_withdrawing_the_declaration_empties_the_cells(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    hand_link(store, "2", "peace talks", "T1")
    assert coverage.refresh(store, ["ardessa"]) == {"ardessa": 1}
    assert coverage.declare(store, "ardessa", [], "text") == {"ardessa": 0}
    assert filled(api.compare(["UNMIS"], "tier-coverage", store=store)) == {}
    assert not list(store.quads(coverage.coverage_graph("ardessa")))


# -- a report about several strategies ---------------------------------------------------
def test_a_report_about_several_lends_each_only_the_passages_linked_to_it(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009", "strategy/MONUC-2009"], "report")
    hand_link(store, "3", "Physical protection", "T2")
    hand_link(store, "3", "the force", "operation/UNMIS")        # ¶3 is about UNMIS
    hand_link(store, "2", "peace talks", "T1")                   # ¶2 names no mission
    coverage.refresh(store, ["ardessa"])
    tiers = filled(api.compare(["UNMIS", "MONUC"], "tier-coverage", store=store))
    assert set(tiers) == {("UNMIS", "protection from physical violence")}
    [evidence] = tiers[("UNMIS", "protection from physical violence")]
    assert evidence["role"] == "report"


def test_a_document_about_one_strategy_lends_it_every_passage(store):
    coverage.declare(store, "ardessa", ["strategy/MONUC-2009"], "evaluation")
    hand_link(store, "2", "peace talks", "T1")
    coverage.refresh(store, ["ardessa"])
    [evidence] = filled(api.compare(["MONUC"], "tier-coverage", store=store))[
        ("MONUC", "protection through political process")]
    assert evidence["role"] == "evaluation"


# -- declarations ----------------------------------------------------------------------
def test_an_unknown_target_or_a_role_it_cannot_have_is_refused_and_nothing_is_written(store):
    before = set(store.quads())
    with pytest.raises(NotFound, match="strategy/NOPE"):
        coverage.declare(store, "ardessa", ["strategy/NOPE"], "text")
    with pytest.raises(coverage.RoleError, match="cannot be the text of a mission"):
        coverage.declare(store, "ardessa", ["operation/MONUC"], "text")
    with pytest.raises(coverage.RoleError, match="unknown role"):
        coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "summary")
    with pytest.raises(NotFound, match="no stored document 'nothing'"):
        coverage.declare(store, "nothing", ["strategy/UNMIS-2009"], "text")
    assert set(store.quads()) == before


def test_a_new_declaration_replaces_the_old_one(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    coverage.declare(store, "ardessa", ["strategy/MONUC-2009"], "report")
    found = coverage.declarations(store, V.entity("document", "ardessa"))
    assert [(d.target, d.role) for d in found] == [(MONUC, "report")]


def test_a_rebuild_keeps_the_cells_that_documents_fill(store, settings):
    from pockg.build import build

    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    hand_link(store, "2", "peace talks", "T1")
    coverage.refresh(store, ["ardessa"])
    build(settings, store, train_linker=False)
    assert set(filled(api.compare(["UNMIS"], "tier-coverage", store=store))) == {
        ("UNMIS", "protection through political process")}


# -- the profile ---------------------------------------------------------------------------
def test_the_profile_shows_every_dimension_with_covered_cells_and_gaps(store):
    coverage.declare(store, "ardessa", ["strategy/UNMIS-2009"], "text")
    hand_link(store, "4", "Families who fled their homes", "VG-IDP")
    coverage.refresh(store, ["ardessa"])
    profile = strategy_profile(store, UNMIS)
    assert [d["scheme"] for d in profile["dimensions"]] == list(coverage.COVERAGE_SCHEMES)
    covered = {c["notation"]: c for d in profile["dimensions"] for c in d["cells"] if c["covered"]}
    assert set(covered) == {"VG-IDP"}
    [ev] = covered["VG-IDP"]["evidence"]
    assert (ev["paragraph"], ev["quote"]) == ("4", "Families who fled their homes")
    assert profile["gaps"] == sum(len(d["cells"]) for d in profile["dimensions"]) - 1
    # the peers are the strategies of the same period (before the 2011 framework)
    peers = {p["mission"] for p in profile["peers"]}
    assert {"MONUC", "UNAMID", "UNMIS"} <= peers and "UNMISS" not in peers


def test_a_strategy_with_no_source_shows_only_gaps(store):
    profile = strategy_profile(store, V.ID + "strategy/UNMISS-2012")
    assert profile["covered"] == 0 and profile["gaps"] > 30


# -- curated declarations -----------------------------------------------------------------
def test_curated_data_declares_the_workshop_report_a_report_on_the_strategies(store):
    found = coverage.declarations(store, V.entity("document", "workshop-2010"))
    assert {(d.target, d.role) for d in found} >= {(UNMIS, "report"), (MONUC, "report")}


def test_a_curated_declaration_of_a_missing_strategy_names_file_and_line(data_copy):
    from pockg.build import assemble
    from pockg.errors import DataError

    (data_copy.data_dir / "document-roles" / "bad.yaml").write_text(
        "declarations:\n"
        "  - document: some-report\n"
        "    role: report\n"
        "    about: [strategy/NO-SUCH-2009]\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        assemble(data_copy)
    text = str(raised.value)
    assert "data/document-roles/bad.yaml:2" in text and "strategy/NO-SUCH-2009" in text


# -- the command line -------------------------------------------------------------------------
def test_cli_ingest_declares_and_document_set_and_show_change_and_report_it(
        curated_store_path, tmp_path):
    shutil.copytree(curated_store_path, tmp_path / "store")
    store_opt = ["--store", str(tmp_path / "store")]
    runner = CliRunner()
    r = runner.invoke(main, ["ingest", str(STRATEGY_TEXT), "--id", "ardessa", "--about",
                             "strategy/UNMIS-2009", "--role", "text", "-q", *store_opt])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["document", "show", "ardessa", "--format", "json", *store_opt])
    assert json.loads(r.output)["about"] == [
        {"document": V.entity("document", "ardessa"), "about": "strategy/UNMIS-2009",
         "role": "text", "kind": "strategy"}]
    r = runner.invoke(main, ["document", "set", "ardessa", "--about", "strategy/MONUC-2009",
                             "--about", "strategy/UNMIS-2009", "--role", "report", *store_opt])
    assert r.exit_code == 0 and "the report of strategy/MONUC-2009, strategy/UNMIS-2009" in r.output
    r = runner.invoke(main, ["document", "set", "ardessa", "--clear", *store_opt])
    assert r.exit_code == 0 and "no longer declared" in r.output


def test_cli_refuses_an_unknown_target_before_storing_the_document(curated_store_path, tmp_path):
    shutil.copytree(curated_store_path, tmp_path / "store")
    r = CliRunner().invoke(main, ["ingest", str(STRATEGY_TEXT), "--id", "ardessa", "--about",
                                  "strategy/NOPE", "--role", "text", "-q",
                                  "--store", str(tmp_path / "store")])
    assert r.exit_code != 0 and "strategy/NOPE" in r.output
    st = open_store(tmp_path / "store", read_only=True)
    try:
        assert not list(st.match(ox.NamedNode(V.entity("document", "ardessa")), None, None, None))
    finally:
        st.close()


def test_cli_about_without_role_is_a_usage_error(curated_store_path, tmp_path):
    r = CliRunner().invoke(main, ["ingest", str(STRATEGY_TEXT), "--about", "strategy/UNMIS-2009",
                                  "--store", ":memory:"])
    assert r.exit_code == 2 and "--about needs --role" in r.output


# -- the browser's routes -----------------------------------------------------------------------
@pytest.fixture
def web(curated_store_path, tmp_path):
    app = writable_app(curated_store_path, tmp_path)
    yield app
    stop_workers(app)


def test_review_on_the_document_page_fills_the_comparison_and_the_profile(web):
    client, csrf = session_client(web, "cy")
    with open(STRATEGY_TEXT, "rb") as fh:
        r = client.post("/documents", data={"file": (fh, "ardessa.md"), "id": "ardessa",
                                            "role": "text", "about": "strategy/UNMIS-2009",
                                            "csrf_token": csrf},
                        headers={"Accept": "application/json"})
    assert r.status_code == 201, r.get_data(as_text=True)
    page = client.get("/documents/ardessa?format=json").get_json()
    assert page["about"][0]["about"] == "strategy/UNMIS-2009"
    passage = next(p for p in page["passages"] if p["number"] == "2")
    start = passage["text"].index("peace talks")
    r = client.post("/documents/ardessa/links", data={
        "passage": passage["iri"], "start": start, "end": start + len("peace talks"),
        "concept": "T1", "csrf_token": csrf}, headers={"Accept": "application/json"})
    assert r.status_code == 201
    matrix = client.get("/compare?comparison=tier-coverage&missions=UNMIS&format=json").get_json()
    cell = next(row for row in matrix["rows"] if row["label"] == "UNMIS")["cells"][
        "protection through political process"]
    assert not cell["gap"] and cell["evidence"][0]["quote"] == "peace talks"
    profile = client.get("/id/strategy/UNMIS-2009.json").get_json()["profile"]
    assert [c["notation"] for d in profile["dimensions"] for c in d["cells"] if c["covered"]] == ["T1"]
    html = client.get("/id/strategy/UNMIS-2009").get_data(as_text=True)
    assert "What this strategy covers" in html and "in the strategy&#39;s own text, ¶2" in html


def test_the_document_page_changes_the_declaration_for_curators_only(web):
    client, csrf = session_client(web, "cy")
    with open(STRATEGY_TEXT, "rb") as fh:
        client.post("/documents", data={"file": (fh, "ardessa.md"), "id": "ardessa",
                                        "csrf_token": csrf})
    r = client.post("/documents/ardessa/about", data={
        "role": "evaluation", "about": "strategy/MONUC-2009", "about_other": "operation/UNMIS",
        "csrf_token": csrf}, headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json()["about"] == ["strategy/MONUC-2009",
                                                              "operation/UNMIS"]
    bad = client.post("/documents/ardessa/about", data={
        "role": "text", "about_other": "operation/UNMIS", "csrf_token": csrf},
        headers={"Accept": "application/json"})
    assert bad.status_code == 422
    contributor, token = session_client(web, "ann")
    denied = contributor.post("/documents/ardessa/about", data={
        "role": "report", "about": "strategy/MONUC-2009", "csrf_token": token})
    assert denied.status_code == 403

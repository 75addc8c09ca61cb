"""The curation service: lifecycle rules from data, roles, visibility by graph,
revision conflicts, history and revert, comments, bulk import, export-data."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from pockg import vocab as V
from pockg.accounts import User
from pockg.build import build
from pockg.curation import graphs as G
from pockg.curation.service import Curation, FieldErrors, parse_values
from pockg.errors import Conflict, Forbidden, NotFound
from pockg.store import open_store
from pockg.writer import Writer

ANN = User("ann", "contributor")
BEN = User("ben", "contributor")
CY = User("cy", "curator")
RAE = User("rae", "reviewer")
LC = V.ID + "concept/"


@pytest.fixture(scope="module")
def curation(settings):
    store = open_store(":memory:")
    build(settings, store, check=False)
    return Curation(store, Writer(store), settings.ontology_dir / "shapes")


def form(curation, **fields):
    base = {"prefLabel": ["Alerts reached villages too late"],
            "observation": ["Community alert networks relayed warnings after attacks began."],
            "mission": ["operation/MONUC"], "tier": ["concept/T1"],
            "publicity": ["concept/PUB-PUBLIC"]}
    base.update({k: v if isinstance(v, list) else [v] for k, v in fields.items()})
    values, errors = parse_values(curation.fields, base)
    assert errors == {}
    return values


def identified(curation, **fields) -> str:
    lid = curation.create(form(curation, **fields), ANN)
    curation.update(lid, form(curation, remedialAction="Set up alert networks early",
                              actionBody="actor/OCHA", **fields), 1, CY)
    curation.transition(lid, "endorse", 2, CY)
    return lid


# -- the lifecycle is data --------------------------------------------------------
def test_transitions_are_read_from_the_graph_not_from_code(curation):
    moves = {t.id: (sorted(s.rsplit("/", 1)[-1] for s in t.sources), t.target.rsplit("/", 1)[-1],
                    t.role) for t in curation.transitions()}
    assert moves["endorse"] == (["LC-OBSERVATION"], "LC-IDENTIFIED", "curator")
    assert moves["validate"] == (["LC-IDENTIFIED"], "LC-LEARNED", "reviewer")
    assert curation.initial_state() == LC + "LC-OBSERVATION"
    assert curation.published_states() == {LC + "LC-LEARNED", LC + "LC-BEST-PRACTICE",
                                           LC + "LC-SUPERSEDED"}


def test_a_new_observation_is_an_unpublished_draft(curation):
    lid = curation.create(form(curation), ANN)
    record = curation.get(lid, ANN)
    assert record.state == LC + "LC-OBSERVATION"
    assert record.graph == G.lesson_graph(lid, "draft")
    assert record.revision == 1
    assert record.creator == ANN.iri


def test_identifying_a_lesson_needs_a_remedial_action_and_an_action_body(curation):
    lid = curation.create(form(curation), ANN)
    with pytest.raises(FieldErrors) as caught:
        curation.transition(lid, "endorse", 1, CY)
    assert set(caught.value.errors) == {"remedialAction", "actionBody"}
    assert curation.get(lid, CY).state == LC + "LC-OBSERVATION"


def test_only_a_reviewer_validates_and_validation_records_who_and_when(curation):
    lid = identified(curation)
    with pytest.raises(Forbidden):
        curation.transition(lid, "validate", 3, CY)
    curation.transition(lid, "validate", 3, RAE)
    record = curation.get(lid, None)
    assert record.state == LC + "LC-LEARNED"
    assert record.value("validatedBy").value == RAE.iri
    assert record.value("validatedOn").datatype.value == V.XSD + "dateTime"
    assert record.graph == G.lesson_graph(lid, "public")


def test_a_transition_from_the_wrong_state_is_refused(curation):
    lid = curation.create(form(curation), ANN)
    with pytest.raises(Conflict):
        curation.transition(lid, "validate", 1, RAE)


def test_contributors_cannot_move_lessons(curation):
    lid = curation.create(form(curation), ANN)
    with pytest.raises(Forbidden):
        curation.transition(lid, "reject", 1, ANN)


# -- who sees what ---------------------------------------------------------------
def test_drafts_are_seen_by_their_author_and_staff_only(curation):
    lid = curation.create(form(curation), ANN)
    assert curation.get(lid, ANN).id == lid
    assert curation.get(lid, CY).id == lid
    for viewer in (None, BEN):
        with pytest.raises(NotFound):
            curation.get(lid, viewer)
        assert lid not in {r["id"] for r in curation.list(viewer)}


def test_published_internal_lessons_are_hidden_from_readers_only(curation):
    lid = identified(curation, publicity="concept/PUB-INTERNAL")
    curation.transition(lid, "validate", 3, RAE)
    assert curation.get(lid, CY).graph == G.lesson_graph(lid, "internal")
    assert curation.get(lid, BEN).id == lid
    with pytest.raises(NotFound):
        curation.get(lid, None)


def test_the_readers_view_of_the_store_holds_no_draft_triple(curation):
    lid = curation.create(form(curation, prefLabel="Unpublished zebra lesson"), ANN)
    reader = curation.store.view(lambda g: G.visible(g, None))
    iri = ox.NamedNode(V.entity("lesson", lid))
    assert reader.select("SELECT ?s ?p WHERE { ?s ?p ?o }", {"s": iri}).rows == []
    assert reader.select("SELECT ?s ?g WHERE { GRAPH ?g { ?s ?p ?o } }", {"s": iri}).rows == []
    assert curation.store.select("SELECT ?s ?p WHERE { ?s ?p ?o }", {"s": iri}).rows


# -- no silent overwrite -----------------------------------------------------------
def test_a_save_from_a_stale_revision_is_a_conflict_naming_what_changed(curation):
    lid = curation.create(form(curation), ANN)
    curation.update(lid, form(curation, discussion="First curator's analysis"), 1, CY)
    with pytest.raises(Conflict) as caught:
        curation.update(lid, form(curation, conclusion="Second curator's conclusion"), 1, CY)
    assert caught.value.details["changed"] == ["discussion"]
    assert caught.value.details["current"] == 2
    record = curation.get(lid, CY)
    assert record.value("discussion").value == "First curator's analysis"
    assert record.value("conclusion") is None


def test_a_save_that_changes_nothing_adds_no_revision(curation):
    lid = curation.create(form(curation), ANN)
    assert curation.update(lid, form(curation), 1, CY) == 1
    assert len(curation.history(lid, CY)) == 1


# -- history, revert, comments ------------------------------------------------------
def test_every_change_is_an_event_with_the_triples_added_and_removed(curation):
    lid = identified(curation)
    events = curation.history(lid, CY)
    assert [(e.revision, e.kind) for e in events] == [(1, "create"), (2, "edit"), (3, "transition")]
    assert events[2].who == CY.iri and events[2].label == "identify as a lesson"
    assert {t.predicate.value for t in events[1].added} == {V.term("remedialAction"),
                                                            V.term("actionBody")}
    assert [t.object.value for t in events[2].removed] == [LC + "LC-OBSERVATION"]


def test_revert_restores_an_earlier_revision_as_a_new_event(curation):
    lid = identified(curation)
    curation.revert(lid, 1, 3, CY)
    record = curation.get(lid, CY)
    assert record.revision == 4
    assert record.state == LC + "LC-OBSERVATION"
    assert record.value("remedialAction") is None
    assert set(record.triples) == set(curation.history(lid, CY)[0].snapshot)
    assert curation.history(lid, CY)[-1].kind == "revert"


def test_the_history_is_for_staff_and_the_author(curation):
    lid = curation.create(form(curation), ANN)
    assert curation.history(lid, ANN)
    with pytest.raises((Forbidden, NotFound)):
        curation.history(lid, BEN)


def test_comments_are_kept_as_web_annotations_in_the_review_graph(curation):
    lid = curation.create(form(curation), ANN)
    curation.comment(lid, "Is the date of the attack right?", CY)
    [comment] = curation.comments(lid, CY)
    assert comment["text"] == "Is the date of the attack right?" and comment["who"] == CY.iri
    graph = ox.NamedNode(G.review_graph(lid))
    assert any(q.object == ox.NamedNode(V.OA + "commenting")
               for q in curation.store.quads(graph.value))


# -- the fields come from the shape -----------------------------------------------------
def test_field_errors_name_each_field(curation):
    values, _ = parse_values(curation.fields, {"prefLabel": ["x" * 201],
                                               "mission": ["concept/T1"],
                                               "publicity": ["concept/T2"]})
    errors = curation.check_values(values)
    assert set(errors) == {"prefLabel", "observation", "mission", "publicity"}
    assert "required" in errors["observation"][0]
    assert "PeaceOperation" in errors["mission"][0]


def test_record_fields_cannot_be_typed_into_a_form(curation):
    values, _ = parse_values(curation.fields, {"prefLabel": ["t"], "observation": ["o"],
                                               "publicity": ["concept/PUB-PUBLIC"],
                                               "lifecycleState": ["concept/LC-LEARNED"]})
    assert "lifecycleState" not in values


# -- bulk import ------------------------------------------------------------------
CSV_GOOD = ("title,observation,missions,protection tiers,publicity\n"
            "Patrols at night,Night patrols deterred raids,operation/MONUC,concept/T2,concept/PUB-PUBLIC\n"
            "Radios,Radios helped,operation/UNMISS; operation/MONUC,,concept/PUB-INTERNAL\n")


def test_csv_import_creates_one_observation_per_row(curation):
    from pockg.curation.importer import import_file

    report = import_file(curation, CSV_GOOD.encode(), "good.csv", CY)
    assert not report.refused and report.imported == 2
    second = curation.get(report.rows[1].id, CY)
    assert {m.value for m in second.values("mission")} == {V.ID + "operation/UNMISS",
                                                          V.ID + "operation/MONUC"}


def test_an_import_with_a_bad_row_imports_nothing_unless_asked(curation):
    from pockg.curation.importer import import_file

    bad = CSV_GOOD + "No observation,,operation/MONUC,,concept/PUB-PUBLIC\n"
    before = len(curation.list(CY))
    report = import_file(curation, bad.encode(), "bad.csv", CY)
    assert report.refused and report.imported == 0
    assert [r.line for r in report.rows if r.errors] == [4]
    assert len(curation.list(CY)) == before
    report = import_file(curation, bad.encode(), "bad.csv", CY, valid_only=True)
    assert report.imported == 2 and len(curation.list(CY)) == before + 2


def test_xlsx_import_reads_the_first_sheet(curation):
    from openpyxl import Workbook

    from pockg.curation.importer import import_file

    book = Workbook()
    sheet = book.active
    sheet.append(["prefLabel", "observation", "publicity"])
    sheet.append(["From a workbook", "Typed in Excel", "concept/PUB-PUBLIC"])
    out = io.BytesIO()
    book.save(out)
    report = import_file(curation, out.getvalue(), "obs.xlsx", CY)
    assert report.imported == 1
    assert curation.get(report.rows[0].id, CY).title == "From a workbook"


@pytest.mark.parametrize("name, data, problem", [
    ("empty.csv", b"", "empty"),
    ("junk.xlsx", b"PK\x03\x04 not really a zip", "XLSX"),
    ("binary.csv", b"a,b\n\x00\x01\x02", "binary"),
    ("notes.docx", b"whatever", "unsupported"),
    ("huge-cell.csv", b"prefLabel,observation\nt," + b"x" * 200_000 + b"\n", "line 2"),
])
def test_bad_import_files_get_a_clear_error(curation, name, data, problem):
    from pockg.curation.importer import import_file
    from pockg.errors import IngestError

    with pytest.raises(IngestError) as caught:
        import_file(curation, data, name, CY)
    assert name in caught.value.message and problem in caught.value.message


# -- export-data round trip ---------------------------------------------------------
def lesson_triples(store) -> set:
    found = set()
    for g in store.named_graphs():
        if "/lesson/" in g and G.tier_of(g) != "review":
            found |= {(q.subject, q.predicate, q.object) for q in store.quads(g)}
    return found


def test_build_edit_export_rebuild_gives_the_same_lessons(data_copy):
    from pockg.curation.export import export_lessons

    store = open_store(":memory:")
    build(data_copy, store, check=False)
    cur = Curation(store, Writer(store), data_copy.ontology_dir / "shapes")
    draft = cur.create(form(cur), ANN)
    learned = identified(cur, publicity="concept/PUB-INTERNAL")
    cur.transition(learned, "validate", 3, RAE)
    curated = lesson_triples(store)
    assert export_lessons(store, data_copy.ontology_dir, data_copy.data_dir) >= 2

    fresh = open_store(":memory:")
    build(data_copy, fresh)                     # with SHACL and QC on
    assert lesson_triples(fresh) == curated
    tiers = {g.rsplit("/", 1)[-1]: G.tier_of(g) for g in fresh.named_graphs() if "/lesson/" in g}
    assert tiers[draft] == "draft" and tiers[learned] == "internal"

    build(data_copy, store)                     # the same store: curated copies win
    assert lesson_triples(store) == curated
    assert not [g for g in store.named_graphs() if g.startswith(V.GRAPH) and "/lesson/" in g]


def test_a_lesson_file_with_an_unknown_field_is_a_located_error(data_copy):
    from pockg.build import assemble
    from pockg.errors import DataError

    folder = data_copy.data_dir / "lessons"
    folder.mkdir()
    (folder / "L-bad.yaml").write_text(
        "id: L-bad\nprefLabel: {en: t}\nlifecycleState: concept/LC-OBSERVATION\n"
        "publicity: concept/PUB-PUBLIC\nobservaton: {en: typo}\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        assemble(data_copy)
    [problem] = caught.value.problems
    assert problem.file.endswith("L-bad.yaml") and problem.line == 5
    assert "observaton" in problem.message

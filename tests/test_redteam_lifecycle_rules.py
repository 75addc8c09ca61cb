"""Red team, issue 12, finding 3: imported RDF rewrote the lesson lifecycle.

The transitions, their roles and the initial and published states were read
from the whole store, so six Turtle triples uploaded by a curator added a
``fast-validate`` transition (observation → learned, role contributor) and a
contributor published their own draft. Now the rules are read only from the
graph ``pockg build`` makes of data/lifecycle, and uploads may not write into
built graphs nor about ``pockg:`` or ``id/transition/`` subjects.
"""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from pockg import vocab as V
from support import csrf_token_of, signed_in, writable_app

FAST_VALIDATE = b"""\
@prefix pockg: <https://w3id.org/pockg/ontology#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/pockg/id/transition/fast-validate> a pockg:LifecycleTransition ;
    dcterms:identifier "fast-validate" ;
    rdfs:label "fast validate"@en ;
    pockg:fromState <https://w3id.org/pockg/id/concept/LC-OBSERVATION> ;
    pockg:toState <https://w3id.org/pockg/id/concept/LC-LEARNED> ;
    pockg:allowedRole "contributor" .
"""
STATE = ox.NamedNode(V.term("lifecycleState"))


@pytest.fixture(scope="module")
def app(curated_store_path, tmp_path_factory):
    return writable_app(curated_store_path, tmp_path_factory.mktemp("redteam-lifecycle"))


def upload_rdf(client, data: bytes, filename: str, name: str):
    form = {"csrf_token": csrf_token_of(client, "/documents"), "name": name,
            "file": (io.BytesIO(data), filename)}
    return client.post("/documents/rdf", data=form, content_type="multipart/form-data",
                       headers={"Accept": "application/json"})


def submit_draft(client) -> str:
    answer = client.post("/lessons/new", data={
        "prefLabel": "Patrols left before dusk", "observation": "Patrols left before dusk.",
        "mission": ["operation/MONUC"], "tier": ["concept/T1"],
        "publicity": "concept/PUB-PUBLIC", "csrf_token": csrf_token_of(client, "/lessons/new")})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    return answer.headers["Location"].rsplit("/", 1)[-1]


def states_of(app, lesson_id: str) -> set[str]:
    store = app.extensions["pockg"].full_store
    lesson = ox.NamedNode(V.entity("lesson", lesson_id))
    return {q.object.value for q in store.match(lesson, STATE, None, None)}


def test_finding3_an_upload_defining_a_transition_is_refused(app):
    """Finding 3: six uploaded Turtle triples added a lifecycle transition."""
    store = app.extensions["pockg"].full_store
    before = len(store)
    answer = upload_rdf(signed_in(app, "cy"), FAST_VALIDATE, "fast.ttl", "fast")
    assert answer.status_code == 422, answer.get_data(as_text=True)
    error = answer.get_json()["error"]
    assert "id/transition/fast-validate" in error and "fast.ttl" in error
    assert len(store) == before
    assert V.USER + "public/import/fast" not in store.named_graphs()


@pytest.mark.parametrize("filename, data, named", [
    ("ontology.ttl", (b"<https://w3id.org/pockg/ontology#Lesson> "
                      b"<http://www.w3.org/2000/01/rdf-schema#label> \"x\" ."), "ontology#Lesson"),
    ("states.trig", (b"<https://w3id.org/pockg/graph/lifecycle> { "
                     b"<https://w3id.org/pockg/id/concept/LC-OBSERVATION> "
                     b"<https://w3id.org/pockg/ontology#isPublishedState> true }"),
     "graph/lifecycle"),
], ids=["pockg-subject", "built-graph"])
def test_finding3_uploads_cannot_write_the_ontology_or_a_built_graph(app, filename, data, named):
    """Finding 3: uploads could write pockg: subjects and name the graphs pockg build makes."""
    answer = upload_rdf(signed_in(app, "cy"), data, filename, "refused")
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert named in answer.get_json()["error"]


def forge(app, name: str, triples: list[ox.Triple]) -> None:
    """Write ``triples`` straight into a public graph that is not built, past the upload gate."""
    graph = ox.NamedNode(V.USER + "public/import/" + name)
    app.extensions["pockg"].writer.replace(
        [graph.value], [ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples])


def test_finding3_a_transition_outside_the_built_graphs_does_not_exist(app):
    """Finding 3: a transition in a public non-built graph let a contributor publish their draft."""
    forge(app, "forged-transition", list(ox.parse(FAST_VALIDATE, ox.RdfFormat.TURTLE)))
    ann = signed_in(app, "ann")
    lesson_id = submit_draft(ann)
    answer = ann.post(f"/lessons/{lesson_id}/transition", data={
        "transition": "fast-validate", "base": "1",
        "csrf_token": csrf_token_of(ann, f"/lessons/{lesson_id}")},
        headers={"Accept": "application/json"})
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert "fast-validate" in answer.get_json()["error"]
    assert states_of(app, lesson_id) == {V.ID + "concept/LC-OBSERVATION"}
    assert app.test_client().get(f"/lessons/{lesson_id}").status_code == 404
    assert "fast-validate" not in ann.get(f"/lessons/{lesson_id}").get_data(as_text=True)


def test_finding3_states_outside_the_built_graphs_do_not_publish(app):
    """Finding 3: a published state declared in a public non-built graph made drafts public."""
    forge(app, "forged-states", [ox.Triple(ox.NamedNode(V.ID + "concept/LC-OBSERVATION"),
                                           ox.NamedNode(V.term("isPublishedState")),
                                           ox.Literal(True))])
    lesson_id = submit_draft(signed_in(app, "ann"))
    assert states_of(app, lesson_id) == {V.ID + "concept/LC-OBSERVATION"}
    assert app.test_client().get(f"/lessons/{lesson_id}").status_code == 404


def test_finding3_no_upload_targets_a_built_graph():
    """Finding 3: nothing kept an upload from writing into the graphs pockg build makes."""
    from pockg.errors import DataError
    from pockg.rdf_gate import check_import

    quads = [ox.Quad(ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b"), ox.Literal("c"))]
    check_import(quads, V.USER + "public/import/fine", source="fine.nt")
    with pytest.raises(DataError, match="graph/lifecycle"):
        check_import(quads, V.graph("lifecycle"), source="rules.nt")

"""The linker's learned layer (issue 13, §2): trained by the build on the curated
decisions, retrained by `pockg link train` with the review decisions stored
since, kept beside the store with its provenance in the graph, used by
`pockg link run`, measured without ever seeing what it is scored on."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pockg import vocab as V
from pockg.build import build
from pockg.cli import main
from pockg.errors import ConfigurationError
from pockg.linking import annotations as A
from pockg.linking import learned, training
from pockg.store import open_store

from linking_docs import STRATEGY
from support import require_report

C = V.ID + "concept/"
# An SG-report-like text that never uses a label of the concepts it is about.
PARAPHRASE = """# Report of the Secretary-General on the situation in Orlu

1. Since March, armed elements have burned four villages near Orlu, and some 9,000 people
have left their homes to shelter in schools elsewhere in the province.

2. The Force set up standing positions around the schools and patrols the roads at night,
so that the families sheltering there are not attacked again.

3. Women and girls who survived rape were given medical and psychosocial care and legal aid
through the mission's partners.
"""


def apply(store, removed=(), added=()):
    for q in removed:
        store._store.remove(q)
    store.extend(added)


@pytest.fixture
def disk_store(settings, tmp_path):
    """The curated graph built into a store on disk, with the model the build trains."""
    store = open_store(tmp_path / "store")
    build(settings, store, check=False)
    yield store
    store.close()


def ingest_text(store, tmp_path, text, doc_id):
    from pockg.ingest import ingest

    path = tmp_path / f"{doc_id}.md"
    path.write_text(text, encoding="utf-8")
    return ingest(store, [path], doc_id=doc_id)[0].version


def test_build_trains_a_model_beside_the_store_with_its_provenance_in_the_graph(disk_store):
    model_file = learned.folder_of(disk_store.location) / learned.MODEL_FILE
    assert model_file.is_file()
    data = json.loads(model_file.read_text(encoding="utf-8"))      # JSON, never a pickle
    assert data["decisions"]["curated"] > 100 and data["decisions"]["training"] > 100
    assert data["decisions"]["review"] == 0
    model = learned.model_of(disk_store)
    rows = disk_store.select(
        "SELECT ?g ?m ?n ?d ?v WHERE { GRAPH ?g { ?m a pockg:LinkerModel ; pockg:trainingDecisions ?n ;"
        " dcterms:created ?d ; pockg:softwareVersion ?v } }",
        {"g": ox.NamedNode(V.graph("linker-model"))}).rows
    assert [r["m"].value for r in rows] == [model.iri]
    assert int(rows[0]["n"].value) == sum(model.decisions.values())
    assert rows[0]["v"].value == A.LINKER_VERSION


def test_link_run_uses_the_latest_model_and_each_suggestion_names_it(disk_store, tmp_path):
    version = ingest_text(disk_store, tmp_path, STRATEGY, "test-strategy")
    graph, count = A.store_links(disk_store, version)
    model = learned.model_of(disk_store)
    links = A.existing_links(disk_store, graph)
    assert count and all(l.model == model.iri for l in links if l.body.startswith(C))
    assert all(l.score == l.learned for l in links if l.body.startswith(C))
    assert disk_store.ask(f"ASK {{ GRAPH <{graph}> {{ <{model.iri}> a pockg:LinkerModel }} }}")


def test_train_learns_from_review_decisions_and_link_run_then_uses_the_new_model(
        disk_store, settings, tmp_path):
    version = ingest_text(disk_store, tmp_path, STRATEGY, "test-strategy")
    graph, _ = A.store_links(disk_store, version)
    first = learned.model_of(disk_store)
    links = [l for l in A.existing_links(disk_store, graph) if l.body.startswith(C)]
    apply(disk_store, *A.set_status(disk_store, links[0].iri, "accepted", "alice"))
    apply(disk_store, *A.set_status(disk_store, links[1].iri, "rejected", "alice"))
    model = training.train(disk_store, settings)
    assert model.decisions["review"] == 2
    learned.save(model, disk_store)
    assert learned.model_of(disk_store).id == model.id != first.id
    A.store_links(disk_store, version)
    suggested = [l for l in A.existing_links(disk_store, graph)
                 if l.body.startswith(C) and l.status == A.SUGGESTED]
    assert suggested and all(l.model == model.iri for l in suggested)


def test_link_train_command_cross_validates_then_keeps_the_model(settings, tmp_path):
    path = tmp_path / "store"
    store = open_store(path)
    build(settings, store, check=False, train_linker=False)
    store.close()
    result = CliRunner().invoke(main, ["link", "train", "--store", str(path), "-q"])
    assert result.exit_code == 0, result.output
    assert "cross-validation over" in result.output and "f1" in result.output
    model = learned.load(learned.folder_of(str(path)))
    assert model.cross_validation["documents"]          # each document left out in turn
    assert str(learned.folder_of(str(path))) in result.output


def test_cross_validation_never_scores_a_document_with_a_model_that_saw_it(store, settings,
                                                                           monkeypatch):
    calls = []
    real_rows = training._rows

    def rows(matcher, space, docs, index, *args, **kwargs):
        calls.append(({d.id for d in docs}, {e.document for e in index.exemplars}))
        return real_rows(matcher, space, docs, index, *args, **kwargs)

    monkeypatch.setattr(training, "_rows", rows)
    result = training.cross_validate(store, settings)
    assert len(result["documents"]) >= 2
    # each fold: the heading model's rows and the passage model's rows, both on the
    # other documents, then the held-out document's rows, scored; the held-out
    # document is in neither the rows the fold learns from nor its exemplars
    assert len(calls) == 3 * len(result["documents"])
    for fold in range(0, len(calls), 3):
        (heads, exemplars), (rest, same), (held, seen) = calls[fold:fold + 3]
        assert len(held) == 1 and not held & rest and not held & exemplars
        assert heads <= rest and same == exemplars == seen


def test_leaving_out_an_evaluated_file_drops_its_curated_links_and_exemplars(store, settings):
    from pockg.linking.annotations import matcher_for

    matcher = matcher_for(store)
    every = training.documents(store, settings, matcher)
    assert "workshop-2010" in {d.id for d in every}
    report_hash = next(d.source for d in every if d.id == "workshop-2010")
    kept = training.documents(store, settings, matcher, skip={report_hash[:12]})
    assert "workshop-2010" not in {d.id for d in kept}
    assert all(e.document != "workshop-2010" for e in training.exemplars_of(kept))


def test_evaluate_reports_the_learned_layer_and_which_model(tmp_path):
    report = require_report()
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"file": str(report), "passage": "8.4.1",
                                "concepts": ["FE3", "R1", "R2", "R3", "T1", "T2", "T3"]}) + "\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["link", "evaluate", "--gold", str(gold), "-q"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [l.split(":")[0] for l in lines if l.startswith("component ")] == [
        "component lexical", "component semantic", "component hybrid", "component learned"]
    model_line = next(l for l in lines if l.startswith("model: "))
    assert "left out of its training: poc-workshop-report-2010.txt" in model_line


def test_evaluate_with_model_uses_that_model(disk_store, tmp_path):
    from linking_docs import STRATEGY as text

    doc = tmp_path / "doc.md"
    doc.write_text(text, encoding="utf-8")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"file": "doc.md", "passage": "1", "concepts": []}) + "\n",
                    encoding="utf-8")
    folder = learned.folder_of(disk_store.location)
    result = CliRunner().invoke(main, ["link", "evaluate", "--gold", str(gold), "--model",
                                       str(folder), "-q"])
    assert result.exit_code == 0, result.output
    model = learned.load(folder)
    assert f"model: {model.label} (from {folder / learned.MODEL_FILE}" in result.output


def test_a_damaged_model_is_a_clear_error_and_link_run_goes_on_without_it(disk_store, tmp_path):
    target = learned.folder_of(disk_store.location) / learned.MODEL_FILE
    target.write_text('{"format": 1, "features": ["bias"]}', encoding="utf-8")
    with pytest.raises(ConfigurationError, match="is not a pockg linker model"):
        learned.load(target)
    result = CliRunner().invoke(main, ["link", "evaluate", "--gold", "nowhere.jsonl",
                                       "--model", str(target)])
    assert result.exit_code != 0
    matcher = A.matcher_for(disk_store)
    assert matcher.model is None and "without the learned layer" in matcher.model_problem


def test_backup_and_restore_carry_the_model(disk_store, tmp_path):
    from pockg.backup import backup_offline, restore

    location = disk_store.location
    model = learned.model_of(disk_store)
    disk_store.close()
    backup_offline(location, str(tmp_path / "users.sqlite"), tmp_path / "backup")
    assert (tmp_path / "backup" / "linker" / learned.MODEL_FILE).is_file()
    (learned.folder_of(location) / learned.MODEL_FILE).unlink()
    restore(tmp_path / "backup", location, str(tmp_path / "users.sqlite"))
    assert learned.load(learned.folder_of(location)).id == model.id


def test_a_training_file_with_an_unknown_concept_names_its_file_and_line(settings, tmp_path):
    from loaders.context import Context
    from loaders.training import TrainingLoader
    from pockg.build import _schema_dir

    folder = tmp_path / "data" / "training"
    folder.mkdir(parents=True)
    (folder / "bad.yaml").write_text(textwrap.dedent("""\
        document: training-bad
        language: en
        passages:
        - n: "1"
          text: Patrols protect the camps.
          concepts: [T2]
        - n: "2"
          text: The mission mediates.
          concepts: [T9]
        """), encoding="utf-8")
    store = open_store(":memory:")
    ctx = Context(root=tmp_path)
    ctx.concepts = {"T2": (None,)}
    loader = TrainingLoader(folder, tmp_path, _schema_dir(settings))
    loader.read(ctx)
    loader.index(ctx)
    loader.emit(ctx)
    assert [(p.file, p.line) for p in ctx.problems] == [("data/training/bad.yaml", 7)]
    assert "unknown concept notation 'T9'" in ctx.problems[0].message
    store.close()


def test_link_train_never_reads_the_unseen_gold_sets(settings, tmp_path):
    """An audit hook fails the run if anything opens a file of tests/gold/."""
    path = tmp_path / "store"
    store = open_store(path)
    build(settings, store, check=False, train_linker=False)
    store.close()
    script = textwrap.dedent(f"""
        import sys
        def guard(event, args):
            if event == "open" and "tests/gold" in str(args[0]):
                raise RuntimeError("read a gold file: " + str(args[0]))
        sys.addaudithook(guard)
        from pockg.cli import main
        sys.exit(main(["link", "train", "--store", {str(path)!r}, "-q"], standalone_mode=True))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "trained learned layer" in done.stdout


def test_a_paraphrased_report_gets_a_tier_a_group_and_an_area_of_responsibility_with_reasons(
        disk_store, tmp_path):
    version = ingest_text(disk_store, tmp_path, PARAPHRASE, "paraphrase")
    graph, _ = A.store_links(disk_store, version)
    found: dict[str, set[str]] = {}
    for link in A.existing_links(disk_store, graph):
        found.setdefault(link.passage.rsplit("/p/", 1)[1], set()).add(link.body.rsplit("/", 1)[1])
        if link.body.startswith(C):                        # each with its reason
            assert link.learned is not None and link.model
            assert link.lexical is not None or link.closest
    assert found["1"] & {"VG-IDP", "VF-DISP"}, found           # people who left their homes
    assert found["2"] & {"T2", "T2-2015"}, found               # standing positions, night patrols
    assert "AOR-GBV" in found["3"], found                      # care for survivors


def test_the_headings_of_a_batch_keep_the_per_concept_parts_whole():
    """A batch with as many passages as concepts: taking its headings must not
    cut the per-concept parts (once the lengths matched by chance)."""
    import numpy as np

    from pockg.linking.context import PassageInput

    n = 3
    passages = [PassageInput(f"p{i}", "text", "heading" if i == 0 else "paragraph")
                for i in range(n)]
    parts = {"hybrid": np.zeros((n, n), np.float32), "strategy": np.zeros(n, np.float32),
             "recommends": np.zeros(n, np.float32), "structural": np.arange(n, dtype=np.float32)}
    found = learned.Features(passages, ["a", "b", "c"], np.zeros((n, n, len(learned.FEATURES))),
                             np.ones((n, n), bool), [[]] * n, np.zeros((n, n), int),
                             np.zeros((n, n)), np.zeros((n, n)), [None] * n, parts)
    heads = found.subset([0])
    assert heads.parts["structural"].tolist() == [0.0, 1.0, 2.0]
    assert heads.parts["strategy"].shape == (1,) and heads.parts["hybrid"].shape == (1, n)
    again = heads.with_sections({"p0": {"b": 0.5}})
    assert again.x[0, 1, learned.FEATURES.index("inherited_x_structural")] == 0.5

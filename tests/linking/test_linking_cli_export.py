"""`pockg link export --format annif`, and `pockg link run --only/--dry-run` (issue 13 §6)."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
from click.testing import CliRunner

from pockg import vocab as V
from pockg.cli import main
from pockg.linking.annif import ACCEPTED, PASSAGE_RE, _safe
from pockg.store import open_store

from linking_docs import STRATEGY


def test_the_annif_corpus_reads_back_as_the_accepted_links(curated_store_path, tmp_path):
    out = tmp_path / "annif"
    result = CliRunner().invoke(main, ["link", "export", "--format", "annif", str(out)],
                                env={"POCKG_STORE": str(curated_store_path)})
    assert result.exit_code == 0, result.output
    store = open_store(curated_store_path, read_only=True)
    try:
        rows = store.select("""SELECT DISTINCT ?passage ?body WHERE { VALUES ?s {}
            ?l pockg:linkStatus ?s ; oa:hasBody ?body ; oa:hasTarget/oa:hasSource ?passage .
            ?body a skos:Concept }""", {"s": ox.NamedNode(ACCEPTED)}).rows
    finally:
        store.close()
    expected = set()
    for r in rows:
        m = PASSAGE_RE.search(r["passage"].value)
        expected.add((f"{m['doc']}-{_safe(m['key'])}", r["body"].value))
    found = set()
    for tsv in (out / "corpus").glob("*.tsv"):
        assert (tsv.with_suffix(".txt")).read_text(encoding="utf-8").strip()
        for line in tsv.read_text(encoding="utf-8").splitlines():
            iri, label = line.split("\t")
            assert iri.startswith("<") and iri.endswith(">") and label
            found.add((tsv.stem, iri[1:-1]))
    assert found == expected and len(found) >= 100          # the report's reviewed links
    vocab = list(ox.parse(path=str(out / "vocab.ttl"), format=ox.RdfFormat.TURTLE))
    concepts = {t.subject for t in vocab if t.predicate.value == V.SKOS + "notation"}
    assert len(concepts) == 52


def test_link_run_only_and_dry_run_store_nothing_and_keep_to_the_schemes(curated_store_path,
                                                                         tmp_path):
    store_dir = tmp_path / "store"
    shutil.copytree(curated_store_path, store_dir)
    doc = tmp_path / "strategy.md"
    doc.write_text(STRATEGY, encoding="utf-8")
    env = {"POCKG_STORE": str(store_dir)}
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(doc), "--id", "s1", "-q"], env=env).exit_code == 0
    bad = runner.invoke(main, ["link", "run", "s1", "--only", "tiers"], env=env)
    assert bad.exit_code == 2 and "tier-2010" in bad.output       # says which schemes exist
    dry = runner.invoke(main, ["link", "run", "s1", "--only", "vulnerable-group", "--dry-run",
                               "-q"], env=env)
    assert dry.exit_code == 0, dry.output
    rows = [line.split() for line in dry.output.splitlines()[2:] if line.strip()]
    assert rows and all(r[1].startswith("VG-") for r in rows)
    prefix = V.USER + "public/links/s1/"
    store = open_store(store_dir, read_only=True)
    try:
        assert not [g for g in store.named_graphs() if g.startswith(prefix)]   # nothing stored
    finally:
        store.close()
    done = runner.invoke(main, ["link", "run", "s1", "--only", "vulnerable-group", "-q"], env=env)
    assert done.exit_code == 0, done.output
    store = open_store(store_dir, read_only=True)
    try:
        bodies = {q.object.value for g in store.named_graphs() if g.startswith(prefix)
                  for q in store.quads(g) if q.predicate.value == V.OA + "hasBody"}
    finally:
        store.close()
    assert bodies and all(b.startswith(V.ID + "concept/VG-") for b in bodies)

"""Curators' working notes (editorial_notes -> skos:editorialNote) live in a restricted graph:
signed-in staff see them on pages; readers, the public SPARQL view, twins and dumps do not
(unless pockg export --include-restricted)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pockg.build import build
from pockg.cli import main, public_view
from pockg.store import open_store
from support import session_client, stop_workers, writable_app

NOTE = "WORKING-NOTE-7391: checked against fact sheet row 12"


@pytest.fixture
def noted_store(data_copy, tmp_path):
    """The curated data with a working note on an operation that had none (its id in
    the store folder's sibling file ``operation``), built into a store on disk."""
    path = next(p for p in sorted((data_copy.data_dir / "operations").glob("*.yaml"))
                if "editorial_notes" not in p.read_text(encoding="utf-8"))
    (tmp_path / "operation").write_text(path.stem, encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").rstrip("\n")
                    + f"\neditorial_notes: \"{NOTE}\"\n", encoding="utf-8")
    store = open_store(tmp_path / "store")
    build(data_copy, store, train_linker=False)
    store.close()
    return tmp_path / "store"


def test_a_working_note_lands_in_the_restricted_graph_only(noted_store):
    store = open_store(noted_store, read_only=True)
    try:
        rows = store.select("""SELECT ?g WHERE { GRAPH ?g { ?s skos:editorialNote ?n }
                                FILTER(CONTAINS(STR(?n), "WORKING-NOTE-7391")) }""").rows
        assert [r["g"].value for r in rows] == ["https://w3id.org/pockg/graph/internal/editorial-notes"]
        public = public_view(store)
        assert not public.ask('ASK { ?s skos:editorialNote ?n }')
        assert not public.ask(f'ASK {{ ?s ?p "{NOTE}" }}')
    finally:
        store.close()


def test_export_leaves_working_notes_out_unless_asked(noted_store):
    runner = CliRunner()
    plain = runner.invoke(main, ["export", "-f", "nquads", "--store", str(noted_store)])
    assert plain.exit_code == 0 and "WORKING-NOTE-7391" not in plain.output
    assert "operation/" in plain.output
    full = runner.invoke(main, ["export", "-f", "nquads", "--include-restricted",
                                "--store", str(noted_store)])
    assert full.exit_code == 0 and "WORKING-NOTE-7391" in full.output


def test_staff_see_working_notes_on_the_page_readers_do_not(noted_store, tmp_path):
    page = "/id/operation/" + (tmp_path / "operation").read_text(encoding="utf-8")
    (tmp_path / "app").mkdir()
    app = writable_app(noted_store, tmp_path / "app")
    try:
        reader = app.test_client()
        assert reader.get(page).status_code == 200
        assert "WORKING-NOTE-7391" not in reader.get(page).get_data(as_text=True)
        assert "WORKING-NOTE-7391" not in reader.get(page + ".ttl").get_data(as_text=True)
        staff, _ = session_client(app, "cy")             # a curator (staff see the whole store)
        assert "WORKING-NOTE-7391" in staff.get(page).get_data(as_text=True)
    finally:
        stop_workers(app)

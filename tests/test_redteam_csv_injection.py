"""Issue 12, finding 11: CSV formula injection. The lesson export, comparison
CSVs and library-query CSVs (web and CLI) wrote cells starting ``=``, ``+``,
``-`` or ``@`` as they were, so a spreadsheet ran them as formulas. Every CSV
pockg writes now goes through ``pockg.csv_safe``, which puts a ``'`` before
such a cell (OWASP), and the lesson import takes it off again."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pockg import vocab as V
from pockg.cli import main
from pockg.config import REPO_ROOT
from pockg.store import open_store
from support import session_client, stop_workers, writable_app

FORMULA, DAYS, MAIL = "=SUM(A1)", "-5 years", "@home"
STRATEGY = V.ID + "strategy/TEST-CSV-FORMULAS"
TEST_GRAPH = ox.NamedNode(V.graph("test-csv-injection"))


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def cells_of(text: str) -> set[str]:
    return {cell for row in rows_of(text) for cell in row}


def assert_guarded(text: str) -> None:
    """The three values are there, each behind a quote, and nothing starts a formula."""
    cells = cells_of(text)
    assert {"'" + FORMULA, "'" + DAYS, "'" + MAIL} <= cells, sorted(cells)[:40]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")
                or re.match(r"-(?!\d+(\.\d+)?$)", c)], sorted(cells)[:40]


@pytest.fixture(scope="module")
def formula_store(curated_store_path, tmp_path_factory) -> Path:
    """The curated graph plus a MONUC strategy whose label, timeframe and revision
    cycle look like spreadsheet formulas."""
    path = tmp_path_factory.mktemp("csv-injection") / "store"
    shutil.copytree(curated_store_path, path)
    store = open_store(path)

    def q(p, o):
        return ox.Quad(ox.NamedNode(STRATEGY), ox.NamedNode(p), o, TEST_GRAPH)

    store.extend([q(V.RDF + "type", ox.NamedNode(V.POCKG + "ProtectionStrategy")),
                  q(V.POCKG + "mission", ox.NamedNode(V.ID + "operation/MONUC")),
                  q(V.SKOS + "prefLabel", ox.Literal(FORMULA, language="en")),
                  q(V.POCKG + "timeframe", ox.Literal(DAYS, language="en")),
                  q(V.POCKG + "revisionCycle", ox.Literal(MAIL, language="en"))])
    store.close()
    return path


@pytest.fixture(scope="module")
def app(formula_store, tmp_path_factory):
    app = writable_app(formula_store, tmp_path_factory.mktemp("csv-injection-web"),
                       users=(("cur", "curator"),), LOGIN_LIMIT=5)
    yield app
    stop_workers(app)


@pytest.fixture(scope="module")
def curator(app):
    """A client signed in as a curator, and its CSRF token."""
    return session_client(app, "cur")


# -- the web app ----------------------------------------------------------------------
def test_finding11_compare_csv_download_guards_formulas(app):
    """/compare?format=csv wrote a strategy labelled =SUM(A1) as a live formula."""
    response = app.test_client().get("/compare", query_string={
        "comparison": "drafting-lead", "missions": "MONUC", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert_guarded(text)
    assert rows_of(text)[0][:2] == ["strategy", "lead"]          # headers as they were


def test_finding11_library_query_csv_download_guards_formulas(app):
    """/queries/<name>?format=csv wrote the same values unguarded."""
    response = app.test_client().get("/queries/drafting-lead",
                                     query_string={"missions": "MONUC", "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert_guarded(response.get_data(as_text=True))


def submit(client, csrf: str, title: str) -> str:
    answer = client.post("/lessons/new", data={
        "prefLabel": title, "observation": DAYS, "mission": ["operation/MONUC"],
        "tier": ["concept/T1"], "publicity": "concept/PUB-PUBLIC", "csrf_token": csrf})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:1000]
    return answer.headers["Location"].rsplit("/", 1)[-1]


TITLES = [FORMULA, DAYS, MAIL, "+1 month", "'=quoted by its author", "plain title"]
EXPORTED = {FORMULA: "'=SUM(A1)", DAYS: "'-5 years", MAIL: "'@home", "+1 month": "'+1 month",
            "'=quoted by its author": "''=quoted by its author", "plain title": "plain title"}


def test_finding11_lessons_export_csv_guards_formulas_and_import_takes_the_guard_off(app, curator):
    """/lessons/export.csv wrote =SUM(A1) as a formula; its import must read back the title."""
    client, csrf = curator
    ids = {submit(client, csrf, title): title for title in TITLES}
    response = client.get("/lessons/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    exported = {row["id"]: row for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    for lesson_id, title in ids.items():
        assert exported[lesson_id]["prefLabel"] == EXPORTED[title]
        assert exported[lesson_id]["observation"] == "'-5 years"
    # import back the columns the import takes (the export adds id, state, creator …)
    page = client.get("/lessons/import").get_data(as_text=True)
    assert 'name="file"' in page
    fields = app.extensions["pockg"].curation.fields
    columns = [f.key for f in fields if not f.record]
    out = io.StringIO()
    table = csv.writer(out)
    table.writerow(columns)
    for lesson_id in ids:
        table.writerow([exported[lesson_id][c] for c in columns])
    answer = client.post("/lessons/import", headers={"Accept": "application/json"}, data={
        "file": (io.BytesIO(out.getvalue().encode()), "lessons.csv"), "csrf_token": csrf})
    report = answer.get_json()
    assert answer.status_code == 200 and report["imported"] == len(ids), report
    service = app.extensions["pockg"].curation
    user = app.extensions["pockg"].accounts.get("cur")
    imported = [service.get(row["id"], user) for row in report["rows"]]
    assert [r.title for r in imported] == TITLES
    assert {r.values("observation")[0].value for r in imported} == {DAYS}


# -- the command line ------------------------------------------------------------------
def test_finding11_cli_compare_csv_guards_formulas(formula_store):
    """`pockg compare -f csv` wrote the formula-like values unguarded."""
    result = CliRunner().invoke(main, ["compare", "--store", str(formula_store), "--missions",
                                       "MONUC", "--on", "drafting-lead", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert_guarded(result.output)


def test_finding11_cli_query_run_csv_guards_formulas(formula_store):
    """`pockg query run -f csv` wrote the formula-like values unguarded."""
    result = CliRunner().invoke(main, ["query", "run", "drafting-lead", "--store",
                                       str(formula_store), "--param", "missions=MONUC", "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert_guarded(result.output)


def test_finding11_cli_query_sparql_csv_guards_formulas_but_not_numbers(formula_store, tmp_path):
    """`pockg query sparql -f csv` (the same table writer) wrote formulas; numbers stay numbers."""
    adhoc = tmp_path / "q.rq"
    adhoc.write_text('SELECT ?a ?b ?c ?n ?m WHERE { BIND("=SUM(A1)" AS ?a) BIND("-5 years" AS ?b) '
                     'BIND("@home" AS ?c) BIND(-5 AS ?n) BIND(2.5 AS ?m) }')
    result = CliRunner().invoke(main, ["query", "sparql", str(adhoc), "--store",
                                       str(formula_store), "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert rows_of(result.output) == [["a", "b", "c", "n", "m"],
                                      ["'=SUM(A1)", "'-5 years", "'@home", "-5", "2.5"]]


# -- the one shared function, and nothing around it ----------------------------------
def test_finding11_csv_safe_cell_is_reversible():
    """The rule: a quote before a formula trigger on export, one such quote off on import."""
    from pockg.csv_safe import restore_cell, safe_cell

    cases = {"=1+1": "'=1+1", "+1": "+1", "-5": "-5", "-2.5e3": "-2.5e3", "-5 years": "'-5 years",
             "@home": "'@home", "\tcmd": "'\tcmd", "\rcmd": "'\rcmd", "-": "'-",
             "'=x": "''=x", "''@x": "'''@x", "'plain": "'plain", "'5": "'5", "": "",
             "a=b": "a=b", "=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")"}
    for value, cell in cases.items():
        assert safe_cell(value) == cell, value
        assert restore_cell(cell) == value, cell
    assert safe_cell(None) is None and safe_cell(-5) == -5


CSV_WRITERS = re.compile(r"\bcsv\s*\.\s*(writer|DictWriter)\b|from\s+csv\s+import\s+[^\n]*"
                         r"\b(writer|DictWriter)\b")


def test_finding11_every_csv_writer_goes_through_csv_safe():
    """A new csv.writer/DictWriter outside pockg/csv_safe.py would write formulas again."""
    offenders = []
    for folder in ("pockg", "web", "loaders", "scripts", "benchmarks"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            rel = path.relative_to(REPO_ROOT).as_posix()
            if rel == "pockg/csv_safe.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if CSV_WRITERS.search(line):
                    offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "write CSV with pockg.csv_safe.writer/DictWriter:\n" + "\n".join(offenders)

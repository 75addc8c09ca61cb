"""The query library: every file is valid, documented and runs; parameters
are validated and bound as terms; cells carry evidence; matrices mark gaps."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from rdflib.plugins.sparql import prepareQuery

from pockg.cli import main
from pockg.compare import to_matrix
from pockg.errors import NotFound, QueryError
from pockg.library import QueryLibrary, Resolver, load_query

EXPECTED = {"drafting-lead", "tier-coverage", "risk-coverage", "framework-gaps",
            "coordination-by-level", "actors-and-roles", "vulnerable-groups",
            "mandate-timeline", "poc-mandates-on-date", "reporting-requirements",
            "recommendations", "contested-questions", "lessons"}


@pytest.fixture(scope="module")
def lib(settings):
    return QueryLibrary(settings.queries_dir)


def test_the_library_has_every_comparison_the_issue_names(lib):
    assert EXPECTED <= set(lib.names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_query_parses_has_a_summary_and_runs_with_its_defaults(lib, store, name):
    query = lib.get(name)
    assert query.summary and query.view in {"table", "matrix", "timeline"}
    prepareQuery(query.text)  # a second, independent SPARQL 1.1 parser
    text, _ = lib.render(name, {}, store)
    prepareQuery(text)
    table = lib.run(name, {}, store)
    assert table.columns
    if name != "lessons":  # empty until lessons are curated
        assert table.rows, f"{name} returned nothing on the curated graph"


def test_qc_and_inference_files_are_not_library_queries(lib):
    assert not any(n.endswith("-violation") for n in lib.names())


def test_unknown_mission_is_a_clear_error(lib, store):
    with pytest.raises(QueryError, match="unknown mission 'MONUX'"):
        lib.run("drafting-lead", {"missions": "MONUC,MONUX"}, store)


def test_malformed_date_is_a_clear_error(lib, store):
    with pytest.raises(QueryError, match="is not a date"):
        lib.run("poc-mandates-on-date", {"date": "2010-13-01"}, store)


def test_unknown_parameter_and_unknown_query_are_clear_errors(lib, store):
    with pytest.raises(QueryError, match="unknown parameter"):
        lib.run("drafting-lead", {"mission": "MONUC"}, store)
    with pytest.raises(NotFound, match="no library query named"):
        lib.get("../qc/claim-without-source-violation")


def test_onuci_and_unoci_are_the_same_mission_monuc_and_monusco_two(lib, store):
    a = lib.run("drafting-lead", {"missions": "ONUCI"}, store).rows
    b = lib.run("drafting-lead", {"missions": "UNOCI"}, store).rows
    assert a == b and a
    monuc = {r["strategy"] for r in lib.run("drafting-lead", {"missions": "MONUC"}, store).rows}
    monusco = {r["strategy"] for r in lib.run("drafting-lead", {"missions": "MONUSCO"}, store).rows}
    assert monuc.isdisjoint(monusco)


def test_a_hostile_value_is_never_spliced_into_the_query(lib, store):
    with pytest.raises(QueryError, match="unknown mission"):
        lib.run("drafting-lead", {"missions": 'MONUC } } SELECT * WHERE { ?s ?p ?o'}, store)
    with pytest.raises(QueryError, match="not a date"):
        lib.run("poc-mandates-on-date", {"date": '2010-06-01"^^<x> } #'}, store)


def test_a_file_without_summary_or_values_block_is_refused(tmp_path):
    bad = tmp_path / "no-summary.rq"
    bad.write_text("SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryError, match="no summary"):
        load_query(bad)
    bad = tmp_path / "no-values.rq"
    bad.write_text("#+ summary: x\n#+ params:\n#+   m: {type: missions, default: [MONUC]}\n"
                   "SELECT * WHERE { ?s ?p ?o }\n")
    with pytest.raises(QueryError, match=r"an empty 'VALUES \?m \{\}' block"):
        load_query(bad)


def test_every_values_block_of_a_parameter_is_filled(tmp_path, store):
    (tmp_path / "two-blocks.rq").write_text(
        "#+ summary: x\n#+ params:\n#+   missions: {type: missions, var: mission, default: [MONUC]}\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "SELECT ?mission ?label WHERE {\n"
        "  VALUES ?mission {}\n"
        "  { SELECT ?mission ?label WHERE { VALUES ?mission {} ?mission skos:prefLabel ?label } }\n"
        "}\n", encoding="utf-8")
    lib = QueryLibrary(tmp_path)
    text, used = lib.render("two-blocks", {}, store)
    monuc = Resolver(store).missions()["MONUC"]
    blocks = re.findall(r"VALUES\s+\?mission\s*\{([^}]*)\}", text)
    assert used == {"missions": ["MONUC"]} and len(blocks) == 2
    assert not re.search(r"VALUES\s+\?\w+\s*\{\s*\}", text), text
    assert all(f"<{monuc}>" in block for block in blocks), text
    assert lib.run("two-blocks", {}, store).rows  # and the filled query runs


def test_every_cell_of_drafting_lead_carries_its_paragraph(lib, store):
    table = lib.run("drafting-lead", {"missions": "MONUC,UNAMID,UNMIS"}, store)
    for row, evidence in zip(table.rows, table.evidence):
        if "lead" in row:
            paragraphs = {e["paragraph"] for e in evidence["lead"]}
            assert "8.2.1" in paragraphs, row


def test_matrix_marks_gaps_and_differences(lib, store):
    matrix = to_matrix(lib.run("drafting-lead", {"missions": "MONUC,UNAMID,UNMIS,MINUSTAH"}, store))
    data = matrix.to_json()
    assert data["differs"]["lead"] is True
    minustah = [r for r in data["rows"] if "MINUSTAH" in r["label"]][0]
    assert minustah["cells"]["scope"]["gap"] is True
    assert minustah["cells"]["scope"]["values"] == []


def test_compare_on_a_store_without_the_mission_is_a_clear_error():
    result = CliRunner().invoke(main, ["compare", "--store", ":memory:", "--missions", "MONUC",
                                       "--on", "drafting-lead", "-f", "csv"])
    assert result.exit_code != 0 and "unknown mission" in result.output


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("lib") / "store"
    result = CliRunner().invoke(main, ["build", "--store", str(path), "-q"])
    assert result.exit_code == 0, result.output
    return str(path)


def test_compare_outputs_csv_markdown_json_and_docx(disk_store, tmp_path):
    args = ["compare", "--store", disk_store, "--missions", "MONUC,UNAMID,UNMIS", "--on", "drafting-lead"]
    csv_out = CliRunner().invoke(main, args + ["-f", "csv"])
    assert csv_out.exit_code == 0, csv_out.output
    lines = csv_out.output.strip().splitlines()
    assert lines[0].startswith("strategy,lead,lead document,lead paragraph,lead quote")
    # one row per strategy: MONUC-2009, UNAMID-2009, UNAMID-2013, UNAMID-REFINED, UNMIS-2009
    assert len(lines) == 1 + 5 and "8.2.1" in csv_out.output
    md = CliRunner().invoke(main, args + ["-f", "md"])
    assert "[^1]:" in md.output and "(differs)" in md.output
    js = json.loads(CliRunner().invoke(main, args + ["-f", "json"]).output)
    assert js["rows"][0]["cells"]["lead"]["evidence"]
    docx_path = tmp_path / "brief.docx"
    result = CliRunner().invoke(main, args + ["-f", "docx", "-o", str(docx_path)])
    assert result.exit_code == 0, result.output
    import docx

    doc = docx.Document(str(docx_path))
    assert any("8.2.1" in p.text for p in doc.paragraphs)
    assert len(doc.tables[0].rows) == 1 + 5


def test_query_commands_list_run_and_sparql(disk_store, tmp_path):
    listed = json.loads(CliRunner().invoke(main, ["query", "list", "--format", "json"]).output)
    assert {q["name"] for q in listed} >= EXPECTED
    assert all(set(q) == {"name", "summary", "description", "tags", "view", "parameters"} for q in listed)
    run = CliRunner().invoke(main, ["query", "run", "poc-mandates-on-date", "--store", disk_store,
                                    "--param", "date=2010-06-01", "-f", "json"])
    assert run.exit_code == 0, run.output
    body = json.loads(run.output)
    assert set(body) >= {"columns", "rows", "evidence"}
    assert len(body["rows"]) == 8
    adhoc = tmp_path / "q.rq"
    adhoc.write_text("SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a pockg:Recommendation }")
    out = CliRunner().invoke(main, ["query", "sparql", str(adhoc), "--store", disk_store, "-f", "csv"])
    assert out.output.splitlines() == ["n", "44"]


def test_bad_parameter_on_the_command_line_exits_with_a_message(disk_store):
    result = CliRunner().invoke(main, ["query", "run", "poc-mandates-on-date", "--store", disk_store,
                                       "--param", "date=yesterday"])
    assert result.exit_code == 1
    assert "query error: date: 'yesterday' is not a date" in result.output


def test_python_api_gives_rows_and_matrices(disk_store, settings):
    from pockg import api

    s = settings.with_overrides(store=disk_store)
    table = api.run_query("drafting-lead", settings=s, missions=["MONUC"])
    assert table.rows and table.rows[0]["lead"].endswith("/actor/MONUC-CA")
    matrix = api.compare(["MONUC", "UNAMID"], on="drafting-lead", settings=s)
    assert matrix.differs("lead")

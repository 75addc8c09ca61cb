"""The `pockg` command: build, stats, export, validate, and clear failures."""

from __future__ import annotations

import json
import shutil

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

from pockg.cli import main

from support import FIXTURES


@pytest.fixture(scope="module")
def built_store(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "store"
    result = CliRunner().invoke(main, ["build", "--store", str(path), "--quiet"])
    assert result.exit_code == 0, result.output
    return path, result


def test_build_reports_counts_per_graph_and_class(built_store):
    _, result = built_store
    assert "Quads per named graph:" in result.output
    assert "source/workshop-2010" in result.output
    assert "pockg:Recommendation" in result.output


def test_build_prints_progress_unless_quiet(tmp_path):
    result = CliRunner().invoke(main, ["build", "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "assembled" in result.output and "wrote" in result.output


def test_store_comes_from_the_environment(tmp_path):
    target = tmp_path / "env-store"
    result = CliRunner().invoke(main, ["build", "-q"], env={"POCKG_STORE": str(target)})
    assert result.exit_code == 0, result.output
    assert target.is_dir()


def test_stats_as_json(built_store):
    path, _ = built_store
    result = CliRunner().invoke(main, ["stats", "--store", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    assert stats["version"] == "0.1.0"
    assert stats["classes"]["pockg:Recommendation"] == 44
    assert stats["quads"] == sum(stats["graphs"].values())


@pytest.mark.parametrize("fmt", ["trig", "nquads", "jsonld"])
def test_export_keeps_named_graphs_and_reparses_to_the_same_quads(built_store, tmp_path, fmt):
    path, _ = built_store
    out = tmp_path / f"dump.{fmt}"
    result = CliRunner().invoke(main, ["export", "--store", str(path), "-f", fmt, "-o", str(out),
                                       "--include-restricted"])
    assert result.exit_code == 0, result.output
    original = ox.Store.read_only(str(path))
    parsed = ox.Store()
    parsed.load(path=str(out), format={"trig": ox.RdfFormat.TRIG, "nquads": ox.RdfFormat.N_QUADS,
                                       "jsonld": ox.RdfFormat.JSON_LD}[fmt])
    assert len(parsed) == len(original)
    assert {str(g) for g in parsed.named_graphs()} == {str(g) for g in original.named_graphs()}


def test_export_without_include_restricted_leaves_out_only_the_restricted_graphs(built_store,
                                                                                  tmp_path):
    from pockg.curation.graphs import visible

    path, _ = built_store
    out = tmp_path / "dump.nq"
    result = CliRunner().invoke(main, ["export", "--store", str(path), "-f", "nquads",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    original = ox.Store.read_only(str(path))
    parsed = ox.Store()
    parsed.load(path=str(out), format=ox.RdfFormat.N_QUADS)
    hidden = {str(g) for g in original.named_graphs() if not visible(g.value, None)}
    assert hidden                  # the curators' editorial notes at least
    assert {str(g) for g in parsed.named_graphs()} == \
        {str(g) for g in original.named_graphs()} - hidden


def test_export_to_a_folder_writes_a_versioned_dump(built_store, tmp_path):
    path, _ = built_store
    result = CliRunner().invoke(main, ["export", "--store", str(path), "-f", "nquads",
                                       "-o", str(tmp_path) + "/dumps/"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dumps" / "pockg-0.1.0.nq").stat().st_size > 1000


def test_export_of_a_store_that_does_not_exist_says_build_first(tmp_path):
    result = CliRunner().invoke(main, ["stats", "--store", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "run `pockg build` first" in result.output


def test_build_with_bad_data_exits_3_naming_the_file(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(FIXTURES.parent.parent / "data", data)
    shutil.copy(FIXTURES / "bad-input" / "operations" / "reference-to-missing-entity.yaml",
                data / "operations" / "ZZ.yaml")
    result = CliRunner().invoke(main, ["build", "--store", str(tmp_path / "s"), "--data", str(data), "-q"])
    assert result.exit_code == 3
    assert "data/operations/ZZ.yaml:4: BADOP: established_by" in result.output


def test_validate_without_reasoning_finds_no_errors():
    result = CliRunner().invoke(main, ["validate", "--no-reasoning", "-q", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True


@pytest.mark.parametrize("command", ["build", "validate", "export", "stats"])
def test_every_command_has_help_that_teaches(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "--store" in result.output and len(result.output) > 300


def test_validate_with_hermit_finds_the_curated_graph_consistent():
    result = CliRunner().invoke(main, ["validate", "-q", "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True and "reasoning" in report["seconds"]

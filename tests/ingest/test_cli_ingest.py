"""`pockg ingest`: progress on stderr, text or JSON results, exit code 3 on bad input."""

from __future__ import annotations

import json

from click.testing import CliRunner
from support import FIXTURES

from pockg.cli import main
from pockg.store import open_store


def run(*args):
    return CliRunner().invoke(main, ["ingest", *map(str, args)])


def test_ingest_prints_what_it_stored_and_progress(tmp_path):
    store = tmp_path / "store"
    result = run(FIXTURES / "ingest" / "resolution-operative.txt", "--store", store)
    assert result.exit_code == 0, result.output
    assert "new document resolution-operative" in result.output and "9 passages" in result.output
    assert "read " in result.output and "wrote " in result.output  # progress (stderr, mixed in)
    again = run(FIXTURES / "ingest" / "resolution-operative.txt", "--store", store, "-q")
    assert again.exit_code == 0 and "unchanged (already stored)" in again.output
    assert "wrote" not in again.output


def test_json_output_and_id(tmp_path):
    result = run(FIXTURES / "ingest" / "no-numbers.md", "--id", "notes-1", "--store", tmp_path / "s",
                 "--format", "json", "-q")
    assert result.exit_code == 0, result.output
    [item] = json.loads(result.output)
    assert item["doc_id"] == "notes-1" and item["status"] == "new" and item["passages"] == 4
    assert item["version"].startswith("https://w3id.org/pockg/id/document/notes-1/v/")


def test_bad_file_exits_3_names_the_file_and_stores_nothing(tmp_path):
    store = tmp_path / "store"
    result = run(FIXTURES / "ingest" / "no-numbers.md", FIXTURES / "ingest" / "encrypted.pdf",
                 "--store", store)
    assert result.exit_code == 3
    assert "ingest error:" in result.output and "encrypted.pdf" in result.output
    assert "encrypted" in result.output
    opened = open_store(store)
    assert len(opened) == 0
    opened.close()


def test_size_limit_option(tmp_path):
    result = run(FIXTURES / "ingest" / "resolution-operative.txt", "--max-bytes", "100",
                 "--store", tmp_path / "s")
    assert result.exit_code == 3 and "over the limit of 100 bytes" in result.output


def test_help_teaches_with_examples():
    result = CliRunner().invoke(main, ["ingest", "--help"])
    assert result.exit_code == 0
    for words in ("Examples:", "--id", "--max-bytes", "--format", "exit code is 3", "#N", "fn3"):
        assert words in result.output

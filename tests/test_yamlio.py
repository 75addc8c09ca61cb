"""Curated YAML is read safely, and every problem says file and line."""

from __future__ import annotations

import pytest

from pockg.errors import DataError
from pockg.yamlio import MAX_BYTES, read_yaml


def problem_of(tmp_path, text, name="f.yaml"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(DataError) as info:
        read_yaml(path, name)
    [problem] = info.value.problems
    return problem


def test_keys_remember_their_lines(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("id: A\nitems:\n  - id: B\n    label: x\n")
    data = read_yaml(path)
    assert data.line_of("items") == 2
    assert data["items"][0].line_of("label") == 4


@pytest.mark.parametrize("text,line,words", [
    ("a: [1\n", 2, "malformed YAML"),
    ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
    ("a: &x 1\nb: *x\n", 2, "aliases are not allowed"),
    ("a: !!python/object/apply:os.system [echo]\n", 1, "python/object"),
    ("a: 2010-02-30\n", 1, "'2010-02-30' is not a date"),
])
def test_bad_yaml_names_the_line_and_problem(tmp_path, text, line, words):
    problem = problem_of(tmp_path, text)
    assert (problem.file, problem.line) == ("f.yaml", line)
    assert words in problem.message


def test_empty_file_is_an_error(tmp_path):
    assert "empty" in problem_of(tmp_path, "").message


def test_non_utf8_file_is_an_error(tmp_path):
    assert "not UTF-8" in problem_of(tmp_path, b"a: \xff\xfe\n").message


def test_oversized_file_is_refused_before_parsing(tmp_path):
    assert "limit" in problem_of(tmp_path, "a: " + "x" * (MAX_BYTES + 1)).message

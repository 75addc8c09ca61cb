"""Reading curated YAML safely, keeping line numbers for error messages.

Only plain YAML is accepted: no Python tags, no anchors or aliases (so no
alias bombs), no file over ``MAX_BYTES``. Mappings come back as ``Located``
dicts that remember the line of each key, so that any problem found later can
be reported as ``FILE:LINE``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml
from yaml.nodes import MappingNode

from pockg.errors import DataError, Problem

MAX_BYTES = 1_000_000


class Located(dict):
    """A mapping that remembers where it and each of its keys start."""

    line: int = 0
    key_lines: dict

    def line_of(self, key) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    line: int = 0
    item_lines: list


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses aliases and duplicate keys."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(
                "while reading", None,
                "anchors and aliases are not allowed in pockg data", event.start_mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, MappingNode):  # pragma: no cover - yaml guards
            raise yaml.constructor.ConstructorError(
                None, None, "expected a mapping", node.start_mark)
        result = Located()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in result:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):
        result = LocatedList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result


    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date ({exc})", node.start_mark) from exc


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)


def read_yaml(path: Path, display: str | None = None):
    """Parse one YAML file; raise DataError naming the file and line."""
    name = display or str(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DataError([Problem(f"cannot read: {exc.strerror}", file=name)]) from exc
    if size > MAX_BYTES:
        raise DataError([Problem(f"file is {size} bytes, over the {MAX_BYTES} byte limit", file=name)])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=name)]) from exc
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        if exc.context and exc.context_mark and exc.problem:
            problem += f" ({exc.context} that starts at line {exc.context_mark.line + 1})"
        raise DataError([Problem(f"malformed YAML: {problem}", file=name, line=line)]) from exc
    except yaml.YAMLError as exc:
        raise DataError([Problem(f"malformed YAML: {exc}", file=name)]) from exc
    if data is None:
        raise DataError([Problem("the file is empty", file=name)])
    return data


def to_plain(value):
    """A JSON-like copy (dates as ISO strings) for schema validation."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def line_at(data, path) -> int | None:
    """The line of the deepest located node along a key/index path."""
    line = getattr(data, "line", None)
    node = data
    for step in path:
        if isinstance(node, Located) and step in node:
            line = node.line_of(step)
            node = node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line


"""What every data/ loader does: read, check against its schema, index, emit.

``Loader.read`` turns the files of one folder into ``Record``s (schema
errors become located problems); ``index`` registers identifiers; ``emit``
turns records into quads. ``EntityLoader`` maps fields generically through
``loaders.fields``; a kind with nested parts overrides ``emit_extra``.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pyoxigraph as ox
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from referencing import Registry, Resource

from loaders.context import REGISTRY, RDF_TYPE, Context, Record, nn, note_text
from loaders.fields import FIELDS, KIND_CLASS, LABEL, NOTES, SHORTHAND, Field
from pockg import vocab as V
from pockg.errors import DataError
from pockg.yamlio import Located, line_at, read_yaml, to_plain

# Curators' working notes (skos:editorialNote): the "internal" tier, which only
# signed-in staff see (pockg.curation.graphs); pockg export and push leave it out
# unless --include-restricted.
EDITORIAL_GRAPH = V.graph("internal/editorial-notes")


@lru_cache(maxsize=4)
def _validators(schema_dir: str) -> dict[str, Draft202012Validator]:
    resources, schemas = [], {}
    for path in sorted(Path(schema_dir).glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resources.append((schema["$id"], Resource.from_contents(schema)))
        schemas[path.name.removesuffix(".schema.json")] = schema
    registry = Registry().with_resources(resources)
    return {name: Draft202012Validator(s, registry=registry) for name, s in schemas.items()}


class Loader:
    """Base of the data/ loaders; subclasses set the class attributes."""

    name = ""          # registry name (the folder name)
    kind = ""          # singular kind used in IRIs
    group = False      # files hold ``items:`` lists
    base = "data"      # data | ontology

    def __init__(self, folder: Path, root: Path, schema_dir: Path):
        self.folder = folder
        self.root = root
        self.schema_dir = schema_dir
        self.records: list[Record] = []

    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.yaml") if p.is_file())

    def display(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def read(self, ctx: Context) -> None:
        validator = _validators(str(self.schema_dir)).get(self.name)
        for path in self.files():
            name = self.display(path)
            try:
                data = read_yaml(path, name)
            except DataError as exc:
                ctx.problems.extend(exc.problems)
                continue
            if validator is not None:
                errors = sorted(validator.iter_errors(to_plain(data)),
                                key=lambda e: list(map(str, e.absolute_path)))
                if errors:
                    for err in errors:
                        path = list(err.absolute_path) + _unexpected_key(err)
                        where = "/".join(map(str, path)) or "(top level)"
                        ctx.problem(f"{where}: {_schema_message(err)}", file=name,
                                    line=line_at(data, path), entity=_entity_at(data, path))
                    continue
            if not isinstance(data, Located):
                ctx.problem("expected a mapping at the top level", file=name, line=1)
                continue
            items = data.get("items", []) if self.group else [data]
            file_cite = data.get("cite") if self.group else None
            for item in items:
                record = Record(self.kind, str(item.get("id")), item, name, file_cite)
                self.records.append(record)

    def index(self, ctx: Context) -> None:
        for record in self.records:
            ctx.register(record)

    def emit(self, ctx: Context) -> None:
        """Turn the records into quads; each kind of loader says how."""
        raise TypeError(f"{type(self).__name__} must define emit()")


def _unexpected_key(err) -> list:
    """For an unknown-field error, the path step of the first unknown key."""
    if err.validator != "additionalProperties" or not isinstance(err.instance, dict):
        return []
    known = set(err.schema.get("properties", {}))
    extra = [k for k in err.instance if k not in known]
    return extra[:1]


def _schema_message(err) -> str:
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown field")
    if err.validator in ("oneOf", "anyOf") and err.context:
        return best_match(err.context).message
    return err.message


def _entity_at(data, path) -> str | None:
    node = data
    found = data.get("id") if isinstance(data, dict) else None
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and "id" in node:
            found = node["id"]
    return str(found) if found is not None else None


class EntityLoader(Loader):
    """Emits an entity's fields through the ``loaders.fields`` tables."""

    def default_label(self, record: Record):
        return None

    def default_cite(self, record: Record):
        return record.data.get("cite", record.file_cite)

    def emit(self, ctx: Context) -> None:
        for record in self.records:
            self.emit_entity(ctx, record, self.kind, record.data, FIELDS[self.kind], record.iri)
            self.emit_extra(ctx, record)

    def emit_extra(self, ctx: Context, record: Record) -> None:
        """Nested parts of a record (action plans, positions...)."""

    def emit_entity(self, ctx: Context, record: Record, kind: str, data: dict,
                    fields: dict[str, Field], iri: ox.NamedNode,
                    cls: str | None = None, default_cite=None) -> None:
        """Type, identity and every field of one (possibly nested) entity."""
        ctx.locate(iri, record, data, str(data.get("id")))
        ctx.add(iri, RDF_TYPE, nn(cls or KIND_CLASS[kind]), REGISTRY)
        ctx.add(iri, V.DCT + "identifier", ox.Literal(str(data.get("id"))), REGISTRY)
        label = data.get("label") or (self.default_label(record) if data is record.data else None)
        if label:
            for term in ctx.literal_or_ref(LABEL, label, record, "label"):
                ctx.add(iri, LABEL.predicate, term, REGISTRY)
        if data.get("notes"):
            for term in ctx.literal_or_ref(NOTES, data["notes"], record, "notes"):
                ctx.add(iri, NOTES.predicate, term, REGISTRY)
        if data.get("editorial_notes"):      # for curators: a restricted graph, never readers
            for term in ctx.literal_or_ref(NOTES, data["editorial_notes"], record,
                                           "editorial_notes"):
                ctx.add(iri, V.SKOS + "editorialNote", term, EDITORIAL_GRAPH)
        cite = data.get("cite") if default_cite is None else default_cite
        if cite is None:
            cite = self.default_cite(record)
        for key, value in data.items():
            spec = fields.get(key)
            if spec is None or spec.value == "skip":
                continue
            self.emit_field(ctx, record, kind, iri, key, spec, value, cite)

    def emit_field(self, ctx, record, kind, iri, key, spec: Field, value, cite) -> None:
        values = value if isinstance(value, list) else [value]
        for item in values:
            own_cite, note, status = None, None, None
            if isinstance(item, dict) and "value" in item:
                own_cite, note, status = item.get("cite"), item.get("note"), item.get("status")
                item = item["value"]
            if isinstance(item, str):
                item = SHORTHAND.get((kind, key), {}).get(item, item)
            terms = ctx.literal_or_ref(spec, item, record, key)
            if not spec.claim:
                for term in terms:
                    ctx.add(iri, spec.predicate, term, REGISTRY)
                continue
            source = own_cite if own_cite is not None else cite
            if source is None:
                ctx.problem(f"{key}: claim without a source (add cite: to the value, "
                            "the entity or the file)", record, key)
                continue
            citations = ctx.citations(source, record, key, status=status, note=note_text(note))
            for term in terms:
                ctx.claim(iri, spec.predicate, term, citations, inverse=spec.inverse)

"""The lesson's fields, read from ``shapes:LessonShape`` in ontology/shapes/.

The forms, the field-level checks, the CSV/XLSX import and the data/lessons
files all come from this one list, so a field added to the shape appears
everywhere. A field's key is the local name of its path (``observation``,
``mission``, ``prefLabel``).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from pockg import vocab as V
from pockg.errors import ConfigurationError

SHAPE = "https://w3id.org/pockg/shapes#LessonShape"
RECORD_GROUP = "https://w3id.org/pockg/shapes#RecordGroup"
LESSON = V.term("Lesson")
LANG_STRING = V.RDF + "langString"
DATETIME = V.XSD + "dateTime"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    path: str
    names: dict = field(default_factory=dict)       # lang -> label
    description: str = ""
    group: str = ""
    group_label: dict = field(default_factory=dict)
    order: float = 0
    kind: str = "iri"                                 # text | iri | datetime
    cls: str | None = None                            # sh:class for IRIs
    allowed: tuple = ()                               # sh:in
    min: int = 0
    max: int | None = None
    max_length: int | None = None
    message: str = ""

    @property
    def record(self) -> bool:
        """Set by the lifecycle, never typed into a form."""
        return self.group == RECORD_GROUP

    @property
    def required(self) -> bool:
        return self.min > 0

    @property
    def multiple(self) -> bool:
        return self.max is None or self.max > 1

    def name(self, lang: str = "en") -> str:
        return self.names.get(lang) or self.names.get("en") or self.key


_QUERY = """
SELECT ?path ?p ?o WHERE {
  <%s> sh:property ?prop . ?prop sh:path ?path . ?prop ?p ?o .
  FILTER NOT EXISTS { ?prop sh:severity sh:Warning }
}""" % SHAPE


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> tuple[FieldSpec, ...]:
    store = ox.Store()
    try:
        with open(path, "rb") as f:
            store.load(f, ox.RdfFormat.TURTLE)
    except (OSError, SyntaxError) as exc:
        raise ConfigurationError(f"{path}: cannot read the shapes: {exc}") from exc
    props: dict[str, dict] = {}
    for row in store.query(_QUERY, prefixes=V.PREFIXES):
        entry = props.setdefault(row["path"].value, {"names": {}, "in": []})
        p, o = row["p"].value, row["o"]
        local = p.removeprefix(V.SH)
        if local == "name" and isinstance(o, ox.Literal):
            entry["names"][o.language or "en"] = o.value
        elif local == "in":
            entry["in"] = [t.value for t in _rdf_list(store, o)]
        else:
            entry[local] = o
    groups = {}
    for row in store.query("SELECT ?g ?l WHERE { ?g a sh:PropertyGroup ; rdfs:label ?l }",
                           prefixes=V.PREFIXES):
        groups.setdefault(row["g"].value, {})[row["l"].language or "en"] = row["l"].value
    specs = []
    for path, e in props.items():
        datatype = e.get("datatype")
        kind = ("text" if datatype is not None and datatype.value == LANG_STRING else
                "datetime" if datatype is not None and datatype.value == DATETIME else "iri")
        group = e["group"].value if "group" in e else ""
        specs.append(FieldSpec(
            key=_local(path), path=path, names=e["names"],
            description=e["description"].value if "description" in e else "",
            group=group, group_label=groups.get(group, {}),
            order=float(e["order"].value) if "order" in e else 99,
            kind=kind, cls=e["class"].value if "class" in e else None,
            allowed=tuple(e["in"]), min=int(e["minCount"].value) if "minCount" in e else 0,
            max=int(e["maxCount"].value) if "maxCount" in e else None,
            max_length=int(e["maxLength"].value) if "maxLength" in e else None,
            message=e["message"].value if "message" in e else ""))
    if not specs:
        raise ConfigurationError(f"{path}: no shapes:LessonShape properties found")
    return tuple(sorted(specs, key=lambda s: s.order))


def _rdf_list(store: ox.Store, head) -> list:
    out = []
    nil = V.RDF + "nil"
    while head is not None and getattr(head, "value", None) != nil:
        first = next(iter(store.quads_for_pattern(head, ox.NamedNode(V.RDF + "first"), None)), None)
        rest = next(iter(store.quads_for_pattern(head, ox.NamedNode(V.RDF + "rest"), None)), None)
        if first is None:
            break
        out.append(first.object)
        head = rest.object if rest else None
    return out


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def lesson_fields(shapes_dir: Path) -> tuple[FieldSpec, ...]:
    """The lesson's fields, in form order, from ``shapes_dir/pockg-shapes.ttl``."""
    path = Path(shapes_dir) / "pockg-shapes.ttl"
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise ConfigurationError(f"{path}: the shapes file is missing") from exc
    return _load(str(path), mtime)


def by_key(fields) -> dict[str, FieldSpec]:
    return {f.key: f for f in fields}


def by_path(fields) -> dict[str, FieldSpec]:
    return {f.path: f for f in fields}


# -- values: RDF terms <-> the short forms used in files and forms ------------
compact, expand = V.compact, V.expand


def now() -> ox.Literal:
    stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()
    return ox.Literal(stamp.replace("+00:00", "Z"), datatype=ox.NamedNode(DATETIME))

"""The store facade: every part of pockg reads and writes through it.

``EmbeddedStore`` is Oxigraph (pyoxigraph) on disk, or in memory for tests.
Queries see the union of the named graphs as their default graph, and take
parameters as bound RDF terms (``bindings``), never as spliced text: a
variable with an empty ``VALUES ?var {}`` block in the query is bound there
(``pockg.sparql_values``: Oxigraph plans from it, on every engine); any other
is bound by Oxigraph's SEP-0007 substitution, and must be one the query
projects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from pockg.config import MEMORY
from pockg.errors import QueryError, StoreError
from pockg.sparql_values import fill_values, has_placeholder
from pockg.vocab import PREFIXES

Term = ox.NamedNode | ox.BlankNode | ox.Literal

FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nquads": ox.RdfFormat.N_QUADS,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
QUAD_FORMATS = {"trig", "nquads", "jsonld"}


@dataclass
class SelectResult:
    """Rows of a SELECT: ``columns`` in order, each row a name → term dict."""

    columns: list[str]
    rows: list[dict[str, Term]]

    def values(self, column: str) -> list[str]:
        """The plain values of one column (IRIs and lexical forms)."""
        return [row[column].value for row in self.rows if column in row]


EMPTY_VALUES = re.compile(r"VALUES\s+\?(\w+)\s*\{\s*\}")


def bind(query: str, bindings: Mapping[str, Term] | None) -> tuple[str, dict]:
    """Fill the ``VALUES ?var {}`` placeholders of bound variables; the bindings left."""
    if not bindings:
        return query, {}
    placed = {k: [v] for k, v in bindings.items() if has_placeholder(query, k)}
    query = fill_values(query, placed)
    missing = EMPTY_VALUES.findall(query)
    if missing:                  # an empty block would silently match nothing
        raise QueryError(f"no value given for the parameter(s) {', '.join(sorted(set(missing)))}")
    return query, {k: v for k, v in bindings.items() if k not in placed}


class EmbeddedStore:
    """Oxigraph through pyoxigraph: on disk at ``location`` or in memory."""

    def __init__(self, location: str | Path = MEMORY, read_only: bool = False):
        self.location = str(location)
        self.read_only = read_only
        try:
            if self.location == MEMORY:
                self._store = ox.Store()
            elif read_only:
                if not Path(self.location).is_dir():
                    raise StoreError(f"there is no store at {self.location} "
                                     "(run `pockg build` first, or pass --store)")
                self._store = ox.Store.read_only(self.location)
            else:
                Path(self.location).mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(self.location)
        except OSError as exc:
            text = str(exc)
            if "lock" in text.lower():
                raise StoreError(
                    f"the store at {self.location} is in use by another process "
                    "(stop `pockg serve` or the other command first)") from exc
            raise StoreError(f"cannot open the store at {self.location}: {text}") from exc

    # -- reading ---------------------------------------------------------
    def _dataset(self) -> dict:
        """Query keywords for the dataset: every graph, as one union default graph."""
        return {"use_default_graph_as_union": True}

    def _query(self, query: str, bindings: Mapping[str, Term] | None):
        query, bindings = bind(query, bindings)
        subs = {ox.Variable(k): v for k, v in (bindings or {}).items()}
        try:
            return self._store.query(
                query, prefixes=PREFIXES, substitutions=subs or None, **self._dataset())
        except SyntaxError as exc:
            raise QueryError(f"malformed SPARQL: {exc}") from exc
        except RuntimeError as exc:  # e.g. a bound variable the query does not project
            raise QueryError(f"cannot bind parameters: {exc}") from exc
        except OSError as exc:
            raise StoreError(f"query failed: {exc}") from exc

    def select(self, query: str, bindings: Mapping[str, Term] | None = None) -> SelectResult:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QuerySolutions):
            raise QueryError("expected a SELECT query")
        columns = [v.value for v in result.variables]
        rows = []
        for solution in result:
            row = {}
            for name in columns:
                value = solution[name]
                if value is not None:
                    row[name] = value
            rows.append(row)
        return SelectResult(columns, rows)

    def ask(self, query: str, bindings: Mapping[str, Term] | None = None) -> bool:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryBoolean):
            raise QueryError("expected an ASK query")
        return bool(result)

    def construct(self, query: str, bindings: Mapping[str, Term] | None = None) -> list[ox.Triple]:
        result = self._query(query, bindings)
        if not isinstance(result, ox.QueryTriples):
            raise QueryError("expected a CONSTRUCT or DESCRIBE query")
        return list(result)

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        g = ox.NamedNode(graph) if graph else None
        return self._store.quads_for_pattern(None, None, None, g)

    def match(self, subject=None, predicate=None, obj=None, graph=None) -> Iterable[ox.Quad]:
        """Quads matching a pattern (None matches anything)."""
        return self._store.quads_for_pattern(subject, predicate, obj, graph)

    def __len__(self) -> int:
        return len(self._store)

    def view(self, visible: Callable[[str], bool]) -> "StoreView":
        """The same store, seeing only the named graphs for which ``visible`` is true."""
        return StoreView(self, visible)

    # -- writing ---------------------------------------------------------
    def apply(self, remove: Iterable[ox.Quad], add: Iterable[ox.Quad],
              drop: Iterable[str] = ()) -> None:
        """Delete ``remove``, drop the (emptied) graphs ``drop`` and insert ``add``
        (quads in named graphs, no blank nodes) in one transaction: all of it
        happens or none of it."""
        parts = []
        removed = _graph_blocks(remove)
        if removed:
            parts.append(f"DELETE DATA {{\n{removed}\n}}")
        parts += [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in drop]
        added = _graph_blocks(add)
        if added:
            parts.append(f"INSERT DATA {{\n{added}\n}}")
        if not parts:
            return
        try:
            self._store.update(";\n".join(parts))
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"writing to the store failed; nothing was changed: {exc}") from exc

    def bulk_extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add many quads fast, without a transaction: only while nothing else reads
        or writes this store (a replica being filled before it is served)."""
        try:
            self._store.bulk_extend(quads)
        except OSError as exc:
            raise StoreError(f"writing to the store failed: {exc}") from exc

    def backup(self, target: str | Path) -> None:
        """A consistent copy of the on-disk store into the new folder ``target``."""
        if self.location == MEMORY:
            raise StoreError("an in-memory store cannot be backed up")
        try:
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"backup to {target} failed: {exc}") from exc

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        """Add quads in one transaction."""
        try:
            self._store.extend(quads)
        except OSError as exc:
            raise StoreError(f"writing to the store failed; nothing was changed: {exc}") from exc

    def replace_graphs(self, owned: Iterable[str], quads: Iterable[ox.Quad]) -> None:
        """Drop the graphs in ``owned`` and add ``quads``, in one transaction.

        Either all of it happens or none of it: a failure leaves the store
        as it was.
        """
        drops = [f"DROP SILENT GRAPH {ox.NamedNode(g)}" for g in sorted(set(owned))]
        inserts = _graph_blocks(quads)
        update = ";\n".join([*drops, f"INSERT DATA {{\n{inserts}\n}}"])
        try:
            self._store.update(update)
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"writing to the store failed; nothing was changed: {exc}") from exc
        self.flush()

    def flush(self) -> None:
        """Write what is committed out to disk and sync it (a commit alone is in
        Oxigraph's write-ahead log, which a kill -9 keeps but a power cut may not)."""
        if self.location != MEMORY and not self.read_only:
            try:
                self._store.flush()
            except OSError as exc:
                raise StoreError(f"the change is written but could not be flushed to disk: "
                                 f"{exc}") from exc

    # -- dumping ---------------------------------------------------------
    def dump(self, out: IO[bytes], fmt: str) -> None:
        """Serialise the whole store; named graphs are kept where ``fmt`` allows."""
        if fmt not in FORMATS:
            raise QueryError(f"unknown format {fmt!r} (choose from {', '.join(sorted(FORMATS))})")
        if fmt in QUAD_FORMATS:
            self._store.dump(out, FORMATS[fmt], prefixes=PREFIXES if fmt != "nquads" else None)
        else:
            quads = self._store.quads_for_pattern(None, None, None, None)
            triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
            ox.serialize(sorted(triples, key=str), out, FORMATS[fmt],
                         prefixes=PREFIXES if fmt in {"turtle", "rdfxml"} else None)

    def close(self) -> None:
        """Flush and release the store (closing twice is harmless)."""
        if not hasattr(self, "_store"):
            return
        self.flush()
        del self._store


def _graph_blocks(quads: Iterable[ox.Quad]) -> str:
    by_graph: dict[str, list[str]] = {}
    for q in quads:
        by_graph.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    return "\n".join(f"GRAPH {g} {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items())


class StoreView(EmbeddedStore):
    """A store seen through a filter on its named graphs (for example a role).

    Queries run with the visible graphs as their default graph and as the
    only graphs ``GRAPH ?g`` can reach; quads and graph listings are
    filtered the same way. A view cannot write.
    """

    def __init__(self, base: EmbeddedStore, visible: Callable[[str], bool]):
        self.base = base
        self.location = base.location
        self.read_only = True
        self._store = base._store
        self._visible = visible

    def _graphs(self) -> list[ox.NamedNode]:
        return [g for g in self._store.named_graphs()
                if isinstance(g, ox.NamedNode) and self._visible(g.value)]

    def _dataset(self) -> dict:
        graphs = self._graphs()
        return {"default_graph": graphs or [ox.NamedNode("urn:pockg:no-graph")],
                "named_graphs": graphs}

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self._graphs())

    def match(self, subject=None, predicate=None, obj=None, graph=None) -> Iterable[ox.Quad]:
        return (q for q in self._store.quads_for_pattern(subject, predicate, obj, graph)
                if isinstance(q.graph_name, ox.NamedNode) and self._visible(q.graph_name.value))

    def quads(self, graph: str | None = None) -> Iterable[ox.Quad]:
        if graph is not None:
            return super().quads(graph) if self._visible(graph) else iter(())
        return (q for q in self._store.quads_for_pattern(None, None, None, None)
                if isinstance(q.graph_name, ox.NamedNode) and self._visible(q.graph_name.value))

    def __len__(self) -> int:
        return sum(1 for _ in self.quads())

    def _refuse(self, *args, **kwargs):
        raise StoreError("a store view is read-only")

    apply = extend = bulk_extend = replace_graphs = backup = _refuse

    def dump(self, out: IO[bytes], fmt: str) -> None:
        if fmt not in FORMATS:
            raise QueryError(f"unknown format {fmt!r} (choose from {', '.join(sorted(FORMATS))})")
        if fmt in QUAD_FORMATS:
            ox.serialize(self.quads(), out, FORMATS[fmt], prefixes=PREFIXES if fmt != "nquads" else None)
        else:
            triples = {ox.Triple(q.subject, q.predicate, q.object) for q in self.quads()}
            ox.serialize(sorted(triples, key=str), out, FORMATS[fmt],
                         prefixes=PREFIXES if fmt in {"turtle", "rdfxml"} else None)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def open_store(location: str | Path, read_only: bool = False) -> EmbeddedStore:
    """Open the embedded store at ``location`` (``:memory:`` for a throwaway one)."""
    return EmbeddedStore(location, read_only=read_only)

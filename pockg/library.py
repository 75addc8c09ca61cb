"""The comparison library: ``queries/*.rq`` files with a ``#+`` header.

A ``LibraryQuery`` knows its metadata and parameters; ``QueryLibrary.run``
validates parameter values, turns them into RDF terms, binds them through the
query's empty ``VALUES ?var {}`` block, runs the query on any store (embedded
or remote) and attaches the evidence of each cell. See ``queries/README.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import yaml

from pockg import vocab as V
from pockg.coverage import ROLES
from pockg.errors import NotFound, QueryError
from pockg.sparql_values import fill_values, values_block

PARAM_TYPES = {"mission", "missions", "concept", "concepts", "date", "integer",
               "string", "iri", "enum"}
VIEWS = {"table", "matrix", "timeline"}


@dataclass
class Param:
    name: str
    type: str
    var: str
    default: object
    allowed: list | None = None
    description: str = ""

    @property
    def plural(self) -> bool:
        return self.type in {"missions", "concepts"}

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "default": self.default,
                "allowed": self.allowed, "description": self.description}


@dataclass
class LibraryQuery:
    name: str
    path: Path
    text: str
    meta: dict
    params: list[Param]

    @property
    def summary(self) -> str:
        return str(self.meta.get("summary", ""))

    @property
    def view(self) -> str:
        return str(self.meta.get("view", "table"))

    @property
    def evidence(self) -> dict:
        return self.meta.get("evidence") or {}

    def as_dict(self) -> dict:
        return {"name": self.name, "summary": self.summary,
                "description": str(self.meta.get("description", "")).strip(),
                "tags": list(self.meta.get("tags") or []), "view": self.view,
                "parameters": [p.as_dict() for p in self.params] + ([AS_OF] if self.meta.get("as_of")
                                                                     else [])}


AS_OF = {"name": "as_of", "type": "date", "default": None, "allowed": None,
         "description": "a day (YYYY-MM-DD): only the strategy versions in force then"}


def parse_header(text: str, path: Path) -> dict:
    """The YAML in the leading ``#+`` comment lines of a query file."""
    lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not line.startswith("#"):
            break
    try:
        meta = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise QueryError(f"{path.name}{where}: malformed #+ header: {exc}") from exc
    if not isinstance(meta, dict):
        raise QueryError(f"{path.name}: the #+ header must be a mapping")
    return meta


def load_query(path: Path) -> LibraryQuery:
    """Read and check one library query file (header, parameters, VALUES blocks)."""
    text = path.read_text(encoding="utf-8")
    meta = parse_header(text, path)
    if not meta.get("summary"):
        raise QueryError(f"{path.name}: the header has no summary")
    if meta.get("view", "table") not in VIEWS:
        raise QueryError(f"{path.name}: view must be one of {', '.join(sorted(VIEWS))}")
    params = []
    for name, spec in (meta.get("params") or {}).items():
        spec = spec or {}
        ptype = spec.get("type", "string")
        if ptype not in PARAM_TYPES:
            raise QueryError(f"{path.name}: parameter {name}: unknown type {ptype!r}")
        if "default" not in spec:
            raise QueryError(f"{path.name}: parameter {name} has no default")
        var = spec.get("var", name)
        if not values_block(var).findall(text):
            raise QueryError(f"{path.name}: parameter {name} needs an empty "
                             f"'VALUES ?{var} {{}}' block in the query (one per group "
                             "pattern that should see it)")
        params.append(Param(name, ptype, var, spec["default"], spec.get("allowed"),
                            str(spec.get("description", ""))))
    return LibraryQuery(path.stem, path, text, meta, params)


@dataclass
class Table:
    """A query result: plain values per row, the RDF terms, and per-cell evidence."""

    name: str
    columns: list[str]
    rows: list[dict[str, str]]
    terms: list[dict] = field(default_factory=list)
    evidence: list[dict[str, list[dict]]] = field(default_factory=list)
    query: LibraryQuery | None = None
    params: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"name": self.name, "params": self.params, "columns": self.columns,
                "rows": self.rows,
                "evidence": [{column: [public_evidence(e) for e in items]
                              for column, items in cells.items()} for cells in self.evidence]}

    def to_dataframe(self):
        """A pandas DataFrame of the plain values (pandas must be installed)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - optional dependency
            raise QueryError("to_dataframe needs pandas (pip install pandas)") from exc
        return pd.DataFrame(self.rows, columns=self.columns)


class Resolver:
    """Turns user values into RDF terms, checking them against the graph."""

    def __init__(self, store):
        self.store = store
        self._missions: dict[str, str] | None = None
        self._concepts: dict[str, str] | None = None

    def missions(self) -> dict[str, str]:
        if self._missions is None:
            rows = self.store.select(f"""
                PREFIX pockg: <{V.POCKG}> PREFIX skos: <{V.SKOS}>
                SELECT DISTINCT ?op ?name WHERE {{
                  ?op a pockg:PeaceOperation .
                  {{ ?op pockg:acronym ?name }} UNION {{ ?op skos:altLabel ?name }}
                }}""").rows
            self._missions = {r["name"].value.upper(): r["op"].value for r in rows}
        return self._missions

    def concepts(self) -> dict[str, str]:
        if self._concepts is None:
            rows = self.store.select(f"""
                PREFIX skos: <{V.SKOS}>
                SELECT DISTINCT ?c ?n WHERE {{ ?c a skos:Concept ; skos:notation ?n }}""").rows
            self._concepts = {r["n"].value: r["c"].value for r in rows}
        return self._concepts

    def term(self, param: Param, value: str):
        value = str(value).strip()
        t = param.type.rstrip("s") if param.type in {"missions", "concepts"} else param.type
        if t == "mission":
            iri = self.missions().get(value.upper())
            if iri is None:
                raise QueryError(f"{param.name}: unknown mission {value!r} (known: "
                                 f"{', '.join(sorted(self._acronyms()))})")
            return ox.NamedNode(iri)
        if t == "concept":
            iri = self.concepts().get(value)
            if iri is None:
                raise QueryError(f"{param.name}: unknown concept notation {value!r}")
            return ox.NamedNode(iri)
        if t == "date":
            try:
                day = dt.date.fromisoformat(value)
            except ValueError:
                raise QueryError(f"{param.name}: {value!r} is not a date (YYYY-MM-DD)") from None
            return ox.Literal(day.isoformat(), datatype=ox.NamedNode(V.XSD + "date"))
        if t == "integer":
            if not re.fullmatch(r"-?\d+", value):
                raise QueryError(f"{param.name}: {value!r} is not a whole number")
            return ox.Literal(int(value))
        if t == "iri":
            if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
                raise QueryError(f"{param.name}: {value!r} is not an absolute IRI")
            try:
                return ox.NamedNode(value)
            except ValueError as exc:
                raise QueryError(f"{param.name}: {value!r} is not a valid IRI ({exc})") from None
        if t == "enum":
            if param.allowed and value not in [str(a) for a in param.allowed]:
                raise QueryError(f"{param.name}: {value!r} is not one of "
                                 f"{', '.join(map(str, param.allowed))}")
            return ox.Literal(value)
        return ox.Literal(value)

    def _acronyms(self) -> list[str]:
        return [k for k in self.missions() if re.fullmatch(r"[A-Z][A-Z0-9-]*", k)]


def _split(value) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


class QueryLibrary:
    """All ``*.rq`` files directly in ``queries_dir`` (not ``qc/``, ``inference/``)."""

    def __init__(self, queries_dir: Path):
        self.dir = Path(queries_dir)
        self._cache: dict[str, LibraryQuery] = {}
        self._resolvers: dict[int, Resolver] = {}

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.dir.glob("*.rq"))

    def get(self, name: str) -> LibraryQuery:
        if name not in self._cache:
            path = self.dir / f"{name}.rq"
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name) or not path.is_file():
                raise NotFound(f"no library query named {name!r} (see `pockg query list`; "
                               f"known: {', '.join(self.names())})")
            self._cache[name] = load_query(path)
        return self._cache[name]

    def all(self) -> list[LibraryQuery]:
        return [self.get(n) for n in self.names()]

    def _resolver(self, store) -> Resolver:
        """A resolver per store; kept between runs only for a read-only store,
        whose missions and concepts cannot change under it."""
        if not getattr(store, "read_only", False):
            return Resolver(store)
        cached = self._resolvers.get(id(store))
        if cached is None or cached.store is not store:
            cached = self._resolvers[id(store)] = Resolver(store)
        return cached

    def render(self, name: str, params: dict | None, store) -> tuple[str, dict]:
        """The query text with every parameter bound, and the values used."""
        query = self.get(name)
        params = dict(params or {})
        if query.meta.get("as_of"):
            params.pop("as_of", None)        # applied to the result (pockg.versions)
        unknown = set(params) - {p.name for p in query.params}
        if unknown:
            raise QueryError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))} "
                             f"(it takes: {', '.join(p.name for p in query.params) or 'none'})")
        resolver = self._resolver(store)
        text, used = query.text, {}
        for param in query.params:
            raw = params.get(param.name, param.default)
            values = _split(raw) if param.plural else [raw]
            if not param.plural and isinstance(raw, (list, tuple)):
                raise QueryError(f"{param.name}: takes one value")
            if not values:
                raise QueryError(f"{param.name}: give at least one value")
            terms = [resolver.term(param, v) for v in values]
            used[param.name] = values if param.plural else values[0]
            text = fill_values(text, {param.var: terms})
        return text, used

    def run(self, name: str, params: dict | None, store) -> Table:
        """Run a library query with its evidence. A comparison whose header names
        ``as_of`` also takes ``as_of`` (YYYY-MM-DD): only the strategy versions in
        force that day are kept (``pockg.versions``)."""
        query = self.get(name)
        as_of = (params or {}).get("as_of") or None
        if as_of and not query.meta.get("as_of"):
            raise QueryError(f"{name}: takes no as_of (it does not compare strategy versions)")
        text, used = self.render(name, params, store)
        result = store.select(text)
        rows = [drop_empty(r) for r in result.rows]
        table = Table(name, result.columns, [plain(r) for r in rows], rows,
                      query=query, params=used)
        table.evidence = attach_evidence(store, query.evidence, rows)
        if as_of:
            from pockg.versions import check_day, keep_in_force

            spec = query.meta["as_of"]
            column = spec["column"]
            keep_in_force(table, column, [column, column + "Label", *spec.get("values", [])],
                          (query.meta.get("matrix") or {}).get("row") == column,
                          check_day(as_of), store)
        return table


def plain(row: dict) -> dict[str, str]:
    return {k: v.value for k, v in row.items()}


def drop_empty(row: dict) -> dict:
    """An empty plain literal (an aggregate over nothing, on some engines) is a gap."""
    return {k: v for k, v in row.items()
            if not (isinstance(v, ox.Literal) and v.value == "" and not v.language)}


EVIDENCE_PROLOGUE = """
PREFIX pockg: <https://w3id.org/pockg/ontology#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX oa: <http://www.w3.org/ns/oa#>
"""
# Step 1: the claims supporting each cell. Claims about literals are matched
# on lexical form and language, because some engines (Virtuoso 7) drop the
# language tag of a literal inside VALUES.
CLAIMS_QUERY = EVIDENCE_PROLOGUE + """
SELECT DISTINCT ?s ?p ?o ?claim ?from ?status WHERE {
  VALUES (?s ?p ?o) { %s }
  ?claim rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?from ;
         pockg:verificationStatus ?st .
  ?st skos:notation ?status .
}"""
CLAIMS_QUERY_LITERALS = EVIDENCE_PROLOGUE + """
SELECT DISTINCT ?s ?p ?o ?claim ?from ?status WHERE {
  VALUES (?s ?p ?lex ?lang) { %s }
  ?claim rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ; prov:wasDerivedFrom ?from ;
         pockg:verificationStatus ?st .
  ?st skos:notation ?status .
  FILTER(isLiteral(?o) && STR(?o) = ?lex && LANG(?o) = ?lang)
}"""
# Step 2: what each claim's source and evidence say. Asked separately, with
# the claims bound, so no engine evaluates these OPTIONALs over the whole store.
# One triple pattern per OPTIONAL: Oxigraph joins a two-pattern OPTIONAL by
# reading every match of it (350 ms at 10M statements, 0.6 ms this way). A
# paragraph number and its document count only together (``_paragraph``).
DETAILS_QUERY = EVIDENCE_PROLOGUE + """
SELECT DISTINCT ?claim ?from ?doc ?n ?quote ?title ?url ?note ?role ?reviewer WHERE {
  VALUES (?claim ?from) { %s }
  OPTIONAL { ?from pockg:number ?n }
  OPTIONAL { ?from dcterms:isPartOf ?doc }
  OPTIONAL { ?claim pockg:hasEvidence ?ev . ?ev oa:hasSelector ?sel . ?sel oa:exact ?quote . }
  OPTIONAL { ?from dcterms:title ?title . FILTER(lang(?title) = "" || langMatches(lang(?title), "en")) }
  OPTIONAL { ?from rdfs:seeAlso ?url }
  OPTIONAL { ?claim skos:note ?note . FILTER(lang(?note) = "" || langMatches(lang(?note), "en")) }
  OPTIONAL { ?claim pockg:documentRole ?role }
  OPTIONAL { ?claim prov:wasAttributedTo ?reviewer }
}"""


def evidence_rows(store, triples: list[tuple], batch: int = 300) -> list[dict]:
    """Rows of claim evidence for (s, p, o) triples of RDF terms, on any engine:
    keys s, p, o, from, status, and where known doc, n, quote, title, url, note."""
    resources = [t for t in triples if not isinstance(t[2], ox.Literal)]
    literals = [t for t in triples if isinstance(t[2], ox.Literal)]
    claims = []
    for start in range(0, len(resources), batch):
        values = " ".join(f"({s} {p} {o})" for s, p, o in resources[start:start + batch])
        claims += store.select(CLAIMS_QUERY % values).rows
    for start in range(0, len(literals), batch):
        values = " ".join(f"({s} {p} {ox.Literal(o.value)} {ox.Literal(o.language or '')})"
                          for s, p, o in literals[start:start + batch])
        claims += store.select(CLAIMS_QUERY_LITERALS % values).rows
    pairs = list(dict.fromkeys((str(r["claim"]), str(r["from"])) for r in claims))
    details: dict[tuple, list[dict]] = {}
    for start in range(0, len(pairs), batch):
        values = " ".join(f"({c} {f})" for c, f in pairs[start:start + batch])
        for d in store.select(DETAILS_QUERY % values).rows:
            details.setdefault((str(d["claim"]), str(d["from"])), []).append(_paragraph(d))
    labels = status_labels(store) if claims else {}
    out = []
    for r in claims:
        label = labels.get(r["status"].value)
        extra = {"statusLabel": ox.Literal(label)} if label else {}
        for d in details.get((str(r["claim"]), str(r["from"])), [{}]):
            out.append({**{k: v for k, v in d.items() if k not in ("claim", "from")}, **r, **extra})
    return out


STATUS_LABELS_QUERY = """
SELECT ?n ?label WHERE {
  ?c skos:inScheme <%sscheme/verification-status> ; skos:notation ?n ; skos:prefLabel ?label .
  FILTER(lang(?label) = "en")
}""" % V.ID


def status_labels(store) -> dict[str, str]:
    """Verification status notation (VS-P) -> its English label (partly verified)."""
    return {r["n"].value: r["label"].value for r in store.select(STATUS_LABELS_QUERY).rows}


DOUBTFUL = {"VS-P", "VS-C"}     # partly verified; conflict or caveat


def public_evidence(e: dict) -> dict:
    """An evidence item as JSON shows it: ``status`` with its code and label."""
    out = {k: v for k, v in e.items() if k != "status_label"}
    if e.get("status"):
        out["status"] = {"code": e["status"], "label": e.get("status_label") or e["status"],
                         "doubtful": e["status"] in DOUBTFUL}
    return out


def _paragraph(row: dict) -> dict:
    """A source's paragraph number and document, only when it has both (a passage)."""
    if "n" in row and "doc" in row:
        return row
    return {k: v for k, v in row.items() if k not in ("n", "doc")}


def _expand(predicate: str) -> str:
    prefix, _, local = predicate.partition(":")
    if prefix in V.PREFIXES and not predicate.startswith("http"):
        return V.PREFIXES[prefix] + local
    return predicate


def attach_evidence(store, spec: dict, rows: list[dict], batch: int = 400) -> list[dict]:
    """Per row, per evidence column: the claims supporting that cell."""
    cells = []  # (row index, column, s, p, o)
    for i, row in enumerate(rows):
        for column, how in spec.items():
            s = row.get(how["subject"])
            o = row.get(how.get("object", column))
            if s is None or o is None or isinstance(s, ox.Literal):
                continue
            cells.append((i, column, s, ox.NamedNode(_expand(how["predicate"])), o))
    evidence: list[dict] = [{} for _ in rows]
    index: dict[tuple, list] = {}
    for cell in cells:
        index.setdefault((str(cell[2]), str(cell[3]), str(cell[4])), []).append(cell)
    triples = [cells[0][2:] for cells in index.values()]
    for r in evidence_rows(store, triples, batch):
        item = evidence_item(r)
        for i, column, *_ in index.get((str(r["s"]), str(r["p"]), str(r["o"])), []):
            bucket = evidence[i].setdefault(column, [])
            if item not in bucket:
                bucket.append(item)
    for row_evidence in evidence:
        for items in row_evidence.values():
            items.sort(key=lambda e: (e["kind"] != "passage", e.get("paragraph") or "",
                                      e.get("source") or "", e.get("quote") or ""))
    return evidence


VERSION_RE = re.compile(r"/v/[0-9a-f]{12}$")
ROLE_NAMES = {concept: name for name, (_, concept) in ROLES.items()}   # DR-text -> text


def evidence_item(r: dict) -> dict:
    get = lambda k: r[k].value if k in r else None  # noqa: E731
    if "n" in r:
        item = {"kind": "passage", "document": VERSION_RE.sub("", get("doc")),
                "paragraph": get("n"), "quote": get("quote"), "source": get("from"),
                "title": None, "url": None, "status": get("status"),
                "status_label": get("statusLabel"), "note": get("note")}
        if "role" in r:    # read from a document's accepted link (pockg.coverage)
            item["role"] = ROLE_NAMES.get(get("role").rsplit("/", 1)[-1], get("role"))
            item["reviewer"] = get("reviewer")
        return item
    return {"kind": "source", "document": None, "paragraph": None, "quote": get("quote"),
            "source": get("from"), "title": get("title"), "url": get("url"),
            "status": get("status"), "status_label": get("statusLabel"), "note": get("note")}

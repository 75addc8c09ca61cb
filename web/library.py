"""The query library pages: every ``queries/*.rq`` as a card, and one page per
query with a form built from its parameters, the results with their
evidence, CSV/JSON downloads, a permalink and the SPARQL text.

The helpers here (operations, parameter fields, result tables, evidence
names) are shared with the comparison and picture pages.
"""

from __future__ import annotations

import io
import re

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from pockg import csv_safe
from pockg import vocab as V
from pockg.compare import describe as describe_evidence
from pockg.errors import QueryError
from pockg.library import LibraryQuery, Resolver, Table
from web import model
from web.i18n import current_language
from web.page_cache import cached
from web.state import current

bp = Blueprint("library", __name__)

MISSION_TYPES = {"mission", "missions"}
CONCEPT_TYPES = {"concept", "concepts"}
DOWNLOADS = {"csv": "text/csv", "json": "application/json", "md": "text/markdown"}


# -- views -----------------------------------------------------------------
@bp.get("/queries")
@cached
def index():
    cards = library_cards()
    if request.args.get("format") == "json":
        return jsonify({"queries": cards})
    return render_template("library/index.html", cards=cards)


@bp.get("/queries/<name>")
@cached
def query(name: str):
    state = current()
    lq = state.library.get(name)          # NotFound → 404
    fmt = request.args.get("format")
    if fmt and fmt not in ("csv", "json"):
        raise QueryError(f"unknown format {fmt!r} (choose csv or json)")
    values = read_params(lq, request.args)
    lang = current_language()
    if fmt:                                # errors here answer as JSON / plain error page
        table = state.library.run(name, values, state.store)
        if fmt == "json":
            return jsonify(table.to_json())
        return download(table_csv(table), "csv", name)
    error, table, text = None, None, lq.text
    try:
        text, _ = state.library.render(name, values, state.store)
        table = state.library.run(name, values, state.store)
    except QueryError as exc:
        error = exc.message
    shown = values_shown(lq, values, table)
    fields = param_fields(lq, state.store, lang, shown)
    view = table_view(table, state.store, lang) if table is not None else None
    page = render_template(
        "library/query.html", q=lq, meta=lq.as_dict(), fields=fields, error=error,
        view=view, table=table, sparql_text=without_header(text),
        sparql_url=url_for("sparql.endpoint", query=without_header(text)),
        permalink=permalink("library.query", shown, name=name),
        downloads={f: download_url("library.query", shown, f, name=name) for f in ("csv", "json")},
        compare_url=(url_for("compare.page", comparison=name, **flat(shown))
                     if lq.view == "matrix" else None))
    return page, (400 if error else 200)


def without_header(text: str) -> str:
    """The query without its ``#+`` metadata lines (the page shows them already)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#+")).lstrip("\n")


# -- the library -------------------------------------------------------------
def library_cards() -> list[dict]:
    """One card per library file; a file that does not load shows its error."""
    library = current().library
    cards = []
    for name in library.names():
        try:
            cards.append({**library.get(name).as_dict(), "error": None})
        except QueryError as exc:
            cards.append({"name": name, "summary": "", "description": "", "tags": [],
                          "view": "", "parameters": [], "error": exc.message})
    return cards


def matrix_queries() -> list[LibraryQuery]:
    """The library queries with a matrix view: the comparisons."""
    out = []
    library = current().library
    for name in library.names():
        try:
            q = library.get(name)
        except QueryError:
            continue
        if q.view == "matrix" and (q.meta.get("matrix") or {}).get("row"):
            out.append(q)
    return out


# -- parameters ----------------------------------------------------------------
def read_params(lq: LibraryQuery, args) -> dict:
    """Parameter values from a query string: repeated keys or comma lists.

    A plural parameter left empty on a submitted form (``run=1``) is passed
    as empty, so the library says "give at least one value" rather than
    silently falling back to the default.
    """
    submitted = bool(args.get("run"))
    out = {}
    for p in lq.params:
        raw = [v for v in args.getlist(p.name)]
        if p.plural:
            items = [item.strip() for v in raw for item in v.split(",") if item.strip()]
            if items:
                out[p.name] = ",".join(dict.fromkeys(items))
            elif submitted or raw:
                out[p.name] = ""
        elif raw:
            out[p.name] = raw[0].strip()
    return out


def values_shown(lq: LibraryQuery, values: dict, table: Table | None) -> dict:
    """What the form shows: the values used, else those given, else the defaults."""
    shown = {}
    for p in lq.params:
        if table is not None and p.name in table.params:
            v = table.params[p.name]
        elif p.name in values:
            v = values[p.name]
        else:
            v = p.default
        if p.plural:
            v = [s.strip() for s in (v if isinstance(v, (list, tuple)) else str(v).split(","))
                 if str(s).strip()]
        else:
            v = "" if v is None else str(v)
        shown[p.name] = v
    return shown


def flat(values: dict) -> dict:
    """Values for a URL: lists joined by commas (the library splits them again)."""
    return {k: ",".join(map(str, v)) if isinstance(v, (list, tuple)) else v
            for k, v in values.items()}


def permalink(endpoint: str, values: dict, **kw) -> str:
    return url_for(endpoint, _external=True, **kw, **flat(values))


def download_url(endpoint: str, values: dict, fmt: str, **kw) -> str:
    return url_for(endpoint, **kw, **flat(values), format=fmt)


def download(body: str, fmt: str, name: str) -> Response:
    mime = DOWNLOADS[fmt]
    response = Response(body, mimetype=mime)
    if fmt != "json":
        response.headers["Content-Type"] = f"{mime}; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="pockg-{name}.{fmt}"'
    return response


def operations(store, lang: str, poc_only: bool = False) -> list[dict]:
    """Peace operations: acronym, full name in ``lang`` (English fallback), PoC flag."""
    rows = store.select("""
        SELECT DISTINCT ?op ?acronym ?name ?poc WHERE {
          ?op a pockg:PeaceOperation ; pockg:acronym ?acronym .
          OPTIONAL { ?op pockg:fullName ?name }
          OPTIONAL { ?op a pockg:PoCMandatedOperation . BIND(true AS ?poc) }
        }""").rows
    found: dict[str, dict] = {}
    for r in rows:
        op = found.setdefault(r["op"].value, {"iri": r["op"].value, "acronym": r["acronym"].value,
                                              "names": {}, "poc": "poc" in r})
        if "name" in r:
            op["names"].setdefault(getattr(r["name"], "language", None) or "", r["name"].value)
    out = []
    for op in found.values():
        names = op.pop("names")
        op["name"] = names.get(lang) or names.get("en") or names.get("") or ""
        if op["poc"] or not poc_only:
            out.append(op)
    return sorted(out, key=lambda o: o["acronym"].upper())


def natural(text: str):
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", text)]


def concept_choices(store, lang: str, notations: list[str]) -> list[dict]:
    """Concepts of the schemes the ``notations`` belong to (all concepts if none match)."""
    notes = " ".join(str(ox.Literal(str(n))) for n in notations)
    rows = store.select(f"""
        SELECT DISTINCT ?c ?n WHERE {{
          {{ SELECT DISTINCT ?scheme WHERE {{ VALUES ?d {{ {notes} }}
               ?x skos:notation ?d ; skos:inScheme ?scheme }} }}
          ?c skos:inScheme ?scheme ; skos:notation ?n .
        }}""").rows if notations else []
    if not rows:
        rows = store.select("SELECT DISTINCT ?c ?n WHERE { ?c a skos:Concept ; skos:notation ?n }").rows
    names = model.labels(store, [r["c"].value for r in rows], lang)
    seen, out = set(), []
    for r in sorted(rows, key=lambda r: natural(r["n"].value)):
        if r["n"].value in seen:
            continue
        seen.add(r["n"].value)
        out.append({"value": r["n"].value, "label": f"{r['n'].value} — {names[r['c'].value]}",
                    "iri": r["c"].value})
    return out


def param_fields(lq: LibraryQuery, store, lang: str, shown: dict, skip=()) -> list[dict]:
    """One form field per parameter, with its widget and choices."""
    fields = []
    ops = None
    for p in lq.params:
        if p.name in skip:
            continue
        value = shown.get(p.name, p.default)
        chosen = set(value) if isinstance(value, list) else {value}
        field = {"name": p.name, "type": p.type, "description": p.description,
                 "id": f"param-{p.name}", "value": value, "options": [], "widget": "text"}
        if p.type == "enum" and p.allowed:
            field["widget"] = "select"
            field["options"] = [{"value": str(a), "label": str(a), "selected": str(a) in chosen}
                                for a in p.allowed]
        elif p.type in MISSION_TYPES:
            ops = ops if ops is not None else operations(store, lang)
            wanted = resolve_missions(store, chosen)
            field["widget"] = "checkboxes" if p.plural else "select"
            field["options"] = [{"value": o["acronym"],
                                 "label": o["acronym"] + (f" — {o['name']}" if o["name"] else ""),
                                 "selected": o["iri"] in wanted} for o in ops]
        elif p.type in CONCEPT_TYPES:
            defaults = p.default if isinstance(p.default, list) else [p.default]
            field["widget"] = "checkboxes" if p.plural else "select"
            field["options"] = [{**c, "selected": c["value"] in chosen}
                                for c in concept_choices(store, lang, [str(d) for d in defaults])]
        elif p.type == "date":
            field["widget"] = "date"
        elif p.type == "integer":
            field["widget"] = "number"
        fields.append(field)
    return fields


def resolve_missions(store, names) -> set[str]:
    """IRIs of the missions named (acronyms or alternative names), unknown ones skipped."""
    known = Resolver(store).missions()
    return {known[n.upper()] for n in names if isinstance(n, str) and n.upper() in known}


# -- results -----------------------------------------------------------------------
def evidence_names(store, lang: str, evidence_lists) -> dict:
    """Labels for the documents, sources and verification statuses in evidence."""
    iris, notations = set(), set()
    for items in evidence_lists:
        for e in items:
            iris.update(x for x in (e.get("document"), e.get("source")) if x)
            if e.get("status"):
                notations.add(e["status"])
    names = model.labels(store, iris, lang) if iris else {}
    if notations:
        notes = " ".join(str(ox.Literal(n)) for n in notations)
        rows = store.select(f"""SELECT DISTINCT ?c ?n WHERE {{ VALUES ?n {{ {notes} }}
                               ?c skos:notation ?n ; skos:inScheme <{V.ID}scheme/verification-status> }}""").rows
        labels = model.labels(store, [r["c"].value for r in rows], lang)
        for r in rows:
            names["status:" + r["n"].value] = labels[r["c"].value]
    return names


def table_view(table: Table, store, lang: str) -> dict:
    """Rows ready to show: IRIs with labels in ``lang`` and links, evidence per cell."""
    columns = [c for c in table.columns
               if not (c.endswith("Label") and c[:-5] in table.columns)]
    iris = {t.value for row in table.terms for t in row.values() if isinstance(t, ox.NamedNode)}
    names = model.labels(store, iris, lang)
    rows = []
    for i, terms in enumerate(table.terms):
        plain = table.rows[i]
        evidence = table.evidence[i] if i < len(table.evidence) else {}
        cells = []
        for c in columns:
            term = terms.get(c)
            cell = {"column": c, "text": None, "iri": None, "evidence": evidence.get(c, [])}
            if isinstance(term, ox.NamedNode):
                label = names.get(term.value)
                if (not label or label == model.short(term.value)) and plain.get(c + "Label"):
                    label = plain[c + "Label"]
                cell.update(iri=term.value, text=label)
            elif term is not None:
                cell["text"] = term.value
            cells.append(cell)
        rows.append(cells)
    return {"columns": columns, "rows": rows,
            "names": evidence_names(store, lang, [e for r in table.evidence for e in r.values()])}


def table_csv(table: Table) -> str:
    """The plain values, plus one evidence column per column that carries evidence."""
    out = io.StringIO()
    writer = csv_safe.writer(out)
    evidence_columns = [c for c in (table.query.evidence if table.query else {})
                        if c in table.columns] or sorted({c for r in table.evidence for c in r})
    writer.writerow(table.columns + [f"{c} evidence" for c in evidence_columns])
    for i, row in enumerate(table.rows):
        ev = table.evidence[i] if i < len(table.evidence) else {}
        writer.writerow([row.get(c, "") for c in table.columns]
                        + [" | ".join(describe_evidence(e) for e in ev.get(c, []))
                           for c in evidence_columns])
    return out.getvalue()

"""The comparison page: choose missions and a comparison from the library
(any query whose view is ``matrix``), see the matrix with differences
flagged, gaps marked as gaps and each cell's evidence, download it as CSV,
JSON or Markdown, and keep its URL as a permalink (the page is a GET form).
"""

from __future__ import annotations

import pyoxigraph as ox
from flask import Blueprint, jsonify, render_template, request, url_for

from pockg.compare import Matrix, label_of, to_matrix
from pockg.errors import QueryError
from pockg.library import LibraryQuery, Table
from web import model
from web.i18n import current_language
from web.page_cache import cached
from web.library import (DOWNLOADS, MISSION_TYPES, download, download_url, evidence_names,
                         matrix_queries, operations, param_fields, permalink, read_params,
                         resolve_missions, values_shown)
from web.state import current

bp = Blueprint("compare", __name__)
DEFAULT = "drafting-lead"


@bp.get("/compare")
@cached
def page():
    state = current()
    lang = current_language()
    comparisons = matrix_queries()
    name = request.args.get("comparison", "").strip()
    fmt = request.args.get("format")
    if fmt and fmt not in DOWNLOADS:
        raise QueryError(f"unknown format {fmt!r} (choose csv, json or md)")
    if fmt and not name:
        raise QueryError("choose a comparison: /compare?comparison=NAME&missions=A,B")
    lq = state.library.get(name) if name else default_comparison(comparisons)
    if lq is not None:
        check_comparison(lq)
    values = read_params(lq, request.args) if lq else {}
    as_of = request.args.get("as_of", "").strip() if lq and lq.meta.get("as_of") else ""
    if as_of:
        values["as_of"] = as_of                 # only the strategy versions in force that day
    if fmt:
        matrix = to_matrix(state.library.run(lq.name, values, state.store))
        return matrix_download(matrix, fmt)
    error, table, matrix = None, None, None
    if name:
        try:
            table = state.library.run(lq.name, values, state.store)
            matrix = to_matrix(table)
        except QueryError as exc:
            error = exc.message
    shown = values_shown(lq, values, table) if lq else {}
    mparam = mission_param(lq)
    missions = mission_choices(state.store, lang, shown.get(mparam.name, []) if mparam else [])
    options = param_fields(lq, state.store, lang, shown,
                           skip={mparam.name} if mparam else ()) if lq else []
    view = matrix_view(matrix, table, state.store, lang) if matrix else None
    args = {"comparison": lq.name, **shown, **({"as_of": as_of} if as_of else {})} if lq else {}
    page = render_template(
        "compare/page.html", comparisons=comparisons, chosen=lq, mparam=mparam,
        missions=missions, options=options, error=error, matrix=matrix, view=view,
        as_of=as_of, takes_as_of=bool(lq and lq.meta.get("as_of")),
        ran=bool(name),
        permalink=permalink("compare.page", args) if name else None,
        downloads={f: download_url("compare.page", args, f) for f in DOWNLOADS} if name else {},
        library_url=url_for("library.query", name=lq.name, **{
            k: ",".join(v) if isinstance(v, list) else v for k, v in shown.items()}) if lq else None,
        heatmap_url=url_for("viz.heatmap", missions=",".join(shown.get(mparam.name, [])))
        if mparam and name else url_for("viz.heatmap"))
    return page, (400 if error else 200)


def default_comparison(comparisons: list[LibraryQuery]) -> LibraryQuery | None:
    """The one the empty form proposes: drafting-lead where it exists."""
    return next((q for q in comparisons if q.name == DEFAULT), comparisons[0] if comparisons else None)


def check_comparison(lq: LibraryQuery) -> None:
    if lq.view != "matrix" or not (lq.meta.get("matrix") or {}).get("row"):
        raise QueryError(f"{lq.name} is not a comparison: its view is {lq.view!r}, not a matrix "
                         f"(see /queries/{lq.name} for its table)")


def mission_param(lq: LibraryQuery | None):
    if lq is None:
        return None
    return next((p for p in lq.params if p.type in MISSION_TYPES), None)


def mission_choices(store, lang: str, chosen: list[str]) -> list[dict]:
    """Every PoC-mandated operation, and any other operation already chosen."""
    wanted = resolve_missions(store, chosen)
    return [{**o, "selected": o["iri"] in wanted}
            for o in operations(store, lang) if o["poc"] or o["iri"] in wanted]


def matrix_download(matrix: Matrix, fmt: str):
    if fmt == "json":
        response = jsonify(matrix.to_json())
        response.headers["Content-Disposition"] = f'attachment; filename="pockg-{matrix.name}.json"'
        return response
    body = matrix.to_csv() if fmt == "csv" else matrix.to_markdown()
    return download(body, fmt, matrix.name)


# -- the matrix as shown ---------------------------------------------------------
def _iri(table: Table, i: int, column: str) -> str | None:
    term = table.terms[i].get(column) if i < len(table.terms) else None
    return term.value if isinstance(term, ox.NamedNode) else None


def matrix_links(matrix: Matrix, table: Table) -> tuple[dict, dict, dict]:
    """IRIs behind the labels: of rows, of concept columns, of cell values."""
    spec = table.query.meta.get("matrix") or {}
    rows, columns, values = {}, {}, {}
    for i, row in enumerate(table.rows):
        key = row.get(spec["row"])
        if key is None:
            continue
        if _iri(table, i, spec["row"]):
            rows[key] = key
        if "columns" in spec:
            pairs = [(c, c) for c in matrix.columns]
        else:
            column = label_of(row, spec["column"])
            if column is None:
                continue
            if _iri(table, i, spec["column"]):
                columns[column] = row[spec["column"]]
            pairs = [(column, spec["value"])]
        for column, source in pairs:
            iri = _iri(table, i, source)
            label = label_of(row, source)
            if iri and label is not None:
                values[(column, label)] = iri
    return rows, columns, values


def pick(names: dict, iri: str | None, fallback: str) -> str:
    """The label of ``iri`` in the chosen language, else the query's own label."""
    label = names.get(iri) if iri else None
    return fallback if not label or label == model.short(iri) else label


def matrix_view(matrix: Matrix, table: Table, store, lang: str) -> dict:
    """Rows, columns and cells with labels in ``lang``, links and evidence."""
    row_iris, column_iris, value_iris = matrix_links(matrix, table)
    names = model.labels(store, [*row_iris.values(), *column_iris.values(),
                                 *value_iris.values()], lang)
    columns = [{"name": c, "iri": column_iris.get(c),
                "label": pick(names, column_iris.get(c), c),
                "differs": matrix.differs(c)} for c in matrix.columns]
    rows = []
    for key, label in matrix.rows:
        cells = []
        for col in columns:
            cell = matrix.cell(key, col["name"])
            shown = [{"text": pick(names, value_iris.get((col["name"], v)), v),
                      "iri": value_iris.get((col["name"], v))} for v in cell.values]
            cells.append({"column": col, "gap": cell.gap, "values": shown,
                          "evidence": cell.evidence})
        iri = row_iris.get(key)
        rows.append({"key": key, "iri": iri, "label": pick(names, iri, label),
                     "cells": cells})
    evidence = [c.evidence for c in matrix.cells.values()]
    return {"columns": columns, "rows": rows, "row_header": matrix.row_header,
            "names": evidence_names(store, lang, evidence),
            "any_differs": any(c["differs"] for c in columns),
            "gaps": sum(1 for r in rows for c in r["cells"] if c["gap"])}

"""Pictures: the coverage heatmap (missions × tiers, missions × framework
elements) and an entity's neighbourhood graph, drawn as SVG on the server
(no JavaScript), each with a JSON twin and a table or list that says the same
in text."""

from __future__ import annotations

import math
from collections import defaultdict

import pyoxigraph as ox
from flask import Blueprint, Response, jsonify, render_template, request, url_for

from pockg import vocab as V
from pockg.errors import NotFound, QueryError
from pockg.library import Resolver, Table
from web import model, urls
from web.i18n import current_language
from web.page_cache import cached
from web.library import evidence_names, operations
from web.state import current

bp = Blueprint("viz", __name__)

HEATMAPS = ("tier-coverage", "framework-gaps")   # library queries, concept matrices
MAX_NEIGHBOURS = 30


# -- coverage heatmap ----------------------------------------------------------
@bp.get("/compare/heatmap")
@cached
def heatmap():
    state = current()
    lang = current_language()
    chosen = [m.strip() for v in request.args.getlist("missions") for m in v.split(",") if m.strip()]
    available = [n for n in HEATMAPS if n in state.library.names()]
    grids, error = [], None
    try:
        for name in available:
            lq = state.library.get(name)
            mparam = next((p for p in lq.params if p.type in ("missions", "mission")), None)
            values = {mparam.name: ",".join(chosen)} if mparam and chosen else {}
            table = state.library.run(name, values, state.store)
            grids.append(heat_grid(table, mparam, state.store, lang))
    except QueryError as exc:
        if request.args.get("format") == "json":
            raise
        error = exc.message
    if request.args.get("format") == "json":
        return jsonify({"grids": [strip_grid(g) for g in grids]})
    shown = chosen or (grids[0]["missions"] if grids else [])
    ops = operations(state.store, lang)
    missions = [{**o, "selected": o["acronym"].upper() in {m.upper() for m in shown}}
                for o in ops if o["poc"] or o["acronym"].upper() in {m.upper() for m in shown}]
    page = render_template("viz/heatmap.html", grids=grids, missions=missions, error=error,
                           json_url=url_for("viz.heatmap", missions=",".join(shown),
                                            format="json"),
                           permalink=url_for("viz.heatmap", missions=",".join(shown),
                                             _external=True))
    return page, (400 if error else 200)


def heat_grid(table: Table, mparam, store, lang: str) -> dict:
    """Missions × the matrix's column concepts; a cell is addressed (with its
    strategies and evidence) or a gap."""
    spec = table.query.meta.get("matrix") or {}
    column_var, value_var = spec.get("column"), spec.get("value")
    row_var = mparam.var if mparam else spec.get("row")
    resolver = Resolver(store)
    ops = {o["iri"]: o for o in operations(store, lang)}
    chosen = table.params.get(mparam.name, []) if mparam else []
    chosen = chosen if isinstance(chosen, list) else [chosen]
    row_iris = list(dict.fromkeys(resolver.missions()[m.upper()] for m in chosen
                                  if m.upper() in resolver.missions()))
    column_iris: list[str] = []
    for p in table.query.params:                     # the concepts asked for, in order
        if p.type in ("concept", "concepts"):
            asked = table.params.get(p.name, [])
            for n in asked if isinstance(asked, list) else [asked]:
                if n in resolver.concepts():
                    column_iris.append(resolver.concepts()[n])
    cells: dict[tuple[str, str], dict] = defaultdict(lambda: {"by": [], "evidence": []})
    for i, row in enumerate(table.rows):
        m, c = row.get(row_var), row.get(column_var)
        if m is None or c is None:
            continue
        if m not in row_iris:
            row_iris.append(m)
        if c not in column_iris:
            column_iris.append(c)
        if row.get(value_var) is None:
            continue
        cell = cells[(m, c)]
        by = row.get("strategy") or row[value_var]
        by_label = row.get("strategyLabel") or row.get(value_var + "Label") or row[value_var]
        if by not in [b["iri"] for b in cell["by"]]:
            cell["by"].append({"iri": by if table.terms[i].get("strategy") is not None
                               or isinstance(table.terms[i].get(value_var), ox.NamedNode) else None,
                               "label": by_label})
        for items in (table.evidence[i] if i < len(table.evidence) else {}).values():
            for e in items:
                if e not in cell["evidence"]:
                    cell["evidence"].append(e)
    by_iris = [b["iri"] for cell in cells.values() for b in cell["by"] if b["iri"]]
    names = model.labels(store, row_iris + column_iris + by_iris, lang)
    for cell in cells.values():
        for b in cell["by"]:
            if b["iri"] and names.get(b["iri"]) != model.short(b["iri"]):
                b["label"] = names[b["iri"]]
    notations = {iri: n for n, iri in resolver.concepts().items()}
    columns = [{"iri": c, "label": names[c], "notation": notations.get(c)} for c in column_iris]
    rows = []
    for m in row_iris:
        line = []
        for c in columns:
            cell = cells.get((m, c["iri"]))
            state = "gap" if not cell else ("addressed" if cell["evidence"] else "unsourced")
            line.append({"state": state, "by": cell["by"] if cell else [],
                         "evidence": cell["evidence"] if cell else [], "column": c})
        rows.append({"iri": m, "label": ops[m]["acronym"] if m in ops else names[m],
                     "name": ops[m]["name"] if m in ops else "", "cells": line})
    evidence = [c["evidence"] for r in rows for c in r["cells"]]
    return {"name": table.name, "summary": table.query.summary, "columns": columns, "rows": rows,
            "missions": [r["label"] for r in rows], "names": evidence_names(store, lang, evidence),
            "counts": {s: sum(1 for r in rows for c in r["cells"] if c["state"] == s)
                       for s in ("addressed", "unsourced", "gap")}}


def strip_grid(grid: dict) -> dict:
    """The JSON twin: missions, columns and each cell's state, strategies and evidence."""
    return {"name": grid["name"], "columns": [{k: c[k] for k in ("iri", "label", "notation")}
                                             for c in grid["columns"]],
            "rows": [{"mission": r["iri"], "label": r["label"],
                      "cells": [{"column": c["column"]["iri"], "state": c["state"],
                                 "by": c["by"], "evidence": c["evidence"]} for c in r["cells"]]}
                     for r in grid["rows"]]}


# -- neighbourhood graph -----------------------------------------------------------
HIDDEN = model.HIDDEN_INCOMING | {V.RDF + "predicate"}
WIDTH, HEIGHT, RADIUS = 1040, 1040, 250


@bp.get("/graph")
@cached
def neighbourhood():
    uri = urls.iri_argument("uri", "draw")
    fmt = request.args.get("format")
    if fmt not in (None, "json", "svg"):
        raise QueryError(f"unknown format {fmt!r} (choose json or svg)")
    store = current().store
    if not model.exists(store, uri):
        raise NotFound(f"the graph has nothing about <{uri}>")
    data = neighbours(store, uri, current_language())
    if fmt == "json":
        return jsonify({"centre": uri, "nodes": data["nodes"], "edges": data["edges"],
                        "omitted": data["omitted"]})
    drawing = layout(data)
    if fmt == "svg":
        body = render_template("viz/graph.svg.html", d=drawing, standalone=True)
        return Response(body, mimetype="image/svg+xml")
    return render_template("viz/graph.html", d=drawing, data=data,
                           entity_page=urls.entity(uri),
                           json_url=url_for("viz.neighbourhood", uri=uri, format="json"),
                           svg_url=url_for("viz.neighbourhood", uri=uri, format="svg"))


def neighbours(store, iri: str, lang: str, limit: int = MAX_NEIGHBOURS) -> dict:
    """The entity, its direct neighbours (at most ``limit``, shared fairly among
    the predicates) and the labelled edges between them."""
    node = ox.NamedNode(iri)
    hidden = " ".join(f"<{p}>" for p in sorted(HIDDEN))
    out_rows = store.select(f"""SELECT DISTINCT ?p ?n WHERE {{ {node} ?p ?n
        FILTER(isIRI(?n) && ?n != {node} && ?p != rdf:type) }} LIMIT 3000""").rows
    in_rows = store.select(f"""SELECT DISTINCT ?p ?n WHERE {{ ?n ?p {node}
        FILTER(isIRI(?n) && ?n != {node} && ?p NOT IN ({', '.join(hidden.split())})) }}
        LIMIT 3000""").rows
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for direction, rows in (("out", out_rows), ("in", in_rows)):
        for r in rows:
            groups[(direction, r["p"].value)].append(r["n"].value)
    every = {n for members in groups.values() for n in members}
    names = model.labels(store, [iri, *every, *{p for _, p in groups}], lang)
    order = sorted(groups, key=lambda g: (g[0] != "out", names[g[1]].lower(), g[1]))
    for g in order:
        groups[g].sort(key=lambda n: (names[n].lower(), n))
    # Round robin over the predicates, so one crowded predicate does not hide the rest.
    picked: dict[tuple[str, str], list[str]] = {g: [] for g in order}
    chosen: set[str] = set()
    depth = 0
    while len(chosen) < limit and any(depth < len(groups[g]) for g in order):
        for g in order:
            if depth < len(groups[g]) and len(chosen) < limit:
                n = groups[g][depth]
                picked[g].append(n)
                chosen.add(n)
        depth += 1
    nodes = [{"id": iri, "label": names[iri], "url": urls.entity(iri),
              "graph": url_for("viz.neighbourhood", uri=iri), "centre": True, "group": None}]
    seen = {iri}
    edges = []
    for g in order:
        direction, p = g
        for n in picked[g] + [m for m in groups[g] if m in chosen and m not in picked[g]]:
            if n not in seen:
                seen.add(n)
                nodes.append({"id": n, "label": names[n], "url": urls.entity(n),
                              "graph": url_for("viz.neighbourhood", uri=n), "centre": False,
                              "group": f"{direction} {p}"})
            source, target = (iri, n) if direction == "out" else (n, iri)
            edges.append({"source": source, "target": target, "predicate": p,
                          "label": names[p], "direction": direction})
    groups_shown = [{"direction": d, "predicate": p, "label": names[p],
                     "members": [{"id": n, "label": names[n], "url": urls.entity(n),
                                  "graph": url_for("viz.neighbourhood", uri=n)}
                                 for n in groups[(d, p)] if n in chosen],
                     "total": len(groups[(d, p)])} for d, p in order]
    return {"centre": iri, "label": names[iri], "nodes": nodes, "edges": edges,
            "groups": groups_shown, "omitted": len(every - chosen)}


def shorten(text: str, width: int = 32) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def layout(data: dict) -> dict:
    """Positions on a circle round the centre, grouped by predicate; edge labels
    along the edges, turned to read left to right."""
    cx, cy = WIDTH / 2, HEIGHT / 2
    others = [n for n in data["nodes"] if not n["centre"]]
    count = max(len(others), 1)
    placed = {}
    for k, n in enumerate(others):
        angle = -math.pi / 2 + 2 * math.pi * k / count
        x, y = cx + RADIUS * math.cos(angle), cy + RADIUS * math.sin(angle)
        lx, ly = cx + (RADIUS + 22) * math.cos(angle), cy + (RADIUS + 22) * math.sin(angle)
        deg = math.degrees(angle) % 360
        left = 90 < deg < 270                 # turn labels on the left to read left to right
        placed[n["id"]] = {**n, "x": round(x, 1), "y": round(y, 1), "lx": round(lx, 1),
                           "ly": round(ly, 1), "anchor": "end" if left else "start",
                           "rotate": round((deg + 180) % 360 if left else deg, 1),
                           "short": shorten(n["label"]), "angle": angle}
    centre = next(n for n in data["nodes"] if n["centre"])
    centre = {**centre, "x": cx, "y": cy, "short": shorten(centre["label"], 40)}
    pairs: dict[str, dict] = {}
    for e in data["edges"]:
        other = e["target"] if e["direction"] == "out" else e["source"]
        pair = pairs.setdefault(other, {"out": [], "in": []})
        pair[e["direction"]].append(e["label"])
    lines = []
    for other, pair in pairs.items():
        n = placed[other]
        a = n["angle"]
        for direction in ("out", "in"):
            if not pair[direction]:
                continue
            shift = 5 if pair["out"] and pair["in"] else 0    # two lines side by side
            dx, dy = -math.sin(a) * (shift if direction == "out" else -shift), \
                math.cos(a) * (shift if direction == "out" else -shift)
            inner, outer = 34, RADIUS - 22
            x1, y1 = cx + inner * math.cos(a) + dx, cy + inner * math.sin(a) + dy
            x2, y2 = cx + outer * math.cos(a) + dx, cy + outer * math.sin(a) + dy
            if direction == "in":
                x1, y1, x2, y2 = x2, y2, x1, y1
            mid = (inner + outer) / 2
            deg = math.degrees(a)
            if 90 < deg % 360 < 270:
                deg += 180
            label = "; ".join(dict.fromkeys(pair[direction]))
            lines.append({"x1": round(x1, 1), "y1": round(y1, 1), "x2": round(x2, 1),
                          "y2": round(y2, 1), "direction": direction,
                          "tx": round(cx + mid * math.cos(a) + dx * 2.2, 1),
                          "ty": round(cy + mid * math.sin(a) + dy * 2.2, 1),
                          "rotate": round(deg % 360, 1), "label": shorten(label, 34),
                          "full": label})
    return {"width": WIDTH, "height": HEIGHT, "centre": centre, "nodes": list(placed.values()),
            "lines": lines, "label": data["label"], "omitted": data["omitted"]}

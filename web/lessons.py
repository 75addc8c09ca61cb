"""Lessons learned: list, submit, edit, move through the lifecycle, discuss,
history with diffs and revert, the dashboard and bulk import.

The forms come from ``shapes:LessonShape`` (``pockg.curation.fields``); every
change goes through the curation service, which checks roles, the lifecycle
rules, the fields and the revision an editor started from (409 on a stale
one). Views here only translate between HTTP and the service.
"""

from __future__ import annotations

import io
import json

from flask import (Blueprint, Response, abort, flash, g, jsonify, redirect, render_template,
                   request, url_for)

from pockg import csv_safe
from pockg.curation.fields import compact
from pockg.curation.roles import at_least
from pockg.curation.service import FieldErrors, is_new_lesson_id, new_lesson_id, parse_values
from pockg.errors import Conflict
from web.i18n import current_language
from web.state import current

bp = Blueprint("lessons", __name__, url_prefix="/lessons")

SMALL_LIST = 60          # classes with at most this many members get a <select>


def service():
    return current().curation


def _labels(iris: set[str]) -> dict[str, str]:
    """Labels in the current language, from the viewer's view of the store (readers
    never see staff names, which live in the review graph)."""
    from web.model import labelled

    found = labelled(current().store, sorted(iris), current_language())
    return {iri: found[iri]["text"] for iri in iris}


def _options(spec) -> list[tuple[str, str]] | None:
    """(value, label) choices for a reference field; None when too many for a list."""
    if spec.allowed:
        labels = _labels(set(spec.allowed))
        return [(compact(a), labels[a]) for a in spec.allowed]
    if not spec.cls:
        return None
    import pyoxigraph as ox

    rows = current().full_store.select(
        "SELECT ?cls ?x WHERE { ?x a ?cls . FILTER(isIRI(?x)) } LIMIT 2000",
        {"cls": ox.NamedNode(spec.cls)}).rows
    iris = {r["x"].value for r in rows}
    labels = _labels(iris)
    choices = sorted(((compact(i), labels[i]) for i in iris), key=lambda c: c[1].casefold())
    return choices


def form_groups(values: dict | None = None) -> list[tuple[str, list[dict]]]:
    """(group label, fields) in the shape's order (sh:order), for the form template."""
    lang = current_language()
    groups: list[tuple[str, list[dict]]] = []
    for entry in form_fields(values):
        spec = entry["spec"]
        label = spec.group_label.get(lang) or spec.group_label.get("en", "")
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(entry)
    return groups


def form_fields(values: dict | None = None) -> list[dict]:
    """What the form template needs, field by field, in the shape's order."""
    lang = current_language()
    out = []
    for spec in service().fields:
        if spec.record:
            continue
        current_values = (values or {}).get(spec.key, [])
        entry = {"spec": spec, "name": spec.name(lang), "values": current_values}
        if spec.kind == "iri":
            choices = _options(spec)
            entry["choices"] = choices
            entry["widget"] = ("select" if choices is not None and len(choices) <= SMALL_LIST
                               else "list")
            entry["selected"] = {compact(v.value) for v in current_values}
            entry["text"] = "\n".join(compact(v.value) for v in current_values)
        else:
            entry["widget"] = "line" if spec.max_length and spec.max_length <= 200 else "area"
            entry["text"] = current_values[0].value if current_values else ""
        out.append(entry)
    return out


def _form_values():
    raw = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
    return parse_values(service().fields, raw, current_language())


def _record_values(record) -> dict:
    return {spec.key: record.values(spec.key) for spec in service().fields}


# -- reading ----------------------------------------------------------------------
@bp.get("")
def index():
    state_filter = request.args.get("state") or None
    rows = service().list(g.user, state=state_filter)
    labels = _labels({r["state"] for r in rows} | {r["creator"] for r in rows if r["creator"]})
    if request.args.get("format") == "json":
        return jsonify({"lessons": rows})
    states = _labels(set(_states()))
    return render_template("lessons/index.html", rows=rows, labels=labels, states=states,
                           state_filter=state_filter, can_submit=at_least(_role(), "contributor"),
                           can_curate=at_least(_role(), "curator"))


def _role():
    return g.user.role if g.get("user") else None


def _states() -> list[str]:
    rows = current().full_store.select(
        "SELECT ?c WHERE { ?c skos:inScheme <https://w3id.org/pockg/id/scheme/lifecycle-state> }")
    return sorted(r["c"].value for r in rows.rows)


@bp.get("/export.<fmt>")
def download(fmt: str):
    """The lessons this viewer may see, as CSV or JSON."""
    svc = service()
    rows = []
    for summary in svc.list(g.user):
        record = svc.get(summary["id"], g.user)
        row = {"id": record.id, "visibility": record.tier}
        for spec in svc.fields:
            vals = record.values(spec.key)
            row[spec.key] = [compact(v.value) if spec.kind == "iri" else v.value for v in vals]
        rows.append(row)
    if fmt == "json":
        return Response(json.dumps({"lessons": rows}, ensure_ascii=False, indent=1),
                        mimetype="application/json")
    if fmt != "csv":
        abort(404, description="download lessons as .csv or .json")
    out = io.StringIO()
    keys = ["id", "visibility"] + [s.key for s in svc.fields]
    writer = csv_safe.DictWriter(out, keys)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=lessons.csv"})


@bp.get("/<iri_part:lesson_id>")
def show(lesson_id: str):
    svc = service()
    record = svc.get(lesson_id, g.user)
    values = _record_values(record)
    iris = {v.value for vs in values.values() for v in vs if hasattr(v, "value") and
            str(v.value).startswith("http")}
    labels = _labels(iris)
    comments = svc.comments(lesson_id, g.user) if g.user else []
    labels.update(_labels({c["who"] for c in comments}))
    can_history = bool(g.user and (at_least(g.user.role, "curator") or record.creator == g.user.iri))
    return render_template("lessons/show.html", r=record, values=values, labels=labels,
                           fields=[f for f in svc.fields], transitions=_moves(record),
                           comments=comments, can_edit=_can_edit(record), can_history=can_history,
                           can_comment=bool(g.user and at_least(g.user.role, "contributor")))


def _moves(record) -> list[tuple]:
    """(transition, names of the fields it still needs) for the viewer's allowed moves."""
    present = {t.predicate.value for t in record.triples}
    return [(t, [_pred_name(p) for p in t.requires if p not in present])
            for t in service().available(record, g.user)]


def _can_edit(record) -> bool:
    user = g.get("user")
    if not user or service().writer is None:
        return False
    return at_least(user.role, "curator") or (
        record.creator == user.iri and record.state == service().initial_state())


# -- writing ----------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
def new():
    # The form carries the id its lesson will have: a retried submission (a double
    # click, a reload after a lost answer) finds it saved and creates no second one.
    errors, values = {}, {}
    submission = request.form.get("submission")
    if not is_new_lesson_id(submission):
        submission = new_lesson_id()
    if request.method == "POST":
        values, errors = _form_values()
        if not errors:
            try:
                lesson_id = service().create(values, g.user, lesson_id=submission)
            except FieldErrors as exc:
                errors = exc.errors
            else:
                flash("Observation submitted.")
                return redirect(url_for("lessons.show", lesson_id=lesson_id), 303)
    status = 422 if errors else 200
    return render_template("lessons/form.html", groups=form_groups(values), errors=errors,
                           title="Submit an observation", action=url_for("lessons.new"),
                           base=None, submission=submission), status


@bp.route("/<iri_part:lesson_id>/edit", methods=["GET", "POST"])
def edit(lesson_id: str):
    svc = service()
    record = svc.get(lesson_id, g.user)
    errors, conflict = {}, None
    values = _record_values(record)
    base = record.revision
    if request.method == "POST":
        values, errors = _form_values()
        base = request.form.get("base", type=int)
        if base is None:
            abort(400, description="the form lacks the revision it was based on (base)")
        if not errors:
            try:
                svc.update(lesson_id, values, base, g.user)
            except FieldErrors as exc:
                errors = exc.errors
            except Conflict as exc:
                conflict = exc
            else:
                flash("Saved.")
                return redirect(url_for("lessons.show", lesson_id=lesson_id), 303)
    status = 409 if conflict else 422 if errors else 200
    if conflict and request.accept_mimetypes.best == "application/json":
        return jsonify({"ok": False, "error": conflict.message, "status": 409,
                        **conflict.details}), 409
    changed = [_field_name(k) for k in conflict.details.get("changed", [])] if conflict else []
    return render_template("lessons/form.html", groups=form_groups(values), errors=errors,
                           title=f"Edit {record.title}", base=base, conflict=conflict,
                           changed=changed, action=url_for("lessons.edit", lesson_id=lesson_id),
                           lesson=record), status


def _field_name(key: str) -> str:
    spec = service().by_key.get(key)
    return spec.name(current_language()) if spec else key


@bp.post("/<iri_part:lesson_id>/transition")
def transition(lesson_id: str):
    base = request.form.get("base", type=int)
    if base is None:
        abort(400, description="the form lacks the revision it was based on (base)")
    try:
        service().transition(lesson_id, request.form.get("transition", ""), base, g.user,
                             request.form.get("note", "").strip())
    except FieldErrors as exc:
        if request.accept_mimetypes.best == "application/json":
            raise                                   # 422: refused, not a save
        flash("Not moved: " + exc.message)
        return redirect(url_for("lessons.show", lesson_id=lesson_id), 303)
    except Conflict as exc:
        if request.accept_mimetypes.best == "application/json":
            raise
        flash("Not moved: the lesson changed since this page was loaded; here it is as it "
              "is now. " + _changed_text(exc))
        return redirect(url_for("lessons.show", lesson_id=lesson_id), 303)
    flash("Moved.")
    return redirect(url_for("lessons.show", lesson_id=lesson_id), 303)


@bp.post("/<iri_part:lesson_id>/comment")
def comment(lesson_id: str):
    service().comment(lesson_id, request.form.get("text", ""), g.user)
    return redirect(url_for("lessons.show", lesson_id=lesson_id) + "#comments", 303)


@bp.get("/<iri_part:lesson_id>/history")
def history(lesson_id: str):
    svc = service()
    record = svc.get(lesson_id, g.user)
    events = svc.history(lesson_id, g.user)
    iris = {e.who for e in events} | {s for e in events for s in (e.from_state, e.to_state) if s}
    preds = {t.predicate.value for e in events for t in e.added + e.removed}
    return render_template("lessons/history.html", r=record, events=events,
                           labels=_labels(iris), preds={p: _pred_name(p) for p in preds},
                           can_revert=at_least(g.user.role, "curator"))


def _changed_text(exc: Conflict) -> str:
    names = [_field_name(k) for k in exc.details.get("changed", [])]
    return ("Changed: " + ", ".join(names) + ".") if names else ""


def _pred_name(path: str) -> str:
    for spec in service().fields:
        if spec.path == path:
            return spec.name(current_language())
    return compact(path).rsplit("#", 1)[-1]


@bp.post("/<iri_part:lesson_id>/revert")
def revert(lesson_id: str):
    to = request.form.get("to", type=int)
    base = request.form.get("base", type=int)
    if to is None or base is None:
        abort(400, description="give the revision to go back to (to) and the current one (base)")
    try:
        service().revert(lesson_id, to, base, g.user)
    except Conflict as exc:
        if request.accept_mimetypes.best == "application/json":
            raise
        flash("Not reverted: the lesson changed since this page was loaded. " + _changed_text(exc))
        return redirect(url_for("lessons.history", lesson_id=lesson_id), 303)
    flash(f"Reverted to revision {to}.")
    return redirect(url_for("lessons.history", lesson_id=lesson_id), 303)


# -- the dashboard and bulk import ---------------------------------------------------
@bp.get("/dashboard")
def dashboard():
    from pockg.curation.dashboard import dashboard as compute

    data = compute(service(), g.user)
    if request.args.get("format") == "json":
        return jsonify(data)
    iris = set(data["by_state"]) | set(data["by_mission"]) | set(data["by_tier"]) | set(
        data["time_in_state"])
    return render_template("lessons/dashboard.html", d=data, labels=_labels(iris))


@bp.route("/import", methods=["GET", "POST"])
def import_rows():
    from pockg.curation.importer import import_file

    report = None
    status = 200
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            abort(400, description="choose a CSV or XLSX file to import")
        report = import_file(service(), upload.read(), upload.filename, g.user,
                             valid_only=request.form.get("valid_only") == "on",
                             lang=current_language())
        status = 422 if report.refused else 200
        if request.accept_mimetypes.best == "application/json":
            return jsonify(report.as_dict()), status
    return render_template("lessons/import.html", report=report,
                           columns=[f for f in service().fields if not f.record]), status

"""Who may call which route: one declared policy per endpoint, enforced before
every request, plus the signed-in user and CSRF protection.

``POLICY`` maps each Flask endpoint to the least role that may call it
(``reader``: anyone, signed in or not; ``signed-in``: any account). A route
without a policy is refused (and fails the test suite, which walks the URL
map). Views may refuse more finely (the curation service checks the lesson's
state and author); they answer 403 or 404, never 500.

Every POST, PUT, PATCH and DELETE must carry the session's CSRF token (form
field ``csrf_token`` or header ``X-CSRF-Token``), except the SPARQL protocol
endpoint, which reads only and never uses the session.

A request body may be MAX_CONTENT_LENGTH bytes (413 beyond), except on the
``UPLOAD_ENDPOINTS``, which take UPLOAD_MAX_BYTES. That limit is set first of
all, before the CSRF check (or anything else) reads the form.
"""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, g, request, session

from pockg.curation.roles import at_least

POLICY: dict[str, str] = {
    "static": "reader",
    # browsing, search, comparison, queries, ontology, pictures: open to everyone
    # (each shows only what the viewer's role may see)
    "browse.home": "reader", "browse.listing": "reader", "browse.entity": "reader",
    "browse.resource": "reader", "browse.health": "reader",
    "sparql.endpoint": "reader",          # always the reader's view of the graph
    "search.page": "reader", "search.suggest": "reader",
    "compare.page": "reader", "viz.heatmap": "reader", "viz.neighbourhood": "reader",
    "library.index": "reader", "library.query": "reader",
    "ontology.index": "reader", "ontology.turtle": "reader",
    # accounts
    "auth.login": "reader",
    "auth.logout": "signed-in",
    "auth.password": "signed-in",
    "auth.users": "admin",
    "auth.add_user": "admin",
    "auth.change_user": "admin",
    "auth.backup": "admin",
    # lessons: the service refuses finer (state, author, transition role)
    "lessons.index": "reader",
    "lessons.show": "reader",
    "lessons.download": "reader",
    "lessons.new": "contributor",
    "lessons.edit": "contributor",
    "lessons.transition": "contributor",
    "lessons.comment": "contributor",
    "lessons.history": "contributor",
    "lessons.revert": "curator",
    "lessons.dashboard": "curator",
    "lessons.import_rows": "curator",
    # documents: reading is open; uploads and link review are for curators
    "documents.index": "reader",
    "documents.show": "reader",
    "documents.upload": "curator",
    "documents.review": "curator",
    "documents.add_link": "curator",
    "documents.set_about": "curator",
    "documents.upload_rdf": "curator",
}

CSRF_EXEMPT = {"sparql.endpoint"}
UPLOAD_ENDPOINTS = {"documents.upload", "documents.upload_rdf", "lessons.import_rows"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def allowed(endpoint: str | None, user) -> bool | None:
    """True/False, or None when the endpoint has no declared policy."""
    needed = POLICY.get(endpoint or "")
    if needed is None:
        return None
    if needed == "reader":
        return True
    if user is None:
        return False
    return needed == "signed-in" or at_least(user.role, needed)


def csrf_token() -> str:
    """The token forms must send back: the session's, or an anonymous one."""
    if g.get("session_csrf"):
        return g.session_csrf
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(csrf_token=csrf_token)

    def _body_limit():
        """Uploads may be larger than other requests (UPLOAD_MAX_BYTES, default 20 MB)."""
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = int(app.config.get("UPLOAD_MAX_BYTES") or 0) or None

    # First of every before-request function: whichever reads the form first
    # (the CSRF check below) reads it under the right limit.
    app.before_request_funcs.setdefault(None, []).insert(0, _body_limit)

    @app.before_request
    def _authenticate():
        from web.state import current

        g.user, g.session_csrf = None, None
        token = session.get("sid")
        if token:
            found = current().accounts.session(token)
            if found is None:
                session.pop("sid", None)
            else:
                g.user, g.session_csrf = found.user, found.csrf

    @app.before_request
    def _enforce():
        if request.endpoint is None:          # 404/405 from routing: let Flask answer
            return None
        verdict = allowed(request.endpoint, g.user)
        if verdict is None:
            abort(403, description=f"no access policy is declared for {request.endpoint}")
        if not verdict:
            who = "sign in first" if g.user is None else f"your role ({g.user.role}) may not"
            abort(403, description=f"forbidden: {who} ({request.method} {request.path})")
        if request.method in UNSAFE and request.endpoint not in CSRF_EXEMPT:
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
            expected = g.session_csrf or session.get("csrf") or ""
            if not expected or not hmac.compare_digest(sent, expected):
                abort(403, description="the form has expired or did not come from this site "
                                       "(missing or wrong CSRF token); reload the page and try again")
        return None

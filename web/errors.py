"""Errors: HTML pages for people, one JSON shape for machines.

JSON shape (pinned by a test): {"ok": false, "error": "...", "status": N}.
"""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from pockg.errors import PockgError


def wants_json() -> bool:
    if request.path.endswith(".json") or request.args.get("format") == "json":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(message: str, status: int):
    if wants_json():
        response = jsonify({"ok": False, "error": message, "status": status})
        response.status_code = status
        return response
    return render_template("error.html", message=message, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(PockgError)
    def _pockg(exc: PockgError):
        response = error_response(exc.message, exc.http_status)
        retry = getattr(exc, "retry_after", None)
        if retry:
            response = app.make_response(response)
            response.headers["Retry-After"] = str(retry)
        return response

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return error_response(exc.description or exc.name, exc.code or 500)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # pragma: no cover - logged, never shown raw
        app.logger.exception("unhandled error")
        return error_response("internal error: the server could not answer this request", 500)

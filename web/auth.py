"""Signing in and out, changing one's password, and the admin's user page.

Sessions are server-side (``pockg.accounts``): the cookie carries a random
token, signed by Flask; signing out or a password change deletes the
session, so a copied cookie stops working. Failed sign-ins are counted per
account and per address (``pockg.accounts.SignInLimits``); past a limit the
answer is 429 with Retry-After, never a wait on the server. The address is
the client's, behind trusted proxies too (``web/proxy.py``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, g, redirect, render_template, request,
                   session, url_for)

from pockg.accounts import SignInLimits, wait_words
from pockg.curation.roles import DESCRIPTIONS, ROLES
from pockg.errors import ConfigurationError, NotFound
from web.state import current

bp = Blueprint("auth", __name__)


def sign_in_limits() -> SignInLimits:
    """The app's limits (LOGIN_LIMIT, LOGIN_WINDOW_S, LOGIN_THROTTLE_S)."""
    config, default = current_app.config, SignInLimits()
    return SignInLimits(int(config.get("LOGIN_LIMIT", default.limit)),
                        float(config.get("LOGIN_WINDOW_S", default.window_s)),
                        float(config.get("LOGIN_THROTTLE_S", default.throttle_s)))


def safe_next(target: str | None) -> str:
    """``next=`` only ever leads to a path on this site (no open redirect)."""
    target = (target or "").strip()
    parts = urlsplit(target)
    if (not target.startswith("/") or target.startswith("//") or "\\" in target
            or parts.scheme or parts.netloc):
        return url_for("browse.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    state = current()
    next_url = safe_next(request.values.get("next"))
    error = None
    status = 200
    if request.method == "POST":
        name = request.form.get("name", "").strip().lower()
        password = request.form.get("password", "")
        user = state.accounts.sign_in(name, password, request.remote_addr or "unknown",
                                      sign_in_limits())
        if user is None:
            error, status = "Wrong name or password, or the account is disabled.", 401
        else:
            started = state.accounts.start_session(user)
            session.clear()
            session["sid"] = started.token
            session.permanent = True
            return redirect(next_url)
    return render_template("auth/login.html", next_url=next_url, error=error), status


@bp.post("/logout")
def logout():
    token = session.get("sid")
    if token:
        current().accounts.end_session(token)
    session.clear()
    return redirect(url_for("browse.home"))


@bp.route("/account/password", methods=["GET", "POST"])
def password():
    state = current()
    error = None
    status = 200
    if request.method == "POST":
        old = request.form.get("old", "")
        new = request.form.get("new", "")
        if state.accounts.verify(g.user.name, old) is None:
            error, status = "The current password is wrong.", 400
        elif new != request.form.get("again", ""):
            error, status = "The two new passwords differ.", 400
        else:
            try:
                state.accounts.set_password(g.user.name, new)   # ends every session
            except ConfigurationError as exc:
                error, status = exc.message, 400
            else:
                started = state.accounts.start_session(g.user)
                session.clear()
                session["sid"] = started.token
                flash("Password changed; every other session was signed out.")
                return redirect(url_for("browse.home"))
    return render_template("auth/password.html", error=error), status


# -- the admin's pages ------------------------------------------------------------
def _users_page(error: str | None = None, status: int = 200):
    """The users, each with its failed sign-ins in the window, and the stopped addresses."""
    accounts = current().accounts
    limits = sign_in_limits()
    records, stopped = accounts.sign_in_records(limits)
    return render_template("auth/users.html", users=accounts.list(), roles=ROLES,
                           descriptions=DESCRIPTIONS, backups=_backups(), error=error,
                           sign_ins=records, stopped=stopped, limits=limits,
                           wait_words=wait_words), status


@bp.get("/admin/users")
def users():
    return _users_page()


@bp.post("/admin/users")
def add_user():
    state = current()
    try:
        state.accounts.add(request.form.get("name", "").strip(), request.form.get("role", ""),
                           request.form.get("password", ""))
    except ConfigurationError as exc:
        return _users_page(exc.message, 400)
    flash(f"Added {request.form.get('name')}.")
    return redirect(url_for("auth.users"))


@bp.post("/admin/users/<name>")
def change_user(name: str):
    state = current()
    accounts = state.accounts
    action = request.form.get("action")
    try:
        if action == "role":
            accounts.set_role(name, request.form.get("role", ""))
        elif action == "disable":
            accounts.set_disabled(name, True)
        elif action == "enable":
            accounts.set_disabled(name, False)
        elif action == "password":
            accounts.set_password(name, request.form.get("password", ""))
        else:
            raise ConfigurationError(f"unknown action {action!r}")
    except (ConfigurationError, NotFound) as exc:
        return _users_page(exc.message, exc.http_status if isinstance(exc, NotFound) else 400)
    flash({"role": f"{name} is now {request.form.get('role')}.",
           "disable": f"{name} is disabled and signed out everywhere.",
           "enable": f"{name} is enabled again.",
           "password": f"{name}'s password was reset; their sessions were signed out."}[action])
    return redirect(url_for("auth.users"))


def backup_dir() -> Path:
    configured = current_app.config.get("BACKUP_DIR")
    if configured:
        return Path(configured)
    return Path(f"{current().settings.store.rstrip('/')}.backups")


def _backups() -> list[str]:
    folder = backup_dir()
    return sorted((p.name for p in folder.iterdir() if p.is_dir()), reverse=True) if folder.is_dir() else []


@bp.post("/admin/backup")
def backup():
    from pockg.backup import backup_live

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir() / stamp
    state = current()
    backup_live(state.writer, state.full_store, state.accounts, target)
    flash(f"Backed up to {target}.")
    return redirect(url_for("auth.users"))

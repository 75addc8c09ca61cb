"""The pockg browser: ``create_app(config)`` builds a Flask app, one blueprint per area.

Nothing happens at import time: the store is opened, and the search index
checked, when the app is created.
"""

from __future__ import annotations

import logging
import os
import re
import time
from urllib.parse import quote

from flask import Flask, g, request

from web.config import PROFILES


def create_app(config: dict | None = None, profile: str | None = None) -> Flask:
    """The application, configured from a profile, a file, the environment and ``config``."""
    app = Flask(__name__, instance_relative_config=True)
    profile = profile or os.environ.get("POCKG_PROFILE", "production")
    app.config.from_object(PROFILES.get(profile, PROFILES["production"]))
    app.config.from_envvar("POCKG_SETTINGS", silent=True)
    app.config.from_prefixed_env("POCKG")
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        from pockg.errors import ConfigurationError

        raise ConfigurationError("SECRET_KEY is required outside development: set "
                                 "POCKG_SECRET_KEY, or run with POCKG_PROFILE=development")

    from web import state

    state.init_app(app)
    from web import errors, i18n, policy, security

    errors.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    policy.init_app(app)
    from web.urls import init_app as init_urls

    init_urls(app)
    for name in BLUEPRINTS:
        module = __import__(f"web.{name}", fromlist=["bp"])
        app.register_blueprint(module.bp)
    _request_logging(app)
    from web.proxy import TrustedProxies

    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config.get("TRUSTED_PROXIES"))
    return app


BLUEPRINTS = ("browse", "sparql", "search", "compare", "library", "ontology", "viz", "auth",
              "lessons", "documents")


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _request_logging(app: Flask) -> None:
    """One log line per request; control characters in the path are written as %XX."""
    log = logging.getLogger("pockg.web")

    @app.before_request
    def _start():
        g._t0 = time.perf_counter()

    @app.after_request
    def _log(response):
        ms = (time.perf_counter() - g.get("_t0", time.perf_counter())) * 1000
        path = CONTROL.sub(lambda m: quote(m.group()), request.full_path.rstrip("?"))
        log.info("%s %s %s %.1fms", request.method, path, response.status_code, ms)
        return response

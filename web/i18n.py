"""The interface in English and French, falling back to English.

Templates write ``_("English text")``; the French for it lives in
``web/translations/fr/*.json`` (one file per area, merged at start). The
language comes from ``?lang=``, then the ``lang`` cookie, then the browser's
Accept-Language.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import Flask, g, request

HERE = Path(__file__).parent / "translations"


def load_catalogs(languages) -> dict[str, dict[str, str]]:
    catalogs = {}
    for lang in languages:
        merged: dict[str, str] = {}
        for path in sorted((HERE / lang).glob("*.json")):
            merged.update(json.loads(path.read_text(encoding="utf-8")))
        catalogs[lang] = merged
    return catalogs


def current_language() -> str:
    return g.get("lang", "en")


def url_with_lang(lang: str) -> str:
    """The current URL with ``lang`` replaced, every other query parameter kept."""
    args = [(k, v) for k, vs in request.args.lists() if k != "lang" for v in vs]
    path = quote(request.script_root + request.path, safe="/:@!$&'()*+,;=-._~")
    return path + "?" + urlencode([*args, ("lang", lang)])


def init_app(app: Flask) -> None:
    languages = tuple(app.config["LANGUAGES"])
    catalogs = load_catalogs(languages)

    @app.before_request
    def _choose():
        wanted = request.args.get("lang") or request.cookies.get("lang")
        if wanted not in languages:
            wanted = request.accept_languages.best_match(languages) or languages[0]
        g.lang = wanted

    @app.after_request
    def _remember(response):
        if request.args.get("lang") in languages:
            response.set_cookie("lang", request.args["lang"], max_age=365 * 24 * 3600,
                                samesite="Lax", secure=app.config.get("SESSION_COOKIE_SECURE", True))
        return response

    def translate(text: str, **values) -> str:
        out = catalogs.get(current_language(), {}).get(text, text)
        return out.format(**values) if values else out

    app.jinja_env.globals.update(_=translate, current_language=current_language,
                                 languages=languages, url_with_lang=url_with_lang)
    app.extensions["pockg_translate"] = translate

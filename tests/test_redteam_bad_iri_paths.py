"""Issue 12, finding 10: addresses whose path cannot be part of an IRI
(``/id/%7B%7B7*7%7D%7D``, ``/lessons/L-%00``) answered 500 with a traceback
in the log. They name nothing: 404 (or 400 for a bad ``?uri=``) in the usual
page or JSON shape, with the one request line in the log."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

import pytest

from support import session_client, stop_workers, writable_app

BAD = ["{{7*7}}", "L-\x00", "L-\n", "a b", "<script>", 'a"b', "a\\b", "a^b", "a`b", "a|b",
       "a{b}", "L-\x7f"]


@pytest.fixture(scope="module")
def app(curated_store_path, tmp_path_factory):
    app = writable_app(curated_store_path, tmp_path_factory.mktemp("bad-iri-paths"),
                       users=(("boss", "admin"),), LOGIN_LIMIT=5)
    yield app
    stop_workers(app)


@pytest.fixture(scope="module")
def admin(app):
    """A client signed in as an admin (every route open to it), and its CSRF token."""
    return session_client(app, "boss")


def q(text: str) -> str:
    return quote(text, safe="")


def answer(client, caplog, method: str, url: str, data: dict | None = None):
    """The response, and what the app logged while answering it."""
    caplog.clear()
    with caplog.at_level(logging.DEBUG):
        response = client.open(url, method=method, data=data)
    return response, list(caplog.records)


def assert_quiet_refusal(response, records, url):
    body = response.get_data(as_text=True)
    assert response.status_code in (400, 404), (url, response.status_code, body[:300])
    assert "Traceback" not in body and "ValueError" not in body, url
    assert len(records) <= 1, (url, [r.getMessage() for r in records])
    for record in records:
        assert record.levelno < logging.ERROR and not record.exc_info, (url, record.getMessage())
        assert "\n" not in record.getMessage() and "\x00" not in record.getMessage(), \
            (url, record.getMessage())     # one line, not one per newline in the path


PATHS = [f"/id/{q(bad)}{twin}" for bad in BAD for twin in ("", ".ttl", ".json")] + [
    f"/id/operation/{q(bad)}" for bad in BAD] + [
    f"/lessons/{q(bad)}{tail}" for bad in BAD for tail in ("", "/edit", "/history")] + [
    f"/documents/{q(bad)}" for bad in BAD] + [
    f"/resource?uri={q(iri)}{fmt}" for iri in ("{{7*7}}", "https://example.org/a b",
                                                 "https://example.org/L-\x00", "https://x/<y>")
    for fmt in ("", "&format=ttl", "&format=json")] + [
    f"/graph?uri={q(iri)}" for iri in ("{{7*7}}", "https://example.org/a b",
                                        "https://example.org/L-\x00")]


@pytest.mark.parametrize("url", PATHS, ids=repr)
def test_finding10_get_with_a_non_iri_path_is_a_plain_404(admin, caplog, url):
    """GET of a path that cannot be an IRI answered 500 and logged a traceback."""
    client, _ = admin
    response, records = answer(client, caplog, "GET", url)
    assert_quiet_refusal(response, records, url)
    if url.split("?")[0].endswith(".json") or "format=json" in url:
        body = response.get_json()
        assert set(body) == {"ok", "error", "status"} and body["ok"] is False
        assert body["status"] == response.status_code


POSTS = [(f"/lessons/{q(bad)}/{action}", form) for bad in BAD for action, form in (
    ("edit", {"base": "1", "prefLabel": "x"}), ("transition", {"base": "1", "transition": "x"}),
    ("comment", {"text": "hello"}), ("revert", {"to": "1", "base": "2"}))] + [
    (f"/documents/{q(bad)}/{action}", form) for bad in BAD for action, form in (
        ("review", {"action": "accept", "link": "x"}),
        ("links", {"passage": "x", "start": "0", "end": "1", "concept": "concept/T1"}))]


@pytest.mark.parametrize("url, form", POSTS, ids=repr)
def test_finding10_post_with_a_non_iri_id_is_a_plain_404(admin, caplog, url, form):
    """POSTs to a lesson or document whose id cannot be an IRI answered 500."""
    client, csrf = admin
    response, records = answer(client, caplog, "POST", url, {**form, "csrf_token": csrf})
    assert_quiet_refusal(response, records, url)


def test_finding10_every_route_with_a_variable_refuses_non_iri_text_quietly(app, admin, caplog):
    """Any route (including later ones) given text that cannot be an IRI must not answer 500."""
    client, csrf = admin
    bad = q("{{7*7}}\x00")
    tried = 0
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint == "static":
            continue
        url = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", bad, rule.rule)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response, records = answer(client, caplog, method, url,
                                       {"csrf_token": csrf} if method == "POST" else None)
            tried += 1
            assert response.status_code < 500, (method, url, response.get_data(as_text=True)[:300])
            assert not [r for r in records if r.levelno >= logging.ERROR or r.exc_info], (method, url)
    assert tried >= 10


def test_finding10_real_paths_still_work(admin):
    """The check refuses only what cannot be an IRI: ordinary pages and twins still answer."""
    client, _ = admin
    for url in ("/id/operation/MONUC", "/id/operation/MONUC.ttl", "/id/operation/MONUC.json",
                "/id/document/workshop-2010/p/8.2.1"):
        assert client.get(url).status_code == 200, url
    missing = client.get("/lessons/L-nothing-here")
    assert missing.status_code == 404

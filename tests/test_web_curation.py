"""The web side of curation: every route × every role has a declared policy and
a pinned status; CSRF; sessions and cookies; sign-in limits; safe redirects;
drafts and internal lessons invisible to readers in pages, search, downloads,
queries and SPARQL; lesson text rendered as text."""

from __future__ import annotations

import json
import re
import shutil
import time
from urllib.parse import quote

import pytest

from pockg import vocab as V
from web import create_app
from web.policy import POLICY

PASSWORD = "a long password 1"
ROLES = ("reader", "contributor", "curator", "reviewer", "admin")


@pytest.fixture(scope="module")
def app(curated_store_path, tmp_path_factory):
    folder = tmp_path_factory.mktemp("web-curation")
    store = folder / "store"
    shutil.copytree(curated_store_path, store)
    app = create_app({"STORE": str(store), "READ_ONLY": False, "DB": str(folder / "users.sqlite"),
                      "BACKUP_DIR": str(folder / "backups"), "SPARQL_TIMEOUT_S": 5,
                      "LOGIN_LIMIT": 1000}, profile="testing")
    accounts = app.extensions["pockg"].accounts
    for role in ROLES[1:]:
        accounts.add(role, role, PASSWORD)
    accounts.add("author", "contributor", PASSWORD)
    yield app
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers:
        workers.shutdown()


def token_of(client, url="/login") -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def signed_in(app, name: str | None):
    client = app.test_client()
    if name and name != "reader":
        answer = client.post("/login", data={"name": name, "password": PASSWORD,
                                             "csrf_token": token_of(client)})
        assert answer.status_code == 302, answer.get_data(as_text=True)
    return client


@pytest.fixture(scope="module")
def clients(app):
    return {role: signed_in(app, role) for role in ROLES}


def submit(client, **fields) -> str:
    data = {"prefLabel": "Radios came late", "observation": "Radios reached villages late.",
            "mission": ["operation/MONUC"], "tier": ["concept/T1"],
            "publicity": "concept/PUB-PUBLIC", "csrf_token": token_of(client, "/lessons/new")}
    data.update(fields)
    answer = client.post("/lessons/new", data=data)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    return answer.headers["Location"].rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def draft(app):
    """An observation by `author` (a contributor other than the one in `clients`)."""
    return submit(signed_in(app, "author"), prefLabel="Draft about quokkas")


# -- every route × every role -------------------------------------------------------
def routes(draft: str) -> list[tuple[str, str, str, dict, dict]]:
    """(endpoint, method, url, form data, status by role)."""
    everyone = {r: 200 for r in ROLES}
    signed = {"reader": 403, **{r: 200 for r in ROLES[1:]}}
    staff = {"reader": 403, "contributor": 403, "curator": 200, "reviewer": 200, "admin": 200}
    admin = {r: 403 for r in ROLES[:-1]}
    hidden = {"reader": 404, "contributor": 404, "curator": 200, "reviewer": 200, "admin": 200}
    mon = quote(V.ID + "operation/MONUC", safe="")
    return [
        ("static", "GET", "/static/pockg.css", {}, everyone),
        ("browse.home", "GET", "/", {}, everyone),
        ("browse.listing", "GET", "/list/missions", {}, everyone),
        ("browse.entity", "GET", "/id/operation/MONUC", {}, everyone),
        ("browse.resource", "GET", f"/resource?uri={mon}", {}, everyone),
        ("browse.health", "GET", "/health", {}, everyone),
        ("sparql.endpoint", "GET", "/sparql", {}, everyone),
        ("search.page", "GET", "/search?q=MONUC", {}, everyone),
        ("search.suggest", "GET", "/suggest?q=MON", {}, everyone),
        ("compare.page", "GET", "/compare", {}, everyone),
        ("viz.heatmap", "GET", "/compare/heatmap", {}, everyone),
        ("viz.neighbourhood", "GET", f"/graph?uri={mon}", {}, everyone),
        ("library.index", "GET", "/queries", {}, everyone),
        ("library.query", "GET", "/queries/lessons", {}, everyone),
        ("ontology.index", "GET", "/ontology", {}, everyone),
        ("ontology.turtle", "GET", "/ontology.ttl", {}, everyone),
        ("auth.login", "GET", "/login", {}, everyone),
        ("auth.password", "GET", "/account/password", {}, signed),
        ("auth.users", "GET", "/admin/users", {}, {**admin, "admin": 200}),
        ("auth.add_user", "POST", "/admin/users", {"name": ""}, {**admin, "admin": 400}),
        ("auth.change_user", "POST", "/admin/users/nobody", {"action": "disable"},
         {**admin, "admin": 404}),
        ("auth.backup", "POST", "/admin/backup", {}, {**admin, "admin": 302}),
        ("lessons.index", "GET", "/lessons", {}, everyone),
        ("lessons.download", "GET", "/lessons/export.csv", {}, everyone),
        ("lessons.show", "GET", f"/lessons/{draft}", {}, hidden),
        ("lessons.new", "GET", "/lessons/new", {}, signed),
        ("lessons.edit", "GET", f"/lessons/{draft}/edit", {}, {**hidden, "reader": 403}),
        ("lessons.history", "GET", f"/lessons/{draft}/history", {}, {**hidden, "reader": 403}),
        ("lessons.transition", "POST", f"/lessons/{draft}/transition",
         {"transition": "reject", "base": "999"},   # stale: refused, back to the page (303)
         {"reader": 403, "contributor": 404, "curator": 303, "reviewer": 303, "admin": 303}),
        ("lessons.comment", "POST", f"/lessons/{draft}/comment", {"text": ""},
         {"reader": 403, **{r: 422 for r in ROLES[1:]}}),
        ("lessons.revert", "POST", f"/lessons/{draft}/revert", {"to": "1", "base": "999"},
         {"reader": 403, "contributor": 403, "curator": 303, "reviewer": 303, "admin": 303}),
        ("lessons.dashboard", "GET", "/lessons/dashboard", {}, staff),
        ("lessons.import_rows", "GET", "/lessons/import", {}, staff),
        ("documents.index", "GET", "/documents", {}, everyone),
        ("documents.show", "GET", "/documents/no-such-doc", {}, {r: 404 for r in ROLES}),
        ("documents.upload", "POST", "/documents", {}, {**staff, "curator": 400, "reviewer": 400,
                                                        "admin": 400}),
        ("documents.review", "POST", "/documents/no-such-doc/review", {"action": "accept"},
         {**staff, "curator": 400, "reviewer": 400, "admin": 400}),
        ("documents.add_link", "POST", "/documents/no-such-doc/links", {},
         {**staff, "curator": 400, "reviewer": 400, "admin": 400}),
        ("documents.set_about", "POST", "/documents/no-such-doc/about", {},
         {**staff, "curator": 404, "reviewer": 404, "admin": 404}),
        ("documents.upload_rdf", "POST", "/documents/rdf", {},
         {**staff, "curator": 400, "reviewer": 400, "admin": 400}),
        ("auth.logout", "POST", "/logout", {}, {"reader": 403, **{r: 302 for r in ROLES[1:]}}),
    ]


def test_every_route_has_a_declared_policy_and_a_pinned_status(app, draft):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(POLICY) == set(), "declare a policy in web/policy.py"
    pinned = {endpoint for endpoint, *_ in routes(draft)}
    assert endpoints - pinned == set(), "pin the new route's status for every role below"


@pytest.mark.parametrize("role", ROLES)
def test_each_route_answers_each_role_with_its_pinned_status(app, draft, role):
    client = signed_in(app, role)              # its own session: logout is the last route
    wrong = []
    for endpoint, method, url, data, expected in routes(draft):
        if method == "POST":
            answer = client.post(url, data={**data, "csrf_token": token_of(client, "/login")},
                                 headers={"Accept": "text/html"})
        else:
            answer = client.get(url)
        if answer.status_code != expected[role]:
            wrong.append(f"{method} {url}: {answer.status_code}, expected {expected[role]}")
    assert not wrong, "\n".join(wrong)


def test_a_route_without_a_policy_is_refused(app):
    from web.policy import allowed

    assert allowed("lessons.made_up_view", None) is None
    assert allowed("lessons.new", None) is False


# -- CSRF -------------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_posts_without_the_sessions_csrf_token_are_refused(clients, token):
    data = {"prefLabel": "x", "observation": "y", "publicity": "concept/PUB-PUBLIC"}
    if token:
        data["csrf_token"] = token
    answer = clients["curator"].post("/lessons/new", data=data)
    assert answer.status_code == 403
    assert "CSRF" in answer.get_data(as_text=True)


def test_the_sign_in_form_is_csrf_protected_too(app):
    answer = app.test_client().post("/login", data={"name": "curator", "password": PASSWORD})
    assert answer.status_code == 403


# -- what readers never see -------------------------------------------------------------
def sparql_rows(client, query: str) -> list:
    answer = client.get("/sparql", query_string={"query": query},
                        headers={"Accept": "application/sparql-results+json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["results"]["bindings"]


def visible_to_reader(app, lesson_id: str, word: str) -> dict:
    reader = app.test_client()
    iri = V.entity("lesson", lesson_id)
    found = {}
    found["list"] = lesson_id in reader.get("/lessons").get_data(as_text=True)
    found["page"] = reader.get(f"/lessons/{lesson_id}").status_code == 200
    found["entity page"] = reader.get(f"/id/lesson/{lesson_id}").status_code == 200
    found["mission page"] = lesson_id in reader.get("/id/operation/MONUC").get_data(as_text=True)
    found["download"] = lesson_id in reader.get("/lessons/export.json").get_data(as_text=True)
    found["query"] = lesson_id in reader.get("/queries/lessons?missions=MONUC").get_data(as_text=True)
    found["sparql"] = bool(sparql_rows(reader, f"SELECT ?p WHERE {{ <{iri}> ?p ?o }}"))
    found["sparql graph"] = bool(sparql_rows(
        reader, f"SELECT ?g WHERE {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}"))
    found["search"] = lesson_id in reader.get(f"/search?q={word}").get_data(as_text=True)
    return found


def wait_for_search(app, word: str, lesson_id: str, present: bool) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        hit = lesson_id in app.test_client().get(f"/search?q={word}").get_data(as_text=True)
        if hit == present:
            return
        time.sleep(0.2)


def test_drafts_reach_readers_nowhere_until_validated_then_everywhere(app, clients):
    lid = submit(clients["contributor"], prefLabel="Wombat patrol schedules")
    cur, rev = clients["curator"], clients["reviewer"]
    assert not any(visible_to_reader(app, lid, "wombat").values())
    answer = cur.post(f"/lessons/{lid}/edit", data={
        "csrf_token": token_of(cur, f"/lessons/{lid}/edit"), "base": "1",
        "prefLabel": "Wombat patrol schedules", "observation": "Radios reached villages late.",
        "mission": ["operation/MONUC"], "tier": ["concept/T1"], "publicity": "concept/PUB-PUBLIC",
        "remedialAction": "Publish patrol schedules", "actionBody": "actor/OCHA"})
    assert answer.status_code == 303
    assert cur.post(f"/lessons/{lid}/transition", data={
        "csrf_token": token_of(cur, f"/lessons/{lid}"), "base": "2",
        "transition": "endorse"}).status_code == 303
    assert not any(visible_to_reader(app, lid, "wombat").values())
    assert rev.post(f"/lessons/{lid}/transition", data={
        "csrf_token": token_of(rev, f"/lessons/{lid}"), "base": "3",
        "transition": "validate"}).status_code == 303
    wait_for_search(app, "wombat", lid, True)
    seen = visible_to_reader(app, lid, "wombat")
    assert all(seen.values()), seen


def test_internal_lessons_are_shown_to_staff_but_not_to_readers(app, clients):
    lid = submit(clients["contributor"], prefLabel="Internal numbat note",
                 publicity="concept/PUB-INTERNAL")
    cur, rev = clients["curator"], clients["reviewer"]
    cur.post(f"/lessons/{lid}/edit", data={
        "csrf_token": token_of(cur, f"/lessons/{lid}/edit"), "base": "1",
        "prefLabel": "Internal numbat note", "observation": "Radios reached villages late.",
        "mission": ["operation/MONUC"], "publicity": "concept/PUB-INTERNAL",
        "remedialAction": "Brief the section", "actionBody": "actor/OCHA"})
    cur.post(f"/lessons/{lid}/transition", data={"csrf_token": token_of(cur, f"/lessons/{lid}"),
                                                 "base": "2", "transition": "endorse"})
    rev.post(f"/lessons/{lid}/transition", data={"csrf_token": token_of(rev, f"/lessons/{lid}"),
                                                 "base": "3", "transition": "validate"})
    assert clients["contributor"].get(f"/lessons/{lid}").status_code == 200
    assert lid in clients["contributor"].get("/lessons/export.json").get_data(as_text=True)
    assert not any(visible_to_reader(app, lid, "numbat").values())


def test_a_stale_edit_answers_409_with_what_changed(app, clients):
    lid = submit(clients["contributor"])
    cur = clients["curator"]
    base = {"prefLabel": "Radios came late", "observation": "Radios reached villages late.",
            "mission": ["operation/MONUC"], "tier": ["concept/T1"],
            "publicity": "concept/PUB-PUBLIC", "base": "1"}
    first = cur.post(f"/lessons/{lid}/edit", data={**base, "discussion": "First",
                                                   "csrf_token": token_of(cur, f"/lessons/{lid}/edit")})
    assert first.status_code == 303
    second = cur.post(f"/lessons/{lid}/edit", data={**base, "conclusion": "Second",
                                                    "csrf_token": token_of(cur, f"/lessons/{lid}/edit")})
    assert second.status_code == 409
    assert "discussion" in second.get_data(as_text=True)
    as_json = cur.post(f"/lessons/{lid}/edit", headers={"Accept": "application/json"},
                       data={**base, "csrf_token": token_of(cur, f"/lessons/{lid}/edit")})
    assert as_json.status_code == 409 and as_json.get_json()["changed"] == ["discussion"]


def test_a_stale_lifecycle_move_changes_nothing_and_says_why(app, clients):
    lid = submit(clients["contributor"])
    cur = clients["curator"]
    token = token_of(cur, f"/lessons/{lid}")
    cur.post(f"/lessons/{lid}/edit", data={
        "csrf_token": token, "base": "1", "prefLabel": "Radios came late",
        "observation": "Changed meanwhile", "publicity": "concept/PUB-PUBLIC"})
    answer = cur.post(f"/lessons/{lid}/transition", data={"csrf_token": token, "base": "1",
                                                          "transition": "reject"})
    assert answer.status_code == 303
    page = cur.get(f"/lessons/{lid}").get_data(as_text=True)
    assert "Not moved" in page and "observation" in page
    curator = app.extensions["pockg"].accounts.get("curator")
    assert app.extensions["pockg"].curation.get(lid, curator).state.endswith("LC-OBSERVATION")
    as_json = cur.post(f"/lessons/{lid}/transition", headers={"Accept": "application/json"},
                       data={"csrf_token": token, "base": "1", "transition": "reject"})
    assert as_json.status_code == 409


def test_lesson_text_with_html_is_rendered_as_text(app, clients):
    nasty = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    lid = submit(clients["contributor"], observation=nasty)
    page = clients["curator"].get(f"/lessons/{lid}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_field_errors_are_shown_next_to_their_fields(clients):
    client = clients["contributor"]
    answer = client.post("/lessons/new", data={"csrf_token": token_of(client, "/lessons/new"),
                                               "prefLabel": "", "mission": ["concept/T1"],
                                               "publicity": "concept/PUB-PUBLIC"})
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert 'id="e-observation"' in page and 'id="e-mission"' in page


# -- sessions, cookies, sign-in ------------------------------------------------------------
def test_a_copied_cookie_stops_working_after_sign_out(app):
    client = signed_in(app, "curator")
    cookie = client.get_cookie("pockg_session")
    thief = app.test_client()
    thief.set_cookie("pockg_session", cookie.value)
    assert thief.get("/lessons/dashboard").status_code == 200
    client.post("/logout", data={"csrf_token": token_of(client, "/lessons")})
    assert thief.get("/lessons/dashboard").status_code == 403


def test_a_password_change_signs_out_copied_cookies(app):
    app.extensions["pockg"].accounts.add("pat", "curator", PASSWORD)
    client = signed_in(app, "pat")
    thief = app.test_client()
    thief.set_cookie("pockg_session", client.get_cookie("pockg_session").value)
    answer = client.post("/account/password", data={
        "csrf_token": token_of(client, "/account/password"), "old": PASSWORD,
        "new": "a new long password", "again": "a new long password"})
    assert answer.status_code == 302
    assert thief.get("/lessons/dashboard").status_code == 403
    assert client.get("/lessons/dashboard").status_code == 200


def test_production_cookies_are_secure_httponly_and_samesite_lax(curated_store_path, tmp_path):
    app = create_app({"STORE": str(curated_store_path), "READ_ONLY": True,
                      "SECRET_KEY": "x" * 32, "DB": str(tmp_path / "u.sqlite")},
                     profile="production")
    app.extensions["pockg"].accounts.add("maria", "curator", PASSWORD)
    client = app.test_client()
    answer = client.post("/login", data={"name": "maria", "password": PASSWORD,
                                         "csrf_token": token_of(client)})
    assert answer.status_code == 302
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("pockg_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie


def test_repeated_failed_sign_ins_get_429_with_retry_after(curated_store_path, tmp_path):
    app = create_app({"STORE": str(curated_store_path), "DB": str(tmp_path / "u.sqlite"),
                      "LOGIN_LIMIT": 3}, profile="testing")
    app.extensions["pockg"].accounts.add("maria", "curator", PASSWORD)
    client = app.test_client()
    codes = [client.post("/login", data={"name": "maria", "password": "wrong password!",
                                         "csrf_token": token_of(client)}).status_code
             for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    blocked = client.post("/login", data={"name": "maria", "password": PASSWORD,
                                          "csrf_token": token_of(client)})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


@pytest.mark.parametrize("target, expected", [
    ("/lessons", "/lessons"), ("https://evil.example/", "/"), ("//evil.example/x", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
])
def test_next_never_leads_off_the_site(app, target, expected):
    client = app.test_client()
    answer = client.post("/login", data={"name": "curator", "password": PASSWORD, "next": target,
                                         "csrf_token": token_of(client)})
    assert answer.status_code == 302
    assert answer.headers["Location"] == expected


def test_a_read_only_server_refuses_curation_writes(curated_store_path, tmp_path):
    app = create_app({"STORE": str(curated_store_path), "DB": str(tmp_path / "u.sqlite")},
                     profile="testing")
    app.extensions["pockg"].accounts.add("maria", "curator", PASSWORD)
    client = signed_in(app, "maria")
    answer = client.post("/lessons/new", data={
        "csrf_token": token_of(client, "/lessons/new"), "prefLabel": "t", "observation": "o",
        "publicity": "concept/PUB-PUBLIC"})
    assert answer.status_code == 403 and "read-only" in answer.get_data(as_text=True)


def test_the_dashboard_counts_lessons_by_state_mission_and_tier(clients):
    data = clients["curator"].get("/lessons/dashboard?format=json").get_json()
    assert data["total"] >= 1
    assert sum(data["by_state"].values()) == data["total"]
    assert V.ID + "operation/MONUC" in data["by_mission"]
    assert all("median_days" in v for v in data["time_in_state"].values())
    assert json.dumps(data)


def form_of(client) -> dict:
    """The hidden fields of a fresh "Submit an observation" form."""
    page = client.get("/lessons/new").get_data(as_text=True)
    return {name: re.search(rf'name="{name}" value="([^"]+)"', page).group(1)
            for name in ("csrf_token", "submission")}


def test_the_same_submission_sent_twice_makes_one_lesson(app, clients):
    contributor = clients["contributor"]
    data = {"prefLabel": "Double-clicked submit", "observation": "Sent twice by accident.",
            "publicity": "concept/PUB-PUBLIC", **form_of(contributor)}
    first = contributor.post("/lessons/new", data=data)
    second = contributor.post("/lessons/new", data=data)          # the retry
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert first.headers["Location"].endswith("/" + data["submission"])
    state = app.extensions["pockg"]
    everything = state.curation.list(state.accounts.get("curator"))
    assert [r["title"] for r in everything].count("Double-clicked submit") == 1
    assert state.curation.get(data["submission"], state.accounts.get("curator")).revision == 1


def test_another_users_submission_id_is_refused_not_taken_over(app, clients):
    data = {"prefLabel": "Mine", "observation": "Submitted by the contributor.",
            "publicity": "concept/PUB-PUBLIC", **form_of(clients["contributor"])}
    assert clients["contributor"].post("/lessons/new", data=data).status_code == 303
    taken = {**data, "prefLabel": "Theirs", "csrf_token": form_of(clients["curator"])["csrf_token"]}
    assert clients["curator"].post("/lessons/new", data=taken).status_code == 409
    page = clients["contributor"].get(f"/lessons/{data['submission']}").get_data(as_text=True)
    assert "Mine" in page and "Theirs" not in page


def test_a_signed_in_page_is_never_kept_for_someone_else(app, clients):
    """Two people with the same role: each page shows its own viewer and form token."""
    page = "/id/operation/MONUC"
    first = clients["contributor"].get(page).get_data(as_text=True)
    author = signed_in(app, "author")
    second = author.get(page).get_data(as_text=True)
    assert '<span class="who">contributor ' in first
    assert '<span class="who">author ' in second and '<span class="who">contributor' not in second
    token = re.search(r'name="csrf_token" value="([^"]+)"', second).group(1)
    assert token == token_of(author, "/lessons/new")          # the author's own token


def test_a_one_time_message_is_not_kept_for_other_readers(app):
    page = "/id/operation/UNAMID"
    reader = app.test_client()
    with reader.session_transaction() as session:
        session["_flashes"] = [("message", "Only for this reader")]
    assert "Only for this reader" in reader.get(page).get_data(as_text=True)
    assert "Only for this reader" not in app.test_client().get(page).get_data(as_text=True)

"""Curating a lesson in real headless Chromium against the real production server
(issue 4, "Tests"): a contributor submits an observation, a curator turns it into
a lesson identified, a reviewer validates it, and only then does a reader see it,
on every page, in search, in the downloads and through SPARQL. Also: the history
and revert, two curators saving the same lesson, HTML in a lesson's text, and the
admin's user page.

Every step goes through the pages a person would use (no direct HTTP posts).
Each person works in a browser context of their own (their own cookies); the
reader's context never signs in. Each step leaves a screenshot in
tests/artifacts/browser/, named ``<test>-<nn>-<who>-<step>.png``.

The server (``curation_server``) is built once for this file: ``pockg build``
into a temporary store, one account per role made with ``pockg user add
--password-stdin`` into the store's default accounts database
(``<store>.users.sqlite``), then ``pockg serve`` (conftest's ``Server``).
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import subprocess
import time
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures fail and say that scripts/test.sh installs it
    expect = None

from .conftest import (
    STEP_TIMEOUT_MS,
    Server,
    build_store,
    pockg_command,
    server_env,
    slug,
)

ID = "https://w3id.org/pockg/id/"
PEOPLE = {"carla": "contributor", "cura": "curator", "rev": "reviewer", "ada": "admin"}
MONUC = "operation/MONUC"
T1 = "concept/T1"
PUBLIC = "concept/PUB-PUBLIC"
OCHA = "actor/OCHA"
SEARCH_WAIT_S = 15          # the index is rebuilt ~0.5 s after a save, in the background
DRAFT_QUIET_S = 2.0         # a draft must stay out of search at least this long after a save
HTML_PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"

SET_QUERY = """(text) => {
  const wrapper = document.querySelector('.CodeMirror');
  if (wrapper && wrapper.CodeMirror) { wrapper.CodeMirror.setValue(text); return 'codemirror'; }
  return null;
}"""


def unique(word: str) -> str:
    """A word no page of the graph has: the test's own lesson is the only match."""
    return f"{word}{secrets.token_hex(3)}"


# -- the server, with one account per role -------------------------------------------
@pytest.fixture(scope="module")
def curation_server(tmp_path_factory):
    """``pockg serve`` on a freshly built store with the accounts of PEOPLE."""
    root = tmp_path_factory.mktemp("curation-server")
    store = root / "store"
    build_store(store)
    passwords = {}
    for name, role in PEOPLE.items():
        passwords[name] = secrets.token_urlsafe(18)
        done = subprocess.run(
            [*pockg_command(), "user", "add", name, "--role", role, "--password-stdin",
             "--store", str(store)],
            input=passwords[name] + "\n", capture_output=True, text=True, timeout=120,
            check=False, env=server_env())
        assert done.returncode == 0, f"pockg user add {name} failed:\n{done.stdout}\n{done.stderr}"
    assert Path(f"{store}.users.sqlite").is_file(), "the accounts are not beside the store"
    server = Server(store, root / "serve.log")
    server.passwords = passwords
    try:
        server.wait_healthy()
        yield server
    finally:
        server.stop()


# -- people, each in a browser context of their own --------------------------------------
def watch(tab) -> None:
    """Script errors, CSP violations and any dialog (alert, confirm) are problems."""
    tab.problems = []
    tab.on("pageerror", lambda exc: tab.problems.append(f"script error: {exc}"))
    tab.on("console", lambda msg: tab.problems.append(f"console: {msg.text}")
           if msg.type == "error" and "Content Security Policy" in msg.text else None)

    def dialog(d):
        tab.problems.append(f"a {d.type} dialog opened: {d.message!r}")
        d.dismiss()

    tab.on("dialog", dialog)


@pytest.fixture
def people(request, browser_context, curation_server, artifacts):
    """``people(name)`` opens a tab in a new browser context and signs ``name`` in
    through the sign-in form; ``people(None)`` is an anonymous reader.
    ``people.tab(tab)`` opens a second tab of the same person (same cookies).
    Problems on any tab fail the test; a failed test keeps a screenshot of each tab."""
    browser = browser_context.browser
    if browser is None:
        pytest.fail("playwright gives no Browser for the persistent context: the curation "
                    "journeys need several browser contexts (one per person)", pytrace=False)
    contexts, tabs = [], []

    def new_tab(context, who: str):
        tab = context.new_page()
        tab.who = who
        watch(tab)
        tabs.append(tab)
        return tab

    def open_as(name: str | None):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        context.set_default_timeout(STEP_TIMEOUT_MS)
        contexts.append(context)
        tab = new_tab(context, name or "reader")
        if name is None:
            tab.goto(curation_server.url + "/")
            expect(tab.locator("nav.account")).to_contain_text("Sign in")
        else:
            sign_in(tab, curation_server, name, curation_server.passwords[name])
        return tab

    open_as.tab = lambda tab: new_tab(tab.context, tab.who)
    yield open_as

    failed = getattr(request.node, "rep_call", None)
    for i, tab in enumerate(tabs):
        if failed is not None and failed.failed and not tab.is_closed():
            try:
                tab.screenshot(path=str(artifacts / f"FAILED-{slug(request.node.name)}-"
                                                    f"{i}-{tab.who}.png"), full_page=True)
            except Exception:  # noqa: BLE001, S110 - the test has failed already; keep its error
                pass
    problems = [f"{tab.who} at {tab.url}: {p}" for tab in tabs for p in tab.problems]
    for context in contexts:
        context.close()
    assert not problems, "the pages reported problems:\n" + "\n".join(problems)


@pytest.fixture
def shot(artifacts, request):
    """The conftest's ``shot`` for any tab: ``shot(tab, "step")`` keeps a full-page
    screenshot named after the test, the step number, who is looking and the step
    (the conftest's one only sees its own ``page``; these journeys have a tab per person)."""
    journey = slug(request.node.name.removeprefix("test_"))
    count = {"n": 0}

    def take(tab, step: str) -> Path:
        count["n"] += 1
        path = artifacts / f"{journey}-{count['n']:02d}-{slug(tab.who)}-{slug(step)}.png"
        tab.screenshot(path=str(path), full_page=True)
        return path

    return take


# -- steps -------------------------------------------------------------------------------
def sign_in(tab, server, name: str, password: str) -> None:
    tab.goto(server.url + "/")
    tab.locator("nav.account").get_by_role("link", name="Sign in").click()
    expect(tab.locator("h1")).to_have_text("Sign in")
    tab.locator("#name").fill(name)
    tab.locator("#password").fill(password)
    tab.locator("#main").get_by_role("button", name="Sign in").click()
    expect(tab.locator("nav.account .who")).to_contain_text(name)


def lesson_id_of(tab) -> str:
    match = re.search(r"/lessons/(L-[0-9A-Za-z._-]+)$", tab.url)
    assert match, f"not on a lesson's page: {tab.url}"
    return match.group(1)


def submit(tab, server, title: str, observation: str, *, remedial: str | None = None,
           action_body: str | None = None) -> str:
    """Fill in 'Submit an observation' (MONUC, T1, public) and save; the lesson's id."""
    tab.goto(server.url + "/")
    tab.locator("header nav").get_by_role("link", name="Lessons", exact=True).click()
    tab.locator("#main").get_by_role("link", name="Submit an observation").click()
    expect(tab.locator("h1")).to_have_text("Submit an observation")
    form = tab.locator("form.lesson-form")
    form.locator("#f-prefLabel").fill(title)
    form.locator("#f-observation").fill(observation)
    form.locator("#f-mission").select_option(MONUC)          # the mission picker
    form.locator("#f-tier").select_option(T1)
    form.locator("#f-publicity").select_option(PUBLIC)
    if remedial is not None:
        form.locator("#f-remedialAction").fill(remedial)
    if action_body is not None:
        form.locator("#f-actionBody").select_option(action_body)
    form.get_by_role("button", name="Save").click()
    expect(tab.locator("ul.flash")).to_contain_text("Observation submitted.")
    expect(tab.locator("h1")).to_have_text(title)
    expect(tab.locator("span.state")).to_have_attribute("data-state", re.compile("LC-OBSERVATION$"))
    return lesson_id_of(tab)


def open_lesson(tab, server, lesson_id: str, title: str) -> None:
    """From the list of lessons to the lesson's page."""
    tab.goto(server.url + "/lessons")
    tab.locator("table.lessons").get_by_role("link", name=title, exact=True).click()
    expect(tab).to_have_url(re.compile(f"/lessons/{re.escape(lesson_id)}$"))
    expect(tab.locator("h1")).to_have_text(title)


def move(tab, label: str, state: str) -> None:
    """Press a lifecycle button on the lesson's page; the lesson is then in ``state``."""
    tab.locator("section.actions").get_by_role("button", name=label, exact=True).click()
    expect(tab.locator("ul.flash")).to_contain_text("Moved.")
    expect(tab.locator("span.state")).to_have_attribute("data-state", re.compile(f"{state}$"))


def publish(people, server, lesson_id: str, title: str, shot=None) -> None:
    """A curator adds what 'identify' needs if missing and identifies the lesson;
    a reviewer validates it."""
    curator = people("cura")
    open_lesson(curator, server, lesson_id, title)
    if not curator.locator("dl.lesson dt", has_text="action body").count():
        curator.locator("#main").get_by_role("link", name="Edit", exact=True).click()
        curator.locator("#f-remedialAction").fill("Share the warning with the protection cluster.")
        curator.locator("#f-actionBody").select_option(OCHA)
        curator.locator("form.lesson-form").get_by_role("button", name="Save").click()
        expect(curator.locator("ul.flash")).to_contain_text("Saved.")
    move(curator, "identify as a lesson", "LC-IDENTIFIED")
    if shot:
        shot(curator, "identified")
    reviewer = people("rev")
    open_lesson(reviewer, server, lesson_id, title)
    move(reviewer, "validate as learned", "LC-LEARNED")
    expect(reviewer.locator("[data-tier]")).to_have_attribute("data-tier", "public")
    if shot:
        shot(reviewer, "validated")


def search_for(tab, word: str) -> None:
    """Type ``word`` into the header's search box and go to the results page."""
    box = tab.locator("#q")
    box.fill(word)
    with tab.expect_navigation():
        box.press("Enter")
    expect(tab).to_have_url(re.compile(r"/search\?q="))
    expect(tab.locator(".search-status")).to_contain_text(word)


def link_to(lesson_id: str) -> str:
    """A link to the lesson, its page or its graph entity (/lessons/ID, /id/lesson/ID)."""
    return f"a[href$='/lesson/{lesson_id}'], a[href$='/lessons/{lesson_id}']"


def lesson_links(tab, lesson_id: str):
    return tab.locator("#main").locator(link_to(lesson_id))


def sparql_rows(tab, server, lesson_id: str):
    """Run a SELECT for the lesson's IRI in the SPARQL editor; the result rows."""
    tab.goto(server.url + "/")
    tab.locator("header nav").get_by_role("link", name="SPARQL", exact=True).click()
    expect(tab.locator("button#run-query")).to_be_visible()
    tab.wait_for_load_state("load")            # CodeMirror (deferred) has wrapped the textarea
    query = f"SELECT ?p ?o WHERE {{ <{ID}lesson/{lesson_id}> ?p ?o }}"
    if tab.evaluate(SET_QUERY, query) is None:
        tab.locator("textarea#query").fill(query)
    tab.locator("button#run-query").click()
    expect(tab.locator("section.sparql-results [role=status]")).to_contain_text("rows")
    return tab.locator("table#results tbody tr")


def export_ids(tab, server) -> list[str]:
    """The ids in /lessons/export.json, reached from the lessons page's JSON link."""
    tab.goto(server.url + "/lessons")
    href = tab.locator("#main a[type='application/json']").get_attribute("href")
    assert href and href.endswith("/lessons/export.json"), href
    response = tab.goto(server.url + href)
    assert response is not None and response.status == 200
    return [row["id"] for row in response.json()["lessons"]]


def reader_cannot_see(reader, server, lesson_id: str, title: str, word: str, saved_at: float,
                      shot) -> None:
    """Every way a reader could meet the lesson, and none shows it."""
    reader.goto(server.url + "/")
    reader.locator("header nav").get_by_role("link", name="Lessons", exact=True).click()
    expect(reader.locator("h1")).to_have_text("Lessons learned")
    expect(reader.locator("#main")).not_to_contain_text(title)
    expect(lesson_links(reader, lesson_id)).to_have_count(0)
    shot(reader, "lessons without the draft")

    for path in (f"/lessons/{lesson_id}", f"/id/lesson/{lesson_id}"):
        response = reader.goto(server.url + path)
        assert response is not None and response.status == 404, (path, response and response.status)
        expect(reader.locator("#main")).not_to_contain_text(title)
    shot(reader, "the draft's page is not found")

    reader.goto(server.url + "/id/operation/MONUC")
    expect(reader.locator("h1")).to_contain_text("MONUC")
    expect(lesson_links(reader, lesson_id)).to_have_count(0)
    expect(reader.locator("#main")).not_to_contain_text(title)
    shot(reader, "MONUC without the draft")

    assert lesson_id not in export_ids(reader, server)

    rows = sparql_rows(reader, server, lesson_id)
    expect(reader.locator("section.sparql-results [role=status]")).to_have_text("0 rows")
    expect(rows).to_have_count(0)
    shot(reader, "SPARQL finds nothing")

    # The search index is rebuilt in the background after each save: a draft must
    # stay out of it once that has had time to happen, so look until then.
    reader.goto(server.url + "/")
    search_for(reader, word)
    while True:
        expect(reader.locator("#main")).not_to_contain_text(title)
        expect(lesson_links(reader, lesson_id)).to_have_count(0)
        if time.monotonic() - saved_at >= DRAFT_QUIET_S:
            break
        reader.wait_for_timeout(500)
        reader.reload()
    shot(reader, "search without the draft")


def wait_for_search_hit(tab, lesson_id: str, word: str):
    """Search for ``word`` until the lesson is among the results (the index lags a save)."""
    deadline = time.monotonic() + SEARCH_WAIT_S
    search_for(tab, word)
    while True:
        hit = tab.locator("ol.results > li").filter(has=tab.locator(link_to(lesson_id)))
        if hit.count():
            return hit.first
        assert time.monotonic() < deadline, (
            f"lesson {lesson_id} not in the search results for {word!r} after {SEARCH_WAIT_S} s")
        tab.wait_for_timeout(300)
        tab.reload()


# -- the journey ---------------------------------------------------------------------------
def test_observation_becomes_a_published_lesson_only_after_review(people, curation_server, shot):
    server = curation_server
    word = unique("Zebrafinch")
    title = f"{word} early warning reached the villages too late"
    observation = ("Alerts from community liaison assistants took two days to reach the "
                   "company base; the attack on the village came first.")

    # A contributor submits an observation through the form.
    contributor = people("carla")
    shot(contributor, "signed in")
    contributor.goto(server.url + "/lessons/new")
    shot(contributor, "empty form")
    lesson_id = submit(contributor, server, title, observation)
    saved_at = time.monotonic()
    expect(contributor.locator("[data-tier]")).to_have_attribute("data-tier", "draft")
    expect(contributor.locator("dl.lesson")).to_contain_text("MONUC")
    shot(contributor, "observation submitted")

    # A reader sees nothing of it, anywhere.
    reader = people(None)
    reader_cannot_see(reader, server, lesson_id, title, word, saved_at, shot)

    # A curator adds the remedial action and the action body, and identifies it.
    curator = people("cura")
    open_lesson(curator, server, lesson_id, title)
    shot(curator, "the observation")
    curator.locator("#main").get_by_role("link", name="Edit", exact=True).click()
    expect(curator.locator("h1")).to_have_text(f"Edit {title}")
    expect(curator.locator("#f-observation")).to_have_value(observation)
    curator.locator("#f-remedialAction").fill(
        "Give community liaison assistants a direct radio link to the company base.")
    curator.locator("#f-actionBody").select_option(OCHA)
    shot(curator, "remedial action and action body")
    curator.locator("form.lesson-form").get_by_role("button", name="Save").click()
    expect(curator.locator("ul.flash")).to_contain_text("Saved.")
    lesson = curator.locator("dl.lesson")
    expect(lesson).to_contain_text("direct radio link")
    expect(lesson).to_contain_text("Office for the Coordination of Humanitarian Affairs")
    move(curator, "identify as a lesson", "LC-IDENTIFIED")
    shot(curator, "lesson identified")

    # Identified is not published yet.
    response = reader.goto(server.url + f"/lessons/{lesson_id}")
    assert response is not None and response.status == 404, response and response.status

    # A reviewer validates it.
    reviewer = people("rev")
    open_lesson(reviewer, server, lesson_id, title)
    shot(reviewer, "the lesson identified")
    move(reviewer, "validate as learned", "LC-LEARNED")
    expect(reviewer.locator("[data-tier]")).to_have_attribute("data-tier", "public")
    expect(reviewer.locator("dl.lesson")).to_contain_text("validated by")
    shot(reviewer, "lesson learned")

    # Now the reader sees it: the list, its page ...
    open_lesson(reader, server, lesson_id, title)
    expect(reader.locator("span.state")).to_have_attribute("data-state", re.compile("LC-LEARNED$"))
    expect(reader.locator("dl.lesson")).to_contain_text(observation)
    expect(reader.locator("#main").get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    expect(reader.locator("section.actions")).to_have_count(0)
    shot(reader, "the published lesson")

    # ... the MONUC mission page, which links to it ...
    reader.locator("header nav").get_by_role("link", name="Missions", exact=True).click()
    reader.locator("ul.listing").get_by_role("link", name="MONUC", exact=True).click()
    expect(reader).to_have_url(re.compile(r"/id/operation/MONUC$"))
    link = lesson_links(reader, lesson_id)
    expect(link.first).to_have_text(title)
    shot(reader, "MONUC links to the lesson")
    link.first.click()
    expect(reader).to_have_url(re.compile(f"/id/lesson/{re.escape(lesson_id)}$"))
    expect(reader.locator("h1")).to_contain_text(title)
    shot(reader, "the lesson in the graph")

    # ... the comparison of lessons by mission ...
    reader.goto(server.url + "/queries/lessons?missions=MONUC")
    form = reader.locator("form#query-form")
    expect(form.locator("input[name=missions][value=MONUC]")).to_be_checked()
    reader.locator("button#query-run").click()
    results = reader.locator("table#results")
    lesson_cell = results.locator("td[data-column=lesson]").filter(has=reader.locator(link_to(lesson_id)))
    expect(lesson_cell).to_have_count(1)
    row = results.locator("tbody tr").filter(has=reader.locator(link_to(lesson_id)))
    expect(row.locator("td[data-column=mission]")).to_have_text("MONUC")
    expect(row.locator("td[data-column=state]")).to_have_text("lesson learned")
    shot(reader, "lessons by mission")

    # ... the download, SPARQL and search.
    assert lesson_id in export_ids(reader, server)
    rows = sparql_rows(reader, server, lesson_id)
    expect(rows.first).to_be_visible()
    expect(reader.locator("table#results")).to_contain_text("pockg:Lesson")
    shot(reader, "SPARQL finds the lesson")
    reader.goto(server.url + "/")
    hit = wait_for_search_hit(reader, lesson_id, word)
    expect(hit).to_contain_text(word)
    shot(reader, "search finds the lesson")


# -- history and revert --------------------------------------------------------------------
def test_history_shows_who_did_what_and_revert_adds_a_revision(people, curation_server, shot):
    server = curation_server
    title = f"{unique('Okapi')} patrol schedules were predictable"
    first = "Patrols left the base at the same hour every day."
    second = "Patrols left at the same hour every day, and armed groups knew it."
    contributor = people("carla")
    lesson_id = submit(contributor, server, title, first)

    curator = people("cura")
    open_lesson(curator, server, lesson_id, title)
    curator.locator("#main").get_by_role("link", name="Edit", exact=True).click()
    curator.locator("#f-observation").fill(second)
    curator.locator("form.lesson-form").get_by_role("button", name="Save").click()
    expect(curator.locator("ul.flash")).to_contain_text("Saved.")
    expect(curator.locator("dl.lesson")).to_contain_text(second)

    curator.locator("#main").get_by_role("link", name="History", exact=True).click()
    expect(curator).to_have_url(re.compile(f"/lessons/{re.escape(lesson_id)}/history$"))
    expect(curator.locator("h1")).to_have_text("History")
    revisions = curator.locator("ol.history > li")
    expect(revisions).to_have_count(2)
    created, edited = curator.locator("li#rev-1"), curator.locator("li#rev-2")
    expect(created.locator("h2")).to_contain_text("create")
    expect(created.locator("p.hint")).to_contain_text("carla")
    expect(created.locator("td.diff-add")).to_contain_text([first])
    expect(edited.locator("h2")).to_contain_text("edit")
    expect(edited.locator("p.hint")).to_contain_text("cura")
    change = edited.locator("table.diff tbody tr").filter(
        has=curator.get_by_role("rowheader", name="observation", exact=True))
    expect(change.locator("td.diff-del")).to_have_text(first)
    expect(change.locator("td.diff-add")).to_have_text(second)
    # the latest revision is the current one: nothing to revert to there
    expect(edited.get_by_role("button", name="Revert to this revision")).to_have_count(0)
    shot(curator, "history with two revisions")

    created.get_by_role("button", name="Revert to this revision").click()
    expect(curator.locator("ul.flash")).to_contain_text("Reverted to revision 1.")
    expect(revisions).to_have_count(3)
    reverted = curator.locator("li#rev-3")
    expect(reverted.locator("h2")).to_contain_text("revert")
    expect(reverted.locator("p.hint")).to_contain_text("cura")
    expect(reverted.locator("p.hint")).to_contain_text("reverted to revision 1")
    expect(reverted.locator("td.diff-add")).to_contain_text([first])
    expect(curator.locator("li#rev-2")).to_be_visible()           # nothing was erased
    shot(curator, "history after the revert")

    curator.locator("#main p a").filter(has_text=title).click()
    expect(curator).to_have_url(re.compile(f"/lessons/{re.escape(lesson_id)}$"))
    expect(curator.locator("dl.lesson")).to_contain_text(first)
    expect(curator.locator("dl.lesson")).not_to_contain_text(second)
    expect(curator.locator("#main")).to_contain_text("revision 3")
    shot(curator, "the lesson as revision 1 left it")


# -- two curators, one lesson ---------------------------------------------------------------
def test_second_save_of_a_stale_edit_gets_a_conflict(people, curation_server, shot):
    server = curation_server
    title = f"{unique('Bongo')} night patrols near camps"
    original = "Night patrols near the camps were rare."
    theirs = "Night patrols near the camps began in March and cut attacks."
    mine = "Night patrols near the camps were cancelled for lack of fuel."
    first_tab = people("cura")
    lesson_id = submit(first_tab, server, title, original)
    second_tab = people.tab(first_tab)

    for tab in (first_tab, second_tab):
        open_lesson(tab, server, lesson_id, title)
        tab.locator("#main").get_by_role("link", name="Edit", exact=True).click()
        expect(tab.locator("#f-observation")).to_have_value(original)
    first_tab.locator("#f-observation").fill(theirs)
    second_tab.locator("#f-observation").fill(mine)
    shot(second_tab, "two edit forms open")

    first_tab.locator("form.lesson-form").get_by_role("button", name="Save").click()
    expect(first_tab.locator("ul.flash")).to_contain_text("Saved.")
    shot(first_tab, "first save")

    second_tab.locator("form.lesson-form").get_by_role("button", name="Save").click()
    conflict = second_tab.locator("section.conflict")
    expect(conflict).to_be_visible()
    expect(conflict).to_have_attribute("role", "alert")
    expect(conflict).to_contain_text("Someone saved this lesson while you were editing it")
    expect(conflict).to_contain_text("nothing was saved")
    expect(conflict.locator("strong")).to_have_text("observation")     # what changed
    expect(second_tab.locator("#f-observation")).to_have_value(mine)   # kept, not saved
    shot(second_tab, "conflict")

    conflict.get_by_role("link", name="See the saved version").click()
    expect(second_tab).to_have_url(re.compile(f"/lessons/{re.escape(lesson_id)}$"))
    expect(second_tab.locator("dl.lesson")).to_contain_text(theirs)
    expect(second_tab.locator("dl.lesson")).not_to_contain_text(mine)
    shot(second_tab, "the first save stands")


# -- HTML in a lesson's text ----------------------------------------------------------------
def test_html_in_a_lesson_renders_as_text(people, curation_server, shot):
    server = curation_server
    word = unique("Pangolin")
    title = f"{word} <b>bold</b> claims"
    observation = f"{word} said {HTML_PAYLOAD} in the report."
    curator = people("cura")
    lesson_id = submit(curator, server, title, observation,
                       remedial=f"Quote {HTML_PAYLOAD} as text.", action_body=OCHA)
    main = curator.locator("#main")
    expect(curator.locator("h1")).to_have_text(title)
    expect(main.locator(".lesson-text").filter(has_text=HTML_PAYLOAD)).to_have_count(2)
    expect(main.locator("img[src=x], b")).to_have_count(0)
    shot(curator, "submitted")

    curator.locator("#main").get_by_role("link", name="Edit", exact=True).click()
    expect(curator.locator("#f-observation")).to_have_value(observation)
    expect(curator.locator("#f-prefLabel")).to_have_value(title)
    shot(curator, "edit form keeps the text")

    publish(people, server, lesson_id, title)

    reader = people(None)
    open_lesson(reader, server, lesson_id, title)
    main = reader.locator("#main")
    expect(main.locator(".lesson-text").filter(has_text=observation)).to_have_count(1)
    expect(main.locator("img[src=x], b")).to_have_count(0)
    assert reader.locator("#main script").count() == 0
    shot(reader, "the lesson page")

    reader.goto(server.url + f"/id/lesson/{lesson_id}")
    expect(reader.locator("h1")).to_contain_text(title)
    expect(main).to_contain_text(HTML_PAYLOAD)
    expect(main.locator("img[src=x], b")).to_have_count(0)
    shot(reader, "the lesson in the graph")

    reader.goto(server.url + "/")
    hit = wait_for_search_hit(reader, lesson_id, word)
    expect(hit).to_contain_text(title)
    expect(reader.locator("ol.results img[src=x], ol.results b")).to_have_count(0)
    shot(reader, "search results")

    history = people("cura")
    history.goto(server.url + f"/lessons/{lesson_id}/history")
    expect(history.locator("li#rev-1 td.diff-add")).to_contain_text([observation])
    expect(history.locator("#main img[src=x], #main b")).to_have_count(0)
    shot(history, "history")
    # every page above was watched: a dialog or a script error fails the test


# -- the admin's user page -------------------------------------------------------------------
def test_admin_adds_a_user_and_disabling_ends_their_session(people, curation_server, shot):
    server = curation_server
    name = f"newbie-{secrets.token_hex(2)}"
    password = secrets.token_urlsafe(16)
    admin = people("ada")
    admin.locator("nav.account").get_by_role("link", name="Users", exact=True).click()
    expect(admin).to_have_url(re.compile(r"/admin/users$"))
    expect(admin.locator("h1")).to_have_text("Users")
    admin.locator("#new-name").fill(name)
    admin.locator("#new-role").select_option("contributor")
    admin.locator("#new-password").fill(password)
    shot(admin, "add a user")
    admin.get_by_role("button", name="Add", exact=True).click()
    expect(admin.locator("ul.flash")).to_contain_text(f"Added {name}.")
    row = admin.locator("#main table tbody tr").filter(
        has=admin.get_by_role("cell", name=name, exact=True))
    expect(row.locator("td").nth(1)).to_have_text("contributor")
    expect(row.locator("td").nth(2)).to_have_text("active")
    shot(admin, "user added")

    newcomer = people(None)
    newcomer.who = name
    sign_in(newcomer, server, name, password)
    expect(newcomer.locator("nav.account .role")).to_contain_text("contributor")
    newcomer.locator("header nav").get_by_role("link", name="Lessons", exact=True).click()
    expect(newcomer.locator("#main").get_by_role("link", name="Submit an observation")).to_be_visible()
    shot(newcomer, "signed in")

    row.get_by_role("button", name="Disable", exact=True).click()
    expect(admin.locator("ul.flash")).to_contain_text(name)
    expect(row.locator("td").nth(2)).to_have_text("disabled")
    expect(row.get_by_role("button", name="Enable", exact=True)).to_be_visible()
    shot(admin, "user disabled")

    newcomer.reload()
    expect(newcomer.locator("nav.account .who")).to_have_count(0)
    expect(newcomer.locator("nav.account").get_by_role("link", name="Sign in")).to_be_visible()
    expect(newcomer.locator("#main").get_by_role("link", name="Submit an observation")).to_have_count(0)
    shot(newcomer, "signed out")

    # and the account cannot sign in again
    newcomer.locator("nav.account").get_by_role("link", name="Sign in").click()
    newcomer.locator("#name").fill(name)
    newcomer.locator("#password").fill(password)
    newcomer.locator("#main").get_by_role("button", name="Sign in").click()
    expect(newcomer.locator("#main p.error")).to_contain_text("disabled")
    expect(newcomer.locator("nav.account .who")).to_have_count(0)
    shot(newcomer, "sign-in refused")


# -- what the journeys above showed up (each fails until its bug is fixed) -------------------
FORM_GROUPS = ["Observation", "Discussion", "Conclusion", "Recommendation", "What it is about"]


def test_observation_form_follows_the_shape_order(people, curation_server, shot):
    """The form is Observation / Discussion / Conclusion / Recommendation, then the
    links, as shapes:LessonShape orders its groups and fields (sh:order): the title
    and the observation come first."""
    contributor = people("carla")
    contributor.locator("header nav").get_by_role("link", name="Lessons", exact=True).click()
    contributor.locator("#main").get_by_role("link", name="Submit an observation").click()
    form = contributor.locator("form.lesson-form")
    expect(form.locator("fieldset").first).to_be_visible()
    shot(contributor, "the form")
    legends = [t.strip() for t in form.locator("fieldset > legend").all_inner_texts()]
    assert legends == FORM_GROUPS, f"the form's sections are out of the shape's order: {legends}"
    first = form.locator("input:not([type=hidden]), textarea, select").first
    expect(first).to_have_id("f-prefLabel")


def test_lesson_downloads_keep_visibility_and_protection_tiers_apart(people, curation_server,
                                                                     shot, artifacts):
    """A lesson's visibility (public, internal, draft) and its protection tiers (the
    shape's ``tier`` field) are two things; the CSV and JSON downloads keep both."""
    server = curation_server
    title = f"{unique('Aardvark')} community alert networks"
    contributor = people("carla")
    lesson_id = submit(contributor, server, title, "Alert networks reached three villages.")
    contributor.locator("#main").get_by_role("link", name="Lessons learned").click()
    shot(contributor, "lessons with the downloads")

    with contributor.expect_download() as info:
        contributor.locator("#main").get_by_role("link", name="CSV", exact=True).click()
    saved = artifacts / "curation-lessons.csv"
    info.value.save_as(str(saved))
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig"))))
    header = rows[0]
    duplicates = sorted({c for c in header if header.count(c) > 1})
    assert not duplicates, f"the CSV download has duplicate columns {duplicates}: {header}"

    lessons = {}
    href = contributor.locator("#main a[type='application/json']").get_attribute("href")
    response = contributor.goto(server.url + href)
    for row in response.json()["lessons"]:
        lessons[row["id"]] = row
    row = lessons[lesson_id]
    assert row["tier"] == [T1], f"protection tiers: {row['tier']!r}"
    assert "draft" in row.values(), f"the lesson's visibility (draft) is not in the download: {row}"


def test_conflict_names_the_changed_fields_as_the_form_does(people, curation_server, shot):
    """The conflict message names what changed with the form's own labels ("title"),
    not the shape's property keys ("prefLabel")."""
    server = curation_server
    title = f"{unique('Civet')} roadblocks on the supply route"
    first_tab = people("cura")
    lesson_id = submit(first_tab, server, title, "Roadblocks delayed aid convoys.")
    second_tab = people.tab(first_tab)
    for tab in (first_tab, second_tab):
        tab.goto(server.url + f"/lessons/{lesson_id}")
        tab.locator("#main").get_by_role("link", name="Edit", exact=True).click()
        expect(tab.locator("#f-prefLabel")).to_have_value(title)
    first_tab.locator("#f-prefLabel").fill(title + " (renamed)")
    first_tab.locator("form.lesson-form").get_by_role("button", name="Save").click()
    expect(first_tab.locator("ul.flash")).to_contain_text("Saved.")
    second_tab.locator("#f-observation").fill("Roadblocks delayed aid convoys by a week.")
    second_tab.locator("form.lesson-form").get_by_role("button", name="Save").click()
    conflict = second_tab.locator("section.conflict")
    expect(conflict).to_be_visible()
    shot(second_tab, "conflict")
    label = second_tab.locator("label[for=f-prefLabel]").inner_text().split("*")[0].strip()
    assert label == "title"
    expect(conflict.locator("strong")).to_have_text(label)


# -- documents: upload, review, add a link by selecting words (issue 5) -----------------
STRATEGY_MD = """# Protection strategy of a mission

1. Camps of internally displaced persons need early warning networks.

2. Sexual and gender-based violence is prevented by patrols at night.

3. The strategy's budget is agreed with donors each year.
"""


def select_words(tab, paragraph, words: str) -> None:
    """Select ``words`` in the paragraph as a mouse would, then release the button."""
    tab.evaluate("""([p, words]) => {
        // the words may sit inside a suggestion's highlight: find their text node anywhere
        const walker = document.createTreeWalker(p, NodeFilter.SHOW_TEXT);
        let node = walker.nextNode();
        while (node && !node.textContent.includes(words)) node = walker.nextNode();
        const start = node.textContent.indexOf(words);
        const range = document.createRange();
        range.setStart(node, start); range.setEnd(node, start + words.length);
        const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
        p.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
    }""", [paragraph.element_handle(), words])


def test_a_curator_uploads_reviews_and_links_by_selecting_words(people, curation_server, shot,
                                                                 tmp_path):
    server = curation_server
    doc_id = unique("strategy-")
    source = tmp_path / "strategy.md"
    source.write_text(STRATEGY_MD, encoding="utf-8")
    cura = people("cura")
    cura.goto(server.url + "/documents")
    cura.locator("#file").set_input_files(str(source))
    cura.locator("#doc-id").fill(doc_id)
    cura.get_by_role("button", name="Ingest and suggest links").click()
    expect(cura.locator("ul.flash")).to_contain_text("links suggested")
    expect(cura).to_have_url(re.compile(f"/documents/{re.escape(doc_id)}$"))
    marked = cura.locator("article.doc-text mark")
    expect(marked.filter(has_text="internally displaced persons")).to_have_count(1)
    expect(marked.filter(has_text="internally displaced persons")).to_have_class(re.compile(r"\bs\d\b.*suggested"))
    shot(cura, "uploaded with suggestions")

    # accept the IDP suggestion with its own button: its highlight stops being dashed
    idp = cura.locator("a", has_text=re.compile(r"^internally displaced persons$"))
    item = cura.locator("ul.links li").filter(has=idp)      # its concept, not a quote naming it
    item.get_by_role("button", name="Accept").click()
    expect(cura.locator("ul.flash")).to_contain_text("accepted")
    expect(cura.locator("ul.links li.LS-accepted").filter(has=idp)).to_have_count(1)
    expect(marked.filter(has_text="internally displaced persons")).not_to_have_class(re.compile("suggested"))

    # select "budget" in paragraph 3 with the mouse, link it to CAP-FIN
    paragraph = cura.locator("p[data-passage]", has_text="budget")
    box = paragraph.bounding_box()
    assert box is not None
    select_words(cura, paragraph, "budget")
    form = cura.locator("#add-link")
    expect(form).to_be_visible()
    expect(form.locator("q.selected")).to_have_text("budget")
    form.locator("#concept").fill("CAP-FIN")
    shot(cura, "linking selected words")
    form.get_by_role("button", name="Add link").click()
    expect(cura.locator("ul.flash")).to_contain_text("Link added.")
    expect(cura.locator("ul.links li.LS-accepted", has_text="“budget”")).to_have_count(1)
    expect(marked.filter(has_text="budget").first).to_be_visible()

    # a reader finds the passage on the concept's page, with the quote
    reader = people(None)
    reader.goto(server.url + "/id/concept/CAP-FIN")
    section = reader.locator("section[aria-labelledby=passages]")
    expect(section).to_contain_text(doc_id)
    expect(section).to_contain_text("“budget”")
    shot(reader, "concept page lists the passage")


# -- documents to comparisons: a strategy's text fills its cells (issue 14) ---------------
def test_a_strategy_text_fills_its_comparison_cells_once_its_link_is_accepted(
        people, curation_server, shot):
    server = curation_server
    doc_id = unique("unmiss-text-")
    cura = people("cura")
    cura.goto(server.url + "/documents")
    cura.locator("#file").set_input_files(
        str(Path(__file__).parents[1] / "fixtures" / "coverage" / "strategy-by-paraphrase.md"))
    cura.locator("#doc-id").fill(doc_id)
    cura.locator("#role").select_option("text")
    cura.get_by_label("UNMISS PoC strategy (2012)").check()
    shot(cura, "upload declared the text of a strategy")
    cura.get_by_role("button", name="Ingest and suggest links").click()
    expect(cura.locator("ul.flash")).to_contain_text("links suggested")
    about = cura.locator("section#about")
    expect(about).to_contain_text("The text of UNMISS PoC strategy (2012)")

    # before any link is accepted, the strategy's tier cells are gaps
    reader = people(None)
    reader.goto(server.url + "/id/strategy/UNMISS-2012")
    tiers = reader.locator("section.dimension", has_text="Protection tiers (2010")
    expect(tiers.locator("li.covered")).to_have_count(0)

    # the curator links "peace talks" in ¶2 to tier 1 by selecting the words
    paragraph = cura.locator("p[data-passage]", has_text="peace talks")
    select_words(cura, paragraph, "peace talks")
    form = cura.locator("#add-link")
    form.locator("#concept").fill("T1")
    form.get_by_role("button", name="Add link").click()
    expect(cura.locator("ul.flash")).to_contain_text("Link added.")

    # the reader now sees the tier covered on the strategy's page, with the quote ...
    reader.reload()
    covered = tiers.locator("li.covered")
    expect(covered).to_have_count(1)
    expect(covered).to_contain_text("protection through political process")
    expect(covered).to_contain_text("in the strategy's own text, ¶2: peace talks")
    shot(reader, "strategy profile with the accepted link")

    # ... and in the comparison, with who accepted it
    reader.goto(server.url + "/compare?comparison=tier-coverage&missions=UNMISS")
    cell = reader.locator("table.matrix tbody tr", has_text="UNMISS").locator("td").nth(0)
    expect(cell).to_contain_text("UNMISS PoC strategy (2012)")
    cell.locator("details.evidence-cell summary").click()
    expect(cell).to_contain_text("from the strategy's own text; link accepted by a reviewer")
    shot(reader, "comparison cell filled from the document")

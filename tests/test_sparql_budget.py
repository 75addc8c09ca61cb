"""Per-client query-time budgets: a client over its budget gets 429 with
Retry-After, while other clients keep being served."""

from __future__ import annotations

import pytest

from web import create_app
from web.budget import ClientBudget

CARTESIAN = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
JSON_ACCEPT = {"Accept": "application/sparql-results+json"}


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_budget_refuses_once_spent_and_recovers_as_spending_ages_out():
    clock = Clock()
    budget = ClientBudget(budget_s=2, window_s=10, clock=clock)
    assert budget.retry_after("a") is None
    budget.charge("a", 1.5)
    clock.now += 3
    budget.charge("a", 1.0)
    assert budget.retry_after("a") == 7          # the first 1.5 s leaves the window at t+10
    assert budget.retry_after("b") is None       # another client is not affected
    clock.now += 7
    assert budget.retry_after("a") is None


def test_a_zero_budget_means_no_budget():
    budget = ClientBudget(budget_s=0, window_s=10)
    budget.charge("a", 1e6)
    assert budget.retry_after("a") is None


@pytest.fixture(scope="module")
def app(curated_store_path):
    app = create_app({"STORE": str(curated_store_path), "SPARQL_TIMEOUT_S": 1,
                      "SPARQL_CLIENT_BUDGET_S": 0.5, "SPARQL_CLIENT_WINDOW_S": 30},
                     profile="testing")
    yield app
    workers = app.extensions["pockg"].extras.get("sparql_workers")
    if workers is not None:
        workers.shutdown()


def test_a_client_over_its_budget_gets_429_and_others_are_served(app):
    client = app.test_client()
    slow = client.get("/sparql", query_string={"query": CARTESIAN}, headers=JSON_ACCEPT)
    assert slow.status_code == 503                      # killed at the 1 s limit, and charged
    again = client.get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"}, headers=JSON_ACCEPT)
    assert again.status_code == 429
    assert 1 <= int(again.headers["Retry-After"]) <= 30
    assert "budget" in again.get_json()["error"]
    other = app.test_client().get("/sparql", query_string={"query": "ASK { ?s ?p ?o }"},
                                  headers=JSON_ACCEPT, environ_base={"REMOTE_ADDR": "127.0.0.9"})
    assert other.status_code == 200

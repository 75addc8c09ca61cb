"""Accounts: argon2id hashes at OWASP strength, revocable sessions, no default
user, disabled accounts, sign-in attempt counting, and the `pockg user` CLI."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from argon2 import Type, extract_parameters

from pockg.accounts import Accounts, SignInLimits
from pockg.errors import ConfigurationError, RateLimited

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(tmp_path):
    found = Accounts(tmp_path / "users.sqlite")
    yield found
    found.close()


def test_a_new_database_has_no_account(accounts):
    assert accounts.list() == []


def test_passwords_are_stored_as_argon2id_at_owasp_strength(accounts, tmp_path):
    accounts.add("maria", "curator", PASSWORD)
    stored = sqlite3.connect(tmp_path / "users.sqlite").execute(
        "SELECT password_hash FROM users").fetchone()[0]
    assert PASSWORD not in stored
    params = extract_parameters(stored)
    assert params.type is Type.ID
    # OWASP password storage cheat sheet: argon2id with m >= 19 MiB, t >= 2, p >= 1
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1


def test_sign_in_needs_the_right_password_and_an_enabled_account(accounts):
    accounts.add("maria", "curator", PASSWORD)
    assert accounts.verify("maria", PASSWORD).role == "curator"
    assert accounts.verify("maria", PASSWORD + "!") is None
    assert accounts.verify("nobody", PASSWORD) is None
    accounts.set_disabled("maria")
    assert accounts.verify("maria", PASSWORD) is None


@pytest.mark.parametrize("name, role, password, problem", [
    ("Maria", "curator", PASSWORD, "lowercase"),
    ("maria", "emperor", PASSWORD, "unknown role"),
    ("maria", "curator", "short", "at least 10"),
])
def test_bad_accounts_are_refused_with_a_reason(accounts, name, role, password, problem):
    with pytest.raises(ConfigurationError) as caught:
        accounts.add(name, role, password)
    assert problem in caught.value.message


def test_signing_out_or_changing_the_password_ends_sessions(accounts):
    user = accounts.add("maria", "curator", PASSWORD)
    first, second = accounts.start_session(user), accounts.start_session(user)
    accounts.end_session(first.token)
    assert accounts.session(first.token) is None
    assert accounts.session(second.token).user.name == "maria"
    accounts.set_password("maria", "another long password")
    assert accounts.session(second.token) is None


def test_disabling_an_account_ends_its_sessions(accounts):
    session = accounts.start_session(accounts.add("maria", "curator", PASSWORD))
    accounts.set_disabled("maria")
    assert accounts.session(session.token) is None


def test_session_tokens_are_stored_hashed(accounts, tmp_path):
    session = accounts.start_session(accounts.add("maria", "curator", PASSWORD))
    rows = sqlite3.connect(tmp_path / "users.sqlite").execute("SELECT token_hash FROM sessions")
    assert session.token not in {r[0] for r in rows}


def test_too_many_failed_sign_ins_are_rate_limited(accounts):
    accounts.add("maria", "curator", PASSWORD)
    limits = SignInLimits(limit=5, window_s=60)
    for _ in range(5):
        assert accounts.sign_in("maria", "wrong password!", "10.0.0.1", limits) is None
    with pytest.raises(RateLimited) as caught:
        accounts.sign_in("maria", PASSWORD, "10.0.0.1", limits)
    assert 1 <= caught.value.retry_after <= 61


def test_accounts_survive_a_reopen(tmp_path):
    Accounts(tmp_path / "u.sqlite").add("maria", "reviewer", PASSWORD)
    assert Accounts(tmp_path / "u.sqlite").verify("maria", PASSWORD).role == "reviewer"


def cli(*args, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pockg.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)


def test_user_commands_add_set_role_disable_and_list(tmp_path):
    db = str(tmp_path / "u.sqlite")
    added = cli("user", "add", "sam", "--role", "curator", "--password-stdin", "--db", db,
                stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    assert cli("user", "set-role", "sam", "reviewer", "--db", db).returncode == 0
    assert cli("user", "disable", "sam", "--db", db).returncode == 0
    listing = cli("user", "list", "--db", db)
    assert "sam" in listing.stdout and "reviewer" in listing.stdout and "disabled" in listing.stdout
    assert Accounts(db).verify("sam", PASSWORD) is None


def test_user_add_refuses_a_short_password_with_a_message(tmp_path):
    done = cli("user", "add", "sam", "--role", "curator", "--password-stdin",
               "--db", str(tmp_path / "u.sqlite"), stdin="short\n")
    assert done.returncode == 2
    assert "at least 10 characters" in done.stderr

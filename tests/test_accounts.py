"""Accounts on both databases: users, Argon2 hashes, throttled logins, hashed API tokens, scope, audit."""
import re
from datetime import timedelta

import pytest

from mapservice.store import accounts
from mapservice.store.accounts import AccountError, LoginRefused, LoginThrottled


def make_user(db, name="ouchrov", role="editor", areas=("0105",), password="correct horse battery"):
    with db.sessions.begin() as session:
        user, generated = accounts.create_user(session, name, role, list(areas), password)
        return user, generated


def login(db, name, password, client="10.0.0.1"):
    with db.sessions.begin() as session:
        try:
            return accounts.authenticate(session, name, password, client)
        except (LoginRefused, LoginThrottled) as exc:  # the attempt is recorded even when refused
            return exc


def test_users_are_created_with_argon2_hashes_and_checked_areas(db):
    user, generated = make_user(db)
    assert generated is None and user.areas == ["0105"] and user.role == "editor"
    stored = db.scalar("SELECT password_hash FROM app_user WHERE name = 'ouchrov'")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    admin, generated = make_user(db, "odc", "admin", (), None)
    assert len(generated) >= 12 and admin.areas == []
    assert isinstance(login(db, "odc", generated), accounts.User)
    with db.sessions.begin() as session:
        assert [u.name for u in accounts.list_users(session)] == ["odc", "ouchrov"]
    for kwargs, message in [
        ({"name": "ouchrov"}, 'user "ouchrov" already exists'),
        ({"name": "x y"}, "must be 2 to 64 letters"),
        ({"role": "boss"}, 'role "boss" is not one of admin, editor'),
        ({"areas": ()}, "an editor needs at least one area"),
        ({"areas": ("010501",)}, "area 010501 is not a province (2 digits) or district (4 digits) code"),
        ({"areas": ("0199",)}, "area 0199 is not a stored province or district"),
        ({"password": "short"}, "at least 10 characters"),
    ]:
        with pytest.raises(AccountError, match=re.escape(message)):
            make_user(db, **{"name": "another", **kwargs})
    assert db.scalar("SELECT count(*) FROM app_user") == 2  # nothing half-made


def test_wrong_password_and_disabled_account_are_refused(db):
    make_user(db)
    assert login(db, "ouchrov", "wrong password").reason == "bad_credentials"
    assert login(db, "nobody", "correct horse battery").reason == "bad_credentials"  # same answer
    assert login(db, "ouchrov", "correct horse battery").name == "ouchrov"
    with db.sessions.begin() as session:
        accounts.disable_user(session, "ouchrov")
    assert login(db, "ouchrov", "correct horse battery").reason == "disabled"
    actions = [row[0] for row in db.rows("SELECT action FROM audit_event ORDER BY id")]
    assert actions == ["login_failed", "login_failed", "login", "login_failed"]


def test_the_sixth_wrong_password_within_a_minute_is_throttled_per_account(db):
    make_user(db)
    for attempt in range(5):
        assert isinstance(login(db, "ouchrov", f"wrong {attempt}", client=f"10.0.0.{attempt}"), LoginRefused)
    sixth = login(db, "ouchrov", "correct horse battery", client="10.0.0.99")  # even the right password, elsewhere
    assert isinstance(sixth, LoginThrottled)
    assert accounts.LOCKOUT_SECONDS - 5 <= sixth.retry_after <= accounts.LOCKOUT_SECONDS
    assert "try again in 5 minute(s)" in str(sixth)
    # once the lockout has passed (the failures moved back in time), the right password works again
    with db.sessions.begin() as session:
        for attempt in session.query(accounts.LoginAttempt):
            attempt.at -= timedelta(seconds=accounts.LOCKOUT_SECONDS + 1)
    assert login(db, "ouchrov", "correct horse battery").name == "ouchrov"


def test_throttle_per_client_across_accounts(db):
    make_user(db)
    for attempt in range(5):
        login(db, f"guess{attempt}", "secret guess", client="192.0.2.7")
    assert isinstance(login(db, "ouchrov", "correct horse battery", client="192.0.2.7"), LoginThrottled)
    assert login(db, "ouchrov", "correct horse battery", client="192.0.2.8").name == "ouchrov"


def test_failures_spread_over_more_than_a_minute_do_not_lock(db):
    make_user(db)
    for attempt in range(4):
        login(db, "ouchrov", "wrong")
    with db.sessions.begin() as session:
        for attempt in session.query(accounts.LoginAttempt):
            attempt.at -= timedelta(seconds=accounts.WINDOW_SECONDS + 1)
    assert isinstance(login(db, "ouchrov", "wrong"), LoginRefused)  # the fifth, but not within a minute
    assert login(db, "ouchrov", "correct horse battery").name == "ouchrov"


def test_tokens_are_shown_once_and_stored_hashed(db):
    user, _ = make_user(db)
    with db.sessions.begin() as session:
        token = accounts.issue_token(session, session.get(accounts.User, user.id))
    assert db.scalar("SELECT count(*) FROM api_token WHERE token_hash = :t", t=token) == 0
    with db.sessions.begin() as session:
        assert accounts.user_by_token(session, token).name == "ouchrov"
        assert accounts.user_by_token(session, token + "x") is None
        assert accounts.user_by_token(session, "") is None
    assert db.scalar("SELECT last_used_at FROM api_token") is not None
    with db.sessions.begin() as session:
        accounts.disable_user(session, "ouchrov")
    with db.sessions.begin() as session:
        assert accounts.user_by_token(session, token) is None


def test_scope_names_the_codes_outside_it(db):
    editor, _ = make_user(db, areas=("0105", "0109"))
    admin, _ = make_user(db, "odc", "admin", ())
    assert accounts.can_touch(editor, ["010501", "0105", "010902"]) == []
    assert accounts.can_touch(editor, ["010501", "010201", "01", None]) == ["", "01", "010201"]
    assert accounts.can_touch(admin, ["120101", None]) == []

"""The session cookie and the CSRF token are verified once per process (exam/core/signing.py);
what is accepted stays exactly what Flask and Flask-WTF accept."""

from __future__ import annotations

import pytest
from conftest import PASSWORD

from exam.auth.models import UserRole
from exam.core import signing


@pytest.fixture
def csrf_app(app):
    app.config.update(WTF_CSRF_ENABLED=True)
    return app


def _signed_in(app, user):
    """A client signed in through the API, and the CSRF token the login gave it."""
    client = app.test_client()
    me = client.post("/api/v1/login", json={"login": user.username, "password": PASSWORD})
    assert me.status_code == 200
    return client, me.get_json()["csrf_token"]


def _write(client, token):
    """A write that needs the token (logging out of the API's session is the cheapest)."""
    headers = {"X-CSRFToken": token} if token else {}
    return client.post("/api/v1/attempts/999999/heartbeat", headers=headers)


def test_a_known_token_is_still_compared_with_the_sessions_own(csrf_app, make_user):
    alice, alice_token = _signed_in(csrf_app, make_user(UserRole.CANDIDATE))
    bob, bob_token = _signed_in(csrf_app, make_user(UserRole.CANDIDATE))
    for _ in range(2):  # verified in full, then known
        assert _write(alice, alice_token).status_code == 404  # past CSRF: no such attempt
    refused = _write(bob, alice_token)  # known to the process, but not Bob's session's
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"
    assert _write(bob, bob_token).status_code == 404
    assert _write(alice, None).get_json()["error"]["code"] == "csrf"
    assert _write(alice, alice_token[:-2] + "xx").get_json()["error"]["code"] == "csrf"


def test_a_known_token_past_its_time_limit_is_refused(csrf_app, make_user, monkeypatch):
    client, token = _signed_in(csrf_app, make_user(UserRole.CANDIDATE))
    assert _write(client, token).status_code == 404  # now known to the process
    later = signing.clock() + csrf_app.config["WTF_CSRF_TIME_LIMIT"] + 60
    monkeypatch.setattr(signing, "clock", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    refused = _write(client, token)
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "csrf"


def test_a_known_session_cookie_past_its_lifetime_or_altered_signs_nobody_in(
    app, make_user, monkeypatch
):
    client, _token = _signed_in(app, make_user(UserRole.CANDIDATE))
    assert client.get("/api/v1/me/exams").status_code == 200  # the cookie is now known
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value[:-3] + "abc")
    assert client.get("/api/v1/me/exams").get_json()["error"]["code"] == "unauthenticated"

    client.set_cookie("session", cookie.value)
    assert client.get("/api/v1/me/exams").status_code == 200
    later = signing.clock() + app.permanent_session_lifetime.total_seconds() + 60
    monkeypatch.setattr(signing, "clock", lambda: later)
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    assert client.get("/api/v1/me/exams").get_json()["error"]["code"] == "unauthenticated"

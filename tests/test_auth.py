"""Logging in: throttling, open redirects, CSRF, one-time passwords, disabled accounts."""

from datetime import timedelta

import pytest
from conftest import PASSWORD, postgresql_only

from exam import create_app
from exam.auth.models import LoginAttempt, User, UserRole
from exam.auth.services import authenticate, is_locked, purge_login_attempts
from exam.core.extensions import db
from exam.core.timeutil import utcnow


def _login(client, login, password, **kwargs):
    return client.post("/login", data={"login": login, "password": password}, **kwargs)


def test_candidate_logs_in_with_id_number_or_mobile(client, make_user):
    user = make_user(UserRole.CANDIDATE)
    assert _login(client, user.person.id_number.lower(), PASSWORD).status_code == 302
    client.post("/logout")
    assert _login(client, user.person.mobile, PASSWORD).status_code == 302


def test_shared_mobile_identifies_nobody(client, make_user, make_person):
    first = make_person(mobile="13900000001")
    make_person(mobile="13900000001")
    make_user(UserRole.CANDIDATE, person=first)
    response = _login(client, "13900000001", PASSWORD)
    assert response.status_code == 200
    assert "账号或密码错误" in response.get_data(as_text=True)


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user(UserRole.ADMIN)
    response = _login(client, user.username, "wrong-password")
    assert response.status_code == 200
    assert client.get("/").status_code == 302  # still anonymous


def test_account_is_throttled_after_five_failures_even_with_right_password(app, client, make_user):
    user = make_user(UserRole.ADMIN)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _login(client, user.username, "wrong").status_code == 200
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "分钟" in page  # the message says when to try again, in Chinese
    assert client.get("/").status_code == 302


def test_unknown_login_names_are_throttled_too(app, client):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(client, "nobody", "x")
    assert _login(client, "nobody", "x").status_code == 429


def test_address_is_throttled_across_accounts(app, client, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    users = [make_user(UserRole.ORGANISER) for _ in range(3)]
    for user in users:
        _login(client, user.username, "wrong")
    other = make_user(UserRole.ADMIN)
    assert _login(client, other.username, PASSWORD).status_code == 429
    # Another address is not affected.
    ok = _login(client, other.username, PASSWORD, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert ok.status_code == 302


def test_throttle_counter_is_shared_by_workers(app, database_url, make_user):
    """Two app instances (two gunicorn workers) over one database share the counter."""
    user = make_user(UserRole.ADMIN)
    other_worker = create_app({**app.config, "SQLALCHEMY_DATABASE_URI": database_url})
    for _ in range(3):
        _login(app.test_client(), user.username, "wrong")
    with other_worker.app_context():
        for _ in range(2):
            _login(other_worker.test_client(), user.username, "wrong")
        response = _login(other_worker.test_client(), user.username, PASSWORD)
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 429


def test_failures_expire_after_the_window(app, make_user):
    user = make_user(UserRole.ADMIN)
    past = utcnow() - timedelta(minutes=app.config["LOGIN_WINDOW_MINUTES"] + 1)
    with app.test_request_context():
        for _ in range(app.config["LOGIN_MAX_FAILURES"]):
            authenticate(user.username, "wrong", "1.2.3.4", now=past)
        db.session.commit()
        assert authenticate(user.username, PASSWORD, "1.2.3.4").user is not None


def test_admin_unlocks_a_locked_account(app, client, make_user, login_as):
    victim = make_user(UserRole.ORGANISER)
    other = app.test_client()
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        _login(other, victim.username, "wrong", environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert (
        _login(
            other, victim.username, PASSWORD, environ_base={"REMOTE_ADDR": "10.1.1.1"}
        ).status_code
        == 429
    )
    login_as(UserRole.ADMIN)
    assert is_locked(db.session.get(User, victim.id))
    assert "因登录失败已锁定" in client.get(f"/accounts/{victim.id}").get_data(as_text=True)
    assert client.post(f"/accounts/{victim.id}/unlock").status_code == 302
    assert (
        _login(
            other, victim.username, PASSWORD, environ_base={"REMOTE_ADDR": "10.1.1.1"}
        ).status_code
        == 302
    )


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "\\\\evil.example",
    ],
)
def test_login_refuses_open_redirects(client, make_user, target):
    user = make_user(UserRole.ADMIN)
    response = client.post(
        "/login", query_string={"next": target}, data={"login": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, make_user):
    user = make_user(UserRole.ADMIN)
    response = client.post(
        "/login",
        query_string={"next": "/people?role=safety_director"},
        data={"login": user.username, "password": PASSWORD},
    )
    assert response.headers["Location"] == "/people?role=safety_director"


def test_post_without_csrf_token_is_refused(app, client, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    user = make_user(UserRole.ADMIN)
    response = _login(client, user.username, PASSWORD)
    assert response.status_code == 400
    assert "刷新" in response.get_data(as_text=True)  # told, in Chinese, to reload the page
    assert client.get("/").status_code == 302


def test_csrf_protects_logged_in_actions(app, client, login_as, make_user):
    login_as(UserRole.ADMIN)
    target = make_user(UserRole.ORGANISER)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/accounts/{target.id}/disable").status_code == 400
    assert db.session.get(User, target.id).disabled is False


def test_one_time_password_forces_a_change_before_anything_else(client, make_person):
    person = make_person()
    user = db.session.scalar(db.select(User).where(User.person_id == person.id))
    assert _login(client, person.id_number, user.initial_password).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/password")
    weak = client.post(
        "/password",
        data={"current": user.initial_password, "new": "12345678", "confirm": "12345678"},
    )
    assert weak.status_code == 200 and client.get("/").status_code == 302
    done = client.post(
        "/password",
        data={"current": user.initial_password, "new": "Safe-pass-99", "confirm": "Safe-pass-99"},
    )
    assert done.status_code == 302
    assert client.get("/").status_code == 200
    user = db.session.get(User, user.id)
    assert user.initial_password is None and user.must_change_password is False


def test_password_reset_ends_sessions_and_issues_a_new_one_time_password(
    app, client, make_user, login_as
):
    victim = make_user(UserRole.ORGANISER)
    victim_client = app.test_client()
    _login(victim_client, victim.username, PASSWORD)
    assert victim_client.get("/").status_code == 200
    login_as(UserRole.ADMIN)
    client.post(f"/accounts/{victim.id}/reset-password")
    victim = db.session.get(User, victim.id)
    assert victim.initial_password and victim.must_change_password
    assert victim_client.get("/").status_code == 302  # the old session is gone
    assert (
        _login(app.test_client(), victim.username, PASSWORD).status_code == 200
    )  # old password dead
    assert _login(app.test_client(), victim.username, victim.initial_password).status_code == 302


def test_disabled_account_cannot_log_in_and_loses_its_session(app, client, make_user, login_as):
    victim = make_user(UserRole.ORGANISER)
    victim_client = app.test_client()
    _login(victim_client, victim.username, PASSWORD)
    login_as(UserRole.ADMIN)
    client.post(f"/accounts/{victim.id}/disable")
    assert victim_client.get("/").status_code == 302
    response = _login(app.test_client(), victim.username, PASSWORD)
    assert response.status_code == 200
    assert "停用" in response.get_data(as_text=True)


def test_session_cookie_flags(app, client, make_user):
    user = make_user(UserRole.ADMIN)
    cookie = _login(client, user.username, PASSWORD).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_purge_login_attempts_keeps_recent_ones(app):
    now = utcnow()
    db.session.add_all(
        [
            LoginAttempt(at=now - timedelta(days=100), login_key="a", address="x"),
            LoginAttempt(at=now - timedelta(days=1), login_key="b", address="x"),
        ]
    )
    db.session.commit()
    assert purge_login_attempts(90, now=now) == 1
    assert [a.login_key for a in db.session.scalars(db.select(LoginAttempt))] == ["b"]


def test_unknown_names_and_one_time_passwords_cost_a_real_password_hash(
    app, client, make_person, monkeypatch
):
    """Timing must not tell whether an account exists or still has its one-time password."""
    import exam.auth.services as services

    hashes_checked = []
    real = services.check_password_hash
    monkeypatch.setattr(
        services,
        "check_password_hash",
        lambda hashed, password: hashes_checked.append(hashed) or real(hashed, password),
    )
    method = app.config["PASSWORD_METHOD"].split(":")[0]
    _login(client, "no-such-user", "whatever")
    person = make_person()
    _login(client, person.id_number, "wrong-one-time")
    assert len(hashes_checked) == 2
    assert all(h.startswith(method) for h in hashes_checked)


def test_parallel_guesses_cannot_exceed_the_failure_limit(app, make_user):
    """Concurrent wrong passwords against one account: at most the limit are really checked."""
    from concurrent.futures import ThreadPoolExecutor

    username = make_user(UserRole.ADMIN).username
    limit = app.config["LOGIN_MAX_FAILURES"]

    def guess(i):
        return _login(
            app.test_client(), username, f"wrong-{i}", environ_base={"REMOTE_ADDR": f"10.9.0.{i}"}
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(guess, range(16)))
    assert statuses.count(200) <= limit
    assert statuses.count(429) >= 16 - limit


def test_logging_out_ends_the_session_a_copied_cookie_carried(app, client, make_user):
    """Issue 16: a session cookie copied before logout no longer works after it."""
    admin = make_user(UserRole.ADMIN)
    assert _login(client, admin.username, PASSWORD).status_code == 302
    copied = client.get_cookie("session").value
    assert client.get("/audit/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    response = thief.get("/audit/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def _signed_in(client) -> bool:
    return client.get("/password").status_code == 200


def test_logging_out_ends_only_this_browsers_session(app, make_user):
    """A leader who logs out on the office computer is still signed in on the phone that
    holds the exam, and the office cookie is dead."""
    user = make_user(UserRole.CANDIDATE)
    phone, office = app.test_client(), app.test_client()
    for browser in (phone, office):
        assert _login(browser, user.username, PASSWORD).status_code == 302
    copied = office.get_cookie("session").value
    office.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert not _signed_in(thief) and not _signed_in(office)
    assert _signed_in(phone)


def test_sign_out_everywhere_ends_every_session_of_the_account(app, make_user):
    user = make_user(UserRole.ORGANISER)
    phone, office = app.test_client(), app.test_client()
    for browser in (phone, office):
        assert _login(browser, user.username, PASSWORD, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    page = phone.get("/sessions").get_data(as_text=True)
    assert page.count("10.1.2.3") == 2  # both browsers are listed
    response = phone.post("/sessions/sign-out-everywhere")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not _signed_in(phone) and not _signed_in(office)
    assert _login(office, user.username, PASSWORD).status_code == 302  # a new login works


def test_an_administrator_signs_an_account_out_everywhere(app, client, make_user, login_as):
    from exam.audit.models import AuditEntry

    user = make_user(UserRole.CONTACT)
    browser = app.test_client()
    assert _login(browser, user.username, PASSWORD).status_code == 302
    admin = login_as(UserRole.ADMIN)
    assert 'id="account-sessions">1' in client.get(f"/accounts/{user.id}").get_data(as_text=True)
    assert client.post(f"/accounts/{user.id}/sign-out").status_code == 302
    assert not _signed_in(browser)
    assert (
        db.session.scalar(
            db.select(AuditEntry).where(AuditEntry.action == "account.sign_out")
        ).object_id
        == user.id
    )
    # Not on one's own account: the administrator uses their own devices page for that.
    client.post(f"/accounts/{admin.id}/sign-out")
    assert _signed_in(client)


def test_a_password_change_signs_out_the_other_browsers_only(app, client, make_user):
    user = make_user(UserRole.ORGANISER)
    other = app.test_client()
    for browser in (client, other):
        assert _login(browser, user.username, PASSWORD).status_code == 302
    response = client.post(
        "/password", data={"current": PASSWORD, "new": "n3w-Passw0rd", "confirm": "n3w-Passw0rd"}
    )
    assert response.status_code == 302
    assert _signed_in(client) and not _signed_in(other)


def test_a_login_ends_after_the_session_days(app, client, make_user):
    from exam.auth.models import LoginSession

    user = make_user(UserRole.ORGANISER)
    assert _login(client, user.username, PASSWORD).status_code == 302
    login = db.session.scalar(db.select(LoginSession).where(LoginSession.user_id == user.id))
    login.created_at = utcnow() - timedelta(days=app.config["SESSION_DAYS"], minutes=1)
    db.session.commit()
    assert not _signed_in(client)


@pytest.mark.parametrize(
    ("environ", "secure"),
    [
        ({}, False),
        ({"ANPEI_ENV": "production"}, True),
        ({"ANPEI_ENV": "production", "ANPEI_SESSION_COOKIE_SECURE": "0"}, False),
        ({"ANPEI_SESSION_COOKIE_SECURE": "1"}, True),
    ],
)
def test_session_cookies_are_secure_by_default_in_production(tmp_path, environ, secure):
    from exam.core.config import load_config

    production = {"ANPEI_DATABASE_URL": "postgresql+psycopg://x/y", "ANPEI_SECRET_KEY": "s"}
    config = load_config(str(tmp_path), {**production, **environ})
    assert config["SESSION_COOKIE_SECURE"] is secure
    assert config["REMEMBER_COOKIE_SECURE"] is secure


@pytest.mark.parametrize("confirm", ["short1", "different-1"])
def test_a_password_change_shows_every_error_at_once_and_never_echoes_a_password(
    client, login_as, confirm
):
    user = login_as(UserRole.ORGANISER)
    response = client.post(
        "/password", data={"current": "wrong-pass-1", "new": "short1", "confirm": confirm}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "当前密码不正确" in page  # the current password is wrong …
    assert "新密码不能少于8位" in page  # … and the new one is too short: both told at once
    if confirm != "short1":
        assert "两次输入的新密码不一致" in page  # … and the two new ones differ
    assert "wrong-pass-1" not in page and "short1" not in page and "different-1" not in page
    assert 'id="password-errors"' in page
    assert db.session.get(User, user.id).password_hash == user.password_hash  # nothing changed


def test_a_shared_address_where_many_signed_in_is_not_locked_by_a_few_typos(app, make_user):
    """Exam day behind a company's NAT: every correct login gets through, and the few who
    mistype do not lock the address for everyone else."""
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    users = [make_user(UserRole.CANDIDATE) for _ in range(6)]
    with app.test_request_context():
        for user in users[:4]:
            assert authenticate(user.username, PASSWORD, "10.7.0.1").user is not None
        for user in users[:5]:  # more typos than the plain limit, fewer than limit + signed in
            assert authenticate(user.username, "wrong", "10.7.0.1").error == "invalid"
        db.session.commit()
        assert authenticate(users[5].username, PASSWORD, "10.7.0.1").user is not None


def test_a_shared_address_is_still_locked_once_failures_pass_its_allowance(app, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    users = [make_user(UserRole.CANDIDATE) for _ in range(2)]
    with app.test_request_context():
        # Signing in again and again does not buy more guesses: accounts count, not logins.
        for _ in range(3):
            assert authenticate(users[0].username, PASSWORD, "10.7.0.2").user is not None
        for n in range(4):  # the limit (3) plus one account signed in
            assert authenticate(f"nobody{n}", "guess", "10.7.0.2").error == "invalid"
        db.session.commit()
        assert authenticate(users[1].username, PASSWORD, "10.7.0.2").error == "locked_address"


def test_guessing_from_an_address_nobody_signed_in_from_locks_it_at_the_setting(app, make_user):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    user = make_user(UserRole.CANDIDATE)
    with app.test_request_context():
        for n in range(3):
            authenticate(f"nobody{n}", "guess", "10.7.0.3")
        db.session.commit()
        assert authenticate(user.username, PASSWORD, "10.7.0.3").error == "locked_address"


def test_the_address_allowance_counts_sign_ins_on_every_app_host(app, database_url, make_user):
    """Sign-ins recorded by one host raise the address's allowance on another: the counts
    live in the database."""
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 2
    users = [make_user(UserRole.CANDIDATE) for _ in range(4)]
    with app.test_request_context():
        for user in users[:2]:
            assert authenticate(user.username, PASSWORD, "10.7.0.4").user is not None
        for n in range(3):
            authenticate(f"nobody{n}", "typo", "10.7.0.4")
        db.session.commit()
    other_host = create_app(
        {**app.config, "SQLALCHEMY_DATABASE_URI": database_url, "LOGIN_MAX_FAILURES_PER_ADDRESS": 2}
    )
    with other_host.test_request_context():
        assert authenticate(users[2].username, PASSWORD, "10.7.0.4").user is not None
        authenticate("nobody9", "typo", "10.7.0.4")  # the 4th failure: allowance 2 + 3 signed in
        db.session.commit()
        assert authenticate(users[3].username, PASSWORD, "10.7.0.4").user is not None
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_the_default_password_hashing_meets_owasps_scrypt_minimum(tmp_path, monkeypatch):
    """OWASP's minimum (Password Storage Cheat Sheet) is one of N=2^17 p=1, 2^16 p=2, 2^15
    p=3, 2^14 p=5 or 2^13 p=10, each with r=8; the default must not fall below all of them,
    and werkzeug must accept it (its memory limit included)."""
    from werkzeug.security import check_password_hash, generate_password_hash

    monkeypatch.delenv("ANPEI_PASSWORD_METHOD", raising=False)
    defaults = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite'}"})
    name, n, r, p = defaults.config["PASSWORD_METHOD"].split(":")
    assert name == "scrypt"
    owasp = {2**17: 1, 2**16: 2, 2**15: 3, 2**14: 5, 2**13: 10}
    assert int(r) >= 8
    assert any(int(n) >= at_least_n and int(p) >= with_p for at_least_n, with_p in owasp.items())
    hashed = generate_password_hash("correct horse", method=defaults.config["PASSWORD_METHOD"])
    assert hashed.startswith(f"scrypt:{n}:{r}:{p}$")
    assert check_password_hash(hashed, "correct horse")


def test_a_login_with_no_turn_to_check_its_password_is_told_to_try_again(app, client, make_user):
    from sqlalchemy import func, select

    from exam.auth.services import _password_turns

    user = make_user(UserRole.CANDIDATE)
    app.config["PASSWORD_WAIT_SECONDS"] = 0.05
    app.config["PASSWORD_CHECKS"] = 1
    turn = _password_turns().take(timeout=0)
    assert turn is not None  # the host's one turn (PASSWORD_CHECKS) is taken
    try:
        api = client.post("/api/v1/login", json={"login": user.username, "password": PASSWORD})
        assert api.status_code == 503 and api.headers["Retry-After"] == "2"
        assert api.get_json()["error"]["code"] == "retry"
        web = _login(client, user.username, PASSWORD)
        assert web.status_code == 503 and web.headers["Retry-After"] == "2"
        assert "此刻登录的人很多" in web.get_data(as_text=True)
        assert client.get("/").status_code == 302  # not signed in
    finally:
        turn.release()
    # Nothing was checked, so nothing counts towards the throttle.
    assert db.session.scalar(select(func.count(LoginAttempt.id))) == 0
    assert _login(client, user.username, PASSWORD).status_code == 302


@postgresql_only
def test_password_checks_take_turns(app, make_user, monkeypatch):
    import threading
    import time

    from exam.auth import services

    app.config["PASSWORD_CHECKS"] = 2
    users = [make_user(UserRole.CANDIDATE) for _ in range(6)]
    db.session.commit()
    logins = [user.username for user in users]
    lock, running, most = threading.Lock(), [0], [0]
    real_check = services.check_password_hash

    def timed_check(stored, password):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.1)
        try:
            return real_check(stored, password)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(services, "check_password_hash", timed_check)
    statuses = []

    def log_in(login):
        response = app.test_client().post(
            "/api/v1/login", json={"login": login, "password": PASSWORD}
        )
        statuses.append(response.status_code)

    threads = [threading.Thread(target=log_in, args=(login,)) for login in logins]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 6  # each waited for a turn (well within the 3 s allowed)
    assert most[0] == 2  # never more checks at once than PASSWORD_CHECKS


def test_a_password_check_that_fails_gives_its_turn_back(app, client, make_user, monkeypatch):
    from exam.auth import services

    user = make_user(UserRole.CANDIDATE)

    def broken(stored, password):
        raise RuntimeError("the hashing library failed")

    monkeypatch.setattr(services, "check_password_hash", broken)
    response = client.post("/api/v1/login", json={"login": user.username, "password": PASSWORD})
    assert response.status_code == 500
    assert services._password_turns().in_use() == 0  # the failed check released its turn

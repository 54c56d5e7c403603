"""Authentication services: password handling and DB-backed login throttling.

The throttle counts failures in the database, so every gunicorn worker and every
app host sees the same counters.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import delete, func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from exam.auth import signals
from exam.auth.models import LoginAttempt, LoginSession, User, UserRole
from exam.core.errors import catalogue
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.core.turns import HostTurns, ProcessTurns, host_cores, host_turns

if TYPE_CHECKING:
    from exam.people.models import Person

#: Letters and digits that cannot be mistaken for one another when read aloud or typed.
ONE_TIME_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_DUMMY_HASHES: dict[str, str] = {}


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    #: None on success, else 'invalid', 'disabled', 'locked_account', 'locked_address' or
    #: 'busy' (no turn to check the password now: nothing recorded, try again in a moment).
    error: str | None = None
    retry_minutes: int = 0


def one_time_password(length: int = 8) -> str:
    return "".join(secrets.choice(ONE_TIME_ALPHABET) for _ in range(length))


def find_user_for_login(login: str) -> User | None:
    """Resolve what a user typed: a username, or what another feature knows an account by
    (the register: an ID number or a mobile number, through ``signals.login_lookup``)."""
    key = login.strip().lower()
    if not key:
        return None
    user = db.session.scalar(select(User).where(User.username == key))
    if user is not None:
        return user
    for _receiver, found in signals.login_lookup.send(login):
        if found is not None:
            return found
    return None


def _spend_hashing_time(password: str) -> None:
    """Do the work of one real password check, so that timing does not tell whether an
    account exists or still has its one-time password."""
    method = current_app.config["PASSWORD_METHOD"]
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = generate_password_hash(secrets.token_hex(8), method=method)
    check_password_hash(_DUMMY_HASHES[method], password)


def _lock_account(user: User) -> None:
    """Serialise concurrent logins to one account until this transaction ends, so parallel
    guesses cannot all slip under the failure limit (a row lock on PostgreSQL, the write
    lock on SQLite)."""
    db.session.execute(
        update(User)
        .where(User.id == user.id)
        .values(disabled=User.disabled)
        .execution_options(synchronize_session=False)
    )


def _failures_since(where, since: datetime) -> tuple[int, datetime | None]:
    row = db.session.execute(
        select(func.count(LoginAttempt.id), func.min(LoginAttempt.at)).where(
            where, LoginAttempt.success.is_(False), LoginAttempt.at >= since
        )
    ).one()
    return row[0], row[1]


def _account_condition(user: User | None, key: str):
    return LoginAttempt.user_id == user.id if user is not None else LoginAttempt.login_key == key


def _retry_minutes(oldest: datetime | None, window: timedelta, now: datetime) -> int:
    if oldest is None:
        return 1
    return max(1, int((oldest + window - now).total_seconds() // 60) + 1)


def _address_allowance(address: str, since: datetime) -> int:
    """Failed logins an address may make within the window: the setting, plus one for each
    account that signed in from it since ``since``. A company's shared address (hundreds of
    leaders behind one NAT on exam day, a few of them mistyping) stays open, while an address
    that only guesses never earns more than the setting."""
    allowance = current_app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"]
    signed_in = db.session.scalar(
        select(func.count(func.distinct(LoginAttempt.user_id))).where(
            LoginAttempt.address == address,
            LoginAttempt.success.is_(True),
            LoginAttempt.at >= since,
        )
    )
    return allowance + (signed_in or 0)


def check_password(user: User, password: str) -> bool:
    if user.password_hash:
        return check_password_hash(user.password_hash, password)
    _spend_hashing_time(password)
    if user.initial_password:
        return hmac.compare_digest(user.initial_password.encode(), password.encode())
    return False


def _password_turns() -> HostTurns | ProcessTurns:
    """The host's turns at checking a password (``PASSWORD_CHECKS`` at once, by default one
    per core, shared by every process of the host through its instance folder). A check holds
    a core for a fifth of a second: at an exam's opening thousands of logins queue, and
    without turns they would crowd the cores (a dozen worker threads each hashing) and starve
    the candidates already sitting, then time out in the browser and come again. One queue
    for the host, not one per process: a login waits only while every turn is in use,
    whichever worker holds its connection. A login that waits longer than
    ``PASSWORD_WAIT_SECONDS`` is answered 'busy' at once and tries again."""
    app = current_app._get_current_object()
    turns = app.extensions.get("anpei.password_turns")
    if turns is None:
        turns = app.extensions["anpei.password_turns"] = host_turns(
            Path(app.instance_path) / "turns",
            "password",
            app.config["PASSWORD_CHECKS"] or host_cores(),
        )
    return turns


#: When a login answered 'busy' is sent again (the ``Retry-After`` header).
BUSY_RETRY_SECONDS = 2


def authenticate(
    login: str, password: str, address: str, now: datetime | None = None
) -> LoginResult:
    """Check a login attempt against the throttle and the password, and record it."""
    now = now or utcnow()
    cfg = current_app.config
    window = timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    key = login.strip().lower()[:64]
    user = find_user_for_login(login)

    address_failures, oldest = _failures_since(LoginAttempt.address == address, now - window)
    # The allowance costs a query: only asked for once the plain limit is reached.
    if address_failures >= cfg["LOGIN_MAX_FAILURES_PER_ADDRESS"] and address_failures >= (
        _address_allowance(address, now - window)
    ):
        return LoginResult(None, "locked_address", _retry_minutes(oldest, window, now))

    # The turn first, then the account's lock: waiting for a turn holds no lock, and a login
    # holding the lock already holds a turn, so two never wait on each other.
    turn = _password_turns().take(timeout=cfg["PASSWORD_WAIT_SECONDS"])
    if turn is None:
        return LoginResult(None, "busy")
    try:
        since = now - window
        if user is not None:
            _lock_account(user)
            last_success = db.session.scalar(
                select(func.max(LoginAttempt.at)).where(
                    LoginAttempt.user_id == user.id, LoginAttempt.success.is_(True)
                )
            )
            if last_success is not None and last_success > since:
                since = last_success
        account_failures, oldest = _failures_since(_account_condition(user, key), since)
        if account_failures >= cfg["LOGIN_MAX_FAILURES"]:
            return LoginResult(None, "locked_account", _retry_minutes(oldest, window, now))
        if user is None:
            _spend_hashing_time(password)  # the same work whether or not the name exists
            ok = False
        else:
            ok = check_password(user, password)
    finally:
        turn.release()
    db.session.add(
        LoginAttempt(
            at=now,
            login_key=key,
            user_id=user.id if user else None,
            address=address[:64],
            success=ok,
        )
    )
    if not ok:
        return LoginResult(None, "invalid")
    if user.disabled:
        return LoginResult(None, "disabled")
    user.last_login_at = now
    return LoginResult(user)


def set_password(user: User, password: str) -> None:
    """Set the user's own password; ends the one-time password and other sessions."""
    user.password_hash = generate_password_hash(
        password, method=current_app.config["PASSWORD_METHOD"]
    )
    user.initial_password = None
    user.must_change_password = False
    user.password_changed_at = utcnow()
    end_sessions(user, keep=user.session_key)


def reset_password(user: User) -> str:
    """Give the user a new one-time password they must change at next login."""
    password = one_time_password()
    user.password_hash = None
    user.initial_password = password
    user.must_change_password = True
    end_sessions(user)
    unlock(user)
    return password


def unlock(user: User) -> int:
    """Forget the user's failed logins so the account is usable at once."""
    result = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.user_id == user.id, LoginAttempt.success.is_(False))
    )
    return result.rowcount or 0


def locked_user_ids(user_ids: list[int], now: datetime | None = None) -> set[int]:
    """Which of these accounts are locked by failed logins now (one query for a whole page).

    As in ``authenticate``: failures within the window and after the last success count.
    """
    if not user_ids:
        return set()
    now = now or utcnow()
    cfg = current_app.config
    window_start = now - timedelta(minutes=cfg["LOGIN_WINDOW_MINUTES"])
    success = db.aliased(LoginAttempt)
    last_success = (
        select(func.max(success.at))
        .where(success.user_id == LoginAttempt.user_id, success.success.is_(True))
        .correlate(LoginAttempt)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(LoginAttempt.user_id)
        .where(
            LoginAttempt.user_id.in_(user_ids),
            LoginAttempt.success.is_(False),
            LoginAttempt.at >= window_start,
            (last_success.is_(None)) | (LoginAttempt.at > last_success),
        )
        .group_by(LoginAttempt.user_id)
        .having(func.count(LoginAttempt.id) >= cfg["LOGIN_MAX_FAILURES"])
    )
    return {row[0] for row in rows}


def is_locked(user: User, now: datetime | None = None) -> bool:
    return user.id in locked_user_ids([user.id], now)


def purge_login_attempts(older_than_days: int = 90, now: datetime | None = None) -> int:
    """Delete login attempts older than the given age (a scheduler job)."""
    now = now or utcnow()
    result = db.session.execute(
        delete(LoginAttempt).where(LoginAttempt.at < now - timedelta(days=older_than_days))
    )
    return result.rowcount or 0


COMMON_PASSWORDS = {
    "12345678",
    "123456789",
    "password",
    "password1",
    "abc12345",
    "a1234567",
    "qwerty123",
    "11111111",
    "88888888",
    "1qaz2wsx",
    "admin123",
}


#: Why a new password is refused (``password_problem``), in the user's language.
catalogue(
    "auth",
    {
        "too_short": lambda **p: _("The new password must have at least 8 characters."),
        "letters_and_digits": lambda **p: _(
            "The new password must contain both letters and digits."
        ),
        "too_common": lambda **p: _("This password is too common; choose another."),
        "same_as_login": lambda **p: _(
            "The password must not contain your login, ID number or mobile."
        ),
        "same_as_initial": lambda **p: _("Choose a password different from the one-time password."),
    },
)


def password_problem(password: str, user: User) -> str | None:
    """Return the reason a new password is refused, or None (a stable key)."""
    if len(password) < 8:
        return "too_short"
    if not any(c.isalpha() for c in password) or not any(c.isdigit() for c in password):
        return "letters_and_digits"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return "too_common"
    if lowered == user.username or (user.person and lowered == user.person.id_number.lower()):
        return "same_as_login"
    if user.person and user.person.mobile and user.person.mobile in password:
        return "same_as_login"
    if user.initial_password and password == user.initial_password:
        return "same_as_initial"
    return None


def create_account(username: str, role: str, display_name: str = "", **fields) -> tuple[User, str]:
    """Create an account with a one-time password; returns the account and that password."""
    password = one_time_password()
    user = User(
        username=username.strip().lower(),
        role=role,
        display_name=display_name,
        initial_password=password,
        must_change_password=True,
        **fields,
    )
    db.session.add(user)
    return user, password


def ensure_candidate_account(person: Person) -> tuple[User, str | None]:
    """The candidate account of a person, created (with a one-time password) if missing."""
    user = db.session.scalar(select(User).where(User.person_id == person.id))
    if user is not None:
        if user.username != person.id_number.lower():
            user.username = person.id_number.lower()
        return user, None
    user, password = create_account(person.id_number, UserRole.CANDIDATE, person=person)
    return user, password


#: ``app.extensions`` key: loader options (``joinedload(…)``) for what a signed-in user comes
#: with on every request, added by the features that own those relations (people: the
#: person and their enterprise, which eligibility reads) — one statement instead of three.
USER_LOADS = "anpei_user_loads"


def add_user_load(app, option) -> None:
    """Load ``option`` (a loader option on ``User``) with the signed-in user from now on."""
    app.extensions.setdefault(USER_LOADS, []).append(option)


def load_user(session_id: str) -> User | None:
    """The account a session cookie names (``user id:key``), while that login session lasts."""
    user_id, _, key = session_id.partition(":")
    if not user_id.isdigit() or not key:
        return None
    user = db.session.scalar(
        select(User)
        .join(LoginSession)
        .where(User.id == int(user_id), *live_session(key, session_cutoff()))
        .options(*current_app.extensions.get(USER_LOADS, ()))
    )
    if user is None or user.disabled:
        return None
    user.session_key = key
    return user


def session_cutoff(now: datetime | None = None) -> datetime:
    """Login sessions begun at or before this moment have outlived ``ANPEI_SESSION_DAYS``."""
    return (now or utcnow()) - timedelta(days=current_app.config["SESSION_DAYS"])


def live_session(key, since) -> tuple:
    """Conditions: the login session named ``key`` exists and began after ``since`` (values
    or bind parameters; ``since`` from ``session_cutoff``). The one rule of a session that
    still holds, for the user loader and the exam API's short path."""
    return (LoginSession.key == key, LoginSession.created_at > since)


def begin_session(user: User, address: str = "", user_agent: str = "") -> LoginSession:
    """A new login session for ``user`` (flushed); ``login_user`` then names it in the cookie."""
    login = LoginSession(user_id=user.id, address=address[:45], user_agent=user_agent[:200])
    db.session.add(login)
    db.session.flush()
    user.session_key = login.key
    return login


def sign_in(user: User) -> None:
    """Sign ``user`` in on this request's browser: a new login session named in the cookie."""
    begin_session(user, request.remote_addr or "", request.user_agent.string)
    login_user(user)


def end_session(user: User) -> None:
    """End the login session ``user`` was loaded for: its cookie no longer works anywhere."""
    if user.session_key:
        db.session.execute(delete(LoginSession).where(LoginSession.key == user.session_key))
        user.session_key = ""


def end_sessions(user: User, keep: str | None = None) -> int:
    """Sign ``user`` out everywhere (except the session ``keep``); how many sessions ended."""
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        query = query.where(LoginSession.key != keep)
    return db.session.execute(query).rowcount or 0


def sessions_of(user: User, now: datetime | None = None) -> list[LoginSession]:
    """The user's login sessions that still hold, newest first."""
    return list(
        db.session.scalars(
            select(LoginSession)
            .where(LoginSession.user_id == user.id, LoginSession.created_at > session_cutoff(now))
            .order_by(LoginSession.created_at.desc(), LoginSession.id.desc())
        )
    )


def purge_login_sessions(now: datetime | None = None) -> int:
    """Delete login sessions past ``ANPEI_SESSION_DAYS`` (a scheduler job)."""
    result = db.session.execute(
        delete(LoginSession).where(LoginSession.created_at <= session_cutoff(now))
    )
    return result.rowcount or 0

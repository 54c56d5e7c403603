"""A database that is away or busy for a while is weather, not a bug: the request answers 503
with ``Retry-After`` (JSON code ``retry`` on the API, a page on the web), the log gets one
warning line and no traceback, and the next request works."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

import pytest
from conftest import BASE_CONFIG, PASSWORD, postgresql_only
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from exam import create_app
from exam.auth.models import UserRole
from exam.core.database import is_file_sqlite, is_transient
from exam.core.extensions import db
from exam.exams.models import AttemptAnswer


def _locked(dialect: str) -> Exception:
    """The driver's own "a lock is held elsewhere" error, as the database raises it."""
    if dialect == "sqlite":
        return sqlite3.OperationalError("database is locked")
    from psycopg import errors

    return errors.LockNotAvailable("canceling statement due to lock timeout")


@pytest.fixture
def sitting(client, login_as, make_exam):
    """A candidate signed in, an attempt under way, and one single-choice question of it."""
    login_as(UserRole.CANDIDATE)
    attempt_id = client.post(f"/api/v1/exams/{make_exam().id}/attempts").get_json()["attempt_id"]
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]
    question = next(q for q in paper["questions"] if q["kind"] == "single")
    return f"/api/v1/attempts/{attempt_id}/answers/{question['question_id']}"


@pytest.fixture
def failing_database(app):
    """While ``failing["on"]`` names a statement's start (or is ""), that statement fails as a
    locked database fails."""
    failing = {"on": None}
    dialect = db.engine.dialect.name

    def fail(conn, cursor, statement, parameters, context, executemany):
        if failing["on"] is not None and statement.lstrip().upper().startswith(failing["on"]):
            raise _locked(dialect)

    event.listen(db.engine, "before_cursor_execute", fail)
    yield failing
    event.remove(db.engine, "before_cursor_execute", fail)


def _warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def _stored_answers() -> list:
    db.session.expire_all()
    return db.session.scalars(db.select(AttemptAnswer.response)).all()


def test_a_locked_database_answers_a_save_503_retry_and_logs_one_line(
    client, sitting, failing_database, caplog
):
    failing_database["on"] = "INSERT INTO ATTEMPT_ANSWER"
    with caplog.at_level(logging.INFO):
        refused = client.put(sitting, json={"answer": "A", "seq": 1})
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "5"
    assert refused.get_json()["error"]["code"] == "retry"
    assert refused.get_json()["error"]["message"]
    [record] = _warnings(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    line = record.getMessage()
    assert "PUT" in line and sitting in line
    assert "OperationalError" in line or "LockNotAvailable" in line
    assert "Traceback" not in caplog.text

    failing_database["on"] = None  # the lock is gone: the page sends again, and it is kept
    again = client.put(sitting, json={"answer": "A", "seq": 1})
    assert again.status_code == 200 and again.get_json()["stored"] is True
    assert _stored_answers() == ["A"]


def test_a_page_while_the_database_is_away_is_a_friendly_503(
    client, login_as, failing_database, caplog
):
    login_as(UserRole.CANDIDATE)
    failing_database["on"] = ""  # every statement, the signed-in user's row included
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    with caplog.at_level(logging.INFO):
        page = client.get("/exams")
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert page.mimetype == "text/html"
    assert "系统正忙" in page.get_data(as_text=True)
    [record] = _warnings(caplog)
    assert record.exc_info is None and "GET /exams" in record.getMessage()

    failing_database["on"] = None
    assert client.get("/exams").status_code == 200


def test_a_database_bug_is_still_a_500(client, sitting, app, caplog):
    """Only the database's weather is a 503: a statement it refuses for good is a bug."""

    def broken(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO ATTEMPT_ANSWER"):
            raise conn.dialect.loaded_dbapi.ProgrammingError("syntax error")

    event.listen(db.engine, "before_cursor_execute", broken)
    try:
        with caplog.at_level(logging.INFO):
            response = client.put(sitting, json={"answer": "A", "seq": 1})
    finally:
        event.remove(db.engine, "before_cursor_execute", broken)
    assert response.status_code == 500 and "Retry-After" not in response.headers
    assert response.get_json()["error"]["code"] == "server_error"


def _cut_connections(database_url: str, name: str) -> int:
    """Kill the served app's backends, as a database restart or a firewall would."""
    outside = create_engine(database_url)
    with outside.begin() as conn:
        cut = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": name},
        ).scalar()
    outside.dispose()
    return cut


@postgresql_only  # pg_terminate_backend is PostgreSQL's
@pytest.mark.parametrize("pre_ping", [False, True])
def test_a_connection_cut_between_requests_is_retried_without_an_error(
    app, database_url, make_user, make_exam, pre_ping, caplog
):
    """No pre-ping (the default): a request whose first statement meets a dead connection is
    run again once on a fresh one; the candidate sees no 5xx and the save is stored once."""
    user = make_user(UserRole.CANDIDATE)
    exam_id = make_exam().id
    name = f"anpei-cut-{pre_ping:d}"
    served = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {
                "pool_pre_ping": pre_ping,
                "connect_args": {"application_name": name},
            },
        }
    )
    client = served.test_client()
    login = client.post("/api/v1/login", json={"login": user.username, "password": PASSWORD})
    assert login.status_code == 200
    attempt_id = client.post(f"/api/v1/exams/{exam_id}/attempts").get_json()["attempt_id"]
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]
    question = next(q for q in paper["questions"] if q["kind"] == "single")["question_id"]
    save = f"/api/v1/attempts/{attempt_id}/answers/{question}"

    assert _cut_connections(database_url, name) >= 1
    with caplog.at_level(logging.INFO):
        saved = client.put(save, json={"answer": "A", "seq": 1})  # a write, body replayed
    assert saved.status_code == 200 and saved.get_json()["stored"] is True
    assert ("running PUT" in caplog.text) is not pre_ping  # the retry, or the ping, took it

    assert _cut_connections(database_url, name) >= 1
    fetched = client.get(f"/api/v1/attempts/{attempt_id}")  # a read
    assert fetched.status_code == 200
    assert fetched.get_json()["answers"] == {str(question): {"answer": "A", "seq": 1}}
    assert _cut_connections(database_url, name) >= 1
    assert client.get("/api/v1/me/exams").status_code == 200  # the full path, Flask-Login's
    with served.app_context():
        db.engine.dispose()
    assert _stored_answers() == ["A"]


@postgresql_only  # pg_terminate_backend is PostgreSQL's
def test_a_request_that_already_wrote_is_not_run_again(app, database_url, make_user, caplog):
    """Only the first statement's dead connection is retried: once anything reached the
    database in a request, a later cut is a 503 the page sends again, never a silent rerun."""
    user = make_user(UserRole.CANDIDATE)
    name = "anpei-cut-late"
    served = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"application_name": name}},
        }
    )
    client = served.test_client()
    assert (
        client.post(
            "/api/v1/login", json={"login": user.username, "password": PASSWORD}
        ).status_code
        == 200
    )
    runs = []

    def cut_after_user_loaded(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT EXAM"):
            runs.append(statement)
            if len(runs) == 1:
                _cut_connections(database_url, name)

    with served.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", cut_after_user_loaded)
    try:
        with caplog.at_level(logging.INFO):
            response = client.get("/api/v1/me/exams")
    finally:
        event.remove(engine, "before_cursor_execute", cut_after_user_loaded)
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "retry"
    assert len(runs) == 1 and "running GET" not in caplog.text
    assert client.get("/api/v1/me/exams").status_code == 200
    with served.app_context():
        db.engine.dispose()


def test_a_save_waits_for_a_writer_holding_the_lock_six_seconds(client, sitting, database_url):
    """SQLite's default wait (5 s) would turn this save into an error; WAL and the busy
    timeout make it wait for the writer instead."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock")
    held, done = threading.Event(), threading.Event()

    def writer():
        other = sqlite3.connect(make_url(database_url).database, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock, as a long report or import takes it
        other.execute("UPDATE attempt SET focus_losses = focus_losses")
        held.set()
        time.sleep(6)
        other.execute("COMMIT")
        other.close()
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    assert held.wait(10)
    started = time.monotonic()
    response = client.put(sitting, json={"answer": "A", "seq": 1})
    waited = time.monotonic() - started
    thread.join()
    assert response.status_code == 200, response.get_data(as_text=True)
    assert done.is_set() and waited > 4  # it did wait for the writer
    assert _stored_answers() == ["A"]


def test_sqlite_files_get_wal_and_the_busy_timeout(tmp_path):
    app = create_app(
        {
            **BASE_CONFIG,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wal.sqlite'}",
            "SQLITE_BUSY_TIMEOUT": 12,
        }
    )
    with app.app_context(), db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 12000
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("url", "is_file"),
    [
        ("sqlite:////var/lib/anpei/anpei.sqlite", True),
        ("sqlite://", False),
        ("sqlite:///:memory:", False),
        ("sqlite:///file::memory:?uri=true", False),
        ("postgresql+psycopg://u@h/db", False),
    ],
)
def test_only_a_sqlite_file_is_switched_to_wal(url, is_file):
    assert is_file_sqlite(create_engine(url)) is is_file


def test_only_passing_failures_are_transient():
    from psycopg import errors
    from sqlalchemy import exc

    def wrapped(orig, cls=exc.OperationalError):
        return cls("SELECT 1", {}, orig)

    assert is_transient(wrapped(sqlite3.OperationalError("database is locked")))
    assert is_transient(wrapped(errors.SerializationFailure("could not serialize")))
    assert is_transient(wrapped(errors.AdminShutdown("terminating connection")))
    assert is_transient(exc.TimeoutError("QueuePool limit reached"))
    assert not is_transient(wrapped(sqlite3.OperationalError("no such table: exam")))
    assert not is_transient(wrapped(errors.QueryCanceled("statement timeout")))
    assert not is_transient(wrapped(errors.UniqueViolation("duplicate"), exc.IntegrityError))
    assert not is_transient(wrapped(sqlite3.InterfaceError("bad parameter"), exc.InterfaceError))

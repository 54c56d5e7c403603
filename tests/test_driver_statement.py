"""Exam day's busiest statements on the driver's own cursor (``DriverStatement`` in
exam/core/database.py): the same rows as SQLAlchemy gives, the pooled connection handed back
as it came, a driver's error raised as SQLAlchemy raises it."""

from __future__ import annotations

import functools
import logging
from datetime import UTC, datetime

import pytest
from conftest import postgresql_only
from sqlalchemy import (
    Integer,
    bindparam,
    column,
    create_engine,
    exc,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from exam.auth.models import User, UserRole
from exam.core.database import _CURSOR, DriverStatement, run_alone
from exam.core.extensions import db
from exam.exams.models import Attempt


@functools.cache  # built once, as run_alone's callers build theirs
def _candidate_query():
    """Typed columns both ways: values written into the statement (a role; an aware timestamp,
    which its column's type turns into naive UTC once), an aware timestamp read back."""
    return select(User.id, User.username, User.role, User.created_at).where(
        User.id == bindparam("user_id"),
        User.role == UserRole.CANDIDATE,
        User.created_at > datetime(2000, 1, 1, tzinfo=UTC),
    )


@postgresql_only
def test_a_driver_statement_reads_what_sqlalchemy_reads(app, client, login_as, make_exam):
    login_as(UserRole.CANDIDATE)
    attempt_id = client.post(f"/api/v1/exams/{make_exam().id}/attempts").get_json()["attempt_id"]
    attempt = db.session.get(Attempt, attempt_id)
    user_id = attempt.user_id
    queries = [
        (_candidate_query(), {"user_id": user_id}),
        (
            select(Attempt.paper, Attempt.deadline, Attempt.submitted_at).where(
                Attempt.id == bindparam("attempt_id")
            ),
            {"attempt_id": attempt_id},
        ),
    ]
    for statement, params in queries:
        with db.engine.connect() as connection:
            expected = connection.execute(statement, params).all()
        got = DriverStatement(statement, db.engine.dialect).run(db.engine, params)
        assert [tuple(row) for row in got] == [tuple(row) for row in expected]
        assert got[0]._fields == tuple(expected[0]._fields)
    [candidate] = run_alone(_candidate_query(), {"user_id": user_id})
    assert candidate.role == UserRole.CANDIDATE and candidate.created_at.tzinfo == UTC
    assert run_alone(_candidate_query(), {"user_id": user_id + 1000}) == []


@postgresql_only
def test_a_write_commits_by_itself_and_the_connection_goes_back_as_it_came(
    app, database_url, make_user
):
    """The statement commits on its own (no BEGIN, no COMMIT); the connection it borrowed is
    back in the pool out of autocommit, so the next borrower's rollback still undoes."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        user = make_user(UserRole.CANDIDATE)
        rename = (
            update(User)
            .where(User.id == bindparam("user_id"))
            .values(display_name=bindparam("name"))
            .returning(User.display_name)
        )
        [row] = DriverStatement(rename, engine.dialect).run(
            engine, {"user_id": user.id, "name": "改名"}
        )
        assert row.display_name == "改名"
        db.session.expire_all()
        assert db.session.get(User, user.id).display_name == "改名"  # committed, seen elsewhere

        with engine.connect() as connection:  # the one pooled connection, borrowed again
            assert connection.connection.driver_connection.autocommit is False
            connection.execute(
                update(User).where(User.id == user.id).values(display_name="回滚"),
            )
            connection.rollback()
        db.session.expire_all()
        assert db.session.get(User, user.id).display_name == "改名"
    finally:
        engine.dispose()


@postgresql_only
def test_a_refused_statement_is_raised_as_sqlalchemy_raises_it(app, database_url):
    """A broken statement is SQLAlchemy's ProgrammingError (a 500, a bug), not the driver's
    own exception; its connection is still good and back in the pool out of autocommit."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with engine.connect() as connection:
            first = connection.connection.driver_connection
        broken = select(column("no_such_column", Integer)).select_from(User.__table__)
        with pytest.raises(exc.ProgrammingError):
            DriverStatement(broken, engine.dialect).run(engine, {})
        assert engine.pool.checkedout() == 0
        with engine.connect() as connection:
            assert connection.connection.driver_connection is first  # not invalidated
            assert first.autocommit is False
            assert connection.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


@postgresql_only
def test_a_pooled_connection_keeps_one_cursor_for_the_driver_statements(
    app, database_url, make_user
):
    """Made at the connection's first driver statement and used by the next ones; made again
    when an error closed it or the pool replaced the connection."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)

    def kept_cursor():
        with engine.connect() as connection:
            cursor = connection.connection.info[_CURSOR]
            assert cursor.connection is connection.connection.driver_connection
            return cursor

    make_user(UserRole.CANDIDATE)  # a row for the statement that reads one
    try:
        ids = DriverStatement(
            select(User.id).where(User.id == bindparam("user_id")), engine.dialect
        )
        assert ids.run(engine, {"user_id": -1}) == []
        first = kept_cursor()
        assert ids.run(engine, {"user_id": -2}) == [] and kept_cursor() is first
        # Another statement on the same cursor, one with rows and one without: each run
        # answers with its own rows only, never the previous statement's.
        names = DriverStatement(select(User.username).limit(bindparam("n")), engine.dialect)
        assert len(names.run(engine, {"n": 1})) == 1
        assert ids.run(engine, {"user_id": -5}) == [] and kept_cursor() is first
        broken = select(column("no_such_column", Integer)).select_from(User.__table__)
        with pytest.raises(exc.ProgrammingError):
            DriverStatement(broken, engine.dialect).run(engine, {})
        assert first.closed  # SQLAlchemy closes the cursor of a failed statement
        assert ids.run(engine, {"user_id": -3}) == []
        second = kept_cursor()
        assert second is not first and not second.closed
        with engine.connect() as connection:
            connection.invalidate()  # the pool opens another connection for the next borrower
        assert ids.run(engine, {"user_id": -4}) == []
        assert kept_cursor() is not second
    finally:
        engine.dispose()


@postgresql_only
def test_no_connection_to_be_had_is_a_503_to_retry(
    client, login_as, make_exam, monkeypatch, caplog
):
    """The database refusing connections (a restart, too many clients) while a candidate
    saves is the database's weather: 503 with Retry-After, as on every other path."""
    login_as(UserRole.CANDIDATE)
    attempt_id = client.post(f"/api/v1/exams/{make_exam().id}/attempts").get_json()["attempt_id"]
    paper = client.get(f"/api/v1/attempts/{attempt_id}").get_json()["paper"]
    question = next(q for q in paper["questions"] if q["kind"] == "single")
    refused = db.engine.dialect.loaded_dbapi.OperationalError("connection refused")

    def refuse():
        raise refused

    save = f"/api/v1/attempts/{attempt_id}/answers/{question['question_id']}"
    assert client.put(save, json={"answer": "A", "seq": 1}).status_code == 200  # built once
    monkeypatch.setattr(db.engine.pool, "connect", refuse)
    with caplog.at_level(logging.INFO):
        response = client.put(save, json={"answer": "B", "seq": 2})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "retry"
    # One warning line, as for any request meeting the database's weather: no "unhandled
    # error" with its traceback on the way (the driver's own exception escaping unwrapped).
    [record] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert record.levelno == logging.WARNING and record.exc_info is None


def test_a_statement_with_expanding_parameters_is_refused_when_built():
    """Parameters rendered at execution (an expanding IN) would need SQLAlchemy's execution."""
    statement = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError):
        DriverStatement(statement, PGDialect_psycopg())
    DriverStatement(_candidate_query(), PGDialect_psycopg())  # named parameters: fine


def test_a_statement_needing_values_computed_at_execution_is_refused_when_built():
    """A Python-side default is computed by SQLAlchemy at each execution; compiled once, it
    would be written frozen (or as NULL): refused."""
    statement = insert(User).values(username=bindparam("username"), role=UserRole.CANDIDATE)
    with pytest.raises(ValueError):
        DriverStatement(statement, PGDialect_psycopg())

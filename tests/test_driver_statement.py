"""Exam day's busiest statements on the driver's own cursor (``DriverStatement`` in
exam/core/database.py): the same rows as SQLAlchemy gives, the pooled connection handed back
as it came, a driver's error raised as SQLAlchemy raises it."""

from __future__ import annotations

from datetime import UTC

import pytest
from conftest import postgresql_only
from sqlalchemy import bindparam, create_engine, exc, select, text, update
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from exam.auth.models import User, UserRole
from exam.core.database import DriverStatement, run_alone
from exam.core.extensions import db
from exam.exams.models import Attempt


def _candidate_query():
    """Typed columns both ways: an enum written into the statement, an aware timestamp read."""
    return select(User.id, User.username, User.role, User.created_at).where(
        User.id == bindparam("user_id"), User.role == UserRole.CANDIDATE
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
def test_a_refused_statement_is_raised_as_sqlalchemy_raises_it(app):
    """A broken statement is SQLAlchemy's ProgrammingError (a 500, a bug), not the driver's
    own exception, and the connection is back in the pool."""
    broken = select(text("no_such_column")).select_from(User.__table__)
    checked_in = db.engine.pool.checkedin()
    with pytest.raises(exc.ProgrammingError):
        DriverStatement(broken, db.engine.dialect).run(db.engine, {})
    assert db.engine.pool.checkedout() == 0
    assert db.engine.pool.checkedin() >= checked_in


def test_a_statement_with_expanding_parameters_is_refused_when_built():
    """Parameters rendered at execution (an expanding IN) would need SQLAlchemy's execution."""
    statement = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError):
        DriverStatement(statement, PGDialect_psycopg())
    DriverStatement(_candidate_query(), PGDialect_psycopg())  # named parameters: fine

"""The rules "an exam is open" and "a score that counts": the Python form and the SQL form of
each (``Exam``'s and ``Attempt``'s hybrids) agree over one table of cases, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import aliased

from exam.core.extensions import db
from exam.exams.models import Attempt, Exam, ExamStatus, window_status

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)

#: name: (published, opens_at, closes_at, the status at NOW).
EXAMS = {
    "draft in its window": (False, NOW - HOUR, NOW + HOUR, ExamStatus.DRAFT),
    "draft after its window": (False, NOW - 2 * HOUR, NOW - HOUR, ExamStatus.DRAFT),
    "before its window": (True, NOW + HOUR, NOW + 2 * HOUR, ExamStatus.UPCOMING),
    "a tick before it opens": (True, NOW + TICK, NOW + HOUR, ExamStatus.UPCOMING),
    "the moment it opens": (True, NOW, NOW + HOUR, ExamStatus.OPEN),
    "in its window": (True, NOW - HOUR, NOW + HOUR, ExamStatus.OPEN),
    "a tick before it closes": (True, NOW - HOUR, NOW + TICK, ExamStatus.OPEN),
    "the moment it closes": (True, NOW - HOUR, NOW, ExamStatus.CLOSED),
    "after its window": (True, NOW - 2 * HOUR, NOW - HOUR, ExamStatus.CLOSED),
}

#: name: (submitted_at, auto_submitted, cancelled_at, passed, counts, counts as a pass).
ATTEMPTS = {
    "in progress": (None, False, None, None, False, False),
    "reopened after a pass": (None, False, None, True, False, False),
    "submitted, passed": (NOW, False, None, True, True, True),
    "submitted, failed": (NOW, False, None, False, True, False),
    "auto-submitted, passed": (NOW, True, None, True, True, True),
    "auto-submitted, failed": (NOW, True, None, False, True, False),
    "passed, then cancelled": (NOW, False, NOW + HOUR, True, False, False),
    "failed, then cancelled": (NOW, True, NOW + HOUR, False, False, False),
}


def _exam(name: str, published: bool, opens_at: datetime, closes_at: datetime) -> Exam:
    return Exam(
        title=name,
        blueprint={"rules": []},
        opens_at=opens_at,
        closes_at=closes_at,
        published_at=NOW - 24 * HOUR if published else None,
    )


@pytest.fixture
def exams(app):
    made = {name: _exam(name, *case[:3]) for name, case in EXAMS.items()}
    db.session.add_all(made.values())
    db.session.commit()
    db.session.expire_all()  # the Python forms read what the database gives back
    return made


def _ids_where(condition, entity=Exam) -> set[int]:
    return set(db.session.scalars(select(entity.id).where(condition)))


@pytest.mark.parametrize("name", EXAMS)
def test_window_status_reads_the_table(name):
    published, opens_at, closes_at, expected = EXAMS[name]
    assert window_status(published, opens_at, closes_at, NOW) == expected


def test_exam_state_agrees_in_python_and_in_sql(exams):
    for moment in (NOW, NOW - HOUR, NOW + HOUR):
        for hybrid in ("has_opened", "has_closed", "is_open_at"):
            in_sql = _ids_where(getattr(Exam, hybrid)(moment))
            in_python = {e.id for e in exams.values() if getattr(e, hybrid)(moment)}
            assert in_sql == in_python, (hybrid, moment)
            not_in_sql = _ids_where(~getattr(Exam, hybrid)(moment))
            assert not_in_sql == {e.id for e in exams.values()} - in_python, (hybrid, moment)
    assert _ids_where(Exam.is_published) == {e.id for e in exams.values() if e.is_published}


def test_exam_state_follows_its_status(exams):
    for name, exam in exams.items():
        status = EXAMS[name][3]
        assert exam.status(NOW) == status, name
        assert exam.is_open_at(NOW) == (status == ExamStatus.OPEN), name
        assert exam.has_opened(NOW) == (status in (ExamStatus.OPEN, ExamStatus.CLOSED)), name
        assert exam.is_published == (status != ExamStatus.DRAFT), name
    opened = _ids_where(Exam.is_open_at(NOW))
    assert opened == {exams[n].id for n, case in EXAMS.items() if case[3] == ExamStatus.OPEN}


def test_exam_state_in_sql_through_an_alias(exams):
    """Reports read the rule on an aliased exam (an original's makeup)."""
    other = aliased(Exam)
    assert _ids_where(other.is_open_at(NOW), other) == _ids_where(Exam.is_open_at(NOW))
    assert _ids_where(~other.has_closed(NOW), other) == _ids_where(~Exam.has_closed(NOW))


@pytest.fixture
def attempts(app, make_user):
    owner = make_user()
    exam = _exam("attempts", True, NOW - HOUR, NOW + HOUR)
    db.session.add(exam)
    db.session.flush()
    made = {}
    for number, (name, case) in enumerate(ATTEMPTS.items(), start=1):
        submitted_at, auto, cancelled_at, passed = case[:4]
        made[name] = Attempt(
            exam_id=exam.id,
            user_id=owner.id,
            number=number,
            seed=number,
            paper=[],
            paper_json="[]",
            started_at=NOW - HOUR,
            deadline=NOW + HOUR,
            submitted_at=submitted_at,
            auto_submitted=auto,
            cancelled_at=cancelled_at,
            passed=passed,
            score=100.0 if passed else (0.0 if passed is False else None),
        )
    db.session.add_all(made.values())
    db.session.commit()
    db.session.expire_all()
    return made


def test_a_score_that_counts_agrees_in_python_and_in_sql(attempts):
    for name, attempt in attempts.items():
        counts, counts_as_pass = ATTEMPTS[name][4:]
        assert attempt.counts is counts, name
        assert attempt.counts_as_pass is counts_as_pass, name
    for hybrid in ("counts", "counts_as_pass"):
        in_python = {a.id for a in attempts.values() if getattr(a, hybrid)}
        assert _ids_where(getattr(Attempt, hybrid), Attempt) == in_python, hybrid
        everyone = {a.id for a in attempts.values()}
        assert _ids_where(~getattr(Attempt, hybrid), Attempt) == everyone - in_python, hybrid

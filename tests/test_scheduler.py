"""The scheduler process: its jobs, their unit of work, and the single-instance lock."""

from datetime import timedelta

import pytest

from exam.auth.models import LoginAttempt
from exam.auth.services import purge_login_attempts
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from scheduler.__main__ import build_scheduler, run_job
from scheduler.lock import AlreadyRunning, SchedulerLock


def test_scheduler_registers_the_purge_job(app):
    scheduler = build_scheduler(app)
    assert [job.id for job in scheduler.get_jobs()] == [
        "close_overdue_attempts",
        "certificate_sweep",
        "purge_lookups",
        "purge_login_attempts",
        "forget_unconfirmed_imports",
        "take_rosters",
    ]


def test_the_rosters_job_takes_the_no_shows_of_closed_exams(app, make_exam, make_user):
    from exam.auth.models import UserRole
    from exam.core.timeutil import utcnow
    from exam.reports.kept.candidacy import take_rosters_now
    from exam.reports.kept.models import Candidacy, Roster

    exam = make_exam()
    leader = make_user(UserRole.CANDIDATE)
    exam.opens_at, exam.closes_at = utcnow() - timedelta(days=2), utcnow() - timedelta(days=1)
    leader.person.created_at = utcnow() - timedelta(days=3)  # registered before it closed
    db.session.commit()
    assert run_job(app, take_rosters_now) == 1
    assert db.session.get(Roster, exam.id) is not None
    listed = db.session.scalars(db.select(Candidacy).where(Candidacy.exam_id == exam.id)).all()
    assert [(c.person_id, c.listed, c.started) for c in listed] == [(leader.person_id, 1, 0)]
    assert run_job(app, take_rosters_now) == 0  # taken once


def test_job_runs_as_one_committed_unit_of_work(app):
    db.session.add(LoginAttempt(at=utcnow() - timedelta(days=400), login_key="old", address="x"))
    db.session.commit()
    assert run_job(app, purge_login_attempts) == 1
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(LoginAttempt.id))) == 0


def test_failing_job_leaves_nothing_half_written_and_is_logged(app, caplog):
    def failing():
        db.session.add(LoginAttempt(login_key="half-written", address="x"))
        db.session.flush()
        raise RuntimeError("boom")

    assert run_job(app, failing) is None  # the scheduler's thread goes on
    assert "job failing failed" in caplog.text
    assert (
        db.session.scalar(db.select(LoginAttempt).where(LoginAttempt.login_key == "half-written"))
        is None
    )
    assert run_job(app, purge_login_attempts) == 0  # the next job runs normally


def test_each_job_run_is_logged_as_it_starts_and_ends(app, caplog):
    caplog.set_level("INFO", logger="anpei.scheduler")
    assert run_job(app, purge_login_attempts) == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "anpei.scheduler"]
    assert lines == ["job purge_login_attempts started", "job purge_login_attempts ended"]


def test_unconfirmed_imports_are_forgotten_after_an_hour(app, make_user):
    from exam.core.uploads import PendingImport
    from scheduler.__main__ import forget_unconfirmed_imports

    user = make_user()
    db.session.add_all(
        [
            PendingImport(
                token="old", user_id=user.id, data=b"x", created_at=utcnow() - timedelta(hours=2)
            ),
            PendingImport(token="new", user_id=user.id, data=b"x"),
        ]
    )
    db.session.commit()
    assert run_job(app, forget_unconfirmed_imports) == 1
    db.session.expire_all()
    assert [p.token for p in db.session.scalars(db.select(PendingImport))] == ["new"]


def test_only_one_scheduler_may_hold_the_lock(app):
    first = SchedulerLock(db.engine, app.instance_path).acquire()
    try:
        with pytest.raises(AlreadyRunning):
            SchedulerLock(db.engine, app.instance_path).acquire()
    finally:
        first.release()
    SchedulerLock(db.engine, app.instance_path).acquire().release()  # free again

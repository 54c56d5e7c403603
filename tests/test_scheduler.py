"""The scheduler process: its jobs, their unit of work, and the single-instance lock."""

from datetime import timedelta

import pytest

from exam.auth.models import LoginAttempt
from exam.auth.services import purge_login_attempts
from exam.extensions import db
from exam.timeutil import utcnow
from scheduler.__main__ import build_scheduler, run_job
from scheduler.lock import AlreadyRunning, SchedulerLock


def test_scheduler_registers_the_purge_job(app):
    scheduler = build_scheduler(app)
    assert [job.id for job in scheduler.get_jobs()] == ["purge_login_attempts"]


def test_job_runs_as_one_committed_unit_of_work(app):
    db.session.add(LoginAttempt(at=utcnow() - timedelta(days=400), login_key="old", address="x"))
    db.session.commit()
    assert run_job(app, purge_login_attempts) == 1
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(LoginAttempt.id))) == 0


def test_failing_job_rolls_back_and_does_not_crash_the_scheduler(app):
    def failing():
        db.session.add(LoginAttempt(login_key="half-written", address="x"))
        db.session.flush()
        raise RuntimeError("boom")

    assert run_job(app, failing) is None
    assert db.session.scalar(db.select(LoginAttempt).where(LoginAttempt.login_key == "half-written")) is None


def test_only_one_scheduler_may_hold_the_lock(app):
    first = SchedulerLock(db.engine, app.instance_path).acquire()
    try:
        with pytest.raises(AlreadyRunning):
            SchedulerLock(db.engine, app.instance_path).acquire()
    finally:
        first.release()
    SchedulerLock(db.engine, app.instance_path).acquire().release()  # free again

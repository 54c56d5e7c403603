"""The scheduler process: its jobs, their unit of work, and the single-instance lock."""

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
from conftest import postgresql_only
from sqlalchemy import make_url, text

from exam.auth.models import LoginAttempt
from exam.auth.services import purge_login_attempts
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from scheduler.__main__ import build_scheduler, run_job
from scheduler.lock import AlreadyRunning, SchedulerLock


def test_scheduler_registers_the_purge_job(app):
    scheduler = build_scheduler(app, SchedulerLock(db.engine, app.instance_path))
    assert [job.id for job in scheduler.get_jobs()] == [
        "close_overdue_attempts",
        "predraw_papers",
        "certificate_sweep",
        "purge_lookups",
        "purge_login_attempts",
        "purge_login_sessions",
        "forget_unconfirmed_imports",
        "take_rosters",
        "keep_lock",
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


# --- the lock over the scheduler's life: lost, taken again, taken over ---------------------


@pytest.fixture
def probe():
    """A job that records each run."""
    runs = []

    def probe():
        runs.append(1)
        return len(runs)

    probe.runs = runs
    return probe


@pytest.fixture
def scheduler_log(caplog):
    """What the scheduler logs, down to INFO (a skipped job is an INFO line)."""
    caplog.set_level(logging.INFO, "anpei.scheduler")
    return caplog


@pytest.fixture
def locks(app):
    """Schedulers' locks on the test database, each released at the end."""
    made = []

    def make():
        made.append(SchedulerLock(db.engine, app.instance_path))
        return made[-1]

    yield make
    for lock in made:
        lock.release()


def _terminate(*pids):
    """End server backends as a crash, fail-over or administrator would, from a connection of
    the test's own, and wait until they are gone."""
    with db.engine.connect() as admin:
        for pid in pids:
            admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})


def _backends_of_the_database() -> list[int]:
    with db.engine.connect() as admin:
        return admin.scalars(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()


def test_a_job_runs_while_its_scheduler_holds_the_lock(app, locks, probe):
    lock = locks()
    assert lock.keep()
    assert run_job(app, probe, lock=lock) == 1
    assert lock.keep()  # the watchdog finds it still held
    assert run_job(app, probe, lock=lock) == 2


def test_a_scheduler_standing_by_takes_over_when_the_other_stops(app, locks, probe, scheduler_log):
    first, second = locks(), locks()
    assert first.keep()
    assert not second.keep()
    assert "another scheduler holds the lock" in scheduler_log.text
    assert "standing by" in scheduler_log.text
    assert run_job(app, probe, lock=second) is None
    assert "job probe skipped: this scheduler does not hold the lock" in scheduler_log.text
    assert probe.runs == []
    first.release()
    assert second.keep()
    assert "lock acquired" in scheduler_log.text
    assert run_job(app, probe, lock=second) == 1


@postgresql_only
def test_a_killed_lock_connection_stops_jobs_until_the_lock_is_retaken(
    app, locks, probe, scheduler_log
):
    lock = locks()
    assert lock.keep()
    _terminate(lock.backend_pid)
    assert run_job(app, probe, lock=lock) is None
    assert probe.runs == []
    assert "job probe skipped: this scheduler does not hold the lock" in scheduler_log.text
    assert lock.keep()  # the watchdog: lost, and taken again on a fresh connection
    assert "lock lost" in scheduler_log.text
    assert "lock re-acquired" in scheduler_log.text
    assert run_job(app, probe, lock=lock) == 1


@postgresql_only
def test_a_simulated_server_restart_stops_jobs_until_the_lock_is_retaken(
    app, locks, probe, scheduler_log
):
    lock = locks()
    assert lock.keep()
    assert run_job(app, probe, lock=lock) == 1
    _terminate(*_backends_of_the_database())  # every session ends, as in a restart
    assert run_job(app, probe, lock=lock) is None
    assert probe.runs == [1]
    assert lock.keep()
    assert "lock lost" in scheduler_log.text
    assert "lock re-acquired" in scheduler_log.text
    assert run_job(app, probe, lock=lock) == 2


@postgresql_only
def test_a_scheduler_that_lost_its_lock_runs_nothing_while_another_holds_it(
    app, locks, probe, scheduler_log
):
    first, second = locks(), locks()
    assert first.keep()
    _terminate(first.backend_pid)
    assert second.keep()  # the other scheduler's watchdog takes the lock over
    assert run_job(app, probe, lock=first) is None
    assert not first.keep()
    assert "lock lost" in scheduler_log.text
    assert "another scheduler holds the lock" in scheduler_log.text
    assert not first.keep()  # and goes on standing by
    assert run_job(app, probe, lock=first) is None
    assert probe.runs == []
    assert run_job(app, probe, lock=second) == 1
    second.release()
    assert first.keep()
    assert "lock re-acquired" in scheduler_log.text
    assert run_job(app, probe, lock=first) == 2


@postgresql_only
def test_a_scheduler_taking_over_waits_for_the_job_the_other_is_running(app, locks):
    """The lock is checked in the job's transaction, which holds the jobs lock until it ends:
    a scheduler taking over after the first lost its lock mid-job waits for that job."""
    first, second = locks(), locks()
    assert first.keep()
    events, started, finish = [], threading.Event(), threading.Event()

    def long_job():
        started.set()
        finish.wait(10)
        events.append("first scheduler's job ends")

    running = threading.Thread(target=run_job, args=(app, long_job), kwargs={"lock": first})
    running.start()
    assert started.wait(10)
    _terminate(first.backend_pid)
    taking_over = threading.Thread(target=lambda: second.keep() and events.append("taken over"))
    taking_over.start()
    time.sleep(1)
    assert events == []  # the other scheduler waits
    finish.set()
    running.join(10)
    taking_over.join(10)
    assert events == ["first scheduler's job ends", "taken over"]


# --- what the scheduler logs ---------------------------------------------------------------

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "scheduler"],
        ["-c", "from exam.cli import main; main(['scheduler'])"],  # `anpei scheduler`
    ],
    ids=["python -m scheduler", "anpei scheduler"],
)
def test_the_scheduler_logs_where_it_runs_with_timestamps(database_url, tmp_path, command):
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="not-to-be-logged")
    env = {name: value for name, value in os.environ.items() if not name.startswith("ANPEI_")}
    env.update(
        ANPEI_DATABASE_URL=url.render_as_string(hide_password=False),
        ANPEI_INSTANCE_PATH=str(tmp_path),
    )
    log_path = tmp_path / "scheduler.log"
    with open(log_path, "w") as log_file:
        process = subprocess.Popen(
            [sys.executable, *command],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            # Ctrl-C as from a terminal, even where the suite itself was started with SIGINT
            # ignored (a command sent to the background by a shell without job control).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + 60
        while "lock acquired" not in log_path.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log_path.read_text()
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
    lines = log_path.read_text().splitlines()
    start = next(line for line in lines if "scheduler starting" in line)
    assert f"host {os.uname().nodename}, pid {process.pid}, " in start
    assert f"database {url.render_as_string(hide_password=True)}, " in start
    assert "jobs: close_overdue_attempts, predraw_papers, certificate_sweep, " in start
    assert "not-to-be-logged" not in "\n".join(lines)
    assert all(TIMESTAMP.match(line) for line in lines), lines

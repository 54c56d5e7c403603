"""``anpei-scheduler``: run Anpei's periodic jobs. One scheduler runs jobs per installation;
another one started beside it stands by and takes over when the first stops."""

from __future__ import annotations

import logging
import os
import socket
import sys

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from exam import create_app
from exam.auth.services import purge_login_attempts, purge_login_sessions
from exam.certificates.services import purge_lookups
from exam.certificates.services import sweep as certificate_sweep
from exam.core import schema
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.core.uploads import PENDING_FOR, forget_pending_imports
from exam.exams.services import close_overdue_attempts, predraw_exam_papers
from exam.reports.kept.candidacy import take_rosters_now
from scheduler.lock import SchedulerLock

log = logging.getLogger("anpei.scheduler")


def run_job(app: Flask, job, *args, lock: SchedulerLock | None = None) -> object:
    """Run one job as one unit of work: its own app context, one commit, rollback on error.

    Under the scheduler's lock, the job's transaction first checks that this scheduler still
    holds it (``SchedulerLock.covers``); if not, the job is skipped and logged. Without a lock
    (tests, a one-off run) the job just runs. A run that happens logs one line as the job
    starts and one as it ends, so it can be placed in time (the fault benchmark reads them to
    tell whether two schedulers ever ran jobs at once).
    """
    name, started = _name(job), False
    with app.app_context():
        try:
            if lock is not None and not lock.covers(db.session):
                log.info("job %s skipped: this scheduler does not hold the lock", name)
                return None
            log.info("job %s started", name)
            started = True
            result = job(*args)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            return None
        finally:
            db.session.remove()
            if started:
                log.info("job %s ended", name)


def _name(job) -> str:
    return getattr(job, "__name__", str(job))


def forget_unconfirmed_imports() -> int:
    """Delete uploads nobody confirmed within the hour they were kept for."""
    return forget_pending_imports(utcnow() - PENDING_FOR)


#: Every periodic job: its id, what it runs and when.
JOBS = (
    # Attempts past their deadline are closed and graded even if their candidate never returns.
    ("close_overdue_attempts", close_overdue_attempts, "interval", {"seconds": 30}),
    # Papers drawn ahead for exams opening within a day, so the start burst claims them; those
    # drawn from a bank or exam changed since are discarded and drawn again.
    ("predraw_papers", predraw_exam_papers, "interval", {"seconds": 15}),
    # Certificates not issued or not rendered at submission (a failure there never fails it).
    ("certificate_sweep", certificate_sweep, "interval", {"seconds": 60}),
    ("purge_lookups", purge_lookups, "interval", {"minutes": 30}),
    ("purge_login_attempts", purge_login_attempts, "cron", {"hour": 3, "minute": 17}),
    ("purge_login_sessions", purge_login_sessions, "cron", {"hour": 3, "minute": 23}),
    ("forget_unconfirmed_imports", forget_unconfirmed_imports, "interval", {"minutes": 30}),
    # The no-shows of exams that have closed, for the reports (until then a report reads a
    # closed exam's roster as it will be taken; report pages never write).
    ("take_rosters", take_rosters_now, "interval", {"minutes": 5}),
)

#: How often the watchdog checks the lock (and keeps its connection alive), or, standing by,
#: tries to take it over.
LOCK_CHECK_SECONDS = 10


def build_scheduler(app: Flask, lock: SchedulerLock) -> BlockingScheduler:
    """The scheduler with every periodic job and the lock's watchdog registered (not started)."""
    scheduler = BlockingScheduler(timezone=app.config["DISPLAY_TIMEZONE"])
    for job_id, job, trigger, when in JOBS:
        scheduler.add_job(
            run_job,
            trigger,
            args=[app, job],
            kwargs={"lock": lock},
            id=job_id,
            name=job_id,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            **when,
        )
    scheduler.add_job(
        lock.keep,
        "interval",
        seconds=LOCK_CHECK_SECONDS,
        id="keep_lock",
        name="keep_lock",
        coalesce=True,
        max_instances=1,
    )
    return scheduler


def start_line(app: Flask, scheduler: BlockingScheduler) -> str:
    """What the log says first: where this scheduler runs, on which database, with which jobs."""
    with app.app_context():
        database = db.engine.url.render_as_string(hide_password=True)
    jobs = ", ".join(job.id for job in scheduler.get_jobs())
    return (
        f"scheduler starting on host {socket.gethostname()}, pid {os.getpid()}, "
        f"database {database}, jobs: {jobs}"
    )


def main() -> int:
    # force: the scheduler's process logs with timestamps at INFO whoever configured logging
    # first (the `anpei` command line may have loaded the app, which sets a bare WARNING root).
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", force=True
    )
    app = create_app()
    if app.config["DB_TRANSACTION_POOLER"]:
        # A session advisory lock through a pooler in transaction mode would be held by a
        # server connection other clients then borrow: no scheduler could trust or free it.
        log.error(
            "the scheduler needs a direct connection to PostgreSQL for its lock: run it with "
            "ANPEI_DATABASE_URL naming the server itself and without ANPEI_DB_TRANSACTION_POOLER"
        )
        return 2
    with app.app_context():
        state = schema.check(db.engine, schema.migrations_directory(app))
        if not state.ready:  # its jobs would fail on every run: say what to do instead
            log.error(state.message)
            return 1
        lock = SchedulerLock(db.engine, app.instance_path)
    scheduler = build_scheduler(app, lock)
    log.info(start_line(app, scheduler))
    lock.keep()  # takes the lock, or stands by until the scheduler holding it stops
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``anpei-scheduler``: run Anpei's periodic jobs. Start exactly one per installation."""

from __future__ import annotations

import logging
import sys

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from exam import create_app
from exam.auth.services import purge_login_attempts
from exam.certificates.services import purge_lookups
from exam.certificates.services import sweep as certificate_sweep
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.core.uploads import PENDING_FOR, forget_pending_imports
from exam.exams.services import close_overdue_attempts
from exam.reports.kept.candidacy import take_rosters_now
from scheduler.lock import AlreadyRunning, SchedulerLock

log = logging.getLogger("anpei.scheduler")


def run_job(app: Flask, job, *args) -> object:
    """Run one job as one unit of work: its own app context, one commit, rollback on error."""
    name = getattr(job, "__name__", job)
    with app.app_context():
        try:
            # One line as the job itself starts and one as its run ends, so a run can be placed
            # in time (the fault benchmark reads them to tell whether two schedulers ever ran
            # jobs at once): only a job that really runs may log "started".
            log.info("job %s started", name)
            result = job(*args)
            db.session.commit()
            return result
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", name)
            return None
        finally:
            db.session.remove()
            log.info("job %s ended", name)


def forget_unconfirmed_imports() -> int:
    """Delete uploads nobody confirmed within the hour they were kept for."""
    return forget_pending_imports(utcnow() - PENDING_FOR)


#: Every periodic job: its id, what it runs and when.
JOBS = (
    # Attempts past their deadline are closed and graded even if their candidate never returns.
    ("close_overdue_attempts", close_overdue_attempts, "interval", {"seconds": 30}),
    # Certificates not issued or not rendered at submission (a failure there never fails it).
    ("certificate_sweep", certificate_sweep, "interval", {"seconds": 60}),
    ("purge_lookups", purge_lookups, "interval", {"minutes": 30}),
    ("purge_login_attempts", purge_login_attempts, "cron", {"hour": 3, "minute": 17}),
    ("forget_unconfirmed_imports", forget_unconfirmed_imports, "interval", {"minutes": 30}),
    # The no-shows of exams that have closed, for the reports (until then a report reads a
    # closed exam's roster as it will be taken; report pages never write).
    ("take_rosters", take_rosters_now, "interval", {"minutes": 5}),
)


def build_scheduler(app: Flask) -> BlockingScheduler:
    """The scheduler with every periodic job registered (not yet started)."""
    scheduler = BlockingScheduler(timezone=app.config["DISPLAY_TIMEZONE"])
    for job_id, job, trigger, when in JOBS:
        scheduler.add_job(
            run_job,
            trigger,
            args=[app, job],
            id=job_id,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
            **when,
        )
    return scheduler


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    app = create_app()
    with app.app_context():
        lock = SchedulerLock(db.engine, app.instance_path)
        try:
            lock.acquire()
        except AlreadyRunning as exc:
            log.error("not starting: %s", exc)
            return 1
    scheduler = build_scheduler(app)
    log.info("scheduler started with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lock.release()
    return 0


if __name__ == "__main__":
    sys.exit(main())

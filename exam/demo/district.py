"""The whole demo district, built in the app's configured database: what ``anpei demo``
builds, and what the route sweep test requests every page of."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from exam.certificates import services as certificates
from exam.certificates.models import SiteSetting
from exam.core.extensions import db
from exam.core.printing import font_path
from exam.core.timeutil import display_zone, utcnow
from exam.demo.data import DemoLogins, build_demo, demo_logins
from exam.demo.exams import load_demo_exams
from exam.demo.learning import load_demo_learning
from exam.demo.questions import load_demo_questions
from exam.demo.screenings import load_demo_screenings
from exam.demo.seal import demo_seal
from exam.demo.training import load_demo_training
from exam.reports.kept import candidacy
from exam.reports.kept import hours as hourskept


@dataclass(frozen=True)
class DemoDistrict:
    """What was built, for the command to print."""

    logins: DemoLogins
    questions: int
    exam_titles: list[str]
    certificates: int
    sessions: int


def build_district(seed: int, now: datetime | None = None) -> DemoDistrict:
    """Build the demo district from ``seed`` into an empty, migrated database and commit it.

    The same seed builds the same district (people, attempts, certificates), dated relative
    to one ``now`` (by default the clock's, read once); only secrets (one-time passwords,
    certificate numbers, sign-in codes) are new each time."""
    rng, now = random.Random(seed), now or utcnow()
    build_demo(rng, now.astimezone(display_zone()).date())
    questions = load_demo_questions(rng, now)
    exams = load_demo_exams(rng, now)
    sessions = load_demo_training(rng, now)
    load_demo_screenings(rng, now)
    load_demo_learning(rng, now)
    _keep_report_rows(now)
    db.session.commit()
    certificates = _demo_certificates(now)
    return DemoDistrict(demo_logins(), questions, [e.title for e in exams], certificates, sessions)


def _keep_report_rows(now: datetime) -> None:
    """What the reports keep, for the demo district built partly row by row: built from
    scratch, with the rosters of the exams closed by now (as the scheduler would take them)."""
    candidacy.rebuild()
    hourskept.rebuild()
    candidacy.take_rosters(now)


def _demo_certificates(now: datetime) -> int:
    """A specimen seal, and the certificates of those who passed the demo's closed exam."""
    seal = demo_seal(
        current_app.config["BUREAU_NAME"], font_path(current_app.config["CERTIFICATE_FONT"] or None)
    )
    db.session.add(
        SiteSetting(key=certificates.SEAL_KEY, text_value="示例公章.png", blob_value=seal)
    )
    issued = 0
    for attempt in certificates.uncertified_attempts():
        certificate = certificates.issue_for_attempt(attempt, attempt.submitted_at)
        # Issued the day they passed, as it would have been.
        certificate.issued_on = attempt.submitted_at.astimezone(display_zone()).date()
        certificate.valid_until = certificates.valid_until(
            certificate.issued_on, current_app.config["CERTIFICATE_YEARS"]
        )
        issued += 1
    db.session.flush()
    certificates.render_pending(now=now)
    db.session.commit()
    return issued

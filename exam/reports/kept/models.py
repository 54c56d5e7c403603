"""What the reports keep so that they need not work it out again on every request.

``Candidacy`` holds one row per person and (original) exam: where the person was on the day
the exam opened and what their attempts there and at its makeup add up to. It is kept in step
with the attempts, the people's posts and histories and the exams by ``exam.reports.kept.candidacy``
(receivers of the features' signals, in the same transaction as the change), so that a pass-rate report
sums a few hundred thousand narrow rows instead of joining the attempts, the register and the
employment history. The people an exam was for but who never came (no-shows) are added when the
exam has closed: its roster (``Roster``), taken once. ``LastResult`` keeps each account's
latest score that counts, where the 100% tracker starts from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from exam.core.extensions import db
from exam.core.timeutil import UTCDateTime


class Candidacy(db.Model):
    """One person at one original exam (not a makeup) together with its makeup (人次)."""

    exam_id: Mapped[int] = mapped_column(
        ForeignKey("exam.id", ondelete="CASCADE"), primary_key=True
    )
    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    #: Where the person was on the day the exam opened (their stint then; else as now).
    enterprise_id: Mapped[int | None] = mapped_column(
        ForeignKey("enterprise.id", ondelete="SET NULL")
    )
    role: Mapped[str | None] = mapped_column(String(32))
    #: On the exam's roster, taken when it closed: the people it was for (1) or not (0).
    listed: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: 1 when the person started an attempt at the exam or its makeup.
    started: Mapped[int] = mapped_column(SmallInteger, default=0)
    sat_first: Mapped[int] = mapped_column(SmallInteger, default=0)
    passed_first: Mapped[int] = mapped_column(SmallInteger, default=0)
    sat_final: Mapped[int] = mapped_column(SmallInteger, default=0)
    passed_final: Mapped[int] = mapped_column(SmallInteger, default=0)
    #: Attempts whose score was cancelled, at the exam or its makeup.
    cancelled: Mapped[int] = mapped_column(SmallInteger, default=0)


class LastResult(db.Model):
    """Each account's latest score that counts (submitted, not cancelled): where the 100%
    tracker starts from (passed, failed at an exam or at its makeup)."""

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), primary_key=True
    )
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempt.id", ondelete="CASCADE"), index=True
    )
    exam_id: Mapped[int] = mapped_column(ForeignKey("exam.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    passed: Mapped[bool]


class PersonHours(db.Model):
    """Hours credited on site to a person toward one training obligation (days in Beijing
    time): training sessions and screenings attended, and outside training apart (the bureau
    may not count it). Kept in step by ``exam.reports.kept.hours``; online study is read as it
    is."""

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    #: The obligation (``exam.training.obligations.period_of``): minus the stint's id for the
    #: initial training of that stint, else the year of the retraining.
    period: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    attended: Mapped[float] = mapped_column(default=0.0)
    external: Mapped[float] = mapped_column(default=0.0)


class Roster(db.Model):
    """An exam whose roster has been taken (its listed candidacies are in ``Candidacy``)."""

    exam_id: Mapped[int] = mapped_column(
        ForeignKey("exam.id", ondelete="CASCADE"), primary_key=True
    )
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)

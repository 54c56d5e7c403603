"""Training by sector and by topic over a period: sessions held, person-times (人次) and
person-hours, with the lecturers — what the bureau reports as "危险化学品、冶金、有限空间专题培训
N场、N人次".

A session is *held* in the period when it started within it (Beijing dates, both included), by
``now``, and was not cancelled. Person-times are attendances (an enrolment with attendance
taken); person-hours are the hours the session credits times its attendees. The 专题 of the
bureau's report (危险化学品, 冶金, 有限空间 …) are the sessions' sectors; the topics are the
nodes of the topic tree (八抓 areas, measures, points) the session is about. A session in two
sectors, or about two topics, counts in both rows, and once in the total.

A scoped organiser sees the attendances of people in their scope (where they are now), and the
sessions those people attended: the dashboard's training figures are this report's total.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, Sector
from exam.questions.models import Topic
from exam.reports.sql.dates import period_bounds
from exam.training.models import Enrolment, TrainingSession, session_sector, session_topic


@dataclass(frozen=True)
class TrainingRow:
    """One sector's or topic's sessions (or the total): key None is "none" (or the total)."""

    key: int | None
    label: str
    sessions: int
    person_times: int
    #: Hours credited times attendees, summed over the sessions.
    person_hours: float
    lecturers: tuple[str, ...] = ()


@dataclass(frozen=True)
class SessionRow:
    """One session held in the period, with its attendance."""

    id: int
    starts_at: datetime
    title: str
    sectors: str
    topics: str
    lecturer: str
    organising_unit: str
    mode: str
    hours: float
    attendees: int

    @property
    def person_hours(self) -> float:
        return self.hours * self.attendees


@dataclass(frozen=True)
class TrainingReport:
    date_from: date
    date_to: date
    total: TrainingRow
    by_sector: tuple[TrainingRow, ...]
    by_topic: tuple[TrainingRow, ...]
    sessions: tuple[SessionRow, ...]


def _attendance(user: User):
    """Attendances per session (of people in the user's scope) as a subquery."""
    query = select(
        Enrolment.session_id.label("session_id"), func.count(Enrolment.id).label("attendees")
    ).where(Enrolment.attended_at.is_not(None))
    if user.role != UserRole.ADMIN:
        query = scope_enterprises(
            query.join(Person, Person.id == Enrolment.person_id).join(
                Enterprise, Enterprise.id == Person.enterprise_id
            ),
            user,
        )
    return query.group_by(Enrolment.session_id).subquery("attendance")


def held_sessions(
    user: User, date_from: date, date_to: date, now: datetime, sector_id: int | None = None
):
    """The sessions held in the period (see the module), with their attendees: a SELECT of
    (id, title, starts_at, lecturer, organising_unit, mode, hours, attendees)."""
    start, end = period_bounds(date_from, date_to)
    attendance = _attendance(user)
    attendees = func.coalesce(attendance.c.attendees, 0)
    query = (
        select(
            TrainingSession.id,
            TrainingSession.title,
            TrainingSession.starts_at,
            TrainingSession.lecturer,
            TrainingSession.organising_unit,
            TrainingSession.mode,
            TrainingSession.hours,
            attendees.label("attendees"),
        )
        .outerjoin(attendance, attendance.c.session_id == TrainingSession.id)
        .where(
            TrainingSession.cancelled_at.is_(None),
            TrainingSession.starts_at >= start,
            TrainingSession.starts_at < end,
            TrainingSession.starts_at <= now,
        )
    )
    if user.role != UserRole.ADMIN:  # the sessions people of their scope attended
        query = query.where(attendance.c.attendees.is_not(None))
    if sector_id is not None:
        query = query.where(
            TrainingSession.id.in_(
                select(session_sector.c.session_id).where(session_sector.c.sector_id == sector_id)
            )
        )
    return query


def _row(key, label: str, sessions: list[SessionRow]) -> TrainingRow:
    lecturers = dict.fromkeys(s.lecturer.strip() for s in sessions if s.lecturer.strip())
    return TrainingRow(
        key=key,
        label=label,
        sessions=len(sessions),
        person_times=sum(s.attendees for s in sessions),
        person_hours=sum(s.person_hours for s in sessions),
        lecturers=tuple(lecturers),
    )


def _groups(pairs, labels: dict, order: dict, sessions: dict, none_label: str) -> list:
    """Rows per key of ``pairs`` (session id, key), in ``order``; sessions with no key last."""
    members: dict[int, list[SessionRow]] = {}
    for session_id, key in pairs:
        if session_id in sessions:
            members.setdefault(key, []).append(sessions[session_id])
    keyed = {sid for sid, _key in pairs}
    rows = [
        _row(key, labels[key], found)
        for key, found in sorted(members.items(), key=lambda item: order[item[0]])
    ]
    alone = [s for sid, s in sessions.items() if sid not in keyed]
    if alone:
        rows.append(_row(None, none_label, alone))
    return rows


def training_report(
    user: User,
    date_from: date,
    date_to: date,
    now: datetime,
    sector_id: int | None = None,
    *,
    english: bool = False,
) -> TrainingReport:
    """Sessions, person-times and person-hours per sector and per topic in the period (three
    statements: the sessions, their sectors, their topics)."""
    held = held_sessions(user, date_from, date_to, now, sector_id).subquery("held")
    ss, st = session_sector.c, session_topic.c
    sector_rows = db.session.execute(
        select(ss.session_id, Sector.id, Sector.name, Sector.name_en, Sector.sort_order)
        .join(Sector, Sector.id == ss.sector_id)
        .where(ss.session_id.in_(select(held.c.id)))
    ).all()
    topic_pairs = db.session.execute(
        select(st.session_id, st.topic_id).where(st.session_id.in_(select(held.c.id)))
    ).all()
    topics = (
        {
            t.id: t
            for t in db.session.scalars(
                select(Topic).where(Topic.id.in_({tid for _sid, tid in topic_pairs}))
            )
        }
        if topic_pairs
        else {}
    )
    sector_names: dict[int, list[str]] = {}
    for sid, _id, name, name_en, _sort in sector_rows:
        sector_names.setdefault(sid, []).append(name_en if english and name_en else name)
    topic_names: dict[int, list[str]] = {}
    for sid, tid in topic_pairs:
        topic_names.setdefault(sid, []).append(topics[tid].path)
    sessions = {
        r.id: SessionRow(
            id=r.id,
            starts_at=r.starts_at,
            title=r.title,
            sectors="、".join(sector_names.get(r.id, ())),
            topics="；".join(sorted(topic_names.get(r.id, ()))),
            lecturer=r.lecturer or "",
            organising_unit=r.organising_unit or "",
            mode=r.mode,
            hours=float(r.hours),
            attendees=int(r.attendees),
        )
        for r in db.session.execute(select(held).order_by(held.c.starts_at, held.c.id))
    }
    by_sector = _groups(
        [(sid, sector) for sid, sector, *_rest in sector_rows],
        {
            sector: (name_en if english and name_en else name)
            for _sid, sector, name, name_en, _sort in sector_rows
        },
        {sector: (sort, name) for _sid, sector, name, _en, sort in sector_rows},
        sessions,
        _("No sector"),
    )
    by_topic = _groups(
        list(topic_pairs),
        {tid: t.path for tid, t in topics.items()},
        {tid: (_topic_rank(t), t.path) for tid, t in topics.items()},
        sessions,
        _("No topic"),
    )
    return TrainingReport(
        date_from=date_from,
        date_to=date_to,
        total=_row(None, _("Total"), list(sessions.values())),
        by_sector=tuple(by_sector),
        by_topic=tuple(by_topic),
        sessions=tuple(sessions.values()),
    )


def _topic_rank(topic: Topic) -> tuple[int, ...]:
    """The topic's place in the tree: the sort orders from its area down."""
    ranks, node = [], topic
    while node is not None:
        ranks.append(node.sort_order)
        node = node.parent
    return tuple(reversed(ranks))


def totals(user: User, date_from: date, date_to: date, now: datetime) -> tuple[int, int]:
    """Sessions held in the period and their person-times, in one statement (the dashboard)."""
    held = held_sessions(user, date_from, date_to, now).subquery("held")
    sessions, person_times = db.session.execute(
        select(func.count(held.c.id), func.coalesce(func.sum(held.c.attendees), 0))
    ).one()
    return int(sessions or 0), int(person_times or 0)

"""Organisers' figures on online study: completion and study time by course, enterprise, sector
and post, and who has not started - each in one SQL statement, whatever the number of people.

The unit is an assignment: one person assigned one course (人次). A person is assigned a course
when its rules name them (``matching_people``); an organiser counts only the people of the
enterprises in their scope. Study time is the time credited to the course's lessons (never
more than each lesson asks for), in clock hours; the training hours (学时) it earns follow the
bureau's rule per day and are shown on the hours ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import CTE, case, func, literal, select, union_all

from exam.auth.models import User, UserRole
from exam.core.extensions import db
from exam.learning.models import Course, Lesson, StudyProgress
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, Sector, enterprise_sector
from exam.people.rules import matching_people


@dataclass(frozen=True)
class Figures:
    """Completion and study time of a group of assignments."""

    key: object
    label: str
    assigned: int
    started: int
    completed: int
    overdue: int
    seconds: float

    @property
    def not_started(self) -> int:
        return self.assigned - self.started

    @property
    def completion(self) -> float:
        """The share completed (0..1)."""
        return self.completed / self.assigned if self.assigned else 0.0

    @property
    def hours(self) -> float:
        return round(self.seconds / 3600, 1)


@dataclass(frozen=True)
class Waiting:
    """An assigned person who has not started a course."""

    course_id: int
    course_title: str
    person_id: int
    name: str
    role: str
    enterprise: str
    overdue: bool


@dataclass(frozen=True)
class PersonRow:
    """One assignment: who, how far, how long."""

    course_title: str
    name: str
    id_number: str
    role: str
    enterprise: str
    lessons_done: int
    lessons: int
    seconds: float
    last_studied: datetime | None
    overdue: bool


def _assigned(courses: list[Course], user: User, today: date) -> CTE:
    """(course, person) for everybody each course is assigned to, within the user's scope."""
    parts = []
    for course in courses:
        overdue = 1 if course.due_on is not None and course.due_on < today else 0
        query = matching_people(course.assignment).with_only_columns(
            literal(course.id).label("course_id"),
            Person.id.label("person_id"),
            literal(overdue).label("past_due"),
            maintain_column_froms=True,
        )
        if user.role != UserRole.ADMIN:
            query = scope_enterprises(query.where(Person.enterprise_id.is_not(None)), user)
        parts.append(query)
    return union_all(*parts).cte("assigned")


def _rows(courses: list[Course], user: User, today: date) -> CTE:
    """Per assignment: started, completed, overdue, credited seconds, lessons done."""
    ids = [c.id for c in courses]
    required = Lesson.minutes * 60
    progress = (
        select(
            Lesson.course_id,
            StudyProgress.person_id,
            func.count(StudyProgress.completed_at).label("done"),
            func.sum(
                case((StudyProgress.seconds > required, required), else_=StudyProgress.seconds)
            ).label("seconds"),
            func.max(StudyProgress.updated_at).label("last"),
        )
        .join(Lesson, Lesson.id == StudyProgress.lesson_id)
        .where(Lesson.course_id.in_(ids))
        .group_by(Lesson.course_id, StudyProgress.person_id)
    ).cte("progress")
    lessons = (
        select(Lesson.course_id, func.count(Lesson.id).label("n"))
        .where(Lesson.course_id.in_(ids))
        .group_by(Lesson.course_id)
    ).cte("lessons")
    assigned = _assigned(courses, user, today)
    done = func.coalesce(progress.c.done, 0)
    complete = case(
        (func.coalesce(lessons.c.n, 0) > 0, case((done >= lessons.c.n, 1), else_=0)), else_=0
    )
    return (
        select(
            assigned.c.course_id,
            assigned.c.person_id,
            Person.role,
            Person.enterprise_id,
            case((progress.c.person_id.is_(None), 0), else_=1).label("started"),
            complete.label("completed"),
            case((assigned.c.past_due == 1, 1 - complete), else_=0).label("overdue"),
            func.coalesce(progress.c.seconds, 0.0).label("seconds"),
            done.label("done"),
            func.coalesce(lessons.c.n, 0).label("lessons"),
            progress.c.last.label("last"),
        )
        .join(Person, Person.id == assigned.c.person_id)
        .outerjoin(
            progress,
            (progress.c.course_id == assigned.c.course_id)
            & (progress.c.person_id == assigned.c.person_id),
        )
        .outerjoin(lessons, lessons.c.course_id == assigned.c.course_id)
    ).cte("rows")


def _sums(rows: CTE):
    return (
        func.count().label("assigned"),
        func.sum(rows.c.started).label("started"),
        func.sum(rows.c.completed).label("completed"),
        func.sum(rows.c.overdue).label("overdue"),
        func.sum(rows.c.seconds).label("seconds"),
    )


def _figures(result, label) -> list[Figures]:
    return [
        Figures(
            row.key,
            label(row),
            row.assigned,
            int(row.started or 0),
            int(row.completed or 0),
            int(row.overdue or 0),
            float(row.seconds or 0),
        )
        for row in result
    ]


@dataclass(frozen=True)
class Report:
    by_course: list[Figures]
    by_enterprise: list[Figures]
    by_sector: list[Figures]
    by_role: list[Figures]
    waiting: list[Waiting]

    @property
    def total(self) -> Figures:
        sums = [
            sum(getattr(f, name) for f in self.by_course)
            for name in ("assigned", "started", "completed", "overdue", "seconds")
        ]
        return Figures(None, "", *sums)


def report(
    courses: list[Course],
    user: User,
    today: date,
    *,
    locale: str = "zh_CN",
    waiting_limit: int | None = 200,
) -> Report:
    """The figures of these courses for the people in ``user``'s scope (five statements)."""
    from exam.people.models import PersonRole

    if not courses:
        return Report([], [], [], [], [])
    rows = _rows(courses, user, today)
    titles = {c.id: c.title for c in courses}
    by_course = _figures(
        db.session.execute(
            select(rows.c.course_id.label("key"), *_sums(rows)).group_by(rows.c.course_id)
        ),
        lambda r: titles[r.key],
    )
    order = {c.id: n for n, c in enumerate(courses)}
    by_course.sort(key=lambda f: order[f.key])
    by_enterprise = _figures(
        db.session.execute(
            select(Enterprise.id.label("key"), Enterprise.name, *_sums(rows))
            .join(Enterprise, Enterprise.id == rows.c.enterprise_id)
            .group_by(Enterprise.id, Enterprise.name)
            .order_by(Enterprise.name)
        ),
        lambda r: r.name,
    )
    by_sector = _figures(
        db.session.execute(
            select(
                Sector.id.label("key"), Sector.name, Sector.name_en, Sector.sort_order, *_sums(rows)
            )
            .join(enterprise_sector, enterprise_sector.c.enterprise_id == rows.c.enterprise_id)
            .join(Sector, Sector.id == enterprise_sector.c.sector_id)
            .group_by(Sector.id, Sector.name, Sector.name_en, Sector.sort_order)
            .order_by(Sector.sort_order)
        ),
        lambda r: r.name_en if locale == "en" and r.name_en else r.name,
    )
    by_role = _figures(
        db.session.execute(
            select(rows.c.role.label("key"), *_sums(rows))
            .group_by(rows.c.role)
            .order_by(rows.c.role)
        ),
        lambda r: PersonRole.label(r.key),
    )
    waiting_query = (
        select(
            rows.c.course_id,
            Person.id,
            Person.name,
            Person.role,
            Enterprise.name.label("enterprise"),
            rows.c.overdue,
        )
        .join(Person, Person.id == rows.c.person_id)
        .outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
        .where(rows.c.started == 0)
        .order_by(rows.c.course_id, Enterprise.name, Person.name)
    )
    if waiting_limit is not None:
        waiting_query = waiting_query.limit(waiting_limit)
    waiting = [
        Waiting(
            r.course_id,
            titles[r.course_id],
            r.id,
            r.name,
            r.role,
            r.enterprise or "",
            bool(r.overdue),
        )
        for r in db.session.execute(waiting_query)
    ]
    return Report(by_course, by_enterprise, by_sector, by_role, waiting)


def people(courses: list[Course], user: User, today: date) -> list[PersonRow]:
    """Every assignment with its progress, for the export (one statement)."""
    if not courses:
        return []
    rows = _rows(courses, user, today)
    titles = {c.id: c.title for c in courses}
    result = db.session.execute(
        select(rows, Person.name, Person.id_number, Enterprise.name.label("enterprise"))
        .join(Person, Person.id == rows.c.person_id)
        .outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
        .order_by(rows.c.course_id, Enterprise.name, Person.name)
    )
    return [
        PersonRow(
            titles[r.course_id],
            r.name,
            r.id_number,
            r.role,
            r.enterprise or "",
            int(r.done),
            int(r.lessons),
            float(r.seconds or 0),
            r.last,
            bool(r.overdue),
        )
        for r in result
    ]

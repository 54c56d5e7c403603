"""Who studies what, tracked study time, and the training hours it earns.

Study time is reported by the lesson page in heartbeats while the lesson is visible and the
person is studying (a video playing). The server credits the time since the person's previous
heartbeat - from any tab or lesson, so two open tabs count once - only when that heartbeat said
the person was studying (visible, active) and is recent; never more than the lesson asks for; for a video, never more than it
played, and never past the furthest point already watched (no skipping ahead).

Study time converts into training hours (学时) by the bureau's rule: ``ONLINE_MINUTES_PER_HOUR``
minutes make an hour, and a day credits at most ``ONLINE_DAILY_CAP_HOURS``. Those hours are the
ledger's "online" hours, kept apart from hours on site. Services flush; the request commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import case, func, select

from exam.core.extensions import db, upsert
from exam.core.periods import Periods, within
from exam.core.timeutil import display_zone
from exam.learning import signals
from exam.learning.errors import LearningError
from exam.learning.models import Course, Lesson, LessonKind, StudyDay, StudyProgress, course_topic
from exam.people.models import Person
from exam.people.rules import matches
from exam.questions.models import Topic

#: A video may run this far past what the clock allows between two heartbeats (buffering,
#: a heartbeat sent a little late), besides one heartbeat's interval, before it counts as a jump.
SEEK_SLACK = 3.0
#: The fastest playback that counts as watching (the page offers up to this speed).
MAX_RATE = 2.0


# --- who studies what ---------------------------------------------------------------------------


def _required_by_exams(person: Person) -> set[int]:
    """Courses that published exams the person is among the candidates of ask for first: the
    person must be able to study them, whoever the course itself is assigned to."""
    required: set[int] = set()
    for _receiver, ids in signals.required_courses.send(person):
        required |= set(ids)
    return required


def is_assigned(course: Course, person: Person | None) -> bool:
    if person is None or course.published_at is None:
        return False
    return matches(course.assignment, person) or course.id in _required_by_exams(person)


def courses_for(person: Person) -> list[Course]:
    """The published courses assigned to the person (or asked for by their exams), due first."""
    courses = db.session.scalars(
        select(Course)
        .where(Course.published_at.is_not(None))
        .order_by(Course.due_on.is_(None), Course.due_on, Course.id)
    )
    required = _required_by_exams(person)
    return [c for c in courses if c.id in required or matches(c.assignment, person)]


def progress_of(person: Person, lesson_ids: list[int]) -> dict[int, StudyProgress]:
    if not lesson_ids:
        return {}
    return {
        p.lesson_id: p
        for p in db.session.scalars(
            select(StudyProgress).where(
                StudyProgress.person_id == person.id, StudyProgress.lesson_id.in_(lesson_ids)
            )
        )
    }


@dataclass(frozen=True)
class CourseProgress:
    course: Course
    lessons_done: int
    lessons: int
    seconds: float
    required_seconds: int
    #: The lesson to continue with: the first not completed (None when all are).
    next_lesson: Lesson | None
    started: bool

    @property
    def complete(self) -> bool:
        return self.lessons > 0 and self.lessons_done == self.lessons

    @property
    def percent(self) -> int:
        if self.complete:
            return 100  # complete at the configured share, which may be under 100 %
        return (
            round(100 * min(self.seconds, self.required_seconds) / self.required_seconds)
            if self.required_seconds
            else 0
        )


def course_progress(person: Person, courses: list[Course]) -> dict[int, CourseProgress]:
    """Each course's progress for the person (one query for all their lessons)."""
    progress = progress_of(person, [lesson.id for c in courses for lesson in c.lessons])
    result = {}
    for course in courses:
        rows = [progress.get(lesson.id) for lesson in course.lessons]
        done = sum(1 for row in rows if row and row.completed_at)
        following = next(
            (
                lesson
                for lesson, row in zip(course.lessons, rows, strict=True)
                if not (row and row.completed_at)
            ),
            None,
        )
        result[course.id] = CourseProgress(
            course,
            done,
            len(course.lessons),
            sum(
                min(r.seconds, lesson.required_seconds)
                for lesson, r in zip(course.lessons, rows, strict=True)
                if r
            ),
            course.required_seconds,
            following,
            any(rows),
        )
    return result


def is_complete(person: Person, course: Course) -> bool:
    return course_progress(person, [course])[course.id].complete


# --- heartbeats ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Beat:
    credited: float
    seconds: float
    completed: bool
    #: For a video: where the page must go back to after a jump past what was watched.
    seek_to: float | None = None


def _locked_row(query, insert) -> object:
    """The row ``query`` finds, locked until the request commits; made first if missing. The
    insert runs only then (an upsert on every heartbeat would use up ids on PostgreSQL), and
    ignores a row a concurrent request made meanwhile."""
    query = query.with_for_update().execution_options(populate_existing=True)
    if db.engine.dialect.name == "sqlite":
        # No row locks there: the insert takes the database's write lock first (and uses no ids).
        db.session.execute(insert)
    row = db.session.scalars(query).one_or_none()
    if row is None:
        db.session.execute(insert)
        row = db.session.scalars(query).one()
    return row


def _study_day(person: Person, day: date) -> StudyDay:
    """The person's row for the day, locked until the request commits (two tabs, two workers)."""
    return _locked_row(
        select(StudyDay).where(StudyDay.person_id == person.id, StudyDay.day == day),
        upsert()(StudyDay)
        .values(person_id=person.id, day=day, seconds=0.0, last_beat_active=False)
        .on_conflict_do_nothing(index_elements=[StudyDay.person_id, StudyDay.day]),
    )


def _progress(person: Person, lesson: Lesson, now: datetime) -> StudyProgress:
    return _locked_row(
        select(StudyProgress).where(
            StudyProgress.person_id == person.id, StudyProgress.lesson_id == lesson.id
        ),
        upsert()(StudyProgress)
        .values(
            person_id=person.id,
            lesson_id=lesson.id,
            seconds=0.0,
            position=0.0,
            furthest=0.0,
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[StudyProgress.person_id, StudyProgress.lesson_id]),
    )


def max_gap() -> float:
    """Beyond this since the previous heartbeat, the time in between is not credited."""
    return current_app.config["STUDY_BEAT_SECONDS"] * 2 + 5


def beat(
    person: Person,
    lesson: Lesson,
    now: datetime,
    *,
    active: bool,
    position: float | None = None,
    start: bool = False,
) -> Beat:
    """Record a heartbeat from a lesson page and credit the study time it proves. ``start``:
    the first report of a page just loaded, which credits nothing before it."""
    if not is_assigned(lesson.course, person):
        raise LearningError("not_assigned")
    if position is not None and not (0 <= position <= 24 * 3600):
        raise LearningError("bad_position")
    today = now.astimezone(display_zone()).date()
    clock = _study_day(person, today)
    elapsed = (now - clock.last_beat_at).total_seconds() if clock.last_beat_at else 0.0
    # A report says whether the person studies from now on; the time since the previous report
    # counts if that one said so (the page reports at once when it goes hidden or a video pauses).
    # A page's first report starts its clock: the time before it was spent elsewhere (the
    # course list, another page), even if the last page left without saying it stopped.
    was_active = clock.last_beat_active and not start
    studying = was_active and 0 < elapsed <= max_gap()
    credit = elapsed if studying else 0.0
    clock.last_beat_at, clock.last_beat_active = max(now, clock.last_beat_at or now), active
    progress = _progress(person, lesson, now)
    seek_to = None
    if lesson.kind == LessonKind.VIDEO:
        credit, position, seek_to = _watched(
            progress, credit, position, max(elapsed, 0.0) if was_active else 0.0
        )
    credit = max(0.0, min(credit, lesson.required_seconds - progress.seconds))
    progress.seconds += credit
    clock.seconds += credit
    if position is not None:
        progress.position = position
    progress.updated_at = now
    newly_complete = progress.completed_at is None and _reaches_threshold(lesson, progress)
    if newly_complete:
        progress.completed_at = now
    db.session.flush()
    return Beat(
        round(credit, 2), round(progress.seconds, 2), progress.completed_at is not None, seek_to
    )


def _watched(
    progress: StudyProgress, credit: float, position: float | None, playing_for: float
) -> tuple[float, float | None, float | None]:
    """A video's heartbeat: the credit it earns, the position kept, and where the page must go back
    to after a jump past what was watched. ``playing_for``: seconds the video may have played
    since the previous report (none unless that report said it was playing)."""
    if position is None:
        return 0.0, None, None  # a video page that does not say where it is proves nothing
    # How far it may have got: played at up to MAX_RATE since the last report. Farther is a jump,
    # refused - with a heartbeat's worth of slack, so that a late or lost report is not taken for
    # one. ``furthest`` moves only as far as the time allows, so no report can push it on.
    reach = progress.furthest + playing_for * MAX_RATE
    if position > reach + current_app.config["STUDY_BEAT_SECONDS"] + SEEK_SLACK:
        return 0.0, progress.furthest, progress.furthest
    credit = min(credit, max(0.0, position - progress.position))
    progress.furthest = max(progress.furthest, min(position, reach))
    return credit, position, None


def _reaches_threshold(lesson: Lesson, progress: StudyProgress) -> bool:
    needed = lesson.required_seconds * current_app.config["LESSON_COMPLETE_PERCENT"] / 100
    if progress.seconds < needed:
        return False
    return lesson.kind != LessonKind.VIDEO or progress.furthest >= needed


# --- hours ----------------------------------------------------------------------------------------


def _cap_seconds() -> float:
    config = current_app.config
    return config["ONLINE_DAILY_CAP_HOURS"] * config["ONLINE_MINUTES_PER_HOUR"] * 60


def hours_from_seconds(seconds: float) -> float:
    """Training hours for study seconds already capped per day (two decimals)."""
    return round(seconds / (current_app.config["ONLINE_MINUTES_PER_HOUR"] * 60), 2)


def _capped():
    cap = _cap_seconds()
    return case((StudyDay.seconds > cap, cap), else_=StudyDay.seconds)


def online_hours(person_ids: list[int], year: int) -> dict[int, float]:
    """Hours credited from online study in ``year``, per person (one query)."""
    return online_hours_in({(date(year, 1, 1), date(year, 12, 31)): person_ids})


def online_hours_in(periods: Periods) -> dict[int, float]:
    """Hours credited from online study, per person, on the days of their own span (both ends
    included: the period of their training obligation); one query."""
    if not periods:
        return {}
    return {
        pid: hours_from_seconds(float(seconds or 0))
        for pid, seconds in db.session.execute(
            select(StudyDay.person_id, func.sum(_capped()))
            .where(within(StudyDay.person_id, StudyDay.day, periods))
            .group_by(StudyDay.person_id)
        )
    }


@dataclass(frozen=True)
class StudyDayHours:
    day: date
    minutes: float
    hours: float
    capped: bool


def study_days(person: Person, year: int) -> list[StudyDayHours]:
    """The person's days of online study in ``year``, newest first, with the hours each earned."""
    cap = _cap_seconds()
    rows = db.session.scalars(
        select(StudyDay)
        .where(
            StudyDay.person_id == person.id,
            StudyDay.seconds > 0,
            StudyDay.day >= date(year, 1, 1),
            StudyDay.day < date(year + 1, 1, 1),
        )
        .order_by(StudyDay.day.desc())
    )
    return [
        StudyDayHours(
            r.day,
            round(r.seconds / 60, 1),
            hours_from_seconds(min(r.seconds, cap)),
            r.seconds > cap,
        )
        for r in rows
    ]


# --- the link to exams ----------------------------------------------------------------------------


def courses_on_topics(person: Person, topic_codes: list[str]) -> list[Course]:
    """Courses assigned to the person that teach any of these topics (a course on a grip covers
    its measures and points; a course on a point helps with its grip)."""
    if not topic_codes:
        return []
    topics = list(db.session.scalars(select(Topic).where(Topic.code.in_(topic_codes))))
    related: set[int] = set()
    for topic in topics:
        related.update(topic.subtree_ids())
        ancestor = topic.parent
        while ancestor is not None:
            related.add(ancestor.id)
            ancestor = ancestor.parent
    if not related:
        return []
    ids = set(
        db.session.scalars(
            select(course_topic.c.course_id).where(course_topic.c.topic_id.in_(related))
        )
    )
    return [c for c in courses_for(person) if c.id in ids]


def weak_topics(by_topic: dict, threshold_percent: float) -> list[str]:
    """Topic codes where the share of points scored is below the threshold."""
    return [
        code
        for code, (score, points) in (by_topic or {}).items()
        if points and 100 * score / points < threshold_percent
    ]


def suggested_courses(person, by_topic: dict, pass_percent: float) -> list[Course]:
    """Courses for the topics the candidate scored below the pass share in (for result pages)."""
    if person is None:
        return []
    return courses_on_topics(person, weak_topics(by_topic, pass_percent))

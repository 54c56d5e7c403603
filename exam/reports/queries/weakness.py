"""Topic weaknesses: the average score (percent of points) per area, measure and point of the
topic tree, by sector or by role, for organisers choosing training topics.

Each graded attempt keeps ``result["by_topic"]``: topic code -> [score, points] over the
questions tagged with that topic. One statement expands it, climbs the tree (a point counts
in its measure and area too) and sums per topic and role, or per topic and the enterprise's set
of sectors (an enterprise in two sectors counts in both columns but once in the total).
A question tagged with two points of one measure weighs twice in that measure (the breakdown
holds it under each point).

Who counts: submitted attempts whose score was not cancelled, every attempt (a makeup too).
The sector and role are those of the person's post on the day of the attempt (the stint of the
employment history), so a person who changed enterprise counts where they were then. An
organiser sees the attempts sat at enterprises in their scope (their towns and sectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Float, String, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased

from exam.auth.models import User
from exam.core.extensions import db
from exam.core.timeutil import display_zone
from exam.exams.models import Attempt
from exam.people.access import scope_enterprises
from exam.people.models import Employment, Enterprise, Person, PersonRole, Sector, enterprise_sector
from exam.questions.models import Topic
from exam.reports.queries.items import counted
from exam.reports.sql.jsonsql import object_items, tune_for_reports

BY = ("sector", "role")
#: Column key of people whose enterprise has no sector (or who had left every post).
NONE = "none"
#: Below this percentage a topic is called weak (the usual pass mark).
WEAK_BELOW = 80.0


@dataclass(frozen=True)
class Cell:
    """Points earned and available in one topic for one group, over ``attempts`` attempts."""

    score: float
    points: float
    attempts: int

    @property
    def percent(self) -> float | None:
        return 100.0 * self.score / self.points if self.points else None


@dataclass(frozen=True)
class TopicRow:
    id: int
    code: str
    name: str
    level: str
    depth: int
    #: The area (grip) the topic is under, or itself for an area.
    area_code: str


@dataclass(frozen=True)
class Column:
    key: str
    label: str


@dataclass(frozen=True)
class Heat:
    """Rows (topics with data, in tree order) by columns (sectors or roles with data)."""

    by: str
    rows: tuple[TopicRow, ...]
    columns: tuple[Column, ...]
    cells: dict[tuple[int, str], Cell]
    totals: dict[int, Cell]

    def cell(self, topic_id: int, key: str) -> Cell | None:
        return self.cells.get((topic_id, key))

    def matrix(self) -> list[list[float | None]]:
        """Percentages, rows by columns (None where nobody sat the topic)."""
        return [
            [
                c.percent if (c := self.cells.get((row.id, col.key))) else None
                for col in self.columns
            ]
            for row in self.rows
        ]

    def weak(self) -> list[TopicRow]:
        """Topics below ``WEAK_BELOW`` overall, weakest first."""
        rows = [
            r
            for r in self.rows
            if (t := self.totals.get(r.id)) and t.percent is not None and t.percent < WEAK_BELOW
        ]
        return sorted(rows, key=lambda r: self.totals[r.id].percent)


def utc_bounds(
    date_from: date | None, date_to: date | None
) -> tuple[datetime | None, datetime | None]:
    """Local calendar days [from, to] as UTC instants [start, end)."""
    zone = display_zone()
    start = datetime.combine(date_from, time(), zone) if date_from else None
    end = datetime.combine(date_to + timedelta(days=1), time(), zone) if date_to else None
    return start, end


def _closure():
    """(code, ancestor id) for every topic and each topic above it (the tree has three levels)."""
    parent = aliased(Topic)
    return union_all(
        select(Topic.code.label("code"), Topic.id.label("ancestor_id")),
        select(Topic.code, Topic.parent_id).where(Topic.parent_id.is_not(None)),
        select(Topic.code, parent.parent_id)
        .join(parent, parent.id == Topic.parent_id)
        .where(parent.parent_id.is_not(None)),
    ).subquery("closure")


def _attempts(user: User, date_from, date_to, exam_id):
    """Counted attempts with the enterprise and role of the post held when they were sat."""
    from exam.auth.models import User as Account

    stint = (
        select(func.max(Employment.id))
        .where(
            Employment.person_id == Person.id,
            or_(Employment.started_on.is_(None), Employment.started_on <= Attempt.submitted_at),
            or_(Employment.ended_on.is_(None), Employment.ended_on > Attempt.submitted_at),
        )
        .correlate(Person, Attempt)
        .scalar_subquery()
    )
    post = aliased(Employment)
    enterprise_id = func.coalesce(post.enterprise_id, Person.enterprise_id)
    query = (
        select(
            Attempt.id.label("attempt_id"),
            Attempt.result.label("result"),
            func.coalesce(post.role, Person.role).label("role"),
            Enterprise.id.label("enterprise_id"),
        )
        .join(Account, Account.id == Attempt.user_id)
        .join(Person, Person.id == Account.person_id)
        .outerjoin(post, post.id == stint)
        .outerjoin(Enterprise, Enterprise.id == enterprise_id)
        .where(counted())
    )
    query = scope_enterprises(query, user)
    start, end = utc_bounds(date_from, date_to)
    if start is not None:
        query = query.where(Attempt.submitted_at >= start)
    if end is not None:
        query = query.where(Attempt.submitted_at < end)
    if exam_id is not None:
        query = query.where(Attempt.exam_id == exam_id)
    return query.subquery("counted_attempts")


def _sector_sets():
    """Enterprise id -> its sector ids joined by commas (an enterprise may be in several)."""
    return (
        select(
            enterprise_sector.c.enterprise_id,
            func.aggregate_strings(cast(enterprise_sector.c.sector_id, String), ",").label(
                "sectors"
            ),
        )
        .group_by(enterprise_sector.c.enterprise_id)
        .subquery("sector_sets")
    )


def _sums(attempts, by: str) -> dict[tuple[int, str], Cell]:
    """(topic id, group key) -> Cell, in one statement: the key is the role, or by sector the
    enterprise's set of sectors ("3,7"), so that every attempt falls in exactly one group."""
    entry = object_items(attempts.c.result, "by_topic")
    closure = _closure()
    score = cast(entry.c.value[0].as_float(), Float)
    points = cast(entry.c.value[1].as_float(), Float)
    statement = (
        select(closure.c.ancestor_id)
        .select_from(attempts)
        .join(entry, literal(True))
        .join(closure, closure.c.code == entry.c.key)
    )
    if by == "role":
        key = attempts.c.role
    else:
        sets = _sector_sets()
        key = func.coalesce(sets.c.sectors, literal(NONE))
        statement = statement.outerjoin(sets, sets.c.enterprise_id == attempts.c.enterprise_id)
    statement = statement.add_columns(
        key, func.sum(score), func.sum(points), func.count(func.distinct(attempts.c.attempt_id))
    )
    statement = statement.group_by(closure.c.ancestor_id, key)
    return {
        (topic_id, str(k)): Cell(float(s or 0), float(p or 0), n)
        for topic_id, k, s, p, n in db.session.execute(statement)
    }


def _by_column(
    groups: dict[tuple[int, str], Cell],
) -> tuple[dict[tuple[int, str], Cell], dict[int, Cell]]:
    """Cells per (topic, column) and totals per topic from the groups of ``_sums``: a group of
    several sectors counts in each of its columns, and once in the total (groups are disjoint)."""
    cells: dict[tuple[int, str], Cell] = {}
    totals: dict[int, Cell] = {}
    for (topic_id, key), cell in groups.items():
        for column in key.split(","):
            cells[topic_id, column] = _plus(cells.get((topic_id, column)), cell)
        totals[topic_id] = _plus(totals.get(topic_id), cell)
    return cells, totals


def _plus(before: Cell | None, cell: Cell) -> Cell:
    if before is None:
        return cell
    return Cell(
        before.score + cell.score, before.points + cell.points, before.attempts + cell.attempts
    )


def _topic_rows(present: set[int]) -> tuple[TopicRow, ...]:
    """The topics with data, in tree order (each area, then its measures and their points)."""
    topics = db.session.scalars(select(Topic)).all()
    children: dict[int | None, list[Topic]] = {}
    for topic in topics:
        children.setdefault(topic.parent_id, []).append(topic)
    rows: list[TopicRow] = []

    def walk(parent_id, depth, area):
        for topic in sorted(children.get(parent_id, []), key=lambda t: (t.sort_order, t.code)):
            top = area or topic.code
            if topic.id in present:
                rows.append(TopicRow(topic.id, topic.code, topic.name, topic.level, depth, top))
            walk(topic.id, depth + 1, top)

    walk(None, 0, None)
    return tuple(rows)


def _columns(by: str, keys: set[str], locale: str | None) -> tuple[Column, ...]:
    if by == "role":
        known = [Column(r, PersonRole.label(r)) for r in PersonRole.ALL if r in keys]
        return tuple(known + [Column(k, k) for k in sorted(keys - set(PersonRole.ALL))])
    sectors = db.session.scalars(
        select(Sector)
        .where(Sector.id.in_([int(k) for k in keys if k.isdigit()]))
        .order_by(Sector.sort_order)
    )
    columns = [Column(str(s.id), s.display_name(locale)) for s in sectors]
    if NONE in keys:
        from flask_babel import gettext as _

        columns.append(Column(NONE, _("No sector")))
    return tuple(columns)


def heat(
    user: User,
    *,
    by: str,
    date_from: date | None,
    date_to: date | None,
    exam_id: int | None = None,
    locale: str | None = None,
) -> Heat:
    """Average percent of points per topic (rows) by sector or role (columns), in at most
    four statements whatever the number of attempts."""
    if by not in BY:
        raise ValueError(by)
    tune_for_reports()
    cells, totals = _by_column(_sums(_attempts(user, date_from, date_to, exam_id), by))
    rows = _topic_rows(set(totals))
    columns = _columns(by, {k for _t, k in cells}, locale)
    return Heat(by, rows, columns, cells, totals)


def exams_sat(user: User) -> list[tuple[int, str]]:
    """(id, title) of the exams with counted attempts, newest first, for the exam filter."""
    from exam.exams.models import Exam

    # Every exam is listed: an organiser's people may have sat exams the bureau manages.
    return db.session.execute(
        select(Exam.id, Exam.title)
        .where(Exam.id.in_(select(Attempt.exam_id).where(counted()).distinct()))
        .order_by(Exam.opens_at.desc())
    ).all()

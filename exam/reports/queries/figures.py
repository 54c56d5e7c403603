"""The bureau's figures: pass rates by exam, sector, role, enterprise, town or month, and the
dashboard of a year. Every figure is computed by the database, in a number of statements that
does not grow with the data.

How a candidacy is counted (see ``exam.reports.queries.rates`` for the arithmetic):

- An exam's candidates (应考) are the people it expected (``exam.exams.eligibility``: in a
  post and at an enterprise its rules name on the day it opened, registered by its close),
  fixed when it closed (the exam's roster), together with everyone who started an attempt at
  it or at its makeup exam. Those who started are 实考, the rest 缺考 (no-shows). A
  makeup exam (``makeup_of_id``) is never a row of its own: its attempts belong to the
  original exam's candidates, and count in the final pass rate, not in the first-attempt rate.
- The period and the month are those of the original exam's opening (Beijing time).
- Cancelled scores count in no rate and are shown in their own column.
- **People who changed enterprise or post** are counted where they were on the day the exam
  opened: the stint of ``Employment`` that covers that day (the latest one if stints overlap);
  without one (a stint recorded as starting later), the person's current enterprise and post.
  So a leader who sat in March at enterprise A and moved to B in June stays in A's figures
  for that exam, and is B's for exams after the move. Organisers see the candidacies
  attributed to enterprises in their scope.

The candidacies are kept, one row per person and original exam, in ``Candidacy``
(``exam.reports.kept.candidacy`` keeps them in step with the attempts, the people and the exams, and
the scheduler adds each closed exam's roster once). A report writes nothing: it is two statements
(three on PostgreSQL, whose transaction is first tuned for reports: no JIT, room to group in
memory): the exams of the period, with whether their rosters are taken, and one query that sums
their candidacies, several groupings at once if asked (``pass_rates_by``: the dashboard's by exam
and by sector). An exam closed since the scheduler last ran has its roster read as it will be
taken.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import aliased

from exam.auth.models import User, UserRole
from exam.certificates.models import Certificate, CertificateKind
from exam.core.extensions import db
from exam.core.timeutil import display_zone, utcnow
from exam.exams.models import Exam
from exam.people.access import scope_enterprises
from exam.people.models import (
    Enterprise,
    Person,
    PersonRole,
    Sector,
    Town,
    enterprise_sector,
)
from exam.people.scope import scope_of
from exam.reports.kept.candidacy import COUNTS, roster_rows
from exam.reports.kept.models import Candidacy, Roster
from exam.reports.queries.directors import Coverage, coverage
from exam.reports.queries.hours import hours_totals
from exam.reports.queries.obligations import overdue_count
from exam.reports.queries.rates import Counts, total
from exam.reports.queries.training import TrainingRow, training_report
from exam.reports.sql.dates import period_bounds
from exam.reports.sql.jsonsql import tune_for_reports

GROUP_BYS = ("exam", "sector", "role", "enterprise", "town", "month")
#: SQLite refuses a compound SELECT of more than 500 parts: unions are nested in chunks.
UNION_CHUNK = 200


@dataclass(frozen=True)
class PassRateRow(Counts):
    """One group of a pass-rate report: its key (an id, a role, a month; None: unknown)."""

    key: object = None
    label: str = ""


@dataclass(frozen=True)
class Dashboard:
    """A year at a glance, for the user's scope."""

    year: int
    exams_held: int
    #: All candidacies of the year's exams together (rates, no-shows, cancelled scores).
    exams: Counts
    by_sector: tuple[PassRateRow, ...]
    #: People in a required post (principal leader, safety director, safety manager) now.
    required_people: int
    #: Of those, not yet passed (the tracker's figure), and of these, the people some exam
    #: expected or examined (the rest were never scheduled).
    not_passed: int
    certificates_valid: int
    certificates_expiring: int
    training_sessions: int
    training_person_times: int
    screenings: int
    screening_person_times: int
    #: People in scope not yet passed, per sector id of their enterprise (the tracker's figure).
    not_passed_by_sector: dict[int, int]
    #: People owing training hours this year, and those who have done them.
    hours_required: int
    hours_met: int
    #: Hours credited this year to the people in a required post: on site (sessions,
    #: screenings, outside training) and from online study.
    hours_onsite: float = 0.0
    hours_online: float = 0.0
    not_passed_expected: int = 0
    #: Whether a makeup of one of the year's exams is still to come or open: the final rate
    #: is provisional (暂计) until it closes.
    makeup_open: bool = False
    #: People past their initial training deadline without the hours or a pass (未按期完成初训并考核合格).
    initial_overdue: int = 0
    #: The year's training by sector (``exam.reports.queries.training``), and its person-hours.
    training_by_sector: tuple[TrainingRow, ...] = ()
    training_person_hours: float = 0.0
    #: Enterprises in scope that must have a safety director, and those that have one.
    directors: Coverage = Coverage(0, 0)

    @property
    def hours_rate(self) -> float | None:
        from exam.reports.queries.rates import rate

        return rate(self.hours_met, self.hours_required)


# --- candidacies -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Root:
    id: int
    title: str
    eligibility: dict
    opens_at: datetime
    closes_at: datetime
    makeup_id: int | None
    #: Closed by the ``now`` of the query (``Exam.has_closed``).
    closed: bool
    #: Whether its roster has been taken (the scheduler does it within minutes of the close).
    roster: bool = False


def _roots(
    date_from: date | None,
    date_to: date | None,
    exam_id: int | None,
    now: datetime,
    exam_ids: list[int] | None = None,
) -> list[_Root]:
    """The original exams (not makeups) that opened in the period by ``now``, oldest first,
    with their makeup's id (only those of ``exam_ids``, if given)."""
    start, end = period_bounds(date_from, date_to)
    makeup = aliased(Exam)
    query = (
        select(
            Exam.id,
            Exam.title,
            Exam.eligibility,
            Exam.opens_at,
            Exam.closes_at,
            makeup.id,
            Exam.has_closed(now),
            Roster.exam_id.is_not(None),
        )
        .outerjoin(makeup, makeup.makeup_of_id == Exam.id)
        .outerjoin(Roster, Roster.exam_id == Exam.id)
        .where(Exam.makeup_of_id.is_(None), Exam.has_opened(now))
    )
    if start is not None:
        query = query.where(Exam.opens_at >= start)
    if end is not None:
        query = query.where(Exam.opens_at < end)
    if exam_ids is not None:
        query = query.where(Exam.id.in_(exam_ids))
    if exam_id is not None:  # a makeup's id stands for its original
        query = query.where(or_(Exam.id == exam_id, makeup.id == exam_id))
    return [_Root(*row) for row in db.session.execute(query.order_by(Exam.opens_at, Exam.id))]


def _union_all(selects: list):
    """UNION ALL of many SELECTs, nested so that no compound has more than ``UNION_CHUNK`` parts."""
    while len(selects) > UNION_CHUNK:
        chunks = [selects[i : i + UNION_CHUNK] for i in range(0, len(selects), UNION_CHUNK)]
        selects = [select(sub) for sub in (union_all(*chunk).subquery() for chunk in chunks)]
    return union_all(*selects) if len(selects) > 1 else selects[0]


INT_KEYS = ("exam", "sector", "enterprise", "town")


def _candidacies(roots: list[_Root], now: datetime, *, month: bool = True):
    """One row per candidacy of the exams ``roots``: those who started and, for the exams
    closed by ``now``, the no-shows of their rosters; each placed where the person was on the
    day the exam opened (kept in ``Candidacy``), with the month it opened if asked. An exam
    closed so recently that its roster is not taken yet has it read as it will be taken."""
    c = Candidacy
    closed = [r.id for r in roots if r.closed]
    counted = (
        or_(c.started == 1, and_(c.listed == 1, c.exam_id.in_(closed)))
        if closed
        else c.started == 1
    )
    columns = ("exam_id", "person_id", *COUNTS, "enterprise_id", "role")
    query = select(*(getattr(c, name) for name in columns)).where(
        c.exam_id.in_([r.id for r in roots]), counted
    )
    pending = [r for r in roots if r.closed and not r.roster]
    if pending:
        parts = [query, *(_unlisted(r, columns) for r in pending)]
        query = select(_union_all(parts).subquery("candidacies"))
    exam_id = query.selected_columns.exam_id
    if month:
        zone = display_zone()
        months = {r.id: r.opens_at.astimezone(zone).strftime("%Y-%m") for r in roots}
        query = query.add_columns(case(months, value=exam_id, else_=null()).label("month"))
    return query


def round_candidacies(exam_ids: list[int], now: datetime):
    """(roots, query) for the original exams ``exam_ids`` that have opened by ``now`` (a
    campaign's rounds): one row per candidacy, as the pass-rate reports count them, with the
    rounds still open read as their rosters stand now (who they are for so far), so that a
    campaign's provisional figures name the people still expected."""
    roots = _roots(None, None, None, now, exam_ids=exam_ids)
    read_now = [r if r.closed else dataclasses.replace(r, closed=True) for r in roots]
    return roots, _candidacies(read_now, now, month=False)


def _unlisted(root: _Root, columns: tuple[str, ...]):
    """The no-shows the roster of ``root`` will add (``take_rosters``), read without taking it:
    the people it was for with no candidacy there yet."""
    rows = roster_rows(root.id, root.eligibility, root.opens_at, root.closes_at).subquery()
    c = Candidacy
    return select(*(rows.c[name] for name in columns)).where(
        ~exists(select(c.exam_id).where(c.exam_id == root.id, c.person_id == rows.c.person_id))
    )


def _grouping(group_by: str, c, user: User, sector_id: int | None):
    """One grouping of the candidacies ``c``: (grouping, key, name, name_en, sort, counts...).
    The candidacies are summed per raw key first (an integer or a short string); names and
    sort orders are joined to the few groups afterwards, and the enterprise only where the
    grouping or the user's scope needs it."""
    es = enterprise_sector.c
    scoped = user.role != UserRole.ADMIN
    raw = {
        "exam": c.c.exam_id,
        "sector": es.sector_id,
        "role": c.c.role,
        "enterprise": c.c.enterprise_id,
        "town": Enterprise.town_id,
        "month": c.c.month if "month" in c.c else null(),
        "all": null(),
    }[group_by]
    inner = select(
        raw.label("raw"),
        func.count().label("candidates"),
        func.sum(1 - c.c.started).label("no_shows"),
        *(func.sum(getattr(c.c, name)).label(name) for name in COUNTS[1:]),
    ).select_from(c)
    if scoped or group_by == "town":
        inner = scope_enterprises(
            inner.outerjoin(Enterprise, Enterprise.id == c.c.enterprise_id), user
        )
    if group_by == "sector":
        inner = inner.outerjoin(enterprise_sector, es.enterprise_id == c.c.enterprise_id)
    if sector_id is not None:
        inner = inner.where(
            exists(
                select(es.enterprise_id).where(
                    es.enterprise_id == c.c.enterprise_id, es.sector_id == sector_id
                )
            )
        )
    if group_by != "all":
        inner = inner.group_by(raw)
    g = inner.subquery(f"by_{group_by}")
    text, number = cast(null(), String), cast(null(), Integer)
    key = cast(g.c.raw, String) if group_by in INT_KEYS else g.c.raw
    names = {
        "sector": (Sector, Sector.id, (Sector.name, Sector.name_en, Sector.sort_order)),
        "enterprise": (Enterprise, Enterprise.id, (Enterprise.name, text, number)),
        "town": (Town, Town.id, (Town.name, text, Town.sort_order)),
    }.get(group_by)
    counts = [g.c.candidates, g.c.no_shows, *(getattr(g.c, name) for name in COUNTS[1:])]
    columns = names[2] if names else (text, text, number)
    query = select(
        literal(group_by).label("grouping"),
        key.label("key"),
        *(k.label(n) for k, n in zip(columns, ("name", "name_en", "sort"), strict=True)),
        *counts,
    )
    if names:
        query = query.select_from(g).outerjoin(names[0], names[1] == g.c.raw)
    return query


def pass_rates_by(
    user: User,
    group_bys: tuple[str, ...],
    *,
    date_from: date | None,
    date_to: date | None,
    exam_id: int | None = None,
    sector_id: int | None = None,
    now: datetime | None = None,
    tuned: bool = False,
) -> dict[str, list[PassRateRow]]:
    """``pass_rates`` for several groupings at once (three statements in all on PostgreSQL:
    the transaction tuned for reports, unless ``tuned`` says the caller did)."""
    for group_by in group_bys:
        if group_by not in (*GROUP_BYS, "all"):
            raise ValueError(group_by)
    now = now or utcnow()
    if not tuned:
        tune_for_reports()
    roots = _roots(date_from, date_to, exam_id, now)
    result: dict[str, list] = {group_by: [] for group_by in group_bys}
    if not roots:
        return result
    candidacies = _candidacies(roots, now, month="month" in group_bys)
    # Each grouping reads the table itself: a plain scan is cheaper than materialising the rows.
    query = _union_all(
        [
            _grouping(group_by, candidacies.subquery(f"candidacies_{group_by}"), user, sector_id)
            for group_by in group_bys
        ]
    )
    labels = _Labels(roots)
    for record in db.session.execute(query):
        result[record[0]].append(labels.row(record))
    return {
        group_by: [row for _rank, row in sorted(rows, key=lambda pair: pair[0])]
        for group_by, rows in result.items()
    }


def pass_rates(
    user: User,
    *,
    group_by: str,
    date_from: date | None,
    date_to: date | None,
    exam_id: int | None = None,
    sector_id: int | None = None,
    now: datetime | None = None,
) -> list[PassRateRow]:
    """Pass rates of the exams opened in the period (both dates included, Beijing time), one
    row per group; ``group_by`` is one of ``GROUP_BYS`` or ``all`` (one row: the total)."""
    return pass_rates_by(
        user,
        (group_by,),
        date_from=date_from,
        date_to=date_to,
        exam_id=exam_id,
        sector_id=sector_id,
        now=now,
    )[group_by]


class _Labels:
    """Labels and sort keys of the groups of one report (worked out once, not per group: a
    report by enterprise has 25,000 groups)."""

    def __init__(self, roots: list[_Root]):
        from flask_babel import gettext as _

        self.titles = {r.id: r.title for r in roots}
        self.order = {r.id: i for i, r in enumerate(roots)}
        self.english = _locale() == "en"
        self.no_sector, self.unknown, self.total = _("No sector"), _("Unknown"), _("Total")

    def row(self, record) -> tuple[tuple, PassRateRow]:
        """(sort key, row): exams by date, sectors and towns as the bureau sorts them, posts by
        rank, months in order, enterprises by name; unknowns last."""
        (
            group_by,
            raw,
            name,
            name_en,
            sort,
            candidates,
            no_shows,
            sat_first,
            passed_first,
            sat_final,
            passed_final,
            cancelled,
        ) = record
        key = (
            None if raw is None or group_by == "all" else int(raw) if group_by in INT_KEYS else raw
        )
        if group_by == "exam":
            label, rank = self.titles[key], (0, self.order[key], "")
        elif group_by == "role":
            label = PersonRole.label(key) if key else self.unknown
            rank = (key is None, PersonRole.ALL.index(key) if key in PersonRole.ALL else 99, "")
        else:
            if group_by == "sector":
                label = (name_en if self.english and name_en else name) if key else self.no_sector
            elif group_by in ("enterprise", "town"):
                label = name if key else self.unknown
            elif group_by == "month":
                label = key or self.unknown
            else:
                label = self.total
            rank = (key is None, sort or 0, name or str(key or ""))
        return rank, PassRateRow(
            candidates=int(candidates or 0),
            no_shows=int(no_shows or 0),
            sat_first=int(sat_first or 0),
            passed_first=int(passed_first or 0),
            sat_final=int(sat_final or 0),
            passed_final=int(passed_final or 0),
            cancelled=int(cancelled or 0),
            key=key,
            label=label,
        )


def _locale() -> str | None:
    from flask import has_request_context

    if not has_request_context():
        return None
    from exam.core.i18n import select_locale

    return select_locale()


# --- the dashboard -------------------------------------------------------------------------


def dashboard(user: User, year: int, now: datetime) -> Dashboard:
    """The year's figures for the user's scope, each computed by the database."""
    from exam.reports.queries import tracker
    from exam.screenings.services import totals as screening_totals

    first, last = date(year, 1, 1), date(year, 12, 31)
    tune_for_reports()  # once for every statement below
    rates = pass_rates_by(
        user, ("exam", "sector"), date_from=first, date_to=last, now=now, tuned=True
    )
    by_exam, by_sector = rates["exam"], rates["sector"]
    standing, left_by_sector = tracker.standing_counts(user, now=now, tuned=True)
    expected_left = standing.pop(tracker.EXPECTED_NOT_PASSED)
    valid, expiring = _certificates(user, now)
    trained = training_report(user, first, last, now, english=_locale() == "en")
    sector_ids, town_ids = scope_of(user).limits
    screenings = screening_totals(year, now=now, sector_ids=sector_ids, town_ids=town_ids)
    required, met, onsite, online = hours_totals(user, year)
    overdue = overdue_count(user, _today(now))
    return Dashboard(
        year=year,
        exams_held=len(by_exam),
        exams=total(by_exam),
        by_sector=tuple(by_sector),
        required_people=sum(standing.values()),
        not_passed=sum(n for status, n in standing.items() if status not in tracker.PASSED),
        not_passed_by_sector=left_by_sector,
        certificates_valid=valid,
        certificates_expiring=expiring,
        training_sessions=trained.total.sessions,
        training_person_times=trained.total.person_times,
        training_person_hours=trained.total.person_hours,
        training_by_sector=trained.by_sector,
        directors=coverage(user),
        screenings=screenings.screenings,
        screening_person_times=screenings.person_times,
        hours_required=required,
        hours_met=met,
        hours_onsite=onsite,
        hours_online=online,
        not_passed_expected=expected_left,
        makeup_open=_makeup_open(first, last, now),
        initial_overdue=overdue,
    )


def _makeup_open(first: date, last: date, now: datetime) -> bool:
    """Whether an exam opened in the period (by ``now``) is still open, or has a makeup still
    to come or open (a makeup the bureau has not created is not waited for)."""
    start, end = period_bounds(first, last)
    makeup = aliased(Exam)
    query = (
        select(Exam.id)
        .outerjoin(makeup, makeup.makeup_of_id == Exam.id)
        .where(
            Exam.makeup_of_id.is_(None),
            Exam.is_published,
            Exam.has_opened(now),
            Exam.opens_at >= start,
            Exam.opens_at < end,
            or_(~Exam.has_closed(now), and_(makeup.id.is_not(None), ~makeup.has_closed(now))),
        )
        .limit(1)
    )
    return db.session.scalar(query) is not None


def _today(now: datetime) -> date:
    return now.astimezone(display_zone()).date()


def _certificates(user: User, now: datetime) -> tuple[int, int]:
    """Current certificates of people in scope: valid, and of those, expiring within the notice
    (the bureau's count read from the partial index of current certificates alone)."""
    today = _today(now)
    soon = today + timedelta(days=current_app.config["CERTIFICATE_NOTICE_DAYS"])
    query = select(
        func.count(Certificate.id), func.sum(case((Certificate.valid_until <= soon, 1), else_=0))
    ).where(
        Certificate.kind == CertificateKind.SPECIAL_EXAM,
        Certificate.revoked_at.is_(None),
        Certificate.superseded_at.is_(None),
        Certificate.valid_until >= today,
    )
    if user.role != UserRole.ADMIN:
        query = scope_enterprises(
            query.join(Person, Person.id == Certificate.person_id).outerjoin(
                Enterprise, Enterprise.id == Person.enterprise_id
            ),
            user,
        )
    valid, expiring = db.session.execute(query).one()
    return int(valid or 0), int(expiring or 0)

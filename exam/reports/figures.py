"""The bureau's figures: pass rates by exam, sector, role, enterprise, town or month, and the
dashboard of a year. Every figure is computed by the database, in a number of statements that
does not grow with the data.

How a candidacy is counted (see ``exam.reports.rates`` for the arithmetic):

- An exam's candidates are the people it is for (its eligibility rules, evaluated on the
  register as it is now, for exams that have closed; only people registered before it closed)
  together with everyone who started an attempt at it or at its makeup exam. A makeup exam
  (``makeup_of_id``) is never a row of its own: its attempts belong to the original exam's
  candidates, and count in the final pass rate, not in the first-attempt rate.
- The period and the month are those of the original exam's opening (Beijing time).
- Cancelled scores count in no rate and are shown in their own column.
- **People who changed enterprise or post** are counted where they were on the day the exam
  opened: the stint of ``Employment`` that covers that day (the latest one if stints overlap);
  without one (a stint recorded as starting later), the person's current enterprise and post.
  So a leader who sat in March at enterprise A and moved to B in June stays in A's figures
  for that exam, and is B's for exams after the move. Organisers see the candidacies
  attributed to enterprises in their scope.

A report is two statements (three on PostgreSQL, whose transaction is first tuned for reports:
no JIT, room to group in memory): the exams of the period, then one query that gathers the
candidacies and groups them, several groupings at once if asked (``pass_rates_by``: the
dashboard's by exam and by sector). The candidacies are the attempts grouped per exam and
account (read from the covering index, before any join), then the no-shows: the people each
closed exam was for (one branch per exam over the register, read once), less those attempts,
in one anti-join. Where the people with a history were on each exam's day is worked out for
them alone (a few thousand stints), not per candidacy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import (
    Date,
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
from exam.exams.models import Attempt, Exam
from exam.extensions import db
from exam.people.access import scope_enterprises
from exam.people.models import (
    Employment,
    Enterprise,
    Person,
    PersonRole,
    Sector,
    Town,
    enterprise_sector,
)
from exam.reports.hours import hours_totals
from exam.reports.jsonsql import tune_for_reports
from exam.reports.queries import eligible, period_bounds, year_bounds
from exam.reports.rates import Counts, total
from exam.timeutil import display_zone, utcnow
from exam.training.models import Enrolment, TrainingSession

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

    @property
    def hours_rate(self) -> float | None:
        from exam.reports.rates import rate

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


def _roots(date_from: date | None, date_to: date | None, exam_id: int | None, now: datetime) -> list[_Root]:
    """The original exams (not makeups) that opened in the period by ``now``, oldest first,
    with their makeup's id."""
    start, end = period_bounds(date_from, date_to)
    makeup = aliased(Exam)
    query = (select(Exam.id, Exam.title, Exam.eligibility, Exam.opens_at, Exam.closes_at, makeup.id)
             .outerjoin(makeup, makeup.makeup_of_id == Exam.id)
             .where(Exam.makeup_of_id.is_(None), Exam.published_at.is_not(None), Exam.opens_at <= now))
    if start is not None:
        query = query.where(Exam.opens_at >= start)
    if end is not None:
        query = query.where(Exam.opens_at < end)
    if exam_id is not None:  # a makeup's id stands for its original
        query = query.where(or_(Exam.id == exam_id, makeup.id == exam_id))
    return [_Root(*row) for row in db.session.execute(query.order_by(Exam.opens_at, Exam.id))]


def _union_all(selects: list):
    """UNION ALL of many SELECTs, nested so that no compound has more than ``UNION_CHUNK`` parts."""
    while len(selects) > UNION_CHUNK:
        chunks = [selects[i:i + UNION_CHUNK] for i in range(0, len(selects), UNION_CHUNK)]
        selects = [select(sub) for sub in (union_all(*chunk).subquery() for chunk in chunks)]
    return union_all(*selects) if len(selects) > 1 else selects[0]


COUNT_COLUMNS = ("started", "sat_first", "passed_first", "sat_final", "passed_final", "cancelled")


def _attempts(root_ids: list[int]):
    """Per original exam and account that started an attempt there or at its makeup: what
    their attempts add up to. Read from the covering index (exam_id, user_id) and grouped
    before any join, so the people are looked up once per candidacy, not once per attempt."""
    root = func.coalesce(Exam.makeup_of_id, Exam.id)
    counted = and_(Attempt.submitted_at.is_not(None), Attempt.cancelled_at.is_(None))
    passed = and_(counted, Attempt.passed.is_(True))
    first = Exam.makeup_of_id.is_(None)

    def flag(condition):
        return func.max(case((condition, 1), else_=0))

    return (select(root.label("exam_id"), Attempt.user_id,
                   flag(and_(counted, first)).label("sat_first"), flag(and_(passed, first)).label("passed_first"),
                   flag(counted).label("sat_final"), flag(passed).label("passed_final"),
                   func.sum(case((Attempt.cancelled_at.is_not(None), 1), else_=0)).label("cancelled"))
            .join(Exam, Exam.id == Attempt.exam_id)
            .where(or_(Exam.id.in_(root_ids), Exam.makeup_of_id.in_(root_ids)))
            .group_by(root, Attempt.user_id).cte("attempts"))


def _people():
    """Every account with its person, their current post and enterprise: read once for the
    eligibility of every exam (a province has 100,000 people and dozens of exams a year)."""
    return (select(User.id.label("user_id"), User.role.label("user_role"), User.disabled,
                   Person.id.label("person_id"), Person.role, Person.enterprise_id, Person.created_at,
                   Enterprise.town_id)
            .join(Person, Person.id == User.person_id).outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
            .cte("people"))


def _sat(attempts):
    """The candidacies of those who started: the grouped attempts with who the person is
    (joined to the tables, whose statistics the planner knows, rather than to ``_people``)."""
    a = attempts.c
    return (select(a.exam_id, User.person_id.label("person_id"), Person.enterprise_id, Person.role,
                   literal(1).label("started"), *(getattr(a, name) for name in COUNT_COLUMNS[1:]))
            .select_from(attempts)
            .join(User, User.id == a.user_id).join(Person, Person.id == User.person_id))


def _eligible(root: _Root, people):
    """The people ``root`` was for (registered before it closed)."""
    r = people.c
    person = SimpleNamespace(id=r.person_id, role=r.role, enterprise_id=r.enterprise_id)
    enterprise = SimpleNamespace(id=r.enterprise_id, town_id=r.town_id)
    account = SimpleNamespace(id=r.user_id, role=r.user_role, disabled=r.disabled)
    return (select(literal(root.id).label("exam_id"), r.person_id, r.enterprise_id, r.role, r.user_id)
            .where(eligible(root.eligibility, person, enterprise, account), r.created_at <= root.closes_at))


def _no_shows(roots: list[_Root], attempts, people):
    """The people the closed exams ``roots`` were for who started no attempt, neither there
    nor at the makeup: the eligible of every exam together, less those in ``attempts`` (one
    anti-join on the grouped attempts, not one index probe per person and exam)."""
    everyone = _union_all([_eligible(root, people) for root in roots]).subquery("eligible")
    e, a = everyone.c, attempts.c
    zero = literal(0)
    return (select(e.exam_id, e.person_id, e.enterprise_id, e.role, *(zero.label(name) for name in COUNT_COLUMNS))
            .where(~exists(select(a.user_id).where(a.exam_id == e.exam_id, a.user_id == e.user_id))))


def _days(roots: list[_Root]):
    """The exams as a little table: id, the day (Beijing time) and the month they opened,
    worked out here once per exam rather than by the database once per candidacy."""
    zone = display_zone()
    return _union_all([select(literal(r.id).label("exam_id"),
                              literal(r.opens_at.astimezone(zone).date(), Date).label("day"),
                              literal(r.opens_at.astimezone(zone).strftime("%Y-%m"), String).label("month"))
                       for r in roots]).subquery("days")


def _stints(days):
    """Where the people with a history were on the day each exam opened: their stint of
    ``Employment`` covering that day (the latest one if stints overlap). Only people with an
    ended stint have a history worth reading; everybody else is where they are now."""
    moved = select(Employment.person_id).where(Employment.ended_on.is_not(None))
    history = select(Employment.id, Employment.person_id, Employment.enterprise_id, Employment.role,
                     Employment.started_on, Employment.ended_on).where(Employment.person_id.in_(moved))
    stint, newer = history.subquery("stint"), history.subquery("newer")

    def covers(s):
        return and_(or_(s.c.started_on.is_(None), s.c.started_on <= days.c.day),
                    or_(s.c.ended_on.is_(None), s.c.ended_on > days.c.day))

    return (select(days.c.exam_id, stint.c.person_id, stint.c.enterprise_id, stint.c.role)
            .select_from(days).join(stint, covers(stint))
            .where(~exists(select(newer.c.id).where(newer.c.person_id == stint.c.person_id, newer.c.id > stint.c.id,
                                                    covers(newer))))
            .subquery("stints"))


def _candidacies(roots: list[_Root], now: datetime, *, month: bool = True):
    """One row per candidacy (those who started and, for closed exams, the no-shows: two
    disjoint sets), with where the person was on the day the exam opened (and, if asked,
    the month it opened)."""
    attempts, people = _attempts([r.id for r in roots]), _people()
    closed = [r for r in roots if r.closes_at <= now]
    parts = [_sat(attempts)] + ([_no_shows(closed, attempts, people)] if closed else [])
    pairs = _union_all(parts).subquery("pairs")
    days = _days(roots)
    stints = _stints(days)
    query = (select(pairs.c.exam_id, pairs.c.person_id, *(getattr(pairs.c, name) for name in COUNT_COLUMNS),
                    func.coalesce(stints.c.enterprise_id, pairs.c.enterprise_id).label("enterprise_id"),
                    func.coalesce(stints.c.role, pairs.c.role).label("role"))
             .select_from(pairs)
             .outerjoin(stints, and_(stints.c.exam_id == pairs.c.exam_id, stints.c.person_id == pairs.c.person_id)))
    if month:
        query = query.add_columns(days.c.month).join(days, days.c.exam_id == pairs.c.exam_id)
    return query


def _grouping(group_by: str, c, user: User, sector_id: int | None):
    """One grouping of the candidacies ``c``: (grouping, key, name, name_en, sort, counts...)."""
    es = enterprise_sector.c
    text, number = cast(null(), String), cast(null(), Integer)
    keys = {
        "exam": (cast(c.c.exam_id, String), text, text, number),
        "sector": (cast(Sector.id, String), Sector.name, Sector.name_en, Sector.sort_order),
        "role": (c.c.role, text, text, number),
        "enterprise": (cast(Enterprise.id, String), Enterprise.name, text, number),
        "town": (cast(Town.id, String), Town.name, text, Town.sort_order),
        "month": (c.c.month if "month" in c.c else text, text, text, number),
        "all": (text, text, text, number),
    }[group_by]
    query = (select(literal(group_by).label("grouping"), *(k.label(n) for k, n in zip(
                 keys, ("key", "name", "name_en", "sort"), strict=True)),
                    func.count().label("candidates"), func.sum(1 - c.c.started).label("no_shows"),
                    *(func.sum(getattr(c.c, name)).label(name) for name in COUNT_COLUMNS[1:]))
             .select_from(c).outerjoin(Enterprise, Enterprise.id == c.c.enterprise_id))
    if group_by == "sector":
        query = query.outerjoin(enterprise_sector, es.enterprise_id == c.c.enterprise_id).outerjoin(
            Sector, Sector.id == es.sector_id)
    if group_by == "town":
        query = query.outerjoin(Town, Town.id == Enterprise.town_id)
    if sector_id is not None:
        query = query.where(exists(select(es.enterprise_id).where(
            es.enterprise_id == c.c.enterprise_id, es.sector_id == sector_id)))
    grouped = [k for k, n in zip(keys, ("key", "name", "name_en", "sort"), strict=True)
               if n == "key" or k is not text and k is not number]
    if group_by != "all":
        query = query.group_by(*grouped)
    return scope_enterprises(query, user)


def pass_rates_by(user: User, group_bys: tuple[str, ...], *, date_from: date | None, date_to: date | None,
                  exam_id: int | None = None, sector_id: int | None = None,
                  now: datetime | None = None, tuned: bool = False) -> dict[str, list[PassRateRow]]:
    """``pass_rates`` for several groupings at once (three statements in all on PostgreSQL:
    the transaction tuned for reports, unless ``tuned`` says the caller did)."""
    if not tuned:
        tune_for_reports()
    for group_by in group_bys:
        if group_by not in (*GROUP_BYS, "all"):
            raise ValueError(group_by)
    now = now or utcnow()
    roots = _roots(date_from, date_to, exam_id, now)
    result: dict[str, list] = {group_by: [] for group_by in group_bys}
    if not roots:
        return result
    candidacies = _candidacies(roots, now, month="month" in group_bys)
    c = candidacies.cte("candidacy") if len(group_bys) > 1 else candidacies.subquery("candidacy")
    query = _union_all([_grouping(group_by, c, user, sector_id) for group_by in group_bys])
    for record in db.session.execute(query):
        result[record.grouping].append((_sort_key(record, roots), _row(record, roots)))
    return {group_by: [row for _rank, row in sorted(rows, key=lambda pair: pair[0])]
            for group_by, rows in result.items()}


def pass_rates(user: User, *, group_by: str, date_from: date | None, date_to: date | None,
               exam_id: int | None = None, sector_id: int | None = None,
               now: datetime | None = None) -> list[PassRateRow]:
    """Pass rates of the exams opened in the period (both dates included, Beijing time), one
    row per group; ``group_by`` is one of ``GROUP_BYS`` or ``all`` (one row: the total)."""
    return pass_rates_by(user, (group_by,), date_from=date_from, date_to=date_to, exam_id=exam_id,
                         sector_id=sector_id, now=now)[group_by]


COUNT_NAMES = ("candidates", "no_shows", "sat_first", "passed_first", "sat_final", "passed_final", "cancelled")
INT_KEYS = ("exam", "sector", "enterprise", "town")


def _key(record):
    if record.key is None or record.grouping == "all":
        return None
    return int(record.key) if record.grouping in INT_KEYS else record.key


def _row(record, roots: list[_Root]) -> PassRateRow:
    from flask_babel import gettext as _

    counts = {name: int(getattr(record, name) or 0) for name in COUNT_NAMES}
    group_by, key = record.grouping, _key(record)
    if group_by == "exam":
        label = next(r.title for r in roots if r.id == key)
    elif group_by == "sector":
        label = (record.name_en if _locale() == "en" and record.name_en else record.name) if key else _("No sector")
    elif group_by == "role":
        label = PersonRole.label(key) if key else _("Unknown")
    elif group_by in ("enterprise", "town"):
        label = record.name if key else _("Unknown")
    elif group_by == "month":
        label = key or _("Unknown")
    else:
        label = _("Total")
    return PassRateRow(key=key, label=label, **counts)


def _locale() -> str | None:
    from flask import has_request_context

    if not has_request_context():
        return None
    from exam.i18n import select_locale

    return select_locale()


def _sort_key(record, roots: list[_Root]):
    """How groups are ordered: exams by date, sectors and towns as the bureau sorts them,
    posts by rank, months in order, enterprises by name; unknowns last."""
    key, group_by = _key(record), record.grouping
    if group_by == "exam":
        return (0, next((i for i, r in enumerate(roots) if r.id == key), 0), "")
    if group_by == "role":
        return (key is None, PersonRole.ALL.index(key) if key in PersonRole.ALL else 99, "")
    return (key is None, record.sort or 0, record.name or str(key or ""))


# --- the dashboard -------------------------------------------------------------------------


def dashboard(user: User, year: int, now: datetime) -> Dashboard:
    """The year's figures for the user's scope, each computed by the database."""
    from exam.reports import tracker
    from exam.screenings.services import totals as screening_totals

    first, last = date(year, 1, 1), date(year, 12, 31)
    tune_for_reports()  # once for every statement below
    rates = pass_rates_by(user, ("exam", "sector"), date_from=first, date_to=last, now=now, tuned=True)
    by_exam, by_sector = rates["exam"], rates["sector"]
    standing, left_by_sector = tracker.standing_counts(user, now=now, tuned=True)
    valid, expiring = _certificates(user, now)
    sessions, person_times = _training(user, year, now)
    scoped = user.role != UserRole.ADMIN
    screenings = screening_totals(year, now=now,
                                  sector_ids=[s.id for s in user.scope_sectors] if scoped and user.scope_sectors else None,
                                  town_ids=[t.id for t in user.scope_towns] if scoped and user.scope_towns else None)
    required, met, onsite, online = hours_totals(user, year)
    return Dashboard(
        year=year, exams_held=len(by_exam), exams=total(by_exam), by_sector=tuple(by_sector),
        required_people=sum(standing.values()),
        not_passed=sum(n for status, n in standing.items() if status not in tracker.PASSED),
        not_passed_by_sector=left_by_sector,
        certificates_valid=valid, certificates_expiring=expiring,
        training_sessions=sessions, training_person_times=person_times,
        screenings=screenings.screenings, screening_person_times=screenings.person_times,
        hours_required=required, hours_met=met, hours_onsite=onsite, hours_online=online)


def _today(now: datetime) -> date:
    return now.astimezone(display_zone()).date()


def _certificates(user: User, now: datetime) -> tuple[int, int]:
    """Current certificates of people in scope: valid, and of those, expiring within the notice."""
    today = _today(now)
    soon = today + timedelta(days=current_app.config["CERTIFICATE_NOTICE_DAYS"])
    query = (select(func.count(Certificate.id), func.sum(case((Certificate.valid_until <= soon, 1), else_=0)))
             .join(Person, Person.id == Certificate.person_id)
             .outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
             .where(Certificate.kind == CertificateKind.SPECIAL_EXAM, Certificate.revoked_at.is_(None),
                    Certificate.superseded_at.is_(None), Certificate.valid_until >= today))
    valid, expiring = db.session.execute(scope_enterprises(query, user)).one()
    return int(valid or 0), int(expiring or 0)


def _training(user: User, year: int, now: datetime) -> tuple[int, int]:
    """Sessions held in the year (not cancelled, started by now) and their attendance (人次).
    A scoped organiser sees the sessions people of their scope attended."""
    start, end = year_bounds(year)
    query = (select(func.count(func.distinct(TrainingSession.id)), func.count(Enrolment.id))
             .select_from(TrainingSession)
             .outerjoin(Enrolment, and_(Enrolment.session_id == TrainingSession.id, Enrolment.attended_at.is_not(None)))
             .outerjoin(Person, Person.id == Enrolment.person_id)
             .outerjoin(Enterprise, Enterprise.id == Person.enterprise_id)
             .where(TrainingSession.cancelled_at.is_(None), TrainingSession.starts_at >= start,
                    TrainingSession.starts_at < end, TrainingSession.starts_at <= now))
    sessions, person_times = db.session.execute(scope_enterprises(query, user)).one()
    return int(sessions or 0), int(person_times or 0)



"""The 100% tracker: every person in a required post (principal leader, safety director, safety
manager), by enterprise, with where they stand, and the action that enrols those left into the
next exam or training session.

Where a person stands is the rule of ``exam.exams.standing`` (its statuses, first that holds):
this module gathers its facts for everybody at once (the current certificate, the latest
revocation, the latest score that counts, the exams not yet started) and decides with its SQL
twin, ``standing_case``.

The page is a plain function (``page``) so that benchmarks time it without HTTP; its figures
take a constant number of statements, and it is paginated in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    Integer,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import aliased

from exam.auth.models import User
from exam.certificates.models import Certificate, CertificateKind
from exam.core.extensions import db
from exam.core.timeutil import utcnow
from exam.exams.eligibility import eligible_clause
from exam.exams.examday import name_candidates
from exam.exams.models import Attempt, Exam
from exam.exams.standing import PASSED, STATUSES, horizon, result_columns, standing_case
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, PersonRole, Town, enterprise_sector
from exam.reports.kept.models import Candidacy, LastResult
from exam.reports.sql.jsonsql import tune_for_reports

#: The filter for everybody who has not (or no longer) passed.
NOT_PASSED = "not_passed"
#: Among ``standing_counts``: people not yet passed whom some exam expected.
EXPECTED_NOT_PASSED = "expected_not_passed"
#: Most people one "enrol everybody left" action takes.
MAX_ENROL = 5000


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    sector_id: int | None = None
    town_id: int | None = None
    enterprise_id: int | None = None
    role: str | None = None
    #: A name, or a whole ID number.
    q: str = ""


@dataclass(frozen=True)
class TrackerRow:
    person_id: int
    name: str
    role: str
    enterprise_id: int
    enterprise_name: str
    town_name: str
    status: str
    #: The exam they are scheduled for (status scheduled or makeup pending), if any.
    upcoming_exam_id: int | None
    upcoming_exam_title: str
    #: Their latest score that counts.
    last_exam_title: str
    last_score: float | None
    last_at: datetime | None
    certificate_until: date | None
    #: Closed exams that expected them (their rosters) where they never came (缺考).
    absences: int = 0
    #: Expected by some exam: on a closed exam's roster, or sat one, or one to come is for them.
    expected: bool = False


@dataclass(frozen=True)
class TrackerPage:
    rows: tuple[TrackerRow, ...]
    #: People matching the filters (the status filter included).
    total: int
    #: People per status, matching the other filters.
    counts: dict[str, int] = field(default_factory=dict)
    page: int = 1
    per_page: int = 50

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    def iter_pages(self, edge: int = 2, around: int = 2):
        """Page numbers to link, None for a gap (as the shared pagination macro expects)."""
        last = 0
        for number in range(1, self.pages + 1):
            if number <= edge or number > self.pages - edge or abs(number - self.page) <= around:
                if last and number - last > 1:
                    yield None
                yield number
                last = number


@dataclass(frozen=True)
class _OpenExam:
    id: int
    title: str
    makeup: bool
    eligibility: dict


def open_exams(now: datetime) -> list[_OpenExam]:
    """Published exams that have not closed, soonest first (what people can be scheduled for)."""
    rows = db.session.execute(
        select(Exam.id, Exam.title, Exam.makeup_of_id, Exam.eligibility)
        .where(Exam.is_published, ~Exam.has_closed(now))
        .order_by(Exam.opens_at, Exam.id)
    )
    return [
        _OpenExam(id_, title, makeup_of is not None, rules or {})
        for id_, title, makeup_of, rules in rows
    ]


def _upcoming(exams: list[_OpenExam]):
    """The first of ``exams`` the row's person may sit and has not started, as a SQL CASE."""
    whens = [
        (
            and_(
                eligible_clause(e.eligibility),
                ~exists(
                    select(Attempt.id).where(Attempt.exam_id == e.id, Attempt.user_id == User.id)
                ),
            ),
            e.id,
        )
        for e in exams
    ]
    return case(*whens, else_=null()) if whens else null()


def _results(now: datetime):
    """Per account, their latest score that counts (kept in ``LastResult``) as the facts the
    standing compares (``result_columns``)."""
    makeup = aliased(Exam)
    last = LastResult
    return (
        select(last.user_id, *result_columns(last.submitted_at, last.passed, Exam, makeup, now))
        .join(Exam, Exam.id == last.exam_id)
        .outerjoin(makeup, makeup.makeup_of_id == last.exam_id)
        .subquery("results")
    )


def _expected():
    """Per person, from the exams' candidacies (``Candidacy``: the people each closed exam
    expected, by the rule of ``exam.exams.eligibility``, and who sat): whether some exam
    expected or examined them, and the closed exams they were expected at and never came to."""
    c = Candidacy
    return (
        select(
            c.person_id,
            func.max(case((or_(c.listed == 1, c.started == 1), 1), else_=0)).label("examined"),
            func.sum(case((and_(c.listed == 1, c.started == 0), 1), else_=0)).label("absences"),
        )
        .group_by(c.person_id)
        .subquery("expected")
    )


def _standing(
    user: User, filters: Filters, now: datetime, exams: list[_OpenExam], *, slim: bool = False
):
    """Every person in scope matching ``filters`` (but the status) with their standing
    (``slim``: only what the standing and the counts need, no names)."""
    results = _results(now)
    # The current certificate and the latest revocation, each read (index only) from its own
    # partial index rather than by grouping the whole certificate table (migration 0011).
    special = Certificate.kind == CertificateKind.SPECIAL_EXAM
    # At most one current certificate a person and kind (uq_certificate_current): no grouping.
    certificate = (
        select(Certificate.person_id, Certificate.valid_until.label("until"))
        .where(special, Certificate.revoked_at.is_(None), Certificate.superseded_at.is_(None))
        .subquery("certificate")
    )
    revoked = (
        select(Certificate.person_id, func.max(Certificate.revoked_at).label("revoked_at"))
        .where(special, Certificate.revoked_at.is_not(None))
        .group_by(Certificate.person_id)
        .subquery("revoked")
    )
    makeups = [e for e in exams if e.makeup]
    regular = [e for e in exams if not e.makeup]
    expected = _expected()
    upcoming_makeup, upcoming_exam = _upcoming(makeups), _upcoming(regular)
    post = case(
        *((Person.role == role, i) for i, role in enumerate(PersonRole.ALL)),
        else_=len(PersonRole.ALL),
    )
    named = (
        ()
        if slim
        else (
            Person.name,
            Person.role,
            post.label("post"),
            Enterprise.name.label("enterprise_name"),
            Town.name.label("town_name"),
        )
    )
    query = (
        select(
            Person.id.label("person_id"),
            Enterprise.id.label("enterprise_id"),
            *named,
            User.id.label("user_id"),
            results.c.last_at,
            results.c.pass_at,
            results.c.makeup_fail_at,
            results.c.fail_open_at,
            results.c.fail_over_at,
            certificate.c.until.label("certificate_until"),
            revoked.c.revoked_at,
            upcoming_makeup.label("upcoming_makeup"),
            upcoming_exam.label("upcoming_exam"),
            func.coalesce(expected.c.absences, 0).label("absences"),
            case(
                (expected.c.examined == 1, 1),
                (upcoming_makeup.is_not(None), 1),
                (upcoming_exam.is_not(None), 1),
                else_=0,
            ).label("expected"),
        )
        .select_from(Person)
        .join(Enterprise, Enterprise.id == Person.enterprise_id)
    )
    if not slim:  # every enterprise has a town
        query = query.join(Town, Town.id == Enterprise.town_id)
    query = (
        query.outerjoin(User, User.person_id == Person.id)
        .outerjoin(results, results.c.user_id == User.id)
        .outerjoin(certificate, certificate.c.person_id == Person.id)
        .outerjoin(revoked, revoked.c.person_id == Person.id)
        .outerjoin(expected, expected.c.person_id == Person.id)
        .where(Person.role.in_(PersonRole.ALL))
    )
    query = _filtered(scope_enterprises(query, user), filters)
    inner = query.subquery("inner")
    return select(inner, _status(inner, now).label("status"))


def _filtered(query, filters: Filters):
    if filters.role:
        query = query.where(Person.role == filters.role)
    if filters.enterprise_id:
        query = query.where(Enterprise.id == filters.enterprise_id)
    if filters.town_id:
        query = query.where(Enterprise.town_id == filters.town_id)
    if filters.sector_id:
        es = enterprise_sector.c
        query = query.where(
            exists(
                select(es.enterprise_id).where(
                    es.enterprise_id == Enterprise.id, es.sector_id == filters.sector_id
                )
            )
        )
    text = (filters.q or "").strip()
    if text:
        query = query.where(
            or_(Person.name.contains(text, autoescape=True), Person.id_number == text.upper())
        )
    return query


def _status(inner, now: datetime):
    return standing_case(inner.c, horizon(now))


def _status_filter(standing, status: str | None):
    if status == NOT_PASSED:
        return standing.c.status.not_in(PASSED)
    if status in STATUSES:
        return standing.c.status == status
    return literal(True)


def _total(counts: dict[str, int], status: str | None) -> int:
    if status == NOT_PASSED:
        return sum(n for s, n in counts.items() if s not in PASSED)
    return counts.get(status, 0) if status in STATUSES else sum(counts.values())


def status_counts(
    user: User, filters: Filters = Filters(), *, now: datetime | None = None
) -> dict[str, int]:
    """People in scope per status (every status present, zeros included)."""
    counts = standing_counts(user, filters, now=now)[0]
    counts.pop(EXPECTED_NOT_PASSED)
    return counts


def standing_counts(
    user: User, filters: Filters = Filters(), *, now: datetime | None = None, tuned: bool = False
) -> tuple[dict[str, int], dict[int, int]]:
    """People in scope per status, and those not yet passed per sector of their enterprise
    (the figures the dashboard's sector links lead to): one statement after the open exams
    (and one tuning the transaction for reports, unless ``tuned`` says the caller did).
    ``EXPECTED_NOT_PASSED`` among the statuses counts those not yet passed whom some exam
    expected (``TrackerRow.expected``), apart from those never scheduled."""
    now = now or utcnow()
    if not tuned:
        tune_for_reports()
    standing = _standing(user, filters, now, open_exams(now), slim=True).cte("standing")
    es = enterprise_sector.c
    everybody = select(
        standing.c.status, cast(null(), Integer).label("sector_id"), func.count().label("n")
    ).group_by(standing.c.status)
    expected = (
        select(
            literal(EXPECTED_NOT_PASSED).label("status"),
            cast(null(), Integer).label("sector_id"),
            func.count().label("n"),
        )
        .select_from(standing)
        .where(standing.c.status.not_in(PASSED), standing.c.expected == 1)
    )
    by_sector = (
        select(literal(NOT_PASSED).label("status"), es.sector_id, func.count().label("n"))
        .select_from(standing)
        .join(enterprise_sector, es.enterprise_id == standing.c.enterprise_id)
        .where(standing.c.status.not_in(PASSED))
        .group_by(es.sector_id)
    )
    counts, sectors = dict.fromkeys((*STATUSES, EXPECTED_NOT_PASSED), 0), {}
    for status, sector_id, n in db.session.execute(union_all(everybody, expected, by_sector)):
        if sector_id is None:
            counts[status] = int(n)
        else:
            sectors[sector_id] = int(n)
    return counts, sectors


def page(
    user: User,
    *,
    status: str | None = None,
    sector_id: int | None = None,
    town_id: int | None = None,
    enterprise_id: int | None = None,
    role: str | None = None,
    q: str = "",
    page: int = 1,
    per_page: int = 50,
    now: datetime | None = None,
) -> TrackerPage:
    """One page of the tracker, ordered by enterprise, post and name, with the people per
    status: two statements, after one tuning the transaction for reports on PostgreSQL (a
    third only for a page past the end)."""
    now = now or utcnow()
    tune_for_reports()
    filters = Filters(status, sector_id, town_id, enterprise_id, role, q)
    exams = open_exams(now)
    number = max(1, page)
    counts, rows = _page(user, filters, now, exams, per_page, number)
    total = _total(counts, status)
    pages = max(1, -(-total // per_page))
    if number > pages:  # past the end: the last page
        number = pages
        counts, rows = _page(user, filters, now, exams, per_page, number)
    return TrackerPage(tuple(rows), total, counts, number, per_page)


def _page(
    user: User, filters: Filters, now: datetime, exams: list[_OpenExam], per_page: int, number: int
) -> tuple[dict[str, int], list[TrackerRow]]:
    """The counts per status and one page of rows, in one statement: the standing is
    computed once (a CTE) for both."""
    standing = _standing(user, filters, now, exams).cte("standing")
    counts = select(
        *(
            func.coalesce(func.sum(case((standing.c.status == s, 1), else_=0)), 0).label(f"n_{s}")
            for s in STATUSES
        )
    ).subquery("counts")
    chosen = _chosen(standing, filters, limit=per_page, offset=(number - 1) * per_page)
    query = (
        select(counts, *_shown(chosen))
        .select_from(counts.outerjoin(chosen, true()))
        .order_by(*_order(chosen))
    )
    found = db.session.execute(query).all()
    tally = (
        {s: int(getattr(found[0], f"n_{s}")) for s in STATUSES}
        if found
        else dict.fromkeys(STATUSES, 0)
    )
    return tally, [_row(r, exams) for r in found if r.person_id is not None]


def _order(table):
    c = table.c
    return (c.enterprise_name, c.enterprise_id, c.post, c.name, c.person_id)


def _chosen(standing, filters: Filters, *, limit: int | None, offset: int = 0):
    chosen = (
        select(standing).where(_status_filter(standing, filters.status)).order_by(*_order(standing))
    )
    if limit is not None:
        chosen = chosen.limit(limit)
    return chosen.offset(offset).subquery("chosen")


def _shown(chosen) -> list:
    """The chosen rows' columns and their latest score's exam and mark (looked up for the
    rows shown only)."""
    latest = (
        select(Attempt)
        .select_from(LastResult)
        .join(Attempt, Attempt.id == LastResult.attempt_id)
        .join(Exam, Exam.id == Attempt.exam_id)
        .where(LastResult.user_id == chosen.c.user_id)
    )
    return [
        *chosen.c,
        latest.with_only_columns(Exam.title).scalar_subquery().label("last_exam_title"),
        latest.with_only_columns(Attempt.score).scalar_subquery().label("last_score"),
    ]


def _row(r, exams: list[_OpenExam]) -> TrackerRow:
    upcoming = (
        r.upcoming_makeup or r.upcoming_exam
        if r.status in ("scheduled", "makeup_pending")
        else None
    )
    title = next((e.title for e in exams if e.id == upcoming), "")
    return TrackerRow(
        r.person_id,
        r.name,
        r.role,
        r.enterprise_id,
        r.enterprise_name,
        r.town_name,
        r.status,
        upcoming,
        title,
        r.last_exam_title or "",
        r.last_score,
        r.last_at,
        r.certificate_until,
        int(r.absences or 0),
        bool(r.expected),
    )


def _rows(
    user: User, filters: Filters, now: datetime, exams: list[_OpenExam], *, limit: int | None
) -> list[TrackerRow]:
    chosen = _chosen(
        _standing(user, filters, now, exams).subquery("standing"), filters, limit=limit
    )
    return [
        _row(r, exams)
        for r in db.session.execute(select(*_shown(chosen)).order_by(*_order(chosen)))
    ]


def all_rows(
    user: User, filters: Filters, *, now: datetime | None = None, limit: int | None = None
) -> list[TrackerRow]:
    """Every row matching ``filters`` (exports and "enrol everybody left"), three statements."""
    now = now or utcnow()
    tune_for_reports()
    return _rows(user, filters, now, open_exams(now), limit=limit)


# --- the action: enrol those left --------------------------------------------------------


def enrol_in_exam(exam: Exam, person_ids: list[int], actor: User) -> int:
    """Name these people among those the exam is for (the exams feature's change); the number
    newly named."""
    return name_candidates(exam, person_ids, actor)


def enrol_in_session(
    session, people: list[Person], actor: User, now: datetime
) -> tuple[int, int, int]:
    """Invite and enrol these people in a training session: (seats, waiting list, refused)."""
    from exam.training.models import EnrolmentStatus
    from exam.training.services import TrainingError, enrol, invite

    invite(session, [p.id for p in people], actor)
    seats = waiting = refused = 0
    for person in people:  # an action on chosen people, not a report: one enrolment each
        try:
            enrolment = enrol(session, person, now)
        except TrainingError:
            refused += 1
            continue
        if enrolment.status == EnrolmentStatus.WAITING:
            waiting += 1
        else:
            seats += 1
    return seats, waiting, refused

"""A campaign's figures (专题考试活动): per post, the enterprises (家) and people expected, who
sat, passed first time, passed finally (makeups and later rounds included) and have not yet
passed, with the list behind each number.

A campaign's rounds are original exams; each round's candidacies are the pass-rate reports'
(``figures.round_candidacies``: the kept ``Candidacy`` rows, the rosters of closed rounds, and
the rounds still open read as their rosters stand now). Across rounds one person counts once:

- **expected**: a candidacy in any round (on a roster, or started);
- **sat**: a score that counts in any round or makeup;
- **passed first time**: passed the first round they sat in person (not a makeup) at that
  round itself; the first-time rate is over the people who sat a round in person;
- **passed finally**: passed any round or makeup; the final rate is over the people who sat;
- **not yet passed**: expected and not passed finally (no-shows included).

A person is counted in the enterprise and post of their latest round (where they were on the
day it opened). An enterprise counts in a figure when one of its people does. The figures are
provisional (暂计) while any published round or its makeup has not closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import aliased

from exam.auth.models import User, UserRole
from exam.campaigns.models import Campaign, CampaignExam
from exam.core.extensions import db
from exam.exams.models import Exam
from exam.people.access import scope_enterprises
from exam.people.models import Enterprise, Person, PersonRole
from exam.reports.queries.figures import round_candidacies
from exam.reports.queries.rates import rate
from exam.reports.sql.jsonsql import tune_for_reports

#: The figures of a campaign, in the order the page shows them.
MEASURES = ("expected", "sat", "passed_first", "passed_final", "not_passed")


@dataclass(frozen=True)
class Measure:
    people: int = 0
    enterprises: int = 0


@dataclass(frozen=True)
class CampaignRow:
    """One post's figures (``role`` None: all posts together)."""

    role: str | None
    expected: Measure
    sat: Measure
    passed_first: Measure
    passed_final: Measure
    not_passed: Measure
    #: People who sat a round in person (the first-time rate's base).
    sat_first: int = 0

    @property
    def label(self) -> str:
        return PersonRole.label(self.role) if self.role else ""

    @property
    def first_rate(self) -> float | None:
        """首次考试合格率: passed first time of those who sat a round in person."""
        return rate(self.passed_first.people, self.sat_first)

    @property
    def final_rate(self) -> float | None:
        """最终合格率: passed in any round or makeup, of those who sat."""
        return rate(self.passed_final.people, self.sat.people)


@dataclass(frozen=True)
class CampaignFigures:
    campaign_id: int
    name: str
    year: int
    by_post: tuple[CampaignRow, ...]
    total: CampaignRow
    #: Rounds that have opened, of all published rounds.
    rounds_opened: int
    rounds: int
    #: A published round or its makeup has not closed yet: the figures are 暂计.
    provisional: bool


@dataclass(frozen=True)
class CampaignPerson:
    """One person of a list behind a figure."""

    person_id: int
    name: str
    enterprise_id: int | None
    enterprise: str | None
    role: str | None
    sat_first: bool
    sat: bool
    passed_first: bool
    passed_final: bool


def _status(campaign_id: int, now: datetime) -> tuple[list[int], int, bool]:
    """(ids of the rounds opened by now, published rounds, provisional)."""
    makeup = aliased(Exam)
    rows = db.session.execute(
        select(Exam.id, Exam.has_opened(now), Exam.has_closed(now), makeup.id, makeup.closes_at)
        .join(CampaignExam, CampaignExam.exam_id == Exam.id)
        .outerjoin(makeup, (makeup.makeup_of_id == Exam.id) & makeup.is_published)
        .where(
            CampaignExam.campaign_id == campaign_id,
            Exam.makeup_of_id.is_(None),
            Exam.is_published,
        )
    ).all()
    opened = [row[0] for row in rows if row[1]]
    provisional = any(
        not closed or (makeup_id is not None and makeup_closes > now)
        for _id, _opened, closed, makeup_id, makeup_closes in rows
    )
    return opened, len(rows), provisional


def _people(user: User, round_ids: list[int], now: datetime):
    """One row per person of the rounds: placed where their latest round found them, with
    whether they sat in person, sat, passed first time and passed finally."""
    roots, candidacies = round_candidacies(round_ids, now)
    order = {r.id: i for i, r in enumerate(roots)}
    c = candidacies.add_columns(
        case(order, value=candidacies.selected_columns.exam_id, else_=0).label("ord")
    ).subquery("rounds")
    first = func.row_number().over(
        partition_by=c.c.person_id, order_by=(c.c.sat_first.desc(), c.c.ord)
    )
    latest = func.row_number().over(partition_by=c.c.person_id, order_by=c.c.ord.desc())
    ranked = select(c, first.label("first_rank"), latest.label("latest_rank")).subquery("ranked")
    r = ranked.c

    def at(rank, column):
        return func.max(case((rank == 1, column), else_=None))

    person = (
        select(
            r.person_id.label("person_id"),
            at(r.latest_rank, r.enterprise_id).label("enterprise_id"),
            at(r.latest_rank, r.role).label("role"),
            func.max(r.sat_first).label("sat_first"),
            func.coalesce(at(r.first_rank, r.sat_first * r.passed_first), 0).label("passed_first"),
            func.max(r.sat_final).label("sat"),
            func.max(r.passed_final).label("passed_final"),
        )
        .group_by(r.person_id)
        .subquery("people")
    )
    query = select(person).select_from(person)
    if user.role != UserRole.ADMIN:
        query = scope_enterprises(
            query.outerjoin(Enterprise, Enterprise.id == person.c.enterprise_id), user
        )
    return query.subquery("campaign_people")


def _sums(p, group_by_role: bool):
    def both(condition):
        people = func.sum(case((condition, 1), else_=0))
        enterprises = func.count(distinct(case((condition, p.c.enterprise_id), else_=None)))
        return people, enterprises

    columns = [p.c.role if group_by_role else None]
    for condition in (
        p.c.person_id.is_not(None),
        p.c.sat == 1,
        p.c.passed_first == 1,
        p.c.passed_final == 1,
        p.c.passed_final == 0,
    ):
        columns.extend(both(condition))
    columns.append(func.sum(p.c.sat_first))
    query = select(*(col for col in columns if col is not None))
    return query.group_by(p.c.role) if group_by_role else query


def _row(role, values) -> CampaignRow:
    numbers = [int(v or 0) for v in values]
    measures = [Measure(numbers[i], numbers[i + 1]) for i in range(0, 10, 2)]
    return CampaignRow(role, *measures, sat_first=numbers[10])


def campaign_figures(user: User, campaign: Campaign, now: datetime) -> CampaignFigures:
    """The campaign's figures for the user's scope (the bureau: the whole district)."""
    tune_for_reports()
    opened, published, provisional = _status(campaign.id, now)
    by_post: list[CampaignRow] = []
    total = _row(None, [0] * 11)
    if opened:
        p = _people(user, opened, now)
        rows = {role: _row(role, rest) for role, *rest in db.session.execute(_sums(p, True))}
        by_post = [rows.pop(role) for role in PersonRole.ALL if role in rows]
        by_post += [rows[role] for role in sorted(rows, key=lambda k: (k is None, k or ""))]
        total = _row(None, db.session.execute(_sums(p, False)).one())
    return CampaignFigures(
        campaign_id=campaign.id,
        name=campaign.name,
        year=campaign.year,
        by_post=tuple(by_post),
        total=total,
        rounds_opened=len(opened),
        rounds=published,
        provisional=provisional,
    )


def campaign_people(
    user: User, campaign: Campaign, measure: str, role: str | None, now: datetime
) -> list[CampaignPerson]:
    """The people behind one figure (``measure`` of ``MEASURES``; ``role`` None: all posts),
    by enterprise and name."""
    if measure not in MEASURES:
        raise ValueError(measure)
    opened, _published, _provisional = _status(campaign.id, now)
    if not opened:
        return []
    tune_for_reports()
    p = _people(user, opened, now)
    condition = {
        "expected": p.c.person_id.is_not(None),
        "sat": p.c.sat == 1,
        "passed_first": p.c.passed_first == 1,
        "passed_final": p.c.passed_final == 1,
        "not_passed": p.c.passed_final == 0,
    }[measure]
    named = aliased(Enterprise)
    query = (
        select(
            p.c.person_id,
            Person.name,
            p.c.enterprise_id,
            named.name,
            p.c.role,
            p.c.sat_first,
            p.c.sat,
            p.c.passed_first,
            p.c.passed_final,
        )
        .join(Person, Person.id == p.c.person_id)
        .outerjoin(named, named.id == p.c.enterprise_id)
        .where(condition)
        .order_by(named.name, Person.name, p.c.person_id)
    )
    if role is not None:
        query = query.where(p.c.role == role)
    return [
        CampaignPerson(
            person_id=pid,
            name=name,
            enterprise_id=eid,
            enterprise=ename,
            role=prole,
            sat_first=bool(sat_first),
            sat=bool(sat),
            passed_first=bool(first),
            passed_final=bool(final),
        )
        for pid, name, eid, ename, prole, sat_first, sat, first, final in db.session.execute(query)
    ]


def campaigns_of_year(year: int) -> list[Campaign]:
    """The campaigns of a year, in the order they were made."""
    return list(
        db.session.scalars(select(Campaign).where(Campaign.year == year).order_by(Campaign.id))
    )

"""Safety-director coverage: how many enterprises in the user's scope must have a safety
director (安全总监), how many have one, and the list of those that have none. The rule is
``exam.people.directors`` (its SQL form here, its Python form for the reasons shown)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from exam.auth.models import User
from exam.core.extensions import db
from exam.people.access import scope_enterprises
from exam.people.directors import (
    director_reasons,
    has_director_clause,
    must_have_director_clause,
    reason_names,
)
from exam.people.models import Enterprise, enterprise_sector
from exam.reports.queries.rates import rate


@dataclass(frozen=True)
class Coverage:
    """Enterprises that must have a safety director, and of those, the ones that have one."""

    required: int
    appointed: int

    @property
    def missing(self) -> int:
        return self.required - self.appointed

    @property
    def rate(self) -> float | None:
        return rate(self.appointed, self.required)


@dataclass(frozen=True)
class MissingDirector:
    """An enterprise that must have a safety director and has none."""

    enterprise_id: int
    name: str
    credit_code: str
    town: str
    sectors: str
    employees: int | None
    #: Why it must have one (its sectors, its size), as the page reads it.
    reasons: str
    contact: str


def _in_scope(query, user: User, sector_id: int | None, town_id: int | None):
    query = scope_enterprises(query, user)
    if sector_id is not None:
        query = query.where(
            Enterprise.id.in_(
                select(enterprise_sector.c.enterprise_id).where(
                    enterprise_sector.c.sector_id == sector_id
                )
            )
        )
    if town_id is not None:
        query = query.where(Enterprise.town_id == town_id)
    return query


def coverage(user: User, sector_id: int | None = None, town_id: int | None = None) -> Coverage:
    """The counts for the user's scope, in one statement."""
    query = select(
        func.count(Enterprise.id), func.sum(case((has_director_clause(), 1), else_=0))
    ).where(must_have_director_clause())
    required, appointed = db.session.execute(_in_scope(query, user, sector_id, town_id)).one()
    return Coverage(int(required or 0), int(appointed or 0))


def missing(
    user: User, sector_id: int | None = None, town_id: int | None = None
) -> list[MissingDirector]:
    """The enterprises in scope that must have a safety director and have none, by town and
    name."""
    query = (
        select(Enterprise)
        .where(must_have_director_clause(), ~has_director_clause())
        .options(selectinload(Enterprise.sectors), selectinload(Enterprise.town))
        .order_by(Enterprise.town_id, Enterprise.name)
    )
    found = db.session.scalars(_in_scope(query, user, sector_id, town_id)).all()
    return [
        MissingDirector(
            enterprise_id=e.id,
            name=e.name,
            credit_code=e.credit_code,
            town=e.town.name,
            sectors="、".join(s.name for s in e.sectors),
            employees=e.employee_count,
            reasons=reason_names(director_reasons(e)),
            contact=f"{e.contact_name} {e.contact_phone}".strip(),
        )
        for e in found
    ]
